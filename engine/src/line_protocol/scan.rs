//! The byte scanner: splits a body into lines and validates each line completely.

use super::{LineSpan, Precision, ScanError, ScanErrorKind, Span, MAX_REPORTED_ERRORS};
use crate::model::{MAX_NANOS, MIN_NANOS};

/// Largest series key (measurement + tags, raw) InfluxDB accepts (`models.MaxKeyLength`).
pub(crate) const MAX_KEY_LENGTH: usize = 65535;
/// Largest string field value (unescaped) InfluxDB 2.7 stores (`tsdb.MaxFieldValueLength`).
pub(crate) const MAX_STRING_LENGTH: usize = 1 << 20;

/// Byte classes for the hot loops. Bit set = the loop must stop and look at the byte.
const STOP_MEASUREMENT: u8 = 1; // `\` `,` ` ` `\n`
const STOP_KEY: u8 = 2; // `\` `,` ` ` `=` `\n`
const STOP_STRING: u8 = 4; // `\` `"` `\n`

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'\\' as usize] = STOP_MEASUREMENT | STOP_KEY | STOP_STRING;
    t[b',' as usize] = STOP_MEASUREMENT | STOP_KEY;
    t[b' ' as usize] = STOP_MEASUREMENT | STOP_KEY;
    t[b'\n' as usize] = STOP_MEASUREMENT | STOP_KEY | STOP_STRING;
    t[b'=' as usize] = STOP_KEY;
    t[b'"' as usize] = STOP_STRING;
    t
};

/// Byte at `i`, or `\n` past the end: the end of the body behaves like a line end.
#[inline(always)]
fn at(b: &[u8], i: usize) -> u8 {
    match b.get(i) {
        Some(&c) => c,
        None => b'\n',
    }
}

/// True at a line end: `\n`, `\r\n` or the end of the body.
#[inline(always)]
fn is_eol(b: &[u8], i: usize) -> bool {
    match at(b, i) {
        b'\n' => true,
        b'\r' => at(b, i + 1) == b'\n',
        _ => false,
    }
}

/// Skips bytes until one in class `stop`; backslash escapes follow the delimiter rule of
/// [`super::escape`] (a byte right after a backslash is never a delimiter, except `\n`).
/// Sets `*escaped` if a backslash was seen.
#[inline(always)]
fn skip_token_esc(b: &[u8], mut i: usize, stop: u8, escaped: &mut bool) -> usize {
    loop {
        let c = at(b, i);
        if CLASS[c as usize] & stop == 0 {
            i += 1;
            continue;
        }
        if c != b'\\' {
            return i;
        }
        *escaped = true;
        match at(b, i + 1) {
            b'\\' | b'\n' => i += 1,
            _ => i += 2,
        }
    }
}

#[inline(always)]
fn skip_token(b: &[u8], i: usize, stop: u8) -> usize {
    let mut escaped = false;
    skip_token_esc(b, i, stop, &mut escaped)
}

/// Tag keys of the current line kept on the side for the duplicate check (reused per scan).
pub(crate) const MAX_FAST_TAGS: usize = 64;

#[inline(always)]
fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == 0
}

#[inline(always)]
fn span(start: usize, end: usize) -> Span {
    // Bodies are capped well below 4 GiB (checked once in `scan`).
    Span {
        start: start as u32,
        end: end as u32,
    }
}

/// A successfully scanned line.
struct Parsed {
    line: LineSpan,
    /// Index of the line end (`\n`, `\r` of `\r\n`, or `body.len()`).
    end: usize,
}

/// Parser state for one line.
struct Line<'a> {
    b: &'a [u8],
    /// Newlines consumed inside quoted string values.
    inner_newlines: u32,
    /// Tag key spans of the line (the first `MAX_FAST_TAGS`).
    keys: [Span; MAX_FAST_TAGS],
    /// Whether some tag key holds a backslash.
    key_escapes: bool,
}

type Res<T> = Result<T, ScanErrorKind>;

