//! `/api/v2/buckets` and `/api/v2/orgs` against the real binary (2 shards): catalog mutations
//! from any core are applied by shard 0, survive a SIGKILL, and a deleted bucket is gone for
//! writes and queries while a re-created one with the same name starts empty under a new ID.

use crate::http::{self, Body, Response};
use crate::server::{csv_rows, TestServer, BUCKET, ORG, TOKEN};

fn call(s: &TestServer, method: &str, path: &str, body: Option<serde_json::Value>) -> Response {
    let tok = format!("Token {TOKEN}");
    let mut h = vec![("Authorization", tok.as_str())];
    let b = match body {
        Some(v) => {
            h.push(("Content-Type", "application/json"));
            Body::from(v.to_string())
        }
        None => Body::None,
    };
    http::request(s.addr(), method, path, &h, b)
}

fn write_to(s: &TestServer, bucket: &str, lp: &str) -> Response {
    http::request(
        s.addr(),
        "POST",
        &format!("/api/v2/write?org={ORG}&bucket={bucket}"),
        &[("Authorization", &format!("Token {TOKEN}"))],
        Body::from(lp),
    )
}

fn bucket_names(s: &TestServer) -> Vec<String> {
    let r = call(
        s,
        "GET",
        &format!("/api/v2/buckets?org={ORG}&limit=100"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn bucket_lifecycle_survives_restart_and_isolates_data_by_id() {
    let mut s = TestServer::spawn();
    let onboarding = s.onboard_json();
    let org_id = onboarding["org"]["id"].as_str().unwrap().to_string();

    // Several creations on fresh connections: whichever core accepts, shard 0 applies.
    let mut ids = Vec::new();
    for i in 0..4 {
        let r = call(
            &s,
            "POST",
            "/api/v2/buckets",
            Some(serde_json::json!({
                "orgID": org_id,
                "name": format!("b{i}"),
                "description": "d",
                "retentionRules": [{"type": "expire", "everySeconds": 86400 * 30,
                                    "shardGroupDurationSeconds": 7200}],
            })),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let v = r.json();
        assert_eq!(v["retentionRules"][0]["everySeconds"], 86400 * 30);
        assert_eq!(v["retentionRules"][0]["shardGroupDurationSeconds"], 7200);
        assert_eq!(
            v["links"]["write"],
            format!(
                "/api/v2/write?org={org_id}&bucket={}",
                v["id"].as_str().unwrap()
            )
        );
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    assert_eq!(
        bucket_names(&s),
        ["_monitoring", "_tasks", "b0", "b1", "b2", "b3", BUCKET]
    );

    // A recent point: b1 keeps 30 days (older points would be dropped with 422).
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    assert_eq!(write_to(&s, "b1", &format!("m v=1 {now_ns}\n")).status, 204);
    let r = call(&s, "DELETE", &format!("/api/v2/buckets/{}", ids[1]), None);
    assert_eq!(r.status, 204, "{}", r.text());
    let r = call(
        &s,
        "PATCH",
        &format!("/api/v2/buckets/{}", ids[2]),
        Some(serde_json::json!({"name": "b2-renamed", "description": ""})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json().get("description").is_none());

    // Everything above was durable before it was acknowledged.
    s.restart();
    assert_eq!(
        bucket_names(&s),
        ["_monitoring", "_tasks", "b0", "b2-renamed", "b3", BUCKET]
    );
    let r = write_to(&s, "b1", "m v=2 2000\n");
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["message"], "bucket \"b1\" not found");
    let r = write_to(&s, &ids[1], "m v=2 2000\n");
    assert_eq!(r.status, 404, "{}", r.text());

    // Same name again: a new ID, and none of the old bucket's points.
    let r = call(
        &s,
        "POST",
        "/api/v2/buckets",
        Some(serde_json::json!({"orgID": org_id, "name": "b1"})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let new_id = r.json()["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, ids[1]);
    assert_eq!(
        r.json()["retentionRules"][0]["shardGroupDurationSeconds"],
        604800
    );
    let csv = s.query_ok("from(bucket: \"b1\") |> range(start: 0, stop: 2100-01-01T00:00:00Z)");
    assert!(csv_rows(&csv).is_empty(), "{csv}");
}

#[test]
fn deleting_an_org_deletes_its_buckets() {
    let s = TestServer::spawn();
    s.onboard();
    let r = call(
        &s,
        "POST",
        "/api/v2/orgs",
        Some(serde_json::json!({"name": "other", "description": "x"})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let org = r.json();
    assert_eq!(org["description"], "x");
    let org_id = org["id"].as_str().unwrap();
    let r = call(
        &s,
        "POST",
        "/api/v2/buckets",
        Some(serde_json::json!({"orgID": org_id, "name": "ob"})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let bucket_id = r.json()["id"].as_str().unwrap().to_string();
    let r = call(&s, "GET", &format!("/api/v2/buckets?orgID={org_id}"), None);
    assert_eq!(r.json()["buckets"].as_array().unwrap().len(), 3);

    let r = call(&s, "DELETE", &format!("/api/v2/orgs/{org_id}"), None);
    assert_eq!(r.status, 204, "{}", r.text());
    let r = call(&s, "GET", &format!("/api/v2/buckets/{bucket_id}"), None);
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        serde_json::json!({"code": "not found", "message": "bucket not found"})
    );
    let r = call(&s, "GET", &format!("/api/v2/buckets?orgID={org_id}"), None);
    assert_eq!(r.status, 200);
    assert!(r.json()["buckets"].as_array().unwrap().is_empty());
    let r = call(&s, "GET", "/api/v2/orgs", None);
    let orgs = r.json()["orgs"].as_array().unwrap().clone();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["name"], ORG);
    assert_eq!(r.json()["links"]["self"], "/api/v2/orgs");
}

#[test]
fn concurrent_creations_from_many_connections_are_all_kept() {
    let s = TestServer::spawn();
    let org_id = s.onboard_json()["org"]["id"].as_str().unwrap().to_string();
    std::thread::scope(|scope| {
        for t in 0..6 {
            let (s, org_id) = (&s, &org_id);
            scope.spawn(move || {
                for i in 0..3 {
                    let r = call(
                        s,
                        "POST",
                        "/api/v2/buckets",
                        Some(serde_json::json!({"orgID": org_id, "name": format!("c{t}-{i}")})),
                    );
                    assert_eq!(r.status, 201, "{}", r.text());
                }
            });
        }
    });
    let names = bucket_names(&s);
    assert_eq!(names.len(), 3 + 18, "{names:?}");
}
