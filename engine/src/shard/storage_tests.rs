//! Storage tests of a shard: flushes to segment files, reads merging head + segments,
//! compaction, retention, corrupt blocks, restarts (clean and crash), and a property test
//! against a `BTreeMap<(series, field, time), value>` model.

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;

use super::maintenance::Op;
use super::query::{run_read, ChunkValues};
use super::{Shard, ShardEnv, WriteBatch};
use crate::config::{EngineConfig, StorageConfig, WalConfig};
use crate::delete::{DeletePredicate, DeleteRequest};
use crate::line_protocol as lp;
use crate::mesh::reply::stream;
use crate::model::{BucketId, Precision};
use crate::query::plan::{Predicate, ReadPlan};
use crate::query::pushdown::{AggKind, AggShape, Aggregation};
use crate::schema::FieldTypes;
use crate::testing::on_executor;

type Model = BTreeMap<(String, String, i64), i64>;

fn cfg(dir: &std::path::Path) -> EngineConfig {
    EngineConfig {
        engine_path: dir.to_path_buf(),
        shards: 1,
        wal: WalConfig::default(),
        storage: StorageConfig {
            // Only explicit flushes in these tests.
            cache_snapshot_memory_size: usize::MAX,
            ..StorageConfig::default()
        },
    }
}

fn batch(bucket: u64, body: String) -> WriteBatch {
    let body = Bytes::from(body);
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    lp::scan(&body, Precision::Nanoseconds, &mut lines, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    WriteBatch::from_lines(BucketId(bucket), body, lines)
}

async fn read_range(
    shard: std::rc::Rc<Shard>,
    bucket: u64,
    start: i64,
    stop: i64,
) -> Result<Model, String> {
    let (tx, mut rx) = stream(2);
    glommio::spawn_local(run_read(
        shard,
        BucketId(bucket),
        ReadPlan {
            start,
            stop,
            predicate: Predicate::True,
            agg: None,
        },
        tx,
    ))
    .detach();
    let mut out = Model::new();
    while let Some(c) = rx.recv().await {
        let c = c.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(&c.key).into_owned();
        let field = String::from_utf8_lossy(&c.field).into_owned();
        let ChunkValues::Integer(vals) = &c.values else {
            return Err(format!("unexpected values {:?}", c.values));
        };
        for (t, v) in c.times.iter().zip(vals) {
            if out.insert((key.clone(), field.clone(), *t), *v).is_some() {
                return Err(format!("duplicate point {key} {field} {t}"));
            }
        }
    }
    Ok(out)
}

type AggResult = BTreeMap<(String, String), Vec<(i64, String)>>;

/// Reads the whole bucket with a pushed-down aggregate; values formatted for comparison.
async fn read_agg(shard: std::rc::Rc<Shard>, agg: Aggregation) -> Result<AggResult, String> {
    let (tx, mut rx) = stream(2);
    glommio::spawn_local(run_read(
        shard,
        BucketId(1),
        ReadPlan {
            start: i64::MIN,
            stop: i64::MAX,
            predicate: Predicate::True,
            agg: Some(agg),
        },
        tx,
    ))
    .detach();
    let mut out = AggResult::new();
    while let Some(c) = rx.recv().await {
        let c = c.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(&c.key).into_owned();
        let field = String::from_utf8_lossy(&c.field).into_owned();
        let vals: Vec<String> = match &c.values {
            ChunkValues::Integer(v) => v.iter().map(|x| x.to_string()).collect(),
            ChunkValues::Float(v) => v.iter().map(|x| format!("{x:?}")).collect(),
            other => return Err(format!("unexpected values {other:?}")),
        };
        let rows = out.entry((key, field)).or_default();
        if c.first != rows.is_empty() {
            return Err("first flag does not match the column's first chunk".into());
        }
        rows.extend(c.times.iter().copied().zip(vals));
    }
    Ok(out)
}

/// What [`read_agg`] must return for the model's points.
fn model_agg(m: &Model, agg: Aggregation) -> AggResult {
    let mut out = AggResult::new();
    let mut cols: BTreeMap<(String, String), Vec<(i64, i64)>> = BTreeMap::new();
    for ((k, f, t), v) in m {
        cols.entry((k.clone(), f.clone()))
            .or_default()
            .push((*t, *v));
    }
    for (col, points) in cols {
        let mut rows = Vec::new();
        let mut i = 0;
        while i < points.len() {
            let w = agg.window_start(points[i].0);
            let mut j = i;
            while j < points.len() && agg.window_start(points[j].0) == w {
                j += 1;
            }
            let win = &points[i..j];
            let agg_time = w.unwrap_or(i64::MIN);
            let pick = |better: &dyn Fn(i64, i64) -> bool| {
                let mut best = win[0];
                for p in &win[1..] {
                    if better(p.1, best.1) {
                        best = *p;
                    }
                }
                (best.0, best.1.to_string())
            };
            rows.push(match agg.kind {
                AggKind::Count => (agg_time, win.len().to_string()),
                AggKind::Sum => (
                    agg_time,
                    win.iter()
                        .fold(0i64, |a, p| a.wrapping_add(p.1))
                        .to_string(),
                ),
                AggKind::Mean => {
                    let s = win.iter().fold(0f64, |a, p| a + p.1 as f64);
                    (agg_time, format!("{:?}", s / win.len() as f64))
                }
                AggKind::Min => pick(&|a, b| a < b),
                AggKind::Max => pick(&|a, b| a > b),
                AggKind::First => (win[0].0, win[0].1.to_string()),
                AggKind::Last => (win[j - i - 1].0, win[j - i - 1].1.to_string()),
            });
            i = j;
        }
        out.insert(col, rows);
    }
    out
}

/// Every pushed-down aggregation the property test checks.
fn all_aggs() -> Vec<Aggregation> {
    let kinds = [
        AggKind::Count,
        AggKind::Sum,
        AggKind::Mean,
        AggKind::Min,
        AggKind::Max,
        AggKind::First,
        AggKind::Last,
    ];
    let mut v = Vec::new();
    for kind in kinds {
        for (every, offset) in [(None, 0), (Some(5), 0), (Some(7), 3)] {
            v.push(Aggregation {
                kind,
                every,
                offset,
                shape: AggShape::Aggregate,
            });
        }
    }
    v
}

async fn read_all(shard: std::rc::Rc<Shard>) -> Model {
    read_range(shard, 1, i64::MIN, i64::MAX).await.unwrap()
}

fn line(series: u32, field: u8, ts: i64, v: i64) -> String {
    format!("m,host=h{series} f{field}={v}i {ts}\n")
}

fn model_insert(m: &mut Model, series: u32, field: u8, ts: i64, v: i64) {
    m.insert((format!("m,host=h{series}"), format!("f{field}"), ts), v);
}

fn segment_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("data/shard-0000"))
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".seg"))
                .count()
        })
        .unwrap_or(0)
}

