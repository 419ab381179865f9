//! A shard: the WAL, series index and in-memory head that one glommio executor owns.
//!
//! ```text
//!  submit(WriteBatch) ──push──▶ pending ──notify──▶ committer task (one per shard)
//!                                                   │ take every pending batch
//!                                                   │ encode all into ONE buffer (series keys resolved)
//!                                                   │ wal.append(buf): write + ONE fdatasync
//!                                                   │ apply to head in submission order
//!                                                   └ reply to every waiter
//! ```
//!
//! Invariants:
//! - `!Send` by construction (`Rc`/`RefCell`); it never leaves its executor. Other cores reach
//!   it only through `mesh` messages.
//! - A write is applied to the head only after its WAL record is durable, and acknowledged
//!   only after that; batches are applied in submission order, so last-write-wins follows the
//!   order in which writes were accepted.
//! - After a WAL failure the shard is poisoned: pending and later writes fail with
//!   `Unavailable`.

mod aggregate;
pub mod query;
pub mod schema;
#[cfg(test)]
mod storage_tests;
#[cfg(test)]
mod tests;

pub mod maintenance;

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;

use crate::config::EngineConfig;
use crate::delete::DeleteRequest;
use crate::error::{Error, Result};
use crate::index::persist::SeriesLog;
use crate::index::{SeriesId, SeriesIndex};
use crate::line_protocol::{self as lp, EscapeKind, LineSpan, Span};
use crate::mesh::reply::{oneshot, OneshotReceiver, OneshotSender};
use crate::mesh::Notify;
use crate::model::{BucketId, ShardId};
use crate::schema::{type_key, FieldTypes};
use crate::storage::store::{SegmentStore, Tombstone};
use crate::storage::{AppendOutcome, Head, ValueRef};
use crate::wal::record::{self, SeriesRef, WriteRecordBuilder};
use crate::wal::{replay, Wal};

/// What a shard needs to know about the world outside it.
pub struct ShardEnv {
    /// Retention and partition duration of a bucket, or `None` if the bucket no longer
    /// exists (its data is then dropped by flushes and the retention check).
    pub retention: Box<dyn Fn(BucketId) -> Option<BucketPolicy>>,
    /// Reserves `n` new series of a bucket against the per-bucket series limit (shared by all
    /// shards); false if that would pass the limit. `None` = no limit.
    pub reserve_series: Option<Box<dyn Fn(BucketId, u64) -> bool>>,
}

/// What storage needs to know about a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketPolicy {
    /// Retention in seconds; 0 = infinite.
    pub retention_seconds: i64,
    /// Partition ("shard group") duration in ns.
    pub partition_ns: i64,
}

impl Default for BucketPolicy {
    fn default() -> Self {
        BucketPolicy {
            retention_seconds: 0,
            partition_ns: 7 * 24 * 3600 * 1_000_000_000,
        }
    }
}

impl std::fmt::Debug for ShardEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardEnv").finish_non_exhaustive()
    }
}

impl Default for ShardEnv {
    fn default() -> Self {
        ShardEnv {
            retention: Box::new(|_| Some(BucketPolicy::default())),
            reserve_series: None,
        }
    }
}

/// The head being written to a segment file: readable until the flush is published.
#[derive(Debug, Clone)]
pub(crate) struct Frozen {
    pub(crate) head: Rc<RefCell<Head>>,
    pub(crate) gen: u64,
}

/// Canonical series keys of a batch's lines, computed once by the coordinator (which needs
/// them for placement) so the owning shard does not rebuild them: one byte arena plus end
/// offsets, two allocations per shard per request.
#[derive(Debug, Default, Clone)]
pub struct SeriesKeys {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl SeriesKeys {
    /// Room for `keys` keys totalling `bytes` bytes.
    pub fn with_capacity(keys: usize, bytes: usize) -> Self {
        SeriesKeys {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(keys),
        }
    }

    /// Appends a key.
    pub fn push(&mut self, key: &[u8]) {
        self.bytes.extend_from_slice(key);
        self.ends.push(self.bytes.len() as u32);
    }

