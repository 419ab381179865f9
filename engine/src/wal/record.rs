//! WAL byte layout: the only module that knows it (with `storage::encoding` for segments).
//!
//! ## Format
//!
//! All integers are little-endian.
//!
//! A segment file is named `{seq:020}.wal` (zero-padded so names sort by sequence) and starts
//! with a 16-byte header:
//!
//! | offset | size | field                                   |
//! |-------:|-----:|-----------------------------------------|
//! | 0      | 8    | magic `RFLXWAL\0`                        |
//! | 8      | 2    | format version (`FORMAT_VERSION` = 1)   |
//! | 10     | 2    | reserved, 0                             |
//! | 12     | 4    | shard id                                |
//!
//! Every write to a segment (the header, then each group commit) starts on a `BLOCK` (4096-byte)
//! boundary and is zero-padded to a whole number of blocks, so the log can be written with
//! direct I/O and a commit never rewrites a block holding acknowledged records. The header thus
//! occupies the first block; records start at offset 4096.
//!
//! Records follow, back to back within a commit, each framed as:
//!
//! | size | field                                              |
//! |-----:|----------------------------------------------------|
//! | 4    | `len`: payload length in bytes (≤ `MAX_RECORD_LEN`) |
//! | 4    | CRC-32 (IEEE) of the payload                        |
//! | len  | payload                                            |
//!
//! Payload of kind 1, `WRITE` (the points of one write request that one shard owns):
//!
//! | size | field                                                        |
//! |-----:|--------------------------------------------------------------|
//! | 1    | kind = 1                                                     |
//! | 8    | bucket id                                                    |
//! | 4    | entry count                                                  |
//! | …    | entries                                                      |
//!
//! Payload of kind 2, `DELETE` (a delete request as it applies to this shard):
//!
//! | size | field                                                        |
//! |-----:|--------------------------------------------------------------|
//! | 1    | kind = 2                                                     |
//! | 8    | bucket id                                                    |
//! | 8    | tombstone generation (see `storage::store`)                  |
//! | 8    | tombstone sequence number                                    |
//! | …    | the delete request, opaque here (`delete::DeleteRequest::encode`) |
//!
//! Entry: `ts: i64` (ns) · `series: u32` · \[`key_len: u32` · canonical series key bytes\] ·
//! `fields_len: u32` · the raw line-protocol field set exactly as validated by the parser.
//!
//! `series` is a *segment-local* series number. The first entry of a series in a segment has the
//! top bit set (`DEFINE_BIT`) and carries the key; it defines number `series & !DEFINE_BIT`,
//! which later entries of the same segment use alone. Numbers are dense from 0 in each segment,
//! so a reader keeps a `Vec` per segment. This keeps repeated series keys (often 100–200 bytes)
//! out of the log: a TSBS line costs ~5 bytes of key instead of ~180.
//!
//! A frame header of eight zero bytes is padding: the reader continues at the next block
//! boundary, and the end of the file ends the segment.
//!
//! A record whose frame is incomplete or whose CRC does not match is *torn* if nothing valid
//! follows it in the newest segment (it is truncated on recovery); anywhere else it is
//! corruption and recovery stops with the file name and offset.

use crate::model::BucketId;

/// Segment magic.
pub const WAL_MAGIC: &[u8; 8] = b"RFLXWAL\0";
/// Current format version.
pub const FORMAT_VERSION: u16 = 1;
/// Size of the segment header.
pub const HEADER_LEN: usize = 16;
/// Alignment and padding unit of every write (and offset of the first record).
pub const BLOCK: usize = 4096;
/// Size of a record frame header (len + crc).
pub const FRAME_LEN: usize = 8;
/// Largest payload a record may declare; larger means corruption.
pub const MAX_RECORD_LEN: u32 = 512 * 1024 * 1024;
/// Record kind: a write batch.
pub const KIND_WRITE: u8 = 1;
/// Record kind: a delete.
pub const KIND_DELETE: u8 = 2;
/// Set on an entry's series number when the entry defines it (the key follows).
pub const DEFINE_BIT: u32 = 1 << 31;

