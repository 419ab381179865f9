use super::*;
use proptest::prelude::*;

use crate::testing::Rng;

fn ts_block(v: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_timestamps(v, &mut out).expect("encode");
    out
}

fn float_block(v: &[f64]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_floats(v, &mut out).expect("encode");
    out
}

fn int_block(v: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_integers(v, &mut out).expect("encode");
    out
}

fn uint_block(v: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_unsigned(v, &mut out).expect("encode");
    out
}

fn bool_block(v: &[bool]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_bools(v, &mut out).expect("encode");
    out
}

fn string_block(v: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_strings(v, &mut out).expect("encode");
    out
}

/// A block in the rANS form whatever its size (`encode_integers` picks the smallest form).
fn rans_block(tag: u8, v: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    let start = begin_block(&mut out, tag, check_count(v.len()).expect("count"));
    if !v.is_empty() {
        rans_encode_values(&zigzag_deltas(v), &mut out);
    }
    finish_block(&mut out, start);
    out
}

/// Checks `v` round-trips through the forced rANS form, as integers and as unsigned.
fn check_rans(v: &[i64]) -> usize {
    let block = rans_block(TAG_INT_RANS, v);
    assert_eq!(decode_integers(&block).expect("decode"), v);
    let ublock = rans_block(TAG_UINT_RANS, v);
    let back: Vec<i64> = decode_unsigned(&ublock)
        .expect("decode")
        .into_iter()
        .map(|u| u as i64)
        .collect();
    assert_eq!(back, v);
    check_ints(v);
    block.len()
}

/// A standard normal sample (Box-Muller).
fn gauss(rng: &mut Rng) -> f64 {
    let u1 = (rng.below(1 << 53) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = rng.below(1 << 53) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// TSBS cpu-only integers: a random walk of N(0,1) steps clamped to [0, 100], truncated.
fn tsbs_ints(rng: &mut Rng, n: usize) -> Vec<i64> {
    let mut x = rng.below(100) as f64;
    (0..n)
        .map(|_| {
            x = (x + gauss(rng)).clamp(0.0, 100.0);
            x as i64
        })
        .collect()
}

fn check_ts(v: &[i64]) -> usize {
    let block = ts_block(v);
    assert_eq!(decode_timestamps(&block).expect("decode"), v);
    block.len()
}

fn check_floats(v: &[f64]) -> usize {
    let block = float_block(v);
    let back = decode_floats(&block).expect("decode");
    let bits = |s: &[f64]| s.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back), bits(v));
    block.len()
}

fn check_ints(v: &[i64]) -> usize {
    let block = int_block(v);
    assert_eq!(decode_integers(&block).expect("decode"), v);
    block.len()
}

fn check_uints(v: &[u64]) -> usize {
    let block = uint_block(v);
    assert_eq!(decode_unsigned(&block).expect("decode"), v);
    block.len()
}

fn check_bools(v: &[bool]) -> usize {
    let block = bool_block(v);
    assert_eq!(decode_bools(&block).expect("decode"), v);
    block.len()
}

fn check_strings(v: &[&[u8]]) -> usize {
    let block = string_block(v);
    let back = decode_strings(&block).expect("decode");
    assert_eq!(back.len(), v.len());
    for (a, b) in back.iter().zip(v) {
        assert_eq!(a.as_slice(), *b);
    }
    let (data, ends) = decode_strings_flat(&block).expect("decode flat");
    assert_eq!(data, v.concat());
    assert_eq!(ends.len(), v.len());
    block.len()
}

/// Recomputes the CRC of a hand-edited block.
fn reseal(mut block: Vec<u8>) -> Vec<u8> {
    let body = block.len() - 4;
    block.truncate(body);
    let crc = crc32fast::hash(&block);
    block.extend_from_slice(&crc.to_le_bytes());
    block
}

/// Builds a block with a valid CRC from raw parts.
fn raw_block(tag: u8, count: u32, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![tag];
    b.extend_from_slice(&count.to_le_bytes());
    b.extend_from_slice(payload);
    b.extend_from_slice(&[0; 4]);
    reseal(b)
}

/// Runs every decoder on `block`; none may panic.
fn decode_all(block: &[u8]) -> [bool; 7] {
    [
        decode_timestamps(block).is_ok(),
        decode_floats(block).is_ok(),
        decode_integers(block).is_ok(),
        decode_unsigned(block).is_ok(),
        decode_bools(block).is_ok(),
        decode_strings(block).is_ok(),
        decode_strings_flat(block).is_ok(),
    ]
}

// ---- edge values ------------------------------------------------------------------------------

#[test]
fn empty_columns_round_trip() {
    assert_eq!(check_ts(&[]), 9);
    assert_eq!(check_floats(&[]), 9);
    assert_eq!(check_ints(&[]), 9);
    assert_eq!(check_uints(&[]), 9);
    assert_eq!(check_bools(&[]), 9);
    assert_eq!(check_strings(&[]), 9);
}

#[test]
fn single_values_round_trip() {
    for v in [0, 1, -1, i64::MIN, i64::MAX, 1_700_000_000_000_000_000] {
        check_ts(&[v]);
        check_ints(&[v]);
        check_uints(&[v as u64]);
    }
    for v in [
        0.0,
        -0.0,
        1.5,
        f64::NAN,
        f64::INFINITY,
        f64::MIN_POSITIVE / 4.0,
    ] {
        check_floats(&[v]);
    }
    check_bools(&[true]);
    check_bools(&[false]);
    check_strings(&[b""]);
    check_strings(&[b"x"]);
}

