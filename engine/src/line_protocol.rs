//! Zero-copy line-protocol scanner, as InfluxDB OSS 2.7 accepts it.
//!
//! [`scan`] validates a whole request body in one pass and returns, per valid line, only byte
//! offsets ([`LineSpan`]); [`tags`] and [`fields`] iterate over a scanned line, and
//! [`write_series_key`] builds the canonical series key.
//!
//! ```
//! use ringflux_engine::line_protocol::{self, FieldValueRef, Precision};
//!
//! let body = b"cpu,region=eu,host=a usage=0.5,n=3i 1700000000\n";
//! let (mut lines, mut errors) = (Vec::new(), Vec::new());
//! line_protocol::scan(body, Precision::Seconds, &mut lines, &mut errors);
//! assert!(errors.is_empty());
//! let line = &lines[0];
//! assert_eq!(line.timestamp, Some(1_700_000_000_000_000_000));
//! let fields: Vec<_> = line_protocol::fields(body, line).collect();
//! assert_eq!(fields[1], (&b"n"[..], FieldValueRef::Integer(3)));
//! let (mut scratch, mut key) = (Vec::new(), Vec::new());
//! line_protocol::write_series_key(body, line, &mut scratch, &mut key);
//! assert_eq!(key, b"cpu,host=a,region=eu");
//! ```
//!
//! # Invariants
//!
//! - Every [`LineSpan`] returned by [`scan`] is fully valid: the iterators and
//!   [`write_series_key`] may assume validity, and never panic even on other input.
//! - Spans point into the body given to [`scan`]; nothing is copied. With `out`/`errors` that
//!   already have capacity, [`scan`] allocates nothing; the iterators never allocate.
//! - [`LineSpan::timestamp`] is in nanoseconds, already multiplied by the precision and within
//!   `[MIN_NANOS, MAX_NANOS]`.
//!
//! # Decisions (InfluxDB 2.7 `models/points.go` unless said otherwise)
//!
//! - Lines end at `\n`; a `\n` inside a quoted string field value does not end the line.
//!   Outside strings a `\n` always ends the line, even after a backslash.
//! - **`\r\n` is accepted** as a line end (2.7 would report `bad timestamp` or `invalid number`
//!   for the `\r`). A lone `\r` elsewhere is an ordinary byte.
//! - Leading spaces, tabs and NUL bytes of a line are skipped (2.7 `skipWhitespace`; the corpus
//!   rejects them). Blank lines and lines whose first non-blank byte is `#` are ignored.
//! - Escapes: a delimiter (`,` `=` space) right after a backslash is escaped. Unescaping drops
//!   the backslash only before `,` and space in the measurement, before `,` `=` space in tag
//!   keys, tag values and field keys, and before `"` and `\` in string values; every other
//!   backslash is literal. An unescaped `=` is allowed in the measurement.
//! - Tag keys `_measurement`, `_field` and `time` are rejected ("cannot use reserved tag key";
//!   the corpus accepts them). Duplicate tag keys are compared unescaped.
//! - Control characters (`\x01`, `\x0b`, ...) are ordinary bytes in names, like 2.7 (the corpus
//!   rejects some of them).
//! - **Invalid UTF-8 anywhere in a line is rejected** (like the corpus; 2.7 accepts it).
//! - Numbers: `[-]digits[.digits][e[+-]digits]` is a float (`1.`, `.5` allowed), `NaN`/`Inf`
//!   are rejected, floats that overflow to infinity are rejected; `<int>i` is i64, `<int>u` is
//!   u64 (no sign, no dot, no exponent); overflow is an error.
//! - Booleans: `t T true True TRUE f F false False FALSE`.
//! - After a closing quote only `,`, space or the line end may follow (2.7 is lenient here
//!   with garbage like `f="a"=1`; we reject it).
//! - The series key (raw measurement + tags) is at most 65535 bytes, and also raw key + 4 +
//!   field key (2.7's `seriesKeySize`) for every field.
//! - A string value longer than 1 MiB unescaped is a scan error here (2.7 drops the point at
//!   the storage layer with a 422 partial write).
//! - Timestamp: optional `-` and digits, followed only by spaces; it is multiplied by the
//!   precision and must lie in `[MIN_NANOS, MAX_NANOS]` ("time outside range").
//! - Error lines: like 2.7, the reported line excludes leading blanks and the `\n`; its end
//!   is found with 2.7's quote-tracking line splitter, so a bad line with an open quote
//!   swallows the following lines exactly as 2.7 does. The same splitter delimits `#` comment
//!   lines, so a comment like `# a b="x` also runs to the next closing quote, as in 2.7.
//! - Tags are sorted by their *unescaped* key bytes for the series key (2.7 sorts raw keys;
//!   this only changes the internal order when a key holds an escape).

