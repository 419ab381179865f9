//! How fast does ringflux turn a line-protocol body into points?
//!
//! Measures `line_protocol::scan` (full validation) + `write_series_key` (canonical series key)
//! + decoding every field value, per body, for two workloads:
//! - `tsbs_cpu`: TSBS cpu-only lines (measurement `cpu`, 10 tags, 10 float fields, ns timestamps);
//! - `mixed`: lines with escapes in names and tags, every field type, quoted strings with escapes.
//!
//! Run: `cargo bench --bench parse_line_protocol` (add `-- --quick` for a short run).
//! Reported twice: as bytes/s (`Throughput::Bytes`) and as lines/s (`Throughput::Elements`).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ringflux_engine::line_protocol::{self, FieldValueRef, LineSpan, Precision, ScanError, Span};

/// Tiny deterministic PRNG (xorshift64).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const LINES: usize = 10_000;

/// TSBS cpu-only lines from the load generator's deterministic generator (one source of
/// TSBS data for the bench and `ringflux-loadtest`).
fn tsbs_cpu(lines: usize) -> Vec<u8> {
    use ringflux_loadtest::generate::{GenConfig, Generator, Precision as GenPrecision};
    use ringflux_loadtest::spec::DataSpec;
    let cfg = GenConfig {
        hosts: 100,
        seed: 0x7355_0001,
        precision: GenPrecision::Ns,
        start_unix_s: 1_451_606_400,
    };
    Generator::new(&DataSpec::tsbs_cpu(), cfg)
        .and_then(|mut g| g.lines(lines))
        .unwrap_or_default()
}

fn mixed(lines: usize) -> Vec<u8> {
    let mut rng = XorShift(0x3173_0002);
    let mut out = Vec::new();
    for i in 0..lines {
        let v = rng.below(1_000_000);
        out.extend_from_slice(
            format!(
                "disk\\ io,zone=eu\\,west,path=/var/lib\\ data,host=h{} \
                 read\\ bytes={v}i,written={v}u,util={}.{},healthy={},note=\"say \\\"hi\\\" \\\\ {i}\",ratio=-1.5e-3 {}\n",
                i % 50,
                v / 1000,
                v % 1000,
                if v % 2 == 0 { "true" } else { "F" },
                1_700_000_000_000_000_000i64 + i as i64,
            )
            .as_bytes(),
        );
    }
    out
}

struct Buffers {
    lines: Vec<LineSpan>,
    errors: Vec<ScanError>,
    scratch: Vec<(Span, Span)>,
    key: Vec<u8>,
}

/// scan + series key + field decoding; returns a checksum so nothing is optimised away.
fn parse(body: &[u8], b: &mut Buffers) -> f64 {
    line_protocol::scan(body, Precision::Nanoseconds, &mut b.lines, &mut b.errors);
    assert!(b.errors.is_empty());
    let mut sum = 0.0;
    for line in &b.lines {
        line_protocol::write_series_key(body, line, &mut b.scratch, &mut b.key);
        sum += b.key.len() as f64;
        for (_, v) in line_protocol::fields(body, line) {
            sum += match v {
                FieldValueRef::Float(f) => f,
                FieldValueRef::Integer(i) => i as f64,
                FieldValueRef::UInteger(u) => u as f64,
                FieldValueRef::Boolean(x) => f64::from(u8::from(x)),
                FieldValueRef::String(s) => s.len() as f64,
            };
        }
    }
    sum
}

fn bench(c: &mut Criterion) {
    let workloads = [("tsbs_cpu", tsbs_cpu(LINES)), ("mixed", mixed(LINES))];
    let mut bufs = Buffers {
        lines: Vec::new(),
        errors: Vec::new(),
        scratch: Vec::new(),
        key: Vec::new(),
    };
    for (unit, bytes) in [("bytes", true), ("lines", false)] {
        let mut group = c.benchmark_group(format!("parse_line_protocol_{unit}"));
        for (name, body) in &workloads {
            group.throughput(if bytes {
                Throughput::Bytes(body.len() as u64)
            } else {
                Throughput::Elements(LINES as u64)
            });
            group.bench_with_input(BenchmarkId::from_parameter(name), body, |bch, body| {
                bch.iter(|| parse(black_box(body), &mut bufs))
            });
        }
        group.finish();
    }
}

/// Where the time goes: each stage alone on the TSBS body (bytes/s).
fn stages(c: &mut Criterion) {
    let body = tsbs_cpu(LINES);
    let mut b = Buffers {
        lines: Vec::new(),
        errors: Vec::new(),
        scratch: Vec::new(),
        key: Vec::new(),
    };
    line_protocol::scan(&body, Precision::Nanoseconds, &mut b.lines, &mut b.errors);
    let lines = b.lines.clone();
    let mut group = c.benchmark_group("parse_line_protocol_stages_tsbs_cpu");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("scan", |bch| {
        bch.iter(|| {
            line_protocol::scan(
                black_box(&body),
                Precision::Nanoseconds,
                &mut b.lines,
                &mut b.errors,
            );
            b.lines.len()
        })
    });
    group.bench_function("series_key", |bch| {
        bch.iter(|| {
            let mut n = 0;
            for line in &lines {
                line_protocol::write_series_key(black_box(&body), line, &mut b.scratch, &mut b.key);
                n += b.key.len();
            }
            n
        })
    });
    group.bench_function("fields", |bch| {
        bch.iter(|| {
            let mut n = 0.0;
            for line in &lines {
                for (_, v) in line_protocol::fields(black_box(&body), line) {
                    if let FieldValueRef::Float(f) = v {
                        n += f;
                    }
                }
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench, stages);
criterion_main!(benches);
