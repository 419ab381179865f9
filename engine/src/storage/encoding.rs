//! Byte layout of immutable column blocks: pure encode/decode functions, no I/O, no state.
//!
//! One block holds the values of one column chunk of one type. Encoders append a complete
//! block to a caller-owned `Vec<u8>`; decoders take exactly one block (the container that
//! stores blocks records their lengths — a block is not self-delimiting).
//!
//! ## Invariants
//!
//! - Decoders never panic, on any input: blocks are untrusted bytes. Every malformed,
//!   truncated or corrupted block is an `Err(`[`EncodingError`]`)`; input is read only through
//!   bounds-checked accessors (`get`), never `unwrap`/`expect`/unchecked indexing.
//! - A block whose CRC does not match is [`EncodingError::Checksum`], never data. The CRC is
//!   checked before anything else of the block is interpreted.
//! - Allocation on decode is bounded: a block declares at most [`MAX_BLOCK_VALUES`] values and
//!   at most [`MAX_STRING_BYTES`] bytes of string data; larger declarations are
//!   [`EncodingError::TooLarge`] before allocating for them. Apart from the run-length and rANS
//!   forms (an entropy coder can spend less than a bit on a value; both capped by
//!   [`MAX_BLOCK_VALUES`]), output grows only as input is actually consumed.
//! - Every decode loop is bounded by the declared count or the input length: no input makes a
//!   decoder loop forever.
//! - Round trips are exact: `decode_x(encode_x(v)) == v` bit for bit, including NaN payloads,
//!   ±Inf, -0.0, subnormals, `i64::MIN/MAX`, `u64::MAX`, empty strings. Integer arithmetic is
//!   wrapping in both directions, so no input overflows.
//! - Encoders are total apart from the two size caps above: they reject (with `TooLarge`) a
//!   column of more than [`MAX_BLOCK_VALUES`] values or strings totalling more than
//!   [`MAX_STRING_BYTES`], leaving the output vector unchanged.
//! - Each type has its own tags, so decoding a block as the wrong type is
//!   [`EncodingError::WrongType`], not garbage.
//!
//! ## Format
//!
//! All fixed-width integers are little-endian. (The Gorilla bit stream is written most
//! significant bit first, so its raw first value reads as a big-endian `u64`.)
//!
//! ```text
//! block   = tag:u8  count:u32  payload  crc:u32
//! ```
//!
//! - `tag` selects the encoding (table below); `count` is the number of values (at most
//!   [`MAX_BLOCK_VALUES`]); `crc` is CRC-32 (IEEE, `crc32fast`) of every byte before it
//!   (tag, count and payload). The smallest block is 9 bytes.
//! - If `count == 0` the payload is empty, whatever the tag (encoders use the type's main tag).
//! - After the payload's last value there are no further bytes (bit streams pad their final
//!   byte with zero bits); trailing bytes are [`EncodingError::Malformed`].
//!
//! | tag    | type        | payload                                                      |
//! |--------|-------------|--------------------------------------------------------------|
//! | `0x10` | timestamps  | RLE: `first:i64`, `delta:zvarint`                            |
//! | `0x11` | timestamps  | delta-of-delta: `first:i64`, simple8b of `zigzag(dod)` × (count−1) |
//! | `0x20` | floats      | Gorilla XOR bit stream                                       |
//! | `0x21` | floats      | decimal: `scale:u8`, simple8b of `zigzag(delta(m))` × count  |
//! | `0x30` | integers    | RLE: `first:i64`, `delta:zvarint`                            |
//! | `0x31` | integers    | delta: simple8b of `zigzag(delta)` × count                   |
//! | `0x32` | integers    | delta: static rANS of `zigzag(delta)` × count                |
//! | `0x40` | unsigned    | as `0x30`, on the two's-complement reinterpretation `u as i64` |
//! | `0x41` | unsigned    | as `0x31`, on `u as i64`                                     |
//! | `0x42` | unsigned    | as `0x32`, on `u as i64`                                     |
//! | `0x50` | booleans    | bit-packed, `ceil(count/8)` bytes                            |
//! | `0x60` | strings     | `len:varint` × count, then an LZ4 block with its size prepended |
//!
//! Building blocks:
//!
//! - `varint`: unsigned LEB128 of a `u64`, 7 bits per byte, least significant group first,
//!   high bit = "more bytes follow"; at most 10 bytes, the 10th byte at most `0x01`.
//! - `zigzag(v: i64) = (v << 1) ^ (v >> 63)` as `u64` (0, -1, 1, -2, … → 0, 1, 2, 3, …);
//!   `zvarint` = `varint(zigzag(v))`.
//! - Deltas are wrapping: `delta[i] = v[i].wrapping_sub(v[i-1])`, `dod[i] =
//!   delta[i].wrapping_sub(delta[i-1])`; decoding uses `wrapping_add`, so `i64::MIN/MAX`
//!   neighbours round-trip.
//! - **RLE** (`0x10`, `0x30`, `0x40`): value `i` is `first + i·delta` (wrapping), for
//!   `i in 0..count`. Used when `count >= 1` and all consecutive deltas are equal: 10 000
//!   timestamps 10 s apart (in ns; delta varint 5 bytes) cost a 22-byte block, whatever the
//!   count.
//! - **Delta-of-delta** (`0x11`): `first` is `ts[0]` raw (8 bytes); then a simple8b stream of
//!   `count−1` values `zigzag(dod[i])` for `i in 1..count`, where `delta[0] = 0` (so the first
//!   entry is `zigzag(ts[1] − ts[0])`).
//! - **Delta** (`0x31`, `0x41`): simple8b stream of `count` values `zigzag(delta[i])` with
//!   `v[-1] = 0` (the first entry is `zigzag(v[0])`). Unsigned values are zigzagged too (after
//!   the reinterpretation) so a decreasing counter costs a few bits, not 64.
//! - **rANS** (`0x32`, `0x42`): the same `count` values `z[i] = zigzag(delta[i])` (`v[-1] = 0`)
//!   as `0x31`, entropy coded with one static frequency table per block. Encoders write RLE
//!   when the deltas are constant, else whichever of `0x31` and `0x32` is smaller (`0x31` on a
//!   tie). Payload:
//!
//!   ```text
//!   first:varint  [used:u8  freq:varint × used  extra_len:varint  extra:[u8; extra_len]
//!                  state:u32  words:u16*]
//!   ```
//!
//!   `first` is `z[0]` (so an absolute first value does not widen the table); the bracketed
//!   rANS part codes `z[1..count]` and is absent when `count == 1`.
//!
//!   - *Symbols*: `z < 16` is symbol `z` with no extra bits. Otherwise, with `n` the bit
//!     length of `z` (5..=64) and `b` the bit below its leading one, the symbol is
//!     `16 + 2·(n − 5) + b` (so at most 135) and the low `n − 2` bits of `z` are its extra
//!     bits: `z = (2 + b) << (n − 2) | extra`.
//!   - *Table*: `freq[s]` for symbols `0..used` (`1 <= used <= 136`); they sum to exactly
//!     4096 (12-bit probabilities); a symbol's slots are `cum[s] .. cum[s] + freq[s]` with
//!     `cum[s]` the sum of the frequencies before it. The encoder gives every symbol that
//!     occurs at least 1.
//!   - *Extra bits*: the extra bits of all values, in value order, packed least significant
//!     bit first (bit `k` of the stream is bit `k % 8` of byte `k / 8`, each value's bits
//!     low to high), zero padded to `extra_len` bytes; the decoder must use every byte and
//!     find the padding zero.
//!   - *rANS stream*: `state` is the decoder's initial state, at least `2^16`; `words` are
//!     little-endian `u16`s up to the payload's end. Per value: `slot = x mod 4096`, `s` the
//!     symbol owning the slot, `x = freq[s]·(x >> 12) + slot − cum[s]`; then if `x < 2^16`,
//!     `x = x << 16 | next word` (one word always suffices); then read `s`'s extra bits.
//!     After the last value every word must be consumed and `x` must equal `2^16` (the
//!     encoder's initial state), so a damaged stream rarely decodes. The encoder codes the
//!     values last to first, emitting the low 16 bits of `x` whenever
//!     `x >= 2^20·freq[s]` before `x = ((x / freq[s]) << 12) + (x mod freq[s]) + cum[s]`, and
//!     writes its words in reverse.
//!
//!   On TSBS-like integers (random walks with ~2.15 bits of entropy per delta) this costs
//!   ~2.17 bits per value in an 8192-value block, against ~3.1 for simple8b.
//! - **simple8b**: a sequence of little-endian `u64` words. The top 4 bits of a word are the
//!   selector, the low 60 bits hold `n` values of `b` bits each, value `j` in bits
//!   `[j·b, (j+1)·b)`:
//!
//!   | selector | 0   | 1  | 2  | 3  | 4  | 5  | 6  | 7 | 8 | 9  | 10 | 11 | 12 | 13 | 14 |
//!   |----------|-----|----|----|----|----|----|----|---|---|----|----|----|----|----|----|
//!   | `n`      | 240 | 60 | 30 | 20 | 15 | 12 | 10 | 8 | 7 | 6  | 5  | 4  | 3  | 2  | 1  |
//!   | `b`      | 0   | 1  | 2  | 3  | 4  | 5  | 6  | 7 | 8 | 10 | 12 | 15 | 20 | 30 | 60 |
//!
//!   Selector 0 means 240 zeros. Selector 15 is an escape: its low 60 bits are zero and the
//!   *next* word is one raw 64-bit value (for values ≥ 2⁶⁰). Only the stream's last word may
//!   hold fewer than `n` values (the decoder stops at `count`; encoders write unused slots as
//!   zero).
//! - **Gorilla** (`0x20`, bits written most significant first into bytes): the first value's
//!   64 bits raw; then per value `x = bits(v[i]) ^ bits(v[i-1])`:
//!   `0` if `x == 0`; else `10` + the meaningful bits of `x` inside the previous window
//!   (allowed only if a window exists and `x` has at least as many leading and trailing zeros
//!   as it); else `11` + `leading:5` (leading zeros, capped at 31) + `len:6` (meaningful bit
//!   count, 64 written as 0) + the `len` meaningful bits, which becomes the new window
//!   (`trailing = 64 − leading − len`). The final byte is padded with zero bits.
//! - **Decimal floats** (`0x21`): every value is `m[i] as f64 / 10^scale` (IEEE division,
//!   `10^scale` from an exact table, `scale <= 9`), with integers `m[i]` stored like `0x31`
//!   (simple8b of `zigzag(m[i] − m[i−1])`, `m[-1] = 0`). The encoder uses it only when that
//!   expression reproduces every value's bits exactly (so never for NaN, ±Inf or -0.0) and the
//!   block comes out smaller than Gorilla's; values with few decimals (sensor readings,
//!   percentages) then cost 1–2 bytes instead of ~7.
//! - **Booleans** (`0x50`): value `i` is bit `i % 8` (least significant first) of byte `i / 8`;
//!   exactly `ceil(count/8)` bytes; padding bits are zero.
//! - **Strings** (`0x60`): `count` varint byte lengths (uncompressed), then
//!   `lz4_flex::block::compress_prepend_size` of all values concatenated: `size:u32` followed
//!   by an LZ4 block. `size` must equal the sum of the lengths, which must not exceed
//!   [`MAX_STRING_BYTES`]; decompression is capped at that size.

