//! Runs every decode case of the shared line-protocol conformance corpus
//! (`shared/conformance/line-protocol/corpus.json`, from `influxdata/line-protocol-corpus`)
//! against `line_protocol::scan`, plus a seeded random-input smoke test.
//!
//! Cases where ringflux deliberately follows InfluxDB 2.7 instead of the corpus are listed
//! in `EXCEPTIONS` with the reason; any other mismatch fails the test.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test harness: panics are the failure report

use std::path::{Path, PathBuf};

use base64::Engine as _;
use ringflux_engine::line_protocol::{
    self, EscapeKind, FieldValueRef, LineSpan, Precision, ScanError,
};
use serde_json::Value;

fn corpus_path() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/line-protocol/corpus.json");
    if p.exists() {
        return p;
    }
    if let Ok(dir) = std::env::var("RINGFLUX_SHARED_DIR") {
        let p = Path::new(&dir).join("conformance/line-protocol/corpus.json");
        if p.exists() {
            return p;
        }
        let p = Path::new(&dir).join("line-protocol/corpus.json");
        if p.exists() {
            return p;
        }
    }
    panic!(
        "line-protocol corpus not found: expected {} or $RINGFLUX_SHARED_DIR/conformance/line-protocol/corpus.json",
        p.display()
    );
}

fn load_corpus() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(corpus_path()).expect("read corpus.json");
    let v: Value = serde_json::from_str(&text).expect("parse corpus.json");
    v["decode"].as_object().expect("decode object").clone()
}

/// A string or `{"binary": base64}`.
fn bytes_of(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) => base64::engine::general_purpose::STANDARD
            .decode(o["binary"].as_str().expect("binary"))
            .expect("base64"),
        other => panic!("unexpected string value {other}"),
    }
}

fn precision_of(s: &str) -> Precision {
    match s {
        "1ns" => Precision::Nanoseconds,
        "1µs" => Precision::Microseconds,
        "1ms" => Precision::Milliseconds,
        "1s" => Precision::Seconds,
        other => panic!("unknown precision {other}"),
    }
}

#[derive(Debug, Clone)]
enum Val {
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
    Str(Vec<u8>),
}

/// Floats compare by value, allowing 2 ULP: serde_json (without its `float_roundtrip`
/// feature) does not round every long decimal in corpus.json correctly, e.g. it reads
/// `1.7976931348623157e+53` as `1.7976931348623155e+53`.
impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Float(a), Val::Float(b)) => {
                a == b
                    || (a.is_finite()
                        && b.is_finite()
                        && a.signum() == b.signum()
                        && a.to_bits().abs_diff(b.to_bits()) <= 2)
            }
            (Val::Int(a), Val::Int(b)) => a == b,
            (Val::Uint(a), Val::Uint(b)) => a == b,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Point {
    time: i64,
    name: Vec<u8>,
    tags: Vec<(Vec<u8>, Vec<u8>)>,
    fields: Vec<(Vec<u8>, Val)>,
}

fn expected_points(result: &Value) -> Vec<Point> {
    result
        .as_array()
        .expect("result array")
        .iter()
        .map(|p| Point {
            time: p["time"].as_i64().expect("time"),
            name: bytes_of(&p["name"]),
            tags: p["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .map(|t| (bytes_of(&t["key"]), bytes_of(&t["value"])))
                .collect(),
            fields: p["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .map(|f| {
                    let v = f["value"].as_object().expect("value object");
                    let (kind, x) = v.iter().next().expect("one value");
                    let val = match kind.as_str() {
                        "int" => Val::Int(x.as_i64().expect("int")),
                        "uint" => Val::Uint(x.as_u64().expect("uint")),
                        "float" => Val::Float(x.as_f64().expect("float")),
                        "bool" => Val::Bool(x.as_bool().expect("bool")),
                        "string" => Val::Str(x.as_str().expect("string").as_bytes().to_vec()),
                        "binary" => Val::Str(bytes_of(&f["value"])),
                        other => panic!("unknown value kind {other}"),
                    };
                    (bytes_of(&f["key"]), val)
                })
                .collect(),
        })
        .collect()
}

fn unescape(raw: &[u8], kind: EscapeKind) -> Vec<u8> {
    let mut v = Vec::new();
    line_protocol::unescape_into(raw, kind, &mut v);
    v
}

