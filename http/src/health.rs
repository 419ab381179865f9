//! `/health`, `/ready`, `/ping`, `/metrics` and `GET /api/v2`.

use std::fmt::Write as _;

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde_json::json;

use crate::body::RespBody;
use crate::routes::{self, empty, json_response, Ctx};

/// `GET /health`: 200 when every shard recovered and none is poisoned, else 503 `fail`.
pub fn health(ctx: &Ctx) -> Response<RespBody> {
    let shared = ctx.engine.shared();
    let poisoned = shared.poisoned_shards();
    let (status, code, message) = if !shared.is_ready() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "fail",
            "recovering the write-ahead logs".to_string(),
        )
    } else if !poisoned.is_empty() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "fail",
            format!("shards {poisoned:?} are poisoned by a WAL I/O failure; restart ringflux"),
        )
    } else {
        (
            StatusCode::OK,
            "pass",
            "ready for queries and writes".to_string(),
        )
    };
    json_response(
        status,
        &json!({
            "name": "influxdb",
            "message": message,
            "status": code,
            "checks": [],
            "version": routes::INFLUXDB_VERSION,
            "commit": concat!("ringflux-", env!("CARGO_PKG_VERSION")),
        }),
    )
}

/// `GET /ready`: 200 only after every shard replayed its WAL and none is poisoned.
pub fn ready(ctx: &Ctx) -> Response<RespBody> {
    let shared = ctx.engine.shared();
    let poisoned = shared.poisoned_shards();
    let up = ctx.started_at.elapsed();
    if shared.is_ready() && poisoned.is_empty() {
        json_response(
            StatusCode::OK,
            &json!({ "status": "ready", "started": ctx.started, "up": format!("{:.3}s", up.as_secs_f64()) }),
        )
    } else {
        let mut r = json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({
                "status": if poisoned.is_empty() { "recovering" } else { "poisoned" },
                "started": ctx.started,
                "poisonedShards": poisoned,
            }),
        );
        r.headers_mut()
            .insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("1"));
        r
    }
}

/// `GET|HEAD /ping`: 204 with the version headers (added by the dispatcher).
pub fn ping() -> Response<RespBody> {
    empty(StatusCode::NO_CONTENT)
}

/// `GET /metrics`: Prometheus text with this core's shard figures.
pub fn metrics(ctx: &Ctx) -> Response<RespBody> {
    let e = &ctx.engine;
    let id = e.id();
    let st = e.shard_store_stats();
    let mut text = String::with_capacity(2048);
    let gauges: [(&str, &str, &str, u64); 9] = [
        (
            "ringflux_shard_series",
            "gauge",
            "Series held by the shard that answered.",
            e.shard_series() as u64,
        ),
        (
            "ringflux_shard_head_bytes",
            "gauge",
            "Approximate bytes of points held in memory by the shard that answered.",
            e.shard_mem_bytes() as u64,
        ),
        (
            "ringflux_storage_segments",
            "gauge",
            "Live segment files of the shard.",
            st.segments as u64,
        ),
        (
            "ringflux_storage_segment_bytes",
            "gauge",
            "Bytes in live segment files of the shard.",
            st.bytes,
        ),
        (
            "ringflux_storage_segment_points",
            "gauge",
            "Values in live segment files of the shard.",
            st.points,
        ),
        (
            "ringflux_storage_tombstones",
            "gauge",
            "Delete tombstones the shard still applies to segment files.",
            st.tombstones as u64,
        ),
        (
            "ringflux_storage_corrupt_blocks_total",
            "counter",
            "Segment blocks that failed their CRC or did not decode (never returned as data).",
            st.corrupt_blocks,
        ),
        (
            "ringflux_storage_block_cache_hits_total",
            "counter",
            "Block cache hits.",
            st.cache_hits,
        ),
        (
            "ringflux_storage_block_cache_misses_total",
            "counter",
            "Block cache misses.",
            st.cache_misses,
        ),
    ];
    for (name, kind, help, v) in gauges {
        let _ = writeln!(
            text,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{shard=\"{id}\"}} {v}"
        );
    }
    let mut r = Response::new(RespBody::full(text));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// `GET /api/v2`: the route map (`Routes` in the contract).
pub fn routes() -> Response<RespBody> {
    json_response(
        StatusCode::OK,
        &json!({
            "authorizations": "/api/v2/authorizations",
            "buckets": "/api/v2/buckets",
            "dashboards": "/api/v2/dashboards",
            "external": { "statusFeed": "https://www.influxdata.com/feed/json" },
            "flags": "/api/v2/flags",
            "me": "/api/v2/me",
            "orgs": "/api/v2/orgs",
            "query": {
                "self": "/api/v2/query",
                "ast": "/api/v2/query/ast",
                "analyze": "/api/v2/query/analyze",
                "suggestions": "/api/v2/query/suggestions"
            },
            "setup": "/api/v2/setup",
            "signin": "/api/v2/signin",
            "signout": "/api/v2/signout",
            "sources": "/api/v2/sources",
            "system": {
                "metrics": "/metrics",
                "debug": "/debug/pprof",
                "health": "/health"
            },
            "tasks": "/api/v2/tasks",
            "telegrafs": "/api/v2/telegrafs",
            "users": "/api/v2/users",
            "write": "/api/v2/write",
            "variables": "/api/v2/variables"
        }),
    )
}
