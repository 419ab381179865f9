//! Crash safety of the storage engine: SIGKILL while the daemon keeps flushing heads to segment
//! files and compacting them (tiny snapshot size, compaction at two files) loses no
//! acknowledged point and brings back no deleted point; leftovers of an interrupted flush
//! (a half-written segment, a manifest temp file) are ignored and removed on start-up.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::durability::times_by_tag;
use crate::server::{TestServer, BUCKET, ORG, TOKEN};

const THREADS: usize = 4;
const BATCH: i64 = 200;

fn body(thread: usize, round: usize, batch: i64) -> String {
    let mut out = String::new();
    for j in 0..BATCH {
        let ts = ((round as i64 * 1_000_000) + batch * BATCH + j + 1) * 1_000_000;
        out.push_str(&format!("crash,t=t{thread} v={j}i {ts}\n"));
    }
    out
}

#[test]
fn sigkill_during_flushes_and_compactions_keeps_acked_and_drops_deleted() {
    let mut s = TestServer::spawn_with(
        &[
            "--storage-cache-snapshot-memory-size",
            "32KiB",
            "--storage-compact-max-segments",
            "2",
        ],
        &[],
    );
    s.onboard();
    let mut acked: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); THREADS];
    for round in 0..4usize {
        // A series written and then deleted (both acknowledged) before the kill.
        let del: String = (0..500)
            .map(|i| {
                format!(
                    "crash,t=del v={i}i {}\n",
                    (round as i64 * 1000 + i + 1) * 1_000_000
                )
            })
            .collect();
        assert_eq!(s.write(&del).status, 204);
        let r = s.post_authed(
            &format!("/api/v2/delete?org={ORG}&bucket={BUCKET}"),
            &[("Content-Type", "application/json")],
            r#"{"start":"1970-01-01T00:00:00Z","stop":"2000-01-01T00:00:00Z","predicate":"t=\"del\""}"#,
        );
        assert_eq!(r.status, 204, "{}", r.text());

        let addr = s.addr();
        let got: Arc<Mutex<Vec<Vec<i64>>>> = Arc::new(Mutex::new(vec![Vec::new(); THREADS]));
        let mut handles = Vec::new();
        for t in 0..THREADS {
            let got = got.clone();
            handles.push(std::thread::spawn(move || {
                let mut c = crate::http::Client::new(addr);
                let tok = format!("Token {TOKEN}");
                let path = format!("/api/v2/write?org={ORG}&bucket={BUCKET}");
                for b in 0..100_000i64 {
                    match c.request("POST", &path, &[("Authorization", &tok)], body(t, round, b)) {
                        Ok(r) if r.status == 204 => got.lock().unwrap()[t].push(b),
                        Ok(r) if r.status == 503 => std::thread::sleep(Duration::from_millis(5)),
                        Ok(r) => panic!("thread {t}: {} {}", r.status, r.text()),
                        Err(_) => break,
                    }
                }
            }));
        }
        std::thread::sleep(Duration::from_millis(900 + 150 * round as u64));
        s.kill();
        for h in handles {
            h.join().unwrap();
        }
        for (t, batches) in got.lock().unwrap().iter().enumerate() {
            for b in batches {
                for j in 0..BATCH {
                    acked[t].insert(((round as i64 * 1_000_000) + b * BATCH + j + 1) * 1_000_000);
                }
            }
        }
        s.start();
        let back = times_by_tag(&s, "crash");
        assert!(
            !back.contains_key("del"),
            "round {round}: deleted points came back: {:?}",
            back.get("del").map(|v| v.len())
        );
        for (t, want) in acked.iter().enumerate() {
            let have: BTreeSet<i64> = back
                .get(&format!("t{t}"))
                .map(|v| v.iter().copied().collect())
                .unwrap_or_default();
            let missing: Vec<&i64> = want.difference(&have).take(5).collect();
            assert!(
                missing.is_empty(),
                "round {round}, thread {t}: {} acknowledged points lost, e.g. {missing:?}\n{}",
                want.difference(&have).count(),
                s.stderr()
            );
        }
    }
    let segs = std::fs::read_dir(s.engine_path().join("data/shard-0000"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".seg"))
        .count();
    assert!(segs >= 1, "no segment file was ever written");
}

#[test]
fn leftovers_of_an_interrupted_flush_are_removed() {
    let mut s = TestServer::spawn();
    s.onboard();
    let lp: String = (0..1000)
        .map(|i| format!("left,t=a v={i}i {}\n", i + 1))
        .collect();
    assert_eq!(s.write(&lp).status, 204);
    let r = s.post_authed("/debug/ringflux/flush", &[], "");
    assert_eq!(r.status, 200, "{}", r.text());
    s.kill();
    // What a crash between writing a segment and publishing the manifest leaves behind.
    for shard in ["shard-0000", "shard-0001"] {
        let dir = s.engine_path().join("data").join(shard);
        std::fs::write(dir.join("00000000000000099999.seg"), b"half a segment").unwrap();
        std::fs::write(dir.join("MANIFEST.json.tmp"), b"{\"half\":").unwrap();
    }
    s.start();
    let back = times_by_tag(&s, "left");
    assert_eq!(back.get("a").map(Vec::len), Some(1000));
    for shard in ["shard-0000", "shard-0001"] {
        let dir = s.engine_path().join("data").join(shard);
        assert!(!dir.join("00000000000000099999.seg").exists());
        assert!(!dir.join("MANIFEST.json.tmp").exists());
    }
}

#[test]
fn corrupt_segment_bytes_are_reported_not_returned() {
    let mut s = TestServer::spawn();
    s.onboard();
    let lp: String = (0..3000)
        .map(|i| format!("rot,t=a v={}.5 {}\n", i * 3, i + 1))
        .collect();
    assert_eq!(s.write(&lp).status, 204);
    assert!(s.terminate().success()); // the clean stop flushes to segment files
    let mut flipped = 0;
    for shard in ["shard-0000", "shard-0001"] {
        let dir = s.engine_path().join("data").join(shard);
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            if e.file_name().to_string_lossy().ends_with(".seg") {
                let mut b = std::fs::read(e.path()).unwrap();
                b[100] ^= 0x55; // inside the first data block
                std::fs::write(e.path(), b).unwrap();
                flipped += 1;
            }
        }
    }
    assert_eq!(flipped, 1, "one series: one segment file");
    s.start();
    let r = s.query(&format!(
        "from(bucket: \"{BUCKET}\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"rot\")"
    ));
    let body = r.text();
    assert!(body.contains("corrupt data in"), "{body}");
    assert!(
        !body.contains(",rot,"),
        "no row of the corrupt block may be returned: {body}"
    );
    // /metrics reports the shard of the core that answers: ask until the one holding the
    // series answers (new connection each time).
    let counted = (0..50).any(|_| {
        let m =
            crate::http::request(s.addr(), "GET", "/metrics", &[], crate::http::Body::None).text();
        m.lines()
            .any(|l| l.starts_with("ringflux_storage_corrupt_blocks_total") && l.ends_with(" 1"))
    });
    assert!(counted, "no shard counted the corrupt block");
    assert!(s.stderr().contains("corrupt block in segment file"));
}
