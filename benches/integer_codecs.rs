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
//! values/s (`Throughput::Elements`); ns/value is the inverse. Before criterion starts, the
//! bench also prints `cpu-time` lines: the best of 20 batches of thread CPU time per value
//! (`CLOCK_THREAD_CPUTIME_ID`), which time spent descheduled on a busy machine does not
//! inflate the way it inflates criterion's wall-clock figures.

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

/// Thread CPU time in ns.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Best-of-20 thread CPU ns per value of `f` (run `reps` times per batch on `n` values).
fn cpu_ns_per_value(n: usize, mut f: impl FnMut() -> usize) -> f64 {
    let reps = (2_000_000 / n).max(1);
    let mut best = f64::MAX;
    for _ in 0..20 {
        let t0 = thread_cpu_ns();
        let mut sink = 0usize;
        for _ in 0..reps {
            sink = sink.wrapping_add(f());
        }
        black_box(sink);
        let per = (thread_cpu_ns() - t0) as f64 / (reps * n) as f64;
        best = best.min(per);
    }
    best
}

fn cpu_time_report() {
    for n in [1000usize, 8192] {
        for (name, values) in workloads(n) {
            let mut block = Vec::new();
            if encode_integers(&values, &mut block).is_err() {
                continue;
            }
            let mut out = Vec::with_capacity(block.len() * 2);
            let enc = cpu_ns_per_value(n, || {
                out.clear();
                let _ = encode_integers(black_box(&values), &mut out);
                out.len()
            });
            let dec = cpu_ns_per_value(n, || {
                decode_integers(black_box(&block)).map_or(0, |v| v.len())
            });
            println!(
                "cpu-time {name}/{n}: tag {:#04x}, {} bytes ({:.3} bits/value), encode {enc:.2} \
                 ns/value, decode {dec:.2} ns/value",
                block.first().copied().unwrap_or(0),
                block.len(),
                block.len() as f64 * 8.0 / n as f64
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    cpu_time_report();
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