/// How an entry names its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesRef<'a> {
    /// First use in this segment: the local number and the canonical key.
    Define(u32, &'a [u8]),
    /// A number defined earlier in this segment.
    Ref(u32),
}

/// Writes a segment header for `shard` into `out`.
pub fn encode_header(shard: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(WAL_MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&shard.to_le_bytes());
}

/// Why a header is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Shorter than `HEADER_LEN`.
    TooShort,
    /// Magic does not match.
    BadMagic,
    /// Unknown format version.
    UnsupportedVersion(u16),
}

/// Checks a segment header; returns the shard id it names.
pub fn decode_header(buf: &[u8]) -> Result<u32, HeaderError> {
    let h = buf.get(..HEADER_LEN).ok_or(HeaderError::TooShort)?;
    if h.get(..8) != Some(&WAL_MAGIC[..]) {
        return Err(HeaderError::BadMagic);
    }
    let version = u16::from_le_bytes([h[8], h[9]]);
    if version != FORMAT_VERSION {
        return Err(HeaderError::UnsupportedVersion(version));
    }
    Ok(u32::from_le_bytes([h[12], h[13], h[14], h[15]]))
}

/// Builder for one WRITE record appended to a caller-owned buffer.
#[derive(Debug)]
pub struct WriteRecordBuilder {
    start: usize,
    count: u32,
}

