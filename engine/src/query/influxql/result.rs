//! InfluxQL results and their JSON encoding, byte-compatible with InfluxDB 2.7's `/query`.
//!
//! Shape: `{"results":[{"statement_id":0,"series":[{"name":…,"tags":{…},"columns":[…],
//! "values":[[…]],"partial":true}],"partial":true,"messages":[…],"error":"…"}]}` with keys in
//! exactly that order (Go's struct order) and absent keys omitted (`tags` when empty,
//! `partial` when false, `series` when empty …).
//!
//! Invariants:
//! - Floats print like Go's `encoding/json`: shortest round-trip digits, no decimal point for
//!   whole numbers (`100`), exponent form with a signed exponent outside [1e-6, 1e21)
//!   (`1e+21`, `1e-7`). NaN and ±Inf never reach the encoder (they are nulls).
//! - Strings are escaped like Go's encoder, including its HTML escapes (`<` → `\u003c`, `>`,
//!   `&`, U+2028, U+2029).
//! - Times are RFC3339 with nanoseconds and trailing zeros trimmed, or — with an `epoch`
//!   precision — integers truncated toward zero.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One cell of a result row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// JSON null.
    Null,
    /// Integer.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// Float.
    Float(f64),
    /// String.
    Str(String),
    /// Boolean.
    Bool(bool),
    /// A time, ns since the epoch (formatted per [`Epoch`]).
    Time(i64),
}

/// How times are written (`epoch` query parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Epoch {
    /// RFC3339 with trimmed nanoseconds (no `epoch`).
    #[default]
    Rfc3339,
    /// `epoch=h`.
    Hours,
    /// `epoch=m`.
    Minutes,
    /// `epoch=s`.
    Seconds,
    /// `epoch=ms`.
    Millis,
    /// `epoch=u` / `µ`.
    Micros,
    /// `epoch=ns` / `n`.
    Nanos,
}

impl Epoch {
    /// Parses the `epoch` parameter (`None` for an unknown unit, which InfluxDB treats as
    /// RFC3339).
    pub fn parse(s: &str) -> Option<Epoch> {
        Some(match s {
            "h" => Epoch::Hours,
            "m" => Epoch::Minutes,
            "s" => Epoch::Seconds,
            "ms" => Epoch::Millis,
            "u" | "µ" | "us" => Epoch::Micros,
            "ns" | "n" => Epoch::Nanos,
            _ => return None,
        })
    }

    fn divisor(self) -> i64 {
        match self {
            Epoch::Rfc3339 | Epoch::Nanos => 1,
            Epoch::Hours => 3_600_000_000_000,
            Epoch::Minutes => 60_000_000_000,
            Epoch::Seconds => 1_000_000_000,
            Epoch::Millis => 1_000_000,
            Epoch::Micros => 1_000,
        }
    }
}

/// One series of a statement result.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Series {
    /// Measurement name (omitted when empty).
    pub name: String,
    /// Group-by tags (omitted when empty).
    pub tags: BTreeMap<String, String>,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    pub values: Vec<Vec<Cell>>,
    /// More rows of this series follow in a later chunk.
    pub partial: bool,
}

/// The result of one statement.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StatementResult {
    /// Index of the statement in the query.
    pub statement_id: usize,
    /// Series (omitted when empty).
    pub series: Vec<Series>,
    /// More series follow in a later chunk.
    pub partial: bool,
    /// Informational messages (omitted when empty).
    pub messages: Vec<(String, String)>,
    /// The statement's error.
    pub error: Option<String>,
}

impl StatementResult {
    /// A result carrying only an error.
    pub fn error(statement_id: usize, message: impl Into<String>) -> Self {
        StatementResult {
            statement_id,
            error: Some(message.into()),
            ..Default::default()
        }
    }
}

/// Writes `{"results":[…]}`.
pub fn write_response(results: &[StatementResult], epoch: Epoch, out: &mut String) {
    out.push_str("{\"results\":[");
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_result(r, epoch, out);
    }
    out.push_str("]}");
}

/// Writes one statement result object.
pub fn write_result(r: &StatementResult, epoch: Epoch, out: &mut String) {
    let _ = write!(out, "{{\"statement_id\":{}", r.statement_id);
    if !r.series.is_empty() {
        out.push_str(",\"series\":[");
        for (i, s) in r.series.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_series(s, epoch, out);
        }
        out.push(']');
    }
    if !r.messages.is_empty() {
        out.push_str(",\"messages\":[");
        for (i, (level, text)) in r.messages.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"level\":");
            write_str(level, out);
            out.push_str(",\"text\":");
            write_str(text, out);
            out.push('}');
        }
        out.push(']');
    }
    if r.partial {
        out.push_str(",\"partial\":true");
    }
    if let Some(e) = &r.error {
        out.push_str(",\"error\":");
        write_str(e, out);
    }
    out.push('}');
}

