//! Delete requests (`POST /api/v2/delete`): InfluxDB 2.7's delete-predicate language, the
//! time range, matching against series, and a compact binary form for WAL records. Pure: no
//! I/O, no shard state.
//!
//! # Grammar (as InfluxDB 2.7 accepts it)
//!
//! ```text
//! predicate  = ws* | conj
//! conj       = item ( "AND" item )*          AND is case-insensitive; stray ANDs are ignored
//! item       = rule | "(" conj ")"
//! rule       = key op value
//! key        = bare-ident | "\"" quoted "\"" | NAME-keyword (→ the key "name")
//! op         = "=" | "!=" | "<>"
//! value      = "\"" quoted "\"" | bare-ident | ["-"] number | TRUE | FALSE
//! bare-ident = [A-Za-z_][A-Za-z0-9_]*, not an InfluxQL keyword (keywords are case-insensitive)
//! quoted     = any char except newline; escapes \" \\ \' \n
//! ```
//!
//! The tokens are InfluxQL's (2.7 parses with the InfluxQL scanner), so values in single quotes
//! are *rejected* (`bad tag value`), a bare value stops at the first non-identifier character
//! (`host=a-b` fails), and a key that is an InfluxQL keyword must be double-quoted
//! (`"user"="x"`). Positions in messages are 0-based character offsets, as 2.7 reports them.
//!
//! Errors (kind `InvalidInput`, 2.7's text): `OR` → `the logical operator OR is not supported
//! yet at position N`; `=~`/`!~` → `operator: "=~" at position: N is not supported yet`; other
//! operators → `invalid operator ">" at position: N`; `bad tag key, at position N`;
//! `bad tag value: "x", at position N`; `extra ( seen`; `extra ) seen`;
//! `bad logical expression, at position N`. `_field = "…"` anywhere is kind `NotImplemented`,
//! `delete by field is not supported` (2.7 answers 501); it is checked after the syntax.
//!
//! Departures (2.7 accepts these and then misbehaves): two rules without `AND` between them and
//! an empty `()` are errors (`bad logical expression`); 2.7 turns `()` into "delete everything".
//!
//! # Semantics
//!
//! - Conditions are ANDed; an empty predicate (or only whitespace) matches every series.
//! - `_measurement` compares the measurement; any other key compares the tag of that key.
//! - A condition on a tag the series does not have is **false for `=` and for `!=`**: 2.7's
//!   predicate matcher (tsm1) never gets a value for that tag and ends with "no match". So
//!   `host != "a"` does not delete series without a `host` tag, and `_field != "x"`, `_time`,
//!   `_value` (never tags) match nothing.
//! - The time range is inclusive at both ends, `[start, stop]` (2.7 deletes through
//!   `DeleteSeriesRangeWithPredicate`, "between min and max (inclusive)").
//!
//! # Binary form (little-endian)
//!
//! ```text
//! predicate = version u8 (=1) · count u32 · count × ( op u8 (0 Eq, 1 Ne) · key_len u32 · key
//!             · value_len u32 · value )
//! request   = start i64 · stop i64 · predicate
//! ```
//!
//! `decode` reads exactly one value and rejects trailing bytes; it never panics and never
//! allocates more than the input could describe.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::line_protocol::parse_series_key;

/// Key naming the measurement rather than a tag.
pub const MEASUREMENT_KEY: &[u8] = b"_measurement";
/// Key naming the field; `_field = …` is refused, as in 2.7.
pub const FIELD_KEY: &[u8] = b"_field";
/// Earliest time 2.7 accepts for `start`/`stop` (`models.MinNanoTime`).
pub const MIN_NANO: i64 = i64::MIN + 2;
/// Latest time 2.7 accepts for `start`/`stop` (`models.MaxNanoTime`).
pub const MAX_NANO: i64 = i64::MAX - 1;

const FORMAT_VERSION: u8 = 1;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteOp {
    /// `=`.
    Eq,
    /// `!=` (or `<>`).
    Ne,
}

/// One `key op "value"` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteCondition {
    /// `_measurement` or a tag key (unescaped).
    #[serde(with = "bytes_or_str")]
    pub key: Box<[u8]>,
    /// The operator.
    pub op: DeleteOp,
    /// The value (unescaped).
    #[serde(with = "bytes_or_str")]
    pub value: Box<[u8]>,
}

