//! Deterministic, seeded line-protocol generation and the pre-generated
//! body ring the write driver sends from.
//!
//! # The stream
//! Global line `i` (0-based) belongs to host `h = i % hosts` and host round
//! `r = i / hosts`; its timestamp is `start + r * 10 s` in the chosen
//! precision. Every host therefore gets one point per 10 s of data time, and
//! all hosts of a round share a timestamp (TSBS cpu-only style). Tag values
//! depend only on `(seed, tag, host)`; numeric fields are per-host random
//! walks drawn from one SplitMix64 stream in line order, so the bytes depend
//! only on `(spec, seed, hosts, precision, start)` — never on the number of
//! connections or on timing. Same inputs, same bytes.
//!
//! # The ring (bounded memory)
//! Generating a 5,000-line TSBS batch costs a few milliseconds of CPU, which
//! on a small machine would be stolen from the server under test. So before
//! the clock starts, [`Ring::build`] renders `M` batches (lines `0..M*B`) and
//! records, for every line, where its timestamp digits are and which round it
//! belongs to. Batch `b` is sent as template `b % M` in *cycle* `k = b / M`:
//! cycle 0 is sent as rendered; a later cycle is copied into the connection's
//! reused buffer and every timestamp is rewritten in place as round
//! `r + k * R`, where `R = ceil(M*B / hosts)` is the number of rounds one
//! cycle spans. Rounds of different cycles are disjoint, so no (series,
//! timestamp) pair is ever sent twice; field values repeat every cycle
//! (documented weakness: it flatters compression a little). When `hosts`
//! does not divide `M*B` the last round of each cycle is partial.
//! `M` is bounded by `--ring-mib` (and by the number of batches a `--points`
//! run needs), so memory stays bounded for any run length.
//!
//! Timestamps must keep their digit count when shifted (true for any start
//! after 2001-09-09 and before 2286 in ns); a shift that would change it is
//! reported as an error rather than producing a corrupt line.

use crate::spec::{DataSpec, FieldType};
use std::io::Write;

/// Timestamp precision, as in the `precision=` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// nanoseconds
    Ns,
    /// microseconds
    Us,
    /// milliseconds
    Ms,
    /// seconds
    S,
}

impl Precision {
    /// Value of the `precision=` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Ns => "ns",
            Precision::Us => "us",
            Precision::Ms => "ms",
            Precision::S => "s",
        }
    }

    /// Units per second.
    pub fn per_second(self) -> i64 {
        match self {
            Precision::Ns => 1_000_000_000,
            Precision::Us => 1_000_000,
            Precision::Ms => 1_000,
            Precision::S => 1,
        }
    }
}

/// Seconds of data time between two points of one host.
pub const INTERVAL_SECS: i64 = 10;

/// TSBS's default start: 2016-01-01T00:00:00Z.
pub const DEFAULT_START_UNIX_S: i64 = 1_451_606_400;

/// SplitMix64 finaliser: a good 64-bit mixing function.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 PRNG (Steele, Lea, Flood 2014). Tiny, fast, seedable.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Generator parameters besides the spec.
#[derive(Debug, Clone, Copy)]
pub struct GenConfig {
    /// Number of series (values of the series tag).
    pub hosts: u64,
    /// PRNG seed.
    pub seed: u64,
    /// Timestamp unit.
    pub precision: Precision,
    /// Data time of round 0, Unix seconds.
    pub start_unix_s: i64,
}

/// Generation failure (arithmetic overflow of timestamps, bad config).
#[derive(Debug)]
pub struct GenError(pub String);

impl std::fmt::Display for GenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GenError {}

/// Upper bound on `--hosts` (per-host walk state is `hosts * fields * 8` B).
pub const MAX_HOSTS: u64 = 10_000_000;

/// Where one line's timestamp sits inside a rendered body.
#[derive(Debug, Clone, Copy)]
struct LineMeta {
    /// Offset of the first timestamp digit.
    ts_start: u32,
    /// Offset one past the line's `\n`.
    end: u32,
    /// Host round of this line (within cycle 0).
    round: u64,
}