    /// Key `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 {
            0
        } else {
            *self.ends.get(i - 1)? as usize
        };
        self.bytes.get(start..end)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// The lines of one write request that one shard owns.
#[derive(Debug)]
pub struct WriteBatch {
    /// Target bucket.
    pub bucket: BucketId,
    /// Shared request body.
    pub body: Bytes,
    /// Validated lines with resolved timestamps.
    pub lines: Vec<LineSpan>,
    /// The canonical series key of each line (`keys.get(i)` belongs to `lines[i]`).
    pub keys: SeriesKeys,
}

impl WriteBatch {
    /// Builds a batch, computing the series keys (tests and tools; the write path gets the keys
    /// from `ingest`).
    pub fn from_lines(bucket: BucketId, body: Bytes, lines: Vec<LineSpan>) -> Self {
        let mut keys = SeriesKeys::default();
        let mut scratch = Vec::new();
        let mut key = Vec::new();
        for line in &lines {
            lp::write_series_key(&body, line, &mut scratch, &mut key);
            keys.push(&key);
        }
        WriteBatch {
            bucket,
            body,
            lines,
            keys,
        }
    }
}

/// A shard's answer to a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteAck {
    /// Points made durable.
    pub points: u64,
    /// Series created by this write.
    pub new_series: u64,
}

struct Pending {
    batch: WriteBatch,
    reply: OneshotSender<Result<WriteAck>>,
}

struct PendingDelete {
    bucket: BucketId,
    req: DeleteRequest,
    reply: OneshotSender<Result<()>>,
}

/// A queued request: writes and deletes are logged and applied in submission order.
enum Queued {
    Write(Pending),
    Delete(PendingDelete),
}

/// Mutable shard state behind one `RefCell` (never borrowed across an await).
#[derive(Debug, Default)]
pub(crate) struct ShardState {
    pub(crate) index: SeriesIndex,
    /// The mutable head. Behind an `Rc` so a read can keep the head it started on while a
    /// flush swaps in a new one.
    pub(crate) head: Rc<RefCell<Head>>,
    /// The head a flush is writing out, if any.
    pub(crate) frozen: Option<Frozen>,
    key: Vec<u8>,
    tag_scratch: Vec<(Span, Span)>,
    fkey: Vec<u8>,
    sval: Vec<u8>,
    meas: Vec<u8>,
    tkey: Vec<u8>,
}

/// One shard.
pub struct Shard {
    id: ShardId,
    pub(crate) state: RefCell<ShardState>,
    pending: RefCell<Vec<Queued>>,
    notify: Notify,
    poisoned: Cell<bool>,
    poison_hook: RefCell<Option<Box<dyn Fn()>>>,
    closing: Cell<bool>,
    mem_budget: usize,
    wal_dir: PathBuf,
    pub(crate) store: Rc<SegmentStore>,
    pub(crate) env: ShardEnv,
    pub(crate) cfg: EngineConfig,
    /// A flush asking the committer to rotate the WAL and freeze the head.
    freeze_req: RefCell<Option<OneshotSender<Result<u64>>>>,
    /// First WAL sequence not yet written, once the committer has exited.
    wal_end_seq: Cell<Option<u64>>,
    /// Wakes the maintenance task.
    pub(crate) maint: Notify,
    pub(crate) maint_reqs: RefCell<Vec<maintenance::Request>>,
    pub(crate) last_write: Cell<Instant>,
    /// The persisted series index (`series.idx`); taken out while the maintenance task writes
    /// it.
    pub(crate) series_log: RefCell<Option<SeriesLog>>,
}

impl std::fmt::Debug for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Recovery figures of one shard.
#[derive(Debug, Clone, Default)]
pub struct RecoveryStats {
    /// WAL statistics.
    pub wal: replay::ReplayStats,
    /// Series rebuilt.
    pub series: usize,
    /// Field values replayed.
    pub values: u64,
}

impl Shard {
    /// Opens shard `id` with a default environment (every bucket exists, infinite
    /// retention); see [`open_with`](Self::open_with).
    pub async fn open(
        id: ShardId,
        cfg: &EngineConfig,
        types: &FieldTypes,
    ) -> Result<(Rc<Shard>, RecoveryStats)> {
        Self::open_with(id, cfg, types, ShardEnv::default()).await
    }