/// ANDed conditions; empty matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeletePredicate {
    /// The conditions, in source order.
    pub conditions: Vec<DeleteCondition>,
}

/// A delete: the points in `[start, stop]` (ns, both inclusive) of series matching `predicate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRequest {
    /// First deleted time (inclusive).
    pub start: i64,
    /// Last deleted time (inclusive).
    pub stop: i64,
    /// Which series.
    pub predicate: DeletePredicate,
}

impl DeleteCondition {
    fn eval(&self, actual: Option<&[u8]>) -> bool {
        match (actual, self.op) {
            (None, _) => false,
            (Some(v), DeleteOp::Eq) => v == &*self.value,
            (Some(v), DeleteOp::Ne) => v != &*self.value,
        }
    }
}

impl DeletePredicate {
    /// Parses InfluxDB 2.7 delete-predicate syntax (see the module docs).
    pub fn parse(s: &str) -> Result<DeletePredicate> {
        let mut p = Parser {
            lx: Lexer::new(s),
            peeked: None,
        };
        let conditions = p.conj(0)?;
        let pred = DeletePredicate { conditions };
        if pred
            .conditions
            .iter()
            .any(|c| &*c.key == FIELD_KEY && c.op == DeleteOp::Eq)
        {
            return Err(Error::new(
                ErrorKind::NotImplemented,
                "delete by field is not supported",
            ));
        }
        Ok(pred)
    }

    /// True if the series with `measurement` and tags looked up through `tag` matches.
    pub fn matches<'t>(
        &self,
        measurement: &[u8],
        tag: &mut dyn FnMut(&[u8]) -> Option<&'t [u8]>,
    ) -> bool {
        self.conditions.iter().all(|c| {
            if &*c.key == MEASUREMENT_KEY {
                c.eval(Some(measurement))
            } else {
                c.eval(tag(&c.key))
            }
        })
    }

    /// True if the series with this canonical series key matches.
    pub fn matches_series_key(&self, canonical_key: &[u8]) -> bool {
        if self.conditions.is_empty() {
            return true;
        }
        let parts = parse_series_key(canonical_key);
        let measurement = parts.measurement();
        self.conditions.iter().all(|c| {
            if &*c.key == MEASUREMENT_KEY {
                return c.eval(Some(&measurement));
            }
            let found: Option<Cow<'_, [u8]>> = parts
                .tags()
                .find(|(k, _)| k.as_ref() == &*c.key)
                .map(|(_, v)| v);
            c.eval(found.as_deref())
        })
    }

    /// True if it matches every series.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// Appends the binary form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(FORMAT_VERSION);
        put_u32(out, self.conditions.len());
        for c in &self.conditions {
            out.push(match c.op {
                DeleteOp::Eq => 0,
                DeleteOp::Ne => 1,
            });
            put_u32(out, c.key.len());
            out.extend_from_slice(&c.key);
            put_u32(out, c.value.len());
            out.extend_from_slice(&c.value);
        }
    }

    /// Decodes exactly one binary predicate.
    pub fn decode(b: &[u8]) -> Result<DeletePredicate> {
        let mut r = Reader { b };
        let p = Self::decode_from(&mut r)?;
        r.finish()?;
        Ok(p)
    }

    fn decode_from(r: &mut Reader<'_>) -> Result<DeletePredicate> {
        let version = r.u8()?;
        if version != FORMAT_VERSION {
            return Err(corrupt(format!("unknown predicate version {version}")));
        }
        let count = r.u32()? as usize;
        // Each condition takes at least 9 bytes: never trust `count` for an allocation.
        if count > r.b.len() / 9 {
            return Err(corrupt(format!(
                "{count} conditions do not fit in {} bytes",
                r.b.len()
            )));
        }
        let mut conditions = Vec::with_capacity(count);
        for _ in 0..count {
            let op = match r.u8()? {
                0 => DeleteOp::Eq,
                1 => DeleteOp::Ne,
                x => return Err(corrupt(format!("unknown operator {x}"))),
            };
            let key = r.bytes()?.into();
            let value = r.bytes()?.into();
            conditions.push(DeleteCondition { key, op, value });
        }
        Ok(DeletePredicate { conditions })
    }
}

