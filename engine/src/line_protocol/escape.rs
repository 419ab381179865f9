//! Escaping rules of line protocol, and the canonical series key.
//!
//! Delimiter rule (shared by the scanner): a delimiter byte (`,` `=` space) is *escaped* when
//! the byte right before it is a backslash. Unescaping drops a backslash only when it is
//! followed by one of the kind's special bytes; any other backslash stays literally.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::{EscapeKind, LineSpan, Span};

/// True if `c` is unescaped by a preceding backslash for this kind.
#[inline]
fn is_special(kind: EscapeKind, c: u8) -> bool {
    match kind {
        EscapeKind::Measurement => c == b',' || c == b' ',
        EscapeKind::Key => c == b',' || c == b' ' || c == b'=',
        EscapeKind::StringValue => c == b'"' || c == b'\\',
    }
}

/// True if `raw` contains a backslash (a quick check before unescaping).
#[inline]
pub fn has_escapes(raw: &[u8]) -> bool {
    raw.contains(&b'\\')
}

/// Iterator over the unescaped bytes of a raw token (no allocation).
#[derive(Debug, Clone)]
pub(crate) struct Unescaped<'a> {
    raw: &'a [u8],
    kind: EscapeKind,
}

impl Iterator for Unescaped<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let (&c, rest) = self.raw.split_first()?;
        if c == b'\\' {
            if let Some((&n, rest2)) = rest.split_first() {
                if is_special(self.kind, n) {
                    self.raw = rest2;
                    return Some(n);
                }
            }
        }
        self.raw = rest;
        Some(c)
    }
}

pub(crate) fn unescaped(raw: &[u8], kind: EscapeKind) -> Unescaped<'_> {
    Unescaped { raw, kind }
}

/// Appends the unescaped form of `raw` to `out`.
pub fn unescape_into(raw: &[u8], kind: EscapeKind, out: &mut Vec<u8>) {
    if !has_escapes(raw) {
        out.extend_from_slice(raw);
        return;
    }
    out.extend(unescaped(raw, kind));
}

/// Unescaped form as a `Cow` (borrowed when there is nothing to unescape).
pub(crate) fn unescape_cow(raw: &[u8], kind: EscapeKind) -> Cow<'_, [u8]> {
    if has_escapes(raw) {
        let mut v = Vec::with_capacity(raw.len());
        unescape_into(raw, kind, &mut v);
        Cow::Owned(v)
    } else {
        Cow::Borrowed(raw)
    }
}

/// Length of the unescaped form.
pub(crate) fn unescaped_len(raw: &[u8], kind: EscapeKind) -> usize {
    if has_escapes(raw) {
        unescaped(raw, kind).count()
    } else {
        raw.len()
    }
}

/// Compares the unescaped forms of two raw tokens, without allocating.
#[inline]
pub(crate) fn cmp_unescaped(a: &[u8], b: &[u8], kind: EscapeKind) -> Ordering {
    if !has_escapes(a) && !has_escapes(b) {
        return a.cmp(b);
    }
    unescaped(a, kind).cmp(unescaped(b, kind))
}

/// Appends `unescaped` re-escaped canonically for `kind` (`Measurement` or `Key`).
fn escape_canonical(unescaped: impl Iterator<Item = u8>, kind: EscapeKind, out: &mut Vec<u8>) {
    for c in unescaped {
        if is_special(kind, c) {
            out.push(b'\\');
        }
        out.push(c);
    }
}

fn write_canonical(raw: &[u8], kind: EscapeKind, out: &mut Vec<u8>) {
    if has_escapes(raw) {
        escape_canonical(unescaped(raw, kind), kind, out);
    } else {
        // No backslash: every special byte in `raw` is already unescaped text, but the scanner
        // guarantees raw tokens hold no unescaped delimiter, except `=` in a measurement, which
        // is not special there. So the raw bytes are already canonical.
        out.extend_from_slice(raw);
    }
}

