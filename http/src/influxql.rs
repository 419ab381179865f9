//! `GET|POST /query`: the v1-compatible InfluxQL endpoint.
//!
//! Parameters: `q` (several `;`-separated statements; in the URL or, for POST, in a
//! form-encoded body or as an `application/vnd.influxql` body), `db`, `rp`, `epoch`
//! (`h m s ms u ns`), `params` (JSON object of bound parameters), `chunked` / `chunk_size`,
//! `pretty`. `Accept: application/csv` answers CSV; otherwise JSON.
//!
//! Invariants:
//! - A parse error is 400 `{"code":"invalid","message":"failed to parse query: …"}` (2.7's
//!   envelope); a statement's execution error is that statement's `error` with status 200.
//! - `db`/`rp` resolve to a bucket of the token's org through the DBRP mappings; reading needs
//!   read permission on that bucket (a statement error otherwise).
//! - Chunked responses are one JSON document per chunk, separated by newlines; `partial`
//!   marks a series (or statement) continued in the next document, as in InfluxDB.

use std::collections::HashMap;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use ringflux_engine::catalog::{dbrp_mappings, resolve_dbrp, DbrpFilter};
use ringflux_engine::catalog::{Authorization, CatalogSnapshot};
use ringflux_engine::model::{BucketId, OrgId};
use ringflux_engine::query::influxql::ast::Literal;
use ringflux_engine::query::influxql::exec::{execute, QlEnv};
use ringflux_engine::query::influxql::result::{
    write_cell, write_response, write_str, Cell, Epoch, Series, StatementResult,
};
use ringflux_engine::query::influxql::{self};
use ringflux_engine::runtime::now_nanos;

use crate::auth::authenticate_v1;
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::params::Params;
use crate::routes::Ctx;

/// Largest `/query` request body.
const MAX_QUERY_BODY: usize = 1 << 20;
/// Default rows per chunk with `chunked=true`.
const DEFAULT_CHUNK_SIZE: usize = 10_000;

/// Resolves a v1 `(db, rp)` to a bucket of the token's org through the DBRP mappings
/// (`catalog::dbrp::resolve_dbrp`, the same lookup `/write` uses) and checks read permission.
fn resolve(
    snap: &CatalogSnapshot,
    auth: &Authorization,
    db: &str,
    rp: Option<&str>,
) -> Result<BucketId, String> {
    let Some(b) = resolve_dbrp(snap, Some(OrgId(auth.org_id)), db, rp) else {
        let known = dbrp_mappings(
            snap,
            &DbrpFilter {
                org_id: Some(auth.org_id),
                database: Some(db.to_string()),
                ..DbrpFilter::default()
            },
        );
        return Err(match rp.filter(|r| !r.is_empty()) {
            Some(rp) if !known.is_empty() => format!("retention policy not found: {rp}"),
            _ => format!("database not found: {db}"),
        });
    };
    if !auth.allows_bucket("read", b.org_id, b.id) {
        return Err(format!("insufficient permissions to read database {db:?}"));
    }
    Ok(BucketId(b.id))
}

/// `SHOW DATABASES`: the databases of the org's mappings, explicit ones first, then the
/// virtual ones (2.7's order), each once.
fn databases(snap: &CatalogSnapshot, org: u64) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let all = dbrp_mappings(
        snap,
        &DbrpFilter {
            org_id: Some(org),
            ..DbrpFilter::default()
        },
    );
    for m in all {
        if !out.contains(&m.mapping.database) {
            out.push(m.mapping.database);
        }
    }
    out
}