use std::fmt;

#[cfg(test)]
mod tests;

/// Most values one block may declare (64 MiB of 8-byte values).
pub const MAX_BLOCK_VALUES: u32 = 1 << 23;
/// Most uncompressed string bytes one block may declare (64 MiB).
pub const MAX_STRING_BYTES: u64 = 64 << 20;

const TAG_TS_RLE: u8 = 0x10;
const TAG_TS_DOD: u8 = 0x11;
const TAG_FLOAT_GORILLA: u8 = 0x20;
const TAG_FLOAT_DECIMAL: u8 = 0x21;
const TAG_INT_RLE: u8 = 0x30;
const TAG_INT_DELTA: u8 = 0x31;
const TAG_INT_RANS: u8 = 0x32;
const TAG_UINT_RLE: u8 = 0x40;
const TAG_UINT_DELTA: u8 = 0x41;
const TAG_UINT_RANS: u8 = 0x42;
const TAG_BOOL_PACKED: u8 = 0x50;
const TAG_STRING_LZ4: u8 = 0x60;

/// Header (tag + count) length.
const HEADER: usize = 5;
/// Trailer (CRC) length.
const TRAILER: usize = 4;

/// Why a block could not be encoded or decoded. Byte offsets (`at`) are from the block start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodingError {
    /// The block ended before byte `at` could be read.
    Truncated {
        /// Offset of the first missing byte.
        at: usize,
    },
    /// The stored CRC does not match the block's bytes.
    Checksum {
        /// CRC stored in the block.
        expected: u32,
        /// CRC computed over the block's bytes.
        actual: u32,
    },
    /// The tag is not any known encoding.
    UnknownTag(u8),
    /// The tag is a known encoding of another value type.
    WrongType {
        /// The block's tag.
        tag: u8,
        /// The type the caller asked for.
        expected: &'static str,
    },
    /// The payload holds a different number of values than the header declares.
    CountMismatch {
        /// Count declared by the header.
        declared: u64,
        /// Count implied by the payload.
        found: u64,
    },
    /// A declared or supplied size exceeds a cap.
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// The size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// The payload violates the format.
    Malformed {
        /// Offset where the problem was found.
        at: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for EncodingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodingError::Truncated { at } => write!(f, "column block truncated at byte {at}"),
            EncodingError::Checksum { expected, actual } => write!(
                f,
                "column block checksum mismatch: stored {expected:#010x}, computed {actual:#010x}"
            ),
            EncodingError::UnknownTag(tag) => write!(f, "unknown column block encoding {tag:#04x}"),
            EncodingError::WrongType { tag, expected } => write!(
                f,
                "column block encoding {tag:#04x} does not hold {expected} values"
            ),
            EncodingError::CountMismatch { declared, found } => write!(
                f,
                "column block declares {declared} values but holds {found}"
            ),
            EncodingError::TooLarge { what, size, limit } => {
                write!(f, "column block {what} {size} exceeds the limit of {limit}")
            }
            EncodingError::Malformed { at, reason } => {
                write!(f, "malformed column block at byte {at}: {reason}")
            }
        }
    }
}

