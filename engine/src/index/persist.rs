//! Persistence of the series index: a per-shard append-only log, `series.idx`.
//!
//! The storage flush calls [`SeriesLog::persist`] *before* deleting the WAL segments it covers,
//! so every series id a segment file mentions is in this log after a crash. On start-up
//! [`open`] rebuilds the [`SeriesIndex`] with the same ids.
//!
//! Invariants:
//! - Only the owning shard's executor touches its `SeriesLog` (glommio file handles, `!Send`).
//! - Appends are block-aligned, zero-padded runs written with direct I/O; a run never rewrites
//!   a block that holds earlier (already synced) records, so a torn append can only damage
//!   records that were never reported as persisted.
//! - [`SeriesLog::sync`] returns `Ok` only after `fdatasync`; a failed write or sync poisons the
//!   log (fsync is never retried) and every later call fails.
//! - Records are written in id order, with each bucket drop placed before the first id assigned
//!   after it, so replaying the log in order reproduces the index (ids, drops, postings).
//!
//! ## Format
//!
//! All integers are little-endian. The file starts with a 16-byte header in its first 4096-byte
//! block (the rest of the block is zero):
//!
//! | offset | size | field                                 |
//! |-------:|-----:|---------------------------------------|
//! | 0      | 8    | magic `RFLXIDX\0`                      |
//! | 8      | 2    | format version (`FORMAT_VERSION` = 1) |
//! | 10     | 2    | reserved, 0                           |
//! | 12     | 4    | shard id                              |
//!
//! Records start at offset 4096. Each append (one `persist`) starts on a 4096-byte boundary and
//! is zero-padded to whole blocks. A record is framed as `len: u32 · crc32: u32 · payload`
//! (`len` = payload bytes, 1 ≤ len ≤ `MAX_RECORD_LEN`; CRC-32/IEEE of the payload). A frame
//! header of eight zero bytes is padding: reading continues at the next block boundary; fewer
//! than eight bytes before the end of the file, all zero, end the log too.
//!
//! Payloads (first byte = kind):
//!
//! | kind | name          | rest of the payload                                          |
//! |-----:|---------------|--------------------------------------------------------------|
//! | 1    | `DEFINE`      | `id: u32` · `bucket: u64` · canonical series key (the rest)  |
//! | 2    | `DROP_BUCKET` | `bucket: u64` · `next_id: u32`                                |
//!
//! `DEFINE` ids are strictly increasing through the file; ids skipped between them belonged to
//! buckets dropped before they were persisted. `DROP_BUCKET` forgets every series of the bucket
//! defined so far and marks every id below `next_id` as used, so ids are never reused even when
//! the dropped series were never written.
//!
//! Recovery: a frame that is incomplete or fails its CRC with no valid record anywhere after it
//! is a torn append — the file is truncated there (logged) and the next append starts at the
//! following block boundary. A bad frame followed by a valid record, a CRC-valid record that does
//! not decode or does not apply (id out of order, duplicate key), or a bad header is corruption:
//! [`open`] fails naming the file and offset.

use std::path::{Path, PathBuf};

use glommio::io::{BufferedFile, DmaFile, OpenOptions};

use super::{SeriesId, SeriesIndex};
use crate::error::{Error, Result};
use crate::fileio::write_blocks;
use crate::model::BucketId;

/// File name of the log in the shard's index directory.
pub const FILE_NAME: &str = "series.idx";
/// File magic.
pub const MAGIC: &[u8; 8] = b"RFLXIDX\0";
/// Current format version.
pub const FORMAT_VERSION: u16 = 1;
/// Header size.
pub const HEADER_LEN: usize = 16;
/// Alignment and padding unit of appends; records start at this offset.
pub const BLOCK: usize = crate::fileio::BLOCK;
/// Frame header size (len + crc).
pub const FRAME_LEN: usize = 8;
/// Largest payload a record may declare; larger means corruption.
pub const MAX_RECORD_LEN: u32 = 64 * 1024 * 1024;
/// Record kind: a series definition.
pub const KIND_DEFINE: u8 = 1;
/// Record kind: a bucket drop.
pub const KIND_DROP_BUCKET: u8 = 2;
/// Bytes read per I/O while loading.
const READ_CHUNK: usize = 8 << 20;
/// Largest single write (a multiple of `BLOCK`, so only the last piece of an append is padded).
const WRITE_CHUNK: usize = 8 << 20;

