//! `POST /api/v2/query`: exact annotated CSV for a small data set, the JSON request form with
//! dialect annotations and `now`, error responses, and a large streamed result.

use std::io::{Read, Write};

use crate::http::{self, Body};
use crate::server::{csv_rows, TestServer, BUCKET, ORG, TOKEN};

const DATA: &str = "\
cpu,host=a v=1.5,i=3i 1000000000
cpu,host=b v=2 2000000000
cpu,host=a v=1e21 3000000000
disk,host=a u=5u 1500000000
mem,host=a s=\"x y\",b=true,c=\"a,b\" 1000000000
neg,host=z v=-0.25 4000000000
";

const ALL: &str = "from(bucket: \"e2e-bucket\") |> range(start: 0, stop: 10)";

fn setup() -> TestServer {
    let s = TestServer::spawn();
    s.onboard();
    let r = s.write(DATA);
    assert_eq!(r.status, 204, "{}", r.text());
    s
}

fn crlf(lines: &[&str]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out
}

fn post_query(s: &TestServer, headers: &[(&str, &str)], body: impl Into<Body>) -> http::Response {
    s.post_authed(&format!("/api/v2/query?org={ORG}"), headers, body)
}

#[test]
fn exact_csv_for_a_small_data_set() {
    let s = setup();
    let r = s.query(ALL);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(r.chunked, "query responses are streamed (chunked)");
    let h = ",result,table,_start,_stop,_time,_value,_field,_measurement,host";
    let se = "1970-01-01T00:00:00Z,1970-01-01T00:00:10Z";
    let want = crlf(&[
        h,
        &format!(",_result,0,{se},1970-01-01T00:00:01Z,3,i,cpu,a"),
        "",
        h,
        &format!(",_result,1,{se},1970-01-01T00:00:01Z,1.5,v,cpu,a"),
        &format!(",_result,1,{se},1970-01-01T00:00:03Z,1000000000000000000000,v,cpu,a"),
        &format!(",_result,2,{se},1970-01-01T00:00:02Z,2,v,cpu,b"),
        "",
        h,
        &format!(",_result,3,{se},1970-01-01T00:00:01.5Z,5,u,disk,a"),
        "",
        h,
        &format!(",_result,4,{se},1970-01-01T00:00:01Z,true,b,mem,a"),
        "",
        h,
        &format!(",_result,5,{se},1970-01-01T00:00:01Z,\"a,b\",c,mem,a"),
        &format!(",_result,6,{se},1970-01-01T00:00:01Z,x y,s,mem,a"),
        "",
        h,
        &format!(",_result,7,{se},1970-01-01T00:00:04Z,-0.25,v,neg,z"),
        "",
    ]);
    assert_eq!(r.text(), want);
}

#[test]
fn filters_and_empty_results() {
    let s = setup();
    let csv = s.query_ok(
        "from(bucket: \"e2e-bucket\") |> range(start: 0, stop: 10) |> filter(fn: (r) => r._measurement == \"cpu\" and r._field == \"v\" and r.host == \"b\")",
    );
    let h = ",result,table,_start,_stop,_time,_value,_field,_measurement,host";
    assert_eq!(
        csv,
        crlf(&[
            h,
            ",_result,0,1970-01-01T00:00:00Z,1970-01-01T00:00:10Z,1970-01-01T00:00:02Z,2,v,cpu,b",
            "",
        ])
    );
    // stop is exclusive
    let csv = s.query_ok(
        "from(bucket: \"e2e-bucket\") |> range(start: 0, stop: 2) |> filter(fn: (r) => r.host == \"b\")",
    );
    assert!(csv_rows(&csv).is_empty(), "{csv:?}");
    let csv = s.query_ok(
        "from(bucket: \"e2e-bucket\") |> range(start: 0, stop: 10) |> filter(fn: (r) => r._measurement == \"nothing\")",
    );
    assert!(csv_rows(&csv).is_empty(), "{csv:?}");
}