#[test]
fn timestamp_extremes_round_trip() {
    check_ts(&[i64::MIN, i64::MAX]);
    check_ts(&[i64::MIN, 0, i64::MAX]);
    check_ts(&[i64::MIN, i64::MIN + 1, i64::MAX - 1, i64::MAX]);
    check_ts(&[i64::MAX, i64::MIN, i64::MAX, 0, -1, i64::MIN]);
    // Constant delta that wraps around.
    let wrapping: Vec<i64> = (0..10)
        .map(|i: i64| i64::MAX.wrapping_add(i.wrapping_mul(i64::MAX)))
        .collect();
    check_ts(&wrapping);
    check_ints(&wrapping);
}

#[test]
fn integer_extremes_round_trip() {
    check_ints(&[i64::MIN, i64::MAX, 0, i64::MIN, -1, 1, i64::MAX, i64::MAX]);
    check_ints(&[i64::MAX; 300]);
    check_ints(&[i64::MIN; 7]);
    check_uints(&[
        u64::MAX,
        0,
        u64::MAX,
        1,
        u64::MAX - 1,
        1 << 63,
        (1 << 63) - 1,
    ]);
    check_uints(&[u64::MAX; 500]);
    // Values needing the simple8b raw escape (≥ 2^60 after zigzag) mixed with small ones.
    check_ints(&[0, 1 << 62, 0, 3, -(1 << 61), 5, 5, 5]);
}

#[test]
fn special_floats_round_trip_bit_exact() {
    let quiet_nan_payload = f64::from_bits(0x7ff8_0000_dead_beef);
    let signalling_nan = f64::from_bits(0x7ff0_0000_0000_0001);
    let negative_nan = f64::from_bits(0xfff8_0000_0000_0000);
    let v = [
        f64::NAN,
        quiet_nan_payload,
        signalling_nan,
        negative_nan,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        0.0,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        -f64::from_bits(1),
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1.0,
        1.0,
        -1.0,
    ];
    check_floats(&v);
    let mut rev = v;
    rev.reverse();
    check_floats(&rev);
}

#[test]
fn decimal_floats_round_trip_and_fall_back() {
    let cases: [&[f64]; 7] = [
        &[1.0, 2.0, 3.5, 1e15, -7.0],
        &[0.01, 0.02, 99.99, -0.01],
        &[123_456.789, 0.000_000_001, 5.0],
        &[0.0, -0.0, 0.0],
        &[1.25, f64::NAN, 2.5],
        &[1e300, 1.0],
        &[0.1 + 0.2, 0.3],
    ];
    for v in cases {
        check_floats(v);
    }
    assert_eq!(
        float_block(&[0.5; 3]).first(),
        Some(&TAG_FLOAT_GORILLA),
        "smaller wins"
    );
}

#[test]
fn bools_round_trip_all_lengths() {
    let mut rng = Rng(7);
    for n in 0..70 {
        let v: Vec<bool> = (0..n).map(|_| rng.below(2) == 1).collect();
        check_bools(&v);
        check_bools(&vec![true; n]);
    }
}

#[test]
fn strings_round_trip() {
    check_strings(&[b"", b"", b""]);
    check_strings(&[b"host_0", b"", b"host_1", "ünïcødé".as_bytes(), b"\0\xff"]);
    let big: Vec<u8> = (0..(1 << 20)).map(|i: u32| (i % 251) as u8).collect();
    let len = check_strings(&[big.as_slice(), b"tail"]);
    assert!(
        len < big.len() / 4,
        "1 MiB periodic string took {len} bytes"
    );
    let mut rng = Rng(3);
    let noise: Vec<u8> = (0..(1 << 20)).map(|_| rng.next() as u8).collect();
    check_strings(&[noise.as_slice()]);
}

#[test]
fn regular_timestamps_use_rle() {
    let start = 1_700_000_000_000_000_000i64;
    let ts: Vec<i64> = (0..10_000).map(|i| start + i * 10_000_000_000).collect();
    let block = ts_block(&ts);
    assert_eq!(block.first(), Some(&TAG_TS_RLE));
    assert!(block.len() < 32, "RLE block is {} bytes", block.len());
    assert_eq!(decode_timestamps(&block).expect("decode"), ts);
}

#[test]
fn random_walks_round_trip() {
    let mut rng = Rng(42);
    let mut t = 1_600_000_000_000_000_000i64;
    let mut i = 0i64;
    let mut u = 0u64;
    let mut f = 50.0f64;
    let (mut ts, mut ints, mut uints, mut floats) = (vec![], vec![], vec![], vec![]);
    for _ in 0..5000 {
        t += 1_000_000_000 + rng.below(2_000_000) as i64 - 1_000_000;
        i = i.wrapping_add(rng.below(2001) as i64 - 1000);
        u = u.wrapping_add(rng.below(1 << 40)).wrapping_sub(1 << 39);
        f += (rng.below(2001) as f64 - 1000.0) / 100.0;
        ts.push(t);
        ints.push(i);
        uints.push(u);
        floats.push(f);
    }
    check_ts(&ts);
    check_ints(&ints);
    check_uints(&uints);
    check_floats(&floats);
}

