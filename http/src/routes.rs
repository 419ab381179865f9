//! Route table: every path the server answers, as constants, and the dispatcher.
//!
//! Invariants: handlers return `Result<Response, ApiError>`; the dispatcher turns errors into
//! responses through `ApiError::into_response` (the only place) and adds the InfluxDB version
//! headers to every response.

use std::rc::Rc;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use ringflux_engine::ShardContext;

use crate::body::RespBody;
use crate::error::ApiError;
use crate::{
    admin, buckets, dbrps, delete, flux_tools, health, influxql, legacy_auth, orgs, query, setup,
    write, HttpConfig,
};
use ringflux_engine::shard::maintenance::Op;

/// `GET /health`.
pub const HEALTH: &str = "/health";
/// `GET /ready`.
pub const READY: &str = "/ready";
/// `GET|HEAD /ping`.
pub const PING: &str = "/ping";
/// `GET /metrics`.
pub const METRICS: &str = "/metrics";
/// `GET /api/v2`.
pub const API_V2: &str = "/api/v2";
/// `GET|POST /api/v2/setup`.
pub const API_V2_SETUP: &str = "/api/v2/setup";
/// `POST /api/v2/write`.
pub const API_V2_WRITE: &str = "/api/v2/write";
/// `POST /api/v2/query`.
pub const API_V2_QUERY: &str = "/api/v2/query";
/// `GET|POST /query` (v1 InfluxQL).
pub const QUERY_V1: &str = "/query";
/// `POST /api/v2/query/ast`.
pub const API_V2_QUERY_AST: &str = "/api/v2/query/ast";
/// `POST /api/v2/query/analyze`.
pub const API_V2_QUERY_ANALYZE: &str = "/api/v2/query/analyze";
/// `GET /api/v2/query/suggestions`.
pub const API_V2_QUERY_SUGGESTIONS: &str = "/api/v2/query/suggestions";
/// `GET /api/v2/query/suggestions/{name}` (prefix).
pub const API_V2_QUERY_SUGGESTION_PREFIX: &str = "/api/v2/query/suggestions/";
/// `GET|POST /api/v2/buckets`.
pub const API_V2_BUCKETS: &str = "/api/v2/buckets";
/// `GET|PATCH|DELETE /api/v2/buckets/{bucketID}` (prefix).
pub const API_V2_BUCKET_PREFIX: &str = "/api/v2/buckets/";
/// `GET|POST /api/v2/orgs`.
pub const API_V2_ORGS: &str = "/api/v2/orgs";
/// `GET|PATCH|DELETE /api/v2/orgs/{orgID}` (prefix).
pub const API_V2_ORG_PREFIX: &str = "/api/v2/orgs/";

/// v1 `POST /write`.
pub const WRITE_V1: &str = "/write";
/// `GET|POST /api/v2/dbrps`.
pub const API_V2_DBRPS: &str = "/api/v2/dbrps";
/// `GET|PATCH|DELETE /api/v2/dbrps/{dbrpID}` (prefix).
pub const API_V2_DBRP_PREFIX: &str = "/api/v2/dbrps/";
/// `GET|POST /private/legacy/authorizations`.
pub const LEGACY_AUTHORIZATIONS: &str = "/private/legacy/authorizations";
/// `GET|PATCH|DELETE /private/legacy/authorizations/{authID}` and `POST …/{authID}/password`
/// (prefix).
pub const LEGACY_AUTHORIZATION_PREFIX: &str = "/private/legacy/authorizations/";

/// `POST /debug/ringflux/flush` (operator).
pub const DEBUG_FLUSH: &str = "/debug/ringflux/flush";
/// `POST /debug/ringflux/compact` (operator).
pub const DEBUG_COMPACT: &str = "/debug/ringflux/compact";
/// `POST /debug/ringflux/retention` (operator).
pub const DEBUG_RETENTION: &str = "/debug/ringflux/retention";
/// `POST /api/v2/delete`.
pub const API_V2_DELETE: &str = "/api/v2/delete";

