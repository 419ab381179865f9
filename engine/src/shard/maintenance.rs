//! Background work of a shard: flushing the head to segment files, compaction and retention,
//! on a low-priority glommio task queue of the shard's own executor.
//!
//! ```text
//!  wake-ups: 1 s ticker │ committer (head ≥ snapshot size) │ budget exceeded │ forced requests │ close
//!  loop: forced requests → flush if due (size / write-cold) → retention if due → one compaction
//!  flush:  freeze (committer rotates the WAL, swaps the head) → write segments of the frozen
//!          head → manifest names them + first live WAL seq → delete covered WAL segments →
//!          drop the frozen head
//! ```
//!
//! Invariants:
//! - One maintenance task per shard, so flushes, compactions and retention never overlap and
//!   manifest writes are serialised.
//! - WAL segments are deleted only after the manifest naming their data is durable; a crash
//!   at any step replays them again (last-write-wins makes the replay idempotent).
//! - A failed flush poisons the shard (writes get 503); the frozen head stays readable and
//!   its data stays in the WAL.
//! - On close, after the committer has drained, whatever the head holds is flushed, so a
//!   clean restart replays (almost) no WAL.

use std::rc::Rc;
use std::time::Duration;

use glommio::{Latency, Shares};

use super::Shard;
use crate::error::{Error, Result};
use crate::mesh::reply::OneshotSender;
use crate::model::BucketId;
use crate::storage::compact::{self, CompactPolicy};
use crate::storage::flush::{self, FlushSeries};

/// A maintenance operation asked for explicitly (operators, tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Flush the head now.
    Flush,
    /// Flush, then compact every partition that has more than one segment file or a tombstone
    /// to apply.
    Compact,
    /// Enforce retention now.
    Retention,
}

/// What a maintenance operation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Segment files written by flushes.
    pub flushed_segments: usize,
    /// Points written by flushes.
    pub flushed_points: u64,
    /// Compactions run.
    pub compactions: usize,
    /// Segment files dropped by retention.
    pub dropped_segments: usize,
}

/// A queued [`Op`] and where to send its result.
pub struct Request {
    /// The operation.
    pub op: Op,
    /// Reply.
    pub reply: OneshotSender<Result<Report>>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request").field("op", &self.op).finish()
    }
}

/// Starts the maintenance task and its ticker on the current executor.
pub(crate) fn start(shard: Rc<Shard>) {
    let tq = glommio::executor().create_task_queue(
        Shares::Static(250),
        Latency::NotImportant,
        "ringflux-maintenance",
    );
    let task = run(shard.clone());
    match glommio::spawn_local_into(task, tq) {
        Ok(t) => {
            t.detach();
        }
        Err(e) => {
            tracing::warn!(error = %e, "no maintenance task queue; using the default queue");
            glommio::spawn_local(run(shard.clone())).detach();
        }
    }
    glommio::spawn_local(async move {
        let tick = Duration::from_secs(1).min(shard.cfg.storage.retention_check_interval);
        while !shard.maint.is_finished() {
            glommio::timer::sleep(tick).await;
            shard.maint.notify();
        }
    })
    .detach();
}

async fn run(shard: Rc<Shard>) {
    let mut last_retention: Option<std::time::Instant> = None;
    loop {
        shard.maint.wait().await;
        let reqs = std::mem::take(&mut *shard.maint_reqs.borrow_mut());
        for r in reqs {
            let res = match r.op {
                Op::Flush => flush(&shard).await,
                Op::Compact => compact_all(&shard).await,
                Op::Retention => enforce_retention(&shard).await,
            };
            r.reply.send(res);
        }
        if shard.is_closing() && shard.wal_end_seq.get().is_some() {
            if !shard.is_poisoned() {
                if let Err(e) = flush(&shard).await {
                    tracing::error!(shard = shard.id, error = %e, "final flush failed; the WAL keeps the data");
                }
            }
            break;
        }
        if shard.is_poisoned() {
            continue;
        }
        if flush_due(&shard) {
            if let Err(e) = flush(&shard).await {
                tracing::error!(shard = shard.id, error = %e, "flush failed");
                continue;
            }
        }
        let interval = shard.cfg.storage.retention_check_interval;
        if last_retention.is_none_or(|t| t.elapsed() >= interval) {
            last_retention = Some(std::time::Instant::now());
            if let Err(e) = enforce_retention(&shard).await {
                tracing::error!(shard = shard.id, error = %e, "retention check failed");
            }
        }
        let policy = CompactPolicy {
            max_segments: shard.cfg.storage.compact_max_segments,
            throughput: shard.cfg.storage.compact_throughput_burst / shard.cfg.shards.max(1) as u64,
        };
        if let Some(group) = compact::pick(&shard.store, policy, crate::runtime::now_nanos()) {
            match compact::compact(&shard.store, group, policy).await {
                Ok(stats) => {
                    tracing::debug!(shard = shard.id, ?stats, "compacted a partition");
                    // More may be due: look again soon.
                    shard.maint.notify();
                }
                Err(e) => tracing::error!(shard = shard.id, error = %e, "compaction failed"),
            }
        }
    }
    shard.maint.finish();
}

fn flush_due(shard: &Shard) -> bool {
    let st = shard.state.borrow();
    let head = st.head.borrow();
    if head.is_empty() {
        return false;
    }
    let cfg = &shard.cfg.storage;
    head.mem_bytes() >= cfg.cache_snapshot_memory_size
        || shard.last_write.get().elapsed() >= cfg.cache_snapshot_write_cold_duration
        || shard.mem_bytes() > shard.mem_budget / 2
}

