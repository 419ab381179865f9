//! Shard tests: group commit + head apply + read, recovery after reopen, and the in-memory
//! budget, driven directly (no HTTP, no mesh) on one glommio executor.

use std::time::Duration;

use bytes::Bytes;

use super::query::{run_read, ChunkValues, ReadChunk};
use super::{Shard, WriteBatch};
use crate::config::{EngineConfig, StorageConfig, WalConfig};
use crate::line_protocol as lp;
use crate::mesh::reply::stream;
use crate::model::{BucketId, Precision};
use crate::query::plan::{CmpOp, Predicate, ReadPlan};
use crate::schema::FieldTypes;
use crate::testing::on_executor;

fn cfg(dir: &std::path::Path) -> EngineConfig {
    EngineConfig {
        engine_path: dir.to_path_buf(),
        shards: 1,
        wal: WalConfig::default(),
        storage: StorageConfig::default(),
    }
}

fn batch(body: &'static str) -> WriteBatch {
    let body = Bytes::from_static(body.as_bytes());
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    lp::scan(&body, Precision::Nanoseconds, &mut lines, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    WriteBatch::from_lines(BucketId(1), body, lines)
}

async fn read_all(shard: std::rc::Rc<Shard>, pred: Predicate) -> Vec<ReadChunk> {
    let (tx, mut rx) = stream(2);
    glommio::spawn_local(run_read(
        shard,
        BucketId(1),
        ReadPlan {
            start: i64::MIN,
            stop: i64::MAX,
            predicate: pred,
            agg: None,
        },
        tx,
    ))
    .detach();
    let mut out = Vec::new();
    while let Some(c) = rx.recv().await {
        out.push(c.unwrap());
    }
    out
}

#[test]
fn writes_are_durable_ordered_and_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    let c2 = c.clone();
    let first = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        // Several concurrent submissions share group commits.
        let a = shard.submit(batch("cpu,host=b v=1 20\ncpu,host=a v=1 10\n"));
        let b = shard.submit(batch("cpu,host=a v=2 10\ncpu,host=a s=\"x\\\"y\" 5\n"));
        a.await.unwrap().unwrap();
        let ack = b.await.unwrap().unwrap();
        assert_eq!(ack.points, 2);
        let chunks = read_all(shard.clone(), Predicate::True).await;
        shard.close().await;
        chunks
    });
    let summarize = |chunks: &[ReadChunk]| -> Vec<(String, String, Vec<i64>, ChunkValues)> {
        chunks
            .iter()
            .map(|c| {
                (
                    String::from_utf8_lossy(&c.key).into_owned(),
                    String::from_utf8_lossy(&c.field).into_owned(),
                    c.times.clone(),
                    c.values.clone(),
                )
            })
            .collect()
    };
    let want = vec![
        (
            "cpu,host=a".to_string(),
            "s".to_string(),
            vec![5],
            ChunkValues::String(vec!["x\"y".into()]),
        ),
        (
            "cpu,host=a".to_string(),
            "v".to_string(),
            vec![10],
            ChunkValues::Float(vec![2.0]),
        ),
        (
            "cpu,host=b".to_string(),
            "v".to_string(),
            vec![20],
            ChunkValues::Float(vec![1.0]),
        ),
    ];
    assert_eq!(summarize(&first), want);
    // Reopen: the WAL replays to the same state.
    let second = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, stats) = Shard::open(0, &c2, &types).await.unwrap();
        assert_eq!(stats.series, 2);
        read_all(shard, Predicate::True).await
    });
    assert_eq!(summarize(&second), want);
}

#[test]
fn predicates_select_series_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    let got = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        shard
            .submit(batch(
                "cpu,host=a v=1,w=2 1\nmem,host=a v=3 1\ncpu,host=b v=4 1\n",
            ))
            .await
            .unwrap()
            .unwrap();
        let pred = Predicate::And(
            Box::new(Predicate::Measurement(CmpOp::Eq, "cpu".into())),
            Box::new(Predicate::Tag {
                key: "host".into(),
                op: CmpOp::Neq,
                value: "b".into(),
            }),
        );
        read_all(shard, pred).await
    });
    let fields: Vec<_> = got
        .iter()
        .map(|c| String::from_utf8_lossy(&c.field).into_owned())
        .collect();
    assert_eq!(fields, vec!["v", "w"]);
}

#[test]
fn memory_budget_gives_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(dir.path());
    c.storage.cache_max_memory_size = 16 * 1024 * 1024;
    let kind = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        let big: &'static str = Box::leak(
            (0..200_000)
                .map(|i| format!("m,host=h{} v=1 {i}\n", i % 100))
                .collect::<String>()
                .into_boxed_str(),
        );
        for _ in 0..20 {
            match shard.submit(batch(big)).await.unwrap() {
                Ok(_) => {}
                Err(e) => return Some(e.kind()),
            }
            glommio::timer::sleep(Duration::from_millis(1)).await;
        }
        None
    });
    assert_eq!(kind, Some(crate::ErrorKind::Unavailable));
}