    /// Opens shard `id`: opens its segment store, replays the WAL segments the store does not
    /// cover (rebuilding index, head and field types), opens a fresh WAL segment and starts
    /// the committer and maintenance tasks on the current executor.
    pub async fn open_with(
        id: ShardId,
        cfg: &EngineConfig,
        types: &FieldTypes,
        env: ShardEnv,
    ) -> Result<(Rc<Shard>, RecoveryStats)> {
        let wal_dir = cfg.engine_path.join("wal").join(format!("shard-{id:04}"));
        let data_dir = cfg.engine_path.join("data").join(format!("shard-{id:04}"));
        std::fs::create_dir_all(&wal_dir)
            .map_err(|e| Error::internal(format!("creating {}: {e}", wal_dir.display())))?;
        crate::fileio::probe_direct_io(&wal_dir).await?;
        let shards = cfg.shards.max(1);
        let store = SegmentStore::open(
            &data_dir,
            id as u32,
            (cfg.storage.block_cache_size / shards as u64) as usize,
        )
        .await?;
        let wal_min_seq = store.wal_min_seq();
        crate::wal::remove_segments_before(&wal_dir, wal_min_seq).await?;
        let (series_log, index) = crate::index::persist::open(&data_dir, id as u32).await?;
        let shard = Rc::new(Shard {
            id,
            state: RefCell::new(ShardState {
                index,
                ..ShardState::default()
            }),
            pending: RefCell::new(Vec::new()),
            notify: Notify::default(),
            poisoned: Cell::new(false),
            poison_hook: RefCell::new(None),
            closing: Cell::new(false),
            mem_budget: (cfg.storage.cache_max_memory_size / shards as u64) as usize,
            wal_dir: wal_dir.clone(),
            store: Rc::new(store),
            env,
            cfg: cfg.clone(),
            freeze_req: RefCell::new(None),
            wal_end_seq: Cell::new(None),
            maint: Notify::default(),
            maint_reqs: RefCell::new(Vec::new()),
            last_write: Cell::new(Instant::now()),
            series_log: RefCell::new(Some(series_log)),
        });
        shard.index_segment_series();
        shard.register_segment_types(types);
        let mut values = 0u64;
        let wal_stats = {
            let s = shard.clone();
            let mut seg: Option<u64> = None;
            let mut locals: Vec<SeriesId> = Vec::new();
            replay::replay(&wal_dir, |seq, payload| {
                if seg != Some(seq) {
                    seg = Some(seq);
                    locals.clear();
                }
                if record::kind(payload) == Some(record::KIND_DELETE) {
                    let d = record::decode_delete(payload)
                        .map_err(|e| Error::internal(e.0.to_string()))?;
                    let req = DeleteRequest::decode(d.request)?;
                    s.apply_delete(d.bucket, &req, d.gen, d.seq);
                    return Ok(());
                }
                let rec =
                    record::decode_write(payload).map_err(|e| Error::internal(e.0.to_string()))?;
                let mut st = s.state.borrow_mut();
                for entry in rec.entries() {
                    let entry = entry.map_err(|e| Error::internal(e.0.to_string()))?;
                    let sid = match entry.series {
                        SeriesRef::Define(n, key) => {
                            let (sid, _) = st.index.resolve_or_insert(rec.bucket, key);
                            if n as usize != locals.len() {
                                return Err(Error::internal(format!(
                                    "series number {n} defined out of order"
                                )));
                            }
                            locals.push(sid);
                            sid
                        }
                        SeriesRef::Ref(n) => *locals.get(n as usize).ok_or_else(|| {
                            Error::internal(format!("series number {n} used before its definition"))
                        })?,
                    };
                    values += st.apply_entry_replay(rec.bucket, sid, entry, types);
                }
                Ok(())
            })
            .await?
        };
        let next_seq = wal_stats
            .last_seq
            .map(|s| s + 1)
            .unwrap_or(0)
            .max(wal_min_seq);
        let wal = Wal::create(&wal_dir, id as u32, next_seq, cfg.wal.clone()).await?;
        let series = shard.state.borrow().index.len();
        let delay = cfg.wal.fsync_delay;
        glommio::spawn_local(committer(shard.clone(), wal, delay)).detach();
        maintenance::start(shard.clone());
        Ok((
            shard,
            RecoveryStats {
                wal: wal_stats,
                series,
                values,
            },
        ))
    }

    /// Rebuilds the index from the segment files' own indexes when `series.idx` is missing
    /// (lost or removed by an operator) but segment files exist; normally the persisted index
    /// already names every series they hold (a flush persists it before publishing them).
    fn index_segment_series(&self) {
        let mut st = self.state.borrow_mut();
        if !st.index.is_empty() {
            return;
        }
        for seg in self.store.all_segments() {
            let bucket = BucketId(seg.meta.bucket);
            let mut prev: Option<&[u8]> = None;
            for c in seg.index.columns() {
                if prev == Some(c.series_key()) {
                    continue;
                }
                prev = Some(c.series_key());
                st.index.resolve_or_insert(bucket, c.series_key());
            }
        }
    }