/// Writes the canonical series key of `line` into `out` (cleared first).
///
/// The measurement and the tags are unescaped and re-escaped canonically (`\,` and `\ ` in the
/// measurement; `\,`, `\=` and `\ ` in tag keys and values; backslashes are never escaped), and
/// the tags are sorted by their unescaped key bytes: `cpu,host=a,region=b`. `scratch` is a
/// reusable buffer; nothing is allocated once `scratch` and `out` have grown.
pub fn write_series_key(
    body: &[u8],
    line: &LineSpan,
    scratch: &mut Vec<(Span, Span)>,
    out: &mut Vec<u8>,
) {
    out.clear();
    scratch.clear();
    write_canonical(line.measurement.slice(body), EscapeKind::Measurement, out);
    if line.tags.is_empty() {
        return;
    }
    let esc = has_escapes(line.tags.slice(body));
    let cmp = |x: &Span, y: &Span| {
        if esc {
            cmp_unescaped(x.slice(body), y.slice(body), EscapeKind::Key)
        } else {
            x.slice(body).cmp(y.slice(body))
        }
    };
    scratch.extend(super::tags_spans(body, line));
    let sorted = scratch.windows(2).all(|w| match w {
        [x, y] => cmp(&x.0, &y.0).is_lt(),
        _ => true,
    });
    if !sorted {
        scratch.sort_unstable_by(|a, b| cmp(&a.0, &b.0));
    }
    for (k, v) in scratch.iter() {
        out.push(b',');
        write_canonical(k.slice(body), EscapeKind::Key, out);
        out.push(b'=');
        write_canonical(v.slice(body), EscapeKind::Key, out);
    }
}

/// Position of the first byte in `raw[from..]` equal to one of `stops` and not preceded by a
/// backslash; `raw.len()` if none.
fn find_unescaped(raw: &[u8], from: usize, stops: &[u8]) -> usize {
    let mut i = from;
    while let Some(&c) = raw.get(i) {
        if stops.contains(&c) && (i == 0 || raw.get(i - 1) != Some(&b'\\')) {
            return i;
        }
        i += 1;
    }
    raw.len()
}

/// A canonical series key split into its parts (see [`parse_series_key`]).
#[derive(Debug, Clone, Copy)]
pub struct SeriesKeyParts<'a> {
    measurement: &'a [u8],
    tags: &'a [u8],
}

impl<'a> SeriesKeyParts<'a> {
    /// The raw (escaped) measurement.
    pub fn raw_measurement(&self) -> &'a [u8] {
        self.measurement
    }

    /// The unescaped measurement (borrowed when it holds no escapes).
    pub fn measurement(&self) -> Cow<'a, [u8]> {
        unescape_cow(self.measurement, EscapeKind::Measurement)
    }

    /// The tags, unescaped, in key order.
    pub fn tags(&self) -> SeriesKeyTags<'a> {
        SeriesKeyTags { rest: self.tags }
    }
}

/// Iterator over `(key, value)` of a canonical series key, unescaped, in key order.
#[derive(Debug, Clone)]
pub struct SeriesKeyTags<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SeriesKeyTags<'a> {
    type Item = (Cow<'a, [u8]>, Cow<'a, [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let eq = find_unescaped(self.rest, 0, b"=");
        let end = find_unescaped(self.rest, eq, b",");
        let key = self.rest.get(..eq).unwrap_or_default();
        let value = self.rest.get(eq + 1..end).unwrap_or_default();
        self.rest = self.rest.get(end + 1..).unwrap_or_default();
        Some((
            unescape_cow(key, EscapeKind::Key),
            unescape_cow(value, EscapeKind::Key),
        ))
    }
}

/// Splits a canonical series key (as written by [`write_series_key`]) back into its
/// measurement and tags: `parse_series_key(k).measurement()` and `.tags()`, both unescaped.
/// A malformed key yields whatever can be split; it never panics.
pub fn parse_series_key(key: &[u8]) -> SeriesKeyParts<'_> {
    let comma = find_unescaped(key, 0, b",");
    SeriesKeyParts {
        measurement: key.get(..comma).unwrap_or_default(),
        tags: key.get(comma + 1..).unwrap_or_default(),
    }
}
