//! Byte layout of immutable segment files: pure encode/decode over byte slices, no I/O.
//!
//! A segment holds, for one bucket on one shard, a set of columns (one per series key and
//! field), each split into blocks of at most [`BLOCK_POINTS`] points. Column values are
//! compressed by [`super::encoding`]; this module adds the file framing and an index.
//!
//! The layout is meant for ranged reads: a reader fetches the fixed-size footer
//! ([`FOOTER_LEN`] bytes at the end of the file), then the index it points to, then only the
//! blocks it needs ([`BlockRef::offset`] / [`BlockRef::len`]). Nothing in the data region has
//! to be read to find a series.
//!
//! ## Invariants
//!
//! - Parsing never panics, on any input: files are untrusted bytes. Every declared size is
//!   checked against the bytes actually present before anything is allocated for it.
//! - Any change to the index or the footer is detected at [`SegmentIndex::parse`] (CRC over the
//!   index and the footer's location fields, plus the footer magic). Data blocks carry their
//!   own CRCs (from the codecs) and are checked at [`read_block`].
//! - Columns are stored in strictly increasing (series key, field key) byte order; within a
//!   column, timestamps are strictly increasing (as after `Column::normalize`), so a column's
//!   blocks have disjoint, increasing time ranges.
//! - A block stored without a timestamps block (version 2, evenly spaced times) takes its
//!   timestamps from its index entry, which the index CRC covers; its values block still has
//!   its own CRC.
//! - Version 1 files (written before version 2) still parse and read; only version 2 is
//!   written.
//!
//! ## Format
//!
//! All integers are little-endian. Offsets are absolute file offsets.
//!
//! ```text
//! file   = header  data  index  footer
//! ```
//!
//! Header (24 bytes):
//!
//! | offset | size | field                                     |
//! |-------:|-----:|-------------------------------------------|
//! | 0      | 8    | magic `RFLXSEG\0`                          |
//! | 8      | 2    | format version ([`FORMAT_VERSION`] = 2; 1 is still read) |
//! | 10     | 2    | reserved, 0                               |
//! | 12     | 4    | shard id                                  |
//! | 16     | 8    | bucket id                                 |
//!
//! Data: the blocks, back to back, in index order (column by column, oldest block first).
//! A block is an encoded timestamps block immediately followed by an encoded values block of
//! the column's type (both `tag:u8 · count:u32 · payload · crc:u32`, see
//! [`super::encoding`]), each with the same point count. In version 2 the timestamps block is
//! left out (`ts_len == 0`) when the block's timestamps are evenly spaced: they are then
//! `min_time + i·(max_time − min_time)/(count − 1)` for `i in 0..count` (just `min_time` when
//! `count == 1`), all from the CRC-covered index entry. The writer leaves it out exactly when
//! the timestamps are evenly spaced (regular scrapes and TSBS-style data).
//!
//! Index (`index_len` bytes starting at `index_offset`), version 2:
//!
//! | size | field                                                     |
//! |-----:|-----------------------------------------------------------|
//! | 2    | format version (repeated, so the tail alone is enough)    |
//! | 2    | reserved, 0                                               |
//! | 4    | shard id                                                  |
//! | 8    | bucket id                                                 |
//! | var  | column count (varint)                                     |
//! | …    | columns                                                   |
//!
//! `varint` is unsigned LEB128 (at most 10 bytes) and `zvarint` the varint of
//! `zigzag(v)`, as in [`super::encoding`]. Column:
//!
//! ```text
//! key  field_len:varint  field  field_type:u8  block_count:varint (>= 1)  block × block_count
//! key   = 0x00 key_len:varint series_key  |  0x01 (same series key as the previous column)
//! block = gap:varint  len:varint  ts_len:varint  min_delta:zvarint  span:varint  count:varint
//! ```
//!
//! - A series key is spelled out once for its run of columns (the ten fields of a TSBS series
//!   store it once); `0x01` is invalid for the first column. Every key byte is present in the
//!   index, so parsing cannot allocate more key bytes than the index holds (a shared-prefix
//!   scheme would let a small forged index expand into huge keys).
//! - `offset = previous block's end + gap` (the first block of the file: `HEADER_LEN + gap`);
//!   the writer's gaps are 0. `len` and `ts_len` as in version 1 (`ts_len` 0 or ≥ 9).
//! - `min_time = reference + min_delta` (wrapping), where `reference` is the previous block's
//!   `max_time` within the column, and for a column's first block the previous column's first
//!   `min_time` (0 for the first column); `max_time = min_time + span` (must not overflow).
//!
//! Index, version 1 (still read, no longer written): the same 16 fixed bytes, then
//! `column_count:u32` and per column `key_len:u32 · series key · field_len:u32 · field key ·
//! field_type:u8 (FieldType as u8) · block_count:u32 (≥ 1) · block × block_count`, where block
//! is 36 bytes:
//!
//! | size | field                                                     |
//! |-----:|-----------------------------------------------------------|
//! | 8    | `offset` of the block (its timestamps block)              |
//! | 4    | `len`: total length of timestamps + values blocks         |
//! | 4    | `ts_len`: length of the timestamps block (≥ 9)            |
//! | 8    | `min_time`: first (smallest) timestamp                    |
//! | 8    | `max_time`: last (largest) timestamp                      |
//! | 4    | `count`: points, `1..=BLOCK_POINTS`                       |
//!
//! Checked on parse (both versions): keys at most [`MAX_KEY_LEN`] bytes; columns strictly
//! increasing by (series key, field key); blocks inside `[HEADER_LEN, index_offset)`, in
//! increasing offset order without overlap; values sub-block at least 9 bytes, timestamps
//! sub-block at least 9 bytes or (version 2) absent, in which case `max_time − min_time` is a
//! multiple of `count − 1`; `count` in `1..=BLOCK_POINTS`; `min_time <= max_time`, equal
//! exactly when `count == 1`, and each block's `min_time` greater than the previous block's
//! `max_time`; no bytes after the last column. Declared counts are checked against the bytes
//! left before anything is allocated for them.
//!
//! Footer (24 bytes, the last bytes of the file):
//!
//! | offset | size | field                                                      |
//! |-------:|-----:|------------------------------------------------------------|
//! | 0      | 8    | `index_offset`                                             |
//! | 8      | 4    | `index_len`                                                |
//! | 12     | 4    | CRC-32 (IEEE) of the index bytes, then footer bytes 0..12  |
//! | 16     | 8    | magic `RFLXSEG\0`                                          |
//!
//! Size: see the `size_tsbs_like_*` tests, which print bytes per value for TSBS-shaped
//! segments (100 series × 10 fields × 10 000 points, 10 s timestamps).
//!
//! The index ends where the footer begins, so `file_len = index_offset + index_len + 24`;
//! covering `index_offset`/`index_len` by the CRC makes a damaged footer detectable even
//! when only the file's tail is at hand.

