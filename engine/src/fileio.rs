//! Small glommio file helpers shared by the WAL and the segment store: whole-block direct-I/O
//! writes, directory syncs and atomic small-file replacement.
//!
//! Invariants:
//! - Every write goes through io_uring (glommio `DmaFile`), block-aligned and zero-padded to a
//!   multiple of [`BLOCK`]; callers that need an exact length truncate afterwards.
//! - [`replace_file`] is atomic on POSIX file systems: readers see the old or the new content,
//!   never a mix, and the new content is durable (file and directory synced) when it returns.

use std::path::Path;

use glommio::io::{Directory, DmaFile, OpenOptions};

use crate::error::{Error, Result};

/// Alignment and padding unit of every direct-I/O write.
pub const BLOCK: usize = 4096;

/// Writes `data` at the block-aligned offset `pos`, zero-padded to whole blocks, with direct
/// I/O (no page-cache copy). Returns the bytes written (a multiple of [`BLOCK`]).
pub async fn write_blocks(file: &DmaFile, data: &[u8], pos: u64) -> std::io::Result<u64> {
    let padded = data.len().div_ceil(BLOCK) * BLOCK;
    if padded == 0 {
        return Ok(0);
    }
    let mut dma = file.alloc_dma_buffer(padded);
    let bytes = dma.as_bytes_mut();
    let (head, tail) = bytes.split_at_mut(data.len());
    head.copy_from_slice(data);
    tail.fill(0);
    let n = file
        .write_at(dma, pos)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if n != padded {
        return Err(std::io::Error::other(format!(
            "short write: {n} of {padded} bytes"
        )));
    }
    Ok(padded as u64)
}

/// Makes glommio learn, on this executor, whether the device holding `dir` supports polled
/// (IOPOLL) direct I/O, by opening a file that has real data blocks.
///
/// glommio probes the first `DmaFile` it opens per device and executor with a polled read at
/// offset 0 and caches the answer (per thread). If that first file is empty — a new WAL
/// segment is — the read ends at EOF before reaching the device and "succeeds", so glommio
/// wrongly routes every later read to the poll ring, where virtio and most SATA devices fail
/// with `EOPNOTSUPP`. Call this once per executor before creating any file on the device.
pub async fn probe_direct_io(dir: &Path) -> Result<()> {
    let path = dir.join(".ringflux-dio-probe");
    let ctx =
        |e: &dyn std::fmt::Display| Error::internal(format!("probing {}: {e}", path.display()));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).map_err(|e| ctx(&e))?;
        f.write_all(&[0u8; BLOCK]).map_err(|e| ctx(&e))?;
        f.sync_all().map_err(|e| ctx(&e))?;
    }
    let r = match DmaFile::open(&path).await {
        Ok(f) => {
            let _ = f.close().await;
            Ok(())
        }
        Err(e) => Err(ctx(&e)),
    };
    let _ = std::fs::remove_file(&path);
    r
}

/// Syncs directory `dir` (makes creations, renames and removals in it durable).
pub async fn sync_dir(dir: &Path) -> Result<()> {
    let d = Directory::open(dir)
        .await
        .map_err(|e| Error::internal(format!("opening {}: {e}", dir.display())))?;
    let r = d
        .sync()
        .await
        .map_err(|e| Error::internal(format!("syncing {}: {e}", dir.display())));
    let _ = d.close().await;
    r
}

/// Creates `path` (which must not exist) holding exactly `data`, durable (fdatasync'ed) when
/// this returns. The caller syncs the directory.
pub async fn write_new_file(path: &Path, data: &[u8]) -> Result<()> {
    let ctx =
        |e: &dyn std::fmt::Display| Error::internal(format!("writing {}: {e}", path.display()));
    let file = OpenOptions::new()
        .write(true)
        .read(true)
        .create_new(true)
        .dma_open(path)
        .await
        .map_err(|e| ctx(&e))?;
    let r = async {
        write_blocks(&file, data, 0).await.map_err(|e| ctx(&e))?;
        file.truncate(data.len() as u64)
            .await
            .map_err(|e| ctx(&e))?;
        file.fdatasync().await.map_err(|e| ctx(&e))
    }
    .await;
    let _ = file.close().await;
    r
}

/// Atomically replaces `dir/name` with `data`: write `name.tmp`, sync, rename, sync `dir`.
pub async fn replace_file(dir: &Path, name: &str, data: &[u8]) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let _ = glommio::io::remove(&tmp).await;
    write_new_file(&tmp, data).await?;
    let dst = dir.join(name);
    glommio::io::rename(&tmp, &dst)
        .await
        .map_err(|e| Error::internal(format!("renaming {}: {e}", tmp.display())))?;
    sync_dir(dir).await
}

/// Reads exactly `len` bytes at `pos` of `file` (direct I/O; glommio aligns internally).
pub async fn read_exact_at(file: &DmaFile, pos: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let r = file
        .read_at(pos, len)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if r.len() != len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("short read at {pos}: {} of {len} bytes", r.len()),
        ));
    }
    Ok(r.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_executor;

    #[test]
    fn written_file_reads_back_with_direct_io() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let r = on_executor(move || async move {
            let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
            probe_direct_io(path.parent().unwrap()).await.unwrap();
            write_new_file(&path, &data).await.unwrap();
            let f = DmaFile::open(&path).await.unwrap();
            let got = read_exact_at(&f, 4000, 3000).await;
            got.map(|g| g == data[4000..7000])
                .map_err(|e| e.to_string())
        });
        assert_eq!(r, Ok(true));
    }
}