fn wal_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("wal/shard-0000"))
        .map(|rd| rd.count())
        .unwrap_or(0)
}

#[test]
fn flush_then_overwrite_merges_with_last_write_wins_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    let c2 = c.clone();
    let mut want = Model::new();
    for i in 0..3000i64 {
        model_insert(&mut want, (i % 7) as u32, 0, i * 10, i);
    }
    for i in (0..3000i64).step_by(3) {
        model_insert(&mut want, (i % 7) as u32, 0, i * 10, -i);
    }
    model_insert(&mut want, 9, 1, 5, 55);
    let want2 = want.clone();
    let got = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        let body: String = (0..3000i64)
            .map(|i| line((i % 7) as u32, 0, i * 10, i))
            .collect();
        shard.submit(batch(1, body)).await.unwrap().unwrap();
        let r = shard.maintain(Op::Flush).await.unwrap();
        assert!(r.flushed_segments >= 1, "{r:?}");
        // Overwrite every third point after the flush: the head must win over the segment.
        let body: String = (0..3000i64)
            .step_by(3)
            .map(|i| line((i % 7) as u32, 0, i * 10, -i))
            .collect();
        shard
            .submit(batch(1, body + &line(9, 1, 5, 55)))
            .await
            .unwrap()
            .unwrap();
        let before = read_all(shard.clone()).await;
        shard.close().await;
        before
    });
    assert_eq!(got, want);
    assert!(segment_files(dir.path()) >= 2);
    // The clean close flushed everything: only the fresh WAL segment is left after reopening.
    let (after, replayed, types) = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, stats) = Shard::open(0, &c2, &types).await.unwrap();
        (read_all(shard).await, stats.values, types)
    });
    assert_eq!(replayed, 0);
    assert_eq!(after, want2);
    assert_eq!(wal_files(dir.path()), 1);
    // Nothing was replayed, yet the flushed fields' types are known again, so a write of
    // another type is still a conflict after the restart.
    let mut key = Vec::new();
    crate::schema::type_key(BucketId(1), b"m", b"f0", &mut key);
    assert_eq!(
        types.register(&key, crate::model::FieldType::Float),
        crate::model::FieldType::Integer
    );
}