impl WriteRecordBuilder {
    /// Starts a record for `bucket` at the end of `out`.
    pub fn begin(out: &mut Vec<u8>, bucket: BucketId) -> Self {
        let start = out.len();
        out.extend_from_slice(&[0u8; FRAME_LEN]);
        out.push(KIND_WRITE);
        out.extend_from_slice(&bucket.0.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        WriteRecordBuilder { start, count: 0 }
    }

    /// Appends one entry.
    pub fn push(&mut self, out: &mut Vec<u8>, ts: i64, series: SeriesRef<'_>, fields: &[u8]) {
        out.extend_from_slice(&ts.to_le_bytes());
        match series {
            SeriesRef::Define(n, key) => {
                out.extend_from_slice(&(n | DEFINE_BIT).to_le_bytes());
                out.extend_from_slice(&(key.len() as u32).to_le_bytes());
                out.extend_from_slice(key);
            }
            SeriesRef::Ref(n) => out.extend_from_slice(&n.to_le_bytes()),
        }
        out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
        out.extend_from_slice(fields);
        self.count += 1;
    }

    /// Number of entries pushed so far.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Fills in the frame (length, CRC) and the entry count. A record with no entries is removed.
    pub fn finish(self, out: &mut Vec<u8>) {
        if self.count == 0 {
            out.truncate(self.start);
            return;
        }
        let count_at = self.start + FRAME_LEN + 1 + 8;
        out[count_at..count_at + 4].copy_from_slice(&self.count.to_le_bytes());
        let payload_len = (out.len() - self.start - FRAME_LEN) as u32;
        let crc = crc32fast::hash(&out[self.start + FRAME_LEN..]);
        out[self.start..self.start + 4].copy_from_slice(&payload_len.to_le_bytes());
        out[self.start + 4..self.start + 8].copy_from_slice(&crc.to_le_bytes());
    }
}

/// Outcome of reading one frame at an offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A complete record with a good CRC; `next` is the offset after it.
    Record { payload: &'a [u8], next: usize },
    /// Clean end of data.
    End,
    /// Zero padding: continue at `next` (the next block boundary).
    Padding {
        /// Where the next frame may start.
        next: usize,
    },
    /// An incomplete or corrupt frame at this offset.
    Bad(&'static str),
}

/// Reads the frame starting at `at` in `buf`.
pub fn read_frame(buf: &[u8], at: usize) -> Frame<'_> {
    if at == buf.len() {
        return Frame::End;
    }
    let Some(hdr) = buf.get(at..at + FRAME_LEN) else {
        return Frame::Bad("incomplete record header");
    };
    let len = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    let crc = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
    if len == 0 && crc == 0 {
        let next = (at / BLOCK + 1) * BLOCK;
        return if next >= buf.len() {
            Frame::End
        } else {
            Frame::Padding { next }
        };
    }
    if len > MAX_RECORD_LEN {
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

/// One decoded entry of a WRITE record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Timestamp (ns).
    pub ts: i64,
    /// The series (segment-local number, with the key on its first use).
    pub series: SeriesRef<'a>,
    /// Raw line-protocol field set.
    pub fields: &'a [u8],
}

/// A decoded WRITE record.
#[derive(Debug, Clone, Copy)]
pub struct WriteRecord<'a> {
    /// Bucket the points belong to.
    pub bucket: BucketId,
    /// Declared number of entries.
    pub count: u32,
    body: &'a [u8],
}

/// Appends one framed DELETE record to `out`.
pub fn encode_delete(out: &mut Vec<u8>, bucket: BucketId, gen: u64, seq: u64, request: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&[0u8; FRAME_LEN]);
    out.push(KIND_DELETE);
    out.extend_from_slice(&bucket.0.to_le_bytes());
    out.extend_from_slice(&gen.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(request);
    let payload_len = (out.len() - start - FRAME_LEN) as u32;
    let crc = crc32fast::hash(&out[start + FRAME_LEN..]);
    out[start..start + 4].copy_from_slice(&payload_len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// A decoded DELETE payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteRecord<'a> {
    /// Bucket.
    pub bucket: BucketId,
    /// Tombstone generation.
    pub gen: u64,
    /// Tombstone sequence number.
    pub seq: u64,
    /// The encoded request.
    pub request: &'a [u8],
}

/// Decodes a DELETE payload.
pub fn decode_delete(payload: &[u8]) -> Result<DeleteRecord<'_>, PayloadError> {
    if payload.first() != Some(&KIND_DELETE) {
        return Err(PayloadError("not a delete record"));
    }
    Ok(DeleteRecord {
        bucket: BucketId(read_u64(payload, 1).ok_or(PayloadError("short payload"))?),
        gen: read_u64(payload, 9).ok_or(PayloadError("short payload"))?,
        seq: read_u64(payload, 17).ok_or(PayloadError("short payload"))?,
        request: payload.get(25..).unwrap_or(&[]),
    })
}

/// The kind byte of a payload.
pub fn kind(payload: &[u8]) -> Option<u8> {
    payload.first().copied()
}

/// Why a payload does not decode (the CRC matched, so this is a format bug or a version mix-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError(pub &'static str);

/// Decodes the head of a WRITE payload.
pub fn decode_write(payload: &[u8]) -> Result<WriteRecord<'_>, PayloadError> {
    match payload.first() {
        Some(&KIND_WRITE) => {}
        Some(_) => return Err(PayloadError("unknown record kind")),
        None => return Err(PayloadError("empty payload")),
    }
    let bucket = read_u64(payload, 1).ok_or(PayloadError("short payload"))?;
    let count = read_u32(payload, 9).ok_or(PayloadError("short payload"))?;
    Ok(WriteRecord {
        bucket: BucketId(bucket),
        count,
        body: payload.get(13..).unwrap_or(&[]),
    })
}

impl<'a> WriteRecord<'a> {
    /// Iterates the entries; stops with an error on a malformed entry.
    pub fn entries(&self) -> impl Iterator<Item = Result<Entry<'a>, PayloadError>> + 'a {
        let body = self.body;
        let mut at = 0usize;
        let mut left = self.count;
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let r = (|| {
                let ts = read_u64(body, at)? as i64;
                let n = read_u32(body, at + 8)?;
                let mut p = at + 12;
                let series = if n & DEFINE_BIT != 0 {
                    let klen = read_u32(body, p)? as usize;
                    let key = body.get(p + 4..p + 4 + klen)?;
                    p += 4 + klen;
                    SeriesRef::Define(n & !DEFINE_BIT, key)
                } else {
                    SeriesRef::Ref(n)
                };
                let flen = read_u32(body, p)? as usize;
                let fields = body.get(p + 4..p + 4 + flen)?;
                at = p + 4 + flen;
                Some(Entry { ts, series, fields })
            })();
            match r {
                Some(e) => Some(Ok(e)),
                None => {
                    left = 0;
                    Some(Err(PayloadError("truncated entry")))
                }
            }
        })
    }
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at + 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}
