//! How fast are integer column blocks encoded and decoded, per value?
//!
//! Workloads (one block each, as a segment stores them):
//! - `tsbs`: TSBS cpu-only integers, a random walk of N(0,1) steps clamped to [0, 100] and
//!   truncated (the encoder picks the rANS form);
//! - `counter`: a counter growing by 0..1000 per point (small-alphabet deltas, rANS or
//!   simple8b, whichever is smaller);
//! - `wide`: uniformly random 40-bit values (mostly extra bits).
//!
//! Run: `cargo bench --bench integer_codecs` (add `-- --quick` for a short run). Reported as
//! values/s (`Throughput::Elements`); ns/value is the inverse.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ringflux_engine::storage::encoding::{decode_integers, encode_integers};

/// Tiny deterministic PRNG (xorshift64).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    fn gauss(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn workloads(n: usize) -> Vec<(&'static str, Vec<i64>)> {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let mut x = 50.0f64;
    let tsbs = (0..n)
        .map(|_| {
            x = (x + rng.gauss()).clamp(0.0, 100.0);
            x as i64
        })
        .collect();
    let mut c = 0i64;
    let counter = (0..n)
        .map(|_| {
            c += (rng.next() % 1000) as i64;
            c
        })
        .collect();
    let wide = (0..n).map(|_| (rng.next() >> 24) as i64).collect();
    vec![("tsbs", tsbs), ("counter", counter), ("wide", wide)]
}

fn bench(c: &mut Criterion) {
    for n in [1000usize, 8192] {
        for (name, values) in workloads(n) {
            let mut block = Vec::new();
            if encode_integers(&values, &mut block).is_err() {
                continue;
            }
            let tag = block.first().copied().unwrap_or(0);
            let id = format!("{name}/{n}/tag{tag:#04x}/{}B", block.len());
            let mut g = c.benchmark_group("integer_codecs");
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(BenchmarkId::new("encode", &id), &values, |b, v| {
                let mut out = Vec::with_capacity(block.len() * 2);
                b.iter(|| {
                    out.clear();
                    let _ = encode_integers(black_box(v), &mut out);
                    out.len()
                })
            });
            g.bench_with_input(BenchmarkId::new("decode", &id), &block, |b, blk| {
                b.iter(|| decode_integers(black_box(blk)).map(|v| v.len()))
            });
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