#[test]
fn compaction_merges_a_partition_into_one_file_last_write_wins() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(dir.path());
    // Only the explicit compaction below (the current partition is not finished either).
    c.storage.compact_max_segments = 100;
    let t0 = crate::runtime::now_nanos();
    let mut want = Model::new();
    for round in 0..4i64 {
        for i in 0..500i64 {
            if (i + round) % 2 == 0 {
                model_insert(&mut want, (i % 5) as u32, 0, t0 + i, round * 1000 + i);
            }
        }
    }
    let (got, files_before, files_after) = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        for round in 0..4i64 {
            let body: String = (0..500i64)
                .filter(|i| (i + round) % 2 == 0)
                .map(|i| line((i % 5) as u32, 0, t0 + i, round * 1000 + i))
                .collect();
            shard.submit(batch(1, body)).await.unwrap().unwrap();
            shard.maintain(Op::Flush).await.unwrap();
        }
        let before = shard.store().stats().segments;
        let r = shard.maintain(Op::Compact).await.unwrap();
        assert_eq!(r.compactions, 1, "{r:?}");
        let after = shard.store().stats().segments;
        (read_all(shard).await, before, after)
    });
    assert_eq!((files_before, files_after), (4, 1));
    assert_eq!(got, want);
}

#[test]
fn range_reads_only_return_points_inside() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    let got = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        let body: String = (0..5000i64).map(|i| line(0, 0, i, i)).collect();
        shard.submit(batch(1, body)).await.unwrap().unwrap();
        shard.maintain(Op::Flush).await.unwrap();
        shard
            .submit(batch(1, line(0, 0, 2500, -1)))
            .await
            .unwrap()
            .unwrap();
        read_range(shard, 1, 1500, 3500).await.unwrap()
    });
    assert_eq!(got.len(), 2000);
    assert_eq!(got.keys().next().map(|k| k.2), Some(1500));
    assert_eq!(got.keys().last().map(|k| k.2), Some(3499));
    assert_eq!(got.get(&("m,host=h0".into(), "f0".into(), 2500)), Some(&-1));
}

#[test]
fn retention_drops_old_partitions_and_deleted_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    let now = crate::runtime::now_nanos();
    let hour = 3_600_000_000_000i64;
    let (kept_1, kept_2, dropped) = on_executor(move || async move {
        let types = FieldTypes::new();
        // Bucket 1: 1 h retention (1 h partitions); bucket 2: deleted.
        let env = ShardEnv {
            retention: Box::new(|b| match b.0 {
                1 => Some(super::BucketPolicy {
                    retention_seconds: 3600,
                    partition_ns: 3_600_000_000_000,
                }),
                _ => None,
            }),
            reserve_series: None,
        };
        let (shard, _) = Shard::open_with(0, &c, &types, env).await.unwrap();
        let old = now - 5 * hour;
        let body = line(0, 0, old, 1) + &line(0, 0, now, 2);
        shard.submit(batch(1, body)).await.unwrap().unwrap();
        shard
            .submit(batch(2, line(0, 0, now, 3)))
            .await
            .unwrap()
            .unwrap();
        shard
            .submit(batch(3, line(0, 0, now, 3)))
            .await
            .unwrap()
            .unwrap();
        // Bucket 2 and 3 data is not flushed (the buckets do not exist).
        shard.maintain(Op::Flush).await.unwrap();
        let flushed = shard.store().stats().segments;
        // (The background check may get there first; either way the old partition goes.)
        shard.maintain(Op::Retention).await.unwrap();
        let left = shard.store().stats().segments;
        let kept = read_all(shard.clone()).await;
        let b2 = read_range(shard.clone(), 2, i64::MIN, i64::MAX)
            .await
            .unwrap();
        (kept, b2, (flushed, left))
    });
    assert_eq!(dropped.1, 1, "{dropped:?}");
    assert_eq!(kept_1.values().copied().collect::<Vec<_>>(), vec![2]);
    assert!(kept_2.is_empty());
}