impl std::error::Error for EncodingError {}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Appends a timestamp block for `ts` to `out`: RLE if the deltas are constant, else
/// delta-of-delta + simple8b. Any order works; sorted regular series compress best.
pub fn encode_timestamps(ts: &[i64], out: &mut Vec<u8>) -> Result<(), EncodingError> {
    let count = check_count(ts.len())?;
    if let Some(delta) = constant_delta(ts) {
        let start = begin_block(out, TAG_TS_RLE, count);
        write_rle(ts, delta, out);
        finish_block(out, start);
        return Ok(());
    }
    let start = begin_block(out, TAG_TS_DOD, count);
    if let Some(&first) = ts.first() {
        out.extend_from_slice(&first.to_le_bytes());
        let mut prev = first;
        let mut prev_delta = 0i64;
        let dods = ts.iter().skip(1).map(|&t| {
            let delta = t.wrapping_sub(prev);
            let dod = delta.wrapping_sub(prev_delta);
            prev = t;
            prev_delta = delta;
            zigzag(dod)
        });
        s8b_encode(&dods.collect::<Vec<u64>>(), out);
    }
    finish_block(out, start);
    Ok(())
}

/// Decodes a timestamp block.
pub fn decode_timestamps(block: &[u8]) -> Result<Vec<i64>, EncodingError> {
    let b = open_block(block)?;
    match b.tag {
        TAG_TS_RLE => decode_rle(&b),
        TAG_TS_DOD => {
            if b.count == 0 {
                return empty(&b);
            }
            let mut r = Reader::new(b.payload, HEADER);
            let first = r.i64()?;
            let rest = r.remaining();
            let mut out = Vec::with_capacity(capacity(b.count, rest.len(), 30));
            out.push(first);
            let mut prev = first;
            let mut prev_delta = 0i64;
            s8b_decode(rest, r.offset(), b.count - 1, |z| {
                let delta = prev_delta.wrapping_add(unzigzag(z));
                prev = prev.wrapping_add(delta);
                prev_delta = delta;
                out.push(prev);
            })?;
            Ok(out)
        }
        tag => Err(tag_error(tag, "timestamp")),
    }
}

/// Appends a float block for `values` to `out`: the decimal form if every value is exactly a
/// decimal with at most 9 fraction digits and that is smaller, else Gorilla XOR.
pub fn encode_floats(values: &[f64], out: &mut Vec<u8>) -> Result<(), EncodingError> {
    let count = check_count(values.len())?;
    let start = out.len();
    encode_gorilla(values, count, out);
    if let Some((scale, mantissas)) = decimal_form(values) {
        let mut decimal = Vec::new();
        let dstart = begin_block(&mut decimal, TAG_FLOAT_DECIMAL, count);
        decimal.push(scale);
        s8b_encode(&zigzag_deltas(&mantissas), &mut decimal);
        finish_block(&mut decimal, dstart);
        if decimal.len() < out.len() - start {
            out.truncate(start);
            out.extend_from_slice(&decimal);
        }
    }
    Ok(())
}

/// Exact powers of ten for the decimal float form.
const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// The smallest scale and the integers `m` with `m as f64 / 10^scale == v` bit for bit for
/// every value, if any (and if there are values at all).
fn decimal_form(values: &[f64]) -> Option<(u8, Vec<i64>)> {
    if values.is_empty() {
        return None;
    }
    'scale: for (scale, &p) in POW10.iter().enumerate() {
        let mut mantissas = Vec::with_capacity(values.len());
        for &v in values {
            let m = (v * p).round() as i64;
            if (m as f64 / p).to_bits() != v.to_bits() {
                continue 'scale;
            }
            mantissas.push(m);
        }
        return Some((scale as u8, mantissas));
    }
    None
}

fn zigzag_deltas(values: &[i64]) -> Vec<u64> {
    let mut prev = 0i64;
    values
        .iter()
        .map(|&v| {
            let d = v.wrapping_sub(prev);
            prev = v;
            zigzag(d)
        })
        .collect()
}

fn encode_gorilla(values: &[f64], count: u32, out: &mut Vec<u8>) {
    let start = begin_block(out, TAG_FLOAT_GORILLA, count);
    if let Some((first, rest)) = values.split_first() {
        let mut w = BitWriter::new(out);
        let mut prev = first.to_bits();
        w.write(prev, 64);
        let mut window: Option<(u32, u32)> = None;
        for v in rest {
            let bits = v.to_bits();
            let x = bits ^ prev;
            prev = bits;
            if x == 0 {
                w.write(0, 1);
                continue;
            }
            let lead = x.leading_zeros().min(31);
            let trail = x.trailing_zeros();
            match window {
                Some((pl, pt)) if lead >= pl && trail >= pt => {
                    w.write(0b10, 2);
                    w.write(x >> pt, 64 - pl - pt);
                }
                _ => {
                    let len = 64 - lead - trail;
                    w.write(0b11, 2);
                    w.write(u64::from(lead), 5);
                    w.write(u64::from(len % 64), 6);
                    w.write(x >> trail, len);
                    window = Some((lead, trail));
                }
            }
        }
        w.finish();
    }
    finish_block(out, start);
}

/// Decodes a float block.
pub fn decode_floats(block: &[u8]) -> Result<Vec<f64>, EncodingError> {
    let b = open_block(block)?;
    if b.tag == TAG_FLOAT_DECIMAL {
        if b.count == 0 {
            return empty(&b);
        }
        let scale = b.payload.first().copied().unwrap_or(u8::MAX);
        let p = *POW10.get(scale as usize).ok_or(EncodingError::Malformed {
            at: HEADER,
            reason: "decimal float scale above 9",
        })?;
        let rest = b.payload.get(1..).unwrap_or_default();
        let mut out = Vec::with_capacity(capacity(b.count, rest.len(), 30));
        let mut m = 0i64;
        s8b_decode(rest, HEADER + 1, b.count, |z| {
            m = m.wrapping_add(unzigzag(z));
            out.push(m as f64 / p);
        })?;
        return Ok(out);
    }
    if b.tag != TAG_FLOAT_GORILLA {
        return Err(tag_error(b.tag, "float"));
    }
    if b.count == 0 {
        return empty(&b);
    }
    let mut r = BitReader::new(b.payload, HEADER);
    let mut out = Vec::with_capacity(capacity(b.count, b.payload.len(), 8));
    let mut prev = r.read(64)?;
    out.push(f64::from_bits(prev));
    let mut window: Option<(u32, u32)> = None;
    for _ in 1..b.count {
        if r.read(1)? == 1 {
            if r.read(1)? == 0 {
                let (lead, trail) = window.ok_or(EncodingError::Malformed {
                    at: r.byte_offset(),
                    reason: "float reuses a window before defining one",
                })?;
                prev ^= r.read(64 - lead - trail)? << trail;
            } else {
                let lead = r.read(5)? as u32;
                let len = match r.read(6)? as u32 {
                    0 => 64,
                    len => len,
                };
                if lead + len > 64 {
                    return Err(EncodingError::Malformed {
                        at: r.byte_offset(),
                        reason: "float window wider than 64 bits",
                    });
                }
                let trail = 64 - lead - len;
                prev ^= r.read(len)? << trail;
                window = Some((lead, trail));
            }
        }
        out.push(f64::from_bits(prev));
    }
    r.finish()?;
    Ok(out)
}

