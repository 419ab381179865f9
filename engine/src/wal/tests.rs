//! WAL tests: record round trips, group-commit appends, torn tails, mid-file corruption,
//! rotation and poisoning. File tests run on a real directory (tempfile) inside a glommio
//! executor.

use std::path::Path;

use super::record::{self, Frame, SeriesRef, WriteRecordBuilder};
use super::{replay, segment_name, Wal};
use crate::config::WalConfig;
use crate::model::BucketId;
use crate::testing::on_executor;

fn record_bytes(bucket: u64, n: u32) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut b = WriteRecordBuilder::begin(&mut buf, BucketId(bucket));
    for i in 0..n {
        let key = format!("cpu,host=h{i}");
        b.push(
            &mut buf,
            i64::from(i),
            SeriesRef::Define(i, key.as_bytes()),
            b"v=1",
        );
    }
    b.finish(&mut buf);
    buf
}

fn collect(dir: &Path) -> Result<(Vec<(u64, u32)>, replay::ReplayStats), crate::Error> {
    let dir = dir.to_path_buf();
    on_executor(move || async move {
        let mut got = Vec::new();
        let stats = replay::replay(&dir, |_seq, payload| {
            let r = record::decode_write(payload).map_err(|e| crate::Error::internal(e.0))?;
            got.push((r.bucket.0, r.count));
            Ok(())
        })
        .await?;
        Ok((got, stats))
    })
}

#[test]
fn record_round_trip() {
    let buf = record_bytes(7, 3);
    let Frame::Record { payload, next } = record::read_frame(&buf, 0) else {
        panic!("bad frame")
    };
    assert_eq!(next, buf.len());
    let rec = record::decode_write(payload).unwrap();
    assert_eq!(rec.bucket, BucketId(7));
    let entries: Vec<_> = rec.entries().map(|e| e.unwrap()).collect();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[2].ts, 2);
    assert_eq!(entries[2].series, SeriesRef::Define(2, b"cpu,host=h2"));
    assert_eq!(entries[2].fields, b"v=1");
}

#[test]
fn empty_record_is_dropped() {
    let mut buf = vec![1, 2, 3];
    let b = WriteRecordBuilder::begin(&mut buf, BucketId(1));
    b.finish(&mut buf);
    assert_eq!(buf, vec![1, 2, 3]);
}

#[test]
fn frame_detects_every_single_byte_flip() {
    let buf = record_bytes(1, 2);
    for i in 0..buf.len() {
        let mut b = buf.clone();
        b[i] ^= 0x40;
        match record::read_frame(&b, 0) {
            Frame::Record { payload, .. } => {
                // A flip in the length can only "succeed" if it produced a shorter valid
                // record, which CRC makes practically impossible.
                panic!("flip at {i} went unnoticed: {} bytes", payload.len())
            }
            Frame::Bad(_) | Frame::End | Frame::Padding { .. } => {}
        }
    }
}

#[test]
fn header_is_checked() {
    let mut h = Vec::new();
    record::encode_header(3, &mut h);
    assert_eq!(record::decode_header(&h), Ok(3));
    h[0] = b'X';
    assert_eq!(
        record::decode_header(&h),
        Err(record::HeaderError::BadMagic)
    );
    assert_eq!(
        record::decode_header(&h[..4]),
        Err(record::HeaderError::TooShort)
    );
}

fn write_segment(dir: &Path, records: Vec<Vec<u8>>, cfg: WalConfig) {
    let dir = dir.to_path_buf();
    on_executor(move || async move {
        let mut wal = Wal::create(&dir, 0, 0, cfg).await.unwrap();
        for r in records {
            wal.append(&r).await.unwrap();
        }
        wal.close().await.unwrap();
    });
}

#[test]
fn append_then_replay() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(
        dir.path(),
        vec![record_bytes(1, 2), record_bytes(2, 5)],
        WalConfig::default(),
    );
    let (got, stats) = collect(dir.path()).unwrap();
    assert_eq!(got, vec![(1, 2), (2, 5)]);
    assert_eq!(stats.segments, 1);
    assert_eq!(stats.truncated_bytes, 0);
    assert_eq!(stats.last_seq, Some(0));
}