/// Version reported in `X-Influxdb-Version` and `/health` (the InfluxDB API level we serve).
pub const INFLUXDB_VERSION: &str = "v2.7.12";
/// Build reported in `X-Influxdb-Build`.
pub const INFLUXDB_BUILD: &str = "OSS";

/// Per-core request context.
#[derive(Debug)]
pub struct Ctx {
    /// The engine handle of this core.
    pub engine: ShardContext,
    /// HTTP settings.
    pub cfg: HttpConfig,
    /// When the server started (RFC3339), for `/ready`.
    pub started: String,
    /// Start instant, for uptime.
    pub started_at: std::time::Instant,
}

/// Handles one request.
pub async fn dispatch(ctx: Rc<Ctx>, req: Request<Incoming>) -> Response<RespBody> {
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_string();
    let result = route(&ctx, &method, &path, req).await;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            if e.status().is_server_error() {
                tracing::warn!(%method, %path, status = e.status().as_u16(), message = %truncate(e.message()), "request failed");
            } else {
                tracing::debug!(%method, %path, status = e.status().as_u16(), message = %truncate(e.message()), "request rejected");
            }
            e.into_response()
        }
    };
    let h = resp.headers_mut();
    h.insert(
        "x-influxdb-version",
        HeaderValue::from_static(INFLUXDB_VERSION),
    );
    h.insert("x-influxdb-build", HeaderValue::from_static(INFLUXDB_BUILD));
    resp
}