/// Streaming generator of lines in global order.
#[derive(Debug)]
pub struct Generator {
    /// Pre-escaped measurement + tag set per host, built on demand.
    spec: DataSpec,
    cfg: GenConfig,
    rng: SplitMix64,
    /// Random-walk state, `hosts * fields`, row-major by host.
    walk: Vec<f64>,
    /// Escaped field keys followed by `=`.
    field_keys: Vec<Vec<u8>>,
    next_line: u64,
    start_units: i64,
    step_units: i64,
}

fn escape_into(out: &mut Vec<u8>, s: &str, specials: &[u8]) {
    for &b in s.as_bytes() {
        if specials.contains(&b) {
            out.push(b'\\');
        }
        out.push(b);
    }
}

const KEY_SPECIALS: &[u8] = b", =";
const MEASUREMENT_SPECIALS: &[u8] = b", ";

impl Generator {
    /// A generator positioned at global line 0.
    pub fn new(spec: &DataSpec, cfg: GenConfig) -> Result<Self, GenError> {
        spec.validate().map_err(|e| GenError(e.to_string()))?;
        if cfg.hosts == 0 || cfg.hosts > MAX_HOSTS {
            return Err(GenError(format!("hosts must be in 1..={MAX_HOSTS}")));
        }
        let per = cfg.precision.per_second();
        let start_units = cfg
            .start_unix_s
            .checked_mul(per)
            .ok_or_else(|| GenError("start time overflows i64 in this precision".into()))?;
        let nf = spec.fields.len();
        let hosts = usize::try_from(cfg.hosts).map_err(|_| GenError("hosts too large".into()))?;
        let mut walk = vec![0.0; hosts * nf];
        for h in 0..hosts {
            for (fi, f) in spec.fields.iter().enumerate() {
                let key = (h as u64).wrapping_mul(0x1_0000) ^ fi as u64;
                let u = unit(mix64(cfg.seed ^ mix64(key ^ 0x5EED_F1E1D)));
                walk[h * nf + fi] = f.min + (f.max - f.min) * u;
            }
        }
        let field_keys = spec
            .fields
            .iter()
            .map(|f| {
                let mut k = Vec::new();
                escape_into(&mut k, &f.key, KEY_SPECIALS);
                k.push(b'=');
                k
            })
            .collect();
        Ok(Generator {
            spec: spec.clone(),
            cfg,
            rng: SplitMix64::new(cfg.seed),
            walk,
            field_keys,
            next_line: 0,
            start_units,
            step_units: INTERVAL_SECS * per,
        })
    }

    /// Timestamp (in precision units) of host round `round`.
    pub fn timestamp(&self, round: u64) -> Result<i64, GenError> {
        i64::try_from(round)
            .ok()
            .and_then(|r| r.checked_mul(self.step_units))
            .and_then(|d| d.checked_add(self.start_units))
            .ok_or_else(|| GenError(format!("timestamp of round {round} overflows i64")))
    }

    /// Append the series key (measurement + tags) of host `h`.
    fn write_series(&self, h: u64, out: &mut Vec<u8>) {
        escape_into(out, &self.spec.measurement, MEASUREMENT_SPECIALS);
        for (ti, t) in self.spec.tags.iter().enumerate() {
            out.push(b',');
            escape_into(out, &t.key, KEY_SPECIALS);
            out.push(b'=');
            let pick = mix64(self.cfg.seed ^ mix64(h ^ (ti as u64).wrapping_mul(0x9E37_79B9)));
            if !t.values.is_empty() {
                let v = &t.values[(pick % t.values.len() as u64) as usize];
                escape_into(out, v, KEY_SPECIALS);
            } else {
                escape_into(out, &t.prefix, KEY_SPECIALS);
                let n = match t.cardinality {
                    Some(c) => pick % c,
                    None => h,
                };
                // Writing into a Vec cannot fail.
                let _ = write!(out, "{n}");
            }
        }
    }

