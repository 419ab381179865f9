//! The engine facade: start-up of the shards and the per-core [`ShardContext`] the HTTP layer
//! calls into.
//!
//! ```text
//!  main thread: Engine::prepare(cfg)   create dirs, check the recorded shard count, load catalog
//!  each executor: engine.start_shard() join the mesh → open Shard (replay WAL) → spawn mesh
//!                                      dispatchers → mark recovered → return ShardContext
//!  HTTP on core k: ctx.write(..) / ctx.read(..) / ctx.catalog_op(..)
//! ```
//!
//! Invariants:
//! - Shard id = the executor's position in the mesh (glommio orders peers by executor id).
//! - `/ready` is true only when every shard has replayed its WAL ([`EngineShared::is_ready`]).
//! - A request for the local shard is a direct call; others go through the mesh.
//! - Catalog mutations run on shard 0 one at a time (a one-permit semaphore held across the
//!   durable commit), so concurrent bucket/org operations never lose each other's changes.
//! - Shared state ([`EngineShared`]) is read-mostly: catalog behind `ArcSwap`, field types in a
//!   `DashMap` reached only on a per-core cache miss, counters as atomics read by `/metrics`.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use glommio::channels::channel_mesh::{Full, MeshBuilder, Senders};

use crate::catalog::{Catalog, CatalogOp, CatalogReply, CatalogSnapshot};
use crate::config::EngineConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::ingest::Ingest;
use crate::mesh::reply::{oneshot, stream, OneshotReceiver};
use crate::mesh::{ShardRequest, MESH_CHANNEL_CAPACITY};
use crate::model::{BucketId, Precision, ShardId};
use crate::placement::ShardMap;
use crate::query::merge::MergedRead;
use crate::query::plan::ReadPlan;
use crate::schema::FieldTypes;
use crate::shard::maintenance::{Op as MaintOp, Report as MaintReport};
use crate::shard::{query::run_read, BucketPolicy, Shard, ShardEnv, WriteAck, WriteBatch};

/// File recording the shard count in the engine path.
pub const LAYOUT_FILE: &str = "layout.json";

/// Chunks buffered per shard stream of a read.
const READ_STREAM_CAPACITY: usize = 4;

/// State shared by all cores.
#[derive(Debug)]
pub struct EngineShared {
    config: EngineConfig,
    catalog: Catalog,
    types: FieldTypes,
    map: ShardMap,
    recovered: AtomicUsize,
    poisoned: Vec<AtomicBool>,
    shutting_down: AtomicBool,
    http_drained: AtomicUsize,
    /// Series per bucket over all shards (kept only when a series limit is set).
    series_counts: dashmap::DashMap<BucketId, std::sync::atomic::AtomicU64>,
}

impl EngineShared {
    /// Records that one core's HTTP server has drained (shutdown phase 1).
    pub fn mark_http_drained(&self) {
        self.http_drained.fetch_add(1, Ordering::AcqRel);
    }

    /// True once every core's HTTP server has drained, so no request can reach a shard any
    /// more and the WALs can be closed (shutdown phase 2).
    pub fn all_http_drained(&self) -> bool {
        self.http_drained.load(Ordering::Acquire) >= self.map.shards()
    }

    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.map.shards()
    }

    /// Every shard has replayed its WAL.
    pub fn is_ready(&self) -> bool {
        self.recovered.load(Ordering::Acquire) == self.map.shards()
    }

    /// Shards poisoned by an I/O failure.
    pub fn poisoned_shards(&self) -> Vec<ShardId> {
        self.poisoned
            .iter()
            .enumerate()
            .filter(|(_, p)| p.load(Ordering::Relaxed))
            .map(|(i, _)| i)
            .collect()
    }

    /// Shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Starts shutdown (idempotent).
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Current catalog snapshot.
    pub fn catalog(&self) -> Arc<CatalogSnapshot> {
        self.catalog.snapshot()
    }
}

