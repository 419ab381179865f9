//! `POST /api/v2/write`: line protocol into a bucket.
//!
//! Order of checks (as InfluxDB 2.7): token (401) → precision (400) → org (400/404) → bucket
//! (404) → write permission (403) → body size/encoding (413/400/415) → parse (400 with the
//! line) → durable write (204), type conflicts (422), unavailable shard (503 + Retry-After).

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::model::{BucketId, Precision};

use crate::auth::authenticate;
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::params::Params;
use crate::routes::{empty, Ctx};
use crate::scope::{check_bucket, resolve_bucket, resolve_org};

/// Handles `POST /api/v2/write`.
pub async fn write_v2(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let params = Params::parse(req.uri().query());
    let precision = match params.get_nonempty("precision") {
        None => Precision::Nanoseconds,
        Some(p) => Precision::from_v2_param(p).ok_or_else(|| {
            ApiError::invalid("invalid precision; valid precision units are ns, us, ms, and s")
        })?,
    };
    let org = resolve_org(&snap, &params)?;
    let bucket_param = params
        .get_nonempty("bucket")
        .ok_or_else(|| ApiError::not_found("bucket not found"))?;
    let bucket = resolve_bucket(&snap, org, bucket_param)
        .ok_or_else(|| ApiError::not_found(format!("bucket \"{bucket_param}\" not found")))?;
    check_bucket(auth, "write", bucket)?;
    let bucket_id = BucketId(bucket.id);
    let body = read_bounded(req, ctx.cfg.max_body_size).await?;
    drop(snap);
    ctx.engine.write(bucket_id, precision, body).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