#[test]
fn rans_round_trips_edge_values() {
    let mut rng = Rng(7);
    let alternating: Vec<i64> = (0..500)
        .map(|i| if i % 2 == 0 { i64::MIN } else { i64::MAX })
        .collect();
    let random: Vec<i64> = (0..2000).map(|_| rng.next() as i64).collect();
    let small: Vec<i64> = (0..3000).map(|_| rng.below(7) as i64 - 3).collect();
    let mixed: Vec<i64> = (0..3000)
        .map(|i| match i % 97 {
            0 => rng.next() as i64,
            1 => i64::MIN,
            _ => rng.below(40) as i64,
        })
        .collect();
    for v in [
        vec![0],
        vec![i64::MIN],
        vec![i64::MAX],
        vec![-1],
        vec![i64::MIN, i64::MAX],
        vec![i64::MAX, i64::MIN, 0],
        vec![7; 100],
        vec![i64::MIN; 100],
        (0..16).collect(),
        (0..64).map(|b| 1i64 << b).collect(),
        (0..64).map(|b| (1i64 << b).wrapping_neg()).collect(),
        alternating,
        random,
        small,
        mixed,
        tsbs_ints(&mut rng, 1000),
    ] {
        check_rans(&v);
    }
    let uints = [
        vec![u64::MAX],
        vec![u64::MAX, 0, u64::MAX, 1],
        vec![u64::MAX; 3],
    ];
    for v in uints {
        let signed: Vec<i64> = v.iter().map(|&u| u as i64).collect();
        let block = rans_block(TAG_UINT_RANS, &signed);
        assert_eq!(decode_unsigned(&block).expect("decode"), v);
        check_uints(&v);
    }
    // Every symbol and extra-bit length: zigzag values 0..16 and 2^k + {0, 2^(k-1)} + low bits.
    let mut zs: Vec<u64> = (0..16).collect();
    for n in 5..=64u32 {
        for second in 0..2u64 {
            let top = (2 | second) << (n - 2);
            zs.push(top);
            zs.push(top | ((1u64 << (n - 2)) - 1));
        }
    }
    let mut out = Vec::new();
    rans_encode(&zs, &mut out);
    let mut back = Vec::new();
    rans_decode(&out, HEADER, zs.len() as u32, 0, &mut back).expect("decode");
    let mut prev = 0i64;
    let want: Vec<i64> = zs
        .iter()
        .map(|&z| {
            prev = prev.wrapping_add(unzigzag(z));
            prev
        })
        .collect();
    assert_eq!(back, want);
    for &z in &zs {
        let (s, n, e) = rans_symbol(z);
        assert!(usize::from(s) < RANS_SYMBOLS);
        let t = &RANS_SYMBOL_TABLE;
        assert_eq!(u32::from(t.extra[usize::from(s)]), n);
        assert_eq!(t.base[usize::from(s)] | e, z);
    }
}

#[test]
fn rans_normalize_keeps_every_symbol_and_the_total() {
    let mut rng = Rng(3);
    for round in 0..200 {
        let mut counts = [0u32; 256];
        let used = 1 + rng.below(RANS_SYMBOLS as u64) as usize;
        let mut total = 0u32;
        for c in counts.iter_mut().take(used) {
            *c = match round % 3 {
                0 => rng.below(3) as u32,
                1 => rng.below(100_000) as u32,
                _ => 1 + rng.below(2) as u32 * 1_000_000,
            };
            total += *c;
        }
        if total == 0 {
            continue;
        }
        let freq = rans_normalize(&counts, total);
        assert_eq!(freq.iter().sum::<u32>(), RANS_TOTAL);
        for (c, f) in counts.iter().zip(freq.iter()) {
            assert_eq!(*c > 0, *f > 0, "counts {c} freq {f}");
        }
    }
}

#[test]
fn tsbs_integers_take_the_rans_form() {
    let mut rng = Rng(11);
    let v = tsbs_ints(&mut rng, 8192);
    let block = int_block(&v);
    assert_eq!(block.first(), Some(&TAG_INT_RANS));
    assert_eq!(decode_integers(&block).expect("decode"), v);
    let mut s8b = Vec::new();
    let start = begin_block(&mut s8b, TAG_INT_DELTA, v.len() as u32);
    s8b_encode(&zigzag_deltas(&v), &mut s8b);
    finish_block(&mut s8b, start);
    let bits = block.len() as f64 * 8.0 / v.len() as f64;
    println!(
        "TSBS integers, 8192 values: rANS {} bytes ({bits:.3} bits/value), simple8b {} bytes",
        block.len(),
        s8b.len()
    );
    // The deltas' entropy is ~2.15 bits (floor of a uniform offset plus N(0,1)).
    assert!(bits < 2.25, "{bits} bits/value");
    // Small values in few words: simple8b is smaller than any table.
    assert_eq!(int_block(&[1, 2, 4, 3]).first(), Some(&TAG_INT_DELTA));
}

// ---- golden bytes (pin the documented format) -------------------------------------------------

