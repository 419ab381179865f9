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
//! | 8      | 2    | format version ([`FORMAT_VERSION`] = 1)    |
//! | 10     | 2    | reserved, 0                               |
//! | 12     | 4    | shard id                                  |
//! | 16     | 8    | bucket id                                 |
//!
//! Data: the blocks, back to back, in index order (column by column, oldest block first).
//! A block is an encoded timestamps block immediately followed by an encoded values block of
//! the column's type (both `tag:u8 · count:u32 · payload · crc:u32`, see
//! [`super::encoding`]), each with the same point count.
//!
//! Index (`index_len` bytes starting at `index_offset`):
//!
//! | size | field                                                     |
//! |-----:|-----------------------------------------------------------|
//! | 2    | format version (repeated, so the tail alone is enough)    |
//! | 2    | reserved, 0                                               |
//! | 4    | shard id                                                  |
//! | 8    | bucket id                                                 |
//! | 4    | column count                                              |
//! | …    | columns                                                   |
//!
//! Column: `key_len:u32 · series key · field_len:u32 · field key · field_type:u8
//! (FieldType as u8) · block_count:u32 (≥ 1) · block × block_count`, where block is 36 bytes:
//!
//! | size | field                                                     |
//! |-----:|-----------------------------------------------------------|
//! | 8    | `offset` of the block (its timestamps block)              |
//! | 4    | `len`: total length of timestamps + values blocks         |
//! | 4    | `ts_len`: length of the timestamps block                  |
//! | 8    | `min_time`: first (smallest) timestamp                    |
//! | 8    | `max_time`: last (largest) timestamp                      |
//! | 4    | `count`: points, `1..=BLOCK_POINTS`                       |
//!
//! Checked on parse: keys at most [`MAX_KEY_LEN`] bytes; columns strictly increasing by
//! (series key, field key); blocks inside `[HEADER_LEN, index_offset)`, in increasing offset
//! order without overlap; both sub-blocks at least 9 bytes; `min_time <= max_time` and each
//! block's `min_time` greater than the previous block's `max_time`; no bytes after the last
//! column.
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
//! Size: TSBS-like float columns (random walk with 2 decimals, 10 s timestamps, 1000-point
//! blocks) cost about 1.23 bytes per value, index included (~0.05 bytes per value for
//! TSBS-length series keys); see the `size_tsbs_like_floats` test.
//!
//! The index ends where the footer begins, so `file_len = index_offset + index_len + 24`;
//! covering `index_offset`/`index_len` by the CRC makes a damaged footer detectable even
//! when only the file's tail is at hand.

use std::fmt;

use super::encoding::{self, EncodingError};
use crate::model::{BucketId, FieldType};

#[cfg(test)]
mod tests;

/// File magic, at the start (header) and at the end (footer).
pub const SEGMENT_MAGIC: &[u8; 8] = b"RFLXSEG\0";
/// Current format version.
pub const FORMAT_VERSION: u16 = 1;
/// Size of the header.
pub const HEADER_LEN: usize = 24;
/// Size of the footer.
pub const FOOTER_LEN: usize = 24;
/// Most points per block.
pub const BLOCK_POINTS: usize = 1000;
/// Longest series key or field key.
pub const MAX_KEY_LEN: usize = 1 << 20;
/// Size of one block entry in the index.
const BLOCK_ENTRY_LEN: usize = 36;
/// Smallest column entry in the index (empty keys, one block).
const MIN_COLUMN_ENTRY_LEN: usize = 4 + 4 + 1 + 4 + BLOCK_ENTRY_LEN;
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
    series_key: Box<[u8]>,
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
                self.columns.push(ColumnEntry {
                    series_key: series_key.into(),
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
            encoding::encode_timestamps(chunk, &mut self.data).map_err(codec)?;
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
        let column_count = u32::try_from(columns.len()).map_err(|_| SegmentError::TooLarge {
            what: "column count",
            size: columns.len() as u64,
            limit: u64::from(u32::MAX),
        })?;
        data.extend_from_slice(&column_count.to_le_bytes());
        for c in &columns {
            // Key lengths are capped at MAX_KEY_LEN and block counts by the data length
            // (blocks are >= 18 bytes), so these casts are lossless.
            data.extend_from_slice(&(c.series_key.len() as u32).to_le_bytes());
            data.extend_from_slice(&c.series_key);
            data.extend_from_slice(&(c.field.len() as u32).to_le_bytes());
            data.extend_from_slice(&c.field);
            data.push(c.field_type as u8);
            let block_count =
                u32::try_from(c.blocks.len()).map_err(|_| SegmentError::TooLarge {
                    what: "block count",
                    size: c.blocks.len() as u64,
                    limit: u64::from(u32::MAX),
                })?;
            data.extend_from_slice(&block_count.to_le_bytes());
            for b in &c.blocks {
                data.extend_from_slice(&b.offset.to_le_bytes());
                data.extend_from_slice(&b.len.to_le_bytes());
                data.extend_from_slice(&b.ts_len.to_le_bytes());
                data.extend_from_slice(&b.min_time.to_le_bytes());
                data.extend_from_slice(&b.max_time.to_le_bytes());
                data.extend_from_slice(&b.count.to_le_bytes());
            }
        }
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
        if version != FORMAT_VERSION {
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
    if version != FORMAT_VERSION {
        return Err(SegmentError::UnsupportedVersion(version));
    }
    let _reserved = r.u16()?;
    let shard = r.u32()?;
    let bucket = BucketId(r.u64()?);
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
            if b.offset < prev_end {
                return Err(r.malformed("block overlaps the header or a previous block"));
            }
            if b.end() > footer.index_offset {
                return Err(r.malformed("block extends into the index"));
            }
            if b.ts_len < MIN_CODEC_BLOCK || b.len.saturating_sub(b.ts_len) < MIN_CODEC_BLOCK {
                return Err(r.malformed("block lengths too small"));
            }
            if b.count == 0 || b.count as usize > BLOCK_POINTS {
                return Err(r.malformed("block point count out of range"));
            }
            if b.min_time > b.max_time || (b.count == 1) != (b.min_time == b.max_time) {
                return Err(r.malformed("block time range inconsistent"));
            }
            if prev_max.is_some_and(|m| m >= b.min_time) {
                return Err(r.malformed("block time ranges not increasing"));
            }
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
    for (what, bytes, offset) in [
        ("timestamp count", ts_bytes, block.offset),
        ("value count", value_bytes, values_offset),
    ] {
        let declared = encoding::block_value_count(bytes)
            .map_err(|source| SegmentError::Block { offset, source })?;
        if declared != block.count {
            return Err(mismatch(what, i64::from(block.count), i64::from(declared)));
        }
    }
    let times = encoding::decode_timestamps(ts_bytes).map_err(|source| SegmentError::Block {
        offset: block.offset,
        source,
    })?;
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

    /// A `len:u32`-prefixed key of at most [`MAX_KEY_LEN`] bytes.
    fn key(&mut self) -> Result<&'a [u8], SegmentError> {
        let len = self.u32()? as usize;
        if len > MAX_KEY_LEN {
            return Err(self.malformed("key longer than MAX_KEY_LEN"));
        }
        self.bytes(len)
    }
}