/// Appends a signed integer block for `values` to `out`: RLE if the deltas are constant, else
/// delta + zigzag + the smaller of simple8b and rANS.
pub fn encode_integers(values: &[i64], out: &mut Vec<u8>) -> Result<(), EncodingError> {
    encode_int_like(values, INT_TAGS, out)
}

/// Decodes a signed integer block.
pub fn decode_integers(block: &[u8]) -> Result<Vec<i64>, EncodingError> {
    decode_int_like(block, INT_TAGS)
}

/// Appends an unsigned integer block for `values` to `out` (the integer encoding applied to
/// `v as i64`, under the unsigned tags).
pub fn encode_unsigned(values: &[u64], out: &mut Vec<u8>) -> Result<(), EncodingError> {
    let signed: Vec<i64> = values.iter().map(|&v| v as i64).collect();
    encode_int_like(&signed, UINT_TAGS, out)
}

/// Decodes an unsigned integer block.
pub fn decode_unsigned(block: &[u8]) -> Result<Vec<u64>, EncodingError> {
    let signed = decode_int_like(block, UINT_TAGS)?;
    Ok(signed.into_iter().map(|v| v as u64).collect())
}

/// Appends a bit-packed boolean block for `values` to `out`.
pub fn encode_bools(values: &[bool], out: &mut Vec<u8>) -> Result<(), EncodingError> {
    let count = check_count(values.len())?;
    let start = begin_block(out, TAG_BOOL_PACKED, count);
    for chunk in values.chunks(8) {
        let byte = chunk
            .iter()
            .enumerate()
            .fold(0u8, |acc, (i, &v)| acc | (u8::from(v) << i));
        out.push(byte);
    }
    finish_block(out, start);
    Ok(())
}

/// Decodes a boolean block.
pub fn decode_bools(block: &[u8]) -> Result<Vec<bool>, EncodingError> {
    let b = open_block(block)?;
    if b.tag != TAG_BOOL_PACKED {
        return Err(tag_error(b.tag, "boolean"));
    }
    let count = b.count as usize;
    let need = count.div_ceil(8);
    if b.payload.len() != need {
        return Err(EncodingError::CountMismatch {
            declared: u64::from(b.count),
            found: (b.payload.len() as u64).saturating_mul(8),
        });
    }
    if count % 8 != 0 {
        let last = b.payload.last().copied().unwrap_or(0);
        if last >> (count % 8) != 0 {
            return Err(EncodingError::Malformed {
                at: HEADER + need - 1,
                reason: "boolean padding bits are not zero",
            });
        }
    }
    let mut out = Vec::with_capacity(count);
    for &byte in b.payload {
        for bit in 0..8 {
            if out.len() == count {
                break;
            }
            out.push(byte >> bit & 1 == 1);
        }
    }
    Ok(out)
}

/// Appends a string block (varint lengths + LZ4 of the concatenated bytes) to `out`.
pub fn encode_strings(values: &[&[u8]], out: &mut Vec<u8>) -> Result<(), EncodingError> {
    let count = check_count(values.len())?;
    let total: u64 = values.iter().map(|v| v.len() as u64).sum();
    if total > MAX_STRING_BYTES {
        return Err(EncodingError::TooLarge {
            what: "string bytes",
            size: total,
            limit: MAX_STRING_BYTES,
        });
    }
    let start = begin_block(out, TAG_STRING_LZ4, count);
    if !values.is_empty() {
        let mut concat = Vec::with_capacity(total as usize);
        for v in values {
            write_varint(v.len() as u64, out);
            concat.extend_from_slice(v);
        }
        out.extend_from_slice(&lz4_flex::block::compress_prepend_size(&concat));
    }
    finish_block(out, start);
    Ok(())
}

/// Decodes a string block into one vector per value.
pub fn decode_strings(block: &[u8]) -> Result<Vec<Vec<u8>>, EncodingError> {
    let (data, ends) = decode_strings_flat(block)?;
    let mut out = Vec::with_capacity(ends.len());
    let mut start = 0usize;
    for end in ends {
        let end = end as usize;
        out.push(data.get(start..end).unwrap_or_default().to_vec());
        start = end;
    }
    Ok(out)
}

/// Decodes a string block into the concatenated bytes and the end offset of each value
/// (value `i` is `data[ends[i-1]..ends[i]]`, with `ends[-1] = 0`) — the head's layout.
pub fn decode_strings_flat(block: &[u8]) -> Result<(Vec<u8>, Vec<u32>), EncodingError> {
    let b = open_block(block)?;
    if b.tag != TAG_STRING_LZ4 {
        return Err(tag_error(b.tag, "string"));
    }
    if b.count == 0 {
        return empty(&b).map(|v: Vec<u8>| (v, Vec::new()));
    }
    let mut r = Reader::new(b.payload, HEADER);
    let mut ends = Vec::with_capacity(capacity(b.count, b.payload.len(), 1));
    let mut total = 0u64;
    for _ in 0..b.count {
        let len = r.varint()?;
        total = total.saturating_add(len);
        if total > MAX_STRING_BYTES {
            return Err(EncodingError::TooLarge {
                what: "string bytes",
                size: total,
                limit: MAX_STRING_BYTES,
            });
        }
        ends.push(total as u32);
    }
    let size_at = r.offset();
    let declared = u64::from(r.u32()?);
    if declared != total {
        return Err(EncodingError::Malformed {
            at: size_at,
            reason: "LZ4 size differs from the sum of string lengths",
        });
    }
    let data = lz4_flex::block::decompress(r.remaining(), total as usize).map_err(|_| {
        EncodingError::Malformed {
            at: size_at + 4,
            reason: "invalid LZ4 data",
        }
    })?;
    if data.len() as u64 != total {
        return Err(EncodingError::Malformed {
            at: size_at + 4,
            reason: "LZ4 data decompresses to the wrong size",
        });
    }
    Ok((data, ends))
}
/// The number of values a block declares, after checking its CRC and size cap — without
/// decoding the payload (whose consistency with the count only a full decode proves).
pub fn block_value_count(block: &[u8]) -> Result<u32, EncodingError> {
    let b = open_block(block)?;
    match tag_error(b.tag, "any") {
        EncodingError::UnknownTag(tag) => Err(EncodingError::UnknownTag(tag)),
        _ => Ok(b.count),
    }
}