use std::fmt;
use std::sync::Arc;

use super::encoding::{self, EncodingError};
use crate::model::{BucketId, FieldType};

#[cfg(test)]
mod tests;

/// File magic, at the start (header) and at the end (footer).
pub const SEGMENT_MAGIC: &[u8; 8] = b"RFLXSEG\0";
/// Current format version (written). Version 1 files are still read.
pub const FORMAT_VERSION: u16 = 2;
/// The first format version: fixed-width index entries, every block with a timestamps block.
const FORMAT_VERSION_1: u16 = 1;
/// Size of the header.
pub const HEADER_LEN: usize = 24;
/// Size of the footer.
pub const FOOTER_LEN: usize = 24;
/// Most points per block. Large enough that per-block costs (index entry, block framing, the
/// rANS table of integer blocks) stay small next to the values; a query touching one block
/// decodes at most this many points per column.
pub const BLOCK_POINTS: usize = 8192;
/// Longest series key or field key.
pub const MAX_KEY_LEN: usize = 1 << 20;
/// Size of one block entry in the index.
const BLOCK_ENTRY_LEN: usize = 36;
/// Smallest column entry in a version 1 index (empty keys, one block).
const MIN_COLUMN_ENTRY_LEN: usize = 4 + 4 + 1 + 4 + BLOCK_ENTRY_LEN;
/// Smallest block entry in a version 2 index (six one-byte varints).
const MIN_BLOCK_ENTRY_LEN_V2: usize = 6;
/// Smallest column entry in a version 2 index (key flag, field length, type, block count,
/// one block).
const MIN_COLUMN_ENTRY_LEN_V2: usize = 4 + MIN_BLOCK_ENTRY_LEN_V2;
/// Smallest encoded column block (tag, count, crc).
const MIN_CODEC_BLOCK: u32 = 9;

/// Why a segment could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentError {
    /// Fewer bytes than the structure needs.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes available.
        available: u64,
    },
    /// A magic number is wrong.
    BadMagic {
        /// `"header"` or `"footer"`.
        what: &'static str,
        /// The bytes found.
        found: [u8; 8],
    },
    /// A format version this build does not read.
    UnsupportedVersion(u16),
    /// The index CRC does not match.
    IndexChecksum {
        /// CRC stored in the footer.
        expected: u32,
        /// CRC computed over index and footer.
        actual: u32,
    },
    /// The index violates the format.
    MalformedIndex {
        /// Offset inside the index where the problem was found.
        at: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A column was added out of (series key, field key) order, or twice.
    OutOfOrder {
        /// The previous column's series key.
        prev_series: Vec<u8>,
        /// The previous column's field key.
        prev_field: Vec<u8>,
        /// The rejected column's series key.
        series: Vec<u8>,
        /// The rejected column's field key.
        field: Vec<u8>,
    },
    /// Timestamps of a column are not strictly increasing.
    UnsortedTimes {
        /// Index of the first offending point.
        at: usize,
    },
    /// A column's timestamps and values differ in length.
    LengthMismatch {
        /// Number of timestamps.
        times: usize,
        /// Number of values.
        values: usize,
    },
    /// A size exceeds what the format can hold.
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// The size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// A block lies outside the bytes given to [`read_block`].
    BlockOutOfRange {
        /// The block's offset.
        offset: u64,
        /// The block's length.
        len: u32,
        /// Length of the given file bytes.
        file_len: u64,
    },
    /// A column block failed to decode (including CRC mismatch).
    Block {
        /// File offset of the failing codec block.
        offset: u64,
        /// The codec error.
        source: EncodingError,
    },
    /// A decoded block disagrees with its index entry.
    BlockMismatch {
        /// The block's file offset.
        offset: u64,
        /// What disagrees.
        what: &'static str,
        /// Value from the index.
        expected: i64,
        /// Value from the data.
        actual: i64,
    },
}