/// Flushes the head to segment files (nothing to do for an empty head).
pub(crate) async fn flush(shard: &Rc<Shard>) -> Result<Report> {
    if shard.is_poisoned() {
        return Err(super::poisoned(shard.id));
    }
    // A frozen head left by an earlier attempt is flushed first (only after poisoning, which
    // returned above; kept as a guard).
    if shard.state.borrow().frozen.is_some() {
        return Err(Error::internal("a flush is already in progress"));
    }
    if shard.state.borrow().head.borrow().is_empty() && shard.wal_end_seq.get().is_none() {
        return Ok(Report::default());
    }
    let seq = shard.freeze().await?;
    let Some(frozen) = shard.state.borrow().frozen.clone() else {
        return Err(Error::internal("freeze left no frozen head"));
    };
    let series: Vec<FlushSeries> = {
        let st = shard.state.borrow();
        let head = frozen.head.borrow();
        head.series_ids()
            .filter_map(|sid| {
                let e = st.index.entry(sid)?;
                let policy = (shard.env.retention)(e.bucket)?;
                Some(FlushSeries {
                    bucket: e.bucket,
                    key: e.key.into(),
                    sid,
                    duration: policy.partition_ns,
                })
            })
            .collect()
    };
    let result: Result<Report> = async {
        let segs = flush::write_head(&shard.store, &frozen.head, frozen.gen, series).await?;
        // Every series a published segment names must be in the persisted index.
        persist_index(shard).await?;
        let report = Report {
            flushed_segments: segs.len(),
            flushed_points: segs.iter().map(|s| s.meta.points).sum(),
            ..Report::default()
        };
        shard.store.install(segs, &[], Some(seq)).await?;
        crate::wal::remove_segments_before(&shard.wal_dir, seq).await?;
        Ok(report)
    }
    .await;
    match result {
        Ok(r) => {
            shard.state.borrow_mut().frozen = None;
            tracing::debug!(
                shard = shard.id,
                segments = r.flushed_segments,
                points = r.flushed_points,
                "flushed"
            );
            Ok(r)
        }
        Err(e) => {
            tracing::error!(shard = shard.id, error = %e, "flush failed; shard poisoned, the WAL keeps the data");
            shard.mark_poisoned();
            Err(e)
        }
    }
}

/// Appends the series defined (and buckets dropped) since the last call to `series.idx` and
/// syncs it.
async fn persist_index(shard: &Shard) -> Result<()> {
    let Some(mut log) = shard.series_log.borrow_mut().take() else {
        return Err(Error::internal("the series index log is not available"));
    };
    log.stage(&shard.state.borrow().index);
    let r = log.sync().await;
    *shard.series_log.borrow_mut() = Some(log);
    r
}

async fn compact_all(shard: &Rc<Shard>) -> Result<Report> {
    let mut report = flush(shard).await?;
    // Asked for explicitly: no throughput cap.
    let policy = CompactPolicy {
        max_segments: 2,
        throughput: 0,
    };
    // `pick` with i64::MAX as "now" treats every partition as finished, so any partition
    // with two or more segments qualifies.
    while let Some(group) = compact::pick(&shard.store, policy, i64::MAX) {
        compact::compact(&shard.store, group, policy).await?;
        report.compactions += 1;
    }
    Ok(report)
}

/// Drops segment files of deleted buckets and of partitions wholly older than their bucket's
/// retention.
pub(crate) async fn enforce_retention(shard: &Rc<Shard>) -> Result<Report> {
    let now = crate::runtime::now_nanos();
    let drop: Vec<u64> = shard
        .store
        .all_segments()
        .iter()
        .filter(|s| match (shard.env.retention)(BucketId(s.meta.bucket)) {
            None => true,
            Some(p) if p.retention_seconds <= 0 => false,
            Some(p) => {
                s.meta.partition_end()
                    <= now.saturating_sub(p.retention_seconds.saturating_mul(1_000_000_000))
            }
        })
        .map(|s| s.meta.file)
        .collect();
    if !drop.is_empty() {
        tracing::info!(
            shard = shard.id,
            segments = drop.len(),
            "retention: dropping segment files"
        );
        shard.store.install(Vec::new(), &drop, None).await?;
    }
    drop_deleted_buckets_from_index(shard).await?;
    Ok(Report {
        dropped_segments: drop.len(),
        ..Report::default()
    })
}

/// Series of deleted buckets leave the index (their ids are never reused) and the drop is
/// persisted. Waits while a deleted bucket still has head data (the next flush skips it).
async fn drop_deleted_buckets_from_index(shard: &Shard) -> Result<()> {
    let droppable: Vec<BucketId> = {
        let st = shard.state.borrow();
        if st.frozen.is_some() {
            return Ok(());
        }
        let head = st.head.borrow();
        st.index
            .buckets()
            .into_iter()
            .filter(|b| (shard.env.retention)(*b).is_none())
            .filter(|b| {
                !st.index
                    .bucket_series(*b)
                    .iter()
                    .any(|sid| head.series(*sid).is_some_and(|s| !s.columns.is_empty()))
            })
            .collect()
    };
    if droppable.is_empty() {
        return Ok(());
    }
    {
        let mut st = shard.state.borrow_mut();
        for b in &droppable {
            st.index.drop_bucket(*b);
        }
    }
    tracing::info!(
        shard = shard.id,
        buckets = droppable.len(),
        "dropped the series of deleted buckets"
    );
    persist_index(shard).await
}

/// Queues `op` for the maintenance task and waits for it.
pub(crate) async fn request(shard: &Shard, op: Op) -> Result<Report> {
    let (tx, rx) = crate::mesh::reply::oneshot();
    shard
        .maint_reqs
        .borrow_mut()
        .push(Request { op, reply: tx });
    shard.maint.notify();
    rx.await
        .unwrap_or_else(|_| Err(Error::unavailable("the maintenance task stopped")))
}
