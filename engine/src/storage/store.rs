//! The on-disk half of a shard: immutable segment files, the manifest that names the live ones,
//! and a bounded cache of decoded blocks.
//!
//! ```text
//!  <engine-path>/data/shard-NNNN/
//!      MANIFEST.json            the live segments, generations, tombstones, first live WAL seq
//!      00000000000000000042.seg segment files (format: storage::segment_file)
//! ```
//!
//! Invariants:
//! - The manifest is the only source of truth: a `.seg` file it does not name is garbage from
//!   an interrupted flush or compaction and is deleted at open. The manifest is replaced
//!   atomically (`fileio::replace_file`), so a crash at any point leaves either the old or the
//!   new set of segments, never a mix.
//! - A segment file is complete and fdatasync'ed before a manifest names it; the files a
//!   manifest change removes are deleted only after the new manifest is durable.
//! - Every segment has a *generation*. Segments of one (bucket, partition) with a higher
//!   generation hold later writes: on equal (series, field, time) the higher generation wins.
//!   A flush gives all of its segments the generation allocated when the head was frozen;
//!   compaction merges *all* segments of a partition and keeps the highest generation, so the
//!   order between what remains is unchanged.
//! - A tombstone with generation `g` applies to data in segments of generation `< g` (the
//!   head it was applied to directly); see `shard` for how generations are handed out.
//! - Owned by one shard's executor; interior mutability with `RefCell`, never borrowed across
//!   an `.await`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use glommio::io::{DmaFile, OpenOptions};
use serde::{Deserialize, Serialize};

use super::segment_file::{
    self, BlockRef, ColumnValues, DecodedValues, SegmentIndex, SegmentWriter, FOOTER_LEN,
};
use crate::delete::DeleteRequest;
use crate::error::{Error, Result};
use crate::fileio::{self, write_blocks, BLOCK};
use crate::hash::FastMap;
use crate::model::BucketId;

/// Name of the manifest file in a shard's data directory.
pub const MANIFEST_FILE: &str = "MANIFEST.json";

/// Bytes a segment writer buffers before they are written to the file.
const SPILL_BYTES: usize = 1 << 20;

/// A segment being written is fdatasync'ed every this many bytes, so the final sync is short
/// and the WAL's syncs never queue behind one huge flush of dirty data.
const SYNC_EVERY_BYTES: u64 = 4 << 20;

/// Start of the partition holding time `t` (ns) for partitions of `duration` ns.
pub fn partition_start(t: i64, duration: i64) -> i64 {
    t.div_euclid(duration.max(1)) * duration.max(1)
}

/// What the manifest records about one segment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMeta {
    /// File number: the file is `{file:020}.seg`.
    pub file: u64,
    /// Bucket id.
    pub bucket: u64,
    /// Partition start (ns).
    pub partition: i64,
    /// Partition duration (ns).
    pub duration: i64,
    /// Generation (see the module invariants).
    pub gen: u64,
    /// Smallest timestamp in the file.
    pub min_time: i64,
    /// Largest timestamp in the file.
    pub max_time: i64,
    /// File size in bytes.
    pub bytes: u64,
    /// Points (values) in the file.
    pub points: u64,
    /// Highest tombstone sequence number physically applied to this file's data (by the
    /// compaction that wrote it); tombstones up to it no longer apply to it.
    #[serde(default)]
    pub tomb_seq: u64,
}

impl SegmentMeta {
    /// End (exclusive) of the segment's partition.
    pub fn partition_end(&self) -> i64 {
        self.partition.saturating_add(self.duration)
    }
}

/// A delete that applies to segment data of older generations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Bucket id.
    pub bucket: u64,
    /// Applies to segments with a generation below this.
    pub gen: u64,
    /// Unique, increasing sequence number (a segment records the highest one compaction has
    /// applied to it).
    #[serde(default)]
    pub seq: u64,
    /// Time range and predicate.
    pub req: DeleteRequest,
}

impl Tombstone {
    /// True if this tombstone removes points of `series_key` in a source of generation `gen`
    /// to which tombstones up to `applied` were already applied.
    pub fn applies(&self, bucket: BucketId, gen: u64, applied: u64, series_key: &[u8]) -> bool {
        self.applies_to_source(bucket, gen, applied)
            && self.req.predicate.matches_series_key(series_key)
    }

