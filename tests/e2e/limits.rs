//! `--max-body-size`: the 413 from a declared length, from a chunked body and from a gzip body
//! that decompresses past the cap; bodies of exactly the cap are accepted.

use crate::http::{self, Body};
use crate::server::{csv_rows, TestServer, BUCKET, ORG};
use crate::write_v2::gzip;

const CAP: usize = 1000;
const TOO_LARGE: &str = "unable to read data: points batch is too large";

/// A valid line-protocol body of exactly `len` bytes (one line, padded in a tag value).
fn body_of_len(measurement: &str, len: usize) -> Vec<u8> {
    let fixed = format!("{measurement},pad= v=1 1\n").len();
    let pad = "p".repeat(len - fixed);
    let b = format!("{measurement},pad={pad} v=1 1\n").into_bytes();
    assert_eq!(b.len(), len);
    b
}

fn post(s: &TestServer, headers: &[(&str, &str)], body: Body) -> http::Response {
    s.post_authed(
        &format!("/api/v2/write?org={ORG}&bucket={BUCKET}"),
        headers,
        body,
    )
}

fn assert_413(name: &str, r: &http::Response) {
    assert_eq!(
        r.status,
        413,
        "{name}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("x-platform-error-code"), Some("request too large"));
    let v = r.json();
    assert_eq!(v["code"], "request too large", "{name}");
    assert_eq!(v["message"], TOO_LARGE, "{name}");
}

fn count(s: &TestServer, measurement: &str) -> usize {
    let csv = s.query_ok(&format!(
        "from(bucket: \"{BUCKET}\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"{measurement}\")"
    ));
    csv_rows(&csv).len()
}

#[test]
fn body_size_cap() {
    let s = TestServer::spawn_with(&["--max-body-size", &CAP.to_string()], &[]);
    s.onboard();

    // Exactly the cap: accepted, plain, chunked and gzip.
    let r = post(&s, &[], Body::Full(body_of_len("exact", CAP)));
    assert_eq!(r.status, 204, "exact: {}", r.text());
    let b = body_of_len("exactchunked", CAP);
    let r = post(
        &s,
        &[],
        Body::Chunked(vec![b[..400].to_vec(), b[400..].to_vec()]),
    );
    assert_eq!(r.status, 204, "exact chunked: {}", r.text());
    let r = post(
        &s,
        &[("Content-Encoding", "gzip")],
        Body::Full(gzip(&body_of_len("exactgz", CAP))),
    );
    assert_eq!(r.status, 204, "exact gzip: {}", r.text());

    // One byte over, and well over, by declared length.
    assert_413(
        "content-length cap+1",
        &post(&s, &[], Body::Full(body_of_len("over", CAP + 1))),
    );
    assert_413(
        "content-length 2x",
        &post(&s, &[], Body::Full(body_of_len("over", 2 * CAP))),
    );
    // Chunked: no declared length, the server must count.
    let b = body_of_len("overchunked", 3 * CAP);
    assert_413(
        "chunked",
        &post(
            &s,
            &[],
            Body::Chunked(b.chunks(600).map(|c| c.to_vec()).collect()),
        ),
    );
    let b = body_of_len("overchunked", CAP + 1);
    assert_413(
        "chunked cap+1",
        &post(
            &s,
            &[],
            Body::Chunked(vec![b[..CAP].to_vec(), b[CAP..].to_vec()]),
        ),
    );
    // gzip: small on the wire, over the cap once decompressed.
    let gz = gzip(&body_of_len("overgz", 20 * CAP));
    assert!(gz.len() < CAP);
    assert_413(
        "gzip bomb",
        &post(&s, &[("Content-Encoding", "gzip")], Body::Full(gz)),
    );
    let gz = gzip(&body_of_len("overgz", CAP + 1));
    assert_413(
        "gzip cap+1",
        &post(&s, &[("Content-Encoding", "gzip")], Body::Full(gz)),
    );

    assert_eq!(count(&s, "exact"), 1);
    assert_eq!(count(&s, "exactchunked"), 1);
    assert_eq!(count(&s, "exactgz"), 1);
    assert_eq!(count(&s, "over"), 0);
    assert_eq!(count(&s, "overchunked"), 0);
    assert_eq!(count(&s, "overgz"), 0);

    // The server still works normally after the rejections.
    let r = post(&s, &[], Body::from("after v=1 1\n"));
    assert_eq!(r.status, 204, "{}", r.text());
}

#[test]
fn default_cap_accepts_a_few_megabytes() {
    let s = TestServer::spawn();
    s.onboard();
    let mut body = String::new();
    let mut i = 0u64;
    while body.len() < 3_000_000 {
        body.push_str(&format!("big,s=s{} v={i} {}\n", i % 50, i + 1));
        i += 1;
    }
    let r = post(&s, &[], Body::from(body));
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(count(&s, "big") as u64, i);
}