    /// Registers the field types of every flushed column, so a restart keeps rejecting writes
    /// whose type conflicts with data that only lives in segment files (the WAL that carried
    /// the first write of the field may be gone). Runs before WAL replay: older data's types
    /// come first, as they did when it was written.
    fn register_segment_types(&self, types: &FieldTypes) {
        let mut key = Vec::new();
        for seg in self.store.all_segments() {
            let bucket = BucketId(seg.meta.bucket);
            for c in seg.index.columns() {
                let parts = lp::parse_series_key(c.series_key());
                type_key(bucket, &parts.measurement(), c.field(), &mut key);
                types.register(&key, c.field_type());
            }
        }
    }

    /// This shard's id.
    pub fn id(&self) -> ShardId {
        self.id
    }

    /// True after a WAL failure.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.get()
    }

    /// Sets a callback run once when the shard becomes poisoned (the runtime publishes it to
    /// `/health` and `/ready`).
    pub fn set_poison_hook(&self, hook: Box<dyn Fn()>) {
        *self.poison_hook.borrow_mut() = Some(hook);
    }

    fn mark_poisoned(&self) {
        if !self.poisoned.replace(true) {
            if let Some(h) = self.poison_hook.borrow().as_ref() {
                h();
            }
        }
    }

    /// Where this shard's WAL segments live.
    pub fn wal_dir(&self) -> &std::path::Path {
        &self.wal_dir
    }

    /// Approximate bytes held in memory by the head and a head being flushed.
    pub fn mem_bytes(&self) -> usize {
        let st = self.state.borrow();
        let frozen = st
            .frozen
            .as_ref()
            .map_or(0, |f| f.head.borrow().mem_bytes());
        let head = st.head.borrow().mem_bytes();
        head + frozen
    }

    /// The segment store.
    pub fn store(&self) -> &SegmentStore {
        &self.store
    }

    /// Number of series per bucket.
    pub fn series_per_bucket(&self) -> Vec<(BucketId, u64)> {
        let st = self.state.borrow();
        let mut counts: crate::hash::FastMap<BucketId, u64> = crate::hash::FastMap::default();
        for sid in 0..st.index.len() as SeriesId {
            if let Some(e) = st.index.entry(sid) {
                *counts.entry(e.bucket).or_default() += 1;
            }
        }
        counts.into_iter().collect()
    }

    /// Number of series.
    pub fn series_count(&self) -> usize {
        self.state.borrow().index.len()
    }

    /// Queues a write for the next group commit; the receiver resolves once it is durable and
    /// applied (or failed).
    pub fn submit(&self, batch: WriteBatch) -> OneshotReceiver<Result<WriteAck>> {
        let (tx, rx) = oneshot();
        self.submit_with(batch, tx);
        rx
    }

    /// Like [`submit`](Self::submit) with a caller-made reply channel (mesh requests).
    pub fn submit_with(&self, batch: WriteBatch, reply: OneshotSender<Result<WriteAck>>) {
        if self.poisoned.get() {
            reply.send(Err(poisoned(self.id)));
            return;
        }
        if self.closing.get() {
            reply.send(Err(Error::unavailable("ringflux is shutting down")));
            return;
        }
        let used = self.mem_bytes();
        if used > self.mem_budget {
            self.maint.notify();
            reply.send(Err(Error::unavailable(format!(
                "shard {} is over its in-memory cache budget ({used} > {} bytes, see --storage-cache-max-memory-size); retry later",
                self.id, self.mem_budget
            ))));
            return;
        }
        self.pending
            .borrow_mut()
            .push(Queued::Write(Pending { batch, reply }));
        self.notify.notify();
    }

    /// Queues a delete behind the writes already queued; resolves once its WAL record is
    /// durable, the head no longer holds the points and the tombstone covers the segments.
    pub fn submit_delete(
        &self,
        bucket: BucketId,
        req: DeleteRequest,
    ) -> OneshotReceiver<Result<()>> {
        let (reply, rx) = oneshot();
        if self.poisoned.get() {
            reply.send(Err(poisoned(self.id)));
        } else if self.closing.get() {
            reply.send(Err(Error::unavailable("ringflux is shutting down")));
        } else {
            self.pending
                .borrow_mut()
                .push(Queued::Delete(PendingDelete { bucket, req, reply }));
            self.notify.notify();
        }
        rx
    }

    /// Applies a durable delete: removes the points from the head and records the tombstone
    /// (generation `gen`) for the frozen head and segment files.
    fn apply_delete(&self, bucket: BucketId, req: &DeleteRequest, gen: u64, seq: u64) {
        let st = self.state.borrow();
        let sids: Vec<SeriesId> = st
            .index
            .bucket_series(bucket)
            .iter()
            .copied()
            .filter(|sid| {
                st.index
                    .entry(*sid)
                    .is_some_and(|e| req.predicate.matches_series_key(e.key))
            })
            .collect();
        st.head
            .borrow_mut()
            .delete_range(&sids, req.start, req.stop);
        self.store.bump_gen(gen);
        self.store.add_tombstone(Tombstone {
            bucket: bucket.0,
            gen,
            seq,
            req: req.clone(),
        });
    }

    /// Stops accepting writes and lets the committer drain, sync and exit. Resolves when the
    /// WAL is closed.
    pub async fn close(&self) {
        self.closing.set(true);
        self.notify.notify();
        while !self.notify.is_finished() {
            glommio::timer::sleep(std::time::Duration::from_millis(2)).await;
        }
        // The maintenance task flushes what is left and exits.
        self.maint.notify();
        while !self.maint.is_finished() {
            glommio::timer::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// Runs a maintenance operation now (queued behind the one running, if any).
    pub async fn maintain(&self, op: maintenance::Op) -> Result<maintenance::Report> {
        maintenance::request(self, op).await
    }

    /// True once `close` has begun.
    pub fn is_closing(&self) -> bool {
        self.closing.get()
    }

    /// Rotates the WAL and freezes the head (through the committer, so the frozen head covers
    /// exactly the WAL segments before the returned sequence). After the committer has exited
    /// the WAL is closed and the head is frozen directly.
    pub(crate) async fn freeze(&self) -> Result<u64> {
        if let Some(seq) = self.wal_end_seq.get() {
            self.freeze_head();
            return Ok(seq);
        }
        let (tx, rx) = oneshot();
        *self.freeze_req.borrow_mut() = Some(tx);
        self.notify.notify();
        match rx.await {
            Ok(r) => r,
            Err(_) => match self.wal_end_seq.get() {
                // The committer exited between the request and its loop check.
                Some(seq) => {
                    self.freeze_head();
                    Ok(seq)
                }
                None => Err(Error::unavailable("the shard committer stopped")),
            },
        }
    }

    fn freeze_head(&self) {
        let gen = self.store.alloc_gen();
        let mut st = self.state.borrow_mut();
        let old = std::mem::take(&mut st.head);
        st.frozen = Some(Frozen { head: old, gen });
    }
}

fn poisoned(id: ShardId) -> Error {
    Error::unavailable(format!(
        "shard {id} is unavailable after a WAL I/O failure; restart ringflux to recover"
    ))
}

fn fail_queued(shard: &Shard, e: &Error) {
    for q in shard.pending.borrow_mut().drain(..) {
        match q {
            Queued::Write(p) => p.reply.send(Err(e.clone())),
            Queued::Delete(d) => d.reply.send(Err(e.clone())),
        }
    }
}

/// Logs one delete (its own fdatasync) and applies it.
async fn commit_delete(shard: &Rc<Shard>, wal: &mut Wal, buf: &mut Vec<u8>, d: PendingDelete) {
    buf.clear();
    let gen = shard.store.next_gen();
    let seq = shard.store.alloc_tomb_seq();
    let mut req = Vec::new();
    d.req.encode(&mut req);
    record::encode_delete(buf, d.bucket, gen, seq, &req);
    match wal.append(buf).await {
        Ok(()) => {
            shard.apply_delete(d.bucket, &d.req, gen, seq);
            d.reply.send(Ok(()));
        }
        Err(e) => {
            shard.mark_poisoned();
            d.reply.send(Err(e.clone()));
            fail_queued(shard, &e);
        }
    }
}

/// The group-commit loop of one shard.
async fn committer(shard: Rc<Shard>, mut wal: Wal, delay: std::time::Duration) {
    let mut batch: Vec<Pending> = Vec::new();
    let mut sids: Vec<(SeriesId, bool)> = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        let freeze = shard.freeze_req.borrow_mut().take();
        if let Some(tx) = freeze {
            match wal.rotate().await {
                Ok(seq) => {
                    shard.freeze_head();
                    tx.send(Ok(seq));
                }
                Err(e) => {
                    shard.mark_poisoned();
                    tx.send(Err(e));
                }
            }
        }
        if shard.pending.borrow().is_empty() {
            if shard.closing.get() {
                break;
            }
            shard.notify.wait().await;
            continue;
        }
        if !delay.is_zero() {
            glommio::timer::sleep(delay).await;
        }
        let mut queue = std::mem::take(&mut *shard.pending.borrow_mut());
        // Deletes split the queue: the writes before one are committed first, then the
        // delete alone, then the rest (order of submission is the order of effect).
        match queue.iter().position(|q| matches!(q, Queued::Delete(_))) {
            Some(0) => {
                let rest = queue.split_off(1);
                *shard.pending.borrow_mut() = rest;
                if let Some(Queued::Delete(d)) = queue.pop() {
                    commit_delete(&shard, &mut wal, &mut buf, d).await;
                }
                continue;
            }
            Some(i) => {
                let rest = queue.split_off(i);
                *shard.pending.borrow_mut() = rest;
            }
            None => {}
        }
        batch.extend(queue.into_iter().filter_map(|q| match q {
            Queued::Write(p) => Some(p),
            Queued::Delete(_) => None,
        }));
        if let Some(reserve) = &shard.env.reserve_series {
            batch = shard.admit_series(batch, reserve.as_ref());
            if batch.is_empty() {
                continue;
            }
        }
        // Encode every pending request into one (reused) buffer.
        buf.clear();
        sids.clear();
        {
            let mut st = shard.state.borrow_mut();
            let st = &mut *st;
            for p in &batch {
                let b = &p.batch;
                let mut rec = WriteRecordBuilder::begin(&mut buf, b.bucket);
                for (i, line) in b.lines.iter().enumerate() {
                    let key: &[u8] = match b.keys.get(i) {
                        Some(k) => k,
                        None => {
                            lp::write_series_key(&b.body, line, &mut st.tag_scratch, &mut st.key);
                            &st.key
                        }
                    };
                    let sid = st.index.resolve_or_insert(b.bucket, key);
                    sids.push(sid);
                    let ts = line.timestamp.unwrap_or(0);
                    let series = wal.series_ref(sid.0, key);
                    rec.push(&mut buf, ts, series, line.fields.slice(&b.body));
                }
                rec.finish(&mut buf);
            }
        }
        match wal.append(&buf).await {
            Ok(()) => {
                shard.last_write.set(Instant::now());
                let mut st = shard.state.borrow_mut();
                let mut i = 0usize;
                for p in batch.drain(..) {
                    let mut new_series = 0;
                    for line in &p.batch.lines {
                        let (sid, new) = sids.get(i).copied().unwrap_or((0, false));
                        i += 1;
                        new_series += u64::from(new);
                        let ts = line.timestamp.unwrap_or(0);
                        st.apply_fields(sid, &p.batch.body, line.fields, ts);
                    }
                    p.reply.send(Ok(WriteAck {
                        points: p.batch.lines.len() as u64,
                        new_series,
                    }));
                }
                if st.head.borrow().mem_bytes() >= shard.cfg.storage.cache_snapshot_memory_size {
                    shard.maint.notify();
                }
            }
            Err(e) => {
                shard.mark_poisoned();
                for p in batch.drain(..) {
                    p.reply.send(Err(e.clone()));
                }
                fail_queued(&shard, &e);
            }
        }
        glommio::executor().yield_if_needed().await;
    }
    let end = wal.current_seq() + 1;
    if let Err(e) = wal.close().await {
        tracing::error!(shard = shard.id, error = %e, "closing WAL");
    }
    shard.wal_end_seq.set(Some(end));
    if let Some(tx) = shard.freeze_req.borrow_mut().take() {
        shard.freeze_head();
        tx.send(Ok(end));
    }
    shard.notify.finish();
}