/// The engine before the executors start; cheap to clone into each executor.
#[derive(Debug, Clone)]
pub struct Engine {
    shared: Arc<EngineShared>,
    mesh: MeshBuilder<ShardRequest, Full>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Layout {
    format: u32,
    shards: usize,
}

impl Engine {
    /// Creates the engine path, checks the recorded shard count (records it on first start)
    /// and loads the catalog. Runs on the main thread before any executor exists.
    pub fn prepare(config: EngineConfig) -> Result<Engine> {
        config.validate()?;
        let root = &config.engine_path;
        std::fs::create_dir_all(root)
            .map_err(|e| Error::internal(format!("creating {}: {e}", root.display())))?;
        check_layout(root, config.shards)?;
        let catalog = Catalog::load(root)?;
        let shards = config.shards;
        let shared = Arc::new(EngineShared {
            catalog,
            types: FieldTypes::new(),
            map: ShardMap::new(shards),
            recovered: AtomicUsize::new(0),
            poisoned: (0..shards).map(|_| AtomicBool::new(false)).collect(),
            shutting_down: AtomicBool::new(false),
            http_drained: AtomicUsize::new(0),
            series_counts: dashmap::DashMap::new(),
            config,
        });
        Ok(Engine {
            shared,
            mesh: MeshBuilder::full(shards, MESH_CHANNEL_CAPACITY),
        })
    }

    /// Shared state (for health checks and signal handling on any thread).
    pub fn shared(&self) -> Arc<EngineShared> {
        self.shared.clone()
    }

    /// Starts the shard of the current executor. Must be called once on each executor of the
    /// pool.
    pub async fn start_shard(self) -> Result<ShardContext> {
        let (senders, mut receivers) = self
            .mesh
            .join()
            .await
            .map_err(|e| Error::internal(format!("joining the shard mesh: {e}")))?;
        let id = senders.peer_id();
        let started = std::time::Instant::now();
        let env = {
            let shared = self.shared.clone();
            let limit = shared.config.storage.max_series_per_bucket;
            let counts = shared.clone();
            let reserve_series = (limit > 0).then(|| -> Box<dyn Fn(BucketId, u64) -> bool> {
                Box::new(move |b, n| {
                    let c = counts.series_counts.entry(b).or_default();
                    c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                        (cur.saturating_add(n) <= limit).then_some(cur + n)
                    })
                    .is_ok()
                })
            });
            ShardEnv {
                retention: Box::new(move |b| {
                    shared
                        .catalog
                        .snapshot()
                        .bucket_by_id(b)
                        .map(|b| BucketPolicy {
                            retention_seconds: b.retention_seconds,
                            partition_ns: b.effective_shard_group_seconds().max(1) * 1_000_000_000,
                        })
                }),
                reserve_series,
            }
        };
        let (shard, stats) =
            Shard::open_with(id, &self.shared.config, &self.shared.types, env).await?;
        if self.shared.config.storage.max_series_per_bucket > 0 {
            for (b, n) in shard.series_per_bucket() {
                self.shared
                    .series_counts
                    .entry(b)
                    .or_default()
                    .fetch_add(n, Ordering::AcqRel);
            }
        }
        tracing::info!(
            shard = id,
            segments = stats.wal.segments,
            records = stats.wal.records,
            series = stats.series,
            values = stats.values,
            truncated_bytes = stats.wal.truncated_bytes,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "shard recovered"
        );
        {
            let shared = self.shared.clone();
            shard.set_poison_hook(Box::new(move || {
                if let Some(p) = shared.poisoned.get(id) {
                    p.store(true, Ordering::Relaxed);
                }
            }));
        }
        let ctx = ShardContext {
            inner: Rc::new(Inner {
                id,
                ingest: RefCell::new(Ingest::new(self.shared.map, self.shared.types.clone())),
                shared: self.shared.clone(),
                shard: shard.clone(),
                senders,
                catalog_lock: glommio::sync::Semaphore::new(1),
            }),
        };
        for (_peer, rx) in receivers.streams() {
            let ctx = ctx.clone();
            glommio::spawn_local(async move {
                while let Some(req) = rx.recv().await {
                    ctx.handle(req);
                }
            })
            .detach();
        }
        self.shared.recovered.fetch_add(1, Ordering::AcqRel);
        Ok(ctx)
    }
}