/// Asserts `block` is `body` followed by the CRC-32 of `body`.
fn assert_block(block: &[u8], body: &[u8]) {
    let mut want = body.to_vec();
    want.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    assert_eq!(block, want.as_slice());
}

#[test]
fn golden_bytes_match_the_format_doc() {
    // RLE timestamps: tag, count, first:i64, zvarint(10) = 20.
    assert_block(
        &ts_block(&[10, 20, 30]),
        &[0x10, 3, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 20],
    );
    // Delta-of-delta: first, then simple8b of zigzag(dod) = [zz(10), zz(5)] = [20, 10]:
    // 5 bits each -> selector 5 (12 x 5 bits).
    let word: u64 = 5 << 60 | 20 | 10 << 5;
    let mut body = vec![0x11, 3, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&word.to_le_bytes());
    assert_block(&ts_block(&[10, 20, 35]), &body);
    // Integers [1, -1, 2]: zigzag deltas [2, 3, 6] -> selector 3 (20 x 3 bits).
    let word: u64 = 3 << 60 | 2 | 3 << 3 | 6 << 6;
    let mut body = vec![0x31, 3, 0, 0, 0];
    body.extend_from_slice(&word.to_le_bytes());
    assert_block(&int_block(&[1, -1, 2]), &body);
    // Two values always have a constant delta: RLE. Unsigned [u64::MAX, 0] as i64 [-1, 0].
    let mut body = vec![0x40, 2, 0, 0, 0];
    body.extend_from_slice(&(-1i64).to_le_bytes());
    body.push(2);
    assert_block(&uint_block(&[u64::MAX, 0]), &body);
    // Unsigned [u64::MAX, 0, 0]: zigzag deltas [1, 2, 0] -> selector 2 (30 x 2 bits).
    let word: u64 = 2 << 60 | 1 | 2 << 2;
    let mut body = vec![0x41, 3, 0, 0, 0];
    body.extend_from_slice(&word.to_le_bytes());
    assert_block(&uint_block(&[u64::MAX, 0, 0]), &body);
    // Raw escapes: zigzag(i64::MIN) = u64::MAX and zigzag(5 - i64::MIN) = u64::MAX - 10 need
    // selector 15 + a raw word each; the final 0 takes a selector-0 word.
    let mut body = vec![0x31, 3, 0, 0, 0];
    for raw in [u64::MAX, u64::MAX - 10] {
        body.extend_from_slice(&(15u64 << 60).to_le_bytes());
        body.extend_from_slice(&raw.to_le_bytes());
    }
    body.extend_from_slice(&0u64.to_le_bytes());
    assert_block(&int_block(&[i64::MIN, 5, 5]), &body);
    // rANS, values [3, 3]: first = zigzag(3) = 6 as a varint; then one symbol (delta 0):
    // symbol count 1, freq 4096 (varint 80 20), no extra bytes, the state never moves from
    // 2^16 and no stream words follow.
    assert_block(
        &rans_block(TAG_INT_RANS, &[3, 3]),
        &[0x32, 2, 0, 0, 0, 6, 1, 0x80, 0x20, 0, 0, 0, 1, 0],
    );
    // One value: just `first`.
    assert_block(&rans_block(TAG_INT_RANS, &[-1]), &[0x32, 1, 0, 0, 0, 1]);
    // Values [0, 8, 8]: first 0, then zigzag deltas [16, 0]: symbols 16 (bit length 5, second
    // bit 0, 3 extra bits 000) and 0, 2048 each; one extra byte; coding 0 then 16 backwards
    // from 2^16 gives 2^17, then 2^18 + 2048.
    let mut body = vec![0x42, 3, 0, 0, 0, 0, 17, 0x80, 0x10];
    body.extend_from_slice(&[0; 15]);
    body.extend_from_slice(&[0x80, 0x10, 1, 0]);
    body.extend_from_slice(&(0x0004_0800u32).to_le_bytes());
    assert_block(&rans_block(TAG_UINT_RANS, &[0, 8, 8]), &body);
    // Booleans: LSB first.
    assert_block(
        &bool_block(&[true, false, true]),
        &[0x50, 3, 0, 0, 0, 0b101],
    );
    // Gorilla: 1.0 raw, then `0` for the repeat; padded to a byte.
    let mut body = vec![0x20, 2, 0, 0, 0];
    body.extend_from_slice(&1.0f64.to_bits().to_be_bytes());
    body.push(0);
    assert_block(&float_block(&[1.0, 1.0]), &body);
    // Decimal floats: scale 2, mantissas [125, 250] -> zigzag deltas [250, 250]: 8 bits each
    // (selector 8, 7 x 8 bits).
    let word: u64 = 8 << 60 | 250 | 250 << 8;
    let mut body = vec![0x21, 2, 0, 0, 0, 2];
    body.extend_from_slice(&word.to_le_bytes());
    assert_block(&float_block(&[1.25, 2.5]), &body);
    // Strings: lengths, then the size-prepended LZ4 block.
    let mut body = vec![0x60, 2, 0, 0, 0, 2, 0];
    body.extend_from_slice(&lz4_flex::block::compress_prepend_size(b"ab"));
    assert_block(&string_block(&[b"ab", b""]), &body);
    assert_eq!(block_value_count(&string_block(&[b"ab", b""])), Ok(2));
    assert_eq!(
        block_value_count(&raw_block(0x99, 1, &[])),
        Err(EncodingError::UnknownTag(0x99))
    );
}