#[test]
fn corrupt_block_is_reported_never_returned() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    let c2 = c.clone();
    on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        let body: String = (0..2000i64).map(|i| line(0, 0, i, i * 7919)).collect();
        shard.submit(batch(1, body)).await.unwrap().unwrap();
        shard.close().await;
    });
    // Flip one byte inside the first data block (just past the 24-byte header).
    let seg = std::fs::read_dir(dir.path().join("data/shard-0000"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".seg"))
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[40] ^= 0x5a;
    std::fs::write(&seg, bytes).unwrap();
    let (res, corrupt) = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c2, &types).await.unwrap();
        let r = read_range(shard.clone(), 1, i64::MIN, i64::MAX).await;
        (r, shard.store().stats().corrupt_blocks)
    });
    let err = res.expect_err("a corrupt block must fail the read");
    assert!(err.contains("corrupt data"), "{err}");
    assert_eq!(corrupt, 1);
}

#[derive(Debug, Clone)]
enum Step {
    Write(Vec<(u32, u8, i64, i64)>),
    Flush,
    Compact,
    /// Delete `[start, stop]` of one series (`Some(n)`: `host="hn"`) or of all.
    Delete(Option<u32>, i64, i64),
}

#[derive(Debug, Clone)]
struct Phase {
    steps: Vec<Step>,
    clean_close: bool,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => proptest::collection::vec((0u32..4, 0u8..2, -30i64..30, any::<i64>()), 1..20)
            .prop_map(Step::Write),
        2 => Just(Step::Flush),
        1 => Just(Step::Compact),
        1 => (proptest::option::of(0u32..4), -30i64..30, 0i64..20)
            .prop_map(|(s, start, len)| Step::Delete(s, start, start + len)),
    ]
}