impl fmt::Display for SegmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentError::Truncated {
                what,
                needed,
                available,
            } => write!(
                f,
                "segment truncated: {what} needs {needed} bytes, {available} available"
            ),
            SegmentError::BadMagic { what, found } => {
                write!(f, "segment {what} magic is {found:02x?}, not RFLXSEG\\0")
            }
            SegmentError::UnsupportedVersion(v) => {
                write!(f, "unsupported segment format version {v}")
            }
            SegmentError::IndexChecksum { expected, actual } => write!(
                f,
                "segment index checksum mismatch: stored {expected:#010x}, computed {actual:#010x}"
            ),
            SegmentError::MalformedIndex { at, reason } => {
                write!(f, "malformed segment index at byte {at}: {reason}")
            }
            SegmentError::OutOfOrder {
                prev_series,
                prev_field,
                series,
                field,
            } => write!(
                f,
                "segment column ({:?}, {:?}) added after ({:?}, {:?}); columns must be strictly \
                 increasing by (series key, field key)",
                String::from_utf8_lossy(series),
                String::from_utf8_lossy(field),
                String::from_utf8_lossy(prev_series),
                String::from_utf8_lossy(prev_field),
            ),
            SegmentError::UnsortedTimes { at } => write!(
                f,
                "segment column timestamps not strictly increasing at point {at}"
            ),
            SegmentError::LengthMismatch { times, values } => write!(
                f,
                "segment column has {times} timestamps but {values} values"
            ),
            SegmentError::TooLarge { what, size, limit } => {
                write!(f, "segment {what} {size} exceeds the limit of {limit}")
            }
            SegmentError::BlockOutOfRange {
                offset,
                len,
                file_len,
            } => write!(
                f,
                "segment block at {offset} (+{len} bytes) lies outside the {file_len} bytes given"
            ),
            SegmentError::Block { offset, source } => {
                write!(f, "segment block at file offset {offset}: {source}")
            }
            SegmentError::BlockMismatch {
                offset,
                what,
                expected,
                actual,
            } => write!(
                f,
                "segment block at {offset}: {what} is {actual}, the index says {expected}"
            ),
        }
    }
}