impl DeleteRequest {
    /// True if `t` is inside `[start, stop]`.
    pub fn matches_time(&self, t: i64) -> bool {
        self.start <= t && t <= self.stop
    }

    /// Appends the binary form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.stop.to_le_bytes());
        self.predicate.encode(out);
    }

    /// Decodes exactly one binary request.
    pub fn decode(b: &[u8]) -> Result<DeleteRequest> {
        let mut r = Reader { b };
        let start = r.i64()?;
        let stop = r.i64()?;
        let predicate = DeletePredicate::decode_from(&mut r)?;
        r.finish()?;
        Ok(DeleteRequest {
            start,
            stop,
            predicate,
        })
    }
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // Keys and values come from an HTTP body bounded far below 4 GiB.
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_le_bytes());
}

fn corrupt(msg: String) -> Error {
    Error::internal(format!("corrupt delete record: {msg}"))
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.b.len() {
            return Err(corrupt(format!("need {n} bytes, {} left", self.b.len())));
        }
        let (head, tail) = self.b.split_at(n);
        self.b = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn u32(&mut self) -> Result<u32> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }

    fn i64(&mut self) -> Result<i64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(i64::from_le_bytes(a))
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    fn finish(&self) -> Result<()> {
        if self.b.is_empty() {
            Ok(())
        } else {
            Err(corrupt(format!("{} trailing bytes", self.b.len())))
        }
    }
}