// ---------------------------------------------------------------------------------------------
// Block framing
// ---------------------------------------------------------------------------------------------

struct Block<'a> {
    tag: u8,
    count: u32,
    payload: &'a [u8],
}

fn check_count(len: usize) -> Result<u32, EncodingError> {
    match u32::try_from(len) {
        Ok(count) if count <= MAX_BLOCK_VALUES => Ok(count),
        _ => Err(EncodingError::TooLarge {
            what: "value count",
            size: len as u64,
            limit: u64::from(MAX_BLOCK_VALUES),
        }),
    }
}

fn begin_block(out: &mut Vec<u8>, tag: u8, count: u32) -> usize {
    let start = out.len();
    out.push(tag);
    out.extend_from_slice(&count.to_le_bytes());
    start
}

fn finish_block(out: &mut Vec<u8>, start: usize) {
    let crc = crc32fast::hash(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_le_bytes());
}

fn open_block(block: &[u8]) -> Result<Block<'_>, EncodingError> {
    if block.len() < HEADER + TRAILER {
        return Err(EncodingError::Truncated { at: block.len() });
    }
    let body_len = block.len() - TRAILER;
    let (body, crc) = block.split_at(body_len);
    let expected = u32::from_le_bytes(array4(crc, body_len)?);
    let actual = crc32fast::hash(body);
    if expected != actual {
        return Err(EncodingError::Checksum { expected, actual });
    }
    let (header, payload) = body.split_at(HEADER);
    let tag = header.first().copied().unwrap_or(0);
    let count = u32::from_le_bytes(array4(header.get(1..).unwrap_or_default(), 1)?);
    if count > MAX_BLOCK_VALUES {
        return Err(EncodingError::TooLarge {
            what: "value count",
            size: u64::from(count),
            limit: u64::from(MAX_BLOCK_VALUES),
        });
    }
    Ok(Block {
        tag,
        count,
        payload,
    })
}

fn array4(bytes: &[u8], at: usize) -> Result<[u8; 4], EncodingError> {
    bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(EncodingError::Truncated {
            at: at + bytes.len(),
        })
}

/// The empty result for a `count == 0` block, whose payload must be empty.
fn empty<T>(b: &Block<'_>) -> Result<Vec<T>, EncodingError> {
    if b.payload.is_empty() {
        Ok(Vec::new())
    } else {
        Err(EncodingError::Malformed {
            at: HEADER,
            reason: "payload present in an empty block",
        })
    }
}

fn tag_error(tag: u8, expected: &'static str) -> EncodingError {
    match tag {
        TAG_TS_RLE | TAG_TS_DOD | TAG_FLOAT_GORILLA | TAG_FLOAT_DECIMAL | TAG_INT_RLE
        | TAG_INT_DELTA | TAG_INT_RANS | TAG_UINT_RLE | TAG_UINT_DELTA | TAG_UINT_RANS
        | TAG_BOOL_PACKED | TAG_STRING_LZ4 => EncodingError::WrongType { tag, expected },
        _ => EncodingError::UnknownTag(tag),
    }
}

/// Initial capacity for `count` values decoded from `payload_len` bytes when one byte yields
/// at most `per_byte` values: never more than the input can justify.
fn capacity(count: u32, payload_len: usize, per_byte: usize) -> usize {
    (count as usize).min(payload_len.saturating_mul(per_byte).saturating_add(1))
}

// ---------------------------------------------------------------------------------------------
// Integers: RLE and delta + zigzag + simple8b
// ---------------------------------------------------------------------------------------------

/// The common delta if `values` is non-empty and all consecutive deltas are equal.
fn constant_delta(values: &[i64]) -> Option<i64> {
    match values {
        [] => None,
        [_] => Some(0),
        [a, b, ..] => {
            let delta = b.wrapping_sub(*a);
            values
                .windows(2)
                .all(|w| matches!(w, [x, y] if y.wrapping_sub(*x) == delta))
                .then_some(delta)
        }
    }
}

fn write_rle(values: &[i64], delta: i64, out: &mut Vec<u8>) {
    if let Some(first) = values.first() {
        out.extend_from_slice(&first.to_le_bytes());
        write_varint(zigzag(delta), out);
    }
}

fn decode_rle(b: &Block<'_>) -> Result<Vec<i64>, EncodingError> {
    if b.count == 0 {
        return empty(b);
    }
    let mut r = Reader::new(b.payload, HEADER);
    let first = r.i64()?;
    let delta = unzigzag(r.varint()?);
    r.finish()?;
    let mut out = Vec::with_capacity(b.count as usize);
    let mut v = first;
    for _ in 0..b.count {
        out.push(v);
        v = v.wrapping_add(delta);
    }
    Ok(out)
}

/// The three tags of one integer-like type.
#[derive(Clone, Copy)]
struct IntTags {
    rle: u8,
    delta: u8,
    rans: u8,
    what: &'static str,
}

const INT_TAGS: IntTags = IntTags {
    rle: TAG_INT_RLE,
    delta: TAG_INT_DELTA,
    rans: TAG_INT_RANS,
    what: "integer",
};

const UINT_TAGS: IntTags = IntTags {
    rle: TAG_UINT_RLE,
    delta: TAG_UINT_DELTA,
    rans: TAG_UINT_RANS,
    what: "unsigned",
};

/// RLE if the deltas are constant, else the smaller of simple8b and rANS of the zigzag
/// deltas (simple8b on a tie: it decodes faster).
fn encode_int_like(values: &[i64], tags: IntTags, out: &mut Vec<u8>) -> Result<(), EncodingError> {
    let count = check_count(values.len())?;
    if let Some(delta) = constant_delta(values) {
        let start = begin_block(out, tags.rle, count);
        write_rle(values, delta, out);
        finish_block(out, start);
        return Ok(());
    }
    let zs = zigzag_deltas(values);
    let start = begin_block(out, tags.delta, count);
    s8b_encode(&zs, out);
    let s8b_len = out.len() - start;
    let mut rans = Vec::with_capacity(s8b_len);
    let rstart = begin_block(&mut rans, tags.rans, count);
    rans_encode_values(&zs, &mut rans);
    if rans.len() - rstart < s8b_len {
        out.truncate(start);
        out.extend_from_slice(&rans);
    }
    finish_block(out, start);
    Ok(())
}

