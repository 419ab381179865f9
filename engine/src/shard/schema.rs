//! Schema reads from a shard's series index: measurement names, tag keys, tag values and series
//! keys of a bucket, filtered by measurement name and a tag predicate. The Flux `schema.*`
//! functions and InfluxQL's `SHOW …` statements are answered from these (plus the field-type
//! registry for field keys), without reading any points.
//!
//! Invariants:
//! - Reads only the index; a shard's answer is sorted and deduplicated, and the coordinator's
//!   union of all shards' answers is again sorted and deduplicated.
//! - Every name is unescaped (as stored in the index), so `cpu\,x` comes back as `cpu,x`.
//! - The predicate is evaluated per series with the field set to the empty string; callers
//!   must not put field comparisons in it (they have no meaning for series metadata).

use std::collections::BTreeSet;

use crate::line_protocol as lp;
use crate::model::BucketId;
use crate::query::plan::Predicate;

use super::Shard;

/// A filter on a name (measurement or tag key).
#[derive(Clone, Debug, Default)]
pub enum NameFilter {
    /// Every name.
    #[default]
    Any,
    /// Exactly this name.
    Eq(Vec<u8>),
    /// Any other name.
    Neq(Vec<u8>),
    /// One of these names.
    In(Vec<Vec<u8>>),
    /// Names the regex matches (`negate`: names it does not match).
    Regex {
        /// The pattern.
        re: regex::Regex,
        /// `!~` instead of `=~`.
        negate: bool,
    },
}

impl NameFilter {
    /// Whether `name` passes.
    pub fn matches(&self, name: &[u8]) -> bool {
        match self {
            NameFilter::Any => true,
            NameFilter::Eq(n) => n.as_slice() == name,
            NameFilter::Neq(n) => n.as_slice() != name,
            NameFilter::In(ns) => ns.iter().any(|n| n.as_slice() == name),
            NameFilter::Regex { re, negate } => {
                let hit = std::str::from_utf8(name).is_ok_and(|s| re.is_match(s));
                hit != *negate
            }
        }
    }

    /// The one name this filter accepts, if it is an equality.
    fn exact(&self) -> Option<&[u8]> {
        match self {
            NameFilter::Eq(n) => Some(n),
            _ => None,
        }
    }
}

/// What a schema read returns, per matching series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    /// `[measurement]`.
    Measurements,
    /// `[measurement, tag key]` for each tag key of the series passing `tag_key`.
    TagKeys,
    /// `[measurement, tag key, tag value]` for each tag of the series whose key passes
    /// `tag_key`.
    TagValues,
    /// `[series key]` (canonical, escaped as in line protocol).
    SeriesKeys,
}

/// A schema read.
#[derive(Clone, Debug)]
pub struct SchemaRequest {
    /// The projection.
    pub kind: SchemaKind,
    /// Which measurements.
    pub measurement: NameFilter,
    /// Which tag keys (for `TagKeys`/`TagValues`).
    pub tag_key: NameFilter,
    /// Which series (tag predicate; `True` for all).
    pub predicate: Predicate,
}

/// One answer row (see [`SchemaKind`]).
pub type SchemaRow = Vec<Vec<u8>>;

impl Shard {
    /// Answers a schema read from this shard's index.
    pub fn schema(&self, bucket: BucketId, req: &SchemaRequest) -> Vec<SchemaRow> {
        let st = self.state.borrow();
        let series = match req.measurement.exact() {
            Some(m) => st.index.series_with_measurement(bucket, m),
            None => st.index.bucket_series(bucket),
        };
        let mut out: BTreeSet<SchemaRow> = BTreeSet::new();
        let mut tags: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for &sid in series {
            let Some(entry) = st.index.entry(sid) else {
                continue;
            };
            let parts = lp::parse_series_key(entry.key);
            let measurement = parts.measurement();
            if !req.measurement.matches(&measurement) {
                continue;
            }
            tags.clear();
            tags.extend(parts.tags().map(|(k, v)| (k.into_owned(), v.into_owned())));
            let mut lookup = |k: &[u8]| -> Option<&[u8]> {
                tags.iter()
                    .find(|(tk, _)| tk.as_slice() == k)
                    .map(|(_, v)| v.as_slice())
            };
            if !req.predicate.eval(&measurement, &mut lookup, b"") {
                continue;
            }
            match req.kind {
                SchemaKind::Measurements => {
                    out.insert(vec![measurement.into_owned()]);
                }
                SchemaKind::SeriesKeys => {
                    out.insert(vec![entry.key.to_vec()]);
                }
                SchemaKind::TagKeys | SchemaKind::TagValues => {
                    for (k, v) in &tags {
                        if !req.tag_key.matches(k) {
                            continue;
                        }
                        let mut row = vec![measurement.clone().into_owned(), k.clone()];
                        if req.kind == SchemaKind::TagValues {
                            row.push(v.clone());
                        }
                        out.insert(row);
                    }
                }
            }
        }
        out.into_iter().collect()
    }
}

/// The sorted, deduplicated union of several shards' answers.
pub fn union(parts: Vec<Vec<SchemaRow>>) -> Vec<SchemaRow> {
    let mut all: Vec<SchemaRow> = parts.into_iter().flatten().collect();
    all.sort_unstable();
    all.dedup();
    all
}
