//! WAL recovery: read every segment of a shard in order and hand each record to a callback.
//!
//! Rules (fjall's `TolerateCorruptTail`): a bad frame at the end of the *newest* segment is a torn
//! write — the segment is truncated there and a warning is logged. A bad frame anywhere else, a bad
//! header, or a record whose payload does not decode stops recovery with an error naming the file
//! and byte offset. Runs on the shard's executor with glommio file I/O.

use std::path::{Path, PathBuf};

use glommio::io::{BufferedFile, OpenOptions};

use super::parse_segment_name;
use super::record::{self, Frame};
use crate::error::{Error, Result};

/// What recovery found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplayStats {
    /// Segments read.
    pub segments: usize,
    /// Records handed to the callback.
    pub records: u64,
    /// Bytes cut off a torn tail (0 if none).
    pub truncated_bytes: u64,
    /// Highest segment sequence seen (the next segment uses this + 1).
    pub last_seq: Option<u64>,
}

/// Lists the segment files of `dir`, sorted by sequence.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::internal(format!("listing {}: {e}", dir.display()))),
    };
    for ent in rd {
        let ent = ent.map_err(|e| Error::internal(format!("listing {}: {e}", dir.display())))?;
        if let Some(seq) = ent.file_name().to_str().and_then(parse_segment_name) {
            out.push((seq, ent.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Replays every segment in `dir`; `on_record(seq, payload)` gets each record's payload in
/// order with the sequence number of its segment (segment-local series numbers reset per
/// segment).
pub async fn replay<F>(dir: &Path, mut on_record: F) -> Result<ReplayStats>
where
    F: FnMut(u64, &[u8]) -> Result<()>,
{
    let segments = list_segments(dir)?;
    let mut stats = ReplayStats::default();
    let n = segments.len();
    for (i, (seq, path)) in segments.into_iter().enumerate() {
        let newest = i + 1 == n;
        stats.segments += 1;
        stats.last_seq = Some(seq);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .buffered_open(&path)
            .await
            .map_err(|e| Error::internal(format!("opening {}: {e}", path.display())))?;
        let size = file
            .file_size()
            .await
            .map_err(|e| Error::internal(format!("stat {}: {e}", path.display())))?;
        let buf = read_all(&file, size, &path).await?;
        if buf.len() < record::HEADER_LEN && newest {
            // Crashed while creating the segment: nothing in it was ever acknowledged.
            tracing::warn!(file = %path.display(), "WAL segment has an incomplete header; removing it");
            let _ = file.close().await;
            glommio::io::remove(&path)
                .await
                .map_err(|e| Error::internal(format!("removing {}: {e}", path.display())))?;
            continue;
        }
        record::decode_header(&buf).map_err(|e| {
            Error::internal(format!(
                "WAL segment {} has a bad header: {e:?}",
                path.display()
            ))
        })?;
        let mut at = record::HEADER_LEN;
        loop {
            match record::read_frame(&buf, at) {
                Frame::Padding { next } => at = next,
                Frame::Record { payload, next } => {
                    on_record(seq, payload).map_err(|e| {
                        Error::internal(format!(
                            "WAL segment {} offset {at}: {}",
                            path.display(),
                            e.message()
                        ))
                    })?;
                    stats.records += 1;
                    at = next;
                }
                Frame::End => break,
                Frame::Bad(why) => {
                    if newest && !has_valid_record_after(&buf, at) {
                        let cut = buf.len() - at;
                        tracing::warn!(file = %path.display(), offset = at, bytes = cut, reason = why, "truncating torn WAL tail");
                        file.truncate(at as u64).await.map_err(|e| {
                            Error::internal(format!("truncating {}: {e}", path.display()))
                        })?;
                        file.fdatasync().await.map_err(|e| {
                            Error::internal(format!("syncing {}: {e}", path.display()))
                        })?;
                        stats.truncated_bytes += cut as u64;
                        break;
                    }
                    let _ = file.close().await;
                    return Err(Error::internal(format!(
                        "WAL segment {} is corrupt at offset {at}: {why}; refusing to start (move the file away to discard everything from that point on)",
                        path.display()
                    )));
                }
            }
        }
        let _ = file.close().await;
    }
    Ok(stats)
}

/// Does any plausible, CRC-valid record start after `at`? Used to tell a torn tail (nothing
/// valid follows) from corruption in the middle of the log.
fn has_valid_record_after(buf: &[u8], at: usize) -> bool {
    let mut i = at + 1;
    while i + record::FRAME_LEN <= buf.len() {
        if let Frame::Record { payload, .. } = record::read_frame(buf, i) {
            if record::decode_write(payload).is_ok() {
                return true;
            }
        }
        i += 1;
    }
    false
}

async fn read_all(file: &BufferedFile, size: u64, path: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size as usize);
    let mut pos = 0u64;
    const CHUNK: usize = 4 << 20;
    while pos < size {
        let want = CHUNK.min((size - pos) as usize);
        let r = file
            .read_at(pos, want)
            .await
            .map_err(|e| Error::internal(format!("reading {}: {e}", path.display())))?;
        if r.is_empty() {
            break;
        }
        out.extend_from_slice(&r);
        pos += r.len() as u64;
    }
    Ok(out)
}
