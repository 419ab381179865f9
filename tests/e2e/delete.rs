//! `POST /api/v2/delete`: every rejection with its exact status, code and message (InfluxDB
//! 2.7's where known), in 2.7's order of checks; the deletion itself is tested through the
//! official Python client (`tests/python/test_delete.py`) once the storage side is wired.

use crate::http::{self, Body};
use crate::server::{TestServer, BUCKET, ORG, TOKEN};

const OK_BODY: &str = r#"{"start":"2024-01-01T00:00:00Z","stop":"2024-01-02T00:00:00Z","predicate":"_measurement=\"m\" AND host=\"a\""}"#;

struct Case {
    name: &'static str,
    query: String,
    token: Option<String>,
    body: String,
    status: u16,
    code: &'static str,
    message: String,
}

fn case(name: &'static str, status: u16, code: &'static str, message: &str) -> Case {
    Case {
        name,
        query: format!("org={ORG}&bucket={BUCKET}"),
        token: Some(TOKEN.to_string()),
        body: OK_BODY.to_string(),
        status,
        code,
        message: message.to_string(),
    }
}

fn body_case(name: &'static str, body: &str, message: &str) -> Case {
    let mut c = case(
        name,
        400,
        "invalid",
        &format!("error decoding json body: {message}"),
    );
    c.body = body.to_string();
    c
}