/// A decoded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record<'a> {
    /// Series `id` of `bucket` has canonical key `key`.
    Define {
        /// Series id.
        id: SeriesId,
        /// Its bucket.
        bucket: BucketId,
        /// Canonical series key.
        key: &'a [u8],
    },
    /// `bucket` was dropped; ids below `next_id` are used.
    DropBucket {
        /// The dropped bucket.
        bucket: BucketId,
        /// First id assigned after the drop.
        next_id: SeriesId,
    },
}

/// Encodes the file header into `out`.
pub fn encode_header(shard: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&shard.to_le_bytes());
}

/// Checks a header; returns its shard id.
pub fn decode_header(buf: &[u8]) -> std::result::Result<u32, String> {
    let h = buf
        .get(..HEADER_LEN)
        .ok_or_else(|| "file shorter than its header".to_string())?;
    if h.get(..8) != Some(&MAGIC[..]) {
        return Err("bad magic".into());
    }
    let version = u16::from_le_bytes([h[8], h[9]]);
    if version != FORMAT_VERSION {
        return Err(format!("unsupported format version {version}"));
    }
    Ok(u32::from_le_bytes([h[12], h[13], h[14], h[15]]))
}

/// Appends one framed record to `out`.
pub fn encode_record(rec: &Record<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0u8; FRAME_LEN]);
    match *rec {
        Record::Define { id, bucket, key } => {
            out.push(KIND_DEFINE);
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&bucket.0.to_le_bytes());
            out.extend_from_slice(key);
        }
        Record::DropBucket { bucket, next_id } => {
            out.push(KIND_DROP_BUCKET);
            out.extend_from_slice(&bucket.0.to_le_bytes());
            out.extend_from_slice(&next_id.to_le_bytes());
        }
    }
    let payload = out.get(start + FRAME_LEN..).unwrap_or_default();
    let len = (payload.len() as u32).to_le_bytes();
    let crc = crc32fast::hash(payload).to_le_bytes();
    if let Some(h) = out.get_mut(start..start + FRAME_LEN) {
        h[..4].copy_from_slice(&len);
        h[4..].copy_from_slice(&crc);
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Decodes a record payload (never panics on arbitrary bytes).
pub fn decode_record(p: &[u8]) -> std::result::Result<Record<'_>, &'static str> {
    match p.first() {
        Some(&KIND_DEFINE) => {
            let id = u32_at(p, 1).ok_or("truncated DEFINE")?;
            let bucket = u64_at(p, 5).ok_or("truncated DEFINE")?;
            let key = p.get(13..).unwrap_or_default();
            if key.is_empty() {
                return Err("DEFINE with an empty key");
            }
            Ok(Record::Define {
                id,
                bucket: BucketId(bucket),
                key,
            })
        }
        Some(&KIND_DROP_BUCKET) => {
            if p.len() != 13 {
                return Err("DROP_BUCKET of the wrong length");
            }
            let bucket = u64_at(p, 1).ok_or("truncated DROP_BUCKET")?;
            let next_id = u32_at(p, 9).ok_or("truncated DROP_BUCKET")?;
            Ok(Record::DropBucket {
                bucket: BucketId(bucket),
                next_id,
            })
        }
        Some(_) => Err("unknown record kind"),
        None => Err("empty record"),
    }
}

/// What the reader found at an offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A CRC-valid record; the next frame starts at `next`.
    Record {
        /// The payload.
        payload: &'a [u8],
        /// Offset of the next frame.
        next: usize,
    },
    /// Zero padding; continue at `next`.
    Padding {
        /// Next block boundary.
        next: usize,
    },
    /// End of the log.
    End,
    /// Incomplete or damaged frame.
    Bad(&'static str),
}

/// Reads the frame at `at` of `buf`, whose byte 0 is at file offset `base` (block boundaries
/// are file offsets). `buf` must extend to the end of the file or at least past the frame.
pub fn read_frame(buf: &[u8], base: u64, at: usize) -> Frame<'_> {
    if at >= buf.len() {
        return Frame::End;
    }
    let Some(hdr) = buf.get(at..at + FRAME_LEN) else {
        let rest = buf.get(at..).unwrap_or_default();
        return if rest.iter().all(|&b| b == 0) {
            Frame::End
        } else {
            Frame::Bad("incomplete record header")
        };
    };
    let len = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    let crc = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
    if len == 0 && crc == 0 {
        let file_at = base + at as u64;
        let next_file = (file_at / BLOCK as u64 + 1) * BLOCK as u64;
        return Frame::Padding {
            next: (next_file - base) as usize,
        };
    }
    if len == 0 || len > MAX_RECORD_LEN {
        return Frame::Bad("record length out of range");
    }
    let end = at + FRAME_LEN + len as usize;
    let Some(payload) = buf.get(at + FRAME_LEN..end) else {
        return Frame::Bad("incomplete record");
    };
    if crc32fast::hash(payload) != crc {
        return Frame::Bad("record checksum mismatch");
    }
    Frame::Record { payload, next: end }
}