#[test]
fn recovery_across_rotated_segments_keeps_every_series() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(dir.path());
    c.wal.segment_max_bytes = 1024 * 1024;
    let c2 = c.clone();
    let body: &'static str = Box::leak(
        (0..20_000)
            .map(|i| format!("m,host=h{} v={i}i {i}\n", i % 500))
            .collect::<String>()
            .into_boxed_str(),
    );
    let before = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        for _ in 0..3 {
            shard.submit(batch(body)).await.unwrap().unwrap();
        }
        let n: usize = read_all(shard.clone(), Predicate::True)
            .await
            .iter()
            .map(|c| c.times.len())
            .sum();
        // No close: like a crash, so recovery has to replay every WAL segment (a clean close
        // would flush the head and remove them).
        n
    });
    assert_eq!(before, 20_000);
    let segments = std::fs::read_dir(dir.path().join("wal/shard-0000"))
        .unwrap()
        .count();
    assert!(
        segments >= 2,
        "expected rotation, got {segments} segment(s)"
    );
    let (after, series) = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, stats) = Shard::open(0, &c2, &types).await.unwrap();
        let chunks = read_all(shard, Predicate::True).await;
        (
            chunks.iter().map(|c| c.times.len()).sum::<usize>(),
            stats.series,
        )
    });
    assert_eq!((after, series), (20_000, 500));
}

#[test]
fn schema_reads_list_measurements_tags_and_series() {
    use super::schema::{NameFilter, SchemaKind, SchemaRequest};
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        shard
            .submit(batch(
                "cpu,host=a,region=eu v=1 1\ncpu,host=b,region=us v=2 1\nmem,host=a free=3i 1\ndisk\\,x,path=/ u=1 1\n",
            ))
            .await
            .unwrap()
            .unwrap();
        let ask = |kind, measurement, tag_key, predicate| SchemaRequest {
            kind,
            measurement,
            tag_key,
            predicate,
        };
        let s = |rows: Vec<Vec<Vec<u8>>>| -> Vec<String> {
            rows.into_iter()
                .map(|r| {
                    r.iter()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect()
        };
        let all = shard.schema(
            BucketId(1),
            &ask(
                SchemaKind::Measurements,
                NameFilter::Any,
                NameFilter::Any,
                Predicate::True,
            ),
        );
        assert_eq!(s(all), ["cpu", "disk,x", "mem"]);
        let host_a = Predicate::Tag {
            key: "host".into(),
            op: CmpOp::Eq,
            value: "a".into(),
        };
        let m = shard.schema(
            BucketId(1),
            &ask(
                SchemaKind::Measurements,
                NameFilter::Any,
                NameFilter::Any,
                host_a.clone(),
            ),
        );
        assert_eq!(s(m), ["cpu", "mem"]);
        let re = NameFilter::Regex {
            re: regex::Regex::new("^c").unwrap(),
            negate: false,
        };
        let keys = shard.schema(
            BucketId(1),
            &ask(
                SchemaKind::TagKeys,
                re.clone(),
                NameFilter::Any,
                Predicate::True,
            ),
        );
        assert_eq!(s(keys), ["cpu|host", "cpu|region"]);
        let vals = shard.schema(
            BucketId(1),
            &ask(
                SchemaKind::TagValues,
                NameFilter::Eq(b"cpu".to_vec()),
                NameFilter::Eq(b"host".to_vec()),
                Predicate::True,
            ),
        );
        assert_eq!(s(vals), ["cpu|host|a", "cpu|host|b"]);
        let series = shard.schema(
            BucketId(1),
            &ask(
                SchemaKind::SeriesKeys,
                NameFilter::Any,
                NameFilter::Any,
                host_a,
            ),
        );
        assert_eq!(s(series), ["cpu,host=a,region=eu", "mem,host=a"]);
        assert!(shard
            .schema(
                BucketId(2),
                &ask(
                    SchemaKind::Measurements,
                    NameFilter::Any,
                    NameFilter::Any,
                    Predicate::True
                )
            )
            .is_empty());
        let mut key = Vec::new();
        crate::schema::type_key(BucketId(1), b"mem", b"free", &mut key);
        types.register(&key, crate::model::FieldType::Integer);
        crate::schema::type_key(BucketId(2), b"x", b"y", &mut key);
        types.register(&key, crate::model::FieldType::Float);
        let fields = types.fields(BucketId(1));
        assert_eq!(
            fields,
            vec![(
                b"mem".to_vec(),
                b"free".to_vec(),
                crate::model::FieldType::Integer
            )]
        );
    });
}
