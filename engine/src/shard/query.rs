//! The shard side of a read: find the (series, field) columns of a bucket that match a plan and
//! stream their points in the time range, ordered by (series key, field key).
//!
//! Invariants:
//! - Runs on the shard's executor and only *reads* the index, heads and segment files
//!   (normalising a head column — sort + last-write-wins dedup — is the one mutation, and it
//!   does not change the data).
//! - Sees a snapshot taken at its start: the head, the frozen head (if a flush is running)
//!   and the live segments, each held by `Rc`, so a flush or compaction finishing meanwhile
//!   changes nothing for it. Each column merges its sources with last-write-wins (segments by
//!   generation, then the frozen head, then the head) and drops points under tombstones newer
//!   than their source; see `storage::runs`.
//! - Memory is bounded: at most `CHUNK_ROWS` rows are copied out at a time, and the bounded
//!   reply stream makes the shard wait while the client is slow. The state borrow is never held
//!   across an await, so writes keep flowing while a read streams.
//! - If the receiver goes away (client disconnected), the read stops.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use crate::error::Result;
use crate::index::SeriesId;
use crate::line_protocol as lp;
use crate::mesh::reply::StreamSender;
use crate::model::BucketId;
use crate::query::plan::ReadPlan;
use crate::query::pushdown::{AggKind, Aggregation};
use crate::storage::runs::{merge_runs, Run};
use crate::storage::segment_file::{BlockRef, DecodedValues};
use crate::storage::store::{deleted_ranges_in, Segment, SegmentStore, Tombstone};
use crate::storage::Head;

use super::aggregate::Folder;
use super::{Frozen, Shard};

/// Most rows copied into one chunk.
pub const CHUNK_ROWS: usize = 8192;

/// Values of a chunk, by type.
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkValues {
    /// Floats.
    Float(Vec<f64>),
    /// Signed integers.
    Integer(Vec<i64>),
    /// Unsigned integers.
    UInteger(Vec<u64>),
    /// Booleans.
    Boolean(Vec<bool>),
    /// Strings.
    String(Vec<String>),
}

/// A run of points of one (series, field), sent from a shard to the coordinator.
#[derive(Debug, Clone)]
pub struct ReadChunk {
    /// Canonical series key.
    pub key: Arc<[u8]>,
    /// Unescaped field key.
    pub field: Arc<[u8]>,
    /// True for the first chunk of this (series, field).
    pub first: bool,
    /// Timestamps, strictly increasing.
    pub times: Vec<i64>,
    /// Values parallel to `times`.
    pub values: ChunkValues,
}

struct Candidate {
    key: Arc<[u8]>,
    field: Arc<[u8]>,
    sid: SeriesId,
}

/// Where one source of a column's points stands.
enum Cursor {
    /// Blocks of a segment column overlapping the range, next block first.
    Segment {
        seg: Rc<Segment>,
        blocks: Vec<BlockRef>,
        next: usize,
        ranges: Vec<(i64, i64)>,
    },
    /// A head (active or frozen), copied out `CHUNK_ROWS` points at a time.
    Head {
        head: Rc<RefCell<Head>>,
        after: Option<i64>,
        ranges: Vec<(i64, i64)>,
        done: bool,
    },
}

struct Source {
    cursor: Cursor,
    cur: Option<Run>,
}

/// A consistent view of the shard's sources taken when a read starts.
struct Snapshot {
    head: Rc<RefCell<Head>>,
    frozen: Option<Frozen>,
    segments: Vec<Rc<Segment>>,
    /// Tombstones as they were with `segments` (later ones are applied to the head and
    /// recorded too, so reading them is also right; but none may be missing).
    tombstones: Vec<Tombstone>,
}

/// Streams the matching columns of `bucket` into `tx`.
pub async fn run_read(
    shard: Rc<Shard>,
    bucket: BucketId,
    plan: ReadPlan,
    tx: StreamSender<Result<ReadChunk>>,
) {
    let snap = {
        let st = shard.state.borrow();
        Snapshot {
            head: st.head.clone(),
            frozen: st.frozen.clone(),
            segments: shard.store.segments_for(bucket, plan.start, plan.stop),
            tombstones: shard.store.tombstones(),
        }
    };
    let mut cands = collect_candidates(&shard, &snap, bucket, &plan);
    cands.sort_by(|a, b| (&*a.key, &*a.field).cmp(&(&*b.key, &*b.field)));
    for c in cands {
        match read_column(&shard, &snap, bucket, &plan, &c, &tx).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
        glommio::executor().yield_if_needed().await;
    }
}

