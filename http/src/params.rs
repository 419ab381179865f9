//! URL query-string parsing (`application/x-www-form-urlencoded` rules: `+` is a space,
//! `%XX` escapes); invalid escapes are kept literally, never a panic.

use std::borrow::Cow;

/// Decoded `key=value` pairs of a query string, in order.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `query` (without the `?`).
    pub fn parse(query: Option<&str>) -> Self {
        let mut pairs = Vec::new();
        for part in query.unwrap_or("").split('&') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(k).into_owned(), decode(v).into_owned()));
        }
        Params { pairs }
    }

    /// The first value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Appends the pairs of `other` (e.g. a form-encoded body after the URL's parameters; the
    /// URL's values come first, so they win in [`Params::get`]).
    pub fn merge(&mut self, other: Params) {
        self.pairs.extend(other.pairs);
    }

    /// The first non-empty value of `key`.
    pub fn get_nonempty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes one component.
pub fn decode(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_encoding() {
        let p = Params::parse(Some("org=my+org&bucket=a%2Fb&precision=s&x=%zz&empty="));
        assert_eq!(p.get("org"), Some("my org"));
        assert_eq!(p.get("bucket"), Some("a/b"));
        assert_eq!(p.get("x"), Some("%zz"));
        assert_eq!(p.get_nonempty("empty"), None);
        assert_eq!(p.get("missing"), None);
    }
}
