//! `GET /api/v2/setup` and `POST /api/v2/setup` (onboarding).

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::catalog::{CatalogOp, CatalogReply, OnboardingRequest};
use serde_json::json;

use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::resources::{auth_json, bucket_json, org_json, user_json};
use crate::routes::{json_response, Ctx};

/// Largest onboarding body accepted.
const MAX_SETUP_BODY: usize = 64 * 1024;

/// `GET /api/v2/setup` → `{"allowed": bool}`.
pub fn is_onboarding(ctx: &Ctx) -> Response<RespBody> {
    let allowed = !ctx.engine.catalog().is_onboarded();
    json_response(StatusCode::OK, &json!({ "allowed": allowed }))
}

/// `POST /api/v2/setup` → 201 `OnboardingResponse`; 422 `conflict` once onboarded.
pub async fn onboard(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    if ctx.engine.catalog().is_onboarded() {
        return Err(
            ringflux_engine::Error::conflict("onboarding has already been completed").into(),
        );
    }
    let body = read_bounded(req, MAX_SETUP_BODY).await?;
    let parsed: OnboardingRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid json: {e}")))?;
    let reply = ctx.engine.catalog_op(CatalogOp::Onboard(parsed)).await?;
    let CatalogReply::Onboarded(r) = reply else {
        return Err(ApiError::internal("unexpected catalog reply to onboarding"));
    };
    let snap = ctx.engine.catalog();
    Ok(json_response(
        StatusCode::CREATED,
        &json!({
            "user": user_json(&r.user),
            "org": org_json(&r.org),
            "bucket": bucket_json(&r.bucket),
            "auth": auth_json(&r.auth, &snap),
        }),
    ))
}
