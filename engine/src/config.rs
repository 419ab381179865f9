//! Engine configuration: one documented struct per area, every field with a default.
//!
//! The same keys are exposed as `ringflux serve` flags (influxd's names where the concept is the
//! same), as `RINGFLUX_*` environment variables and as keys of the optional TOML file; see
//! `tuning/ringflux.example.toml`, which lists every key with its default.
//!
//! Invariants: [`EngineConfig::validate`] is called before any shard starts; a config that fails
//! it never reaches the engine.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// How the WAL makes a write durable before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// `fdatasync` after every group-commit batch; 204 means durable (the default).
    #[default]
    Batch,
    /// Never sync. FOR BENCHMARKS ONLY: a crash loses acknowledged writes.
    NoneUnsafe,
}

impl SyncMode {
    /// Parses `batch` or `none`.
    pub fn parse(s: &str) -> Option<SyncMode> {
        match s {
            "batch" => Some(SyncMode::Batch),
            "none" => Some(SyncMode::NoneUnsafe),
            _ => None,
        }
    }
}

/// Write-ahead log settings (per shard).
#[derive(Debug, Clone)]
pub struct WalConfig {
    /// Group-commit window: how long the committer waits for more writes before it syncs.
    /// Default 0 (sync as soon as the previous sync finished; batching still happens naturally
    /// because writes arriving during a sync share the next one).
    pub fsync_delay: Duration,
    /// Durability mode. Default [`SyncMode::Batch`].
    pub sync: SyncMode,
    /// A segment file is rotated once it grows past this many bytes. Default 64 MiB.
    pub segment_max_bytes: u64,
}

impl Default for WalConfig {
    fn default() -> Self {
        WalConfig {
            fsync_delay: Duration::ZERO,
            sync: SyncMode::Batch,
            segment_max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Storage settings: head, flushes, segment files, compaction, retention.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Budget for points held in memory, all shards together (`--storage-cache-max-memory-size`).
    /// Writes past it get 503 with `Retry-After`. Default 1 GiB.
    pub cache_max_memory_size: u64,
    /// A shard's head is flushed to segment files once it holds this many bytes
    /// (`--storage-cache-snapshot-memory-size`, influxd's name; per shard). Default 25 MiB.
    pub cache_snapshot_memory_size: usize,
    /// A head that has received no write for this long is flushed
    /// (`--storage-cache-snapshot-write-cold-duration`). Default 10 min.
    pub cache_snapshot_write_cold_duration: Duration,
    /// Decoded-block cache for queries, all shards together (`--storage-block-cache-size`).
    /// Default 64 MiB.
    pub block_cache_size: u64,
    /// A partition with this many segment files is compacted into one
    /// (`--storage-compact-max-segments`). Default 4.
    pub compact_max_segments: usize,
    /// Most bytes per second background compactions write, all shards together
    /// (`--storage-compact-throughput-burst`, influxd's name); 0 = unlimited. Default 48 MiB.
    pub compact_throughput_burst: u64,
    /// How often retention is enforced (`--storage-retention-check-interval`). Default 30 min.
    pub retention_check_interval: Duration,
    /// Most series per bucket, all shards together (`--storage-max-series-per-bucket`); a write
    /// that would create more gets 429. 0 = unlimited (the default, as in InfluxDB 2.x OSS).
    pub max_series_per_bucket: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            cache_max_memory_size: 1024 * 1024 * 1024,
            cache_snapshot_memory_size: 25 * 1024 * 1024,
            cache_snapshot_write_cold_duration: Duration::from_secs(600),
            block_cache_size: 64 * 1024 * 1024,
            compact_max_segments: 4,
            compact_throughput_burst: 48 * 1024 * 1024,
            retention_check_interval: Duration::from_secs(1800),
            max_series_per_bucket: 0,
        }
    }
}

/// Everything the engine needs to start.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Directory holding WAL, data and metadata (`--engine-path`). Default `~/.ringflux`.
    pub engine_path: PathBuf,
    /// Number of shards = glommio executors (`--shards`). Default: online CPUs.
    pub shards: usize,
    /// WAL settings.
    pub wal: WalConfig,
    /// Storage settings.
    pub storage: StorageConfig,
}

impl EngineConfig {
    /// Checks ranges; returns a message naming the bad key.
    pub fn validate(&self) -> Result<()> {
        if self.shards == 0 || self.shards > 1024 {
            return Err(Error::invalid(format!(
                "shards must be between 1 and 1024, got {}",
                self.shards
            )));
        }
        if self.wal.segment_max_bytes < 1024 * 1024 {
            return Err(Error::invalid("wal segment size must be at least 1 MiB"));
        }
        if self.wal.fsync_delay > Duration::from_secs(10) {
            return Err(Error::invalid(
                "storage-wal-fsync-delay must be at most 10s",
            ));
        }
        if self.storage.cache_max_memory_size < 16 * 1024 * 1024 {
            return Err(Error::invalid(
                "storage-cache-max-memory-size must be at least 16 MiB",
            ));
        }
        if self.storage.cache_snapshot_memory_size == 0 {
            return Err(Error::invalid(
                "storage-cache-snapshot-memory-size must be greater than 0",
            ));
        }
        if self.storage.compact_max_segments < 2 {
            return Err(Error::invalid(
                "storage-compact-max-segments must be at least 2",
            ));
        }
        if self.storage.retention_check_interval < Duration::from_millis(10) {
            return Err(Error::invalid(
                "storage-retention-check-interval must be at least 10ms",
            ));
        }
        Ok(())
    }
}

/// Parses a duration like influxd's flags: `0`, `250ms`, `1s`, `1m30s`, `2h`, `100us`, `10ns`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u128 = 0;
    if bytes.is_empty() {
        return None;
    }
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let n: u128 = s.get(start..i)?.parse().ok()?;
        let ustart = i;
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        let unit: u128 = match s.get(ustart..i)? {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    let nanos = u64::try_from(total).ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Parses a memory size: plain bytes, `k`/`KiB`/`MB`/`GiB`… suffixes (binary multiples), or a
/// percentage of `total_memory` like `50%`.
pub fn parse_memory_size(s: &str, total_memory: u64) -> Option<u64> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        let pct: f64 = p.trim().parse().ok()?;
        if !(0.0..=100.0).contains(&pct) {
            return None;
        }
        return Some((total_memory as f64 * pct / 100.0) as u64);
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_influxd() {
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn memory_sizes_parse() {
        assert_eq!(parse_memory_size("1024", 0), Some(1024));
        assert_eq!(parse_memory_size("2GiB", 0), Some(2 << 30));
        assert_eq!(parse_memory_size("512MB", 0), Some(512 << 20));
        assert_eq!(parse_memory_size("50%", 1000), Some(500));
        assert_eq!(parse_memory_size("x", 0), None);
    }
}
