//! The shard side of a read: find the (series, field) columns of a bucket that match a plan and
//! stream their points in the time range, ordered by (series key, field key).
//!
//! Invariants:
//! - Runs on the shard's executor and only *reads* the index and head (normalising a column —
//!   sort + last-write-wins dedup — is the one mutation, and it does not change the data).
//! - Memory is bounded: at most `CHUNK_ROWS` rows are copied out at a time, and the bounded
//!   reply stream makes the shard wait while the client is slow. The state borrow is never held
//!   across an await, so writes keep flowing while a read streams.
//! - If the receiver goes away (client disconnected), the read stops.

use std::rc::Rc;
use std::sync::Arc;

use crate::error::Result;
use crate::index::SeriesId;
use crate::line_protocol as lp;
use crate::mesh::reply::StreamSender;
use crate::model::BucketId;
use crate::query::plan::ReadPlan;
use crate::storage::Values;

use super::Shard;

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
    col: usize,
}

/// Streams the matching columns of `bucket` into `tx`.
pub async fn run_read(
    shard: Rc<Shard>,
    bucket: BucketId,
    plan: ReadPlan,
    tx: StreamSender<Result<ReadChunk>>,
) {
    let mut cands = collect_candidates(&shard, bucket, &plan);
    cands.sort_by(|a, b| (&*a.key, &*a.field).cmp(&(&*b.key, &*b.field)));
    for c in cands {
        let mut after: Option<i64> = None;
        let mut first = true;
        loop {
            let chunk = {
                let mut st = shard.state.borrow_mut();
                let Some(sd) = st.head.series_mut(c.sid) else {
                    break;
                };
                let Some(col) = sd.columns.get_mut(c.col) else {
                    break;
                };
                col.normalize();
                let start = match after {
                    Some(t) => plan.start.max(t.saturating_add(1)),
                    None => plan.start,
                };
                let r = col.range(start, plan.stop);
                if r.is_empty() {
                    break;
                }
                let end = r.end.min(r.start + CHUNK_ROWS);
                let times = col.times.to_vec_range(r.start, end);
                let values = copy_values(&col.values, r.start, end);
                after = times.last().copied();
                ReadChunk {
                    key: c.key.clone(),
                    field: c.field.clone(),
                    first,
                    times,
                    values,
                }
            };
            first = false;
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
        glommio::executor().yield_if_needed().await;
    }
}

fn collect_candidates(shard: &Shard, bucket: BucketId, plan: &ReadPlan) -> Vec<Candidate> {
    let st = shard.state.borrow();
    let mut out = Vec::new();
    for &sid in st.index.bucket_series(bucket) {
        let Some(entry) = st.index.entry(sid) else {
            continue;
        };
        let Some(sd) = st.head.series(sid) else {
            continue;
        };
        let parts = lp::parse_series_key(entry.key);
        let measurement = parts.measurement();
        let tags: Vec<(Vec<u8>, Vec<u8>)> = parts
            .tags()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut key_arc: Option<Arc<[u8]>> = None;
        for (ci, col) in sd.columns.iter().enumerate() {
            if !matches(plan, &measurement, &tags, &col.name) {
                continue;
            }
            let key = key_arc
                .get_or_insert_with(|| Arc::from(entry.key))
                .clone();
            out.push(Candidate {
                key,
                field: Arc::from(&*col.name),
                sid,
                col: ci,
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

fn copy_values(v: &Values, start: usize, end: usize) -> ChunkValues {
    match v {
        Values::Float(x) => ChunkValues::Float(x.to_vec_range(start, end)),
        Values::Integer(x) => ChunkValues::Integer(x.to_vec_range(start, end)),
        Values::UInteger(x) => ChunkValues::UInteger(x.to_vec_range(start, end)),
        Values::Boolean(x) => ChunkValues::Boolean(x.to_vec_range(start, end)),
        Values::String { .. } => ChunkValues::String(
            (start..end)
                .map(|i| v.str_at(i).unwrap_or("").to_string())
                .collect(),
        ),
    }
}