/// Decodes a scanned line into an owned point (tags sorted by unescaped key).
fn to_point(body: &[u8], line: &LineSpan, default_time: i64, precision: Precision) -> Point {
    let mut tags: Vec<_> = line_protocol::tags(body, line)
        .map(|(k, v)| (unescape(k, EscapeKind::Key), unescape(v, EscapeKind::Key)))
        .collect();
    tags.sort();
    let mut it = line_protocol::fields(body, line);
    let fields = it
        .by_ref()
        .map(|(k, v)| {
            let val = match v {
                FieldValueRef::Float(f) => Val::Float(f),
                FieldValueRef::Integer(i) => Val::Int(i),
                FieldValueRef::UInteger(u) => Val::Uint(u),
                FieldValueRef::Boolean(b) => Val::Bool(b),
                FieldValueRef::String(s) => Val::Str(unescape(s, EscapeKind::StringValue)),
            };
            (unescape(k, EscapeKind::Key), val)
        })
        .collect();
    assert!(
        !it.is_malformed(),
        "field iterator failed on a scanned line"
    );
    Point {
        time: line
            .timestamp
            .unwrap_or_else(|| precision.truncate(default_time)),
        name: unescape(line.measurement.slice(body), EscapeKind::Measurement),
        tags,
        fields,
    }
}

type Outcome = Result<Vec<Point>, Vec<ScanError>>;

fn run(body: &[u8], precision: Precision, default_time: i64) -> Outcome {
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    line_protocol::scan(body, precision, &mut lines, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(lines
        .iter()
        .map(|l| to_point(body, l, default_time, precision))
        .collect())
}

/// Why we deliberately differ from the corpus (we follow InfluxDB 2.7 `models/points.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// 2.7 rejects the tag keys `_measurement`, `_field` and `time` at parse time
    /// ("cannot use reserved tag key"); the corpus accepts them.
    Reserved,
    /// 2.7 skips leading spaces, tabs and NUL bytes of a line (`skipWhitespace`), so a
    /// whitespace-only line is blank and `\tm v=1` is valid; the corpus rejects them.
    LeadingWhitespace,
    /// 2.7 treats control characters (`\x01`, `\x0b`, tab inside a name, ...) as ordinary
    /// bytes of measurements, tag keys and field keys; the corpus rejects them.
    ControlChar,
    /// 2.7 ignores everything in a `#` comment line; the corpus rejects control characters
    /// inside comments.
    CommentContent,
}

impl Reason {
    /// Sanity check that the case really is of this kind, so the list cannot hide bugs.
    fn applies(self, body: &[u8], got: &Outcome) -> bool {
        let has_control = body
            .iter()
            .any(|&c| c < 0x20 && c != b'\n' && c != b'\r' || c == 0x7f);
        match self {
            Reason::Reserved => got.as_ref().is_err_and(|e| {
                e.iter()
                    .all(|e| e.kind == line_protocol::ScanErrorKind::ReservedTagKey)
            }),
            Reason::LeadingWhitespace => matches!(body.first(), Some(b' ' | b'\t' | 0)),
            Reason::ControlChar => got.is_ok() && has_control,
            Reason::CommentContent => got.is_ok() && body.first() == Some(&b'#'),
        }
    }
}