/// Merges every source of one column and sends it; `Ok(false)` when the receiver is gone.
async fn read_column(
    shard: &Shard,
    snap: &Snapshot,
    bucket: BucketId,
    plan: &ReadPlan,
    c: &Candidate,
    tx: &StreamSender<Result<ReadChunk>>,
) -> Result<bool> {
    let store = &shard.store;
    let mut sources: Vec<Source> = Vec::new();
    for seg in &snap.segments {
        if let Some(col) = seg.index.column(&c.key, &c.field) {
            let blocks = col.blocks_overlapping(plan.start, plan.stop).to_vec();
            if blocks.is_empty() {
                continue;
            }
            let mut ranges = Vec::new();
            deleted_ranges_in(
                &snap.tombstones,
                bucket,
                seg.meta.gen,
                seg.meta.tomb_seq,
                &c.key,
                &mut ranges,
            );
            sources.push(Source {
                cursor: Cursor::Segment {
                    seg: seg.clone(),
                    blocks,
                    next: 0,
                    ranges,
                },
                cur: None,
            });
        }
    }
    if let Some(f) = &snap.frozen {
        let mut ranges = Vec::new();
        deleted_ranges_in(&snap.tombstones, bucket, f.gen, 0, &c.key, &mut ranges);
        sources.push(Source {
            cursor: Cursor::Head {
                head: f.head.clone(),
                after: None,
                ranges,
                done: false,
            },
            cur: None,
        });
    }
    sources.push(Source {
        cursor: Cursor::Head {
            head: snap.head.clone(),
            after: None,
            ranges: Vec::new(),
            done: false,
        },
        cur: None,
    });

    if let Some(agg) = plan.agg {
        return aggregate_column(store, sources, c, plan, agg, tx).await;
    }
    let mut first = true;
    let mut out: Option<Run> = None;
    while let Some(merged) = next_merged(store, &mut sources, c, plan).await? {
        match out.as_mut() {
            Some(o) => append_run(o, merged),
            None => out = Some(merged),
        }
        if out.as_ref().is_some_and(|o| o.len() >= CHUNK_ROWS) {
            if let Some(o) = out.take() {
                if !send(tx, c, first, o).await {
                    return Ok(false);
                }
                first = false;
            }
        }
    }
    if let Some(o) = out.take() {
        if !send(tx, c, first, o).await {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The next merged (last-write-wins) run of a column's sources, in time order; `None` at the
/// end.
async fn next_merged(
    store: &SegmentStore,
    sources: &mut [Source],
    c: &Candidate,
    plan: &ReadPlan,
) -> Result<Option<Run>> {
    loop {
        for s in sources.iter_mut() {
            if s.cur.as_ref().is_none_or(Run::is_empty) {
                s.cur = refill(store, &mut s.cursor, c, plan).await?;
            }
        }
        // Everything up to the smallest "last time" of the current runs is complete.
        let Some(frontier) = sources
            .iter()
            .filter_map(|s| s.cur.as_ref().and_then(|r| r.times.last().copied()))
            .min()
        else {
            return Ok(None);
        };
        let parts: Vec<Run> = sources
            .iter_mut()
            .filter_map(|s| s.cur.as_mut().map(|r| r.split_upto(frontier)))
            .collect();
        if let Some(merged) = merge_runs(parts) {
            return Ok(Some(merged));
        }
    }
}

/// Folds a column into a pushed-down aggregate and sends its rows; `Ok(false)` when the
/// receiver is gone.
async fn aggregate_column(
    store: &SegmentStore,
    mut sources: Vec<Source>,
    c: &Candidate,
    plan: &ReadPlan,
    agg: Aggregation,
    tx: &StreamSender<Result<ReadChunk>>,
) -> Result<bool> {
    let whole = agg.every.is_none();
    if whole && agg.kind == AggKind::Last {
        // Only the newest point matters: look at each source from its end.
        let mut best: Option<Run> = None;
        for s in sources.iter_mut() {
            if let Some(p) = last_point(store, &mut s.cursor, c, plan).await? {
                // Later sources have higher precedence: on equal times they win.
                if best
                    .as_ref()
                    .is_none_or(|b| b.times.first() <= p.times.first())
                {
                    best = Some(p);
                }
            }
        }
        return match best {
            Some(p) => Ok(send(tx, c, true, p).await),
            None => Ok(true),
        };
    }
    let mut folder = Folder::new(agg, plan.start);
    let mut first = true;
    while let Some(merged) = next_merged(store, &mut sources, c, plan).await? {
        folder.fold(&merged)?;
        if whole && agg.kind == AggKind::First {
            break; // the first merged run holds the earliest point
        }
        if folder.pending() >= CHUNK_ROWS {
            if let Some((times, values)) = folder.take() {
                if !send(tx, c, first, Run { times, values }).await {
                    return Ok(false);
                }
                first = false;
            }
        }
    }
    if let Some((times, values)) = folder.finish()? {
        return Ok(send(tx, c, first, Run { times, values }).await);
    }
    Ok(true)
}

/// The newest point of one source within the plan's range (not under a tombstone), as a
/// one-point run.
async fn last_point(
    store: &SegmentStore,
    cursor: &mut Cursor,
    c: &Candidate,
    plan: &ReadPlan,
) -> Result<Option<Run>> {
    match cursor {
        Cursor::Segment {
            seg,
            blocks,
            ranges,
            ..
        } => {
            for b in blocks.iter().rev() {
                let block = store.read_block(seg, b, true).await?;
                let mut run = Run {
                    times: block.times.clone(),
                    values: block.values.clone(),
                };
                run.clip(plan.start, plan.stop);
                run.remove_ranges(ranges);
                if let Some(&t) = run.times.last() {
                    run.clip(t, t.saturating_add(1));
                    return Ok(Some(run));
                }
            }
            Ok(None)
        }
        Cursor::Head { head, ranges, .. } => {
            let mut h = head.borrow_mut();
            let col = h
                .series_mut(c.sid)
                .and_then(|sd| sd.columns.iter_mut().find(|col| *col.name == *c.field));
            let Some(col) = col else {
                return Ok(None);
            };
            col.normalize();
            let r = col.range(plan.start, plan.stop);
            for i in r.rev() {
                let t = col.times.get(i).unwrap_or(i64::MIN);
                if !ranges.iter().any(|(a, b)| *a <= t && t <= *b) {
                    return Ok(Some(Run::from_column(col, i, i + 1)));
                }
            }
            Ok(None)
        }
    }
}

/// The next non-empty run of a source within the plan's range, or `None` when exhausted.
async fn refill(
    store: &SegmentStore,
    cursor: &mut Cursor,
    c: &Candidate,
    plan: &ReadPlan,
) -> Result<Option<Run>> {
    loop {
        match cursor {
            Cursor::Segment {
                seg,
                blocks,
                next,
                ranges,
            } => {
                let Some(b) = blocks.get(*next) else {
                    return Ok(None);
                };
                *next += 1;
                let block = store.read_block(seg, b, true).await?;
                let mut run = Run {
                    times: block.times.clone(),
                    values: block.values.clone(),
                };
                run.clip(plan.start, plan.stop);
                run.remove_ranges(ranges);
                if !run.is_empty() {
                    return Ok(Some(run));
                }
            }
            Cursor::Head {
                head,
                after,
                ranges,
                done,
            } => {
                if *done {
                    return Ok(None);
                }
                let run = {
                    let mut h = head.borrow_mut();
                    let col = h
                        .series_mut(c.sid)
                        .and_then(|sd| sd.columns.iter_mut().find(|col| *col.name == *c.field));
                    let Some(col) = col else {
                        *done = true;
                        return Ok(None);
                    };
                    col.normalize();
                    let start = match after {
                        Some(t) => plan.start.max(t.saturating_add(1)),
                        None => plan.start,
                    };
                    let r = col.range(start, plan.stop);
                    if r.is_empty() {
                        *done = true;
                        return Ok(None);
                    }
                    let end = r.end.min(r.start + CHUNK_ROWS);
                    Run::from_column(col, r.start, end)
                };
                *after = run.times.last().copied();
                let mut run = run;
                run.remove_ranges(ranges);
                if !run.is_empty() {
                    return Ok(Some(run));
                }
            }
        }
    }
}

fn append_run(into: &mut Run, mut more: Run) {
    into.times.append(&mut more.times);
    match (&mut into.values, more.values) {
        (DecodedValues::Float(a), DecodedValues::Float(mut b)) => a.append(&mut b),
        (DecodedValues::Integer(a), DecodedValues::Integer(mut b)) => a.append(&mut b),
        (DecodedValues::UInteger(a), DecodedValues::UInteger(mut b)) => a.append(&mut b),
        (DecodedValues::Boolean(a), DecodedValues::Boolean(mut b)) => a.append(&mut b),
        (DecodedValues::String(a), DecodedValues::String(mut b)) => a.append(&mut b),
        _ => {}
    }
}

async fn send(tx: &StreamSender<Result<ReadChunk>>, c: &Candidate, first: bool, run: Run) -> bool {
    let values = match run.values {
        DecodedValues::Float(v) => ChunkValues::Float(v),
        DecodedValues::Integer(v) => ChunkValues::Integer(v),
        DecodedValues::UInteger(v) => ChunkValues::UInteger(v),
        DecodedValues::Boolean(v) => ChunkValues::Boolean(v),
        DecodedValues::String(v) => ChunkValues::String(
            v.into_iter()
                .map(|b| {
                    String::from_utf8(b)
                        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
                })
                .collect(),
        ),
    };
    let chunk = ReadChunk {
        key: c.key.clone(),
        field: c.field.clone(),
        first,
        times: run.times,
        values,
    };
    tx.send(Ok(chunk)).await.is_ok()
}

fn collect_candidates(
    shard: &Shard,
    snap: &Snapshot,
    bucket: BucketId,
    plan: &ReadPlan,
) -> Vec<Candidate> {
    let st = shard.state.borrow();
    let head = snap.head.borrow();
    let frozen = snap.frozen.as_ref().map(|f| f.head.borrow());
    let mut out = Vec::new();
    let mut fields: Vec<Box<[u8]>> = Vec::new();
    for &sid in st.index.bucket_series(bucket) {
        let Some(entry) = st.index.entry(sid) else {
            continue;
        };
        fields.clear();
        for h in std::iter::once(&*head).chain(frozen.as_deref()) {
            if let Some(sd) = h.series(sid) {
                fields.extend(sd.columns.iter().map(|c| c.name.clone()));
            }
        }
        for seg in &snap.segments {
            fields.extend(
                seg.index
                    .series(entry.key)
                    .iter()
                    .map(|c| Box::from(c.field())),
            );
        }
        if fields.is_empty() {
            continue;
        }
        fields.sort_unstable();
        fields.dedup();
        let parts = lp::parse_series_key(entry.key);
        let measurement = parts.measurement();
        let tags: Vec<(Vec<u8>, Vec<u8>)> = parts
            .tags()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut key_arc: Option<Arc<[u8]>> = None;
        for f in &fields {
            if !matches(plan, &measurement, &tags, f) {
                continue;
            }
            let key = key_arc.get_or_insert_with(|| Arc::from(entry.key)).clone();
            out.push(Candidate {
                key,
                field: Arc::from(&**f),
                sid,
            });
        }
    }
    out
}

/// Evaluates the plan's predicate for one (series, field).
fn matches(plan: &ReadPlan, measurement: &[u8], tags: &[(Vec<u8>, Vec<u8>)], field: &[u8]) -> bool {
    let mut lookup = |k: &[u8]| -> Option<&[u8]> {
        tags.iter()
            .find(|(tk, _)| tk.as_slice() == k)
            .map(|(_, v)| v.as_slice())
    };
    plan.predicate.eval(measurement, &mut lookup, field)
}
