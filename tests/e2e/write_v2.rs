//! `POST /api/v2/write`: every error path with its exact status, code and message, and the
//! semantics of accepted writes (Bearer, bucket/org by ID, gzip, partial writes, merges,
//! precision, server-side timestamps).

use std::io::Write as _;

use crate::http::{self, Body};
use crate::server::{csv_rows, now_ns, TestServer, BUCKET, ORG, TOKEN};

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// One error case: request parts and the expected response.
struct Case {
    name: &'static str,
    query: String,
    headers: Vec<(&'static str, String)>,
    body: Body,
    status: u16,
    code: &'static str,
    /// Exact message, or a prefix when `prefix` is true.
    message: String,
    prefix: bool,
    line: Option<u64>,
}

fn token_header() -> (&'static str, String) {
    ("Authorization", format!("Token {TOKEN}"))
}

fn ok_query() -> String {
    format!("org={ORG}&bucket={BUCKET}")
}

fn case(name: &'static str, status: u16, code: &'static str, message: &str) -> Case {
    Case {
        name,
        query: ok_query(),
        headers: vec![token_header()],
        body: Body::from("errcase v=1 1\n"),
        status,
        code,
        message: message.to_string(),
        prefix: false,
        line: None,
    }
}

/// Asserts `r` is the JSON error described by `c`.
fn check_error(c: &Case, r: &http::Response) {
    let ctx = format!(
        "case {:?}: body {:?}",
        c.name,
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.status, c.status, "{ctx}");
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8"),
        "{ctx}"
    );
    assert_eq!(r.header("x-platform-error-code"), Some(c.code), "{ctx}");
    let v = r.json();
    assert_eq!(v["code"], c.code, "{ctx}");
    let msg = v["message"].as_str().unwrap_or_else(|| panic!("{ctx}"));
    if c.prefix {
        assert!(
            msg.starts_with(&c.message),
            "{ctx}: want prefix {:?}",
            c.message
        );
    } else {
        assert_eq!(msg, c.message, "{ctx}");
    }
    match c.line {
        Some(l) => assert_eq!(v["line"], l, "{ctx}"),
        None => assert!(v.get("line").is_none(), "{ctx}"),
    }
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    let allowed = ["code", "message", "line"];
    assert!(keys.iter().all(|k| allowed.contains(&k.as_str())), "{ctx}");
}