#[test]
fn json_request_with_annotations_and_now() {
    let s = setup();
    // 2020-01-01T00:30:00Z
    let r = s.write("nowtest,host=n v=7i 1577838600000000000\n");
    assert_eq!(r.status, 204, "{}", r.text());
    let body = serde_json::json!({
        "query": "from(bucket: \"e2e-bucket\") |> range(start: -1h) |> filter(fn: (r) => r._measurement == \"nowtest\")",
        "type": "flux",
        "now": "2020-01-01T01:00:00Z",
        "dialect": {"annotations": ["datatype", "group", "default"]},
    });
    let r = post_query(
        &s,
        &[("Content-Type", "application/json")],
        body.to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        crlf(&[
            "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string",
            "#group,false,false,true,true,false,false,true,true,true",
            "#default,_result,,,,,,,,",
            ",result,table,_start,_stop,_time,_value,_field,_measurement,host",
            ",,0,2020-01-01T00:00:00Z,2020-01-01T01:00:00Z,2020-01-01T00:30:00Z,7,v,nowtest,n",
            "",
        ])
    );

    let body = serde_json::json!({
        "query": ALL.to_string() + " |> filter(fn: (r) => r._measurement == \"mem\")",
        "dialect": {"annotations": ["datatype", "group", "default"]},
    });
    let r = post_query(&s, &[], body.to_string());
    assert_eq!(r.status, 200, "{}", r.text());
    let h = ",result,table,_start,_stop,_time,_value,_field,_measurement,host";
    let se = "1970-01-01T00:00:00Z,1970-01-01T00:00:10Z,1970-01-01T00:00:01Z";
    assert_eq!(
        r.text(),
        crlf(&[
            "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,boolean,string,string,string",
            "#group,false,false,true,true,false,false,true,true,true",
            "#default,_result,,,,,,,,",
            h,
            &format!(",,0,{se},true,b,mem,a"),
            "",
            "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string",
            "#group,false,false,true,true,false,false,true,true,true",
            "#default,_result,,,,,,,,",
            h,
            &format!(",,1,{se},\"a,b\",c,mem,a"),
            &format!(",,2,{se},x y,s,mem,a"),
            "",
        ])
    );
}

fn assert_json_error(
    name: &str,
    r: &http::Response,
    status: u16,
    code: &str,
    message: &str,
    prefix: bool,
) {
    assert_eq!(
        r.status,
        status,
        "{name}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8"),
        "{name}"
    );
    let v = r.json();
    assert_eq!(v["code"], code, "{name}: {v}");
    let m = v["message"].as_str().unwrap();
    if prefix {
        assert!(
            m.starts_with(message),
            "{name}: {m:?} lacks prefix {message:?}"
        );
    } else {
        assert_eq!(m, message, "{name}");
    }
}

#[test]
fn query_errors() {
    let s = setup();
    let flux = [("Content-Type", "application/vnd.flux")];
    let r = post_query(&s, &flux, "from(bucket: \"e2e-bucket\"");
    assert_json_error("syntax", &r, 400, "invalid", "compilation failed: ", true);
    let r = post_query(
        &s,
        &flux,
        "from(bucket: \"e2e-bucket\") |> range(start: 0) |> nosuchfn(x: 1)",
    );
    assert_json_error(
        "unsupported fn",
        &r,
        400,
        "invalid",
        "compilation failed: ",
        true,
    );
    let r = post_query(&s, &flux, "from(bucket: \"nope\") |> range(start: 0)");
    assert_json_error(
        "unknown bucket",
        &r,
        404,
        "not found",
        "failed to initialize execute state: could not find bucket \"nope\"",
        false,
    );
    let r = post_query(&s, &[], "{not json");
    assert_json_error(
        "bad json",
        &r,
        400,
        "invalid",
        "failed to decode request body: ",
        true,
    );
    let r = post_query(&s, &[], "{\"dialect\": {}}");
    assert_json_error("no query", &r, 400, "invalid", "query is required", false);
    let r = http::request(
        s.addr(),
        "POST",
        &format!("/api/v2/query?org={ORG}"),
        &flux,
        ALL,
    );
    assert_json_error(
        "no token",
        &r,
        401,
        "unauthorized",
        "unauthorized access",
        false,
    );
    let r = http::request(
        s.addr(),
        "POST",
        "/api/v2/query?org=nope",
        &[("Authorization", &format!("Token {TOKEN}")), flux[0]],
        ALL,
    );
    assert_json_error(
        "unknown org",
        &r,
        404,
        "not found",
        "organization name \"nope\" not found",
        false,
    );
}

