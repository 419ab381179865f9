//! `POST /api/v2/write` and v1 `POST /write`: line protocol into a bucket.
//!
//! Both resolve a bucket and a precision, then share `ingest` (bounded/gzip body, the
//! engine's write path and its 204/400/413/422/429/503 answers), so the two endpoints cannot
//! drift apart.
//!
//! Order of checks, v2 (as InfluxDB 2.7): token (401) → precision (400) → org (400/404) →
//! bucket (404) → write permission (403) → body size/encoding (413/400/415) → parse (400 with
//! the line) → durable write (204), type conflicts (422), unavailable shard (503 + Retry-After).
//!
//! v1 (`/write`, 2.7's `http/legacy/write_handler.go`): v1 credentials (401, `crate::auth`) →
//! `db` (400 `missing db`) → `db`/`rp` through the DBRP mappings of the authorization's org
//! (`catalog::resolve_dbrp`; 404 `no dbrp mapping found`) → write permission on the bucket (403
//! `insufficient permissions for write`) → `ingest`. `precision` follows InfluxDB 1.x
//! (`Precision::from_v1_param`); `consistency` is ignored.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::catalog::resolve_dbrp;
use ringflux_engine::model::{BucketId, OrgId, Precision};

use crate::auth::{authenticate, authenticate_v1};
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::params::Params;
use crate::routes::{empty, Ctx};
use crate::scope::{check_bucket, resolve_bucket, resolve_org};

/// The shared tail of both write endpoints: bounded (optionally gzip) body → engine write.
async fn ingest(
    ctx: &Ctx,
    req: Request<Incoming>,
    bucket: BucketId,
    precision: Precision,
) -> Result<Response<RespBody>, ApiError> {
    let body = read_bounded(req, ctx.cfg.max_body_size).await?;
    ctx.engine.write(bucket, precision, body).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// Handles `POST /api/v2/write`.
pub async fn write_v2(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let (bucket_id, precision) = {
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
        (BucketId(bucket.id), precision)
    };
    ingest(ctx, req, bucket_id, precision).await
}

/// Handles v1 `POST /write`.
pub async fn write_v1(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let params = Params::parse(req.uri().query());
    let snap = ctx.engine.catalog();
    let auth = authenticate_v1(&snap, req.headers(), &params).await?;
    let db = params
        .get_nonempty("db")
        .ok_or_else(|| ApiError::invalid("missing db"))?;
    let bucket = resolve_dbrp(&snap, Some(OrgId(auth.org_id)), db, params.get("rp"))
        .ok_or_else(|| ApiError::not_found("no dbrp mapping found"))?;
    if !auth.allows_bucket("write", bucket.org_id, bucket.id) {
        return Err(ApiError::forbidden("insufficient permissions for write"));
    }
    let bucket_id = BucketId(bucket.id);
    let precision = Precision::from_v1_param(params.get("precision").unwrap_or(""));
    drop(snap);
    ingest(ctx, req, bucket_id, precision).await
}
