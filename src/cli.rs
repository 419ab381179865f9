//! Command line: `ringflux serve [flags]`. Every flag also reads `RINGFLUX_<FLAG>` from the
//! environment and the key of the same name from an optional TOML file (`--config`).
//! Precedence: flag > environment > TOML file > default. `tuning/ringflux.example.toml` lists
//! every key with its default; a test loads it so it cannot drift from this file.

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ringflux_engine::config::{
    parse_duration, parse_memory_size, StorageConfig, SyncMode, WalConfig,
};
use ringflux_engine::EngineConfig;
use ringflux_http::HttpConfig;

/// ringflux: a shard-per-core time-series database speaking the InfluxDB 2.x API.
#[derive(Debug, Parser)]
#[command(name = "ringflux", version, about)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the daemon.
    Serve(ServeArgs),
}

/// Flags of `ringflux serve` (influxd's names where the concept is the same).
#[derive(Debug, Args, Default)]
pub(crate) struct ServeArgs {
    /// TOML file with any of the keys below (same names as the flags).
    #[arg(long, env = "RINGFLUX_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Address to listen on [default: :8086].
    #[arg(long, env = "RINGFLUX_HTTP_BIND_ADDRESS")]
    pub(crate) http_bind_address: Option<String>,
    /// Directory for WAL, data and metadata [default: ~/.ringflux].
    #[arg(long, env = "RINGFLUX_ENGINE_PATH")]
    pub(crate) engine_path: Option<String>,
    /// Log level: error, warn, info, debug, trace [default: info].
    #[arg(long, env = "RINGFLUX_LOG_LEVEL")]
    pub(crate) log_level: Option<String>,
    /// Number of shards (one pinned executor each) [default: online CPUs].
    #[arg(long, env = "RINGFLUX_SHARDS")]
    pub(crate) shards: Option<String>,
    /// Group-commit window before each WAL fdatasync [default: 0s].
    #[arg(long, env = "RINGFLUX_STORAGE_WAL_FSYNC_DELAY")]
    pub(crate) storage_wal_fsync_delay: Option<String>,
    /// WAL durability: `batch` (fdatasync before 204) or `none` (BENCHMARKS ONLY: loses
    /// acknowledged writes on a crash) [default: batch].
    #[arg(long, env = "RINGFLUX_STORAGE_WAL_SYNC")]
    pub(crate) storage_wal_sync: Option<String>,
    /// In-memory cache budget for all shards: bytes, `512MiB`, `2GiB` or `50%` of RAM;
    /// writes past it get 503 + Retry-After [default: 1GiB].
    #[arg(long, env = "RINGFLUX_STORAGE_CACHE_MAX_MEMORY_SIZE")]
    pub(crate) storage_cache_max_memory_size: Option<String>,
    /// A shard's head is flushed to segment files at this size [default: 25MiB].
    #[arg(long, env = "RINGFLUX_STORAGE_CACHE_SNAPSHOT_MEMORY_SIZE")]
    pub(crate) storage_cache_snapshot_memory_size: Option<String>,
    /// A head idle (no writes) for this long is flushed [default: 10m].
    #[arg(long, env = "RINGFLUX_STORAGE_CACHE_SNAPSHOT_WRITE_COLD_DURATION")]
    pub(crate) storage_cache_snapshot_write_cold_duration: Option<String>,
    /// Decoded-block cache for queries, all shards [default: 64MiB].
    #[arg(long, env = "RINGFLUX_STORAGE_BLOCK_CACHE_SIZE")]
    pub(crate) storage_block_cache_size: Option<String>,
    /// A partition with this many segment files is compacted [default: 4].
    #[arg(long, env = "RINGFLUX_STORAGE_COMPACT_MAX_SEGMENTS")]
    pub(crate) storage_compact_max_segments: Option<String>,
    /// Most bytes/s background compactions write, all shards; 0 = unlimited [default: 48MiB].
    #[arg(long, env = "RINGFLUX_STORAGE_COMPACT_THROUGHPUT_BURST")]
    pub(crate) storage_compact_throughput_burst: Option<String>,
    /// How often bucket retention is enforced [default: 30m].
    #[arg(long, env = "RINGFLUX_STORAGE_RETENTION_CHECK_INTERVAL")]
    pub(crate) storage_retention_check_interval: Option<String>,
    /// Most series per bucket; writes creating more get 429. 0 = unlimited [default: 0].
    #[arg(long, env = "RINGFLUX_STORAGE_MAX_SERIES_PER_BUCKET")]
    pub(crate) storage_max_series_per_bucket: Option<String>,
    /// Idle read timeout of a connection, 0 = none [default: 0s].
    #[arg(long, env = "RINGFLUX_HTTP_READ_TIMEOUT")]
    pub(crate) http_read_timeout: Option<String>,
    /// Write timeout of a connection, 0 = none [default: 0s].
    #[arg(long, env = "RINGFLUX_HTTP_WRITE_TIMEOUT")]
    pub(crate) http_write_timeout: Option<String>,
    /// Largest request body in bytes, after decompression; larger gets 413 [default: 25000000].
    #[arg(long, env = "RINGFLUX_MAX_BODY_SIZE")]
    pub(crate) max_body_size: Option<String>,
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub(crate) struct ServeConfig {
    /// Engine settings.
    pub(crate) engine: EngineConfig,
    /// HTTP settings.
    pub(crate) http: HttpConfig,
    /// Log level.
    pub(crate) log_level: String,
}

/// Every key the TOML file may hold (kept in step with `ServeArgs`).
pub(crate) const KEYS: &[&str] = &[
    "http-bind-address",
    "engine-path",
    "log-level",
    "shards",
    "storage-wal-fsync-delay",
    "storage-wal-sync",
    "storage-cache-max-memory-size",
    "storage-cache-snapshot-memory-size",
    "storage-cache-snapshot-write-cold-duration",
    "storage-block-cache-size",
    "storage-compact-max-segments",
    "storage-compact-throughput-burst",
    "storage-retention-check-interval",
    "storage-max-series-per-bucket",
    "http-read-timeout",
    "http-write-timeout",
    "max-body-size",
];

fn total_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(8 << 30)
}