// ---- corruption -------------------------------------------------------------------------------

fn sample_blocks() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Rng(9);
    let ts: Vec<i64> = (0..40).map(|i| 1000 * i + rng.below(5) as i64).collect();
    let floats: Vec<f64> = (0..40).map(|i| (i as f64 * 0.37).sin() * 100.0).collect();
    let ints: Vec<i64> = (0..40).map(|_| rng.below(1000) as i64 - 500).collect();
    let uints: Vec<u64> = vec![u64::MAX, 0, 5, 1 << 61, 7];
    let bools: Vec<bool> = (0..21).map(|i| i % 3 == 0).collect();
    vec![
        ("ts-dod", ts_block(&ts)),
        ("ts-rle", ts_block(&[10, 20, 30, 40])),
        ("floats", float_block(&floats)),
        (
            "floats-decimal",
            float_block(&[21.5, 21.75, 22.0, -3.25, 0.0]),
        ),
        ("ints", int_block(&ints)),
        ("ints-rle", int_block(&[5, 5, 5])),
        ("ints-rans", rans_block(TAG_INT_RANS, &ints)),
        (
            "uints-rans",
            rans_block(TAG_UINT_RANS, &[3, 4, 4, 5, 1 << 40, 3, 3, 2]),
        ),
        ("uints", uint_block(&uints)),
        ("bools", bool_block(&bools)),
        (
            "strings",
            string_block(&[b"cpu", b"", b"mem", b"cpu-total"]),
        ),
        ("empty", ts_block(&[])),
    ]
}

#[test]
fn every_single_byte_corruption_is_a_checksum_error() {
    let mut checked = 0usize;
    for (name, block) in sample_blocks() {
        for pos in 0..block.len() {
            for flip in 1..=255u8 {
                let mut bad = block.clone();
                if let Some(b) = bad.get_mut(pos) {
                    *b ^= flip;
                }
                for result in [
                    decode_timestamps(&bad).err(),
                    decode_floats(&bad).err(),
                    decode_integers(&bad).err(),
                    decode_unsigned(&bad).err(),
                    decode_bools(&bad).err(),
                    decode_strings(&bad).err(),
                ] {
                    assert!(
                        matches!(result, Some(EncodingError::Checksum { .. })),
                        "{name}: byte {pos} ^ {flip:#x} gave {result:?}"
                    );
                }
                checked += 1;
            }
        }
    }
    println!("single-byte corruptions checked: {checked}");
}

#[test]
fn every_truncation_is_an_error() {
    for (name, block) in sample_blocks() {
        for len in 0..block.len() {
            let cut = block.get(..len).unwrap_or_default();
            assert!(
                decode_all(cut).iter().all(|ok| !ok),
                "{name}: truncation to {len} bytes decoded"
            );
        }
    }
}

#[test]
fn wrong_type_and_unknown_tag_are_errors() {
    let block = ts_block(&[1, 2, 4]);
    assert_eq!(
        decode_floats(&block),
        Err(EncodingError::WrongType {
            tag: TAG_TS_DOD,
            expected: "float"
        })
    );
    assert!(matches!(
        decode_unsigned(&int_block(&[1, 5])),
        Err(EncodingError::WrongType { .. })
    ));
    let mut unknown = block.clone();
    if let Some(t) = unknown.first_mut() {
        *t = 0x99;
    }
    let unknown = reseal(unknown);
    assert_eq!(
        decode_timestamps(&unknown),
        Err(EncodingError::UnknownTag(0x99))
    );
}