    /// True if this tombstone may remove points of a source (any series).
    pub fn applies_to_source(&self, bucket: BucketId, gen: u64, applied: u64) -> bool {
        self.bucket == bucket.0 && gen < self.gen && self.seq > applied
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    shard: u32,
    next_gen: u64,
    next_file: u64,
    wal_min_seq: u64,
    segments: Vec<SegmentMeta>,
    #[serde(default)]
    tombstones: Vec<Tombstone>,
    #[serde(default)]
    next_tomb_seq: u64,
}

/// An open segment: its manifest entry, parsed index and file handle.
#[derive(Debug)]
pub struct Segment {
    /// Manifest entry.
    pub meta: SegmentMeta,
    /// Parsed index.
    pub index: SegmentIndex,
    file: DmaFile,
}

/// Decoded points of one block.
#[derive(Debug)]
pub struct Block {
    /// Timestamps.
    pub times: Vec<i64>,
    /// Values.
    pub values: DecodedValues,
}

impl Block {
    fn approx_bytes(&self) -> usize {
        let v = match &self.values {
            DecodedValues::String(s) => s.iter().map(|x| x.len() + 24).sum(),
            other => other.len() * 8,
        };
        64 + self.times.len() * 8 + v
    }
}

/// CLOCK (second chance) cache of decoded blocks, bounded by approximate bytes.
#[derive(Debug, Default)]
struct BlockCache {
    map: FastMap<(u64, u64), (Rc<Block>, bool)>,
    queue: VecDeque<(u64, u64)>,
    bytes: usize,
    cap: usize,
    hits: u64,
    misses: u64,
}

impl BlockCache {
    fn get(&mut self, key: (u64, u64)) -> Option<Rc<Block>> {
        match self.map.get_mut(&key) {
            Some((b, referenced)) => {
                *referenced = true;
                self.hits += 1;
                Some(b.clone())
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    fn insert(&mut self, key: (u64, u64), block: Rc<Block>) {
        let size = block.approx_bytes();
        if size > self.cap / 4 || self.map.contains_key(&key) {
            return;
        }
        while self.bytes + size > self.cap {
            let Some(k) = self.queue.pop_front() else {
                break;
            };
            match self.map.get_mut(&k) {
                Some((_, referenced)) if *referenced => {
                    *referenced = false;
                    self.queue.push_back(k);
                }
                Some(_) => {
                    if let Some((b, _)) = self.map.remove(&k) {
                        self.bytes = self.bytes.saturating_sub(b.approx_bytes());
                    }
                }
                None => {}
            }
        }
        self.bytes += size;
        self.map.insert(key, (block, false));
        self.queue.push_back(key);
    }

    fn forget_file(&mut self, file: u64) {
        let mut freed = 0;
        self.map.retain(|k, (b, _)| {
            let keep = k.0 != file;
            if !keep {
                freed += b.approx_bytes();
            }
            keep
        });
        self.queue.retain(|k| k.0 != file);
        self.bytes = self.bytes.saturating_sub(freed);
    }
}

#[derive(Debug, Default)]
struct StoreState {
    manifest: Manifest,
    segments: Vec<Rc<Segment>>,
}

/// Counters of the store (for `/metrics` and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Live segment files.
    pub segments: usize,
    /// Bytes in live segment files.
    pub bytes: u64,
    /// Points in live segment files.
    pub points: u64,
    /// Blocks that failed their CRC or did not decode.
    pub corrupt_blocks: u64,
    /// Block cache hits.
    pub cache_hits: u64,
    /// Block cache misses.
    pub cache_misses: u64,
    /// Tombstones recorded.
    pub tombstones: usize,
}

/// The segment files of one shard.
#[derive(Debug)]
pub struct SegmentStore {
    dir: PathBuf,
    shard: u32,
    state: RefCell<StoreState>,
    cache: RefCell<BlockCache>,
    corrupt: Cell<u64>,
}

/// [`SegmentStore::deleted_ranges`] over a given set of tombstones.
pub fn deleted_ranges_in(
    tombstones: &[Tombstone],
    bucket: BucketId,
    gen: u64,
    applied: u64,
    series_key: &[u8],
    out: &mut Vec<(i64, i64)>,
) {
    for t in tombstones {
        if t.applies(bucket, gen, applied, series_key) {
            out.push((t.req.start, t.req.stop));
        }
    }
}

/// File name of segment file number `file`.
pub fn segment_file_name(file: u64) -> String {
    format!("{file:020}.seg")
}

fn parse_segment_file_name(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".seg")?;
    (stem.len() == 20).then(|| stem.parse().ok()).flatten()
}

impl SegmentStore {
    /// Opens (creating if needed) the store in `dir`: reads the manifest, deletes files it
    /// does not name, opens every live segment and parses its index. A damaged index stops
    /// the open with the file name.
    pub async fn open(dir: &Path, shard: u32, cache_bytes: usize) -> Result<SegmentStore> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::internal(format!("creating {}: {e}", dir.display())))?;
        let manifest = match std::fs::read(dir.join(MANIFEST_FILE)) {
            Ok(bytes) => serde_json::from_slice::<Manifest>(&bytes).map_err(|e| {
                Error::internal(format!(
                    "{} is damaged: {e}",
                    dir.join(MANIFEST_FILE).display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest {
                format: 1,
                shard,
                ..Manifest::default()
            },
            Err(e) => {
                return Err(Error::internal(format!(
                    "reading {}: {e}",
                    dir.join(MANIFEST_FILE).display()
                )))
            }
        };
        // Garbage from interrupted flushes/compactions.
        let live: std::collections::HashSet<u64> =
            manifest.segments.iter().map(|m| m.file).collect();
        let rd = std::fs::read_dir(dir)
            .map_err(|e| Error::internal(format!("listing {}: {e}", dir.display())))?;
        for ent in rd.flatten() {
            let name = ent.file_name();
            let Some(name) = name.to_str() else { continue };
            let garbage = match parse_segment_file_name(name) {
                Some(n) => !live.contains(&n),
                None => name.ends_with(".tmp"),
            };
            if garbage {
                tracing::info!(shard, file = name, "removing a file no manifest names");
                let _ = std::fs::remove_file(ent.path());
            }
        }
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for meta in &manifest.segments {
            segments.push(Rc::new(open_segment(dir, meta.clone()).await?));
        }
        Ok(SegmentStore {
            dir: dir.to_path_buf(),
            shard,
            state: RefCell::new(StoreState { manifest, segments }),
            cache: RefCell::new(BlockCache {
                cap: cache_bytes.max(1 << 20),
                ..BlockCache::default()
            }),
            corrupt: Cell::new(0),
        })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// First WAL segment not yet covered by segment files.
    pub fn wal_min_seq(&self) -> u64 {
        self.state.borrow().manifest.wal_min_seq
    }

    /// Allocates the next generation.
    pub fn alloc_gen(&self) -> u64 {
        let mut st = self.state.borrow_mut();
        let g = st.manifest.next_gen;
        st.manifest.next_gen += 1;
        g
    }

    /// The generation the next [`alloc_gen`](Self::alloc_gen) returns.
    pub fn next_gen(&self) -> u64 {
        self.state.borrow().manifest.next_gen
    }

    /// Makes sure later generations are at least `g` (recovery of WAL'd tombstones).
    pub fn bump_gen(&self, g: u64) {
        let mut st = self.state.borrow_mut();
        st.manifest.next_gen = st.manifest.next_gen.max(g);
    }

    fn alloc_file(&self) -> u64 {
        let mut st = self.state.borrow_mut();
        let f = st.manifest.next_file;
        st.manifest.next_file += 1;
        f
    }

    /// Allocates the next tombstone sequence number (starting at 1).
    pub fn alloc_tomb_seq(&self) -> u64 {
        let mut st = self.state.borrow_mut();
        st.manifest.next_tomb_seq = st.manifest.next_tomb_seq.max(1);
        let s = st.manifest.next_tomb_seq;
        st.manifest.next_tomb_seq += 1;
        s
    }

    /// The highest tombstone sequence number allocated so far (0 if none).
    pub fn max_tomb_seq(&self) -> u64 {
        self.state.borrow().manifest.next_tomb_seq.saturating_sub(1)
    }

    /// Records a tombstone (persisted with the next manifest write; the WAL holds it until
    /// then). A tombstone already recorded (same sequence number) is kept once.
    pub fn add_tombstone(&self, t: Tombstone) {
        let mut st = self.state.borrow_mut();
        st.manifest.next_tomb_seq = st.manifest.next_tomb_seq.max(t.seq + 1);
        if !st.manifest.tombstones.iter().any(|x| x.seq == t.seq) {
            st.manifest.tombstones.push(t);
        }
    }

    /// Tombstones of `bucket` that apply to a source of generation `gen`, with tombstones up
    /// to `applied` already applied, for `series_key`: their inclusive time ranges, appended
    /// to `out`.
    pub fn deleted_ranges(
        &self,
        bucket: BucketId,
        gen: u64,
        applied: u64,
        series_key: &[u8],
        out: &mut Vec<(i64, i64)>,
    ) {
        let st = self.state.borrow();
        deleted_ranges_in(
            &st.manifest.tombstones,
            bucket,
            gen,
            applied,
            series_key,
            out,
        );
    }

    /// The current tombstones, for a read to use with the segments it snapshotted (a
    /// compaction finishing meanwhile may forget tombstones that the snapshot's older segments
    /// still need).
    pub fn tombstones(&self) -> Vec<Tombstone> {
        self.state.borrow().manifest.tombstones.clone()
    }

    /// True if some tombstone may remove points of segment `seg`.
    pub fn has_tombstones_for(&self, seg: &SegmentMeta) -> bool {
        self.state
            .borrow()
            .manifest
            .tombstones
            .iter()
            .any(|t| t.applies_to_source(BucketId(seg.bucket), seg.gen, seg.tomb_seq))
    }

    /// Live segments of `bucket` overlapping `[start, stop)`, oldest generation first.
    pub fn segments_for(&self, bucket: BucketId, start: i64, stop: i64) -> Vec<Rc<Segment>> {
        let st = self.state.borrow();
        let mut v: Vec<Rc<Segment>> = st
            .segments
            .iter()
            .filter(|s| {
                s.meta.bucket == bucket.0 && s.meta.min_time < stop && s.meta.max_time >= start
            })
            .cloned()
            .collect();
        v.sort_by_key(|s| (s.meta.gen, s.meta.file));
        v
    }

    /// Every live segment.
    pub fn all_segments(&self) -> Vec<Rc<Segment>> {
        self.state.borrow().segments.clone()
    }

    /// Counters.
    pub fn stats(&self) -> StoreStats {
        let st = self.state.borrow();
        let cache = self.cache.borrow();
        StoreStats {
            segments: st.segments.len(),
            bytes: st.segments.iter().map(|s| s.meta.bytes).sum(),
            points: st.segments.iter().map(|s| s.meta.points).sum(),
            corrupt_blocks: self.corrupt.get(),
            cache_hits: cache.hits,
            cache_misses: cache.misses,
            tombstones: st.manifest.tombstones.len(),
        }
    }

    /// Reads and decodes one block, through the cache when `cached` (queries; compaction
    /// reads around it so it does not evict hot blocks). A block failing its CRC is logged,
    /// counted and returned as an error, never as data.
    pub async fn read_block(
        &self,
        seg: &Segment,
        block: &BlockRef,
        cached: bool,
    ) -> Result<Rc<Block>> {
        let key = (seg.meta.file, block.offset);
        if cached {
            if let Some(b) = self.cache.borrow_mut().get(key) {
                return Ok(b);
            }
        }
        let path = || self.dir.join(segment_file_name(seg.meta.file));
        let bytes = fileio::read_exact_at(&seg.file, block.offset, block.len as usize)
            .await
            .map_err(|e| Error::internal(format!("reading {}: {e}", path().display())))?;
        match segment_file::decode_block(&bytes, block) {
            Ok((times, values)) => {
                let b = Rc::new(Block { times, values });
                if cached {
                    self.cache.borrow_mut().insert(key, b.clone());
                }
                Ok(b)
            }
            Err(e) => {
                self.corrupt.set(self.corrupt.get() + 1);
                tracing::error!(shard = self.shard, file = %path().display(), offset = block.offset, error = %e, "corrupt block in segment file");
                Err(Error::internal(format!(
                    "corrupt data in {} at offset {}: {e}",
                    path().display(),
                    block.offset
                )))
            }
        }
    }

    /// Starts a new segment file for `bucket`'s partition starting at `partition`.
    pub async fn create_segment(
        &self,
        bucket: BucketId,
        partition: i64,
        duration: i64,
        gen: u64,
    ) -> Result<SegmentSink> {
        let file_no = self.alloc_file();
        let path = self.dir.join(segment_file_name(file_no));
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .dma_open(&path)
            .await
            .map_err(|e| Error::internal(format!("creating {}: {e}", path.display())))?;
        Ok(SegmentSink {
            writer: SegmentWriter::new(bucket, self.shard),
            file,
            path,
            pos: 0,
            synced: 0,
            pending: Vec::new(),
            throttle: None,
            meta: SegmentMeta {
                file: file_no,
                bucket: bucket.0,
                partition,
                duration,
                gen,
                min_time: i64::MAX,
                max_time: i64::MIN,
                bytes: 0,
                points: 0,
                tomb_seq: 0,
            },
        })
    }

    /// Publishes a change: adds `added`, removes the segments whose file numbers are in
    /// `removed`, optionally advances the first live WAL sequence and drops tombstones no
    /// longer needed; writes the manifest durably, then deletes the removed files.
    pub async fn install(
        &self,
        added: Vec<Segment>,
        removed: &[u64],
        wal_min_seq: Option<u64>,
    ) -> Result<()> {
        let bytes = {
            let mut st = self.state.borrow_mut();
            let st = &mut *st;
            st.segments.retain(|s| !removed.contains(&s.meta.file));
            for s in added {
                st.segments.push(Rc::new(s));
            }
            st.manifest.segments = st.segments.iter().map(|s| s.meta.clone()).collect();
            if let Some(seq) = wal_min_seq {
                st.manifest.wal_min_seq = st.manifest.wal_min_seq.max(seq);
            }
            // A tombstone is needed while some segment of its bucket is older than it.
            let segs = &st.segments;
            st.manifest.tombstones.retain(|t| {
                segs.iter().any(|s| {
                    t.applies_to_source(BucketId(s.meta.bucket), s.meta.gen, s.meta.tomb_seq)
                })
            });
            st.manifest.shard = self.shard;
            st.manifest.format = 1;
            serde_json::to_vec(&st.manifest).map_err(|e| Error::internal(e.to_string()))?
        };
        fileio::replace_file(&self.dir, MANIFEST_FILE, &bytes).await?;
        for f in removed {
            self.cache.borrow_mut().forget_file(*f);
            let path = self.dir.join(segment_file_name(*f));
            if let Err(e) = glommio::io::remove(&path).await {
                tracing::warn!(file = %path.display(), error = %e, "removing a dropped segment");
            }
        }
        if !removed.is_empty() {
            fileio::sync_dir(&self.dir).await?;
        }
        Ok(())
    }

    /// Persists the manifest as it is (after tombstones were added).
    pub async fn persist(&self) -> Result<()> {
        self.install(Vec::new(), &[], None).await
    }
}

async fn open_segment(dir: &Path, meta: SegmentMeta) -> Result<Segment> {
    let path = dir.join(segment_file_name(meta.file));
    let ctx =
        |e: &dyn std::fmt::Display| Error::internal(format!("segment {}: {e}", path.display()));
    let file = DmaFile::open(&path).await.map_err(|e| ctx(&e))?;
    let size = file.file_size().await.map_err(|e| ctx(&e))?;
    if size < FOOTER_LEN as u64 {
        return Err(ctx(&"file is shorter than a footer"));
    }
    let tail = fileio::read_exact_at(&file, size - FOOTER_LEN as u64, FOOTER_LEN)
        .await
        .map_err(|e| ctx(&e))?;
    let footer = segment_file::Footer::parse(&tail).map_err(|e| ctx(&e))?;
    if footer.file_len() != size {
        return Err(ctx(&format!(
            "footer says {} bytes, file has {size}",
            footer.file_len()
        )));
    }
    let index_and_footer = fileio::read_exact_at(
        &file,
        footer.index_offset,
        (size - footer.index_offset) as usize,
    )
    .await
    .map_err(|e| ctx(&e))?;
    let index = SegmentIndex::parse(&index_and_footer).map_err(|e| ctx(&e))?;
    Ok(Segment { meta, index, file })
}

/// A segment file being written: columns go through a [`SegmentWriter`] whose bytes are
/// spilled to the file in ~1 MiB direct-I/O writes, so memory stays bounded.
#[derive(Debug)]
pub struct SegmentSink {
    writer: SegmentWriter,
    file: DmaFile,
    path: PathBuf,
    pos: u64,
    synced: u64,
    pending: Vec<u8>,
    meta: SegmentMeta,
    /// Write-rate cap in bytes/s (compaction), with the start of the throttled stretch.
    throttle: Option<(u64, std::time::Instant)>,
}

impl SegmentSink {
    /// Caps the rate at which this file is written (bytes per second), like influxd's
    /// `storage-compact-throughput-burst`: a background writer must not saturate the disk
    /// that WAL syncs wait on.
    pub fn set_throughput(&mut self, bytes_per_s: u64) {
        if bytes_per_s > 0 {
            self.throttle = Some((bytes_per_s, std::time::Instant::now()));
        }
    }

    /// Adds one column (same rules as [`SegmentWriter::add_column`]); call
    /// [`maybe_spill`](Self::maybe_spill) afterwards to keep the buffer bounded.
    pub fn add_column_sync(
        &mut self,
        series_key: &[u8],
        field: &[u8],
        times: &[i64],
        values: ColumnValues<'_>,
    ) -> Result<()> {
        self.writer
            .add_column(series_key, field, times, values)
            .map_err(|e| Error::internal(format!("building {}: {e}", self.path.display())))?;
        if let (Some(first), Some(last)) = (times.first(), times.last()) {
            self.meta.min_time = self.meta.min_time.min(*first);
            self.meta.max_time = self.meta.max_time.max(*last);
            self.meta.points += times.len() as u64;
        }
        Ok(())
    }

    /// Writes buffered bytes to the file once there are enough of them.
    pub async fn maybe_spill(&mut self) -> Result<()> {
        if self.writer.buffered_len() >= SPILL_BYTES {
            let data = self.writer.take_data();
            self.pending.extend_from_slice(&data);
            self.spill(false).await?;
        }
        Ok(())
    }

    /// Records that tombstones up to `seq` were applied to the data written here.
    pub fn set_tomb_seq(&mut self, seq: u64) {
        self.meta.tomb_seq = seq;
    }

    /// True if no column was added.
    pub fn is_empty(&self) -> bool {
        self.writer.column_count() == 0
    }

    async fn spill(&mut self, all: bool) -> Result<()> {
        let n = if all {
            self.pending.len()
        } else {
            self.pending.len() / BLOCK * BLOCK
        };
        if n == 0 {
            return Ok(());
        }
        let chunk = self.pending.get(..n).unwrap_or(&[]);
        let written = write_blocks(&self.file, chunk, self.pos)
            .await
            .map_err(|e| Error::internal(format!("writing {}: {e}", self.path.display())))?;
        if all {
            self.pos += n as u64;
            let _ = written;
        } else {
            self.pos += written;
        }
        self.pending.drain(..n);
        if let Some((rate, since)) = self.throttle {
            let due = std::time::Duration::from_secs_f64(self.pos as f64 / rate as f64);
            let spent = since.elapsed();
            if due > spent {
                glommio::timer::sleep(due - spent).await;
            }
        }
        if self.pos - self.synced >= SYNC_EVERY_BYTES {
            self.file
                .fdatasync()
                .await
                .map_err(|e| Error::internal(format!("syncing {}: {e}", self.path.display())))?;
            self.synced = self.pos;
        }
        Ok(())
    }

    /// Completes the file (index, footer, exact length, fdatasync) and returns it opened;
    /// the caller publishes it with [`SegmentStore::install`]. An empty sink deletes its file
    /// and returns `None`.
    pub async fn finish(mut self) -> Result<Option<Segment>> {
        if self.is_empty() {
            let _ = self.file.close().await;
            let _ = glommio::io::remove(&self.path).await;
            return Ok(None);
        }
        let ctx = |p: &Path, e: &dyn std::fmt::Display| {
            Error::internal(format!("writing {}: {e}", p.display()))
        };
        let writer = std::mem::replace(&mut self.writer, SegmentWriter::new(BucketId(0), 0));
        let rest = writer.finish().map_err(|e| ctx(&self.path, &e))?;
        let tail_start = self.pending.len();
        self.pending.extend_from_slice(&rest);
        let index = SegmentIndex::parse(self.pending.get(tail_start..).unwrap_or(&[]))
            .map_err(|e| ctx(&self.path, &e))?;
        self.spill(true).await?;
        let len = self.pos;
        self.file
            .truncate(len)
            .await
            .map_err(|e| ctx(&self.path, &e))?;
        self.file
            .fdatasync()
            .await
            .map_err(|e| ctx(&self.path, &e))?;
        self.meta.bytes = len;
        let _ = self.file.close().await;
        let file = DmaFile::open(&self.path)
            .await
            .map_err(|e| ctx(&self.path, &e))?;
        Ok(Some(Segment {
            meta: self.meta,
            index,
            file,
        }))
    }

    /// Abandons the file (an error happened while building it).
    pub async fn abandon(self) {
        let _ = self.file.close().await;
        let _ = glommio::io::remove(&self.path).await;
    }
}