fn truncate(s: &str) -> &str {
    let mut end = s.len().min(256);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

async fn route(
    ctx: &Rc<Ctx>,
    method: &Method,
    path: &str,
    req: Request<Incoming>,
) -> Result<Response<RespBody>, ApiError> {
    match (path, method) {
        (HEALTH, &Method::GET) | (HEALTH, &Method::HEAD) => Ok(health::health(ctx)),
        (READY, &Method::GET) | (READY, &Method::HEAD) => Ok(health::ready(ctx)),
        (PING, &Method::GET) | (PING, &Method::HEAD) => Ok(health::ping()),
        (METRICS, &Method::GET) => Ok(health::metrics(ctx)),
        (API_V2, &Method::GET) => Ok(health::routes()),
        (API_V2_SETUP, &Method::GET) => Ok(setup::is_onboarding(ctx)),
        (API_V2_SETUP, &Method::POST) => setup::onboard(ctx, req).await,
        (API_V2_WRITE, &Method::POST) => write::write_v2(ctx, req).await,
        (API_V2_QUERY, &Method::POST) => query::query_v2(ctx, req).await,
        (QUERY_V1, &Method::GET) | (QUERY_V1, &Method::POST) => influxql::query_v1(ctx, req).await,
        (API_V2_QUERY_AST, &Method::POST) => flux_tools::ast(ctx, req).await,
        (API_V2_QUERY_ANALYZE, &Method::POST) => flux_tools::analyze(ctx, req).await,
        (API_V2_QUERY_SUGGESTIONS, &Method::GET) => flux_tools::suggestions(ctx, &req),
        (DEBUG_FLUSH, &Method::POST) => admin::maintain(ctx, Op::Flush, req).await,
        (DEBUG_COMPACT, &Method::POST) => admin::maintain(ctx, Op::Compact, req).await,
        (DEBUG_RETENTION, &Method::POST) => admin::maintain(ctx, Op::Retention, req).await,
        (API_V2_BUCKETS, &Method::GET) => buckets::list(ctx, &req),
        (API_V2_BUCKETS, &Method::POST) => buckets::create(ctx, req).await,
        (API_V2_ORGS, &Method::GET) => orgs::list(ctx, &req),
        (API_V2_ORGS, &Method::POST) => orgs::create(ctx, req).await,
        (API_V2_DELETE, &Method::POST) => delete::delete_v2(ctx, req).await,
        (WRITE_V1, &Method::POST) => write::write_v1(ctx, req).await,
        (API_V2_DBRPS, &Method::GET) => dbrps::list(ctx, &req),
        (API_V2_DBRPS, &Method::POST) => dbrps::create(ctx, req).await,
        (LEGACY_AUTHORIZATIONS, &Method::GET) => legacy_auth::list(ctx, &req),
        (LEGACY_AUTHORIZATIONS, &Method::POST) => legacy_auth::create(ctx, req).await,
        (
            HEALTH
            | READY
            | PING
            | METRICS
            | API_V2
            | API_V2_SETUP
            | API_V2_WRITE
            | API_V2_QUERY
            | DEBUG_FLUSH
            | DEBUG_COMPACT
            | DEBUG_RETENTION
            | API_V2_BUCKETS
            | API_V2_ORGS
            | API_V2_DELETE
            | API_V2_QUERY_AST
            | API_V2_QUERY_ANALYZE
            | API_V2_QUERY_SUGGESTIONS
            | WRITE_V1
            | API_V2_DBRPS
            | LEGACY_AUTHORIZATIONS,
            _,
        ) => Err(ApiError::method_not_allowed()),
        _ => {
            if let Some(id) = item_id(path, API_V2_BUCKET_PREFIX) {
                match *method {
                    Method::GET => buckets::get(ctx, &req, id),
                    Method::PATCH => buckets::patch(ctx, req, id).await,
                    Method::DELETE => buckets::delete(ctx, &req, id).await,
                    _ => Err(ApiError::method_not_allowed()),
                }
            } else if let Some(id) = item_id(path, API_V2_ORG_PREFIX) {
                match *method {
                    Method::GET => orgs::get(ctx, &req, id),
                    Method::PATCH => orgs::patch(ctx, req, id).await,
                    Method::DELETE => orgs::delete(ctx, &req, id).await,
                    _ => Err(ApiError::method_not_allowed()),
                }
            } else if let Some(id) = item_id(path, API_V2_DBRP_PREFIX) {
                match *method {
                    Method::GET => dbrps::get(ctx, &req, id),
                    Method::PATCH => dbrps::patch(ctx, req, id).await,
                    Method::DELETE => dbrps::delete(ctx, &req, id).await,
                    _ => Err(ApiError::method_not_allowed()),
                }
            } else if let Some(id) = item_id(path, LEGACY_AUTHORIZATION_PREFIX) {
                match *method {
                    Method::GET => legacy_auth::get(ctx, &req, id),
                    Method::PATCH => legacy_auth::patch(ctx, req, id).await,
                    Method::DELETE => legacy_auth::delete(ctx, &req, id).await,
                    _ => Err(ApiError::method_not_allowed()),
                }
            } else if let Some(id) = path
                .strip_suffix("/password")
                .and_then(|p| item_id(p, LEGACY_AUTHORIZATION_PREFIX))
            {
                match *method {
                    Method::POST => legacy_auth::set_password(ctx, req, id).await,
                    _ => Err(ApiError::method_not_allowed()),
                }
            } else if let Some(name) = item_id(path, API_V2_QUERY_SUGGESTION_PREFIX) {
                match *method {
                    Method::GET => flux_tools::suggestion(ctx, &req, name),
                    _ => Err(ApiError::method_not_allowed()),
                }
            } else {
                Err(ApiError::not_found("path not found"))
            }
        }
    }
}

/// The `{id}` of `prefix{id}` (one non-empty path segment), if `path` is that.
fn item_id<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    path.strip_prefix(prefix)
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

/// A JSON response.
pub fn json_response(status: StatusCode, v: &serde_json::Value) -> Response<RespBody> {
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    let mut r = Response::new(RespBody::full(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// An empty response.
pub fn empty(status: StatusCode) -> Response<RespBody> {
    let mut r = Response::new(RespBody::empty());
    *r.status_mut() = status;
    r
}