fn check(s: &TestServer, c: &Case) -> Result<(), String> {
    let auth = c.token.as_ref().map(|t| format!("Token {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let r = http::request(
        s.addr(),
        "POST",
        &format!("/api/v2/delete?{}", c.query),
        &headers,
        Body::from(c.body.as_str()),
    );
    let ctx = format!("case {:?}: {} {:?}", c.name, r.status, r.text());
    if r.status != c.status {
        return Err(format!("{ctx}: want status {}", c.status));
    }
    if r.header("content-type") != Some("application/json; charset=utf-8")
        || r.header("x-platform-error-code") != Some(c.code)
    {
        return Err(format!("{ctx}: headers {:?}", r.headers));
    }
    let v = r.json();
    if v["code"] != c.code || v["message"] != c.message.as_str() {
        return Err(format!("{ctx}: want {:?} {:?}", c.code, c.message));
    }
    Ok(())
}

#[test]
fn delete_error_paths() {
    let s = TestServer::spawn();
    s.onboard();
    let mut cases = Vec::new();

    let mut c = case("no token", 401, "unauthorized", "unauthorized access");
    c.token = None;
    cases.push(c);
    let mut c = case("wrong token", 401, "unauthorized", "unauthorized access");
    c.token = Some("nope".into());
    c.query = "org=nope&bucket=nope".into();
    c.body = "{".into();
    cases.push(c);

    // The body is checked before org and bucket, as 2.7 does.
    let mut c = body_case("body before org", "{}", "");
    c.query = String::new();
    c.message = "error decoding json body: invalid RFC3339Nano for field start, please format \
                 your time with RFC3339Nano format, example: 2009-01-02T23:00:00Z"
        .into();
    cases.push(c);
    cases.push(body_case("empty body", "", "EOF"));
    cases.push(body_case(
        "missing stop",
        r#"{"start":"2009-01-01T23:00:00Z"}"#,
        "invalid RFC3339Nano for field stop, please format your time with RFC3339Nano format, \
         example: 2009-01-01T23:00:00Z",
    ));
    cases.push(body_case(
        "start too soon",
        r#"{"start":"1677-09-21T00:12:43.145224193Z","stop":"2009-01-01T23:00:00Z"}"#,
        "invalid start time, start time must not be before 1677-09-21T00:12:43.145224194Z",
    ));
    cases.push(body_case(
        "stop too late",
        r#"{"start":"2009-01-01T23:00:00Z","stop":"2262-04-11T23:47:16.854775807Z"}"#,
        "invalid stop time, stop time must not be after 2262-04-11T23:47:16.854775806Z",
    ));
    cases.push(body_case(
        "start after stop",
        r#"{"start":"2009-01-02T00:00:00Z","stop":"2009-01-01T00:00:00Z"}"#,
        "invalid time range, start time must not be after stop time",
    ));
    cases.push(body_case(
        "or",
        r#"{"start":"2009-01-01T23:00:00Z","stop":"2019-11-10T01:00:00Z","predicate":"tag1=\"v1\" and (tag2=\"v2\" or tag3=\"v3\")"}"#,
        "the logical operator OR is not supported yet at position 25",
    ));
    cases.push(body_case(
        "regex",
        r#"{"start":"2009-01-01T23:00:00Z","stop":"2019-11-10T01:00:00Z","predicate":"host=~/a/"}"#,
        r#"operator: "=~" at position: 4 is not supported yet"#,
    ));
    cases.push(body_case(
        "single-quoted value",
        r#"{"start":"2009-01-01T23:00:00Z","stop":"2019-11-10T01:00:00Z","predicate":"host='a'"}"#,
        r#"bad tag value: "a", at position 5"#,
    ));
    cases.push(body_case(
        "unbalanced",
        r#"{"start":"2009-01-01T23:00:00Z","stop":"2019-11-10T01:00:00Z","predicate":"(a=\"b\""}"#,
        "extra ( seen",
    ));
    let mut c = case(
        "field",
        501,
        "not implemented",
        "delete by field is not supported",
    );
    c.body = r#"{"start":"2009-01-01T23:00:00Z","stop":"2019-11-10T01:00:00Z","predicate":"_measurement=\"m\" AND _field=\"f\""}"#.into();
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
        "unknown org",
        404,
        "not found",
        "organization name \"nope\" not found",
    );
    c.query = format!("org=nope&bucket={BUCKET}");
    cases.push(c);
    let mut c = case(
        "missing bucket",
        400,
        "invalid",
        "Please provide either bucketID or bucket",
    );
    c.query = format!("org={ORG}");
    cases.push(c);
    let mut c = case(
        "unknown bucket",
        404,
        "not found",
        "bucket \"nope\" not found",
    );
    c.query = format!("org={ORG}&bucket=nope");
    cases.push(c);
    let mut c = case("unknown bucketID", 404, "not found", "bucket not found");
    c.query = format!("org={ORG}&bucketID=0123456789abcdef");
    cases.push(c);
    let mut c = case(
        "short bucketID",
        400,
        "invalid",
        "id must have a length of 16 bytes",
    );
    c.query = format!("org={ORG}&bucketID=abc");
    cases.push(c);
    // bucketID wins over bucket.
    let mut c = case("bucketID first", 404, "not found", "bucket not found");
    c.query = format!("org={ORG}&bucket={BUCKET}&bucketID=0123456789abcdef");
    cases.push(c);

    let failures: Vec<String> = cases.iter().filter_map(|c| check(&s, c).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let r = http::request(
        s.addr(),
        "GET",
        "/api/v2/delete",
        &[("Authorization", &format!("Token {TOKEN}"))],
        Body::None,
    );
    assert_eq!(r.status, 405);
}

#[test]
fn delete_body_is_bounded() {
    let s = TestServer::spawn_with(&["--max-body-size", "256"], &[]);
    s.onboard();
    let pred = "a=\\\"b\\\" AND ".repeat(40);
    let body = format!(
        r#"{{"start":"2009-01-01T23:00:00Z","stop":"2019-11-10T01:00:00Z","predicate":"{pred}c=\"d\""}}"#
    );
    let r = s.post_authed(
        &format!("/api/v2/delete?org={ORG}&bucket={BUCKET}"),
        &[],
        Body::from(body.as_str()),
    );
    assert_eq!(r.status, 413, "{}", r.text());
}

/// A valid request passes every check and reaches the engine: the only possible answers are
/// the engine's (204 once the storage side is wired; 503 "delete is not wired yet" before).
#[test]
fn valid_delete_reaches_the_engine() {
    let s = TestServer::spawn();
    s.onboard();
    for q in [
        format!("org={ORG}&bucket={BUCKET}"),
        format!("org={ORG}&bucket={BUCKET}&bucketID="),
    ] {
        let r = s.post_authed(
            &format!("/api/v2/delete?{q}"),
            &[("Content-Type", "application/json")],
            Body::from(OK_BODY),
        );
        assert!(
            r.status == 204 || (r.status == 503 && r.text().contains("not wired")),
            "{q}: {} {}",
            r.status,
            r.text()
        );
    }
}
