//! `POST /api/v2/delete`: deletes the points of a bucket in a time range whose series match a
//! delete predicate (grammar and semantics: `ringflux_engine::delete`).
//!
//! Order of checks (as InfluxDB 2.7's `DeleteHandler`): token (401) → body, bounded by
//! `max_body_size` (413) → JSON body: `start`, then `stop`, then `predicate` (400, every
//! message prefixed `error decoding json body: `) → `_field = …` (501) → org (400/404) →
//! bucket (400/404; `bucketID` wins over `bucket`) → write permission on the bucket (403
//! `insufficient permissions to delete`) → the engine deletes on every shard, durably → 204.
//!
//! Body: `{"start": RFC3339Nano, "stop": RFC3339Nano, "predicate": "…"}`; unknown keys are
//! ignored, a missing or `null` predicate means "every series". Times must lie in
//! `[1677-09-21T00:12:43.145224194Z, 2262-04-11T23:47:16.854775806Z]` (2.7's limits); the range
//! is inclusive at both ends.
//!
//! Departure: `start` after `stop` is a 400 here (2.7 accepts it and deletes nothing).

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::delete::{DeletePredicate, DeleteRequest, MAX_NANO, MIN_NANO};
use ringflux_engine::model::BucketId;
use serde::Deserialize;

use crate::auth::authenticate;
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::params::Params;
use crate::routes::{empty, Ctx};
use crate::scope::{resolve_bucket_param, resolve_org};

/// Prefix 2.7 puts on every error from decoding the body.
const DECODE_PREFIX: &str = "error decoding json body: ";
const BAD_START: &str = "invalid RFC3339Nano for field start, please format your time with \
                         RFC3339Nano format, example: 2009-01-02T23:00:00Z";
const BAD_STOP: &str = "invalid RFC3339Nano for field stop, please format your time with \
                        RFC3339Nano format, example: 2009-01-01T23:00:00Z";
const START_OUT_OF_RANGE: &str =
    "invalid start time, start time must not be before 1677-09-21T00:12:43.145224194Z";
const STOP_OUT_OF_RANGE: &str =
    "invalid stop time, stop time must not be after 2262-04-11T23:47:16.854775806Z";
const START_AFTER_STOP: &str = "invalid time range, start time must not be after stop time";

/// Handles `POST /api/v2/delete`.
pub async fn delete_v2(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let params = Params::parse(req.uri().query());
    let body = read_bounded(req, ctx.cfg.max_body_size).await?;
    let delete = parse_body(&body)?;
    let org = resolve_org(&snap, &params)?;
    let bucket = resolve_bucket_param(&snap, org, &params)?;
    if !auth.allows_bucket("write", bucket.org_id, bucket.id) {
        return Err(ApiError::forbidden("insufficient permissions to delete"));
    }
    let bucket_id = BucketId(bucket.id);
    drop(snap);
    ctx.engine.delete(bucket_id, delete).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    stop: Option<String>,
    #[serde(default)]
    predicate: Option<String>,
}

fn decode_error(msg: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("{DECODE_PREFIX}{msg}"))
}

/// Parses the JSON body into a [`DeleteRequest`], checking fields in 2.7's order.
pub fn parse_body(body: &[u8]) -> Result<DeleteRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(decode_error("EOF"));
    }
    let b: Body = serde_json::from_slice(body).map_err(decode_error)?;
    let start = parse_time(b.start.as_deref().unwrap_or(""))
        .ok_or_else(|| decode_error(BAD_START))?
        .filter(|t| (MIN_NANO..=MAX_NANO).contains(t))
        .ok_or_else(|| decode_error(START_OUT_OF_RANGE))?;
    let stop = parse_time(b.stop.as_deref().unwrap_or(""))
        .ok_or_else(|| decode_error(BAD_STOP))?
        .filter(|t| (MIN_NANO..=MAX_NANO).contains(t))
        .ok_or_else(|| decode_error(STOP_OUT_OF_RANGE))?;
    let predicate = DeletePredicate::parse(b.predicate.as_deref().unwrap_or("")).map_err(|e| {
        let api = ApiError::from(e);
        if api.status() == StatusCode::BAD_REQUEST {
            decode_error(api.message())
        } else {
            api
        }
    })?;
    if start > stop {
        return Err(decode_error(START_AFTER_STOP));
    }
    Ok(DeleteRequest {
        start,
        stop,
        predicate,
    })
}