#[test]
fn write_error_paths() {
    let s = TestServer::spawn();
    s.onboard();
    let mut cases = Vec::new();

    let mut c = case("no token", 401, "unauthorized", "unauthorized access");
    c.headers.clear();
    cases.push(c);
    let mut c = case("wrong token", 401, "unauthorized", "unauthorized access");
    c.headers = vec![("Authorization", "Token not-the-token".into())];
    cases.push(c);
    let mut c = case("basic scheme", 401, "unauthorized", "unauthorized access");
    c.headers = vec![("Authorization", format!("Basic {TOKEN}"))];
    cases.push(c);
    let mut c = case("empty token", 401, "unauthorized", "unauthorized access");
    c.headers = vec![("Authorization", "Token ".into())];
    cases.push(c);
    // 401 comes before anything else, even an unknown org.
    let mut c = case(
        "bad token and org",
        401,
        "unauthorized",
        "unauthorized access",
    );
    c.headers = vec![("Authorization", "Token nope".into())];
    c.query = "org=nope&bucket=nope".into();
    cases.push(c);

    let mut c = case(
        "unknown org",
        404,
        "not found",
        "organization name \"nope\" not found",
    );
    c.query = format!("org=nope&bucket={BUCKET}");
    cases.push(c);
    let mut c = case(
        "missing org",
        400,
        "invalid",
        "Please provide either orgID or org",
    );
    c.query = format!("bucket={BUCKET}");
    cases.push(c);
    let mut c = case(
        "unknown bucket",
        404,
        "not found",
        "bucket \"nope\" not found",
    );
    c.query = format!("org={ORG}&bucket=nope");
    cases.push(c);
    let mut c = case("missing bucket", 404, "not found", "bucket not found");
    c.query = format!("org={ORG}");
    cases.push(c);
    let mut c = case(
        "bad precision",
        400,
        "invalid",
        "invalid precision; valid precision units are ns, us, ms, and s",
    );
    c.query = format!("{}&precision=h", ok_query());
    cases.push(c);
    let mut c = case(
        "precision checked before bucket",
        400,
        "invalid",
        "invalid precision; valid precision units are ns, us, ms, and s",
    );
    c.query = format!("org={ORG}&bucket=nope&precision=seconds");
    cases.push(c);

    let mut c = case("bad gzip", 400, "invalid", "");
    c.headers.push(("Content-Encoding", "gzip".into()));
    c.body = Body::from("errcase v=1 1\n");
    c.prefix = true;
    cases.push(c);
    let mut c = case("truncated gzip", 400, "invalid", "");
    c.headers.push(("Content-Encoding", "gzip".into()));
    let gz = gzip(b"errcase v=1 1\nerrcase v=2 2\n");
    c.body = Body::Full(gz[..gz.len() - 6].to_vec());
    c.prefix = true;
    cases.push(c);
    let mut c = case(
        "unsupported encoding",
        415,
        "unsupported media type",
        "Content-Encoding must be gzip or identity",
    );
    c.headers.push(("Content-Encoding", "br".into()));
    cases.push(c);

    let mut c = case(
        "bad third line",
        400,
        "invalid",
        "unable to parse 'errcase,t=x v=': missing field value",
    );
    c.body = Body::from("errcase v=1 1\nerrcase v=2 2\nerrcase,t=x v=\nerrcase v=4 4\n");
    c.line = Some(3);
    cases.push(c);
    let mut c = case(
        "two bad lines",
        400,
        "invalid",
        "unable to parse 'errcase v=1 x': bad timestamp\nunable to parse 'errcase': missing fields",
    );
    c.body = Body::from("errcase v=1 1\nerrcase v=1 x\nerrcase v=3 3\nerrcase\n");
    c.line = Some(2);
    cases.push(c);

    let mut failures = Vec::new();
    for c in &cases {
        let headers: Vec<(&str, &str)> = c.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = http::request(
            s.addr(),
            "POST",
            &format!("/api/v2/write?{}", c.query),
            &headers,
            c.body.clone(),
        );
        if let Err(e) = std::panic::catch_unwind(|| check_error(c, &r)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(msg);
        }
    }
    // None of the failed requests may have stored anything.
    let csv = s.query_ok(&format!(
        "from(bucket: \"{BUCKET}\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"errcase\")"
    ));
    if !csv_rows(&csv).is_empty() {
        failures.push(format!("rejected writes stored points: {csv:?}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn read_all(s: &TestServer, measurement: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let csv = s.query_ok(&format!(
        "from(bucket: \"{BUCKET}\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"{measurement}\")"
    ));
    csv_rows(&csv)
}

/// `(time, field, value)` of every row.
fn tfv(rows: &[std::collections::BTreeMap<String, String>]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|r| (r["_time"].clone(), r["_field"].clone(), r["_value"].clone()))
        .collect()
}

fn t(s: &str) -> String {
    s.to_string()
}