fn decode_int_like(block: &[u8], tags: IntTags) -> Result<Vec<i64>, EncodingError> {
    let b = open_block(block)?;
    if b.tag == tags.rle {
        return decode_rle(&b);
    }
    let mut prev = 0i64;
    if b.tag == tags.rans {
        if b.count == 0 {
            return empty(&b);
        }
        // Like RLE, a rANS block may code a value in less than a bit: the allocation is
        // bounded by the count cap, not by the payload.
        let mut r = Reader::new(b.payload, HEADER);
        let first = unzigzag(r.varint()?);
        let mut out = Vec::with_capacity(b.count as usize);
        out.push(first);
        if b.count == 1 {
            r.finish()?;
        } else {
            rans_decode(r.remaining(), r.offset(), b.count - 1, first, &mut out)?;
        }
        return Ok(out);
    }
    if b.tag != tags.delta {
        return Err(tag_error(b.tag, tags.what));
    }
    let mut out = Vec::with_capacity(capacity(b.count, b.payload.len(), 30));
    s8b_decode(b.payload, HEADER, b.count, |z| {
        prev = prev.wrapping_add(unzigzag(z));
        out.push(prev);
    })?;
    Ok(out)
}

/// `zigzag(v) = (v << 1) ^ (v >> 63)`: small magnitudes of either sign become small values.
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// The inverse of [`zigzag`].
pub(crate) fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// simple8b selectors 0..=14: (values per word, bits per value). Selector 15 is the raw escape.
const S8B: [(usize, u32); 15] = [
    (240, 0),
    (60, 1),
    (30, 2),
    (20, 3),
    (15, 4),
    (12, 5),
    (10, 6),
    (8, 7),
    (7, 8),
    (6, 10),
    (5, 12),
    (4, 15),
    (3, 20),
    (2, 30),
    (1, 60),
];
const S8B_RAW: u64 = 15;

fn s8b_encode(values: &[u64], out: &mut Vec<u8>) {
    let mut rest = values;
    while !rest.is_empty() {
        let chosen = S8B.iter().enumerate().find_map(|(sel, &(n, bits))| {
            let take = n.min(rest.len());
            let window = rest.get(..take)?;
            window
                .iter()
                .all(|&v| v >> bits == 0)
                .then_some((sel as u64, bits, window))
        });
        match chosen {
            Some((sel, bits, window)) => {
                let mut word = sel << 60;
                for (j, &v) in window.iter().enumerate() {
                    if bits > 0 {
                        word |= v << (bits * j as u32);
                    }
                }
                out.extend_from_slice(&word.to_le_bytes());
                rest = rest.get(window.len()..).unwrap_or_default();
            }
            None => {
                let (&v, tail) = match rest.split_first() {
                    Some(split) => split,
                    None => break,
                };
                out.extend_from_slice(&(S8B_RAW << 60).to_le_bytes());
                out.extend_from_slice(&v.to_le_bytes());
                rest = tail;
            }
        }
    }
}

/// Decodes exactly `count` simple8b values from `data` (which must hold nothing else),
/// calling `f` for each. `base` is `data`'s offset in the block, for errors.
fn s8b_decode(
    data: &[u8],
    base: usize,
    count: u32,
    mut f: impl FnMut(u64),
) -> Result<(), EncodingError> {
    let mut r = Reader::new(data, base);
    let mut left = count as usize;
    while left > 0 {
        let at = r.offset();
        let word = r.u64()?;
        let sel = word >> 60;
        if sel == S8B_RAW {
            if word << 4 != 0 {
                return Err(EncodingError::Malformed {
                    at,
                    reason: "simple8b escape word has payload bits",
                });
            }
            f(r.u64()?);
            left -= 1;
            continue;
        }
        let (n, bits) = S8B.get(sel as usize).copied().unwrap_or((1, 60));
        let mask = (1u64 << bits) - 1;
        let take = n.min(left);
        for j in 0..take {
            f((word >> (bits * j as u32)) & mask);
        }
        left -= take;
    }
    r.finish()
}

// ---------------------------------------------------------------------------------------------
// Integers: delta + zigzag + static rANS
// ---------------------------------------------------------------------------------------------

/// Probabilities are multiples of `1 / 2^RANS_SCALE_BITS`.
const RANS_SCALE_BITS: u32 = 12;
/// Sum of a rANS frequency table.
const RANS_TOTAL: u32 = 1 << RANS_SCALE_BITS;
/// Lower bound of the normalised rANS state; the encoder starts (and the decoder must end)
/// here. States live in `[RANS_LOW, 2^32)` and are renormalised 16 bits at a time.
const RANS_LOW: u32 = 1 << 16;
/// Symbols below this stand for the zigzag value itself, with no extra bits.
const RANS_LITERALS: u8 = 16;
/// Alphabet size: the literals, then two symbols per bit length 5..=64.
const RANS_SYMBOLS: usize = RANS_LITERALS as usize + 2 * 60;

/// The rANS symbol of a zigzag value and the extra bits that complete it: values below
/// [`RANS_LITERALS`] are their own symbol; a value of bit length `n >= 5` is symbol
/// `16 + 2·(n − 5) + b`, where `b` is the bit below the leading one, followed by its low
/// `n − 2` bits.
fn rans_symbol(z: u64) -> (u8, u32, u64) {
    if z < u64::from(RANS_LITERALS) {
        return (z as u8, 0, 0);
    }
    let n = 64 - z.leading_zeros(); // 5..=64
    let second = (z >> (n - 2)) & 1;
    let sym = u32::from(RANS_LITERALS) + 2 * (n - 5) + second as u32;
    let extra = n - 2;
    (sym as u8, extra, z & ((1u64 << extra) - 1))
}

/// Per symbol: the number of extra bits and the value they are added to (inverse of
/// [`rans_symbol`]). Indexed by any `u8`; entries past the alphabet are unused.
struct RansSymbols {
    extra: [u8; 256],
    base: [u64; 256],
}

const RANS_SYMBOL_TABLE: RansSymbols = {
    let mut extra = [0u8; 256];
    let mut base = [0u64; 256];
    let mut s = 0usize;
    while s < RANS_SYMBOLS {
        if s < RANS_LITERALS as usize {
            base[s] = s as u64;
        } else {
            let k = (s - RANS_LITERALS as usize) as u32;
            let n = k / 2 + 5;
            extra[s] = (n - 2) as u8;
            base[s] = (2 | (k as u64 & 1)) << (n - 2);
        }
        s += 1;
    }
    RansSymbols { extra, base }
};

/// Scales symbol counts (over `total` values, `total >= 1`) to frequencies summing to
/// [`RANS_TOTAL`], every used symbol keeping at least 1, choosing each adjustment by its
/// cost in coded bits.
fn rans_normalize(counts: &[u32; 256], total: u32) -> [u32; 256] {
    let mut freq = [0u32; 256];
    let mut sum = 0u32;
    for (f, &c) in freq.iter_mut().zip(counts.iter()) {
        if c > 0 {
            *f = ((u64::from(c) * u64::from(RANS_TOTAL) / u64::from(total)) as u32).max(1);
            sum += *f;
        }
    }
    // At most one adjustment per used symbol in either direction (flooring loses < 1 each,
    // the minimum of 1 adds < 1 each), so these loops are short.
    while sum < RANS_TOTAL {
        let best = counts
            .iter()
            .zip(freq.iter())
            .enumerate()
            .filter(|(_, (&c, _))| c > 0)
            .map(|(i, (&c, &f))| (i, f64::from(c) * (f64::from(f + 1) / f64::from(f)).ln()))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best.and_then(|(i, _)| freq.get_mut(i)) {
            Some(f) => *f += 1,
            None => break,
        }
        sum += 1;
    }
    while sum > RANS_TOTAL {
        let best = counts
            .iter()
            .zip(freq.iter())
            .enumerate()
            .filter(|(_, (_, &f))| f > 1)
            .map(|(i, (&c, &f))| (i, f64::from(c) * (f64::from(f) / f64::from(f - 1)).ln()))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best.and_then(|(i, _)| freq.get_mut(i)) {
            Some(f) => *f -= 1,
            None => break,
        }
        sum -= 1;
    }
    freq
}

