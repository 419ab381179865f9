//! The find options of the v2 list endpoints (`offset`, `limit`, `after`, `descending`) and
//! the `links` InfluxDB 2.7 builds from them (its `DecodeFindOptions` and `NewPagingLinks`).
//!
//! Invariants:
//! - `1 <= limit <= MAX_LIMIT` (default [`DEFAULT_LIMIT`]); anything else is 400 `invalid`.
//! - `links.self` repeats the request's filters and options (sorted by key, form-encoded,
//!   empty values left out); `links.next` is present when a full page was returned and
//!   `links.prev` when `offset > 0`, as in 2.7.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::params::Params;
use crate::scope::parse_id;

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest `limit` accepted.
pub const MAX_LIMIT: usize = 100;

/// Decoded find options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindOptions {
    /// Items skipped first.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
    /// Only items whose ID comes after this one (ID-ordered listings only).
    pub after: Option<u64>,
    /// Reverse order.
    pub descending: bool,
}

fn parse_bool(s: &str) -> Option<bool> {
    // Go's strconv.ParseBool.
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl FindOptions {
    /// Reads the options from the query string.
    pub fn parse(p: &Params) -> Result<Self, ApiError> {
        let offset = match p.get_nonempty("offset") {
            None => 0,
            Some(s) => s
                .parse::<usize>()
                .map_err(|_| ApiError::invalid("offset is invalid"))?,
        };
        let limit = match p.get_nonempty("limit") {
            None => DEFAULT_LIMIT,
            Some(s) => {
                let l = s
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid("limit is invalid"))?;
                if !(1..=MAX_LIMIT as i64).contains(&l) {
                    return Err(ApiError::invalid(format!(
                        "limit must be between 1 and {MAX_LIMIT}"
                    )));
                }
                l as usize
            }
        };
        let after = match p.get_nonempty("after") {
            None => None,
            Some(s) => {
                Some(parse_id(s).map_err(|m| ApiError::invalid(format!("decoding after: {m}")))?)
            }
        };
        let descending = match p.get_nonempty("descending") {
            None => false,
            Some(s) => parse_bool(s).ok_or_else(|| ApiError::invalid("descending is invalid"))?,
        };
        Ok(FindOptions {
            offset,
            limit,
            after,
            descending,
        })
    }

    /// One page of `items` (already in listing order). `after` applies only when the listing
    /// is ordered by ID (`by_id`), as in 2.7.
    pub fn page<T>(&self, mut items: Vec<T>, by_id: bool, id: impl Fn(&T) -> u64) -> Vec<T> {
        if self.descending {
            items.reverse();
        }
        if let (Some(after), true) = (self.after, by_id) {
            items.retain(|t| {
                if self.descending {
                    id(t) < after
                } else {
                    id(t) > after
                }
            });
        }
        items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect()
    }

    /// `links` (`self`, and `next`/`prev` when they apply) for a page of `returned` items.
    pub fn links(&self, base: &str, filters: &[(&str, &str)], returned: usize) -> Value {
        let mut q: BTreeMap<&str, String> = BTreeMap::new();
        for (k, v) in filters {
            if !v.is_empty() {
                q.insert(k, (*v).to_string());
            }
        }
        q.insert("descending", self.descending.to_string());
        q.insert("limit", self.limit.to_string());
        if let Some(a) = self.after {
            q.insert("after", format!("{a:016x}"));
        }
        let url = |q: &BTreeMap<&str, String>| {
            let query: Vec<String> = q
                .iter()
                .map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v)))
                .collect();
            format!("{base}?{}", query.join("&"))
        };
        let mut links = Map::new();
        q.insert("offset", self.offset.to_string());
        links.insert("self".into(), Value::from(url(&q)));
        if returned >= self.limit {
            q.insert("offset", (self.offset + self.limit).to_string());
            links.insert("next".into(), Value::from(url(&q)));
        }
        if self.offset > 0 {
            q.insert("offset", self.offset.saturating_sub(self.limit).to_string());
            links.insert("prev".into(), Value::from(url(&q)));
        }
        Value::Object(links)
    }
}

/// Go's `url.QueryEscape`: unreserved bytes kept, space as `+`, the rest `%XX`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(q: &str) -> Result<FindOptions, ApiError> {
        FindOptions::parse(&Params::parse(Some(q)))
    }

    #[test]
    fn defaults_and_bounds() {
        let o = opts("").unwrap();
        assert_eq!(
            (o.offset, o.limit, o.after, o.descending),
            (0, 20, None, false)
        );
        assert_eq!(opts("limit=100").unwrap().limit, 100);
        assert_eq!(opts("limit=0").unwrap_err().status().as_u16(), 400);
        assert_eq!(
            opts("limit=101").unwrap_err().message(),
            "limit must be between 1 and 100"
        );
        assert_eq!(opts("limit=x").unwrap_err().message(), "limit is invalid");
        assert_eq!(
            opts("offset=-1").unwrap_err().message(),
            "offset is invalid"
        );
        assert_eq!(opts("after=12").unwrap_err().status().as_u16(), 400);
        assert_eq!(opts("after=000000000000000a").unwrap().after, Some(10));
        assert!(opts("descending=true").unwrap().descending);
        assert!(opts("descending=yes").is_err());
    }

    #[test]
    fn page_applies_after_offset_and_limit() {
        let items: Vec<u64> = (1..=10).collect();
        let o = opts("offset=2&limit=3").unwrap();
        assert_eq!(o.page(items.clone(), true, |x| *x), vec![3, 4, 5]);
        let o = opts("after=0000000000000005&limit=2").unwrap();
        assert_eq!(o.page(items.clone(), true, |x| *x), vec![6, 7]);
        // `after` is ignored when the listing is not ordered by ID.
        assert_eq!(o.page(items.clone(), false, |x| *x), vec![1, 2]);
        let o = opts("descending=true&limit=2").unwrap();
        assert_eq!(o.page(items, true, |x| *x), vec![10, 9]);
    }

    #[test]
    fn links_like_influxdb() {
        let o = opts("offset=20&limit=10").unwrap();
        let l = o.links("/api/v2/buckets", &[("org", "my org"), ("name", "")], 10);
        assert_eq!(
            l["self"],
            "/api/v2/buckets?descending=false&limit=10&offset=20&org=my+org"
        );
        assert_eq!(
            l["next"],
            "/api/v2/buckets?descending=false&limit=10&offset=30&org=my+org"
        );
        assert_eq!(
            l["prev"],
            "/api/v2/buckets?descending=false&limit=10&offset=10&org=my+org"
        );
        let l = opts("").unwrap().links("/api/v2/buckets", &[], 3);
        assert_eq!(
            l["self"],
            "/api/v2/buckets?descending=false&limit=20&offset=0"
        );
        assert!(l.get("next").is_none() && l.get("prev").is_none());
    }
}