impl Shard {
    /// Per-bucket series limit: reserves the series each request would create and fails the
    /// requests that would pass the limit (429), before anything is logged. Only runs when a
    /// limit is configured.
    fn admit_series(
        &self,
        batch: Vec<Pending>,
        reserve: &dyn Fn(BucketId, u64) -> bool,
    ) -> Vec<Pending> {
        let mut admitted = Vec::with_capacity(batch.len());
        let st = self.state.borrow();
        let mut seen: crate::hash::FastMap<Vec<u8>, ()> = crate::hash::FastMap::default();
        for p in batch {
            seen.clear();
            let b = &p.batch;
            for i in 0..b.lines.len() {
                if let Some(k) = b.keys.get(i) {
                    if st.index.get(b.bucket, k).is_none() && !seen.contains_key(k) {
                        seen.insert(k.to_vec(), ());
                    }
                }
            }
            let new = seen.len() as u64;
            if new == 0 || reserve(b.bucket, new) {
                admitted.push(p);
            } else {
                p.reply.send(Err(Error::new(
                    crate::error::ErrorKind::TooManyRequests,
                    format!(
                        "series limit of the bucket reached (--storage-max-series-per-bucket): this write would create {new} new series; drop series or raise the limit"
                    ),
                )));
            }
        }
        drop(st);
        admitted
    }
}