fn write_series(s: &Series, epoch: Epoch, out: &mut String) {
    out.push('{');
    let mut sep = "";
    if !s.name.is_empty() {
        out.push_str("\"name\":");
        write_str(&s.name, out);
        sep = ",";
    }
    if !s.tags.is_empty() {
        out.push_str(sep);
        out.push_str("\"tags\":{");
        for (i, (k, v)) in s.tags.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(k, out);
            out.push(':');
            write_str(v, out);
        }
        out.push('}');
        sep = ",";
    }
    out.push_str(sep);
    out.push_str("\"columns\":[");
    for (i, c) in s.columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(c, out);
    }
    out.push(']');
    if !s.values.is_empty() {
        out.push_str(",\"values\":[");
        for (i, row) in s.values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            for (j, cell) in row.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_cell(cell, epoch, out);
            }
            out.push(']');
        }
        out.push(']');
    }
    if s.partial {
        out.push_str(",\"partial\":true");
    }
    out.push('}');
}

/// Writes one cell.
pub fn write_cell(c: &Cell, epoch: Epoch, out: &mut String) {
    match c {
        Cell::Null => out.push_str("null"),
        Cell::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Cell::UInt(v) => {
            let _ = write!(out, "{v}");
        }
        Cell::Float(v) => write_float(*v, out),
        Cell::Str(s) => write_str(s, out),
        Cell::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Cell::Time(t) => match epoch {
            Epoch::Rfc3339 => {
                out.push('"');
                out.push_str(&format_time(*t));
                out.push('"');
            }
            e => {
                let _ = write!(out, "{}", t / e.divisor());
            }
        },
    }
}

/// A float as Go's `encoding/json` writes it; non-finite values as `null`.
pub fn write_float(v: f64, out: &mut String) {
    if !v.is_finite() {
        out.push_str("null");
        return;
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{v:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => {
                let _ = write!(out, "{m}e+{e}");
            }
            _ => out.push_str(&s),
        }
    } else {
        let _ = write!(out, "{v}");
    }
}

/// RFC3339 with nanoseconds, trailing zeros (and a bare `.`) trimmed, UTC `Z`.
pub fn format_time(t: i64) -> String {
    let full = chrono::DateTime::from_timestamp_nanos(t)
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    // `…:SS.fffffffffZ`: trim the fraction's trailing zeros, and the dot if nothing is left.
    match full.strip_suffix('Z').and_then(|s| s.split_once('.')) {
        Some((secs, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                format!("{secs}Z")
            } else {
                format!("{secs}.{frac}Z")
            }
        }
        None => full,
    }
}

/// A JSON string with Go's escaping.
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64) -> String {
        let mut s = String::new();
        write_float(v, &mut s);
        s
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(float(100.0), "100");
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(-0.25), "-0.25");
        assert_eq!(float(0.0), "0");
        assert_eq!(float(1e21), "1e+21");
        assert_eq!(float(1.5e-7), "1.5e-7");
        assert_eq!(float(0.000001), "0.000001");
        assert_eq!(float(123456789012345680000.0), "123456789012345680000");
        assert_eq!(float(f64::NAN), "null");
        assert_eq!(float(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn times_trimmed() {
        assert_eq!(format_time(946_684_800_000_000_000), "2000-01-01T00:00:00Z");
        assert_eq!(
            format_time(946_684_800_000_000_001),
            "2000-01-01T00:00:00.000000001Z"
        );
        assert_eq!(
            format_time(946_684_800_100_000_000),
            "2000-01-01T00:00:00.1Z"
        );
        assert_eq!(
            format_time(1_437_552_834_929_026_672),
            "2015-07-22T08:13:54.929026672Z"
        );
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(-1), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn response_shape_and_key_order() {
        let mut tags = BTreeMap::new();
        tags.insert("host".to_string(), "a<b".to_string());
        let results = vec![
            StatementResult {
                statement_id: 0,
                series: vec![Series {
                    name: "cpu".into(),
                    tags,
                    columns: vec!["time".into(), "value".into()],
                    values: vec![vec![Cell::Time(946_688_400_000_000_000), Cell::Float(1.0)]],
                    partial: false,
                }],
                ..Default::default()
            },
            StatementResult::error(1, "database name required"),
            StatementResult {
                statement_id: 2,
                ..Default::default()
            },
        ];
        let mut out = String::new();
        write_response(&results, Epoch::Rfc3339, &mut out);
        assert_eq!(
            out,
            r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a\u003cb"},"columns":["time","value"],"values":[["2000-01-01T01:00:00Z",1]]}]},{"statement_id":1,"error":"database name required"},{"statement_id":2}]}"#
        );
        let mut out = String::new();
        write_response(&results[..1], Epoch::Millis, &mut out);
        assert!(out.contains("[946688400000,1]"), "{out}");
        let mut out = String::new();
        write_cell(&Cell::Time(-1_500_000), Epoch::Millis, &mut out);
        assert_eq!(out, "-1", "truncated toward zero");
    }
}
