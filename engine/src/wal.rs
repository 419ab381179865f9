//! Per-shard write-ahead log: segment files, group-commit writes, poisoning, and replay.
//!
//! Invariants:
//! - Only the owning shard's executor touches its `Wal` (it is `!Send`: glommio file handles).
//! - [`Wal::append`] returns only after the bytes are written and, in [`SyncMode::Batch`],
//!   `fdatasync`ed. Callers acknowledge writes only after it returns `Ok`.
//! - Any failed write or sync *poisons* the WAL: every later call fails fast with
//!   `Unavailable`; fsync is never retried (a failed fsync may have dropped dirty pages, see
//!   "Can Applications Recover from fsync Failures?", ATC'20). The operator restarts the daemon
//!   and recovery replays what is on disk.
//! - A new segment is created (and its directory synced) on start-up and when the current one
//!   passes `segment_max_bytes`; old segments are never appended to, so a torn tail can only be
//!   at the end of the newest segment.
//!
//! Group commit lives in the shard's committer loop: it encodes every pending write request into
//! one buffer and calls `append` once, so one `fdatasync` covers all of them.

pub mod record;
pub mod replay;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::path::{Path, PathBuf};

use glommio::io::{DmaFile, OpenOptions};

use crate::config::{SyncMode, WalConfig};
use crate::error::{Error, Result};
use crate::fileio::{sync_dir, write_blocks};

/// File name of segment `seq`.
pub fn segment_name(seq: u64) -> String {
    format!("{seq:020}.wal")
}

/// Parses a segment file name back to its sequence number.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".wal")?;
    if stem.len() != 20 {
        return None;
    }
    stem.parse().ok()
}

/// The open WAL of one shard.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    shard: u32,
    cfg: WalConfig,
    file: DmaFile,
    seq: u64,
    pos: u64,
    poisoned: Cell<bool>,
    /// Segment-local series numbers: `local[sid] = n + 1` once series `sid` (the shard's id) is
    /// defined in the active segment; 0 = not yet. Reset on rotation.
    local: Vec<u32>,
    next_local: u32,
}

impl Wal {
    /// Creates segment `seq` in `dir` (which must exist) and makes its creation durable.
    pub async fn create(dir: &Path, shard: u32, seq: u64, cfg: WalConfig) -> Result<Wal> {
        let (file, pos) = Self::new_segment(dir, shard, seq, cfg.sync).await?;
        Ok(Wal {
            dir: dir.to_path_buf(),
            shard,
            cfg,
            file,
            seq,
            pos,
            poisoned: Cell::new(false),
            local: Vec::new(),
            next_local: 0,
        })
    }

    async fn new_segment(
        dir: &Path,
        shard: u32,
        seq: u64,
        sync: SyncMode,
    ) -> Result<(DmaFile, u64)> {
        let path = dir.join(segment_name(seq));
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .dma_open(&path)
            .await
            .map_err(|e| {
                Error::internal(format!("creating WAL segment {}: {e}", path.display()))
            })?;
        if file.alignment() > record::BLOCK as u64 {
            return Err(Error::internal(format!(
                "{}: the device's logical block size ({}) is larger than the WAL block ({})",
                path.display(),
                file.alignment(),
                record::BLOCK
            )));
        }
        let mut header = Vec::with_capacity(record::HEADER_LEN);
        record::encode_header(shard, &mut header);
        let len = write_blocks(&file, &header, 0)
            .await
            .map_err(|e| Error::internal(format!("writing WAL header {}: {e}", path.display())))?;
        if sync == SyncMode::Batch {
            file.fdatasync()
                .await
                .map_err(|e| Error::internal(format!("syncing {}: {e}", path.display())))?;
            sync_dir(dir).await?;
        }
        Ok((file, len))
    }