impl Line<'_> {
    /// Parses the line starting at `start` (first non-blank byte, not `#`, not a line end).
    fn parse(&mut self, start: usize, precision: Precision) -> Res<Parsed> {
        let b = self.b;
        // Measurement.
        if at(b, start) == b',' {
            return Err(ScanErrorKind::MissingMeasurement);
        }
        let mut i = skip_token(b, start, STOP_MEASUREMENT);
        let measurement = span(start, i);
        let mut tags = Span::default();
        let mut ntags = 0usize;
        self.key_escapes = false;
        if at(b, i) == b',' {
            // Tags.
            i += 1;
            let tags_start = i;
            loop {
                let k0 = i;
                match at(b, i) {
                    b' ' | b',' | b'=' | b'\n' => return Err(ScanErrorKind::MissingTagKey),
                    _ => {}
                }
                i = skip_token_esc(b, i, STOP_KEY, &mut self.key_escapes);
                if at(b, i) != b'=' {
                    return Err(ScanErrorKind::MissingTagValue);
                }
                let key = span(k0, i);
                if matches!(key.slice(b), b"_measurement" | b"_field" | b"time") {
                    return Err(ScanErrorKind::ReservedTagKey);
                }
                if let Some(slot) = self.keys.get_mut(ntags) {
                    *slot = key;
                }
                ntags += 1;
                i += 1;
                let v0 = i;
                i = skip_token(b, i, STOP_KEY);
                if i == v0 {
                    return Err(ScanErrorKind::MissingTagValue);
                }
                match at(b, i) {
                    b',' => i += 1,
                    b' ' => break,
                    b'=' => return Err(ScanErrorKind::InvalidTagFormat),
                    _ => return Err(ScanErrorKind::MissingFields),
                }
            }
            tags = span(tags_start, i);
            if ntags > 1 {
                self.check_duplicates(tags, ntags)?;
            }
        } else if at(b, i) != b' ' {
            return Err(ScanErrorKind::MissingFields);
        }
        let key_len = i - start;
        if key_len > MAX_KEY_LENGTH {
            return Err(ScanErrorKind::MaxKeyLengthExceeded);
        }
        // Fields.
        while is_ws(at(b, i)) {
            i += 1;
        }
        if is_eol(b, i) {
            return Err(ScanErrorKind::MissingFields);
        }
        let fields_start = i;
        loop {
            let k0 = i;
            match at(b, i) {
                b'=' => return Err(ScanErrorKind::MissingFieldKey),
                b' ' | b',' => return Err(ScanErrorKind::InvalidFieldFormat),
                _ if is_eol(b, i) => return Err(ScanErrorKind::InvalidFieldFormat),
                _ => {}
            }
            i = skip_token(b, i, STOP_KEY);
            if at(b, i) != b'=' {
                return Err(ScanErrorKind::InvalidFieldFormat);
            }
            if key_len + 4 + (i - k0) > MAX_KEY_LENGTH {
                return Err(ScanErrorKind::MaxKeyLengthExceeded);
            }
            i += 1;
            i = self.field_value(i)?;
            match at(b, i) {
                b',' => i += 1,
                b' ' => break,
                _ if is_eol(b, i) => break,
                _ => return Err(ScanErrorKind::InvalidFieldFormat),
            }
        }
        let fields = span(fields_start, i);
        // Timestamp.
        while is_ws(at(b, i)) {
            i += 1;
        }
        let mut timestamp = None;
        if !is_eol(b, i) {
            let (t, next) = parse_timestamp(b, i)?;
            i = next;
            while at(b, i) == b' ' {
                i += 1;
            }
            if !is_eol(b, i) {
                return Err(ScanErrorKind::InvalidPoint);
            }
            let ns = t
                .checked_mul(precision.multiplier())
                .filter(|ns| (MIN_NANOS..=MAX_NANOS).contains(ns))
                .ok_or(ScanErrorKind::TimestampOutOfRange)?;
            timestamp = Some(ns);
        }
        Ok(Parsed {
            line: LineSpan {
                line_no: 0,
                measurement,
                tags,
                fields,
                timestamp,
            },
            end: i,
        })
    }

    /// Duplicate tag keys (compared unescaped), without allocating: adjacent comparison if
    /// the keys are sorted, else a sort of the side array, else (many tags) pairwise.
    fn check_duplicates(&mut self, tags: Span, ntags: usize) -> Res<()> {
        let b = self.b;
        let esc = self.key_escapes;
        let cmp = |x: &Span, y: &Span| {
            if esc {
                super::escape::cmp_unescaped(x.slice(b), y.slice(b), super::EscapeKind::Key)
            } else {
                x.slice(b).cmp(y.slice(b))
            }
        };
        if let Some(keys) = self.keys.get_mut(..ntags) {
            let sorted = keys.windows(2).all(|w| match w {
                [x, y] => cmp(x, y).is_lt(),
                _ => true,
            });
            if sorted {
                return Ok(());
            }
            keys.sort_unstable_by(cmp);
            return if keys.windows(2).any(|w| match w {
                [x, y] => cmp(x, y).is_eq(),
                _ => false,
            }) {
                Err(ScanErrorKind::DuplicateTags)
            } else {
                Ok(())
            };
        }
        let mut outer = super::TagSpanIter::new(b, tags);
        while let Some((k1, _)) = outer.next() {
            for (k2, _) in outer.clone() {
                if super::escape::cmp_unescaped(k1.slice(b), k2.slice(b), super::EscapeKind::Key)
                    .is_eq()
                {
                    return Err(ScanErrorKind::DuplicateTags);
                }
            }
        }
        Ok(())
    }

    /// Validates one field value starting at `i` (right after `=`); returns its end.
    #[inline]
    fn field_value(&mut self, i: usize) -> Res<usize> {
        let b = self.b;
        let c = at(b, i);
        match c {
            b'"' => self.string_value(i),
            b'0'..=b'9' | b'-' | b'.' => scan_number(b, i),
            b',' | b' ' => Err(ScanErrorKind::MissingFieldValue),
            _ if is_eol(b, i) => Err(ScanErrorKind::MissingFieldValue),
            b'N' | b'n' => Err(ScanErrorKind::InvalidNumber),
            _ => scan_bool(b, i),
        }
    }

    /// A quoted string; raw newlines are allowed inside. Returns the index after the closing quote.
    fn string_value(&mut self, open: usize) -> Res<usize> {
        let b = self.b;
        let mut i = open + 1;
        loop {
            match b.get(i) {
                None => return Err(ScanErrorKind::UnbalancedQuotes),
                Some(&c) if CLASS[c as usize] & STOP_STRING == 0 => i += 1,
                Some(b'"') => break,
                Some(b'\\') => {
                    i += if matches!(b.get(i + 1), Some(b'"' | b'\\')) {
                        2
                    } else {
                        1
                    }
                }
                Some(_) => {
                    // `\n`
                    self.inner_newlines += 1;
                    i += 1;
                }
            }
        }
        let raw = b.get(open + 1..i).unwrap_or_default();
        if raw.len() > MAX_STRING_LENGTH
            && super::escape::unescaped_len(raw, super::EscapeKind::StringValue) > MAX_STRING_LENGTH
        {
            return Err(ScanErrorKind::FieldValueTooLong);
        }
        Ok(i + 1)
    }
}

