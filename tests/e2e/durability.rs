//! Durability: every acknowledged write survives SIGKILL; SIGTERM shuts down cleanly (exit 0)
//! and keeps the data; a torn WAL tail is truncated on start-up; corruption in the middle of a
//! segment stops start-up with the file and offset.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::server::{csv_rows, TestServer, BUCKET, ORG, TOKEN};

const THREADS: usize = 8;
const BATCH: usize = 50;

/// Times (ns) of every point of `measurement`, per value of tag `t`.
pub(crate) fn times_by_tag(s: &TestServer, measurement: &str) -> BTreeMap<String, Vec<i64>> {
    let csv = s.query_ok(&format!(
        "from(bucket: \"{BUCKET}\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"{measurement}\")"
    ));
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in csv_rows(&csv) {
        out.entry(r["t"].clone())
            .or_default()
            .push(crate::write_v2::parse_rfc3339_ns(&r["_time"]));
    }
    out
}

fn batch_body(thread: usize, batch: usize) -> String {
    let mut body = String::new();
    for j in 0..BATCH {
        let ts = (batch * BATCH + j + 1) as i64;
        body.push_str(&format!("dur,t=t{thread} v={ts}i {ts}\n"));
    }
    body
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let mut s = TestServer::spawn();
    s.onboard();
    let addr = s.addr();
    let acked: Arc<Mutex<Vec<Vec<usize>>>> = Arc::new(Mutex::new(vec![Vec::new(); THREADS]));
    let mut handles = Vec::new();
    for t in 0..THREADS {
        let acked = acked.clone();
        handles.push(std::thread::spawn(move || {
            let mut c = crate::http::Client::new(addr);
            let tok = format!("Token {TOKEN}");
            let path = format!("/api/v2/write?org={ORG}&bucket={BUCKET}");
            let mut b = 0usize;
            // Keep writing until the server is gone, so the kill lands mid-stream.
            loop {
                match c.request("POST", &path, &[("Authorization", &tok)], batch_body(t, b)) {
                    Ok(r) if r.status == 204 => acked.lock().unwrap()[t].push(b),
                    Ok(r) => panic!("thread {t} batch {b}: {} {}", r.status, r.text()),
                    Err(_) => break,
                }
                b += 1;
                if b > 100_000 {
                    break;
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    s.kill();
    for h in handles {
        h.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let total: usize = acked.iter().map(|v| v.len()).sum();
    assert!(
        total >= THREADS,
        "too few acknowledged batches ({total}) to test anything"
    );

    s.start();
    let got = times_by_tag(&s, "dur");
    for (t, batches) in acked.iter().enumerate() {
        let have: std::collections::BTreeSet<i64> = got
            .get(&format!("t{t}"))
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default();
        for &b in batches {
            for j in 0..BATCH {
                let ts = (b * BATCH + j + 1) as i64;
                assert!(
                    have.contains(&ts),
                    "thread {t}: acknowledged point ts={ts} (batch {b}) lost after SIGKILL; {} of {} acked batches, {} points back",
                    batches.len(),
                    total,
                    have.len()
                );
            }
        }
    }
}

#[test]
fn sigterm_exits_zero_and_keeps_data() {
    let mut s = TestServer::spawn_with(&["--storage-wal-fsync-delay", "5ms"], &[]);
    s.onboard();
    let mut body = String::new();
    for i in 0..500 {
        body.push_str(&format!("term,t=s{} v={i}i {}\n", i % 20, i + 1));
    }
    assert_eq!(s.write(&body).status, 204);
    let status = s.terminate();
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    let log = s.stderr();
    assert!(log.contains("ringflux stopped cleanly"), "{log}");
    s.start();
    let got = times_by_tag(&s, "term");
    assert_eq!(got.len(), 20);
    assert_eq!(got.values().map(|v| v.len()).sum::<usize>(), 500);
    // The onboarding survived too: a second setup is a conflict.
    let r = crate::http::request(
        s.addr(),
        "POST",
        "/api/v2/setup",
        &[],
        "{\"username\":\"x\",\"password\":\"xxxxxxxxxx\",\"org\":\"o\",\"bucket\":\"b\"}",
    );
    assert_eq!(r.status, 422, "{}", r.text());
    // And once more after a SIGKILL restart.
    s.restart();
    assert_eq!(
        times_by_tag(&s, "term")
            .values()
            .map(|v| v.len())
            .sum::<usize>(),
        500
    );
}

/// The newest WAL segment of shard 0.
fn newest_segment(s: &TestServer) -> PathBuf {
    let dir = s.engine_path().join("wal").join("shard-0000");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    names.sort();
    names.pop().expect("no WAL segment in shard-0000")
}

/// Writes `n` requests of 40 series each (so every shard gets a record per request).
fn write_requests(s: &TestServer, measurement: &str, n: usize) {
    for r in 0..n {
        let mut body = String::new();
        for i in 0..40 {
            body.push_str(&format!("{measurement},t=s{i:02} v={r}i {}\n", r + 1));
        }
        let resp = s.write(&body);
        assert_eq!(resp.status, 204, "{}", resp.text());
    }
}

fn count(s: &TestServer, measurement: &str) -> usize {
    times_by_tag(s, measurement).values().map(|v| v.len()).sum()
}

#[test]
fn torn_wal_tail_is_truncated() {
    let mut s = TestServer::spawn();
    s.onboard();
    write_requests(&s, "torn", 3);
    s.kill();
    let seg = newest_segment(&s);
    let len_before = std::fs::metadata(&seg).unwrap().len();
    // Garbage that looks like the start of a frame that never finished.
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&[0x40, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3])
        .unwrap();
    drop(f);
    s.start();
    assert_eq!(count(&s, "torn"), 120);
    assert!(
        s.stderr().contains("truncating torn WAL tail"),
        "{}",
        s.stderr()
    );
    // Writing after the truncation continues a valid log.
    write_requests(&s, "torn2", 1);
    s.kill();
    assert!(std::fs::metadata(&seg).unwrap().len() >= len_before);
    s.start();
    assert_eq!(count(&s, "torn"), 120);
    assert_eq!(count(&s, "torn2"), 40);
}

#[test]
fn corruption_in_the_middle_of_a_segment_refuses_to_start() {
    let mut s = TestServer::spawn();
    s.onboard();
    write_requests(&s, "mid", 3);
    s.kill();
    let seg = newest_segment(&s);
    let mut bytes = std::fs::read(&seg).unwrap();
    // The header takes the first 4096-byte block (every write is block-aligned); the first
    // frame's len+crc are 8 more bytes: flip a payload byte of record 1.
    let at = 4096 + 8 + 5;
    assert!(bytes.len() > at + 100, "segment too small: {}", bytes.len());
    bytes[at] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let err = s
        .try_start()
        .expect_err("start-up must fail on mid-segment corruption");
    let status = err.status.unwrap_or_else(|| {
        panic!(
            "ringflux neither started nor exited after mid-segment WAL corruption (it must exit non-zero):\n{}",
            err.stderr
        )
    });
    assert!(!status.success(), "exit status {status:?}");
    let name = seg.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        err.stderr.contains(&name),
        "stderr lacks {name}: {}",
        err.stderr
    );
    assert!(
        err.stderr.contains("offset 4096"),
        "stderr lacks the offset: {}",
        err.stderr
    );
}
