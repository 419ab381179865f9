//! Operator endpoints outside the InfluxDB contract (like influxd's `/debug/*`):
//! `POST /debug/ringflux/flush`, `/debug/ringflux/compact` and `/debug/ringflux/retention` run
//! the storage maintenance operation on every shard now and answer with what it did.
//!
//! Invariants: only a token that may write buckets of every org (the operator token) may call
//! them; the operation has finished on every shard when the response is sent.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::shard::maintenance::Op;
use serde_json::json;

use crate::auth::authenticate;
use crate::body::RespBody;
use crate::error::ApiError;
use crate::routes::{json_response, Ctx};

/// Handles the maintenance endpoints.
pub async fn maintain(
    ctx: &Ctx,
    op: Op,
    req: Request<Incoming>,
) -> Result<Response<RespBody>, ApiError> {
    {
        let snap = ctx.engine.catalog();
        let auth = authenticate(&snap, req.headers())?;
        if !auth.allows("write", "buckets", None) {
            return Err(ApiError::forbidden(
                "maintenance endpoints need an operator token",
            ));
        }
    }
    let r = ctx.engine.maintain(op).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "flushedSegments": r.flushed_segments,
            "flushedPoints": r.flushed_points,
            "compactions": r.compactions,
            "droppedSegments": r.dropped_segments,
        }),
    ))
}
