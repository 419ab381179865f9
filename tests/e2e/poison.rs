//! A real WAL I/O failure: the engine path is a tiny tmpfs, writes fill it, the failed WAL write
//! poisons the shard (never retried), later writes get 503 + Retry-After, and `/ready` and
//! `/health` report the poisoned shard. Needs root to mount a tmpfs; skipped (with a message)
//! otherwise.

use std::process::Command;

use crate::server::TestServer;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn wal_write_failure_poisons_and_answers_503() {
    let mut server = TestServer::new(&[], &[]);
    let engine = server.engine_path();
    std::fs::create_dir_all(&engine).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&engine)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!(
            "skipping wal_write_failure_poisons_and_answers_503: cannot mount a tmpfs (not root?)"
        );
        return;
    }
    let _mount = Mount(engine.clone());
    server.start();
    server.onboard();
    let big: String = (0..5000)
        .map(|i| format!("m,host=h{i} v={i},s=\"{}\" {i}\n", "x".repeat(200)))
        .collect();
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(server.write(&big).status);
    }
    assert!(statuses.contains(&204), "{statuses:?}");
    assert!(
        statuses.contains(&503),
        "the disk never filled: {statuses:?}"
    );
    let r = server.write("m v=1 1");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.json()["code"], "unavailable");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("restart ringflux"));
    let ready = crate::http::request(
        server.addr(),
        "GET",
        "/ready",
        &[],
        crate::http::Body::from(""),
    );
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["status"], "poisoned");
    let health = crate::http::request(
        server.addr(),
        "GET",
        "/health",
        &[],
        crate::http::Body::from(""),
    );
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["status"], "fail");
    server.kill();
}