fn check_layout(root: &Path, shards: usize) -> Result<()> {
    let path = root.join(LAYOUT_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let l: Layout = serde_json::from_slice(&bytes)
                .map_err(|e| Error::internal(format!("{} is not valid: {e}", path.display())))?;
            if l.shards != shards {
                return Err(Error::invalid(format!(
                    "engine path {} was created with {} shards but --shards is {shards}; series are placed by shard count, so start with --shards {} (resharding is not supported yet)",
                    root.display(),
                    l.shards,
                    l.shards
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let tmp = root.join(format!("{LAYOUT_FILE}.tmp"));
            let body = serde_json::to_vec(&Layout { format: 1, shards })
                .map_err(|e| Error::internal(e.to_string()))?;
            std::fs::write(&tmp, body)
                .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
                .and_then(|_| std::fs::rename(&tmp, &path))
                .and_then(|_| std::fs::File::open(root)?.sync_all())
                .map_err(|e| Error::internal(format!("writing {}: {e}", path.display())))
        }
        Err(e) => Err(Error::internal(format!("reading {}: {e}", path.display()))),
    }
}

struct Inner {
    id: ShardId,
    shared: Arc<EngineShared>,
    shard: Rc<Shard>,
    senders: Senders<ShardRequest>,
    ingest: RefCell<Ingest>,
    /// Serialises catalog mutations on shard 0: each one reads the snapshot, awaits its
    /// durable commit and publishes; two interleaved would lose one's change.
    catalog_lock: glommio::sync::Semaphore,
}

/// Summary of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Points made durable.
    pub points: u64,
    /// Points dropped (type conflict, `time` field).
    pub dropped: u64,
}

/// The per-core handle the HTTP layer uses. `!Send`: one per executor.
#[derive(Clone)]
pub struct ShardContext {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for ShardContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardContext")
            .field("id", &self.inner.id)
            .finish()
    }
}

impl ShardContext {
    /// This core's shard id.
    pub fn id(&self) -> ShardId {
        self.inner.id
    }

    /// Shared engine state.
    pub fn shared(&self) -> &Arc<EngineShared> {
        &self.inner.shared
    }

    /// Current catalog snapshot.
    pub fn catalog(&self) -> Arc<CatalogSnapshot> {
        self.inner.shared.catalog.snapshot()
    }

    fn handle(&self, req: ShardRequest) {
        match req {
            ShardRequest::Write { batch, reply } => {
                self.inner.shard.submit_with(batch, reply);
            }
            ShardRequest::Read { bucket, plan, tx } => {
                glommio::spawn_local(run_read(self.inner.shard.clone(), bucket, plan, tx)).detach();
            }
            ShardRequest::Delete { bucket, req, reply } => {
                let rx = self.inner.shard.submit_delete(bucket, req);
                glommio::spawn_local(async move {
                    reply.send(rx.await.unwrap_or_else(|_| {
                        Err(Error::unavailable("the shard dropped the delete"))
                    }));
                })
                .detach();
            }
            ShardRequest::Maintenance { op, reply } => {
                let shard = self.inner.shard.clone();
                glommio::spawn_local(async move {
                    reply.send(shard.maintain(op).await);
                })
                .detach();
            }
            ShardRequest::Schema { bucket, req, reply } => {
                reply.send(self.inner.shard.schema(bucket, &req));
            }
            ShardRequest::Catalog { op, reply } => {
                let ctx = self.clone();
                glommio::spawn_local(async move {
                    let r = ctx.apply_catalog_locally(op).await;
                    reply.send(r);
                })
                .detach();
            }
        }
    }

    async fn apply_catalog_locally(&self, op: CatalogOp) -> Result<CatalogReply> {
        if self.inner.id != 0 {
            return Err(Error::internal(
                "catalog mutation sent to a shard other than 0",
            ));
        }
        let _one_at_a_time = self
            .inner
            .catalog_lock
            .acquire_permit(1)
            .await
            .map_err(|e| Error::internal(format!("catalog lock: {e}")))?;
        self.inner.shared.catalog.apply(op).await
    }

    /// Executes a catalog mutation on shard 0 (directly or over the mesh).
    /// A deleted bucket or org has its storage reclaimed by a retention pass started in the
    /// background on every shard.
    pub async fn catalog_op(&self, op: CatalogOp) -> Result<CatalogReply> {
        let frees_data = matches!(op, CatalogOp::DeleteBucket(_) | CatalogOp::DeleteOrg(_));
        let reply = if self.inner.id == 0 {
            self.apply_catalog_locally(op).await
        } else {
            let (tx, rx) = oneshot();
            self.inner
                .senders
                .send_to(0, ShardRequest::Catalog { op, reply: tx })
                .await
                .map_err(|_| Error::unavailable("shard 0 is not reachable"))?;
            rx.await
                .unwrap_or_else(|_| Err(Error::unavailable("shard 0 dropped the request")))
        };
        if frees_data && reply.is_ok() {
            let ctx = self.clone();
            glommio::spawn_local(async move {
                if let Err(e) = ctx.maintain(MaintOp::Retention).await {
                    tracing::warn!(error = %e, "reclaiming a deleted bucket's storage");
                }
            })
            .detach();
        }
        reply
    }

    /// Validates and writes a line-protocol body to `bucket`. Returns after every involved
    /// shard has made its part durable. Points dropped for type conflicts make the result an
    /// `Err` of kind `PartialWrite` (the rest *was* written).
    pub async fn write(
        &self,
        bucket: BucketId,
        precision: Precision,
        body: Bytes,
    ) -> Result<WriteSummary> {
        if self.inner.shared.is_shutting_down() {
            return Err(Error::unavailable("ringflux is shutting down"));
        }
        let now = now_nanos();
        let min_time = match self.inner.shared.catalog.snapshot().bucket_by_id(bucket) {
            Some(b) if b.retention_seconds > 0 => {
                now.saturating_sub(b.retention_seconds.saturating_mul(1_000_000_000))
            }
            _ => i64::MIN,
        };
        let parts = self
            .inner
            .ingest
            .borrow_mut()
            .partition(bucket, precision, body, now, min_time)?;
        let mut waits: Vec<OneshotReceiver<Result<WriteAck>>> = Vec::new();
        for (shard, (lines, keys)) in parts.per_shard.into_iter().zip(parts.keys).enumerate() {
            if lines.is_empty() {
                continue;
            }
            let batch = WriteBatch {
                bucket,
                body: parts.body.clone(),
                lines,
                keys,
            };
            if shard == self.inner.id {
                waits.push(self.inner.shard.submit(batch));
            } else {
                let (tx, rx) = oneshot();
                if self
                    .inner
                    .senders
                    .send_to(shard, ShardRequest::Write { batch, reply: tx })
                    .await
                    .is_err()
                {
                    return Err(Error::unavailable(format!(
                        "shard {shard} is not reachable"
                    )));
                }
                waits.push(rx);
            }
        }
        let mut first_err: Option<Error> = None;
        let mut points = 0;
        for w in waits {
            match w.await {
                Ok(Ok(ack)) => points += ack.points,
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err.get_or_insert(Error::unavailable("a shard dropped the write"));
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        if parts.dropped > 0 {
            return Err(Error::new(
                ErrorKind::PartialWrite,
                format!(
                    "failure writing points to database: partial write: {} dropped={}",
                    parts.drop_reason.as_deref().unwrap_or("points dropped"),
                    parts.dropped
                ),
            ));
        }
        Ok(WriteSummary {
            points,
            dropped: parts.dropped,
        })
    }

    /// Starts a read of `bucket` on every shard and returns the merged stream.
    pub async fn read(&self, bucket: BucketId, plan: ReadPlan) -> Result<MergedRead> {
        let n = self.inner.shared.map.shards();
        let mut streams = Vec::with_capacity(n);
        for shard in 0..n {
            let (tx, rx) = stream(READ_STREAM_CAPACITY);
            if shard == self.inner.id {
                glommio::spawn_local(run_read(self.inner.shard.clone(), bucket, plan.clone(), tx))
                    .detach();
            } else if self
                .inner
                .senders
                .send_to(
                    shard,
                    ShardRequest::Read {
                        bucket,
                        plan: plan.clone(),
                        tx,
                    },
                )
                .await
                .is_err()
            {
                return Err(Error::unavailable(format!(
                    "shard {shard} is not reachable"
                )));
            }
            streams.push(rx);
        }
        Ok(MergedRead::new(streams))
    }

    /// Answers a schema read (measurements, tag keys/values, series keys) from every shard's
    /// series index; the rows are sorted and deduplicated.
    pub async fn schema(
        &self,
        bucket: BucketId,
        req: crate::shard::schema::SchemaRequest,
    ) -> Result<Vec<crate::shard::schema::SchemaRow>> {
        let n = self.inner.shared.map.shards();
        let mut parts = Vec::with_capacity(n);
        let mut waits = Vec::with_capacity(n);
        for shard in 0..n {
            if shard == self.inner.id {
                parts.push(self.inner.shard.schema(bucket, &req));
                continue;
            }
            let (tx, rx) = oneshot();
            let msg = ShardRequest::Schema {
                bucket,
                req: req.clone(),
                reply: tx,
            };
            if self.inner.senders.send_to(shard, msg).await.is_err() {
                return Err(Error::unavailable(format!(
                    "shard {shard} is not reachable"
                )));
            }
            waits.push(rx);
        }
        for w in waits {
            parts.push(
                w.await
                    .map_err(|_| Error::unavailable("a shard dropped the request"))?,
            );
        }
        Ok(crate::shard::schema::union(parts))
    }

    /// Field keys of `bucket` with their types, as `(measurement, field, type)` sorted by
    /// measurement then field (from the field-type registry: every field ever written and not
    /// dropped with its bucket).
    pub fn field_keys(&self, bucket: BucketId) -> Vec<(Vec<u8>, Vec<u8>, crate::model::FieldType)> {
        self.inner.shared.types.fields(bucket)
    }

    /// Runs maintenance operation `op` on every shard and sums the reports.
    pub async fn maintain(&self, op: MaintOp) -> Result<MaintReport> {
        let n = self.inner.shared.map.shards();
        let mut waits = Vec::with_capacity(n);
        for shard in 0..n {
            let (tx, rx) = oneshot();
            if shard == self.inner.id {
                let s = self.inner.shard.clone();
                glommio::spawn_local(async move {
                    tx.send(s.maintain(op).await);
                })
                .detach();
            } else if self
                .inner
                .senders
                .send_to(shard, ShardRequest::Maintenance { op, reply: tx })
                .await
                .is_err()
            {
                return Err(Error::unavailable(format!(
                    "shard {shard} is not reachable"
                )));
            }
            waits.push(rx);
        }
        let mut total = MaintReport::default();
        for w in waits {
            let r = w
                .await
                .unwrap_or_else(|_| Err(Error::unavailable("a shard dropped the request")))?;
            total.flushed_segments += r.flushed_segments;
            total.flushed_points += r.flushed_points;
            total.compactions += r.compactions;
            total.dropped_segments += r.dropped_segments;
        }
        Ok(total)
    }

    /// Deletes the points of `bucket` matching `req` on every shard; returns once every
    /// shard has logged the delete durably and applied it (later reads never see the points).
    pub async fn delete(&self, bucket: BucketId, req: crate::delete::DeleteRequest) -> Result<()> {
        let n = self.inner.shared.map.shards();
        let mut waits = Vec::with_capacity(n);
        for shard in 0..n {
            if shard == self.inner.id {
                waits.push(self.inner.shard.submit_delete(bucket, req.clone()));
                continue;
            }
            let (tx, rx) = oneshot();
            if self
                .inner
                .senders
                .send_to(
                    shard,
                    ShardRequest::Delete {
                        bucket,
                        req: req.clone(),
                        reply: tx,
                    },
                )
                .await
                .is_err()
            {
                return Err(Error::unavailable(format!(
                    "shard {shard} is not reachable"
                )));
            }
            waits.push(rx);
        }
        for w in waits {
            w.await
                .unwrap_or_else(|_| Err(Error::unavailable("a shard dropped the delete")))?;
        }
        Ok(())
    }

    /// Stops this core's shard: no new writes, drain the committer, sync and close the WAL.
    pub async fn shutdown(&self) {
        self.inner.shared.begin_shutdown();
        self.inner.shard.close().await;
    }

    /// Approximate bytes this core's shard holds in memory.
    pub fn shard_mem_bytes(&self) -> usize {
        self.inner.shard.mem_bytes()
    }

    /// Segment-store counters of this core's shard.
    pub fn shard_store_stats(&self) -> crate::storage::store::StoreStats {
        self.inner.shard.store().stats()
    }

    /// Series in this core's shard.
    pub fn shard_series(&self) -> usize {
        self.inner.shard.series_count()
    }
}

/// Server time in ns.
pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}
