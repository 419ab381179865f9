//! Lifecycle and small routes: `/ping`, `/health`, `/ready`, `GET /api/v2`, onboarding, 404 and
//! 405, keep-alive, configuration from a TOML file and the environment, SIGTERM.

use crate::http::{self, Body};
use crate::server::{TestServer, BUCKET, ORG, TOKEN};

#[test]
fn ping_health_ready_and_routes() {
    let s = TestServer::spawn();
    for method in ["GET", "HEAD"] {
        let r = http::request(s.addr(), method, "/ping", &[], Body::None);
        assert_eq!(r.status, 204, "{method} /ping");
        assert!(r.body.is_empty());
        let v = r.header("x-influxdb-version").unwrap_or_default();
        assert!(v.starts_with("v2.7"), "{method} /ping version {v:?}");
        assert_eq!(r.header("x-influxdb-build"), Some("OSS"), "{method} /ping");
    }

    let r = http::request(s.addr(), "GET", "/health", &[], Body::None);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let v = r.json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec!["checks", "commit", "message", "name", "status", "version"]
    );
    assert_eq!(v["name"], "influxdb");
    assert_eq!(v["message"], "ready for queries and writes");
    assert_eq!(v["status"], "pass");
    assert_eq!(v["checks"], serde_json::json!([]));
    assert!(v["version"].as_str().unwrap().starts_with("v2.7"));
    assert!(!v["commit"].as_str().unwrap().is_empty());

    let r = http::request(s.addr(), "GET", "/ready", &[], Body::None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ready");

    let r = http::request(s.addr(), "GET", "/api/v2", &[], Body::None);
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["write"], "/api/v2/write");
    assert_eq!(v["setup"], "/api/v2/setup");
    assert_eq!(v["query"]["self"], "/api/v2/query");
    assert_eq!(v["system"]["health"], "/health");
}

#[test]
fn not_found_and_method_not_allowed() {
    let s = TestServer::spawn();
    for path in ["/nope", "/api/v2/nope", "/api/v3/write"] {
        let r = http::request(s.addr(), "GET", path, &[], Body::None);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let v = r.json();
        assert_eq!(v["code"], "not found", "{path}");
        assert_eq!(v["message"], "path not found", "{path}");
    }
    for (method, path) in [
        ("GET", "/api/v2/write"),
        ("PUT", "/api/v2/query"),
        ("POST", "/ping"),
        ("DELETE", "/health"),
    ] {
        let r = http::request(s.addr(), method, path, &[], Body::None);
        assert_eq!(r.status, 405, "{method} {path}");
        let v = r.json();
        assert_eq!(v["code"], "method not allowed", "{method} {path}");
        assert_eq!(v["message"], "method not allowed", "{method} {path}");
    }
}

#[test]
fn onboarding_once() {
    let s = TestServer::spawn();
    let r = http::request(s.addr(), "GET", "/api/v2/setup", &[], Body::None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"allowed": true}));

    let short = serde_json::json!({"username":"u","password":"short","org":"o","bucket":"b"});
    let r = http::request(s.addr(), "POST", "/api/v2/setup", &[], short.to_string());
    assert_eq!(r.status, 400, "{}", r.text());
    let v = r.json();
    assert_eq!(v["code"], "invalid");
    assert_eq!(v["message"], "passwords must be at least 8 characters long");

    let v = s.onboard_json();
    assert_eq!(v["auth"]["token"], TOKEN);
    assert_eq!(v["org"]["name"], ORG);
    assert_eq!(v["bucket"]["name"], BUCKET);
    assert_eq!(v["user"]["name"], "e2e-user");
    assert_eq!(v["bucket"]["orgID"], v["org"]["id"]);

    let r = http::request(s.addr(), "GET", "/api/v2/setup", &[], Body::None);
    assert_eq!(r.json(), serde_json::json!({"allowed": false}));
    let again = serde_json::json!({"username":"u","password":"password1","org":"o","bucket":"b"});
    let r = http::request(s.addr(), "POST", "/api/v2/setup", &[], again.to_string());
    assert_eq!(r.status, 422, "{}", r.text());
    let v = r.json();
    assert_eq!(v["code"], "conflict");
    assert_eq!(v["message"], "onboarding has already been completed");
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let s = TestServer::spawn();
    s.onboard();
    let mut c = s.client();
    let tok = format!("Token {TOKEN}");
    let path = format!("/api/v2/write?org={ORG}&bucket={BUCKET}");
    for i in 0..50 {
        let r = c
            .request(
                "POST",
                &path,
                &[("Authorization", &tok)],
                format!("ka v={i} {}", i + 1),
            )
            .unwrap();
        assert_eq!(r.status, 204);
        let r = c.request("GET", "/ping", &[], Body::None).unwrap();
        assert_eq!(r.status, 204);
        // An error response keeps the connection usable too.
        let r = c
            .request("POST", &path, &[("Authorization", "Token bad")], "ka v=1 1")
            .unwrap();
        assert_eq!(r.status, 401);
    }
    let csv = s.query_ok(&format!(
        "from(bucket: \"{BUCKET}\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"ka\")"
    ));
    assert_eq!(crate::server::csv_rows(&csv).len(), 50);
}

fn two_thousand_bytes() -> String {
    let line = "cfg v=1 1\n";
    let mut b = String::new();
    while b.len() + line.len() <= 2000 {
        b.push_str(line);
    }
    b
}

#[test]
fn config_file_env_and_flag_precedence() {
    // TOML file
    let mut s = TestServer::new(&[], &[]);
    let cfg = s.root().join("ringflux.toml");
    std::fs::write(&cfg, "max-body-size = 1000\nlog-level = \"info\"\n").unwrap();
    s.set_arg("--config", cfg.to_str().unwrap());
    s.start();
    s.onboard();
    assert_eq!(
        s.write(&two_thousand_bytes()).status,
        413,
        "TOML max-body-size"
    );
    assert_eq!(s.write("cfg v=1 1\n").status, 204);
    drop(s);

    // environment
    let s = TestServer::spawn_with(&[], &[("RINGFLUX_MAX_BODY_SIZE", "1000")]);
    s.onboard();
    assert_eq!(
        s.write(&two_thousand_bytes()).status,
        413,
        "env max-body-size"
    );
    drop(s);

    // flag beats environment
    let s = TestServer::spawn_with(
        &["--max-body-size", "5000"],
        &[("RINGFLUX_MAX_BODY_SIZE", "1000")],
    );
    s.onboard();
    let r = s.write(&two_thousand_bytes());
    assert_eq!(r.status, 204, "flag must beat env: {}", r.text());
    drop(s);

    // an unknown key in the file is refused with its name
    let mut s = TestServer::new(&[], &[]);
    let cfg = s.root().join("bad.toml");
    std::fs::write(&cfg, "max-bodysize = 1000\n").unwrap();
    s.set_arg("--config", cfg.to_str().unwrap());
    let err = s.try_start().expect_err("unknown key must fail");
    assert!(!err.status.unwrap().success());
    assert!(err.stderr.contains("max-bodysize"), "{}", err.stderr);
}

#[test]
fn sigterm_exits_zero_and_logs() {
    let mut s = TestServer::spawn();
    let status = s.terminate();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let log = s.stderr();
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("ringflux stopped cleanly"), "{log}");
}
