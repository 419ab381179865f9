//! `POST /api/v2/query`: Flux (the first slice: `from |> range |> filter |> yield`), answered as
//! annotated CSV streamed while the shards produce it.
//!
//! Invariants:
//! - Errors found before the first byte (bad JSON, bad dialect, compile errors, unknown bucket)
//!   are JSON error bodies with their status; an error after output started becomes a CSV
//!   error table (status stays 200), as InfluxDB 2.7 does.
//! - `Accept-Encoding: gzip` gets a gzip-encoded stream (`Content-Encoding: gzip`), as 2.7 does.
//! - Memory is bounded: the producer task holds at most one encoded buffer (flushed at
//!   `FLUSH_BYTES`) and waits on the bounded response stream while the client is slow; if the
//!   client disconnects, the producer stops and the shard reads stop with it.

use bytes::Bytes;
use hyper::body::Incoming;
use std::io::Write;

use hyper::header::{HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use ringflux_engine::mesh::reply::stream;
use ringflux_engine::model::BucketId;
use std::sync::Arc;

use ringflux_engine::model::OrgId;
use ringflux_engine::query::agg_tables::AggTables;
use ringflux_engine::query::exec::RawTables;
use ringflux_engine::query::flux;
use ringflux_engine::query::flux::tables::{
    append_chunk, execute, read_requests, ExecCtx, MemorySource,
};
use ringflux_engine::query::flux::value::{Record, Value as FluxValue};
use ringflux_engine::query::plan::BucketRef;
use ringflux_engine::query::table::{ColumnData, TableChunk};
use ringflux_engine::runtime::now_nanos;

use crate::auth::authenticate;
use crate::body::{read_bounded, RespBody};
use crate::encode::{parse_dialect, CsvEncoder, Dialect};
use crate::error::ApiError;
use crate::params::Params;
use crate::routes::Ctx;
use crate::scope::{check_bucket, resolve_bucket, resolve_org};

/// Largest query request body.
const MAX_QUERY_BODY: usize = 1 << 20;
/// Encoded bytes buffered before they are handed to hyper.
const FLUSH_BYTES: usize = 64 * 1024;
/// Encoded buffers queued towards the client.
const RESPONSE_QUEUE: usize = 4;

/// True if `Accept-Encoding` asks for gzip (any `gzip` token without `q=0`).
fn wants_gzip(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim();
        let q0 = it.any(|p| {
            let p = p.trim();
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        coding.eq_ignore_ascii_case("gzip") && !q0
    })
}

/// Turns encoded CSV into response chunks: as is, or through one streaming gzip member.
struct Packer {
    gz: Option<flate2::write::GzEncoder<Vec<u8>>>,
}

impl Packer {
    fn new(gzip: bool) -> Self {
        Packer {
            gz: gzip
                .then(|| flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast())),
        }
    }

    /// The bytes to send for the encoded CSV in `out`, which is left empty (gzip may hold
    /// some output back until later).
    fn pack(&mut self, out: &mut Vec<u8>) -> Bytes {
        match &mut self.gz {
            None => Bytes::from(std::mem::replace(out, Vec::with_capacity(FLUSH_BYTES * 2))),
            Some(gz) => {
                // Writing into a Vec cannot fail.
                let _ = gz.write_all(out);
                out.clear();
                Bytes::from(std::mem::take(gz.get_mut()))
            }
        }
    }

    /// The last bytes of the response.
    fn finish(&mut self, out: &mut Vec<u8>) -> Bytes {
        match self.gz.take() {
            None => Bytes::from(std::mem::take(out)),
            Some(mut gz) => {
                let _ = gz.write_all(out);
                out.clear();
                Bytes::from(gz.finish().unwrap_or_default())
            }
        }
    }
}

struct QueryRequest {
    text: String,
    dialect: Dialect,
    now: i64,
    /// The JSON `params` object (`params.x` in the query).
    params: Option<serde_json::Value>,
    /// The JSON `extern` file (options the client libraries send for query parameters).
    externs: Option<serde_json::Value>,
}

fn parse_request(content_type: Option<&str>, body: &[u8]) -> Result<QueryRequest, ApiError> {
    let ct = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if ct == "application/vnd.flux" {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::invalid("query is not valid UTF-8"))?
            .to_string();
        return Ok(QueryRequest {
            text,
            dialect: Dialect::default(),
            now: now_nanos(),
            params: None,
            externs: None,
        });
    }
    if !(ct.is_empty() || ct == "application/json") {
        return Err(ApiError::unsupported_media_type(format!(
            "unsupported Content-Type {ct:?}: use application/json or application/vnd.flux"
        )));
    }
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("failed to decode request body: {e}")))?;
    let text = v
        .get("query")
        .and_then(|q| q.as_str())
        .ok_or_else(|| ApiError::invalid("query is required"))?
        .to_string();
    match v.get("type").and_then(|t| t.as_str()) {
        None | Some("flux") | Some("") => {}
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "unsupported query type {other:?}: only \"flux\" is supported"
            )))
        }
    }
    let dialect = parse_dialect(v.get("dialect")).map_err(ApiError::invalid)?;
    let now = match v.get("now").and_then(|n| n.as_str()) {
        None | Some("") => now_nanos(),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .ok_or_else(|| ApiError::invalid(format!("invalid now {s:?}: must be RFC3339")))?,
    };
    let params = match v.get("params") {
        None | Some(serde_json::Value::Null) => None,
        Some(p @ serde_json::Value::Object(_)) => Some(p.clone()),
        Some(_) => return Err(ApiError::invalid("params must be a JSON object")),
    };
    let externs = match v.get("extern") {
        None | Some(serde_json::Value::Null) => None,
        Some(e @ serde_json::Value::Object(_)) => Some(e.clone()),
        Some(_) => return Err(ApiError::invalid("extern must be a JSON object")),
    };
    Ok(QueryRequest {
        text,
        dialect,
        now,
        params,
        externs,
    })
}