    /// Append the next line (with `\n`) and return where its timestamp is.
    fn write_line(&mut self, out: &mut Vec<u8>) -> Result<LineMeta, GenError> {
        let i = self.next_line;
        let h = i % self.cfg.hosts;
        let round = i / self.cfg.hosts;
        let ts = self.timestamp(round)?;
        self.write_series(h, out);
        out.push(b' ');
        let nf = self.spec.fields.len();
        let base = h as usize * nf;
        for (fi, f) in self.spec.fields.iter().enumerate() {
            if fi > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&self.field_keys[fi]);
            let r = self.rng.next_f64();
            match f.kind {
                FieldType::Float | FieldType::Integer | FieldType::Unsigned => {
                    let step = DataSpec::step_of(f);
                    let v = (self.walk[base + fi] + (2.0 * r - 1.0) * step).clamp(f.min, f.max);
                    self.walk[base + fi] = v;
                    let _ = match f.kind {
                        FieldType::Float => write!(out, "{v}"),
                        FieldType::Integer => write!(out, "{}i", v.round() as i64),
                        _ => write!(out, "{}u", v.round() as u64),
                    };
                }
                FieldType::Boolean => out.push(if r < 0.5 { b't' } else { b'f' }),
                FieldType::String => {
                    let card = f.cardinality.unwrap_or(10);
                    let _ = write!(out, "\"v{}\"", (r * card as f64) as u64 % card);
                }
            }
        }
        out.push(b' ');
        let ts_start = out.len();
        let _ = write!(out, "{ts}");
        out.push(b'\n');
        self.next_line += 1;
        let (ts_start, end) = match (u32::try_from(ts_start), u32::try_from(out.len())) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err(GenError("batch body larger than 4 GiB".into())),
        };
        Ok(LineMeta {
            ts_start,
            end,
            round,
        })
    }

    /// Render the next `n` lines as one batch.
    pub fn batch(&mut self, n: usize) -> Result<Template, GenError> {
        let mut body = Vec::with_capacity(n * 320);
        let mut lines = Vec::with_capacity(n);
        for _ in 0..n {
            lines.push(self.write_line(&mut body)?);
        }
        Ok(Template {
            body,
            lines,
            gzip: None,
        })
    }

    /// The next `n` lines as bytes (for `--dump` and tests).
    pub fn lines(&mut self, n: usize) -> Result<Vec<u8>, GenError> {
        Ok(self.batch(n)?.body)
    }
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// One rendered batch plus the position of each line's timestamp.
#[derive(Debug)]
pub struct Template {
    body: Vec<u8>,
    lines: Vec<LineMeta>,
    /// Pre-compressed `body`, used when a cycle-0 batch is sent gzipped.
    gzip: Option<Vec<u8>>,
}

impl Template {
    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Rendered bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// A body ready to send.
#[derive(Debug)]
pub struct BatchBody<'a> {
    /// Line protocol, or gzip of it when `gzipped`.
    pub bytes: &'a [u8],
    /// Lines in it.
    pub lines: usize,
    /// Whether `bytes` is already gzip-compressed.
    pub gzipped: bool,
}

/// How many batches to pre-render.
#[derive(Debug, Clone, Copy)]
pub struct RingConfig {
    /// Lines per batch (`--batch-size`).
    pub batch_size: usize,
    /// Total lines to send, if the run is count-bounded.
    pub total_lines: Option<u64>,
    /// Memory budget for rendered bodies.
    pub max_bytes: usize,
    /// Pre-compress cycle-0 bodies.
    pub gzip: bool,
}

/// The pre-rendered ring of batch templates (see module docs).
#[derive(Debug)]
pub struct Ring {
    templates: Vec<Template>,
    batch_size: usize,
    total_lines: Option<u64>,
    rounds_per_cycle: u64,
    gen_step: i64,
    gen_start: i64,
}