/// Parses `:8086`, `127.0.0.1:0`, `localhost:8086`, `[::1]:8086`.
pub(crate) fn parse_bind(s: &str) -> Result<SocketAddr, String> {
    let full = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_string()
    };
    full.to_socket_addrs()
        .map_err(|e| format!("invalid http-bind-address {s:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("invalid http-bind-address {s:?}"))
}

impl ServeArgs {
    /// Resolves flags, environment, TOML file and defaults into a config.
    pub(crate) fn resolve(&self) -> Result<ServeConfig, String> {
        let file: BTreeMap<String, toml::Value> = match &self.config {
            None => BTreeMap::new(),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("reading config {}: {e}", p.display()))?;
                let table: BTreeMap<String, toml::Value> = toml::from_str(&text)
                    .map_err(|e| format!("parsing config {}: {e}", p.display()))?;
                for k in table.keys() {
                    if !KEYS.contains(&k.as_str()) {
                        return Err(format!("unknown key {k:?} in config {}", p.display()));
                    }
                }
                table
            }
        };
        let pick = |flag: &Option<String>, key: &str| -> Option<String> {
            flag.clone().or_else(|| {
                file.get(key).map(|v| match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            })
        };
        let bind = parse_bind(
            &pick(&self.http_bind_address, "http-bind-address").unwrap_or_else(|| ":8086".into()),
        )?;
        let home = || {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
        };
        let engine_path = match pick(&self.engine_path, "engine-path") {
            Some(p) if p == "~" => home(),
            Some(p) => match p.strip_prefix("~/") {
                Some(rest) => home().join(rest),
                None => PathBuf::from(p),
            },
            None => home().join(".ringflux"),
        };
        let shards = match pick(&self.shards, "shards") {
            Some(s) => s
                .parse::<usize>()
                .map_err(|_| format!("invalid shards {s:?}"))?,
            None => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        };
        let dur = |flag: &Option<String>, key: &str| -> Result<Duration, String> {
            match pick(flag, key) {
                None => Ok(Duration::ZERO),
                Some(s) => parse_duration(&s)
                    .ok_or_else(|| format!("invalid {key} {s:?}: use e.g. 0s, 100ms, 1s")),
            }
        };
        let sync = match pick(&self.storage_wal_sync, "storage-wal-sync") {
            None => SyncMode::Batch,
            Some(s) => SyncMode::parse(&s)
                .ok_or_else(|| format!("invalid storage-wal-sync {s:?}: use batch or none"))?,
        };
        let cache = match pick(
            &self.storage_cache_max_memory_size,
            "storage-cache-max-memory-size",
        ) {
            None => StorageConfig::default().cache_max_memory_size,
            Some(s) => parse_memory_size(&s, total_memory())
                .ok_or_else(|| format!("invalid storage-cache-max-memory-size {s:?}"))?,
        };
        let defaults = StorageConfig::default();
        let mem = |flag: &Option<String>, key: &str, default: u64| -> Result<u64, String> {
            match pick(flag, key) {
                None => Ok(default),
                Some(s) => parse_memory_size(&s, total_memory())
                    .ok_or_else(|| format!("invalid {key} {s:?}")),
            }
        };
        let dur_or =
            |flag: &Option<String>, key: &str, default: Duration| -> Result<Duration, String> {
                match pick(flag, key) {
                    None => Ok(default),
                    Some(_) => dur(flag, key),
                }
            };
        let count = |flag: &Option<String>, key: &str, default: u64| -> Result<u64, String> {
            match pick(flag, key) {
                None => Ok(default),
                Some(s) => s.parse::<u64>().map_err(|_| format!("invalid {key} {s:?}")),
            }
        };
        let storage = StorageConfig {
            cache_max_memory_size: cache,
            cache_snapshot_memory_size: mem(
                &self.storage_cache_snapshot_memory_size,
                "storage-cache-snapshot-memory-size",
                defaults.cache_snapshot_memory_size as u64,
            )? as usize,
            cache_snapshot_write_cold_duration: dur_or(
                &self.storage_cache_snapshot_write_cold_duration,
                "storage-cache-snapshot-write-cold-duration",
                defaults.cache_snapshot_write_cold_duration,
            )?,
            block_cache_size: mem(
                &self.storage_block_cache_size,
                "storage-block-cache-size",
                defaults.block_cache_size,
            )?,
            compact_max_segments: count(
                &self.storage_compact_max_segments,
                "storage-compact-max-segments",
                defaults.compact_max_segments as u64,
            )? as usize,
            compact_throughput_burst: mem(
                &self.storage_compact_throughput_burst,
                "storage-compact-throughput-burst",
                defaults.compact_throughput_burst,
            )?,
            retention_check_interval: dur_or(
                &self.storage_retention_check_interval,
                "storage-retention-check-interval",
                defaults.retention_check_interval,
            )?,
            max_series_per_bucket: count(
                &self.storage_max_series_per_bucket,
                "storage-max-series-per-bucket",
                defaults.max_series_per_bucket,
            )?,
        };
        let max_body_size = match pick(&self.max_body_size, "max-body-size") {
            None => 25_000_000,
            Some(s) => parse_memory_size(&s, total_memory())
                .map(|v| v as usize)
                .ok_or_else(|| format!("invalid max-body-size {s:?}"))?,
        };
        let engine = EngineConfig {
            engine_path,
            shards,
            wal: WalConfig {
                fsync_delay: dur(&self.storage_wal_fsync_delay, "storage-wal-fsync-delay")?,
                sync,
                ..WalConfig::default()
            },
            storage,
        };
        engine.validate().map_err(|e| e.to_string())?;
        let http = HttpConfig {
            bind,
            max_body_size,
            read_timeout: dur(&self.http_read_timeout, "http-read-timeout")?,
            write_timeout: dur(&self.http_write_timeout, "http-write-timeout")?,
            ..HttpConfig::default()
        };
        Ok(ServeConfig {
            engine,
            http,
            log_level: pick(&self.log_level, "log-level").unwrap_or_else(|| "info".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_addresses_parse() {
        assert_eq!(parse_bind(":8086").unwrap().port(), 8086);
        assert_eq!(parse_bind("127.0.0.1:0").unwrap().port(), 0);
        assert!(parse_bind("nope").is_err());
    }

    #[test]
    fn example_toml_lists_every_key_and_loads() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tuning/ringflux.example.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let table: BTreeMap<String, toml::Value> = toml::from_str(&text).unwrap();
        for k in KEYS {
            // Every key is documented; keys whose default is computed (shards) are commented.
            let documented = text.lines().any(|l| {
                l.trim_start_matches(['#', ' '])
                    .starts_with(&format!("{k} ="))
            });
            assert!(documented, "example toml lacks {k}");
        }
        for k in table.keys() {
            assert!(
                KEYS.contains(&k.as_str()),
                "example toml has unknown key {k}"
            );
        }
        let args = ServeArgs {
            config: Some(path.into()),
            ..Default::default()
        };
        let cfg = args.resolve().unwrap();
        assert_eq!(cfg.http.max_body_size, 25_000_000);
        assert_eq!(cfg.engine.wal.sync, SyncMode::Batch);
        // `~/` is expanded like a shell would.
        assert!(
            !cfg.engine.engine_path.starts_with("~"),
            "{:?}",
            cfg.engine.engine_path
        );
        assert!(cfg.engine.engine_path.ends_with(".ringflux"));
    }

    #[test]
    fn flags_beat_the_file_and_bad_values_are_named() {
        let args = ServeArgs {
            max_body_size: Some("1000".into()),
            storage_wal_fsync_delay: Some("5ms".into()),
            shards: Some("2".into()),
            ..Default::default()
        };
        let cfg = args.resolve().unwrap();
        assert_eq!(cfg.http.max_body_size, 1000);
        assert_eq!(cfg.engine.wal.fsync_delay, Duration::from_millis(5));
        let bad = ServeArgs {
            storage_wal_sync: Some("sometimes".into()),
            ..Default::default()
        };
        assert!(bad.resolve().unwrap_err().contains("storage-wal-sync"));
    }
}