#[test]
fn bearer_bucket_id_org_id_and_gzip_are_accepted() {
    let s = TestServer::spawn();
    let v = s.onboard_json();
    let bucket_id = v["bucket"]["id"].as_str().unwrap().to_string();
    let org_id = v["org"]["id"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {TOKEN}");
    let tok = format!("Token {TOKEN}");

    let r = http::request(
        s.addr(),
        "POST",
        &format!("/api/v2/write?org={ORG}&bucket={BUCKET}"),
        &[("Authorization", &bearer)],
        "acc,via=bearer v=1 1000000000",
    );
    assert_eq!(r.status, 204, "bearer: {}", r.text());
    assert!(r.body.is_empty());

    let r = http::request(
        s.addr(),
        "POST",
        &format!("/api/v2/write?org={ORG}&bucket={bucket_id}"),
        &[("Authorization", &tok)],
        "acc,via=bucketid v=2 2000000000",
    );
    assert_eq!(r.status, 204, "bucket id: {}", r.text());

    let r = http::request(
        s.addr(),
        "POST",
        &format!("/api/v2/write?orgID={org_id}&bucket={BUCKET}"),
        &[("Authorization", &tok)],
        "acc,via=orgid v=3 3000000000",
    );
    assert_eq!(r.status, 204, "orgID: {}", r.text());

    let r = http::request(
        s.addr(),
        "POST",
        &format!("/api/v2/write?org={ORG}&bucket={BUCKET}"),
        &[("Authorization", &tok), ("Content-Encoding", "gzip")],
        gzip(b"acc,via=gzip v=4 4000000000\n"),
    );
    assert_eq!(r.status, 204, "gzip: {}", r.text());

    let rows = read_all(&s, "acc");
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r["via"].clone(), r["_value"].clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (t("bearer"), t("1")),
            (t("bucketid"), t("2")),
            (t("gzip"), t("4")),
            (t("orgid"), t("3")),
        ]
    );
}

#[test]
fn bad_line_rejects_the_whole_request() {
    let s = TestServer::spawn();
    s.onboard();
    let r = s.write("badreq v=1 1\nbadreq v=2 2\nbadreq v=\"unterminated 3\nbadreq v=4 4\n");
    assert_eq!(r.status, 400, "{}", r.text());
    let v = r.json();
    assert_eq!(v["code"], "invalid");
    assert_eq!(v["line"], 3);
    assert_eq!(
        v["message"],
        // A quoted string field may span lines, so the "line" runs to the end of the body;
        // InfluxDB strips the final newline before quoting it (models.ParsePointsWithPrecision).
        "unable to parse 'badreq v=\"unterminated 3\nbadreq v=4 4': unbalanced quotes"
    );
    assert!(read_all(&s, "badreq").is_empty());
}

#[test]
fn type_conflict_is_a_partial_write() {
    let s = TestServer::spawn();
    s.onboard();
    let r = s.write("tc v=1.5 1000000000\n");
    assert_eq!(r.status, 204, "{}", r.text());
    let r = s.write("tc v=2.5 2000000000\ntc v=3i 3000000000\ntc v=4.5 4000000000\n");
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(
        r.header("x-platform-error-code"),
        Some("unprocessable entity")
    );
    let v = r.json();
    assert_eq!(v["code"], "unprocessable entity");
    assert_eq!(
        v["message"],
        "failure writing points to database: partial write: field type conflict: input field \"v\" on measurement \"tc\" is type integer, already exists as type float dropped=1"
    );
    assert_eq!(
        tfv(&read_all(&s, "tc")),
        vec![
            (t("1970-01-01T00:00:01Z"), t("v"), t("1.5")),
            (t("1970-01-01T00:00:02Z"), t("v"), t("2.5")),
            (t("1970-01-01T00:00:04Z"), t("v"), t("4.5")),
        ]
    );
}

#[test]
fn field_named_time() {
    let s = TestServer::spawn();
    s.onboard();
    let r = s.write("tf time=1 1000000000\n");
    assert_eq!(r.status, 422, "{}", r.text());
    let v = r.json();
    assert_eq!(v["code"], "unprocessable entity");
    assert_eq!(
        v["message"],
        "failure writing points to database: partial write: invalid field name: input field \"time\" on measurement \"tf\" is invalid dropped=1"
    );
    // With another field the point is written without `time` (InfluxDB drops that field).
    let r = s.write("tf time=1,v=2 2000000000\n");
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        tfv(&read_all(&s, "tf")),
        vec![(t("1970-01-01T00:00:02Z"), t("v"), t("2"))]
    );
}

