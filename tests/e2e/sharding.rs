//! Sharding: more shards than cores, 1000 series read back in series-key order, and the shard
//! count recorded in the engine path.

use crate::server::{csv_rows, TestServer, BUCKET};

const SERIES: usize = 1000;

fn read_series(s: &TestServer) -> Vec<(String, String)> {
    let csv = s.query_ok(&format!(
        "from(bucket: \"{BUCKET}\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"sh\")"
    ));
    csv_rows(&csv)
        .into_iter()
        .map(|r| (r["host"].clone(), r["_value"].clone()))
        .collect()
}

#[test]
fn four_shards_on_two_cores_and_the_count_is_recorded() {
    let mut s = TestServer::spawn_with(&["--shards", "4"], &[]);
    s.onboard();
    let mut body = String::new();
    // Written in reverse order: the read must still come back sorted by series key.
    for i in (0..SERIES).rev() {
        body.push_str(&format!("sh,host=h{i:04} v={i}i 1000\n"));
    }
    let r = s.write(&body);
    assert_eq!(r.status, 204, "{}", r.text());
    let want: Vec<(String, String)> = (0..SERIES)
        .map(|i| (format!("h{i:04}"), i.to_string()))
        .collect();
    assert_eq!(read_series(&s), want);

    // The shard count is recorded: another count is refused with a clear message.
    assert_eq!(s.terminate().code(), Some(0));
    s.set_arg("--shards", "2");
    let err = s
        .try_start()
        .expect_err("restart with another shard count must fail");
    let status = err.status.expect("process exited");
    assert!(!status.success(), "exit status {status:?}");
    assert!(
        err.stderr.contains("4 shards") && err.stderr.contains("--shards"),
        "message does not name the shard counts: {}",
        err.stderr
    );

    // The same count works and the data is intact.
    s.set_arg("--shards", "4");
    s.start();
    assert_eq!(read_series(&s), want);
}