use crate::model::FieldType;
pub use crate::model::Precision;

mod escape;
mod scan;
#[cfg(test)]
mod tests;

pub use escape::{
    has_escapes, parse_series_key, unescape_into, write_series_key, SeriesKeyParts, SeriesKeyTags,
};

/// Byte range into the request body. u32 offsets: bodies are capped well below 4 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// As a `usize` range.
    #[inline]
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Length in bytes.
    #[inline]
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// True if empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// The bytes of `body` in this span (empty if out of bounds).
    #[inline]
    pub fn slice(self, body: &[u8]) -> &[u8] {
        body.get(self.range()).unwrap_or_default()
    }
}

/// One fully validated line: only offsets, no copies.
#[derive(Debug, Clone, Copy)]
pub struct LineSpan {
    /// 1-based physical line number where the line starts.
    pub line_no: u32,
    /// Raw (still escaped) measurement bytes.
    pub measurement: Span,
    /// Raw `k=v,k=v` after the first unescaped `,` of the key; empty if no tags.
    pub tags: Span,
    /// Raw field set.
    pub fields: Span,
    /// Nanoseconds (already multiplied by the precision and range-checked), `None` if absent.
    pub timestamp: Option<i64>,
}

/// Why a line was rejected; [`ScanErrorKind::message`] is InfluxDB 2.7's reason text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanErrorKind {
    /// The line starts with a comma.
    MissingMeasurement,
    /// No field set.
    MissingFields,
    /// Empty tag key.
    MissingTagKey,
    /// Tag without `=` or with an empty value.
    MissingTagValue,
    /// Unescaped `=` in a tag value.
    InvalidTagFormat,
    /// The same tag key twice.
    DuplicateTags,
    /// Tag key `_measurement`, `_field` or `time`.
    ReservedTagKey,
    /// Series key longer than 65535 bytes.
    MaxKeyLengthExceeded,
    /// Empty field key.
    MissingFieldKey,
    /// Empty field value.
    MissingFieldValue,
    /// Field set not of the form `k=v[,k=v]`.
    InvalidFieldFormat,
    /// A string value without its closing quote.
    UnbalancedQuotes,
    /// Malformed number.
    InvalidNumber,
    /// Malformed or out-of-range float.
    InvalidFloat,
    /// Integer (`i`) out of the i64 range.
    IntegerOutOfRange,
    /// Unsigned (`u`) out of the u64 range.
    UnsignedOutOfRange,
    /// Not one of the boolean spellings.
    InvalidBoolean,
    /// Malformed timestamp.
    BadTimestamp,
    /// Timestamp outside `[MIN_NANOS, MAX_NANOS]` after applying the precision.
    TimestampOutOfRange,
    /// Something other than spaces after the timestamp.
    InvalidPoint,
    /// Invalid UTF-8 in the line (ringflux's rule; 2.7 accepts it).
    InvalidUtf8,
    /// A string value longer than 1 MiB (2.7 `tsdb.MaxFieldValueLength`).
    FieldValueTooLong,
    /// The body is 4 GiB or more (never reached behind the HTTP size limit).
    BodyTooLarge,
}

impl ScanErrorKind {
    /// InfluxDB 2.7's reason text (without the variable details 2.7 sometimes appends).
    pub fn message(self) -> &'static str {
        match self {
            ScanErrorKind::MissingMeasurement => "missing measurement",
            ScanErrorKind::MissingFields => "missing fields",
            ScanErrorKind::MissingTagKey => "missing tag key",
            ScanErrorKind::MissingTagValue => "missing tag value",
            ScanErrorKind::InvalidTagFormat => "invalid tag format",
            ScanErrorKind::DuplicateTags => "duplicate tags",
            ScanErrorKind::ReservedTagKey => "cannot use reserved tag key",
            ScanErrorKind::MaxKeyLengthExceeded => "max key length exceeded",
            ScanErrorKind::MissingFieldKey => "missing field key",
            ScanErrorKind::MissingFieldValue => "missing field value",
            ScanErrorKind::InvalidFieldFormat => "invalid field format",
            ScanErrorKind::UnbalancedQuotes => "unbalanced quotes",
            ScanErrorKind::InvalidNumber => "invalid number",
            ScanErrorKind::InvalidFloat => "invalid float",
            ScanErrorKind::IntegerOutOfRange => "unable to parse integer: value out of range",
            ScanErrorKind::UnsignedOutOfRange => "unable to parse unsigned: value out of range",
            ScanErrorKind::InvalidBoolean => "invalid boolean",
            ScanErrorKind::BadTimestamp => "bad timestamp",
            ScanErrorKind::TimestampOutOfRange => {
                "time outside range -9223372036854775806 - 9223372036854775806"
            }
            ScanErrorKind::InvalidPoint => "point is invalid",
            ScanErrorKind::InvalidUtf8 => "invalid UTF-8",
            ScanErrorKind::FieldValueTooLong => "field value too long, 1048576 bytes at most",
            ScanErrorKind::BodyTooLarge => "request body too large",
        }
    }
}