/// Validates a number field value; returns its end.
fn scan_number(b: &[u8], start: usize) -> Res<usize> {
    let mut i = start;
    let neg = at(b, i) == b'-';
    if neg {
        i += 1;
    }
    let int_start = i;
    while at(b, i).is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    let mut dot = false;
    if at(b, i) == b'.' {
        dot = true;
        i += 1;
        let f0 = i;
        while at(b, i).is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f0;
    }
    if int_digits + frac_digits == 0 {
        return Err(ScanErrorKind::InvalidNumber);
    }
    let mut exp = false;
    if matches!(at(b, i), b'e' | b'E') {
        exp = true;
        i += 1;
        if matches!(at(b, i), b'+' | b'-') {
            i += 1;
        }
        let e0 = i;
        while at(b, i).is_ascii_digit() {
            i += 1;
        }
        if i == e0 {
            return Err(ScanErrorKind::InvalidFloat);
        }
    }
    let suffix = at(b, i);
    let end = match suffix {
        b'i' | b'u' => i + 1,
        _ => i,
    };
    match at(b, end) {
        b',' | b' ' => {}
        _ if is_eol(b, end) => {}
        _ => return Err(ScanErrorKind::InvalidNumber),
    }
    match suffix {
        b'i' => {
            if dot || exp {
                return Err(ScanErrorKind::InvalidNumber);
            }
            parse_i64(b.get(start..i).unwrap_or_default())
                .ok_or(ScanErrorKind::IntegerOutOfRange)?;
        }
        b'u' => {
            if dot || exp || neg {
                return Err(ScanErrorKind::InvalidNumber);
            }
            parse_u64(b.get(start..i).unwrap_or_default())
                .ok_or(ScanErrorKind::UnsignedOutOfRange)?;
        }
        _ => {
            // Without an exponent, fewer than 309 integer digits cannot overflow f64.
            if exp || int_digits > 300 {
                parse_f64(b.get(start..i).unwrap_or_default())
                    .filter(|f| f.is_finite())
                    .ok_or(ScanErrorKind::InvalidFloat)?;
            }
        }
    }
    Ok(end)
}

/// Validates a boolean field value; returns its end.
fn scan_bool(b: &[u8], start: usize) -> Res<usize> {
    let mut i = start;
    while !matches!(at(b, i), b',' | b' ') && !is_eol(b, i) {
        i += 1;
    }
    match parse_bool(b.get(start..i).unwrap_or_default()) {
        Some(_) => Ok(i),
        None => Err(ScanErrorKind::InvalidBoolean),
    }
}