impl std::error::Error for SegmentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SegmentError::Block { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Borrowed values of one column, by type.
#[derive(Debug, Clone, Copy)]
pub enum ColumnValues<'a> {
    /// Floats.
    Float(&'a [f64]),
    /// Signed integers.
    Integer(&'a [i64]),
    /// Unsigned integers.
    UInteger(&'a [u64]),
    /// Booleans.
    Boolean(&'a [bool]),
    /// Strings (raw bytes).
    String(&'a [&'a [u8]]),
}

impl ColumnValues<'_> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Float(v) => v.len(),
            ColumnValues::Integer(v) => v.len(),
            ColumnValues::UInteger(v) => v.len(),
            ColumnValues::Boolean(v) => v.len(),
            ColumnValues::String(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The storage type.
    pub fn field_type(&self) -> FieldType {
        match self {
            ColumnValues::Float(_) => FieldType::Float,
            ColumnValues::Integer(_) => FieldType::Integer,
            ColumnValues::UInteger(_) => FieldType::UInteger,
            ColumnValues::Boolean(_) => FieldType::Boolean,
            ColumnValues::String(_) => FieldType::String,
        }
    }

    /// Encodes values `range` as one codec block appended to `out`.
    fn encode_range(
        &self,
        range: std::ops::Range<usize>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodingError> {
        // Ranges come from chunking `0..len()`, so `get` always succeeds; an empty slice
        // would only produce a short block that the index check then rejects.
        match self {
            ColumnValues::Float(v) => encoding::encode_floats(v.get(range).unwrap_or(&[]), out),
            ColumnValues::Integer(v) => encoding::encode_integers(v.get(range).unwrap_or(&[]), out),
            ColumnValues::UInteger(v) => {
                encoding::encode_unsigned(v.get(range).unwrap_or(&[]), out)
            }
            ColumnValues::Boolean(v) => encoding::encode_bools(v.get(range).unwrap_or(&[]), out),
            ColumnValues::String(v) => encoding::encode_strings(v.get(range).unwrap_or(&[]), out),
        }
    }
}

/// Owned values decoded from one block.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodedValues {
    /// Floats.
    Float(Vec<f64>),
    /// Signed integers.
    Integer(Vec<i64>),
    /// Unsigned integers.
    UInteger(Vec<u64>),
    /// Booleans.
    Boolean(Vec<bool>),
    /// Strings (raw bytes).
    String(Vec<Vec<u8>>),
}

impl DecodedValues {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            DecodedValues::Float(v) => v.len(),
            DecodedValues::Integer(v) => v.len(),
            DecodedValues::UInteger(v) => v.len(),
            DecodedValues::Boolean(v) => v.len(),
            DecodedValues::String(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where one block lives and what it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    /// File offset of the block (its timestamps block).
    pub offset: u64,
    /// Total length (timestamps + values blocks).
    pub len: u32,
    /// Length of the timestamps block; the values block follows it.
    pub ts_len: u32,
    /// Smallest (first) timestamp.
    pub min_time: i64,
    /// Largest (last) timestamp.
    pub max_time: i64,
    /// Number of points.
    pub count: u32,
    /// The column's value type.
    pub field_type: FieldType,
}

impl BlockRef {
    /// End offset (exclusive) of the block.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(u64::from(self.len))
    }
}

/// One column's index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnEntry {
    /// Shared by the consecutive columns (fields) of one series.
    series_key: Arc<[u8]>,
    field: Box<[u8]>,
    field_type: FieldType,
    blocks: Vec<BlockRef>,
}

impl ColumnEntry {
    /// Canonical series key.
    pub fn series_key(&self) -> &[u8] {
        &self.series_key
    }

    /// Field key.
    pub fn field(&self) -> &[u8] {
        &self.field
    }

    /// Value type.
    pub fn field_type(&self) -> FieldType {
        self.field_type
    }

    /// All blocks, oldest first (at least one).
    pub fn blocks(&self) -> &[BlockRef] {
        &self.blocks
    }

    /// Total points in the column.
    pub fn point_count(&self) -> u64 {
        self.blocks.iter().map(|b| u64::from(b.count)).sum()
    }

    /// Smallest timestamp of the column.
    pub fn min_time(&self) -> Option<i64> {
        self.blocks.first().map(|b| b.min_time)
    }

    /// Largest timestamp of the column.
    pub fn max_time(&self) -> Option<i64> {
        self.blocks.last().map(|b| b.max_time)
    }

    /// The blocks holding any point in `[start, stop)` (Flux `range` semantics), oldest
    /// first. Blocks have disjoint increasing time ranges, so this is two binary searches.
    pub fn blocks_overlapping(&self, start: i64, stop: i64) -> &[BlockRef] {
        if start >= stop {
            return &[];
        }
        let first = self.blocks.partition_point(|b| b.max_time < start);
        let end = self.blocks.partition_point(|b| b.min_time < stop);
        self.blocks.get(first..end.max(first)).unwrap_or(&[])
    }
}

/// Builds a segment file in memory.
#[derive(Debug)]
pub struct SegmentWriter {
    bucket: BucketId,
    shard: u32,
    /// File offset of `data[0]`: bytes before it were handed out by [`take_data`](Self::take_data).
    base: u64,
    data: Vec<u8>,
    columns: Vec<ColumnEntry>,
}

impl SegmentWriter {
    /// Starts a segment for `bucket` on `shard`.
    pub fn new(bucket: BucketId, shard: u32) -> SegmentWriter {
        let mut data = Vec::with_capacity(64 * 1024);
        data.extend_from_slice(SEGMENT_MAGIC);
        data.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        data.extend_from_slice(&0u16.to_le_bytes());
        data.extend_from_slice(&shard.to_le_bytes());
        data.extend_from_slice(&bucket.0.to_le_bytes());
        SegmentWriter {
            bucket,
            shard,
            base: 0,
            data,
            columns: Vec::new(),
        }
    }

    /// Bytes of data written so far (header included), taken or not.
    pub fn data_len(&self) -> usize {
        self.base as usize + self.data.len()
    }

    /// Bytes buffered since the last [`take_data`](Self::take_data).
    pub fn buffered_len(&self) -> usize {
        self.data.len()
    }

    /// Hands out the file bytes produced so far (to be written at the file's current end) so
    /// that memory stays bounded while a large segment is built; [`finish`](Self::finish) then
    /// returns only the rest of the file.
    pub fn take_data(&mut self) -> Vec<u8> {
        self.base += self.data.len() as u64;
        std::mem::take(&mut self.data)
    }

    /// Number of columns added.
    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    /// Appends one column. Columns must come in strictly increasing (series key, field key)
    /// order and timestamps must be strictly increasing. An empty column stores nothing and is
    /// not recorded (it must still sort after the last stored column). On error the writer
    /// is unchanged.
    pub fn add_column(
        &mut self,
        series_key: &[u8],
        field: &[u8],
        times: &[i64],
        values: ColumnValues<'_>,
    ) -> Result<(), SegmentError> {
        if times.len() != values.len() {
            return Err(SegmentError::LengthMismatch {
                times: times.len(),
                values: values.len(),
            });
        }
        for (what, key) in [
            ("series key length", series_key),
            ("field key length", field),
        ] {
            if key.len() > MAX_KEY_LEN {
                return Err(SegmentError::TooLarge {
                    what,
                    size: key.len() as u64,
                    limit: MAX_KEY_LEN as u64,
                });
            }
        }
        if let Some(prev) = self.columns.last() {
            if (&*prev.series_key, &*prev.field) >= (series_key, field) {
                return Err(SegmentError::OutOfOrder {
                    prev_series: prev.series_key.to_vec(),
                    prev_field: prev.field.to_vec(),
                    series: series_key.to_vec(),
                    field: field.to_vec(),
                });
            }
        }
        if let Some(at) = times.windows(2).position(|w| w[0] >= w[1]) {
            return Err(SegmentError::UnsortedTimes { at: at + 1 });
        }
        if times.is_empty() {
            return Ok(());
        }
        let rollback = self.data.len();
        let result = self.write_blocks(times, values);
        match result {
            Ok(blocks) => {
                let series_key = match self.columns.last() {
                    Some(prev) if *prev.series_key == *series_key => prev.series_key.clone(),
                    _ => series_key.into(),
                };
                self.columns.push(ColumnEntry {
                    series_key,
                    field: field.into(),
                    field_type: values.field_type(),
                    blocks,
                });
                Ok(())
            }
            Err(e) => {
                self.data.truncate(rollback);
                Err(e)
            }
        }
    }

    fn write_blocks(
        &mut self,
        times: &[i64],
        values: ColumnValues<'_>,
    ) -> Result<Vec<BlockRef>, SegmentError> {
        let mut blocks = Vec::with_capacity(times.len().div_ceil(BLOCK_POINTS));
        for (i, chunk) in times.chunks(BLOCK_POINTS).enumerate() {
            let (Some(&min_time), Some(&max_time)) = (chunk.first(), chunk.last()) else {
                continue;
            };
            let start = i * BLOCK_POINTS;
            let offset = self.data.len();
            let file_offset = self.base + offset as u64;
            let codec = |e| SegmentError::Block {
                offset: file_offset,
                source: e,
            };
            // Evenly spaced timestamps follow from the index entry (min, max, count): no
            // timestamps block.
            if !is_regular(chunk) {
                encoding::encode_timestamps(chunk, &mut self.data).map_err(codec)?;
            }
            let ts_len = self.data.len() - offset;
            values
                .encode_range(start..start + chunk.len(), &mut self.data)
                .map_err(codec)?;
            let len = self.data.len() - offset;
            let len = u32::try_from(len).map_err(|_| SegmentError::TooLarge {
                what: "block length",
                size: len as u64,
                limit: u64::from(u32::MAX),
            })?;
            blocks.push(BlockRef {
                offset: file_offset,
                len,
                // ts_len <= len, which fits.
                ts_len: ts_len as u32,
                min_time,
                max_time,
                count: chunk.len() as u32,
                field_type: values.field_type(),
            });
        }
        Ok(blocks)
    }

    /// Appends index and footer and returns the rest of the file: the complete file when
    /// [`take_data`](Self::take_data) was never called, else the bytes after the last take
    /// (which always end with the whole index and footer, so [`SegmentIndex::parse`] accepts
    /// them).
    pub fn finish(self) -> Result<Vec<u8>, SegmentError> {
        let SegmentWriter {
            bucket,
            shard,
            base,
            mut data,
            columns,
        } = self;
        let index_start = data.len();
        let index_offset = base + index_start as u64;
        data.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        data.extend_from_slice(&0u16.to_le_bytes());
        data.extend_from_slice(&shard.to_le_bytes());
        data.extend_from_slice(&bucket.0.to_le_bytes());
        write_index_v2(&columns, &mut data);
        let index_len = (data.len() - index_start) as u64;
        let index_len = u32::try_from(index_len).map_err(|_| SegmentError::TooLarge {
            what: "index length",
            size: index_len,
            limit: u64::from(u32::MAX),
        })?;
        let footer_start = data.len();
        data.extend_from_slice(&index_offset.to_le_bytes());
        data.extend_from_slice(&index_len.to_le_bytes());
        let crc = data
            .get(index_start..)
            .map(crc32fast::hash)
            .unwrap_or_default();
        data.extend_from_slice(&crc.to_le_bytes());
        data.extend_from_slice(SEGMENT_MAGIC);
        debug_assert_eq!(data.len() - footer_start, FOOTER_LEN);
        Ok(data)
    }
}

/// The decoded footer: where the index is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// File offset of the index.
    pub index_offset: u64,
    /// Index length in bytes.
    pub index_len: u32,
    /// CRC stored in the footer.
    pub crc: u32,
}

impl Footer {
    /// Parses the footer from the last [`FOOTER_LEN`] bytes of `tail` (checks only the
    /// magic; the CRC is checked by [`SegmentIndex::parse`]). A reader then fetches
    /// `index_offset .. index_offset + index_len + FOOTER_LEN`.
    pub fn parse(tail: &[u8]) -> Result<Footer, SegmentError> {
        let start = tail
            .len()
            .checked_sub(FOOTER_LEN)
            .ok_or(SegmentError::Truncated {
                what: "footer",
                needed: FOOTER_LEN as u64,
                available: tail.len() as u64,
            })?;
        let footer = tail.get(start..).unwrap_or(&[]);
        let mut r = Reader::new(footer);
        let index_offset = r.u64()?;
        let index_len = r.u32()?;
        let crc = r.u32()?;
        let magic = r.array::<8>()?;
        if &magic != SEGMENT_MAGIC {
            return Err(SegmentError::BadMagic {
                what: "footer",
                found: magic,
            });
        }
        Ok(Footer {
            index_offset,
            index_len,
            crc,
        })
    }