    /// How the next record should name series `sid` (key `key`): a definition on first use in
    /// the active segment, a reference afterwards.
    pub fn series_ref<'k>(&mut self, sid: u32, key: &'k [u8]) -> record::SeriesRef<'k> {
        let i = sid as usize;
        if self.local.len() <= i {
            self.local.resize(i + 1, 0);
        }
        match self.local.get_mut(i) {
            Some(slot) if *slot != 0 => record::SeriesRef::Ref(*slot - 1),
            Some(slot) => {
                let n = self.next_local;
                self.next_local += 1;
                *slot = n + 1;
                record::SeriesRef::Define(n, key)
            }
            None => record::SeriesRef::Define(0, key),
        }
    }

    /// True once an I/O failure has poisoned this WAL.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.get()
    }

    /// Marks the WAL poisoned (used by fault-injection tests and on I/O failure).
    pub fn poison(&self) {
        self.poisoned.set(true);
    }

    /// Sequence number of the segment being written.
    pub fn current_seq(&self) -> u64 {
        self.seq
    }

    /// Current write offset in the active segment.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Writes `buf` (one or more framed records) at the end of the log and makes it durable
    /// according to the sync mode. On failure the WAL is poisoned.
    pub async fn append(&mut self, buf: &[u8]) -> Result<()> {
        if self.poisoned.get() {
            return Err(poisoned_error(self.shard));
        }
        if buf.is_empty() {
            return Ok(());
        }
        let len = match write_blocks(&self.file, buf, self.pos).await {
            Ok(n) => n,
            Err(e) => {
                self.poisoned.set(true);
                tracing::error!(shard = self.shard, error = %e, "WAL write failed; shard poisoned");
                return Err(poisoned_error(self.shard));
            }
        };
        self.pos += len;
        if self.cfg.sync == SyncMode::Batch {
            if let Err(e) = self.file.fdatasync().await {
                self.poisoned.set(true);
                tracing::error!(shard = self.shard, error = %e, "WAL fdatasync failed; shard poisoned");
                return Err(poisoned_error(self.shard));
            }
        }
        if self.pos >= self.cfg.segment_max_bytes {
            self.rotate().await?;
        }
        Ok(())
    }

    /// Closes the active segment and starts segment `current_seq() + 1`; returns the new
    /// sequence number. Everything appended before this call is in older segments (the storage
    /// flush relies on it: a frozen head covers exactly the segments before the returned one).
    pub async fn rotate(&mut self) -> Result<u64> {
        if self.poisoned.get() {
            return Err(poisoned_error(self.shard));
        }
        let next = self.seq + 1;
        match Self::new_segment(&self.dir, self.shard, next, self.cfg.sync).await {
            Ok((file, pos)) => {
                let old = std::mem::replace(&mut self.file, file);
                let _ = old.close().await;
                self.seq = next;
                self.pos = pos;
                self.local.iter_mut().for_each(|v| *v = 0);
                self.next_local = 0;
                Ok(next)
            }
            Err(e) => {
                self.poisoned.set(true);
                tracing::error!(shard = self.shard, error = %e, "WAL rotation failed; shard poisoned");
                Err(poisoned_error(self.shard))
            }
        }
    }

    /// Syncs and closes the active segment (clean shutdown).
    pub async fn close(self) -> Result<()> {
        if !self.poisoned.get() {
            self.file
                .fdatasync()
                .await
                .map_err(|e| Error::internal(e.to_string()))?;
        }
        let _ = self.file.close().await;
        Ok(())
    }
}

/// Removes every segment of `dir` with a sequence number below `seq` (their contents are in
/// segment files) and syncs the directory. Returns how many were removed.
pub async fn remove_segments_before(dir: &Path, seq: u64) -> Result<usize> {
    let mut removed = 0;
    for (s, path) in replay::list_segments(dir)? {
        if s >= seq {
            break;
        }
        glommio::io::remove(&path)
            .await
            .map_err(|e| Error::internal(format!("removing {}: {e}", path.display())))?;
        removed += 1;
    }
    if removed > 0 {
        sync_dir(dir).await?;
    }
    Ok(removed)
}

fn poisoned_error(shard: u32) -> Error {
    Error::unavailable(format!(
        "shard {shard} is unavailable after a WAL I/O failure; restart ringflux to recover"
    ))
}