impl ShardState {
    /// Applies the raw field set `fields` (a span of `body`) of series `sid` at `ts`.
    /// Returns how many values were stored.
    fn apply_fields(&mut self, sid: SeriesId, body: &[u8], fields: Span, ts: i64) -> u64 {
        let line = LineSpan {
            line_no: 0,
            measurement: Span::default(),
            tags: Span::default(),
            fields,
            timestamp: Some(ts),
        };
        let mut stored = 0;
        let head_rc = self.head.clone();
        let mut head = head_rc.borrow_mut();
        for (hint, (fk, fv)) in lp::fields(body, &line).enumerate() {
            let key: &[u8] = if lp::has_escapes(fk) {
                self.fkey.clear();
                lp::unescape_into(fk, EscapeKind::Key, &mut self.fkey);
                &self.fkey
            } else {
                fk
            };
            if key == b"time" {
                continue;
            }
            let v = match fv {
                lp::FieldValueRef::Float(x) => ValueRef::Float(x),
                lp::FieldValueRef::Integer(x) => ValueRef::Integer(x),
                lp::FieldValueRef::UInteger(x) => ValueRef::UInteger(x),
                lp::FieldValueRef::Boolean(x) => ValueRef::Boolean(x),
                lp::FieldValueRef::String(raw) => {
                    if lp::has_escapes(raw) {
                        self.sval.clear();
                        lp::unescape_into(raw, EscapeKind::StringValue, &mut self.sval);
                        ValueRef::String(&self.sval)
                    } else {
                        ValueRef::String(raw)
                    }
                }
            };
            match head.append(sid, key, hint, ts, v) {
                AppendOutcome::Stored => stored += 1,
                AppendOutcome::TypeConflict(existing) => {
                    tracing::warn!(
                        series = sid,
                        field = %String::from_utf8_lossy(key),
                        existing = existing.influx_name(),
                        "dropped a value whose type conflicts with its column"
                    );
                }
            }
        }
        stored
    }

    /// Replays one WAL entry: registers field types, then applies the values.
    fn apply_entry_replay(
        &mut self,
        bucket: BucketId,
        sid: SeriesId,
        entry: record::Entry<'_>,
        types: &FieldTypes,
    ) -> u64 {
        let key = match entry.series {
            SeriesRef::Define(_, key) => key,
            SeriesRef::Ref(_) => match self.index.entry(sid) {
                Some(e) => e.key,
                None => return 0,
            },
        };
        let parts = lp::parse_series_key(key);
        self.meas.clear();
        self.meas.extend_from_slice(&parts.measurement());
        let line = LineSpan {
            line_no: 0,
            measurement: Span::default(),
            tags: Span::default(),
            fields: Span {
                start: 0,
                end: entry.fields.len() as u32,
            },
            timestamp: Some(entry.ts),
        };
        for (fk, ty) in lp::field_types(entry.fields, &line) {
            self.fkey.clear();
            lp::unescape_into(fk, EscapeKind::Key, &mut self.fkey);
            type_key(bucket, &self.meas, &self.fkey, &mut self.tkey);
            types.register(&self.tkey, ty);
        }
        self.apply_fields(sid, entry.fields, line.fields, entry.ts)
    }
}
