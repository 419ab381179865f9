//! End-to-end tests: each test runs the `ringflux` binary on its own temporary directory and
//! port and talks to it over HTTP/1.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod buckets;
mod delete;
mod durability;
mod http;
mod lifecycle;
mod limits;
mod poison;
mod query_flux;
mod server;
mod sharding;
mod storage_crash;
mod write_v2;