#[test]
fn structural_errors_behind_a_valid_crc() {
    // Count above the cap.
    let b = raw_block(TAG_TS_RLE, MAX_BLOCK_VALUES + 1, &[0; 9]);
    assert!(matches!(
        decode_timestamps(&b),
        Err(EncodingError::TooLarge { .. })
    ));
    // Payload in an empty block.
    let b = raw_block(TAG_FLOAT_GORILLA, 0, &[0]);
    assert!(matches!(
        decode_floats(&b),
        Err(EncodingError::Malformed { .. })
    ));
    // Decimal float scale out of range.
    let b = raw_block(TAG_FLOAT_DECIMAL, 1, &[10, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        decode_floats(&b),
        Err(EncodingError::Malformed { .. })
    ));
    // simple8b escape with payload bits set.
    let mut payload = (S8B_RAW << 60 | 1).to_le_bytes().to_vec();
    payload.extend_from_slice(&5u64.to_le_bytes());
    let b = raw_block(TAG_INT_DELTA, 1, &payload);
    assert!(matches!(
        decode_integers(&b),
        Err(EncodingError::Malformed { .. })
    ));
    // Trailing word after the last simple8b value.
    let b = raw_block(TAG_INT_DELTA, 1, &[0; 16]);
    assert!(matches!(
        decode_integers(&b),
        Err(EncodingError::Malformed { .. })
    ));
    // Too few words for the declared count.
    let b = raw_block(TAG_INT_DELTA, 241, &[0; 8]);
    assert!(matches!(
        decode_integers(&b),
        Err(EncodingError::Truncated { .. })
    ));
    // Gorilla: reuse of a window before one exists (`10` control bits).
    let mut payload = vec![0; 8];
    payload.push(0b1000_0000);
    let b = raw_block(TAG_FLOAT_GORILLA, 2, &payload);
    assert!(matches!(
        decode_floats(&b),
        Err(EncodingError::Malformed { .. })
    ));
    // Overlong varint in an RLE delta.
    let mut payload = vec![0; 8];
    payload.extend_from_slice(&[0xff; 11]);
    let b = raw_block(TAG_INT_RLE, 3, &payload);
    assert!(matches!(
        decode_integers(&b),
        Err(EncodingError::Malformed { .. })
    ));
    // rANS: symbol count 0 and above the alphabet; frequencies not summing to 4096 (under,
    // over); state below 2^16; stream too short, too long, or ending in another
    // state; extra bits missing, left over, or with non-zero padding.
    let table_4096 = [1u8, 0x80, 0x20];
    let state = |x: u32| x.to_le_bytes();
    let cases: Vec<(Vec<u8>, u32)> = vec![
        (vec![0], 1),
        (vec![RANS_SYMBOLS as u8 + 1], 1),
        (vec![1, 0xff, 0x1f, 0, 0, 0, 0x80, 0], 1),
        (vec![2, 0x80, 0x20, 1, 0, 0, 0, 0x80, 0], 1),
        ([&table_4096[..], &[0], &state(RANS_LOW - 1)].concat(), 1),
        ([&table_4096[..], &[0], &state(RANS_LOW)[..3]].concat(), 1),
        ([&table_4096[..], &[0], &state(RANS_LOW), &[0]].concat(), 1),
        ([&table_4096[..], &[0], &state(RANS_LOW + 1)].concat(), 1),
        ([&table_4096[..], &[1, 0], &state(RANS_LOW)].concat(), 1),
        ([&table_4096[..], &[5, 0], &state(RANS_LOW)].concat(), 1),
    ];
    for (payload, count) in cases {
        let payload = [&[0u8][..], &payload].concat();
        let b = raw_block(TAG_INT_RANS, count + 1, &payload);
        assert!(
            matches!(
                decode_integers(&b),
                Err(EncodingError::Malformed { .. } | EncodingError::Truncated { .. })
            ),
            "{payload:02x?}: {:?}",
            decode_integers(&b)
        );
    }
    // Symbol 16 needs 3 extra bits: none there, or padding bits set.
    let mut sym16 = vec![17u8];
    sym16.extend_from_slice(&[0; 16]);
    sym16.extend_from_slice(&[0x80, 0x20]);
    for extra in [&[0u8][..0], &[0x08][..]] {
        let payload = [
            &[0u8][..],
            &sym16[..],
            &[extra.len() as u8],
            extra,
            &state(RANS_LOW),
        ]
        .concat();
        let b = raw_block(TAG_INT_RANS, 2, &payload);
        assert!(
            decode_integers(&b).is_err(),
            "{payload:02x?}: {:?}",
            decode_integers(&b)
        );
    }
    // Boolean padding bits set.
    let b = raw_block(TAG_BOOL_PACKED, 3, &[0xff]);
    assert!(matches!(
        decode_bools(&b),
        Err(EncodingError::Malformed { .. })
    ));
    // Declared string bytes above the cap: rejected before decompressing.
    let mut payload = Vec::new();
    write_varint(MAX_STRING_BYTES + 1, &mut payload);
    let b = raw_block(TAG_STRING_LZ4, 1, &payload);
    assert!(matches!(
        decode_strings(&b),
        Err(EncodingError::TooLarge { .. })
    ));
    // LZ4 size prefix disagreeing with the lengths.
    let mut payload = vec![3];
    payload.extend_from_slice(&lz4_flex::block::compress_prepend_size(b"abcd"));
    let b = raw_block(TAG_STRING_LZ4, 1, &payload);
    assert!(matches!(
        decode_strings(&b),
        Err(EncodingError::Malformed { .. })
    ));
}

#[test]
fn oversized_input_is_rejected_and_output_untouched() {
    let mut out = vec![1, 2, 3];
    let too_many = vec![false; MAX_BLOCK_VALUES as usize + 1];
    assert!(matches!(
        encode_bools(&too_many, &mut out),
        Err(EncodingError::TooLarge { .. })
    ));
    assert_eq!(out, [1, 2, 3]);
}

#[test]
fn errors_display_for_humans() {
    let e = EncodingError::Checksum {
        expected: 1,
        actual: 2,
    };
    assert_eq!(
        e.to_string(),
        "column block checksum mismatch: stored 0x00000001, computed 0x00000002"
    );
    assert_eq!(
        EncodingError::Truncated { at: 7 }.to_string(),
        "column block truncated at byte 7"
    );
}

// ---- compression ------------------------------------------------------------------------------

fn per_value(bytes: usize, n: usize) -> f64 {
    bytes as f64 / n as f64
}