fn phase() -> impl Strategy<Value = Phase> {
    (proptest::collection::vec(step(), 1..8), any::<bool>())
        .prop_map(|(steps, clean_close)| Phase { steps, clean_close })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Writes, overwrites, deletes, flushes, compactions and restarts (clean or crash) never
    /// change what a read returns compared with the model.
    #[test]
    fn store_matches_model_through_flushes_compactions_and_restarts(phases in proptest::collection::vec(phase(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let mut model = Model::new();
        for p in &phases {
            let c = cfg(dir.path());
            let p2 = p.clone();
            let mut expect = model.clone();
            for s in &p.steps {
                match s {
                    Step::Write(points) => {
                        for (series, field, ts, v) in points {
                            model_insert(&mut expect, *series, *field, *ts, *v);
                        }
                    }
                    Step::Delete(series, start, stop) => {
                        let key = series.map(|n| format!("m,host=h{n}"));
                        expect.retain(|(k, _, t), _| {
                            !(key.as_ref().is_none_or(|want| want == k) && start <= t && t <= stop)
                        });
                    }
                    _ => {}
                }
            }
            let got = on_executor(move || async move {
                let types = FieldTypes::new();
                let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
                for s in &p2.steps {
                    match s {
                        Step::Write(points) => {
                            let body: String = points.iter().map(|(s, f, t, v)| line(*s, *f, *t, *v)).collect();
                            shard.submit(batch(1, body)).await.unwrap().unwrap();
                        }
                        Step::Flush => { shard.maintain(Op::Flush).await.unwrap(); }
                        Step::Compact => { shard.maintain(Op::Compact).await.unwrap(); }
                        Step::Delete(series, start, stop) => {
                            let pred = match series {
                                Some(n) => format!("host=\"h{n}\""),
                                None => String::new(),
                            };
                            let req = DeleteRequest {
                                start: *start,
                                stop: *stop,
                                predicate: DeletePredicate::parse(&pred).unwrap(),
                            };
                            shard.submit_delete(BucketId(1), req).await.unwrap().unwrap();
                        }
                    }
                }
                let got = read_all(shard.clone()).await;
                let mut aggs = Vec::new();
                for agg in all_aggs() {
                    aggs.push((agg, read_agg(shard.clone(), agg).await));
                }
                if p2.clean_close {
                    shard.close().await;
                }
                (got, aggs)
            });
            let (got, aggs) = got;
            for (agg, result) in aggs {
                prop_assert_eq!(result, Ok(model_agg(&expect, agg)), "aggregate {:?}", agg);
            }
            let extra: Vec<_> = got.iter().filter(|(k, v)| expect.get(*k) != Some(*v)).collect();
            let missing: Vec<_> = expect.iter().filter(|(k, v)| got.get(*k) != Some(*v)).collect();
            prop_assert!(extra.is_empty() && missing.is_empty(), "extra {:?}, missing {:?}", extra, missing);
            model = expect;
        }
        let c = cfg(dir.path());
        let after = on_executor(move || async move {
            let types = FieldTypes::new();
            let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
            read_all(shard).await
        });
        prop_assert_eq!(after, model);
    }
}

#[test]
fn delete_then_compact_applies_the_tombstone_once() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    let t0 = 1_704_067_200_000_000_000i64;
    let sec = 1_000_000_000i64;
    let got = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open(0, &c, &types).await.unwrap();
        let body: String = (0..20u32)
            .flat_map(|h| (0..300i64).map(move |i| line(h, 0, t0 + i * sec, i)))
            .collect();
        shard.submit(batch(1, body)).await.unwrap().unwrap();
        shard.maintain(Op::Flush).await.unwrap();
        let req = DeleteRequest {
            start: t0 + 60 * sec,
            stop: t0 + 120 * sec,
            predicate: DeletePredicate::parse("host=\"h3\"").unwrap(),
        };
        shard
            .submit_delete(BucketId(1), req)
            .await
            .unwrap()
            .unwrap();
        let r = glommio::timer::timeout(std::time::Duration::from_secs(10), async {
            Ok(shard.maintain(Op::Compact).await)
        })
        .await;
        assert!(r.is_ok(), "compaction did not finish");
        let stats = shard.store().stats();
        (read_all(shard).await.len(), stats.tombstones)
    });
    assert_eq!(got, (20 * 300 - 61, 0));
}

#[test]
fn series_index_is_persisted_and_deleted_buckets_leave_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    let bucket2 = Arc::new(AtomicBool::new(true));
    let env = |b2: Arc<AtomicBool>| ShardEnv {
        retention: Box::new(move |b| {
            (b.0 == 1 || (b.0 == 2 && b2.load(Ordering::Relaxed)))
                .then(super::BucketPolicy::default)
        }),
        reserve_series: None,
    };
    let (c1, b1) = (c.clone(), bucket2.clone());
    on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open_with(0, &c1, &types, env(b1)).await.unwrap();
        let body: String = (0..50u32).map(|h| line(h, 0, 1, 1)).collect();
        shard.submit(batch(1, body.clone())).await.unwrap().unwrap();
        shard.submit(batch(2, body)).await.unwrap().unwrap();
        shard.close().await;
    });
    assert!(dir.path().join("data/shard-0000/series.idx").exists());
    let (c2, b2) = (c.clone(), bucket2.clone());
    let (series, per_bucket) = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, stats) = Shard::open_with(0, &c2, &types, env(b2.clone()))
            .await
            .unwrap();
        // Nothing to replay: the index came from series.idx.
        assert_eq!(stats.values, 0);
        b2.store(false, Ordering::Relaxed);
        shard.maintain(Op::Retention).await.unwrap();
        let mut per = shard.series_per_bucket();
        per.sort();
        shard.close().await;
        (stats.series, per)
    });
    assert_eq!(series, 100);
    assert_eq!(per_bucket, vec![(BucketId(1), 50)]);
    let c3 = c.clone();
    let per_bucket = on_executor(move || async move {
        let types = FieldTypes::new();
        let (shard, _) = Shard::open_with(0, &c3, &types, env(bucket2))
            .await
            .unwrap();
        shard.series_per_bucket()
    });
    assert_eq!(per_bucket, vec![(BucketId(1), 50)]);
}