/// Serde for byte strings: a JSON string when UTF-8 (always, for parsed predicates), else an
/// array of numbers; both are accepted back.
mod bytes_or_str {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(b) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.serialize_bytes(b),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Bytes(Vec<u8>),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<[u8]>, D::Error> {
        Ok(match Repr::deserialize(d)? {
            Repr::Text(t) => t.into_bytes().into_boxed_slice(),
            Repr::Bytes(b) => b.into_boxed_slice(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer: the subset of InfluxQL's scanner that the delete predicate parser meets.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ws,
    /// Identifier, bare or double-quoted (unescaped).
    Ident(String),
    /// Keyword (upper-cased name, original text).
    Keyword(&'static str, String),
    /// Number; `kind` is INTEGER, NUMBER or DURATIONVAL.
    Number(&'static str, String),
    /// Single-quoted string (unescaped).
    Str(String),
    BadString(String),
    BadEscape(String),
    /// Operator or punctuation, by its InfluxQL spelling.
    Op(&'static str),
    Illegal(char),
    Eof,
}

impl Tok {
    /// InfluxQL's `Token.String()`.
    fn name(&self) -> &str {
        match self {
            Tok::Ws => "WS",
            Tok::Ident(_) => "IDENT",
            Tok::Keyword(k, _) => k,
            Tok::Number(kind, _) => kind,
            Tok::Str(_) => "STRING",
            Tok::BadString(_) => "BADSTRING",
            Tok::BadEscape(_) => "BADESCAPE",
            Tok::Op(o) => o,
            Tok::Illegal(_) => "ILLEGAL",
            Tok::Eof => "EOF",
        }
    }

    /// The literal text InfluxQL reports with the token.
    fn lit(&self) -> String {
        match self {
            Tok::Ident(s)
            | Tok::Keyword(_, s)
            | Tok::Number(_, s)
            | Tok::Str(s)
            | Tok::BadString(s)
            | Tok::BadEscape(s) => s.clone(),
            Tok::Illegal(c) => c.to_string(),
            Tok::Ws | Tok::Op(_) | Tok::Eof => String::new(),
        }
    }
}

/// InfluxQL keywords (case-insensitive) plus the boolean literals; a bare key or value
/// spelled like one is not an identifier. The keyword list is the InfluxQL parser's.
fn keyword(upper: &str) -> Option<&'static str> {
    crate::query::influxql::parser::KEYWORDS
        .iter()
        .chain(&["TRUE", "FALSE"])
        .find(|k| **k == upper)
        .copied()
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
}

fn is_ident_first(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Lexer {
    fn new(s: &str) -> Self {
        Lexer {
            chars: s.chars().collect(),
            i: 0,
        }
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_at(0)?;
        self.i += 1;
        Some(c)
    }

    /// Next token and its 0-based character position.
    fn next(&mut self) -> (Tok, usize) {
        let pos = self.i;
        let Some(c) = self.bump() else {
            return (Tok::Eof, pos);
        };
        let tok = match c {
            c if c.is_whitespace() => {
                while self.peek_at(0).is_some_and(char::is_whitespace) {
                    self.i += 1;
                }
                Tok::Ws
            }
            '"' => match self.quoted('"') {
                Ok(s) => Tok::Ident(s),
                Err(t) => t,
            },
            '\'' => match self.quoted('\'') {
                Ok(s) => Tok::Str(s),
                Err(t) => t,
            },
            c if is_ident_first(c) => {
                let mut s = String::from(c);
                while let Some(n) = self.peek_at(0).filter(|&n| is_ident_char(n)) {
                    s.push(n);
                    self.i += 1;
                }
                let upper = s.to_ascii_uppercase();
                match keyword(&upper) {
                    Some(k) => Tok::Keyword(k, s),
                    None => Tok::Ident(s),
                }
            }
            c if c.is_ascii_digit() => self.number(c),
            '.' if self.peek_at(0).is_some_and(|n| n.is_ascii_digit()) => self.number(c),
            '=' => self.two('~', "=~", "="),
            '!' => match self.peek_at(0) {
                Some('=') => {
                    self.i += 1;
                    Tok::Op("!=")
                }
                Some('~') => {
                    self.i += 1;
                    Tok::Op("!~")
                }
                _ => Tok::Illegal('!'),
            },
            '<' => match self.peek_at(0) {
                Some('=') => {
                    self.i += 1;
                    Tok::Op("<=")
                }
                Some('>') => {
                    self.i += 1;
                    Tok::Op("!=")
                }
                _ => Tok::Op("<"),
            },
            '>' => self.two('=', ">=", ">"),
            '-' => Tok::Op("-"),
            '+' => Tok::Op("+"),
            '*' => Tok::Op("*"),
            '/' => Tok::Op("/"),
            '%' => Tok::Op("%"),
            '&' => Tok::Op("&"),
            '|' => Tok::Op("|"),
            '^' => Tok::Op("^"),
            '(' => Tok::Op("("),
            ')' => Tok::Op(")"),
            ',' => Tok::Op(","),
            ';' => Tok::Op(";"),
            '.' => Tok::Op("."),
            ':' => self.two(':', "::", ":"),
            c => Tok::Illegal(c),
        };
        (tok, pos)
    }

    fn two(&mut self, second: char, both: &'static str, one: &'static str) -> Tok {
        if self.peek_at(0) == Some(second) {
            self.i += 1;
            Tok::Op(both)
        } else {
            Tok::Op(one)
        }
    }

    /// A quoted string after its opening `quote`; `Err` is a BADSTRING/BADESCAPE token.
    fn quoted(&mut self, quote: char) -> Result<String, Tok> {
        let mut s = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return Err(Tok::BadString(s)),
                Some(c) if c == quote => return Ok(s),
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some(c @ ('\\' | '"' | '\'')) => s.push(c),
                    Some(c) => return Err(Tok::BadEscape(format!("\\{c}"))),
                    None => return Err(Tok::BadEscape("\\".into())),
                },
                Some(c) => s.push(c),
            }
        }
    }

    /// A number starting with `first`: digits, an optional fraction, then duration units.
    fn number(&mut self, first: char) -> Tok {
        let mut s = String::from(first);
        let mut kind = if first == '.' { "NUMBER" } else { "INTEGER" };
        self.digits(&mut s);
        if kind == "INTEGER"
            && self.peek_at(0) == Some('.')
            && self.peek_at(1).is_some_and(|c| c.is_ascii_digit())
        {
            kind = "NUMBER";
            self.i += 1;
            s.push('.');
            self.digits(&mut s);
        }
        if kind == "INTEGER" {
            while let Some(unit) = self.duration_unit() {
                kind = "DURATIONVAL";
                s.push_str(&unit);
                self.digits(&mut s);
            }
        }
        Tok::Number(kind, s)
    }

    fn digits(&mut self, s: &mut String) {
        while let Some(c) = self.peek_at(0).filter(char::is_ascii_digit) {
            s.push(c);
            self.i += 1;
        }
    }

    fn duration_unit(&mut self) -> Option<String> {
        let unit = match (self.peek_at(0)?, self.peek_at(1)) {
            ('n', Some('s')) => "ns",
            ('m', Some('s')) => "ms",
            ('u', _) => "u",
            ('µ', _) => "µ",
            ('s', _) => "s",
            ('m', _) => "m",
            ('h', _) => "h",
            ('d', _) => "d",
            ('w', _) => "w",
            _ => return None,
        };
        self.i += unit.chars().count();
        Some(unit.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Parser.

struct Parser {
    lx: Lexer,
    peeked: Option<(Tok, usize)>,
}

fn invalid(msg: String) -> Error {
    Error::invalid(msg)
}

impl Parser {
    /// Next non-whitespace token.
    fn next(&mut self) -> (Tok, usize) {
        if let Some(t) = self.peeked.take() {
            return t;
        }
        loop {
            let t = self.lx.next();
            if t.0 != Tok::Ws {
                return t;
            }
        }
    }

    fn unread(&mut self, t: (Tok, usize)) {
        self.peeked = Some(t);
    }

    /// `conj` up to `)` (depth > 0) or the end (depth 0).
    fn conj(&mut self, depth: usize) -> Result<Vec<DeleteCondition>> {
        let mut out = Vec::new();
        // True right after an item: the next item needs an AND first.
        let mut after_item = false;
        loop {
            let (tok, pos) = self.next();
            match tok {
                Tok::Ident(_) | Tok::Number("INTEGER" | "NUMBER", _) | Tok::Keyword("NAME", _) => {
                    if after_item {
                        return Err(invalid(format!(
                            "bad logical expression, at position {pos}"
                        )));
                    }
                    self.unread((tok, pos));
                    out.push(self.rule()?);
                    after_item = true;
                }
                Tok::Keyword("AND", _) => after_item = false,
                Tok::Keyword("OR", _) => {
                    return Err(invalid(format!(
                        "the logical operator OR is not supported yet at position {pos}"
                    )))
                }
                Tok::Op("(") => {
                    if after_item {
                        return Err(invalid(format!(
                            "bad logical expression, at position {pos}"
                        )));
                    }
                    let inner = self.conj(depth + 1)?;
                    if inner.is_empty() {
                        return Err(invalid(format!(
                            "bad logical expression, at position {pos}"
                        )));
                    }
                    out.extend(inner);
                    after_item = true;
                }
                Tok::Op(")") => {
                    if depth == 0 {
                        return Err(invalid("extra ) seen".into()));
                    }
                    return Ok(out);
                }
                Tok::Eof => {
                    if depth > 0 {
                        return Err(invalid("extra ( seen".into()));
                    }
                    return Ok(out);
                }
                _ => {
                    return Err(invalid(format!(
                        "bad logical expression, at position {pos}"
                    )))
                }
            }
        }
    }

    fn rule(&mut self) -> Result<DeleteCondition> {
        let (tok, pos) = self.next();
        let key = match tok {
            Tok::Ident(s) => s,
            Tok::Keyword("NAME", _) => "name".to_string(),
            _ => return Err(invalid(format!("bad tag key, at position {pos}"))),
        };
        let (tok, pos) = self.next();
        let op = match tok {
            Tok::Op("=") => DeleteOp::Eq,
            Tok::Op("!=") => DeleteOp::Ne,
            Tok::Op(o @ ("=~" | "!~")) => {
                return Err(invalid(format!(
                    "operator: {o:?} at position: {pos} is not supported yet"
                )))
            }
            other => {
                return Err(invalid(format!(
                    "invalid operator {:?} at position: {pos}",
                    other.name()
                )))
            }
        };
        let mut value = String::new();
        loop {
            let (tok, pos) = self.next();
            match tok {
                Tok::Op("-") => value = "-".to_string(),
                Tok::Ident(s) | Tok::Number(_, s) => {
                    value.push_str(&s);
                    break;
                }
                Tok::Keyword("TRUE", _) => {
                    value = "true".to_string();
                    break;
                }
                Tok::Keyword("FALSE", _) => {
                    value = "false".to_string();
                    break;
                }
                other => {
                    return Err(invalid(format!(
                        "bad tag value: {:?}, at position {pos}",
                        other.lit()
                    )))
                }
            }
        }
        Ok(DeleteCondition {
            key: key.into_bytes().into_boxed_slice(),
            op,
            value: value.into_bytes().into_boxed_slice(),
        })
    }
}

#[cfg(test)]
mod tests;
