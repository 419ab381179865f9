//! ringflux engine: storage and query logic, no HTTP.
//!
//! # Write flow
//! ```text
//! http (core k) ─▶ ShardContext::write ─▶ ingest::Ingest::partition (validate all, type-check,
//!   place by series key) ─▶ per shard: local Shard::submit | mesh ShardRequest::Write
//!   ─▶ shard committer: encode batch → wal.append (one fdatasync) → head apply → ack
//!   ─▶ all acks ⇒ Ok (204); dropped points ⇒ PartialWrite (422)
//! ```
//!
//! # Read flow
//! ```text
//! http (core k) ─▶ query::flux::compile ─▶ ShardContext::read ─▶ every shard: shard::query::run_read
//!   (predicate on series key + field, range, chunks in (key, field) order over a bounded stream)
//!   ─▶ query::merge::MergedRead (k-way by key) ─▶ http::encode (annotated CSV, streamed)
//! ```
//!
//! Module dependencies point downward only: `runtime` → `ingest`/`shard`/`catalog` →
//! `wal`/`index`/`storage`/`schema` → `model`; `line_protocol` and `placement` depend on `model`
//! only.

pub mod catalog;
pub mod config;
pub mod delete;
pub mod error;
pub mod hash;
pub mod index;
pub mod ingest;
pub mod line_protocol;
pub mod mesh;
pub mod model;
pub mod placement;
pub mod query;
pub mod runtime;
pub mod schema;
pub mod shard;
pub mod storage;
pub mod wal;

#[cfg(test)]
mod testing;

pub use config::EngineConfig;
pub use error::{Error, ErrorKind, Result};
pub use runtime::{Engine, EngineShared, ShardContext, WriteSummary};