/// Documented differences, one per corpus case: (corpus key, reason).
const EXCEPTIONS: &[(&str, Reason)] = &[
    ("dfa6432a639651d02910c4527badb15c", Reason::CommentContent),
    ("0a651fa607ab9c86a994595138d4c05d", Reason::ControlChar),
    ("0c7e31b4461e4f7d39773f3b51bc65b2", Reason::ControlChar),
    ("13a9b07a16a3adfe3480654a86d02e38", Reason::ControlChar),
    ("25957c0a9f5e3a8c28124d338e73bad3", Reason::ControlChar),
    ("2623897fce20a66add4480b8ccdb731d", Reason::ControlChar),
    ("26cfbed8d8851eef6a261d5686fd11fc", Reason::ControlChar),
    ("3f3bc29cfe6c96cf9d238ff63c5fa6bf", Reason::ControlChar),
    ("42548a1a62e8be170084ee9a2f3aec8f", Reason::ControlChar),
    ("56ff88db80cd3c336df0e87b37781567", Reason::ControlChar),
    ("58fffd30c1c9dad9c9984ccd5133f81a", Reason::ControlChar),
    ("59982a3514650f889137442530943a90", Reason::ControlChar),
    ("5ad031a221d58ad63678723d1c8ecb78", Reason::ControlChar),
    ("5cf24359afc94ef13998b0e04da832e9", Reason::ControlChar),
    ("6010fd1d0b989fe02361429f3c079838", Reason::ControlChar),
    ("6891ed1743886fc992016bc88e674ed7", Reason::ControlChar),
    ("86ad5415533a0ab3e763c31c9b7c0bec", Reason::ControlChar),
    ("8777ed9a6ae7cc0589f981b52a4a539b", Reason::ControlChar),
    ("a1ff4186b3c89a88417e3ba268a03a14", Reason::ControlChar),
    ("a2104143356bbe4f000c8d513d8f73e8", Reason::ControlChar),
    ("a5ad697c142e6043f0891a33b762ec73", Reason::ControlChar),
    ("a667a7c1a0587907bf12d6c3cc130fa8", Reason::ControlChar),
    ("ad4649c6a5a66d243033a2c73bfd5331", Reason::ControlChar),
    ("becde1a0c476076535ec15390be67032", Reason::ControlChar),
    ("c6ecafbf7b8b36c7f6aa38d6b7e59e75", Reason::ControlChar),
    ("ce6e11d399b922c1eb23bbbefd8d54d8", Reason::ControlChar),
    ("cfd8fedc12a563d596f8c1a7c1627a1b", Reason::ControlChar),
    ("d0e2590863e6978ecc73afdd88599f5d", Reason::ControlChar),
    ("d313151b678ec4edf087f5ad89b6a774", Reason::ControlChar),
    ("d358219c5b4d3bd740a7312675274250", Reason::ControlChar),
    ("ddaec4474adb1a838c4e170b8fb6c57e", Reason::ControlChar),
    ("f06a50fba369fe8f7366da683f7a6396", Reason::ControlChar),
    ("f18ab571373a4ca6bd956e12d0391bdc", Reason::ControlChar),
    ("f8ccd78f52d6485b24303a99b4c314b2", Reason::ControlChar),
    ("f9d6e94df94cb7ae71cc5468ede46fcd", Reason::ControlChar),
    ("fc1b06054d0d161bdb48184fe6c1c42b", Reason::ControlChar),
    ("fcbf36a02fffb1937e97cd0bab7f0fcf", Reason::ControlChar),
    (
        "2be024ca70163a7068b08f5e8ef57ffa",
        Reason::LeadingWhitespace,
    ),
    (
        "a02aab4c616a523b89c419dc100e70fd",
        Reason::LeadingWhitespace,
    ),
    (
        "b273387da8c16a88459b48e7657c928a",
        Reason::LeadingWhitespace,
    ),
    (
        "c0ce359f018a4255f4152ca2bc156ca7",
        Reason::LeadingWhitespace,
    ),
    ("1649ca32c656808ffa2cdd4a6531a62f", Reason::Reserved),
    ("2a6fa6f9c4bd199a093f88e94b542430", Reason::Reserved),
    ("4ab0e35c7e7840d2e7c5efd2f8f65535", Reason::Reserved),
    ("5f10c11304f37e8f65e1d9fc36c6fde3", Reason::Reserved),
    ("84b68fc423b301db6656472aeb593156", Reason::Reserved),
    ("ac1cb11cc76829023afa8085607c0560", Reason::Reserved),
    ("b4163b9c45e5ff8d52e342fe4947bf6b", Reason::Reserved),
    ("c69cb34805c867d499130dc64e5d888e", Reason::Reserved),
    ("d532e332af9cd218c2a526ad32f22371", Reason::Reserved),
    ("d8a7cd920c2951e19b0fa49dc3ccb919", Reason::Reserved),
    ("eaf5b8e0c1e2eda765918fc7080502ab", Reason::Reserved),
];

#[test]
fn corpus_decode_cases() {
    let corpus = load_corpus();
    let (mut passed, mut excepted, mut failed) = (0usize, 0usize, Vec::new());
    let mut used_exceptions = std::collections::HashSet::new();
    let mut by_reason = std::collections::BTreeMap::new();
    for (key, case) in &corpus {
        let input = &case["input"];
        let body = bytes_of(&input["text"]);
        let precision = precision_of(input["precision"].as_str().expect("precision"));
        let default_time = input["defaultTime"].as_i64().expect("defaultTime");
        let got = run(&body, precision, default_time);
        let output = &case["output"];
        let ok = match (&got, output.get("result")) {
            (Ok(points), Some(result)) => *points == expected_points(result),
            (Err(_), None) => true,
            _ => false,
        };
        if ok {
            passed += 1;
        } else if let Some((_, reason)) = EXCEPTIONS
            .iter()
            .find(|(k, r)| k == key && r.applies(&body, &got))
        {
            *by_reason.entry(format!("{reason:?}")).or_insert(0usize) += 1;
            excepted += 1;
            used_exceptions.insert(key.clone());
        } else {
            failed.push(format!(
                "{key}: input {:?}\n    expected {}\n    got {:?}",
                String::from_utf8_lossy(&body),
                output,
                got.as_ref()
                    .map_err(|e| e.iter().map(|e| e.kind.message()).collect::<Vec<_>>())
            ));
        }
    }
    for f in &failed {
        eprintln!("MISMATCH {f}");
    }
    let stale: Vec<_> = EXCEPTIONS
        .iter()
        .filter(|(k, _)| !used_exceptions.contains(*k))
        .map(|(k, _)| *k)
        .collect();
    println!(
        "line-protocol corpus: {passed} passed, {excepted} documented exceptions, {} failed",
        failed.len()
    );
    println!("documented exceptions by reason: {by_reason:?}");
    assert!(
        stale.is_empty(),
        "exceptions that no longer differ: {stale:?}"
    );
    assert!(
        failed.is_empty(),
        "{} unexpected corpus mismatches",
        failed.len()
    );
}