/// `SHOW RETENTION POLICIES ON db`: `(rp, default)` of the db's mappings.
fn retention_policies(
    snap: &CatalogSnapshot,
    org: u64,
    db: &str,
) -> Result<Vec<(String, bool)>, String> {
    let maps = dbrp_mappings(
        snap,
        &DbrpFilter {
            org_id: Some(org),
            database: Some(db.to_string()),
            ..DbrpFilter::default()
        },
    );
    if maps.is_empty() {
        return Err(format!("database not found: {db}"));
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    for m in maps {
        if !out.iter().any(|(rp, _)| *rp == m.mapping.retention_policy) {
            out.push((m.mapping.retention_policy, m.mapping.default));
        }
    }
    out.sort();
    Ok(out)
}

/// Bound parameters from the `params` JSON object.
fn bound_params(s: Option<&str>) -> Result<HashMap<String, Literal>, ApiError> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(HashMap::new());
    };
    let v: serde_json::Value = serde_json::from_str(s)
        .map_err(|e| ApiError::invalid(format!("error parsing query parameters: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::invalid("error parsing query parameters: not a JSON object"))?;
    let mut out = HashMap::new();
    for (k, v) in obj {
        let lit = match v {
            serde_json::Value::String(s) => Literal::String(s.clone()),
            serde_json::Value::Bool(b) => Literal::Boolean(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Literal::Integer(i),
                (None, Some(u), _) => Literal::Unsigned(u),
                (_, _, Some(f)) => Literal::Float(f),
                _ => continue,
            },
            _ => {
                return Err(ApiError::invalid(format!(
                    "error parsing query parameters: unsupported value for {k}"
                )))
            }
        };
        out.insert(k.clone(), lit);
    }
    Ok(out)
}

/// Handles `GET|POST /query`.
pub async fn query_v1(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let mut params = Params::parse(req.uri().query());
    let auth = authenticate_v1(&snap, req.headers(), &params).await?;
    let accept_csv = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/csv") || a.contains("text/csv"));
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut text: Option<String> = params.get("q").map(str::to_string);
    if req.method() == Method::POST {
        let body = read_bounded(req, MAX_QUERY_BODY).await?;
        let body = std::str::from_utf8(&body)
            .map_err(|_| ApiError::invalid("request body is not valid UTF-8"))?;
        if content_type.starts_with("application/vnd.influxql") {
            text = Some(body.to_string());
        } else if !body.is_empty() {
            let form = Params::parse(Some(body));
            if let Some(q) = form.get("q") {
                text = Some(q.to_string());
            }
            params.merge(form);
        }
    }
    let text = text
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("missing required parameter \"q\""))?;
    let query = influxql::parse(&text)
        .map_err(|e| ApiError::invalid(format!("failed to parse query: {e}")))?;
    let epoch = params
        .get_nonempty("epoch")
        .and_then(Epoch::parse)
        .unwrap_or_default();
    let chunked = params.get("chunked").is_some_and(|c| c == "true");
    let chunk_size = params
        .get_nonempty("chunk_size")
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|c| *c > 0)
        .unwrap_or(DEFAULT_CHUNK_SIZE);
    let bound = bound_params(params.get("params"))?;
    let org = auth.org_id;
    let resolve_fn = |db: &str, rp: Option<&str>| resolve(&snap, &auth, db, rp);
    let dbs_fn = || databases(&snap, org);
    let rps_fn = |db: &str| retention_policies(&snap, org, db);
    let env = QlEnv {
        engine: &ctx.engine,
        db: params.get_nonempty("db").map(str::to_string),
        rp: params.get_nonempty("rp").map(str::to_string),
        now: now_nanos(),
        params: bound,
        resolve: &resolve_fn,
        databases: &dbs_fn,
        retention_policies: &rps_fn,
    };
    let results = execute(&query, &env).await;
    let (body, ct) = if accept_csv {
        (csv(&results, epoch), "application/csv")
    } else if chunked {
        (
            chunked_json(&results, epoch, chunk_size),
            "application/json",
        )
    } else {
        let mut out = String::new();
        write_response(&results, epoch, &mut out);
        (out, "application/json")
    };
    let mut resp = Response::new(RespBody::full(body));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    Ok(resp)
}

/// One JSON document per chunk of at most `size` rows.
fn chunked_json(results: &[StatementResult], epoch: Epoch, size: usize) -> String {
    let mut out = String::new();
    for r in results {
        if r.series.is_empty() {
            write_response(std::slice::from_ref(r), epoch, &mut out);
            out.push('\n');
            continue;
        }
        let n_series = r.series.len();
        for (si, s) in r.series.iter().enumerate() {
            let chunks: Vec<&[Vec<Cell>]> = if s.values.is_empty() {
                vec![&[][..]]
            } else {
                s.values.chunks(size).collect()
            };
            let n_chunks = chunks.len();
            for (ci, rows) in chunks.into_iter().enumerate() {
                let last_of_series = ci + 1 == n_chunks;
                let piece = StatementResult {
                    statement_id: r.statement_id,
                    series: vec![Series {
                        name: s.name.clone(),
                        tags: s.tags.clone(),
                        columns: s.columns.clone(),
                        values: rows.to_vec(),
                        partial: !last_of_series,
                    }],
                    partial: !(last_of_series && si + 1 == n_series),
                    messages: Vec::new(),
                    error: None,
                };
                write_response(std::slice::from_ref(&piece), epoch, &mut out);
                out.push('\n');
            }
        }
    }
    out
}

/// CSV: `name,tags,<columns>` per series block, as InfluxDB's CSV formatter writes it.
fn csv(results: &[StatementResult], epoch: Epoch) -> String {
    let mut out = String::new();
    for r in results {
        if let Some(e) = &r.error {
            out.push_str("error\n");
            write_str(e, &mut out);
            out.push('\n');
            continue;
        }
        for s in &r.series {
            out.push_str("name,tags");
            for c in &s.columns {
                out.push(',');
                out.push_str(c);
            }
            out.push('\n');
            let tags: Vec<String> = s.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            for row in &s.values {
                out.push_str(&s.name);
                out.push(',');
                let t = tags.join(",");
                if t.contains(',') {
                    out.push('"');
                    out.push_str(&t);
                    out.push('"');
                } else {
                    out.push_str(&t);
                }
                for cell in row {
                    out.push(',');
                    let mut c = String::new();
                    let e = if matches!(cell, Cell::Time(_)) && epoch == Epoch::Rfc3339 {
                        Epoch::Nanos
                    } else {
                        epoch
                    };
                    write_cell(cell, e, &mut c);
                    if matches!(cell, Cell::Null) {
                        c.clear();
                    }
                    out.push_str(c.trim_matches('"'));
                }
                out.push('\n');
            }
        }
    }
    out
}