#[test]
fn compression_figures() {
    let n = 1000usize;
    let mut rng = Rng(2024);
    let start = 1_700_000_000_000_000_000i64;

    let regular: Vec<i64> = (0..n as i64).map(|i| start + i * 10_000_000_000).collect();
    let regular_bpv = per_value(check_ts(&regular), n);
    let jitter: Vec<i64> = (0..n as i64)
        .map(|i| start + i * 10_000_000_000 + rng.below(1_000_000) as i64)
        .collect();
    let jitter_bpv = per_value(check_ts(&jitter), n);
    let ms_regular_gaps: Vec<i64> = {
        let mut t = start;
        (0..n)
            .map(|_| {
                t += if rng.below(50) == 0 {
                    20_000_000_000
                } else {
                    10_000_000_000
                };
                t
            })
            .collect()
    };
    let gaps_bpv = per_value(check_ts(&ms_regular_gaps), n);

    // TSBS cpu-like: a random walk in [0, 100] rounded to 2 decimals.
    let mut f = 50.0f64;
    let tsbs: Vec<f64> = (0..n)
        .map(|_| {
            f = (f + (rng.below(201) as f64 - 100.0) / 100.0).clamp(0.0, 100.0);
            (f * 100.0).round() / 100.0
        })
        .collect();
    let tsbs_bpv = per_value(check_floats(&tsbs), n);
    let constant_bpv = per_value(check_floats(&vec![42.5; n]), n);
    let integral: Vec<f64> = (0..n).map(|_| rng.below(100) as f64).collect();
    let integral_bpv = per_value(check_floats(&integral), n);

    let mut c = 0i64;
    let counter: Vec<i64> = (0..n)
        .map(|_| {
            c += rng.below(1000) as i64;
            c
        })
        .collect();
    let counter_bpv = per_value(check_ints(&counter), n);
    let gauge: Vec<i64> = (0..n).map(|_| rng.below(100) as i64).collect();
    let gauge_bpv = per_value(check_ints(&gauge), n);
    let uc: Vec<u64> = counter.iter().map(|&v| v as u64 * 1_000_000).collect();
    let ucounter_bpv = per_value(check_uints(&uc), n);
    let bools: Vec<bool> = (0..n).map(|_| rng.below(2) == 1).collect();
    let bool_bpv = per_value(check_bools(&bools), n);
    let hosts: Vec<String> = (0..n).map(|i| format!("host_{}", i % 10)).collect();
    let host_refs: Vec<&[u8]> = hosts.iter().map(|s| s.as_bytes()).collect();
    let string_bpv = per_value(check_strings(&host_refs), n);

    println!("bytes/value over {n} values (block overhead included):");
    println!("  timestamps regular 10 s:          {regular_bpv:.3}");
    println!("  timestamps 10 s + <=1 ms jitter:  {jitter_bpv:.3}");
    println!("  timestamps 10 s, 2% missed:       {gaps_bpv:.3}");
    println!("  floats TSBS-like 2 decimals:      {tsbs_bpv:.3}");
    println!("  floats integral 0..100:           {integral_bpv:.3}");
    println!("  floats constant:                  {constant_bpv:.3}");
    println!("  integers counter (+0..1000):      {counter_bpv:.3}");
    println!("  integers gauge 0..100:            {gauge_bpv:.3}");
    println!("  unsigned counter x1e6:            {ucounter_bpv:.3}");
    println!("  booleans random:                  {bool_bpv:.3}");
    println!("  strings host_0..host_9:           {string_bpv:.3}");

    assert!(regular_bpv < 0.05, "regular timestamps {regular_bpv}");
    assert!(gaps_bpv < 1.0, "gapped timestamps {gaps_bpv}");
    assert!(tsbs_bpv < 8.0, "TSBS floats {tsbs_bpv}");
    assert!(
        tsbs_bpv < 3.0,
        "TSBS floats should take the decimal form: {tsbs_bpv}"
    );
    assert_eq!(float_block(&tsbs).first(), Some(&TAG_FLOAT_DECIMAL));
    let mut noisy = tsbs.clone();
    noisy.push(0.1 + 0.2);
    assert_eq!(float_block(&noisy).first(), Some(&TAG_FLOAT_GORILLA));
    assert!(constant_bpv < 0.2, "constant floats {constant_bpv}");
    assert!(counter_bpv < 2.0, "counter {counter_bpv}");
    assert!(bool_bpv < 0.2, "bools {bool_bpv}");
}

// ---- properties -------------------------------------------------------------------------------

fn cfg() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// Sorted timestamps with a mix of regular steps, jitter and arbitrary jumps.
fn timestamps() -> impl Strategy<Value = Vec<i64>> {
    prop_oneof![
        proptest::collection::vec(any::<i64>(), 0..300),
        (any::<i64>(), any::<i64>(), 0usize..300).prop_map(|(s, d, n)| {
            (0..n as i64)
                .map(|i| s.wrapping_add(i.wrapping_mul(d)))
                .collect()
        }),
        (
            -(1i64 << 62)..(1i64 << 62),
            proptest::collection::vec(0i64..5_000_000_000, 0..300)
        )
            .prop_map(|(s, steps)| {
                let mut t = s;
                steps
                    .into_iter()
                    .map(|d| {
                        t = t.wrapping_add(d);
                        t
                    })
                    .collect()
            }),
    ]
}