/// Tiny deterministic PRNG (xorshift64*).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = b" ,=\"\\\n\r\t#-+.0123456789eEiutfTFN\x00\x0b\xff\xc3";

fn mutate(rng: &mut XorShift, input: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let len = input.len();
        match rng.below(5) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            1 => {
                let i = rng.below(len + 1);
                input.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
            }
            2 if len > 0 => {
                input.remove(rng.below(len));
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(16)).min(len);
                let chunk = input[a..b].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, chunk);
            }
            _ => input.push(rng.next() as u8),
        }
    }
}

/// Checks everything a consumer may do with an accepted line.
fn check_accepted(body: &[u8], lines: &[LineSpan]) {
    let (mut scratch, mut key) = (Vec::new(), Vec::new());
    let mut prev_line = 0;
    for line in lines {
        assert!(line.line_no > prev_line, "line numbers must increase");
        prev_line = line.line_no;
        for s in [line.measurement, line.tags, line.fields] {
            assert!(s.start <= s.end && s.end as usize <= body.len());
        }
        assert!(!line.measurement.is_empty() && !line.fields.is_empty());
        let mut f = line_protocol::fields(body, line);
        let n = f.by_ref().count();
        assert!(
            !f.is_malformed() && n > 0,
            "fields of an accepted line failed: {:?}",
            String::from_utf8_lossy(body)
        );
        line_protocol::write_series_key(body, line, &mut scratch, &mut key);
        let parts = line_protocol::parse_series_key(&key);
        assert_eq!(
            parts.measurement().as_ref(),
            &unescape(line.measurement.slice(body), EscapeKind::Measurement)[..]
        );
        let mut want: Vec<_> = line_protocol::tags(body, line)
            .map(|(k, v)| (unescape(k, EscapeKind::Key), unescape(v, EscapeKind::Key)))
            .collect();
        want.sort();
        let got: Vec<_> = parts
            .tags()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            got,
            want,
            "series key round trip of {:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn random_inputs_never_panic_and_accepted_lines_decode() {
    let corpus = load_corpus();
    let mut inputs: Vec<Vec<u8>> = corpus
        .values()
        .map(|c| bytes_of(&c["input"]["text"]))
        .collect();
    // Valid seeds with every construct, so that many mutants stay valid.
    for _ in 0..500 {
        inputs.push(
            b"c\\ p\\,u=x,z=1,a\\ b=\\=2,\\a=3 f=1.5,i=-3i,u=7u,b=TRUE,s=\"q\\\"\\\\\
,=\" 1700000000\r\n# c\n  m v=.5e-3 -1\n"
                .to_vec(),
        );
    }
    let mut rng = XorShift(0x5EED_1234_ABCD_0001);
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    let mut accepted = 0usize;
    for iter in 0..100_000 {
        let body = if iter % 10 == 0 {
            (0..rng.below(64))
                .map(|_| INTERESTING[rng.below(INTERESTING.len())])
                .collect()
        } else {
            let mut b = inputs[rng.below(inputs.len())].clone();
            mutate(&mut rng, &mut b);
            b
        };
        for p in [Precision::Nanoseconds, Precision::Seconds] {
            line_protocol::scan(&body, p, &mut lines, &mut errors);
            assert!(errors.len() <= line_protocol::MAX_REPORTED_ERRORS);
            for e in &errors {
                assert!(e.line.start <= e.line.end && e.line.end as usize <= body.len());
            }
            accepted += lines.len();
            check_accepted(&body, &lines);
        }
    }
    println!("random inputs: {accepted} accepted lines checked");
    assert!(accepted > 1000);
}