#[test]
fn duplicate_points_merge_last_write_wins_per_field() {
    let s = TestServer::spawn();
    s.onboard();
    assert_eq!(s.write("dup,h=a x=1,y=1 100\n").status, 204);
    assert_eq!(s.write("dup,h=a y=2,z=3 100\n").status, 204);
    // Within one request too.
    assert_eq!(s.write("dup,h=b v=1 100\ndup,h=b v=2 100\n").status, 204);
    let rows = read_all(&s, "dup");
    let got: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["h"].clone(),
                r["_field"].clone(),
                r["_time"].clone(),
                r["_value"].clone(),
            )
        })
        .collect();
    let ts = "1970-01-01T00:00:00.0000001Z";
    assert_eq!(
        got,
        vec![
            (t("a"), t("x"), t(ts), t("1")),
            (t("a"), t("y"), t(ts), t("2")),
            (t("a"), t("z"), t(ts), t("3")),
            (t("b"), t("v"), t(ts), t("2")),
        ]
    );
}

#[test]
fn precision_multiplies_timestamps() {
    let s = TestServer::spawn();
    s.onboard();
    for (p, m) in [("s", "ps"), ("ms", "pms"), ("us", "pus"), ("ns", "pns")] {
        let r = s.write_precision(&format!("{m} v=1 7\n"), p);
        assert_eq!(r.status, 204, "{p}: {}", r.text());
    }
    for (m, want) in [
        ("ps", "1970-01-01T00:00:07Z"),
        ("pms", "1970-01-01T00:00:00.007Z"),
        ("pus", "1970-01-01T00:00:00.000007Z"),
        ("pns", "1970-01-01T00:00:00.000000007Z"),
    ] {
        assert_eq!(
            tfv(&read_all(&s, m)),
            vec![(t(want), t("v"), t("1"))],
            "{m}"
        );
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` into nanoseconds since the epoch.
pub(crate) fn parse_rfc3339_ns(s: &str) -> i64 {
    let s = s.strip_suffix('Z').expect("UTC time");
    let (date, time) = s.split_once('T').expect("T");
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let h: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    let (y, m, day) = (d[0], d[1], d[2]);
    // days from civil (Howard Hinnant)
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut ns = 0i64;
    if !frac.is_empty() {
        let padded = format!("{frac:0<9}");
        ns = padded.parse().unwrap();
    }
    ((days * 86_400 + h[0] * 3600 + h[1] * 60 + h[2]) * 1_000_000_000) + ns
}

#[test]
fn missing_timestamp_gets_server_time_truncated_to_precision() {
    let s = TestServer::spawn();
    s.onboard();
    for (p, unit) in [("s", 1_000_000_000i64), ("ms", 1_000_000), ("ns", 1)] {
        let m = format!("nots_{p}");
        let before = now_ns();
        let r = s.write_precision(&format!("{m} v=1\n"), p);
        let after = now_ns();
        assert_eq!(r.status, 204, "{}", r.text());
        let csv = s.query_ok(&format!(
            "from(bucket: \"{BUCKET}\") |> range(start: -1h, stop: 1h) |> filter(fn: (r) => r._measurement == \"{m}\")"
        ));
        let rows = csv_rows(&csv);
        assert_eq!(rows.len(), 1, "{p}: {csv}");
        let ts = parse_rfc3339_ns(&rows[0]["_time"]);
        assert_eq!(ts % unit, 0, "{p}: {ts} not truncated");
        assert!(
            ts >= before - before % unit && ts <= after,
            "{p}: {ts} not within [{before}, {after}]"
        );
    }
}

#[test]
fn rfc3339_helper() {
    assert_eq!(parse_rfc3339_ns("1970-01-01T00:00:00Z"), 0);
    assert_eq!(
        parse_rfc3339_ns("2018-12-18T22:11:05.123Z"),
        1_545_171_065_123_000_000
    );
    assert_eq!(
        parse_rfc3339_ns("2000-02-29T00:00:00Z"),
        951_782_400_000_000_000
    );
}