    /// Total file length implied by the footer.
    pub fn file_len(&self) -> u64 {
        self.index_offset
            .saturating_add(u64::from(self.index_len))
            .saturating_add(FOOTER_LEN as u64)
    }
}

/// The header's identification fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Format version.
    pub version: u16,
    /// Shard id.
    pub shard: u32,
    /// Bucket id.
    pub bucket: BucketId,
}

impl SegmentHeader {
    /// Parses the first [`HEADER_LEN`] bytes of a file (magic and version are checked).
    pub fn parse(head: &[u8]) -> Result<SegmentHeader, SegmentError> {
        let mut r = Reader::new(head);
        let magic = r.array::<8>().map_err(|_| SegmentError::Truncated {
            what: "header",
            needed: HEADER_LEN as u64,
            available: head.len() as u64,
        })?;
        if &magic != SEGMENT_MAGIC {
            return Err(SegmentError::BadMagic {
                what: "header",
                found: magic,
            });
        }
        let fields = (|| Ok::<_, SegmentError>((r.u16()?, r.u16()?, r.u32()?, r.u64()?)))();
        let (version, _reserved, shard, bucket) = fields.map_err(|_| SegmentError::Truncated {
            what: "header",
            needed: HEADER_LEN as u64,
            available: head.len() as u64,
        })?;
        if version != FORMAT_VERSION && version != FORMAT_VERSION_1 {
            return Err(SegmentError::UnsupportedVersion(version));
        }
        Ok(SegmentHeader {
            version,
            shard,
            bucket: BucketId(bucket),
        })
    }
}

/// A parsed, verified segment index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentIndex {
    shard: u32,
    bucket: BucketId,
    footer: Footer,
    columns: Vec<ColumnEntry>,
}

impl SegmentIndex {
    /// Parses the index from the whole file or any suffix of it that holds the index and
    /// the footer. Verifies the footer magic, the CRC, and every structural rule of the
    /// index (see the module doc).
    pub fn parse(file_tail_or_whole: &[u8]) -> Result<SegmentIndex, SegmentError> {
        let footer = Footer::parse(file_tail_or_whole)?;
        let tail = file_tail_or_whole;
        let footer_start = tail.len() - FOOTER_LEN; // Footer::parse checked the length.
        let index_len = footer.index_len as usize;
        let index_start = footer_start
            .checked_sub(index_len)
            .ok_or(SegmentError::Truncated {
                what: "index",
                needed: u64::from(footer.index_len) + FOOTER_LEN as u64,
                available: tail.len() as u64,
            })?;
        let covered = tail
            .get(index_start..footer_start + 12)
            .ok_or(SegmentError::Truncated {
                what: "index",
                needed: u64::from(footer.index_len) + FOOTER_LEN as u64,
                available: tail.len() as u64,
            })?;
        let actual = crc32fast::hash(covered);
        if actual != footer.crc {
            return Err(SegmentError::IndexChecksum {
                expected: footer.crc,
                actual,
            });
        }
        if footer.index_offset < HEADER_LEN as u64 {
            return Err(SegmentError::MalformedIndex {
                at: 0,
                reason: "index offset lies inside the header",
            });
        }
        let index = tail.get(index_start..footer_start).unwrap_or(&[]);
        parse_index(index, footer)
    }