impl std::fmt::Display for ScanErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// One rejected line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanError {
    /// 1-based physical line number where the line starts.
    pub line_no: u32,
    /// The whole offending line (without leading blanks and the line end), for the message.
    pub line: Span,
    /// The reason.
    pub kind: ScanErrorKind,
}

/// Most errors [`scan`] records; it keeps scanning (and skipping bad lines) after that.
pub const MAX_REPORTED_ERRORS: usize = 16;

/// Validates every line of `body` completely (structure, escapes, UTF-8, numbers and their
/// ranges, integer overflow, booleans, quoted strings incl. raw newlines inside quotes,
/// duplicate tag keys, reserved tag keys, series key length <= 65535 bytes, string field
/// <= 1 MiB, timestamp range after multiplying by `precision`). Clears and fills `out` with the
/// valid lines and `errors` with the bad ones (at most [`MAX_REPORTED_ERRORS`]). Blank lines,
/// `#` comment lines and `\r\n` are handled. Allocates nothing when `out`/`errors` already have
/// capacity.
pub fn scan(
    body: &[u8],
    precision: Precision,
    out: &mut Vec<LineSpan>,
    errors: &mut Vec<ScanError>,
) {
    scan::scan(body, precision, out, errors);
}

/// How to unescape a raw token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapeKind {
    /// Measurement: `\,` and `\ `.
    Measurement,
    /// Tag key, tag value, field key: `\,`, `\=` and `\ `.
    Key,
    /// String field value: `\"` and `\\`.
    StringValue,
}

/// Field value as decoded from a validated line. Strings stay raw (escaped) bytes between the
/// quotes (unescape with [`EscapeKind::StringValue`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValueRef<'a> {
    /// Float.
    Float(f64),
    /// Signed integer (`i`).
    Integer(i64),
    /// Unsigned integer (`u`).
    UInteger(u64),
    /// Boolean.
    Boolean(bool),
    /// Raw string bytes between the quotes.
    String(&'a [u8]),
}

impl FieldValueRef<'_> {
    /// The storage type.
    pub fn field_type(&self) -> FieldType {
        match self {
            FieldValueRef::Float(_) => FieldType::Float,
            FieldValueRef::Integer(_) => FieldType::Integer,
            FieldValueRef::UInteger(_) => FieldType::UInteger,
            FieldValueRef::Boolean(_) => FieldType::Boolean,
            FieldValueRef::String(_) => FieldType::String,
        }
    }
}

/// Index of the first unescaped byte in `stops` at or after `i` (delimiter rule of the
/// scanner), or `b.len()`.
#[inline]
fn token_end(b: &[u8], mut i: usize, stops: &[u8]) -> usize {
    while let Some(&c) = b.get(i) {
        if c == b'\\' {
            i += if b.get(i + 1) == Some(&b'\\') { 1 } else { 2 };
            continue;
        }
        if stops.contains(&c) {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// Iterator over the tags of a line as spans (key, value), in input order.
#[derive(Debug, Clone)]
pub(crate) struct TagSpanIter<'a> {
    body: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> TagSpanIter<'a> {
    pub(crate) fn new(body: &'a [u8], tags: Span) -> Self {
        TagSpanIter {
            body,
            pos: tags.start as usize,
            end: (tags.end as usize).min(body.len()),
        }
    }
}

impl Iterator for TagSpanIter<'_> {
    type Item = (Span, Span);

    #[inline]
    fn next(&mut self) -> Option<(Span, Span)> {
        if self.pos >= self.end {
            return None;
        }
        let b = self.body.get(..self.end)?;
        let k0 = self.pos;
        let eq = token_end(b, k0, b"=");
        let v0 = eq + 1;
        let v_end = token_end(b, v0.min(b.len()), b",").max(v0);
        self.pos = v_end + 1;
        Some((
            Span {
                start: k0 as u32,
                end: eq as u32,
            },
            Span {
                start: v0 as u32,
                end: v_end as u32,
            },
        ))
    }
}

pub(crate) fn tags_spans<'a>(body: &'a [u8], line: &LineSpan) -> TagSpanIter<'a> {
    TagSpanIter::new(body, line.tags)
}

/// Iterator over `(raw key, raw value)` of a line's tags, in input order.
#[derive(Debug, Clone)]
pub struct TagIter<'a> {
    inner: TagSpanIter<'a>,
}

