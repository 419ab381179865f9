//! Compaction: merge all segments of one (bucket, partition) into one, applying
//! last-write-wins and tombstones.
//!
//! Invariants:
//! - The inputs are *all* live segments of the partition, so the output can take the highest
//!   input generation without changing precedence against anything else (see `store`).
//! - Columns are produced in (series key, field key) order: the union of the inputs' sorted
//!   column lists.
//! - Points deleted by a tombstone newer than their input segment are dropped, so tombstones
//!   are physically applied; `SegmentStore::install` then forgets tombstones that no longer
//!   apply to any segment.
//! - The output is published (manifest) before the inputs are deleted; a crash in between
//!   leaves the old inputs live and the half-written output as garbage removed at open.
//! - Runs with other work on the same executor: it yields between columns and is meant to run
//!   on a low-priority task queue.

use std::rc::Rc;

use super::pace::Pacer;
use super::runs::{merge_runs, Run};
use super::store::{Segment, SegmentStore};
use crate::error::Result;
use crate::model::BucketId;

/// When a partition is worth compacting.
#[derive(Debug, Clone, Copy)]
pub struct CompactPolicy {
    /// A partition with at least this many segments is compacted.
    pub max_segments: usize,
    /// Most bytes per second a compaction writes (0 = unlimited).
    pub throughput: u64,
}

impl Default for CompactPolicy {
    fn default() -> Self {
        CompactPolicy {
            max_segments: 4,
            throughput: 0,
        }
    }
}

/// What one compaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactStats {
    /// Input segments.
    pub inputs: usize,
    /// Input points.
    pub points_in: u64,
    /// Output points.
    pub points_out: u64,
    /// Input bytes.
    pub bytes_in: u64,
    /// Output bytes.
    pub bytes_out: u64,
}

/// The next partition to compact, if any: one with `max_segments` or more segments, one whose
/// time is over (`partition end <= now`) with more than one segment, or one with a tombstone
/// to apply. Oldest partitions first.
pub fn pick(store: &SegmentStore, policy: CompactPolicy, now: i64) -> Option<Vec<Rc<Segment>>> {
    let mut all = store.all_segments();
    all.sort_by_key(|s| (s.meta.partition, s.meta.bucket, s.meta.gen, s.meta.file));
    let mut scratch = Vec::new();
    for group in
        all.chunk_by(|a, b| a.meta.bucket == b.meta.bucket && a.meta.partition == b.meta.partition)
    {
        let Some(first) = group.first() else { continue };
        let n = group.len();
        let due = n >= policy.max_segments.max(2)
            || (n > 1 && first.meta.partition_end() <= now)
            || group.iter().any(|s| {
                store.has_tombstones_for(&s.meta)
                    && s.index.columns().any(|c| {
                        scratch.clear();
                        store.deleted_ranges(
                            BucketId(s.meta.bucket),
                            s.meta.gen,
                            s.meta.tomb_seq,
                            c.series_key(),
                            &mut scratch,
                        );
                        scratch.iter().any(|(a, b)| {
                            c.min_time().is_some_and(|lo| lo <= *b)
                                && c.max_time().is_some_and(|hi| hi >= *a)
                        })
                    })
            });
        if due {
            return Some(group.to_vec());
        }
    }
    None
}

/// Merges `inputs` (all segments of one partition) into one segment and publishes it.
pub async fn compact(
    store: &SegmentStore,
    inputs: Vec<Rc<Segment>>,
    policy: CompactPolicy,
) -> Result<CompactStats> {
    let Some(first) = inputs.first() else {
        return Ok(CompactStats::default());
    };
    let bucket = BucketId(first.meta.bucket);
    let (partition, duration) = (first.meta.partition, first.meta.duration);
    let mut inputs = inputs;
    inputs.sort_by_key(|s| (s.meta.gen, s.meta.file));
    let gen = inputs.iter().map(|s| s.meta.gen).max().unwrap_or(0);
    let mut stats = CompactStats {
        inputs: inputs.len(),
        points_in: inputs.iter().map(|s| s.meta.points).sum(),
        bytes_in: inputs.iter().map(|s| s.meta.bytes).sum(),
        ..CompactStats::default()
    };
    // Union of the inputs' columns, in order.
    let mut columns: Vec<(&[u8], &[u8])> = inputs
        .iter()
        .flat_map(|s| s.index.columns().map(|c| (c.series_key(), c.field())))
        .collect();
    columns.sort_unstable();
    columns.dedup();

    // Every tombstone known now is applied below to the inputs it concerns.
    let applied = store.max_tomb_seq();
    let mut sink = store
        .create_segment(bucket, partition, duration, gen)
        .await?;
    sink.set_tomb_seq(applied);
    sink.set_throughput(policy.throughput);
    let mut ranges = Vec::new();
    let mut pacer = Pacer::default();
    let result: Result<()> = async {
        for (key, field) in &columns {
            let mut runs = Vec::with_capacity(inputs.len());
            for seg in &inputs {
                let Some(col) = seg.index.column(key, field) else {
                    continue;
                };
                let mut run: Option<Run> = None;
                for b in col.blocks() {
                    pacer.tick().await;
                    let block = store.read_block(seg, b, false).await?;
                    let r = run.get_or_insert_with(|| Run::empty(&block.values));
                    r.times.extend_from_slice(&block.times);
                    let mut part = Run {
                        times: Vec::new(),
                        values: block.values.clone(),
                    };
                    append_values(&mut r.values, &mut part);
                    if r.values.len() != r.times.len() {
                        return Err(crate::error::Error::internal(format!(
                            "segment {}: column {} {} changes type between blocks",
                            seg.meta.file,
                            String::from_utf8_lossy(key),
                            String::from_utf8_lossy(field)
                        )));
                    }
                }
                if let Some(mut run) = run {
                    ranges.clear();
                    store.deleted_ranges(bucket, seg.meta.gen, seg.meta.tomb_seq, key, &mut ranges);
                    run.remove_ranges(&ranges);
                    runs.push(run);
                }
            }
            if let Some(merged) = merge_runs(runs) {
                stats.points_out += merged.len() as u64;
                merged
                    .with_column_values(|cv| sink.add_column_sync(key, field, &merged.times, cv))?;
                sink.maybe_spill().await?;
            }
            pacer.tick().await;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        sink.abandon().await;
        return Err(e);
    }
    let removed: Vec<u64> = inputs.iter().map(|s| s.meta.file).collect();
    let added = match sink.finish().await? {
        Some(seg) => {
            stats.bytes_out = seg.meta.bytes;
            vec![seg]
        }
        None => Vec::new(),
    };
    store.install(added, &removed, None).await?;
    Ok(stats)
}

/// Moves `part`'s values onto the end of `into` (same type; mismatches are dropped).
fn append_values(into: &mut super::segment_file::DecodedValues, part: &mut Run) {
    use super::segment_file::DecodedValues as D;
    match (into, &mut part.values) {
        (D::Float(a), D::Float(b)) => a.append(b),
        (D::Integer(a), D::Integer(b)) => a.append(b),
        (D::UInteger(a), D::UInteger(b)) => a.append(b),
        (D::Boolean(a), D::Boolean(b)) => a.append(b),
        (D::String(a), D::String(b)) => a.append(b),
        _ => {}
    }
}