    /// Shard id.
    pub fn shard(&self) -> u32 {
        self.shard
    }

    /// Bucket id.
    pub fn bucket(&self) -> BucketId {
        self.bucket
    }

    /// The footer.
    pub fn footer(&self) -> Footer {
        self.footer
    }

    /// Columns in (series key, field key) order.
    pub fn columns(&self) -> impl ExactSizeIterator<Item = &ColumnEntry> + '_ {
        self.columns.iter()
    }

    /// The column of `series_key` and `field`, by binary search.
    pub fn column(&self, series_key: &[u8], field: &[u8]) -> Option<&ColumnEntry> {
        self.columns
            .binary_search_by(|c| (&*c.series_key, &*c.field).cmp(&(series_key, field)))
            .ok()
            .and_then(|i| self.columns.get(i))
    }

    /// All columns (fields) of `series_key`, in field order.
    pub fn series(&self, series_key: &[u8]) -> &[ColumnEntry] {
        let start = self
            .columns
            .partition_point(|c| &*c.series_key < series_key);
        let end = self
            .columns
            .partition_point(|c| &*c.series_key <= series_key);
        self.columns.get(start..end.max(start)).unwrap_or(&[])
    }
}

fn parse_index(index: &[u8], footer: Footer) -> Result<SegmentIndex, SegmentError> {
    let mut r = Reader::new(index);
    let version = r.u16()?;
    let _reserved = r.u16()?;
    let shard = r.u32()?;
    let bucket = BucketId(r.u64()?);
    let columns = match version {
        FORMAT_VERSION => parse_columns_v2(&mut r, footer)?,
        FORMAT_VERSION_1 => parse_columns_v1(&mut r, footer)?,
        v => return Err(SegmentError::UnsupportedVersion(v)),
    };
    if r.remaining() != 0 {
        return Err(r.malformed("bytes after the last column"));
    }
    Ok(SegmentIndex {
        shard,
        bucket,
        footer,
        columns,
    })
}

/// Writes the version 2 column list (see the module doc).
fn write_index_v2(columns: &[ColumnEntry], out: &mut Vec<u8>) {
    let put = encoding::write_varint;
    put(columns.len() as u64, out);
    let mut prev_key: Option<&[u8]> = None;
    let mut prev_end = HEADER_LEN as u64;
    let mut prev_first = 0i64;
    for c in columns {
        if prev_key == Some(&c.series_key[..]) {
            out.push(1);
        } else {
            out.push(0);
            put(c.series_key.len() as u64, out);
            out.extend_from_slice(&c.series_key);
        }
        put(c.field.len() as u64, out);
        out.extend_from_slice(&c.field);
        out.push(c.field_type as u8);
        put(c.blocks.len() as u64, out);
        let mut reference = prev_first;
        for b in &c.blocks {
            put(b.offset - prev_end, out);
            put(u64::from(b.len), out);
            put(u64::from(b.ts_len), out);
            put(encoding::zigzag(b.min_time.wrapping_sub(reference)), out);
            put(b.max_time.wrapping_sub(b.min_time) as u64, out);
            put(u64::from(b.count), out);
            reference = b.max_time;
            prev_end = b.end();
        }
        prev_first = c.blocks.first().map_or(prev_first, |b| b.min_time);
        prev_key = Some(&c.series_key);
    }
}

/// Whether `times` (non-empty, strictly increasing) are `first + i·step`, so that the index
/// entry alone (min, max, count) reproduces them.
fn is_regular(times: &[i64]) -> bool {
    match times {
        [] => false,
        [_] => true,
        [a, b, ..] => {
            let step = b.wrapping_sub(*a);
            times
                .windows(2)
                .all(|w| matches!(w, [x, y] if y.wrapping_sub(*x) == step))
        }
    }
}

/// The timestamps of a block without a timestamps block: `count` values evenly spaced from
/// `min_time` to `max_time`.
fn implicit_times(block: &BlockRef) -> Result<Vec<i64>, SegmentError> {
    let bad = SegmentError::MalformedIndex {
        at: 0,
        reason: "block entry cannot describe evenly spaced timestamps",
    };
    let count = block.count as usize;
    if count == 0 || count > BLOCK_POINTS || block.min_time > block.max_time {
        return Err(bad);
    }
    let span = block.max_time.wrapping_sub(block.min_time) as u64;
    let steps = (count - 1) as u64;
    let step = match steps {
        0 if span == 0 => 0,
        0 => return Err(bad),
        n if span % n == 0 => span / n,
        _ => return Err(bad),
    };
    // min + i·step stays within [min, max], so the wrapping arithmetic is exact.
    Ok((0..count as u64)
        .map(|i| block.min_time.wrapping_add(step.wrapping_mul(i) as i64))
        .collect())
}

/// Checks one parsed block entry against the rules of the module doc; `implicit_ts` allows
/// `ts_len == 0` (version 2).
fn check_block(
    r: &Reader<'_>,
    b: &BlockRef,
    prev_end: u64,
    prev_max: Option<i64>,
    footer: Footer,
    implicit_ts: bool,
) -> Result<(), SegmentError> {
    if b.offset < prev_end {
        return Err(r.malformed("block overlaps the header or a previous block"));
    }
    if b.end() > footer.index_offset {
        return Err(r.malformed("block extends into the index"));
    }
    let ts_ok = b.ts_len >= MIN_CODEC_BLOCK || (implicit_ts && b.ts_len == 0);
    if !ts_ok || b.len.saturating_sub(b.ts_len) < MIN_CODEC_BLOCK || b.len < b.ts_len {
        return Err(r.malformed("block lengths too small"));
    }
    if b.count == 0 || b.count as usize > BLOCK_POINTS {
        return Err(r.malformed("block point count out of range"));
    }
    if b.min_time > b.max_time || (b.count == 1) != (b.min_time == b.max_time) {
        return Err(r.malformed("block time range inconsistent"));
    }
    if b.ts_len == 0 && b.count > 1 {
        let span = b.max_time.wrapping_sub(b.min_time) as u64;
        if span % u64::from(b.count - 1) != 0 {
            return Err(r.malformed("implicit timestamps not evenly spaced"));
        }
    }
    if prev_max.is_some_and(|m| m >= b.min_time) {
        return Err(r.malformed("block time ranges not increasing"));
    }
    Ok(())
}