/// Appends the payload of format `0x32` for the zigzag deltas `zs` (non-empty, `v[-1] = 0`):
/// the first as a varint, the rest rANS coded.
fn rans_encode_values(zs: &[u64], out: &mut Vec<u8>) {
    if let Some((&first, rest)) = zs.split_first() {
        write_varint(first, out);
        if !rest.is_empty() {
            rans_encode(rest, out);
        }
    }
}

/// Appends the rANS part of a `0x32` payload for the zigzag deltas `zs` (non-empty).
fn rans_encode(zs: &[u64], out: &mut Vec<u8>) {
    let mut syms = Vec::with_capacity(zs.len());
    let mut counts = [0u32; 256];
    let mut extra = Vec::new();
    let mut bits = LsbBitWriter::new(&mut extra);
    for &z in zs {
        let (s, n, e) = rans_symbol(z);
        syms.push(s);
        counts[usize::from(s)] += 1;
        bits.write(e, n);
    }
    bits.finish();
    let freq = rans_normalize(&counts, zs.len() as u32);
    let used = freq.iter().rposition(|&f| f > 0).map_or(0, |i| i + 1);
    let mut cum = [0u32; 256];
    let mut acc = 0u32;
    for (c, &f) in cum.iter_mut().zip(freq.iter()) {
        *c = acc;
        acc += f;
    }
    out.push(used as u8);
    for &f in freq.iter().take(used) {
        write_varint(u64::from(f), out);
    }
    write_varint(extra.len() as u64, out);
    out.extend_from_slice(&extra);
    // Symbols are coded last to first so the decoder reads them first to last; the words
    // come out in reverse order too.
    let mut x = u64::from(RANS_LOW);
    let mut rev: Vec<u16> = Vec::with_capacity(zs.len() / 4 + 4);
    for &s in syms.iter().rev() {
        let f = u64::from(freq[usize::from(s)]);
        let c = u64::from(cum[usize::from(s)]);
        // Keeps the next state below 2^32; one 16-bit step always suffices.
        if x >= (u64::from(RANS_LOW) >> RANS_SCALE_BITS << 16) * f {
            rev.push(x as u16);
            x >>= 16;
        }
        x = ((x / f) << RANS_SCALE_BITS) + (x % f) + c;
    }
    out.extend_from_slice(&(x as u32).to_le_bytes());
    for w in rev.iter().rev() {
        out.extend_from_slice(&w.to_le_bytes());
    }
}

/// Decodes the rANS part of a `0x32`/`0x42` payload (`payload`, at block offset `base`):
/// `count` (>= 1) zigzag deltas, each added to the previous value starting from `prev`, onto
/// `out`.
fn rans_decode(
    payload: &[u8],
    base: usize,
    count: u32,
    prev: i64,
    out: &mut Vec<i64>,
) -> Result<(), EncodingError> {
    let mut r = Reader::new(payload, base);
    let used_at = r.offset();
    let [used] = r.bytes::<1>()?;
    let used = usize::from(used);
    if used == 0 || used > RANS_SYMBOLS {
        return Err(EncodingError::Malformed {
            at: used_at,
            reason: "rANS symbol count out of range",
        });
    }
    // Per slot of the total: `(freq − 1) | (slot − cum) << 12 | symbol << 24`, so decoding a
    // symbol is one table load.
    let mut lut = [0u32; RANS_TOTAL as usize];
    let mut acc = 0u32;
    for s in 0..used {
        let at = r.offset();
        let fs = r.varint()?;
        if fs > u64::from(RANS_TOTAL - acc) {
            return Err(EncodingError::Malformed {
                at,
                reason: "rANS frequencies exceed the total",
            });
        }
        let fs = fs as u32;
        if let Some(slots) = lut.get_mut(acc as usize..(acc + fs) as usize) {
            for (bias, slot) in slots.iter_mut().enumerate() {
                *slot = (fs - 1) | (bias as u32) << RANS_SCALE_BITS | (s as u32) << 24;
            }
        }
        acc += fs;
    }
    if acc != RANS_TOTAL {
        return Err(EncodingError::Malformed {
            at: r.offset(),
            reason: "rANS frequencies do not sum to the total",
        });
    }
    let extra_len = r.varint()?;
    let extra_at = r.offset();
    let extra = r
        .remaining()
        .get(..usize::try_from(extra_len).unwrap_or(usize::MAX))
        .ok_or(EncodingError::Truncated {
            at: base + payload.len(),
        })?;
    r.pos += extra.len();
    let mut bits = LsbBitReader::new(extra, extra_at);
    let state_at = r.offset();
    let mut x = u64::from(r.u32()?);
    if x < u64::from(RANS_LOW) {
        return Err(EncodingError::Malformed {
            at: state_at,
            reason: "rANS state out of range",
        });
    }
    let stream_at = r.offset();
    let stream = r.remaining();
    let mut pos = 0usize;
    let table = &RANS_SYMBOL_TABLE;
    let start = out.len();
    out.resize(start + count as usize, 0);
    let mut prev = prev;
    let low = u64::from(RANS_LOW);
    for o in out.get_mut(start..).unwrap_or_default() {
        // x < 2^32, so the slot indexes the table and the new state stays below 2^32.
        let e = lut[(x & u64::from(RANS_TOTAL - 1)) as usize];
        let s = (e >> 24) as usize;
        x = u64::from((e & 0xfff) + 1) * (x >> RANS_SCALE_BITS) + u64::from((e >> 12) & 0xfff);
        // Branch-free renormalisation: read the next word whether or not it is needed and
        // advance only if it was; a read past the end yields 0 and is caught after the loop.
        let word = stream
            .get(pos..pos + 2)
            .map_or(0, |w| u64::from(w[0]) | u64::from(w[1]) << 8);
        let need = x < low;
        x = if need { x << 16 | word } else { x };
        pos += usize::from(need) << 1;
        let n = u32::from(table.extra[s]);
        let z = if n == 0 {
            table.base[s]
        } else {
            table.base[s] | bits.read(n)?
        };
        prev = prev.wrapping_add(unzigzag(z));
        *o = prev;
    }
    if pos > stream.len() {
        return Err(EncodingError::Truncated {
            at: base + payload.len(),
        });
    }
    if pos != stream.len() {
        return Err(EncodingError::Malformed {
            at: stream_at + pos,
            reason: "trailing bytes after the last value",
        });
    }
    if x != low {
        return Err(EncodingError::Malformed {
            at: stream_at + pos,
            reason: "rANS stream does not end in its initial state",
        });
    }
    bits.finish()
}

