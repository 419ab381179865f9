//! Tests of the in-memory index and of its persistence log.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proptest::prelude::*;

use super::persist::{self, Record};
use super::*;
use crate::testing::on_executor;

fn esc(s: &str, measurement: bool) -> String {
    let mut o = String::new();
    for c in s.chars() {
        if c == ',' || c == ' ' || (c == '=' && !measurement) {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// Canonical key of `m` with `tags` (sorted here, as `write_series_key` does).
fn key(m: &str, tags: &[(&str, &str)]) -> Vec<u8> {
    let mut t = tags.to_vec();
    t.sort();
    let mut k = esc(m, true);
    for (tk, tv) in t {
        k.push(',');
        k.push_str(&esc(tk, false));
        k.push('=');
        k.push_str(&esc(tv, false));
    }
    k.into_bytes()
}

#[test]
fn ids_are_dense_and_stable() {
    let mut ix = SeriesIndex::new();
    let (a, new_a) = ix.resolve_or_insert(BucketId(1), b"cpu,host=a");
    let (b, new_b) = ix.resolve_or_insert(BucketId(1), b"cpu,host=b");
    let (a2, new_a2) = ix.resolve_or_insert(BucketId(1), b"cpu,host=a");
    let (c, _) = ix.resolve_or_insert(BucketId(2), b"cpu,host=a");
    assert_eq!((a, b, a2, c), (0, 1, 0, 2));
    assert!(new_a && new_b && !new_a2);
    assert_eq!(ix.bucket_series(BucketId(1)), &[0, 1]);
    assert_eq!(ix.get(BucketId(2), b"cpu,host=a"), Some(2));
    assert_eq!(ix.get(BucketId(3), b"cpu,host=a"), None);
    assert_eq!(
        ix.entry(1),
        Some(SeriesEntry {
            bucket: BucketId(1),
            key: b"cpu,host=b"
        })
    );
    assert_eq!(ix.entry(3), None);
}

#[test]
fn postings_and_schema() {
    let mut ix = SeriesIndex::new();
    let b = BucketId(7);
    ix.resolve_or_insert(b, &key("cpu", &[("host", "a"), ("region", "eu")]));
    ix.resolve_or_insert(b, &key("cpu", &[("host", "b"), ("region", "eu")]));
    ix.resolve_or_insert(b, &key("mem", &[("host", "a")]));
    ix.resolve_or_insert(b, &key("my meas", &[("a,b", "x=y z")]));
    ix.resolve_or_insert(b, &key("cpu", &[("host", "c"), ("region", "eu")]));
    ix.resolve_or_insert(b, &key("cpu", &[("host", "c"), ("region", "us")]));
    let m: Vec<&[u8]> = vec![b"cpu", b"mem", b"my meas"];
    assert_eq!(ix.measurements(b), m);
    assert_eq!(ix.series_with_measurement(b, b"cpu"), &[0, 1, 4, 5]);
    assert_eq!(ix.series_with_measurement(b, b"disk"), &[] as &[u32]);
    let k: Vec<&[u8]> = vec![b"host", b"region"];
    assert_eq!(ix.tag_keys(b, b"cpu"), k);
    let v: Vec<&[u8]> = vec![b"a", b"b", b"c"];
    assert_eq!(ix.tag_values(b, b"cpu", b"host"), v);
    assert_eq!(
        ix.series_with_measurement_tag(b, b"cpu", b"region", b"eu"),
        &[0, 1, 4]
    );
    assert_eq!(
        ix.series_with_measurement_tag(b, b"cpu", b"host", b"c"),
        &[4, 5]
    );
    assert_eq!(
        ix.series_with_measurement_tag(b, b"cpu", b"host", b"a"),
        &[0]
    );
    assert_eq!(&*ix.series_with_tag(b, b"host", b"a"), &[0, 2]);
    assert_eq!(&*ix.series_with_tag(b, b"host", b"b"), &[1]);
    assert_eq!(&*ix.series_with_tag(b, b"host", b"zz"), &[] as &[u32]);
    assert_eq!(&*ix.series_with_tag(b, b"a,b", b"x=y z"), &[3]);
    let v: Vec<&[u8]> = vec![b"x=y z"];
    assert_eq!(ix.tag_values(b, b"my meas", b"a,b"), v);
    assert!(ix.measurements(BucketId(8)).is_empty());
}

#[test]
fn drop_bucket_frees_and_keeps_ids() {
    let mut ix = SeriesIndex::new();
    let (a, _) = ix.resolve_or_insert(BucketId(1), b"cpu,host=a");
    let (b, _) = ix.resolve_or_insert(BucketId(2), b"cpu,host=a");
    assert_eq!(ix.drop_bucket(BucketId(1)), 1);
    assert_eq!(ix.drop_bucket(BucketId(1)), 0);
    assert_eq!(ix.entry(a), None);
    assert_eq!(ix.entry(b).map(|e| e.bucket), Some(BucketId(2)));
    assert!(ix.bucket_series(BucketId(1)).is_empty());
    assert!(ix.measurements(BucketId(1)).is_empty());
    // Re-creating the bucket gives new ids; the old one stays dead.
    let (c, new) = ix.resolve_or_insert(BucketId(1), b"cpu,host=a");
    assert!(new);
    assert_eq!(c, 2);
    assert_eq!(ix.len(), 3);
    assert_eq!(ix.bucket_series(BucketId(1)), &[2]);
    assert_eq!(ix.series_with_measurement(BucketId(1), b"cpu"), &[2]);
}

#[test]
fn long_posting_lists_stay_sorted() {
    let mut ix = SeriesIndex::new();
    let b = BucketId(1);
    for i in 0..10_000u32 {
        let h = format!("h{}", i % 7);
        let host = format!("host_{i}");
        ix.resolve_or_insert(b, &key("cpu", &[("g", &h), ("host", &host)]));
    }
    let g3 = ix.series_with_measurement_tag(b, b"cpu", b"g", b"h3");
    assert_eq!(g3.len(), 10_000 / 7 + 1);
    assert!(g3.windows(2).all(|w| w[0] < w[1]));
    assert!(g3.iter().all(|&id| id % 7 == 3));
    assert_eq!(ix.tag_values(b, b"cpu", b"host").len(), 10_000);
    assert!(ix.heap_bytes() > 0);
}

// ---- Property test against a simple model ----

const MEAS: &[&str] = &["cpu", "mem", "m,x y"];
const KEYS: &[&str] = &["host", "region", "a=b"];
const VALS: &[&str] = &["a", "b", "c d", "e,f", "g=h"];

#[derive(Debug, Clone)]
enum Op {
    Insert(u64, usize, Vec<Option<usize>>),
    Drop(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u64..3, 0..MEAS.len(), proptest::collection::vec(proptest::option::of(0..VALS.len()), KEYS.len()))
            .prop_map(|(b, m, v)| Op::Insert(b, m, v)),
        1 => (0u64..3).prop_map(Op::Drop),
    ]
}

type Tags = Vec<(&'static str, &'static str)>;

/// Model: id → Some((bucket, measurement, tags)) while live.
fn check(ix: &SeriesIndex, model: &[Option<(u64, &'static str, Tags)>]) {
    assert_eq!(ix.len(), model.len());
    for b in 0u64..3 {
        let bucket = BucketId(b);
        let live: Vec<(u32, &'static str, &Tags)> = model
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Some((bb, m, t)) if *bb == b => Some((i as u32, *m, t)),
                _ => None,
            })
            .collect();
        let ids: Vec<u32> = live.iter().map(|x| x.0).collect();
        assert_eq!(ix.bucket_series(bucket), ids.as_slice());
        let ms: BTreeSet<&str> = live.iter().map(|x| x.1).collect();
        let got: Vec<&[u8]> = ix.measurements(bucket);
        let want: Vec<&[u8]> = ms.iter().map(|m| m.as_bytes()).collect();
        assert_eq!(got, want);
        for &m in MEAS {
            let want: Vec<u32> = live.iter().filter(|x| x.1 == m).map(|x| x.0).collect();
            assert_eq!(
                ix.series_with_measurement(bucket, m.as_bytes()),
                want.as_slice()
            );
            let mut keys: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for x in live.iter().filter(|x| x.1 == m) {
                for (k, v) in x.2 {
                    keys.entry(k).or_default().insert(v);
                }
            }
            let want: Vec<&[u8]> = keys.keys().map(|k| k.as_bytes()).collect();
            assert_eq!(ix.tag_keys(bucket, m.as_bytes()), want);
            for &k in KEYS {
                let want: Vec<&[u8]> = keys
                    .get(k)
                    .map(|s| s.iter().map(|v| v.as_bytes()).collect())
                    .unwrap_or_default();
                assert_eq!(ix.tag_values(bucket, m.as_bytes(), k.as_bytes()), want);
                for &v in VALS {
                    let want: Vec<u32> = live
                        .iter()
                        .filter(|x| x.1 == m && x.2.contains(&(k, v)))
                        .map(|x| x.0)
                        .collect();
                    assert_eq!(
                        ix.series_with_measurement_tag(
                            bucket,
                            m.as_bytes(),
                            k.as_bytes(),
                            v.as_bytes()
                        ),
                        want.as_slice()
                    );
                }
            }
        }
        for &k in KEYS {
            for &v in VALS {
                let want: Vec<u32> = live
                    .iter()
                    .filter(|x| x.2.contains(&(k, v)))
                    .map(|x| x.0)
                    .collect();
                assert_eq!(
                    &*ix.series_with_tag(bucket, k.as_bytes(), v.as_bytes()),
                    want.as_slice()
                );
            }
        }
    }
    for (i, s) in model.iter().enumerate() {
        let got = ix.entry(i as u32);
        match s {
            Some((b, m, t)) => {
                let t: Vec<(&str, &str)> = t.clone();
                assert_eq!(
                    got,
                    Some(SeriesEntry {
                        bucket: BucketId(*b),
                        key: &key(m, &t)
                    })
                );
            }
            None => assert_eq!(got, None),
        }
    }
}

fn apply(ix: &mut SeriesIndex, model: &mut Vec<Option<(u64, &'static str, Tags)>>, op: &Op) {
    match op {
        Op::Insert(b, m, vals) => {
            let m = MEAS[*m];
            let tags: Tags = KEYS
                .iter()
                .zip(vals)
                .filter_map(|(k, v)| v.map(|v| (*k, VALS[v])))
                .collect();
            let k = key(m, &tags);
            let existing = model.iter().position(|s| {
                s.as_ref()
                    .is_some_and(|(bb, mm, tt)| *bb == *b && *mm == m && *tt == tags)
            });
            let (id, new) = ix.resolve_or_insert(BucketId(*b), &k);
            match existing {
                Some(i) => assert_eq!((id, new), (i as u32, false)),
                None => {
                    assert_eq!((id, new), (model.len() as u32, true));
                    model.push(Some((*b, m, tags)));
                }
            }
        }
        Op::Drop(b) => {
            let n = ix.drop_bucket(BucketId(*b));
            let mut m = 0;
            for s in model.iter_mut() {
                if s.as_ref().is_some_and(|x| x.0 == *b) {
                    *s = None;
                    m += 1;
                }
            }
            assert_eq!(n, m);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn index_matches_model(ops in proptest::collection::vec(op(), 1..120)) {
        let mut ix = SeriesIndex::new();
        let mut model = Vec::new();
        for op in &ops {
            apply(&mut ix, &mut model, op);
        }
        check(&ix, &model);
    }
}

// ---- Persistence ----

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn persist_round_trip_and_stable_ids() {
    let d = dir();
    let path = d.path().to_path_buf();
    on_executor(move || async move {
        let (mut log, mut ix) = persist::open(&path, 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(ix.is_empty());
        for i in 0..5000u32 {
            let host = format!("host_{i}");
            ix.resolve_or_insert(BucketId(u64::from(i % 3)), &key("cpu", &[("host", &host)]));
        }
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(log.persisted_next_id(), 5000);
        // Nothing new: no write.
        let len = file_len(log.path());
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file_len(log.path()), len);
        ix.resolve_or_insert(BucketId(9), b"mem,host=x");
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        log.close().await;

        let (mut log, mut ix2) = persist::open(&path, 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ix2.len(), 5001);
        for id in 0..5001u32 {
            assert_eq!(ix.entry(id), ix2.entry(id));
        }
        assert_eq!(ix2.series_with_measurement(BucketId(9), b"mem"), &[5000]);
        assert_eq!(ix2.tag_values(BucketId(1), b"cpu", b"host").len(), 1667);
        // New ids continue after the loaded ones, and append after a reopen works.
        assert_eq!(
            ix2.resolve_or_insert(BucketId(9), b"mem,host=y"),
            (5001, true)
        );
        log.persist(&ix2).await.unwrap_or_else(|e| panic!("{e}"));
        log.close().await;
        let (log, ix3) = persist::open(&path, 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ix3.get(BucketId(9), b"mem,host=y"), Some(5001));
        log.close().await;
        // Wrong shard.
        let err = persist::open(&path, 4)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("shard 3"), "{err}");
    });
}

#[test]
fn drop_bucket_is_persisted_and_ids_not_reused() {
    let d = dir();
    let path = d.path().to_path_buf();
    on_executor(move || async move {
        let (mut log, mut ix) = persist::open(&path, 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        ix.resolve_or_insert(BucketId(1), b"cpu,host=a"); // 0, persisted then dropped
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        ix.resolve_or_insert(BucketId(2), b"cpu,host=a"); // 1, survives
        ix.resolve_or_insert(BucketId(3), b"cpu,host=z"); // 2, dropped before any persist
        ix.drop_bucket(BucketId(1));
        ix.drop_bucket(BucketId(3));
        ix.resolve_or_insert(BucketId(1), b"cpu,host=a"); // 3, bucket 1 re-created
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        ix.resolve_or_insert(BucketId(4), b"x"); // 4
        ix.drop_bucket(BucketId(4)); // last ids dead and never written
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        log.close().await;

        let (log, mut ix2) = persist::open(&path, 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ix2.len(), 5);
        for id in 0..5 {
            assert_eq!(ix.entry(id), ix2.entry(id), "id {id}");
        }
        assert_eq!(ix2.entry(0), None);
        assert_eq!(ix2.bucket_series(BucketId(1)), &[3]);
        assert_eq!(ix2.resolve_or_insert(BucketId(5), b"y"), (5, true));
        log.close().await;
    });
}

/// Writes 200 series in two persists and returns the file path and the offset of record 150.
fn two_appends(path: &Path) -> std::path::PathBuf {
    let path = path.to_path_buf();
    on_executor(move || async move {
        let (mut log, mut ix) = persist::open(&path, 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..100 {
            ix.resolve_or_insert(BucketId(1), format!("cpu,host=h{i}").as_bytes());
        }
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        for i in 100..200 {
            ix.resolve_or_insert(BucketId(1), format!("cpu,host=h{i}").as_bytes());
        }
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        let p = log.path().to_path_buf();
        log.close().await;
        p
    })
}

/// Offset of the frame of the DEFINE of series `id`.
fn offset_of(file: &[u8], id: u32) -> usize {
    let mut at = persist::BLOCK;
    loop {
        match persist::read_frame(file, 0, at) {
            persist::Frame::Record { payload, next } => {
                if let Ok(Record::Define { id: i, .. }) = persist::decode_record(payload) {
                    if i == id {
                        return at;
                    }
                }
                at = next;
            }
            persist::Frame::Padding { next } => at = next,
            other => panic!("no record {id}: {other:?}"),
        }
    }
}

#[test]
fn torn_tail_is_truncated() {
    let d = dir();
    let file = two_appends(d.path());
    let bytes = std::fs::read(&file).unwrap_or_default();
    let at = offset_of(&bytes, 150);
    // Tear the second append in the middle of record 150 (everything after is gone).
    std::fs::write(&file, &bytes[..at + 10]).unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().to_path_buf();
    on_executor(move || async move {
        let (mut log, mut ix) = persist::open(&path, 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ix.len(), 150);
        assert_eq!(file_len(log.path()), at as u64);
        // Appends continue at the next block; reopening sees everything.
        ix.resolve_or_insert(BucketId(1), b"cpu,host=new");
        log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
        log.close().await;
        let (log, ix) = persist::open(&path, 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ix.get(BucketId(1), b"cpu,host=new"), Some(150));
        assert_eq!(ix.len(), 151);
        log.close().await;
    });
}

#[test]
fn garbage_tail_is_truncated() {
    let d = dir();
    let file = two_appends(d.path());
    let mut bytes = std::fs::read(&file).unwrap_or_default();
    let n = bytes.len();
    bytes.extend_from_slice(&[0xAB; 100]);
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().to_path_buf();
    on_executor(move || async move {
        let (log, ix) = persist::open(&path, 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ix.len(), 200);
        assert_eq!(file_len(log.path()), n as u64);
        log.close().await;
    });
}

#[test]
fn corrupt_middle_is_an_error_with_offset() {
    let d = dir();
    let file = two_appends(d.path());
    let mut bytes = std::fs::read(&file).unwrap_or_default();
    let at = offset_of(&bytes, 40);
    bytes[at + 20] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().to_path_buf();
    let err =
        on_executor(
            move || async move { persist::open(&path, 0).await.err().map(|e| e.to_string()) },
        )
        .unwrap_or_default();
    assert!(err.contains("series.idx"), "{err}");
    assert!(err.contains(&format!("offset {at}")), "{err}");
    // The file is left alone.
    assert_eq!(std::fs::read(&file).unwrap_or_default(), bytes);
}

#[test]
fn valid_crc_but_out_of_order_id_is_an_error() {
    let d = dir();
    let file = two_appends(d.path());
    let mut bytes = std::fs::read(&file).unwrap_or_default();
    let n = bytes.len();
    let mut rec = Vec::new();
    persist::encode_record(
        &Record::Define {
            id: 5,
            bucket: BucketId(1),
            key: b"cpu,host=again",
        },
        &mut rec,
    );
    bytes.extend_from_slice(&rec);
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().to_path_buf();
    let err =
        on_executor(
            move || async move { persist::open(&path, 0).await.err().map(|e| e.to_string()) },
        )
        .unwrap_or_default();
    assert!(
        err.contains(&format!("offset {n}")) && err.contains("out of order"),
        "{err}"
    );
}

#[test]
fn short_header_means_a_fresh_log() {
    let d = dir();
    std::fs::write(d.path().join(persist::FILE_NAME), b"RFLX").unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().to_path_buf();
    on_executor(move || async move {
        let (log, ix) = persist::open(&path, 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(ix.is_empty());
        assert_eq!(file_len(log.path()), persist::BLOCK as u64);
        log.close().await;
    });
}

#[test]
fn record_codec_rejects_garbage() {
    let mut out = Vec::new();
    persist::encode_record(
        &Record::DropBucket {
            bucket: BucketId(9),
            next_id: 7,
        },
        &mut out,
    );
    match persist::read_frame(&out, 0, 0) {
        persist::Frame::Record { payload, .. } => assert_eq!(
            persist::decode_record(payload),
            Ok(Record::DropBucket {
                bucket: BucketId(9),
                next_id: 7
            })
        ),
        other => panic!("{other:?}"),
    }
    assert!(persist::decode_record(&[]).is_err());
    assert!(persist::decode_record(&[9, 1, 2]).is_err());
    assert!(persist::decode_record(&[1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).is_err());
    assert!(persist::decode_record(&[2, 1]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn read_frame_never_panics(buf in proptest::collection::vec(any::<u8>(), 0..64), at in 0usize..70) {
        let _ = persist::read_frame(&buf, 0, at);
        if let Some(p) = buf.get(at..) {
            let _ = persist::decode_record(p);
        }
    }
}
