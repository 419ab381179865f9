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

pub mod query;
#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;

use bytes::Bytes;

use crate::config::EngineConfig;
use crate::error::{Error, Result};
use crate::index::{SeriesId, SeriesIndex};
use crate::line_protocol::{self as lp, EscapeKind, LineSpan, Span};
use crate::mesh::reply::{oneshot, OneshotReceiver, OneshotSender};
use crate::mesh::Notify;
use crate::model::{BucketId, ShardId};
use crate::schema::{type_key, FieldTypes};
use crate::storage::{AppendOutcome, Head, ValueRef};
use crate::wal::record::{self, SeriesRef, WriteRecordBuilder};
use crate::wal::{replay, Wal};

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

/// Mutable shard state behind one `RefCell` (never borrowed across an await).
#[derive(Debug, Default)]
pub(crate) struct ShardState {
    pub(crate) index: SeriesIndex,
    pub(crate) head: Head,
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
    pending: RefCell<Vec<Pending>>,
    notify: Notify,
    poisoned: Cell<bool>,
    poison_hook: RefCell<Option<Box<dyn Fn()>>>,
    closing: Cell<bool>,
    mem_budget: usize,
    wal_dir: PathBuf,
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
    /// Opens shard `id`: replays its WAL (rebuilding index, head and field types), opens a
    /// fresh WAL segment and starts the committer task on the current executor.
    pub async fn open(
        id: ShardId,
        cfg: &EngineConfig,
        types: &FieldTypes,
    ) -> Result<(Rc<Shard>, RecoveryStats)> {
        let wal_dir = cfg.engine_path.join("wal").join(format!("shard-{id:04}"));
        std::fs::create_dir_all(&wal_dir)
            .map_err(|e| Error::internal(format!("creating {}: {e}", wal_dir.display())))?;
        let shard = Rc::new(Shard {
            id,
            state: RefCell::new(ShardState::default()),
            pending: RefCell::new(Vec::new()),
            notify: Notify::default(),
            poisoned: Cell::new(false),
            poison_hook: RefCell::new(None),
            closing: Cell::new(false),
            mem_budget: (cfg.storage.cache_max_memory_size / cfg.shards.max(1) as u64) as usize,
            wal_dir: wal_dir.clone(),
        });
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
        let next_seq = wal_stats.last_seq.map(|s| s + 1).unwrap_or(0);
        let wal = Wal::create(&wal_dir, id as u32, next_seq, cfg.wal.clone()).await?;
        let series = shard.state.borrow().index.len();
        let delay = cfg.wal.fsync_delay;
        glommio::spawn_local(committer(shard.clone(), wal, delay)).detach();
        Ok((
            shard,
            RecoveryStats {
                wal: wal_stats,
                series,
                values,
            },
        ))
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

    /// Approximate bytes held in memory.
    pub fn mem_bytes(&self) -> usize {
        self.state.borrow().head.mem_bytes()
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
        let used = self.state.borrow().head.mem_bytes();
        if used > self.mem_budget {
            reply.send(Err(Error::unavailable(format!(
                "shard {} is over its in-memory cache budget ({used} > {} bytes, see --storage-cache-max-memory-size); retry later",
                self.id, self.mem_budget
            ))));
            return;
        }
        self.pending.borrow_mut().push(Pending { batch, reply });
        self.notify.notify();
    }

    /// Stops accepting writes and lets the committer drain, sync and exit. Resolves when the
    /// WAL is closed.
    pub async fn close(&self) {
        self.closing.set(true);
        self.notify.notify();
        while !self.notify.is_finished() {
            glommio::timer::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}

fn poisoned(id: ShardId) -> Error {
    Error::unavailable(format!(
        "shard {id} is unavailable after a WAL I/O failure; restart ringflux to recover"
    ))
}

/// The group-commit loop of one shard.
async fn committer(shard: Rc<Shard>, mut wal: Wal, delay: std::time::Duration) {
    let mut batch: Vec<Pending> = Vec::new();
    let mut sids: Vec<(SeriesId, bool)> = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
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
        std::mem::swap(&mut batch, &mut *shard.pending.borrow_mut());
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
            }
            Err(e) => {
                shard.mark_poisoned();
                for p in batch.drain(..) {
                    p.reply.send(Err(e.clone()));
                }
                for p in shard.pending.borrow_mut().drain(..) {
                    p.reply.send(Err(e.clone()));
                }
            }
        }
        glommio::executor().yield_if_needed().await;
    }
    if let Err(e) = wal.close().await {
        tracing::error!(shard = shard.id, error = %e, "closing WAL");
    }
    shard.notify.finish();
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
            match self.head.append(sid, key, hint, ts, v) {
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