#[test]
fn large_result_streams_completely_and_in_order() {
    const SERIES: usize = 100;
    const PER: usize = 2000;
    let s = TestServer::spawn();
    s.onboard();
    let mut c = s.client();
    let tok = format!("Token {TOKEN}");
    let path = format!("/api/v2/write?org={ORG}&bucket={BUCKET}");
    // 10 requests of 20k points; each request covers 10 series fully.
    for chunk in 0..10 {
        let mut body = String::with_capacity(20_000 * 40);
        for sidx in chunk * 10..chunk * 10 + 10 {
            for p in 0..PER {
                body.push_str(&format!("large,s=s{sidx:03} v={p}i {}\n", (p + 1) * 1000));
            }
        }
        let r = c
            .request("POST", &path, &[("Authorization", &tok)], body)
            .unwrap();
        assert_eq!(r.status, 204, "{}", r.text());
    }

    // A client that goes away mid-stream must not hurt the server.
    {
        let mut raw = std::net::TcpStream::connect(s.addr()).unwrap();
        let q = "from(bucket: \"e2e-bucket\") |> range(start: 0)";
        let req = format!(
            "POST /api/v2/query?org={ORG} HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\nContent-Type: application/vnd.flux\r\nContent-Length: {}\r\n\r\n{q}",
            q.len()
        );
        raw.write_all(req.as_bytes()).unwrap();
        let mut buf = [0u8; 4096];
        let _ = raw.read(&mut buf).unwrap();
    }

    let r = c
        .request(
            "POST",
            &format!("/api/v2/query?org={ORG}"),
            &[("Authorization", &tok), ("Content-Type", "application/vnd.flux")],
            "from(bucket: \"e2e-bucket\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"large\")",
        )
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.chunked);
    let text = r.text();
    assert!(text.ends_with("\r\n\r\n"), "result not terminated");
    let mut rows = 0usize;
    let mut expect_series = 0usize;
    let mut expect_p = 0usize;
    let mut header = None::<&str>;
    for line in text.split("\r\n") {
        if line.is_empty() {
            header = None;
            continue;
        }
        if header.is_none() {
            assert_eq!(
                line,
                ",result,table,_start,_stop,_time,_value,_field,_measurement,s"
            );
            header = Some(line);
            continue;
        }
        let cells: Vec<&str> = line.split(',').collect();
        if expect_p == PER {
            expect_series += 1;
            expect_p = 0;
        }
        assert_eq!(
            cells[2],
            expect_series.to_string(),
            "table id at row {rows}"
        );
        assert_eq!(
            cells[9],
            format!("s{expect_series:03}"),
            "series at row {rows}"
        );
        assert_eq!(cells[6], expect_p.to_string(), "value at row {rows}");
        rows += 1;
        expect_p += 1;
    }
    assert_eq!(rows, SERIES * PER);
    assert_eq!(expect_series, SERIES - 1);
    assert_eq!(expect_p, PER);
}

#[test]
fn gzip_response_when_accepted() {
    let s = setup();
    let plain = post_query(&s, &[("Content-Type", "application/vnd.flux")], ALL);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    let gz = post_query(
        &s,
        &[
            ("Content-Type", "application/vnd.flux"),
            ("Accept-Encoding", "gzip"),
        ],
        ALL,
    );
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut decoded = Vec::new();
    flate2::read::MultiGzDecoder::new(gz.body.as_slice())
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain.body);
    // `q=0` refuses gzip.
    let refused = post_query(
        &s,
        &[
            ("Content-Type", "application/vnd.flux"),
            ("Accept-Encoding", "gzip;q=0"),
        ],
        ALL,
    );
    assert_eq!(refused.header("content-encoding"), None);
    assert_eq!(refused.body, plain.body);
}