fn floats() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        proptest::collection::vec(any::<u64>().prop_map(f64::from_bits), 0..300),
        proptest::collection::vec((-1_000_000i64..1_000_000, 0usize..10)
            .prop_map(|(m, s)| m as f64 / [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9][s]), 0..300),
        proptest::collection::vec(
            prop_oneof![
                Just(f64::NAN),
                Just(-0.0),
                Just(f64::INFINITY),
                (-10_000i64..10_000).prop_map(|v| v as f64 / 100.0),
            ],
            0..300
        ),
    ]
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn prop_timestamps_round_trip(v in timestamps()) {
        let block = ts_block(&v);
        prop_assert_eq!(decode_timestamps(&block).expect("decode"), v);
    }

    #[test]
    fn prop_floats_round_trip(v in floats()) {
        let block = float_block(&v);
        let back: Vec<u64> = decode_floats(&block).expect("decode").iter().map(|f| f.to_bits()).collect();
        let want: Vec<u64> = v.iter().map(|f| f.to_bits()).collect();
        prop_assert_eq!(back, want);
    }

    #[test]
    fn prop_integers_round_trip(v in prop_oneof![
        proptest::collection::vec(any::<i64>(), 0..300),
        proptest::collection::vec(-100i64..100, 0..300),
    ]) {
        prop_assert_eq!(decode_integers(&int_block(&v)).expect("decode"), v);
    }

    #[test]
    fn prop_unsigned_round_trip(v in prop_oneof![
        proptest::collection::vec(any::<u64>(), 0..300),
        proptest::collection::vec(0u64..100, 0..300),
    ]) {
        prop_assert_eq!(decode_unsigned(&uint_block(&v)).expect("decode"), v);
    }

    #[test]
    fn prop_rans_round_trip(v in prop_oneof![
        proptest::collection::vec(any::<i64>(), 1..300),
        proptest::collection::vec(-3i64..4, 1..600),
        proptest::collection::vec(prop_oneof![
            8 => -2i64..3,
            1 => any::<i64>(),
            1 => Just(i64::MIN),
            1 => Just(i64::MAX),
        ], 1..600),
        (any::<u64>(), 1usize..1000).prop_map(|(seed, n)| tsbs_ints(&mut Rng(seed), n)),
    ]) {
        let block = rans_block(TAG_INT_RANS, &v);
        prop_assert_eq!(decode_integers(&block).expect("decode"), v.clone());
        let u: Vec<u64> = v.iter().map(|&x| x as u64).collect();
        prop_assert_eq!(decode_unsigned(&rans_block(TAG_UINT_RANS, &v)).expect("decode"), u);
    }

    /// A valid rANS table (random frequencies summing to 4096) followed by arbitrary bytes:
    /// the decoder gets past the table and into the stream, and still never panics.
    #[test]
    fn prop_rans_arbitrary_streams_never_panic(
        cuts in proptest::collection::vec(0u32..4096, 0..20),
        count in prop_oneof![2u32..2000, any::<u32>()],
        extra_len in 0u8..8,
        tail in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut cuts = cuts;
        cuts.push(0);
        cuts.push(RANS_TOTAL);
        cuts.sort_unstable();
        let mut payload = vec![0, (cuts.len() - 1) as u8];
        for w in cuts.windows(2) {
            write_varint(u64::from(w[1] - w[0]), &mut payload);
        }
        payload.push(extra_len);
        payload.extend_from_slice(&tail);
        let block = raw_block(TAG_INT_RANS, count, &payload);
        let _ = decode_integers(&block);
        let _ = decode_all(&block);
    }

    #[test]
    fn prop_bools_round_trip(v in proptest::collection::vec(any::<bool>(), 0..300)) {
        prop_assert_eq!(decode_bools(&bool_block(&v)).expect("decode"), v);
    }

    #[test]
    fn prop_strings_round_trip(v in proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 0..40), 0..100)) {
        let refs: Vec<&[u8]> = v.iter().map(|s| s.as_slice()).collect();
        prop_assert_eq!(decode_strings(&string_block(&refs)).expect("decode"), v);
    }

    /// Arbitrary payloads behind a valid CRC: every decoder returns, none panics.
    #[test]
    fn prop_arbitrary_sealed_blocks_never_panic(
        tag in prop_oneof![
            Just(TAG_TS_RLE), Just(TAG_TS_DOD), Just(TAG_FLOAT_GORILLA), Just(TAG_FLOAT_DECIMAL),
            Just(TAG_INT_RLE),
            Just(TAG_INT_DELTA), Just(TAG_UINT_RLE), Just(TAG_UINT_DELTA),
            Just(TAG_INT_RANS), Just(TAG_UINT_RANS),
            Just(TAG_BOOL_PACKED), Just(TAG_STRING_LZ4), any::<u8>(),
        ],
        count in prop_oneof![0u32..600, any::<u32>()],
        payload in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let block = raw_block(tag, count, &payload);
        let _ = decode_all(&block);
    }

    /// Random single-byte edits of valid blocks, resealed so the CRC passes: still no panic.
    #[test]
    fn prop_resealed_corruptions_never_panic(
        which in 0usize..12, pos in any::<usize>(), byte in any::<u8>(),
    ) {
        let blocks = sample_blocks();
        if let Some((_, block)) = blocks.get(which) {
            let mut bad = block.clone();
            let body = bad.len() - 4;
            if let Some(b) = bad.get_mut(pos % body) {
                *b = byte;
            }
            let _ = decode_all(&reseal(bad));
        }
    }
}