/// The open `series.idx` of one shard.
#[derive(Debug)]
pub struct SeriesLog {
    path: PathBuf,
    file: DmaFile,
    /// Next append offset (block-aligned).
    pos: u64,
    /// Ids below this are in the log (or dead).
    next_id: SeriesId,
    /// Entries of `SeriesIndex::drops` already in the log.
    drops_done: usize,
    /// Staged, not yet written records and the marks they advance to.
    staged: Vec<u8>,
    staged_next_id: SeriesId,
    staged_drops: usize,
    poisoned: bool,
}

fn io_err(what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::internal(format!("{what} {}: {e}", path.display()))
}

/// Opens (or creates) `dir/series.idx` for shard `shard` and loads it. `dir` must exist.
/// A torn tail is truncated (logged); corruption anywhere else is an error naming the file and
/// offset.
pub async fn open(dir: &Path, shard: u32) -> Result<(SeriesLog, SeriesIndex)> {
    let path = dir.join(FILE_NAME);
    let exists = match std::fs::metadata(&path) {
        Ok(m) => m.len() >= HEADER_LEN as u64,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err("stat", &path, e)),
    };
    if !exists {
        return create(dir, &path, shard).await;
    }
    // Load through the page cache (like WAL replay; direct-I/O reads are not supported
    // everywhere, e.g. tmpfs), then append with direct I/O.
    let reader = OpenOptions::new()
        .read(true)
        .write(true)
        .buffered_open(&path)
        .await
        .map_err(|e| io_err("opening", &path, e))?;
    let loaded = load(&reader, &path, shard).await;
    let _ = reader.close().await;
    let (pos, index) = loaded?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .dma_open(&path)
        .await
        .map_err(|e| io_err("opening", &path, e))?;
    Ok((SeriesLog::new(path, file, pos, &index), index))
}

async fn create(dir: &Path, path: &Path, shard: u32) -> Result<(SeriesLog, SeriesIndex)> {
    // A file shorter than its header was being created when we crashed: nothing in it was
    // ever persisted.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .dma_open(path)
        .await
        .map_err(|e| io_err("creating", path, e))?;
    if file.alignment() > BLOCK as u64 {
        return Err(Error::internal(format!(
            "{}: the device's logical block size ({}) is larger than the index block ({BLOCK})",
            path.display(),
            file.alignment()
        )));
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    encode_header(shard, &mut header);
    let pos = write_blocks(&file, &header, 0)
        .await
        .map_err(|e| io_err("writing the header of", path, e))?;
    file.fdatasync()
        .await
        .map_err(|e| io_err("syncing", path, e))?;
    crate::fileio::sync_dir(dir).await?;
    let index = SeriesIndex::new();
    Ok((SeriesLog::new(path.to_path_buf(), file, pos, &index), index))
}

/// Sliding window over the file for the loader.
struct Window<'f> {
    file: &'f BufferedFile,
    size: u64,
    base: u64,
    buf: Vec<u8>,
}

