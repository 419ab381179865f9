//! TEMP
use hyper::body::Incoming;
use hyper::{Request, Response};
use crate::body::RespBody;
use crate::error::ApiError;
use crate::routes::Ctx;
/// temp
pub async fn query_v2(_ctx: &Ctx, _req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    Err(ApiError::internal("not yet"))
}