/// RFC3339 with optional fraction, as Go's `time.Parse(time.RFC3339Nano, …)`: `None` if it is
/// not such a time, `Some(None)` if it is one but outside the `i64` nanosecond range.
fn parse_time(s: &str) -> Option<Option<i64>> {
    // Go's layout wants an upper-case `T` and `Z`; chrono also takes `t`, `z` and a space.
    if s.as_bytes().get(10) != Some(&b'T') || s.ends_with('z') {
        return None;
    }
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(t.timestamp_nanos_opt())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use ringflux_engine::delete::DeleteOp;

    fn msg(body: &str) -> (u16, String) {
        let e = parse_body(body.as_bytes()).unwrap_err();
        (e.status().as_u16(), e.message().to_string())
    }

    fn bad(body: &str) -> String {
        let (status, m) = msg(body);
        assert_eq!(status, 400, "{body}: {m}");
        m.strip_prefix(DECODE_PREFIX)
            .unwrap_or_else(|| panic!("{m:?} lacks the prefix"))
            .to_string()
    }

    #[test]
    fn parses_times_and_predicate() {
        let r = parse_body(
            br#"{"start":"1970-01-01T00:00:01Z","stop":"1970-01-01T00:00:02.5-01:00","predicate":"_measurement=\"m\" AND host=\"a\"","extra":1}"#,
        )
        .unwrap();
        assert_eq!(r.start, 1_000_000_000);
        assert_eq!(r.stop, 2_500_000_000 + 3_600_000_000_000);
        assert_eq!(r.predicate.conditions.len(), 2);
        assert_eq!(r.predicate.conditions[1].op, DeleteOp::Eq);
        // A missing or null predicate is "every series"; start == stop is one instant.
        for body in [
            r#"{"start":"2020-01-01T00:00:00Z","stop":"2020-01-01T00:00:00Z"}"#,
            r#"{"start":"2020-01-01T00:00:00Z","stop":"2020-01-01T00:00:00Z","predicate":null}"#,
            r#"{"start":"2020-01-01T00:00:00Z","stop":"2020-01-01T00:00:00Z","predicate":""}"#,
        ] {
            assert!(parse_body(body.as_bytes()).unwrap().predicate.is_empty());
        }
        let r = parse_body(
            br#"{"start":"1677-09-21T00:12:43.145224194Z","stop":"2262-04-11T23:47:16.854775806Z"}"#,
        )
        .unwrap();
        assert_eq!((r.start, r.stop), (MIN_NANO, MAX_NANO));
    }

    #[test]
    fn time_errors_in_2_7_order() {
        assert_eq!(bad("{}"), BAD_START);
        assert_eq!(bad(r#"{"start":"2009-01-01T23:00:00Z"}"#), BAD_STOP);
        assert_eq!(bad(r#"{"start":"2009-01-01","stop":"x"}"#), BAD_START);
        assert_eq!(bad(r#"{"start":"2009-01-01 23:00:00Z"}"#), BAD_START);
        assert_eq!(bad(r#"{"start":"2009-01-01t23:00:00Z"}"#), BAD_START);
        assert!(!bad(r#"{"start":1}"#).is_empty());
        assert_eq!(
            bad(r#"{"start":"1677-09-21T00:12:43.145224193Z","stop":"x"}"#),
            START_OUT_OF_RANGE
        );
        assert_eq!(
            bad(r#"{"start":"0001-01-01T00:00:00Z","stop":"x"}"#),
            START_OUT_OF_RANGE
        );
        assert_eq!(
            bad(r#"{"start":"2009-01-01T23:00:00Z","stop":"2262-04-11T23:47:16.854775807Z"}"#),
            STOP_OUT_OF_RANGE
        );
        assert_eq!(
            bad(r#"{"start":"2009-01-01T23:00:00Z","stop":"9999-01-01T00:00:00Z"}"#),
            STOP_OUT_OF_RANGE
        );
        assert_eq!(
            bad(r#"{"start":"2009-01-02T00:00:00Z","stop":"2009-01-01T00:00:00Z"}"#),
            START_AFTER_STOP
        );
    }

    #[test]
    fn json_and_predicate_errors() {
        assert_eq!(bad(""), "EOF");
        assert!(!bad("{").is_empty());
        assert!(!bad("[]").is_empty());
        assert_eq!(
            bad(
                r#"{"start":"2009-01-01T23:00:00Z","stop":"2019-11-10T01:00:00Z","predicate":"tag1=\"v1\" and (tag2=\"v2\" or tag3=\"v3\")"}"#
            ),
            "the logical operator OR is not supported yet at position 25"
        );
        // A bad time is reported before a bad predicate.
        assert_eq!(bad(r#"{"start":"x","predicate":"a OR"}"#), BAD_START);
        let (status, m) = msg(
            r#"{"start":"2009-01-01T23:00:00Z","stop":"2019-11-10T01:00:00Z","predicate":"_field=\"f\""}"#,
        );
        assert_eq!(
            (status, m.as_str()),
            (501, "delete by field is not supported")
        );
    }
}