impl Ring {
    /// Render the ring. `M` = batches needed (count-bounded run) capped by
    /// `max_bytes / size of the first batch`, at least 1.
    pub fn build(spec: &DataSpec, cfg: GenConfig, rc: RingConfig) -> Result<Self, GenError> {
        if rc.batch_size == 0 {
            return Err(GenError("batch size must be >= 1".into()));
        }
        let b = rc.batch_size as u64;
        let needed = rc.total_lines.map(|t| t.div_ceil(b));
        if needed == Some(0) {
            return Err(GenError("--points must be >= 1".into()));
        }
        let mut generator = Generator::new(spec, cfg)?;
        let lines_of = |j: u64| -> usize {
            match rc.total_lines {
                Some(t) => (t - j * b).min(b) as usize,
                None => rc.batch_size,
            }
        };
        let mut templates = vec![generator.batch(lines_of(0))?];
        let per = templates[0].body.len().max(1);
        let mut m = (rc.max_bytes / per).max(1) as u64;
        if let Some(n) = needed {
            m = m.min(n);
        }
        for j in 1..m {
            // A ring shorter than the run only ever holds full batches.
            let n = if Some(m) == needed {
                lines_of(j)
            } else {
                rc.batch_size
            };
            templates.push(generator.batch(n)?);
        }
        if rc.gzip {
            for t in &mut templates {
                t.gzip = Some(gzip(&t.body)?);
            }
        }
        Ok(Ring {
            rounds_per_cycle: (m * b).div_ceil(cfg.hosts),
            templates,
            batch_size: rc.batch_size,
            total_lines: rc.total_lines,
            gen_step: generator.step_units,
            gen_start: generator.start_units,
        })
    }

    /// Number of pre-rendered batches (`M`).
    pub fn batches(&self) -> usize {
        self.templates.len()
    }

    /// Bytes held by rendered bodies (plus gzip copies).
    pub fn bytes(&self) -> usize {
        self.templates
            .iter()
            .map(|t| t.body.len() + t.gzip.as_ref().map_or(0, Vec::len))
            .sum()
    }

    /// Total batches of a count-bounded run.
    pub fn total_batches(&self) -> Option<u64> {
        self.total_lines.map(|t| t.div_ceil(self.batch_size as u64))
    }

    /// The body of batch `b`, or `None` past the end of a count-bounded run.
    /// Cycle-0 batches borrow the ring; later cycles are written into
    /// `scratch` with shifted timestamps. `want_gzip` selects the
    /// pre-compressed body where one exists (cycle 0); otherwise the caller
    /// compresses.
    pub fn body<'a>(
        &'a self,
        b: u64,
        scratch: &'a mut Vec<u8>,
        want_gzip: bool,
    ) -> Result<Option<BatchBody<'a>>, GenError> {
        if let Some(t) = self.total_batches() {
            if b >= t {
                return Ok(None);
            }
        }
        let m = self.templates.len() as u64;
        let tpl = &self.templates[(b % m) as usize];
        let cycle = b / m;
        // The last batch of a count-bounded run may be shorter than the
        // (full) template it reuses.
        let mut lines = tpl.lines.len();
        if let Some(total) = self.total_lines {
            let left = total.saturating_sub(b.saturating_mul(self.batch_size as u64));
            lines = lines.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        let Some(last) = lines.checked_sub(1).and_then(|i| tpl.lines.get(i)) else {
            return Ok(None);
        };
        let body_len = last.end as usize;
        if cycle == 0 {
            if want_gzip && lines == tpl.lines.len() {
                if let Some(gz) = &tpl.gzip {
                    return Ok(Some(BatchBody {
                        bytes: gz,
                        lines,
                        gzipped: true,
                    }));
                }
            }
            return Ok(Some(BatchBody {
                bytes: &tpl.body[..body_len],
                lines,
                gzipped: false,
            }));
        }
        scratch.clear();
        scratch.extend_from_slice(&tpl.body[..body_len]);
        let shift = cycle
            .checked_mul(self.rounds_per_cycle)
            .ok_or_else(|| GenError("round counter overflow".into()))?;
        let mut digits = [0u8; 24];
        for l in &tpl.lines[..lines] {
            let round = l
                .round
                .checked_add(shift)
                .and_then(|r| i64::try_from(r).ok())
                .ok_or_else(|| GenError("round counter overflow".into()))?;
            let ts = round
                .checked_mul(self.gen_step)
                .and_then(|d| d.checked_add(self.gen_start))
                .ok_or_else(|| GenError("timestamp overflows i64".into()))?;
            let mut cur = std::io::Cursor::new(&mut digits[..]);
            let _ = write!(cur, "{ts}");
            let len = cur.position() as usize;
            let (start, end) = (l.ts_start as usize, l.end as usize - 1);
            if end - start != len {
                return Err(GenError(
                    "shifted timestamp changed digit count; use a later --start or --points".into(),
                ));
            }
            scratch[start..end].copy_from_slice(&digits[..len]);
        }
        Ok(Some(BatchBody {
            bytes: scratch,
            lines,
            gzipped: false,
        }))
    }
}

