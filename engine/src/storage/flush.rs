//! Flush: write a frozen head into segment files, one per (bucket, partition).
//!
//! Invariants:
//! - Input series come sorted by (bucket, series key) and each series' columns are written in
//!   field-key order, so every segment receives its columns in the order the format requires.
//! - A column is split at partition boundaries; each part goes to its partition's segment, and
//!   every segment of one flush gets the same generation.
//! - The frozen head is only read (normalising a column is not a change of content); the head
//!   borrow is never held across an `.await`, so reads keep working during a flush.
//! - On error every file started by this flush is removed; nothing is published.

use std::cell::RefCell;

use super::pace::Pacer;
use super::runs::Run;
use super::store::{partition_start, Segment, SegmentSink, SegmentStore};
use super::Head;
use crate::error::Result;
use crate::hash::FastMap;
use crate::index::SeriesId;
use crate::model::BucketId;

/// One series to flush.
#[derive(Debug)]
pub struct FlushSeries {
    /// Bucket.
    pub bucket: BucketId,
    /// Canonical series key.
    pub key: Box<[u8]>,
    /// Id in the frozen head.
    pub sid: SeriesId,
    /// Partition duration (ns) of the bucket.
    pub duration: i64,
}

/// Writes every column of `series` found in `head` to new segment files of generation `gen`
/// and returns them (not yet published).
pub async fn write_head(
    store: &SegmentStore,
    head: &RefCell<Head>,
    gen: u64,
    mut series: Vec<FlushSeries>,
) -> Result<Vec<Segment>> {
    series.sort_by(|a, b| (a.bucket, &a.key).cmp(&(b.bucket, &b.key)));
    let mut sinks: FastMap<(BucketId, i64), SegmentSink> = FastMap::default();
    let result = fill(store, head, gen, &series, &mut sinks).await;
    let mut done = Vec::with_capacity(sinks.len());
    let mut err = result.err();
    for (_, sink) in sinks {
        if err.is_some() {
            sink.abandon().await;
            continue;
        }
        match sink.finish().await {
            Ok(Some(seg)) => done.push(seg),
            Ok(None) => {}
            Err(e) => err = Some(e),
        }
    }
    if let Some(e) = err {
        for seg in done {
            let _ = glommio::io::remove(
                store
                    .dir()
                    .join(super::store::segment_file_name(seg.meta.file)),
            )
            .await;
        }
        return Err(e);
    }
    Ok(done)
}

async fn fill(
    store: &SegmentStore,
    head: &RefCell<Head>,
    gen: u64,
    series: &[FlushSeries],
    sinks: &mut FastMap<(BucketId, i64), SegmentSink>,
) -> Result<()> {
    let mut pacer = Pacer::default();
    for s in series {
        // Copy the series' columns out (normalised, split by partition) under a short borrow.
        let parts: Vec<(Box<[u8]>, i64, Run)> = {
            let mut h = head.borrow_mut();
            let Some(sd) = h.series_mut(s.sid) else {
                continue;
            };
            let mut cols: Vec<usize> = (0..sd.columns.len()).collect();
            cols.sort_by(|a, b| {
                let na = sd.columns.get(*a).map(|c| &c.name);
                let nb = sd.columns.get(*b).map(|c| &c.name);
                na.cmp(&nb)
            });
            let mut parts = Vec::new();
            for ci in cols {
                let Some(col) = sd.columns.get_mut(ci) else {
                    continue;
                };
                col.normalize();
                let n = col.times.len();
                let mut lo = 0;
                while lo < n {
                    let Some(t) = col.times.get(lo) else { break };
                    let p = partition_start(t, s.duration);
                    let end = p.saturating_add(s.duration);
                    let hi = col.times.partition_point(|x| *x < end).max(lo + 1);
                    parts.push((col.name.clone(), p, Run::from_column(col, lo, hi)));
                    lo = hi;
                }
            }
            parts
        };
        for (field, p, run) in parts {
            let key = (s.bucket, p);
            let sink = match sinks.entry(key) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(store.create_segment(s.bucket, p, s.duration, gen).await?)
                }
            };
            run.with_column_values(|cv| sink.add_column_sync(&s.key, &field, &run.times, cv))?;
            sink.maybe_spill().await?;
            pacer.tick().await;
        }
        pacer.tick().await;
    }
    Ok(())
}