fn parse_columns_v2(r: &mut Reader<'_>, footer: Footer) -> Result<Vec<ColumnEntry>, SegmentError> {
    let column_count = r.varint_usize()?;
    if column_count > r.remaining() / MIN_COLUMN_ENTRY_LEN_V2 {
        return Err(r.malformed("column count exceeds the index size"));
    }
    let mut columns: Vec<ColumnEntry> = Vec::with_capacity(column_count);
    let mut prev_end = HEADER_LEN as u64;
    let mut prev_first = 0i64;
    for _ in 0..column_count {
        // Every key byte is in the index (a repeated key is shared, not copied), so keys
        // cannot make the parser allocate more than the index holds.
        let series_key: Arc<[u8]> = match (r.u8()?, columns.last()) {
            (1, Some(prev)) => prev.series_key.clone(),
            (1, None) => return Err(r.malformed("first column repeats a series key")),
            (0, _) => {
                let len = r.varint_usize()?;
                if len > MAX_KEY_LEN {
                    return Err(r.malformed("key longer than MAX_KEY_LEN"));
                }
                r.bytes(len)?.into()
            }
            _ => return Err(r.malformed("series key flag is neither 0 nor 1")),
        };
        let field_len = r.varint_usize()?;
        if field_len > MAX_KEY_LEN {
            return Err(r.malformed("key longer than MAX_KEY_LEN"));
        }
        let field = r.bytes(field_len)?;
        let at = r.pos;
        let field_type = FieldType::from_u8(r.u8()?).ok_or(SegmentError::MalformedIndex {
            at: at as u64,
            reason: "unknown field type",
        })?;
        if let Some(prev) = columns.last() {
            if (&*prev.series_key, &*prev.field) >= (&*series_key, field) {
                return Err(r.malformed("columns not in strictly increasing key order"));
            }
        }
        let block_count = r.varint_usize()?;
        if block_count == 0 {
            return Err(r.malformed("column without blocks"));
        }
        if block_count > r.remaining() / MIN_BLOCK_ENTRY_LEN_V2 {
            return Err(r.malformed("block count exceeds the index size"));
        }
        let mut blocks = Vec::with_capacity(block_count);
        let mut prev_max: Option<i64> = None;
        let mut reference = prev_first;
        for _ in 0..block_count {
            let offset = prev_end
                .checked_add(r.varint()?)
                .ok_or(r.malformed("block offset overflows"))?;
            let len = r.varint_u32()?;
            let ts_len = r.varint_u32()?;
            let min_time = reference.wrapping_add(encoding::unzigzag(r.varint()?));
            let span = r.varint()?;
            let max_time = i64::try_from(i128::from(min_time) + i128::from(span))
                .map_err(|_| r.malformed("block time range exceeds i64"))?;
            let count = r.varint_u32()?;
            let b = BlockRef {
                offset,
                len,
                ts_len,
                min_time,
                max_time,
                count,
                field_type,
            };
            check_block(r, &b, prev_end, prev_max, footer, true)?;
            prev_max = Some(b.max_time);
            prev_end = b.end();
            reference = b.max_time;
            blocks.push(b);
        }
        prev_first = blocks.first().map_or(prev_first, |b| b.min_time);
        columns.push(ColumnEntry {
            series_key,
            field: field.into(),
            field_type,
            blocks,
        });
    }
    Ok(columns)
}

fn parse_columns_v1(r: &mut Reader<'_>, footer: Footer) -> Result<Vec<ColumnEntry>, SegmentError> {
    let column_count = r.u32()? as usize;
    if column_count > r.remaining() / MIN_COLUMN_ENTRY_LEN {
        return Err(r.malformed("column count exceeds the index size"));
    }
    let mut columns: Vec<ColumnEntry> = Vec::with_capacity(column_count);
    let mut prev_end = HEADER_LEN as u64;
    for _ in 0..column_count {
        let series_key = r.key()?;
        let field = r.key()?;
        let at = r.pos;
        let field_type = FieldType::from_u8(r.u8()?).ok_or(SegmentError::MalformedIndex {
            at: at as u64,
            reason: "unknown field type",
        })?;
        if let Some(prev) = columns.last() {
            if (&*prev.series_key, &*prev.field) >= (series_key, field) {
                return Err(r.malformed("columns not in strictly increasing key order"));
            }
        }
        let block_count = r.u32()? as usize;
        if block_count == 0 {
            return Err(r.malformed("column without blocks"));
        }
        if block_count > r.remaining() / BLOCK_ENTRY_LEN {
            return Err(r.malformed("block count exceeds the index size"));
        }
        let mut blocks = Vec::with_capacity(block_count);
        let mut prev_max: Option<i64> = None;
        for _ in 0..block_count {
            let b = BlockRef {
                offset: r.u64()?,
                len: r.u32()?,
                ts_len: r.u32()?,
                min_time: r.i64()?,
                max_time: r.i64()?,
                count: r.u32()?,
                field_type,
            };
            check_block(r, &b, prev_end, prev_max, footer, false)?;
            prev_max = Some(b.max_time);
            prev_end = b.end();
            blocks.push(b);
        }
        columns.push(ColumnEntry {
            series_key: series_key.into(),
            field: field.into(),
            field_type,
            blocks,
        });
    }
    Ok(columns)
}