/// gzip with the fast level (client CPU is the server's competitor here).
pub fn gzip(data: &[u8]) -> Result<Vec<u8>, GenError> {
    let mut out = Vec::with_capacity(data.len() / 4);
    gzip_into(data, &mut out)?;
    Ok(out)
}

/// gzip `data` into `out` (cleared first), reusing its allocation.
pub fn gzip_into(data: &[u8], out: &mut Vec<u8>) -> Result<(), GenError> {
    out.clear();
    let buf = std::mem::take(out);
    let mut enc = flate2::write::GzEncoder::new(buf, flate2::Compression::fast());
    enc.write_all(data)
        .map_err(|e| GenError(format!("gzip: {e}")))?;
    *out = enc.finish().map_err(|e| GenError(format!("gzip: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(hosts: u64, seed: u64) -> GenConfig {
        GenConfig {
            hosts,
            seed,
            precision: Precision::Ns,
            start_unix_s: DEFAULT_START_UNIX_S,
        }
    }

    #[test]
    fn same_seed_same_bytes() {
        let spec = DataSpec::tsbs_cpu();
        let a = Generator::new(&spec, cfg(100, 7))
            .unwrap()
            .lines(1000)
            .unwrap();
        let b = Generator::new(&spec, cfg(100, 7))
            .unwrap()
            .lines(1000)
            .unwrap();
        assert_eq!(a, b);
        let c = Generator::new(&spec, cfg(100, 8))
            .unwrap()
            .lines(1000)
            .unwrap();
        assert_ne!(a, c);
    }

    /// Split a line of the generated shape into (series, fields, ts).
    fn split(line: &str) -> (&str, &str, &str) {
        let mut it = line.split(' ');
        let parts = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        assert!(it.next().is_none(), "extra section in {line:?}");
        parts
    }

    #[test]
    fn every_line_has_tsbs_shape() {
        let spec = DataSpec::tsbs_cpu();
        let hosts = 7;
        let body = Generator::new(&spec, cfg(hosts, 1))
            .unwrap()
            .lines(700)
            .unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(text.ends_with('\n'));
        let tag_keys: Vec<&str> = spec.tags.iter().map(|t| t.key.as_str()).collect();
        let field_keys: Vec<&str> = spec.fields.iter().map(|f| f.key.as_str()).collect();
        for (i, line) in text.lines().enumerate() {
            let (series, fields, ts) = split(line);
            let mut tags = series.split(',');
            assert_eq!(tags.next(), Some("cpu"));
            let tags: Vec<(&str, &str)> = tags.map(|kv| kv.split_once('=').unwrap()).collect();
            assert_eq!(tags.iter().map(|t| t.0).collect::<Vec<_>>(), tag_keys);
            assert_eq!(tags[0].1, format!("host_{}", i as u64 % hosts));
            assert!(tags.iter().all(|t| !t.1.is_empty()));
            let rack: u64 = tags[3].1.parse().unwrap();
            assert!(rack < 100);
            let fields: Vec<(&str, &str)> = fields
                .split(',')
                .map(|kv| kv.split_once('=').unwrap())
                .collect();
            assert_eq!(fields.iter().map(|f| f.0).collect::<Vec<_>>(), field_keys);
            for (_, v) in &fields {
                let v: f64 = v.parse().unwrap();
                assert!((0.0..=100.0).contains(&v));
            }
            let ts: i64 = ts.parse().unwrap();
            let round = i as i64 / hosts as i64;
            assert_eq!(ts, (DEFAULT_START_UNIX_S + 10 * round) * 1_000_000_000);
        }
    }

    #[test]
    fn host_tags_are_stable_across_rounds() {
        let spec = DataSpec::tsbs_cpu();
        let body = Generator::new(&spec, cfg(3, 1)).unwrap().lines(9).unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        let series: Vec<&str> = text.lines().map(|l| split(l).0).collect();
        assert_eq!(series[0], series[3]);
        assert_eq!(series[1], series[7]);
    }

    #[test]
    fn escapes_special_characters() {
        let mut spec = DataSpec::tsbs_cpu();
        spec.measurement = "my cpu,x".into();
        spec.tags.truncate(1);
        spec.tags[0].key = "host name".into();
        spec.fields.truncate(1);
        spec.fields[0].key = "a=b".into();
        spec.fields[0].kind = FieldType::Integer;
        let body = Generator::new(&spec, cfg(1, 1)).unwrap().lines(1).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.starts_with("my\\ cpu\\,x,host\\ name=host_0 a\\=b="),
            "{text}"
        );
        assert!(text.contains("i 1451606400000000000\n"), "{text}");
    }

    #[test]
    fn ring_cycles_shift_timestamps_without_duplicates() {
        let spec = DataSpec::tsbs_cpu();
        let rc = RingConfig {
            batch_size: 10,
            total_lines: None,
            max_bytes: 1, // forces M = 1
            gzip: false,
        };
        let ring = Ring::build(&spec, cfg(4, 1), rc).unwrap();
        assert_eq!(ring.batches(), 1);
        let mut s = Vec::new();
        let b0 = String::from_utf8(ring.body(0, &mut s, false).unwrap().unwrap().bytes.to_vec())
            .unwrap();
        let b1 = String::from_utf8(ring.body(1, &mut s, false).unwrap().unwrap().bytes.to_vec())
            .unwrap();
        // 10 lines over 4 hosts span R = 3 rounds; cycle 1 starts at round 3.
        for (l0, l1) in b0.lines().zip(b1.lines()) {
            let (s0, f0, t0) = split(l0);
            let (s1, f1, t1) = split(l1);
            assert_eq!((s0, f0), (s1, f1));
            let d: i64 = t1.parse::<i64>().unwrap() - t0.parse::<i64>().unwrap();
            assert_eq!(d, 30 * 1_000_000_000);
        }
    }

    #[test]
    fn short_ring_truncates_the_last_batch() {
        let spec = DataSpec::tsbs_cpu();
        let rc = RingConfig {
            batch_size: 10,
            total_lines: Some(25),
            max_bytes: 1, // M = 1: every batch reuses one full template
            gzip: true,
        };
        let ring = Ring::build(&spec, cfg(4, 1), rc).unwrap();
        assert_eq!(ring.batches(), 1);
        let mut s = Vec::new();
        let mut all = Vec::new();
        for b in 0..3 {
            let body = ring.body(b, &mut s, false).unwrap().unwrap();
            all.extend(
                body.bytes
                    .split_inclusive(|&c| c == b'\n')
                    .map(<[u8]>::to_vec),
            );
        }
        assert!(ring.body(3, &mut s, false).unwrap().is_none());
        assert_eq!(all.len(), 25);
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 25, "no duplicate lines");
    }

    #[test]
    fn count_bounded_ring_has_exact_lines() {
        let spec = DataSpec::tsbs_cpu();
        let rc = RingConfig {
            batch_size: 4,
            total_lines: Some(10),
            max_bytes: 1 << 20,
            gzip: true,
        };
        let ring = Ring::build(&spec, cfg(3, 1), rc).unwrap();
        assert_eq!(ring.batches(), 3);
        let mut s = Vec::new();
        let counts: Vec<usize> = (0..4)
            .map_while(|b| ring.body(b, &mut s, true).unwrap().map(|x| x.lines))
            .collect();
        assert_eq!(counts, vec![4, 4, 2]);
        let whole = Generator::new(&spec, cfg(3, 1)).unwrap().lines(10).unwrap();
        let mut joined = Vec::new();
        for b in 0..3 {
            joined.extend_from_slice(ring.body(b, &mut s, false).unwrap().unwrap().bytes);
        }
        assert_eq!(joined, whole);
        let gz = ring.body(0, &mut s, true).unwrap().unwrap();
        assert!(gz.gzipped);
        let mut dec = flate2::read::GzDecoder::new(gz.bytes);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut dec, &mut out).unwrap();
        assert_eq!(out, whole[..out.len()]);
    }
}
