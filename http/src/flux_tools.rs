//! Flux language-service endpoints: `POST /api/v2/query/ast`, `POST /api/v2/query/analyze`,
//! `GET /api/v2/query/suggestions` and `GET /api/v2/query/suggestions/{name}`.
//!
//! Invariants:
//! - All need a valid token (401 otherwise), as in InfluxDB 2.7; none touches the shards.
//! - `ast` answers 400 `invalid AST: loc L:C-L:C: <message>` for a query that does not parse
//!   (2.7's wording); `analyze` answers 200 with the parse errors as an `errors` list (empty for
//!   a query that parses), never 400 for a bad query — only for a bad request body.
//! - Bodies are bounded (`MAX_LANG_BODY`).

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::query::flux::{self, ast_json, suggest};
use serde_json::{json, Map, Value as Json};

use crate::auth::authenticate;
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::routes::{json_response, Ctx};

/// Largest language-service request body.
const MAX_LANG_BODY: usize = 1 << 20;

/// Reads the body's `query` string (`LanguageRequest` / `Query`).
async fn query_text(ctx: &Ctx, req: Request<Incoming>) -> Result<String, ApiError> {
    {
        let snap = ctx.engine.catalog();
        authenticate(&snap, req.headers())?;
    }
    let body = read_bounded(req, MAX_LANG_BODY).await?;
    let v: Json = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid json: {e}")))?;
    v.get("query")
        .and_then(Json::as_str)
        .map(str::to_string)
        .ok_or_else(|| ApiError::invalid("query is required"))
}

/// `POST /api/v2/query/ast`.
pub async fn ast(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let text = query_text(ctx, req).await?;
    let file = flux::parse(&text).map_err(|e| {
        ApiError::invalid(format!(
            "invalid AST: loc {}:{}-{}:{}: {}",
            e.line, e.column, e.end_line, e.end_column, e.message
        ))
    })?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"ast": ast_json::package_json(&file, &text)}),
    ))
}

/// `POST /api/v2/query/analyze`.
pub async fn analyze(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let text = query_text(ctx, req).await?;
    let errors: Vec<Json> = match flux::parse(&text) {
        Ok(_) => Vec::new(),
        Err(e) => vec![json!({
            "line": e.line,
            "column": e.column,
            "character": 0,
            "message": e.message,
        })],
    };
    Ok(json_response(StatusCode::OK, &json!({ "errors": errors })))
}

fn suggestion_json((name, params): &suggest::Suggestion) -> Json {
    let params: Map<String, Json> = params
        .iter()
        .map(|(k, t)| ((*k).to_string(), Json::from(*t)))
        .collect();
    json!({"name": name, "params": params})
}

/// `GET /api/v2/query/suggestions`.
pub fn suggestions(ctx: &Ctx, req: &Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    authenticate(&snap, req.headers())?;
    let funcs: Vec<Json> = suggest::SUGGESTIONS.iter().map(suggestion_json).collect();
    Ok(json_response(StatusCode::OK, &json!({ "funcs": funcs })))
}

/// `GET /api/v2/query/suggestions/{name}`.
pub fn suggestion(
    ctx: &Ctx,
    req: &Request<Incoming>,
    name: &str,
) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    authenticate(&snap, req.headers())?;
    let s = suggest::find(name)
        .ok_or_else(|| ApiError::not_found(format!("function {name:?} not found")))?;
    Ok(json_response(StatusCode::OK, &suggestion_json(s)))
}