/// Parses a timestamp token at `i`; returns the value and the index after it.
fn parse_timestamp(b: &[u8], start: usize) -> Res<(i64, usize)> {
    let mut i = start;
    if at(b, i) == b'-' {
        i += 1;
    }
    while at(b, i).is_ascii_digit() {
        i += 1;
    }
    if at(b, i) != b' ' && !is_eol(b, i) {
        return Err(ScanErrorKind::BadTimestamp);
    }
    let t = parse_i64(b.get(start..i).unwrap_or_default()).ok_or(ScanErrorKind::BadTimestamp)?;
    Ok((t, i))
}

/// `[-]digits` to i64 with overflow check.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = i64::from(d - b'0');
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d)?
        } else {
            v.checked_add(d)?
        };
    }
    Some(v)
}

/// `digits` to u64 with overflow check.
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in s {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(v)
}

/// Float syntax already validated by the scanner; this only converts.
#[inline]
pub(crate) fn parse_f64(s: &[u8]) -> Option<f64> {
    std::str::from_utf8(s).ok()?.parse::<f64>().ok()
}

/// InfluxDB's boolean spellings.
#[inline]
pub(crate) fn parse_bool(s: &[u8]) -> Option<bool> {
    match s {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => Some(true),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => Some(false),
        _ => None,
    }
}

/// The end of the line starting at `start` as InfluxDB 2.7's `scanLine` finds it: quotes are
/// tracked after the first space when a value is expected; a backslash hides the next byte.
/// Used to skip comment lines and to resynchronise after an error.
fn influx_line_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    let mut quoted = false;
    let mut in_fields = false;
    let mut equals = 0usize;
    let mut commas = 0usize;
    while let Some(&c) = b.get(i) {
        if c == b'\\' {
            i += 2;
            continue;
        }
        if c == b' ' {
            in_fields = true;
        }
        if in_fields {
            if !quoted && c == b'=' {
                equals += 1;
                i += 1;
                continue;
            } else if !quoted && c == b',' {
                commas += 1;
                i += 1;
                continue;
            } else if c == b'"' && equals > commas {
                quoted = !quoted;
                i += 1;
                continue;
            }
        }
        if c == b'\n' && !quoted {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// Counts `\n` in `b[from..to]`.
fn count_newlines(b: &[u8], from: usize, to: usize) -> u32 {
    b.get(from..to)
        .map_or(0, |s| s.iter().filter(|&&c| c == b'\n').count() as u32)
}

/// See [`super::scan`].
pub(crate) fn scan(
    body: &[u8],
    precision: Precision,
    out: &mut Vec<LineSpan>,
    errors: &mut Vec<ScanError>,
) {
    out.clear();
    errors.clear();
    if body.len() > u32::MAX as usize {
        errors.push(ScanError {
            line_no: 1,
            line: Span::default(),
            kind: ScanErrorKind::BodyTooLarge,
        });
        return;
    }
    let utf8_ok = body.is_ascii() || std::str::from_utf8(body).is_ok();
    let mut pos = 0usize;
    let mut line_no = 1u32;
    let mut line = Line {
        b: body,
        inner_newlines: 0,
        keys: [Span::default(); MAX_FAST_TAGS],
        key_escapes: false,
    };
    while pos < body.len() {
        let mut i = pos;
        while i < body.len() && is_ws(at(body, i)) {
            i += 1;
        }
        if is_eol(body, i) {
            // Blank line.
            pos = if at(body, i) == b'\r' { i + 2 } else { i + 1 };
            line_no = line_no.saturating_add(1);
            continue;
        }
        if at(body, i) == b'#' {
            let end = influx_line_end(body, i);
            line_no = line_no.saturating_add(1 + count_newlines(body, i, end));
            pos = end + 1;
            continue;
        }
        line.inner_newlines = 0;
        let result = line.parse(i, precision).and_then(|p| {
            if utf8_ok || std::str::from_utf8(body.get(i..p.end).unwrap_or_default()).is_ok() {
                Ok(p)
            } else {
                Err(ScanErrorKind::InvalidUtf8)
            }
        });
        match result {
            Ok(mut p) => {
                p.line.line_no = line_no;
                out.push(p.line);
                line_no = line_no.saturating_add(1 + line.inner_newlines);
                pos = if at(body, p.end) == b'\r' {
                    p.end + 2
                } else {
                    p.end + 1
                };
            }
            Err(kind) => {
                let end = influx_line_end(body, i);
                if errors.len() < MAX_REPORTED_ERRORS {
                    // Like InfluxDB, the reported line excludes the leading blanks and the `\n`.
                    errors.push(ScanError {
                        line_no,
                        line: span(i, end),
                        kind,
                    });
                }
                line_no = line_no.saturating_add(1 + count_newlines(body, i, end));
                pos = end + 1;
            }
        }
    }
}