/// Decodes the block `block` from the whole file's bytes (or any prefix holding it).
pub fn read_block(
    file: &[u8],
    block: &BlockRef,
) -> Result<(Vec<i64>, DecodedValues), SegmentError> {
    let out_of_range = SegmentError::BlockOutOfRange {
        offset: block.offset,
        len: block.len,
        file_len: file.len() as u64,
    };
    let start = usize::try_from(block.offset).map_err(|_| out_of_range.clone())?;
    let bytes = start
        .checked_add(block.len as usize)
        .and_then(|end| file.get(start..end))
        .ok_or(out_of_range)?;
    decode_block(bytes, block)
}

/// Decodes a block from exactly its `block.len` bytes (as fetched by a ranged read).
pub fn decode_block(
    bytes: &[u8],
    block: &BlockRef,
) -> Result<(Vec<i64>, DecodedValues), SegmentError> {
    if bytes.len() != block.len as usize {
        return Err(SegmentError::Truncated {
            what: "block",
            needed: u64::from(block.len),
            available: bytes.len() as u64,
        });
    }
    let ts_len = block.ts_len as usize;
    let (Some(ts_bytes), Some(value_bytes)) = (bytes.get(..ts_len), bytes.get(ts_len..)) else {
        return Err(SegmentError::Truncated {
            what: "block timestamps",
            needed: u64::from(block.ts_len),
            available: bytes.len() as u64,
        });
    };
    let values_offset = block.offset.saturating_add(u64::from(block.ts_len));
    let mismatch = |what, expected: i64, actual: i64| SegmentError::BlockMismatch {
        offset: block.offset,
        what,
        expected,
        actual,
    };
    // Check the declared counts (after the codecs' CRC check) before decoding, so a forged
    // run-length block cannot make the decoder allocate more than BLOCK_POINTS values.
    let implicit = block.ts_len == 0;
    let mut sub_blocks = vec![("value count", value_bytes, values_offset)];
    if !implicit {
        sub_blocks.insert(0, ("timestamp count", ts_bytes, block.offset));
    }
    for (what, bytes, offset) in sub_blocks {
        let declared = encoding::block_value_count(bytes)
            .map_err(|source| SegmentError::Block { offset, source })?;
        if declared != block.count {
            return Err(mismatch(what, i64::from(block.count), i64::from(declared)));
        }
    }
    let times = if implicit {
        implicit_times(block)?
    } else {
        encoding::decode_timestamps(ts_bytes).map_err(|source| SegmentError::Block {
            offset: block.offset,
            source,
        })?
    };
    let vb = |source| SegmentError::Block {
        offset: values_offset,
        source,
    };
    let values = match block.field_type {
        FieldType::Float => DecodedValues::Float(encoding::decode_floats(value_bytes).map_err(vb)?),
        FieldType::Integer => {
            DecodedValues::Integer(encoding::decode_integers(value_bytes).map_err(vb)?)
        }
        FieldType::UInteger => {
            DecodedValues::UInteger(encoding::decode_unsigned(value_bytes).map_err(vb)?)
        }
        FieldType::Boolean => {
            DecodedValues::Boolean(encoding::decode_bools(value_bytes).map_err(vb)?)
        }
        FieldType::String => {
            DecodedValues::String(encoding::decode_strings(value_bytes).map_err(vb)?)
        }
    };
    if times.len() != block.count as usize {
        return Err(mismatch(
            "timestamp count",
            i64::from(block.count),
            times.len() as i64,
        ));
    }
    if values.len() != block.count as usize {
        return Err(mismatch(
            "value count",
            i64::from(block.count),
            values.len() as i64,
        ));
    }
    let first = times.first().copied().unwrap_or(i64::MIN);
    if first != block.min_time {
        return Err(mismatch("first timestamp", block.min_time, first));
    }
    let last = times.last().copied().unwrap_or(i64::MIN);
    if last != block.max_time {
        return Err(mismatch("last timestamp", block.max_time, last));
    }
    Ok((times, values))
}

/// Bounds-checked little-endian reader over the index.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn malformed(&self, reason: &'static str) -> SegmentError {
        SegmentError::MalformedIndex {
            at: self.pos as u64,
            reason,
        }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], SegmentError> {
        let out = self
            .pos
            .checked_add(n)
            .and_then(|end| self.buf.get(self.pos..end))
            .ok_or(SegmentError::MalformedIndex {
                at: self.pos as u64,
                reason: "index ends inside an entry",
            })?;
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SegmentError> {
        let b = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, SegmentError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, SegmentError> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, SegmentError> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, SegmentError> {
        self.array().map(u64::from_le_bytes)
    }

    fn i64(&mut self) -> Result<i64, SegmentError> {
        self.array().map(i64::from_le_bytes)
    }

    /// An unsigned LEB128 varint of at most 10 bytes (as in [`encoding`]).
    fn varint(&mut self) -> Result<u64, SegmentError> {
        let start = self.pos;
        let mut v = 0u64;
        for i in 0..10u32 {
            let byte = self.u8()?;
            if i == 9 && byte > 1 {
                break;
            }
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(SegmentError::MalformedIndex {
            at: start as u64,
            reason: "varint longer than 64 bits",
        })
    }

    fn varint_u32(&mut self) -> Result<u32, SegmentError> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| self.malformed("varint above u32"))
    }

    fn varint_usize(&mut self) -> Result<usize, SegmentError> {
        let v = self.varint()?;
        usize::try_from(v).map_err(|_| self.malformed("varint above usize"))
    }

    /// A `len:u32`-prefixed key of at most [`MAX_KEY_LEN`] bytes.
    fn key(&mut self) -> Result<&'a [u8], SegmentError> {
        let len = self.u32()? as usize;
        if len > MAX_KEY_LEN {
            return Err(self.malformed("key longer than MAX_KEY_LEN"));
        }
        self.bytes(len)
    }
}