impl<'a> Iterator for TagIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (k, v) = self.inner.next()?;
        Some((k.slice(self.inner.body), v.slice(self.inner.body)))
    }
}

/// Tags of a line returned by [`scan`]: `(raw key, raw value)` in input order.
pub fn tags<'a>(body: &'a [u8], line: &LineSpan) -> TagIter<'a> {
    TagIter {
        inner: tags_spans(body, line),
    }
}

/// Iterator over `(raw key, value)` of a line's fields, in input order. On input that did not
/// come from [`scan`] it stops early and [`FieldIter::is_malformed`] becomes true.
#[derive(Debug, Clone)]
pub struct FieldIter<'a> {
    /// The field set bytes only.
    b: &'a [u8],
    pos: usize,
    malformed: bool,
}

impl FieldIter<'_> {
    /// True if iteration stopped on bytes that are not a valid field set.
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = (&'a [u8], FieldValueRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.b.len() || self.malformed {
            return None;
        }
        match self.decode() {
            Some(item) => Some(item),
            None => {
                self.malformed = true;
                None
            }
        }
    }
}

impl<'a> FieldIter<'a> {
    /// Splits off the next field without decoding its value: `(raw key, raw value, quoted)`.
    /// For a string the raw value is the bytes between the quotes.
    #[inline]
    fn next_raw(&mut self) -> Option<(&'a [u8], &'a [u8], bool)> {
        let b = self.b;
        let k0 = self.pos;
        let eq = token_end(b, k0, b"=");
        let key = b.get(k0..eq)?;
        let v0 = eq + 1;
        let (raw, quoted, end) = match b.get(v0)? {
            b'"' => {
                let mut i = v0 + 1;
                loop {
                    match b.get(i)? {
                        b'"' => break,
                        b'\\' if matches!(b.get(i + 1), Some(b'"' | b'\\')) => i += 2,
                        _ => i += 1,
                    }
                }
                (b.get(v0 + 1..i)?, true, i + 1)
            }
            _ => {
                let end = b
                    .get(v0..)?
                    .iter()
                    .position(|&c| c == b',')
                    .map_or(b.len(), |p| v0 + p);
                (b.get(v0..end)?, false, end)
            }
        };
        match b.get(end) {
            None => self.pos = end,
            Some(b',') => self.pos = end + 1,
            Some(_) => return None,
        }
        Some((key, raw, quoted))
    }

    #[inline]
    fn decode(&mut self) -> Option<(&'a [u8], FieldValueRef<'a>)> {
        let (key, raw, quoted) = self.next_raw()?;
        let v = if quoted {
            FieldValueRef::String(raw)
        } else {
            match raw.split_last()? {
                (b'i', num) => FieldValueRef::Integer(scan::parse_i64(num)?),
                (b'u', num) => FieldValueRef::UInteger(scan::parse_u64(num)?),
                (c, _) if c.is_ascii_digit() || *c == b'.' => {
                    FieldValueRef::Float(scan::parse_f64(raw)?)
                }
                _ => FieldValueRef::Boolean(scan::parse_bool(raw)?),
            }
        };
        Some((key, v))
    }
}

/// Iterator over `(raw key, type)` of a validated line's fields, without decoding the values
/// (the type follows from the value's last byte or its quotes). Used where only types matter.
#[derive(Debug, Clone)]
pub struct FieldTypeIter<'a> {
    inner: FieldIter<'a>,
}

impl<'a> Iterator for FieldTypeIter<'a> {
    type Item = (&'a [u8], FieldType);

    fn next(&mut self) -> Option<Self::Item> {
        if self.inner.pos >= self.inner.b.len() || self.inner.malformed {
            return None;
        }
        let Some((key, raw, quoted)) = self.inner.next_raw() else {
            self.inner.malformed = true;
            return None;
        };
        let ty = if quoted {
            FieldType::String
        } else {
            match raw.last() {
                Some(b'i') => FieldType::Integer,
                Some(b'u') => FieldType::UInteger,
                Some(c) if c.is_ascii_digit() || *c == b'.' => FieldType::Float,
                _ => FieldType::Boolean,
            }
        };
        Some((key, ty))
    }
}

/// Field types of a line returned by [`scan`]: `(raw key, type)` in input order.
pub fn field_types<'a>(body: &'a [u8], line: &LineSpan) -> FieldTypeIter<'a> {
    FieldTypeIter {
        inner: fields(body, line),
    }
}

/// Fields of a line returned by [`scan`]: `(raw key, value)` in input order.
pub fn fields<'a>(body: &'a [u8], line: &LineSpan) -> FieldIter<'a> {
    FieldIter {
        b: line.fields.slice(body),
        pos: 0,
        malformed: false,
    }
}
