//! Cross-core messages: the ONLY way work crosses from one shard's executor to another.
//!
//! Requests travel over glommio's channel mesh (`MeshBuilder::full`, one bounded SPSC channel
//! per ordered pair of shards). Each request carries its own reply channel from [`reply`]
//! (a oneshot for writes and catalog operations, a bounded stream for reads).
//!
//! Invariants:
//! - Everything in a [`ShardRequest`] is `Send` and owned: `Bytes` bodies (shared, not copied),
//!   offsets, plans and reply senders. Shard state never crosses.
//! - A request for the local shard is handled by a direct call, never sent through the mesh.

pub mod reply;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::catalog::{CatalogOp, CatalogReply};
use crate::error::Result;
use crate::model::BucketId;
use crate::query::plan::ReadPlan;
use crate::shard::maintenance::{Op as MaintOp, Report as MaintReport};
use crate::shard::query::ReadChunk;
use crate::shard::{WriteAck, WriteBatch};
use reply::{OneshotSender, StreamSender};

/// A request to a shard.
#[derive(Debug)]
pub enum ShardRequest {
    /// Make these lines durable and apply them.
    Write {
        /// The lines.
        batch: WriteBatch,
        /// Where the ack goes.
        reply: OneshotSender<Result<WriteAck>>,
    },
    /// Stream the matching series of a bucket.
    Read {
        /// Bucket to read.
        bucket: BucketId,
        /// What to read.
        plan: ReadPlan,
        /// Where chunks go, in (series key, field) order.
        tx: StreamSender<Result<ReadChunk>>,
    },
    /// Delete points (logged like a write, in submission order).
    Delete {
        /// Bucket.
        bucket: BucketId,
        /// Range and predicate.
        req: crate::delete::DeleteRequest,
        /// Where the result goes.
        reply: OneshotSender<Result<()>>,
    },
    /// Run a maintenance operation (flush, compaction, retention) now.
    Maintenance {
        /// The operation.
        op: MaintOp,
        /// Where the result goes.
        reply: OneshotSender<Result<MaintReport>>,
    },
    /// Answer a schema read from the series index.
    Schema {
        /// Bucket.
        bucket: BucketId,
        /// What to list.
        req: crate::shard::schema::SchemaRequest,
        /// Where the rows go.
        reply: OneshotSender<Vec<crate::shard::schema::SchemaRow>>,
    },
    /// Mutate the catalog (shard 0 only).
    Catalog {
        /// The mutation.
        op: CatalogOp,
        /// Where the result goes.
        reply: OneshotSender<Result<CatalogReply>>,
    },
}

/// Capacity of each mesh channel (requests in flight per ordered shard pair).
pub const MESH_CHANNEL_CAPACITY: usize = 1024;

/// A single-executor notification: one waiter, many notifiers (no atomics; `!Send`).
#[derive(Debug, Default)]
pub struct Notify {
    flag: Cell<bool>,
    finished: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Notify {
    /// Wakes the waiter (or makes its next wait return at once).
    pub fn notify(&self) {
        self.flag.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// Waits for a notification.
    pub fn wait(&self) -> NotifyWait<'_> {
        NotifyWait { n: self }
    }

    /// Marks the waiter's loop as finished.
    pub fn finish(&self) {
        self.finished.set(true);
    }

    /// True after [`finish`](Self::finish).
    pub fn is_finished(&self) -> bool {
        self.finished.get()
    }
}

/// Future of [`Notify::wait`].
#[derive(Debug)]
pub struct NotifyWait<'a> {
    n: &'a Notify,
}

impl Future for NotifyWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.n.flag.replace(false) {
            return Poll::Ready(());
        }
        *self.n.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}