/// A JSON value as a Flux value (`params`): objects become records, arrays arrays, integers
/// `int`, other numbers `float`.
fn json_to_flux(v: &serde_json::Value) -> FluxValue {
    match v {
        serde_json::Value::Null => FluxValue::Null,
        serde_json::Value::Bool(b) => FluxValue::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => FluxValue::Int(i),
            None => FluxValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => FluxValue::str(s),
        serde_json::Value::Array(a) => {
            FluxValue::Array(Arc::new(a.iter().map(json_to_flux).collect()))
        }
        serde_json::Value::Object(o) => FluxValue::Record(Arc::new(Record {
            fields: o
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), json_to_flux(v)))
                .collect(),
            package: None,
        })),
    }
}

/// Handles `POST /api/v2/query`.
pub async fn query_v2(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let params = Params::parse(req.uri().query());
    let org = resolve_org(&snap, &params)?;
    let (auth_id, org_id) = (auth.id, org.id);
    let accept_encoding = req
        .headers()
        .get(ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = read_bounded(req, MAX_QUERY_BODY).await?;
    let q = parse_request(content_type.as_deref(), &body)?;
    let gzip = wants_gzip(&accept_encoding);
    // A plain `from |> range |> filter [|> yield]` streams straight from the shards (bounded
    // memory); everything else runs through the interpreter.
    let plain = q.params.is_none() && q.externs.is_none();
    let compiled = match (plain, flux::compile(&q.text, q.now)) {
        (true, Ok(c)) => c,
        _ => {
            drop(snap);
            return run_program(ctx, auth_id, org_id, q, gzip).await;
        }
    };
    let bucket = match &compiled.bucket {
        BucketRef::Name(n) => resolve_bucket(&snap, org, n),
        BucketRef::Id(id) => snap.bucket_by_id(*id).filter(|b| b.org_id == org.id),
    };
    let bucket = bucket.ok_or_else(|| {
        let name = match &compiled.bucket {
            BucketRef::Name(n) => n.clone(),
            BucketRef::Id(id) => id.to_string(),
        };
        ApiError::not_found(format!(
            "failed to initialize execute state: could not find bucket \"{name}\""
        ))
    })?;
    check_bucket(auth, "read", bucket)?;
    let bucket_id = BucketId(bucket.id);
    drop(snap);
    let plan = compiled.read.clone();
    let mut merged = ctx.engine.read(bucket_id, plan).await?;
    let (tx, rx) = stream::<Bytes>(RESPONSE_QUEUE);
    let mut encoder = CsvEncoder::new(q.dialect, &compiled.result_name);
    let (start, stop) = (compiled.read.start, compiled.read.stop);
    glommio::spawn_local(async move {
        let mut tables = RawTables::new(start, stop);
        let mut packer = Packer::new(gzip);
        let mut out = Vec::with_capacity(FLUSH_BYTES * 2);
        while let Some(next) = merged.next().await {
            match next {
                Ok(chunk) => {
                    let (tc, new_table) = tables.convert(chunk);
                    if new_table {
                        encoder.begin_table(&tc.meta, &mut out);
                    }
                    encoder.write_rows(&tc, &mut out);
                }
                Err(e) => {
                    encoder.write_error(e.message(), &mut out);
                    let _ = tx.send(packer.finish(&mut out)).await;
                    return;
                }
            }
            if out.len() >= FLUSH_BYTES {
                let packed = packer.pack(&mut out);
                if !packed.is_empty() && tx.send(packed).await.is_err() {
                    return; // client went away
                }
            }
        }
        encoder.end_result(&mut out);
        let _ = tx.send(packer.finish(&mut out)).await;
    })
    .detach();
    let mut resp = Response::new(RespBody::stream(rx));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if gzip {
        resp.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(resp)
}

/// Largest total size of the tables one interpreted query may read into memory.
const PROGRAM_MEMORY_LIMIT: usize = 1 << 30;
/// Longest an interpreted query may run.
const PROGRAM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Approximate heap bytes of a table chunk (for the memory limit).
fn chunk_bytes(t: &TableChunk) -> usize {
    t.columns
        .iter()
        .map(|c| match c {
            ColumnData::String(v) => v
                .iter()
                .map(|s| 24 + s.as_ref().map_or(0, String::len))
                .sum(),
            other => other.len() * 16,
        })
        .sum()
}

/// Runs a Flux program through the interpreter: evaluate it into lazy plans, fetch every
/// storage read it needs from the shards (aggregates pushed down where the plan says so),
/// execute, and answer the results as annotated CSV.
async fn run_program(
    ctx: &Ctx,
    auth_id: u64,
    org_id: u64,
    q: QueryRequest,
    gzip: bool,
) -> Result<Response<RespBody>, ApiError> {
    let compile_err = |e: ringflux_engine::query::plan::PlanError| {
        ApiError::invalid(format!("compilation failed: {e}"))
    };
    let mut file = flux::parse(&q.text).map_err(compile_err)?;
    if let Some(ext) = &q.externs {
        let mut body = flux::ast_json::extern_statements(ext)
            .map_err(|e| ApiError::invalid(format!("invalid extern: {e}")))?;
        body.append(&mut file.body);
        file.body = body;
    }
    let params = q.params.as_ref().map_or(FluxValue::Null, json_to_flux);
    let (mut interp, results) = flux::evaluate(&file, q.now, params).map_err(compile_err)?;
    let deadline = std::time::Instant::now() + PROGRAM_TIMEOUT;
    // Fetch the reads.
    let mut source = MemorySource::new();
    let mut used = 0usize;
    for (bucket_ref, plan) in read_requests(results.iter().map(|r| &r.1)) {
        let bucket_id = {
            let snap = ctx.engine.catalog();
            let auth = snap
                .data()
                .authorizations
                .iter()
                .find(|a| a.id == auth_id)
                .ok_or_else(ApiError::unauthorized)?;
            let org = snap
                .org_by_id(OrgId(org_id))
                .ok_or_else(|| ApiError::not_found("organization not found"))?;
            let bucket = match &bucket_ref {
                BucketRef::Name(n) => resolve_bucket(&snap, org, n),
                BucketRef::Id(id) => snap.bucket_by_id(*id).filter(|b| b.org_id == org.id),
            };
            let bucket = bucket.ok_or_else(|| {
                let name = match &bucket_ref {
                    BucketRef::Name(n) => n.clone(),
                    BucketRef::Id(id) => id.to_string(),
                };
                ApiError::not_found(format!(
                    "failed to initialize execute state: could not find bucket \"{name}\""
                ))
            })?;
            check_bucket(auth, "read", bucket)?;
            BucketId(bucket.id)
        };
        let mut merged = ctx.engine.read(bucket_id, plan.clone()).await?;
        let mut tables: Vec<TableChunk> = Vec::new();
        let mut raw = RawTables::new(plan.start, plan.stop);
        let mut agg = plan.agg.map(|a| AggTables::new(plan.start, plan.stop, a));
        while let Some(chunk) = merged.next().await {
            let chunk = chunk?;
            match agg.as_mut() {
                Some(a) => tables.extend(a.push(chunk)),
                None => {
                    let (tc, new_table) = raw.convert(chunk);
                    match tables.last_mut() {
                        Some(last) if !new_table => {
                            append_chunk(last, tc).map_err(ApiError::internal)?
                        }
                        _ => tables.push(tc),
                    }
                }
            }
            if std::time::Instant::now() > deadline {
                return Err(ApiError::invalid(format!(
                    "query timed out after {}s",
                    PROGRAM_TIMEOUT.as_secs()
                )));
            }
        }
        if let Some(a) = agg.as_mut() {
            tables.extend(a.finish());
        }
        used += tables.iter().map(chunk_bytes).sum::<usize>();
        if used > PROGRAM_MEMORY_LIMIT {
            return Err(ApiError::invalid(format!(
                "query exceeded memory limit of {PROGRAM_MEMORY_LIMIT} bytes"
            )));
        }
        source.insert(bucket_ref, plan, tables);
    }
    // Execute and encode (a runtime error before any output is a JSON error response).
    let mut exec = ExecCtx::new(&source, &mut interp);
    exec.memory_limit = PROGRAM_MEMORY_LIMIT.saturating_sub(used);
    exec.deadline = Some(deadline);
    let mut outputs = Vec::with_capacity(results.len());
    for (name, node) in &results {
        let tables = execute(node, &mut exec)
            .map_err(|e| ApiError::invalid(format!("runtime error: {e}")))?;
        outputs.push((name.clone(), tables));
    }
    let mut encoder = CsvEncoder::new(
        q.dialect,
        outputs.first().map_or("_result", |o| o.0.as_str()),
    );
    let mut packer = Packer::new(gzip);
    let mut out = Vec::with_capacity(FLUSH_BYTES * 2);
    for (i, (name, tables)) in outputs.iter().enumerate() {
        if i > 0 {
            encoder.begin_result(name);
        }
        for t in tables {
            encoder.begin_table(&t.meta, &mut out);
            encoder.write_rows(t, &mut out);
        }
        encoder.end_result(&mut out);
    }
    let body = packer.finish(&mut out);
    let mut resp = Response::new(RespBody::full(body));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if gzip {
        resp.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(resp)
}