impl Window<'_> {
    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Makes sure `need` bytes from file offset `at` are buffered (or the file ends first).
    async fn fill(&mut self, at: u64, need: usize, path: &Path) -> Result<()> {
        while self.end() < self.size && self.end() < at + need as u64 {
            // Drop what lies before `at`'s block (keeps reads aligned).
            let keep_from = at / BLOCK as u64 * BLOCK as u64;
            if keep_from > self.base {
                let cut = (keep_from - self.base) as usize;
                self.buf.drain(..cut.min(self.buf.len()));
                self.base = keep_from;
            }
            let want = READ_CHUNK.max(need).min((self.size - self.end()) as usize);
            let r = self
                .file
                .read_at(self.end(), want)
                .await
                .map_err(|e| io_err("reading", path, e))?;
            if r.is_empty() {
                break;
            }
            self.buf.extend_from_slice(&r);
        }
        Ok(())
    }
}

/// Reads and applies every record; truncates a torn tail. Returns the next append offset.
async fn load(file: &BufferedFile, path: &Path, shard: u32) -> Result<(u64, SeriesIndex)> {
    let size = file
        .file_size()
        .await
        .map_err(|e| io_err("stat", path, e))?;
    let mut w = Window {
        file,
        size,
        base: 0,
        buf: Vec::new(),
    };
    w.fill(0, HEADER_LEN, path).await?;
    let found = decode_header(&w.buf).map_err(|e| {
        Error::internal(format!(
            "series index {} has a bad header: {e}",
            path.display()
        ))
    })?;
    if found != shard {
        return Err(Error::internal(format!(
            "series index {} belongs to shard {found}, not shard {shard}",
            path.display()
        )));
    }
    let mut index = SeriesIndex::new();
    let mut at = BLOCK as u64;
    let mut end = at;
    loop {
        w.fill(at, FRAME_LEN, path).await?;
        // Enough for the whole record if the header is plausible.
        let rel = (at - w.base) as usize;
        if let Some(h) = w.buf.get(rel..rel + 4) {
            let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]).min(MAX_RECORD_LEN);
            w.fill(at, FRAME_LEN + len as usize, path).await?;
        }
        let rel = (at - w.base) as usize;
        match read_frame(&w.buf, w.base, rel) {
            Frame::End => break,
            Frame::Padding { next } => at = w.base + next as u64,
            Frame::Record { payload, next } => {
                let applied = decode_record(payload)
                    .map_err(String::from)
                    .and_then(|r| match r {
                        Record::Define { id, bucket, key } => index.define(id, bucket, key),
                        Record::DropBucket { bucket, next_id } => {
                            index.apply_drop(bucket, next_id);
                            Ok(())
                        }
                    });
                if let Err(why) = applied {
                    return Err(Error::internal(format!(
                        "series index {} is corrupt at offset {at}: {why}; refusing to start",
                        path.display()
                    )));
                }
                at = w.base + next as u64;
                end = at;
            }
            Frame::Bad(why) => {
                // Read the rest of the file to tell a torn tail from corruption.
                w.fill(at, (size - at) as usize, path).await?;
                let rel = (at - w.base) as usize;
                if has_valid_record_after(&w.buf, w.base, rel) {
                    return Err(Error::internal(format!(
                        "series index {} is corrupt at offset {at}: {why}; refusing to start (move the file away to rebuild the index from the WAL)",
                        path.display()
                    )));
                }
                tracing::warn!(file = %path.display(), offset = at, bytes = size - at, reason = why, "truncating torn series index tail");
                file.truncate(at)
                    .await
                    .map_err(|e| io_err("truncating", path, e))?;
                file.fdatasync()
                    .await
                    .map_err(|e| io_err("syncing", path, e))?;
                end = at;
                break;
            }
        }
    }
    let pos = end.div_ceil(BLOCK as u64) * BLOCK as u64;
    Ok((pos, index))
}