#[test]
fn replay_truncates_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(dir.path(), vec![record_bytes(1, 2)], WalConfig::default());
    let path = dir.path().join(segment_name(0));
    let good_len = std::fs::metadata(&path).unwrap().len();
    // A half-written second record.
    let torn = record_bytes(9, 4);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, &torn[..torn.len() / 2]).unwrap();
    drop(f);
    let (got, stats) = collect(dir.path()).unwrap();
    assert_eq!(got, vec![(1, 2)]);
    assert_eq!(stats.truncated_bytes as usize, torn.len() / 2);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
    // A second replay finds a clean log.
    let (_, stats) = collect(dir.path()).unwrap();
    assert_eq!(stats.truncated_bytes, 0);
}

#[test]
fn replay_ignores_zero_filled_tail() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(dir.path(), vec![record_bytes(1, 1)], WalConfig::default());
    let path = dir.path().join(segment_name(0));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, &[0u8; 4096]).unwrap();
    drop(f);
    let (got, _) = collect(dir.path()).unwrap();
    assert_eq!(got, vec![(1, 1)]);
}

#[test]
fn replay_rejects_mid_file_corruption() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(
        dir.path(),
        vec![record_bytes(1, 3), record_bytes(2, 3)],
        WalConfig::default(),
    );
    let path = dir.path().join(segment_name(0));
    let mut bytes = std::fs::read(&path).unwrap();
    let at = record::BLOCK + record::FRAME_LEN + 5;
    bytes[at] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = collect(dir.path()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&segment_name(0)), "{msg}");
    assert!(msg.contains(&format!("offset {}", record::BLOCK)), "{msg}");
    // Nothing was cut off.
    assert_eq!(
        std::fs::metadata(&path).unwrap().len() as usize,
        bytes.len()
    );
}

#[test]
fn corruption_in_an_older_segment_is_fatal_even_at_its_tail() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(dir.path(), vec![record_bytes(1, 3)], WalConfig::default());
    // Make a second, newer segment so segment 0 is not the newest.
    let d2 = dir.path().to_path_buf();
    on_executor(move || async move {
        let mut wal = Wal::create(&d2, 0, 1, WalConfig::default()).await.unwrap();
        wal.append(&record_bytes(2, 1)).await.unwrap();
        wal.close().await.unwrap();
    });
    let path = dir.path().join(segment_name(0));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, b"garbage!garbage!").unwrap();
    drop(f);
    let err = collect(dir.path()).unwrap_err();
    assert!(err.to_string().contains("corrupt"), "{err}");
}

#[test]
fn rotation_creates_new_segments_and_replays_all() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = WalConfig {
        segment_max_bytes: 1024 * 1024,
        ..WalConfig::default()
    };
    let big: Vec<Vec<u8>> = (0..6).map(|i| record_bytes(i, 20_000)).collect();
    write_segment(dir.path(), big, cfg);
    let (got, stats) = collect(dir.path()).unwrap();
    assert_eq!(got.len(), 6);
    assert!(stats.segments >= 2, "{stats:?}");
}

#[test]
fn poisoned_wal_refuses_appends() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let err = on_executor(move || async move {
        let mut wal = Wal::create(&d, 0, 0, WalConfig::default()).await.unwrap();
        wal.poison();
        wal.append(&record_bytes(1, 1)).await.unwrap_err()
    });
    assert_eq!(err.kind(), crate::ErrorKind::Unavailable);
    assert!(err.to_string().contains("restart"), "{err}");
}

#[test]
fn incomplete_header_of_newest_segment_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(dir.path(), vec![record_bytes(1, 1)], WalConfig::default());
    std::fs::write(dir.path().join(segment_name(1)), b"RFLX").unwrap();
    let (got, stats) = collect(dir.path()).unwrap();
    assert_eq!(got, vec![(1, 1)]);
    assert_eq!(stats.segments, 2);
    assert!(!dir.path().join(segment_name(1)).exists());
}