/// Writes bits least significant first: the first bit is bit 0 of the first byte.
struct LsbBitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    used: u32,
}

impl<'a> LsbBitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        LsbBitWriter {
            out,
            acc: 0,
            used: 0,
        }
    }

    /// Writes the low `bits` (≤ 64) bits of `value`.
    fn write(&mut self, value: u64, bits: u32) {
        let mut v = value;
        let mut n = bits;
        while n > 0 {
            let take = n.min(32);
            self.acc |= (v & ((1u64 << take) - 1)) << self.used;
            self.used += take;
            while self.used >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.used -= 8;
            }
            v >>= take;
            n -= take;
        }
    }

    /// Flushes the last partial byte (zero padded).
    fn finish(self) {
        if self.used > 0 {
            self.out.push(self.acc as u8);
        }
    }
}

/// Reads bits least significant first from untrusted bytes.
struct LsbBitReader<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    avail: u32,
    base: usize,
}

impl<'a> LsbBitReader<'a> {
    fn new(data: &'a [u8], base: usize) -> Self {
        LsbBitReader {
            data,
            pos: 0,
            acc: 0,
            avail: 0,
            base,
        }
    }

    /// Reads `bits` (≤ 64) bits.
    fn read(&mut self, bits: u32) -> Result<u64, EncodingError> {
        let mut out = 0u64;
        let mut got = 0u32;
        let mut n = bits;
        while n > 0 {
            let take = n.min(32);
            while self.avail < take {
                let byte = *self.data.get(self.pos).ok_or(EncodingError::Truncated {
                    at: self.base + self.data.len(),
                })?;
                self.pos += 1;
                self.acc |= u64::from(byte) << self.avail;
                self.avail += 8;
            }
            out |= (self.acc & ((1u64 << take) - 1)) << got;
            self.acc >>= take;
            self.avail -= take;
            got += take;
            n -= take;
        }
        Ok(out)
    }

    /// Succeeds only if every byte was read and the unread padding bits are zero.
    fn finish(&self) -> Result<(), EncodingError> {
        if self.pos != self.data.len() {
            return Err(EncodingError::Malformed {
                at: self.base + self.pos,
                reason: "trailing bytes after the last extra bits",
            });
        }
        if self.acc != 0 {
            return Err(EncodingError::Malformed {
                at: self.base + self.pos.saturating_sub(1),
                reason: "padding bits are not zero",
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Byte and bit readers / writers
// ---------------------------------------------------------------------------------------------

/// Appends `v` as an unsigned LEB128 varint (see the module doc).
pub(crate) fn write_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bounds-checked cursor over untrusted bytes.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Offset of `data` within the block, for error positions.
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], base: usize) -> Self {
        Reader { data, pos: 0, base }
    }

    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], EncodingError> {
        let got: Option<[u8; N]> = self
            .data
            .get(self.pos..self.pos.saturating_add(N))
            .and_then(|s| s.try_into().ok());
        match got {
            Some(b) => {
                self.pos += N;
                Ok(b)
            }
            None => Err(EncodingError::Truncated {
                at: self.base + self.data.len(),
            }),
        }
    }

    fn u32(&mut self) -> Result<u32, EncodingError> {
        self.bytes::<4>().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, EncodingError> {
        self.bytes::<8>().map(u64::from_le_bytes)
    }

    fn i64(&mut self) -> Result<i64, EncodingError> {
        self.bytes::<8>().map(i64::from_le_bytes)
    }

    fn varint(&mut self) -> Result<u64, EncodingError> {
        let start = self.offset();
        let mut v = 0u64;
        for i in 0..10u32 {
            let byte = *self.data.get(self.pos).ok_or(EncodingError::Truncated {
                at: self.base + self.data.len(),
            })?;
            self.pos += 1;
            if i == 9 && byte > 1 {
                break;
            }
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(EncodingError::Malformed {
            at: start,
            reason: "varint longer than 64 bits",
        })
    }

    /// Succeeds only if every byte was consumed.
    fn finish(&self) -> Result<(), EncodingError> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(EncodingError::Malformed {
                at: self.offset(),
                reason: "trailing bytes after the last value",
            })
        }
    }
}

/// Writes bits most significant first.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    cur: u8,
    used: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            cur: 0,
            used: 0,
        }
    }

    /// Writes the low `bits` (≤ 64) bits of `value`.
    fn write(&mut self, value: u64, bits: u32) {
        let mut remaining = bits;
        while remaining > 0 {
            let free = 8 - self.used;
            let take = free.min(remaining);
            let shift = remaining - take;
            let chunk = ((value >> shift) & ((1u64 << take) - 1)) as u8;
            self.cur |= chunk << (free - take);
            self.used += take;
            remaining -= take;
            if self.used == 8 {
                self.out.push(self.cur);
                self.cur = 0;
                self.used = 0;
            }
        }
    }

    fn finish(self) {
        if self.used > 0 {
            self.out.push(self.cur);
        }
    }
}

/// Reads bits most significant first from untrusted bytes.
struct BitReader<'a> {
    data: &'a [u8],
    bit: usize,
    base: usize,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8], base: usize) -> Self {
        BitReader { data, bit: 0, base }
    }

    fn byte_offset(&self) -> usize {
        self.base + self.bit / 8
    }

    /// Reads `bits` (≤ 64) bits.
    fn read(&mut self, bits: u32) -> Result<u64, EncodingError> {
        let mut v = 0u64;
        let mut remaining = bits;
        while remaining > 0 {
            let byte = *self
                .data
                .get(self.bit / 8)
                .ok_or(EncodingError::Truncated {
                    at: self.base + self.data.len(),
                })?;
            let avail = 8 - (self.bit % 8) as u32;
            let take = avail.min(remaining);
            let chunk = (u32::from(byte) >> (avail - take)) & ((1u32 << take) - 1);
            v = (v << take) | u64::from(chunk);
            self.bit += take as usize;
            remaining -= take;
        }
        Ok(v)
    }

    /// Succeeds only if nothing but zero padding bits follows.
    fn finish(&self) -> Result<(), EncodingError> {
        let used_bytes = self.bit.div_ceil(8);
        if used_bytes != self.data.len() {
            return Err(EncodingError::Malformed {
                at: self.base + used_bytes,
                reason: "trailing bytes after the last value",
            });
        }
        let pad = (8 - self.bit % 8) % 8;
        let last = self.data.last().copied().unwrap_or(0);
        if pad > 0 && last & ((1u8 << pad) - 1) != 0 {
            return Err(EncodingError::Malformed {
                at: self.base + used_bytes - 1,
                reason: "padding bits are not zero",
            });
        }
        Ok(())
    }
}