/// Does any CRC-valid, decodable record start after `at`?
fn has_valid_record_after(buf: &[u8], base: u64, at: usize) -> bool {
    (at + 1..buf.len().saturating_sub(FRAME_LEN - 1)).any(|i| {
        matches!(read_frame(buf, base, i), Frame::Record { payload, .. } if decode_record(payload).is_ok())
    })
}

impl SeriesLog {
    fn new(path: PathBuf, file: DmaFile, pos: u64, index: &SeriesIndex) -> Self {
        SeriesLog {
            path,
            file,
            pos,
            next_id: index.len() as SeriesId,
            drops_done: index.drops().len(),
            staged: Vec::new(),
            staged_next_id: index.len() as SeriesId,
            staged_drops: index.drops().len(),
            poisoned: false,
        }
    }

    /// Path of the log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Encodes every series defined and every bucket dropped since the last stage into the
    /// pending buffer (synchronous: call it while holding the index borrow, then [`Self::sync`]
    /// without it).
    pub fn stage(&mut self, index: &SeriesIndex) {
        let mut cursor = self.staged_next_id;
        let drops = index.drops().get(self.staged_drops..).unwrap_or_default();
        for &(bucket, next_id) in drops {
            self.stage_defines(index, cursor, next_id);
            cursor = cursor.max(next_id);
            encode_record(&Record::DropBucket { bucket, next_id }, &mut self.staged);
        }
        self.staged_drops = index.drops().len();
        let len = index.len() as SeriesId;
        self.stage_defines(index, cursor, len);
        self.staged_next_id = cursor.max(len);
    }

    fn stage_defines(&mut self, index: &SeriesIndex, from: SeriesId, to: SeriesId) {
        for id in from..to {
            if let Some(e) = index.entry(id) {
                encode_record(
                    &Record::Define {
                        id,
                        bucket: e.bucket,
                        key: e.key,
                    },
                    &mut self.staged,
                );
            }
        }
    }

    /// Writes the staged records (whole blocks, direct I/O) and `fdatasync`s. On failure the
    /// log is poisoned.
    pub async fn sync(&mut self) -> Result<()> {
        if self.poisoned {
            return Err(Error::unavailable(format!(
                "series index {} is unavailable after an I/O failure; restart ringflux to recover",
                self.path.display()
            )));
        }
        if self.staged.is_empty() {
            self.next_id = self.staged_next_id;
            self.drops_done = self.staged_drops;
            return Ok(());
        }
        let mut written = 0u64;
        let mut res = Ok(());
        for piece in self.staged.chunks(WRITE_CHUNK) {
            match write_blocks(&self.file, piece, self.pos + written).await {
                Ok(n) => written += n,
                Err(e) => {
                    res = Err(e.to_string());
                    break;
                }
            }
        }
        if res.is_ok() {
            res = self.file.fdatasync().await.map_err(|e| e.to_string());
        }
        match res {
            Ok(()) => {
                self.pos += written;
                self.staged.clear();
                self.next_id = self.staged_next_id;
                self.drops_done = self.staged_drops;
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                tracing::error!(file = %self.path.display(), error = %e, "series index write failed; log poisoned");
                Err(io_err("appending to", &self.path, e))
            }
        }
    }

    /// [`Self::stage`] then [`Self::sync`]: on `Ok`, every series of `index` is durable.
    pub async fn persist(&mut self, index: &SeriesIndex) -> Result<()> {
        self.stage(index);
        self.sync().await
    }

    /// Ids below this are durable in the log.
    pub fn persisted_next_id(&self) -> SeriesId {
        self.next_id
    }

    /// Closes the file.
    pub async fn close(self) {
        let _ = self.file.close().await;
    }
}
