//! Delete requests (placeholder types until the delete-predicate parser lands; the merge takes
//! the parser's version of this file).

use serde::{Deserialize, Serialize};

/// Comparison of a delete condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteOp {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
}

/// One `key op "value"` condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteCondition {
    /// `_measurement` or a tag key.
    pub key: Box<[u8]>,
    /// Operator.
    pub op: DeleteOp,
    /// Value.
    pub value: Box<[u8]>,
}

/// ANDed conditions; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletePredicate {
    /// Conditions.
    pub conditions: Vec<DeleteCondition>,
}

impl DeletePredicate {
    /// True if the series with canonical key `key` matches.
    pub fn matches_series_key(&self, key: &[u8]) -> bool {
        let parts = crate::line_protocol::parse_series_key(key);
        let m = parts.measurement();
        let tags: Vec<(Vec<u8>, Vec<u8>)> = parts
            .tags()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        self.conditions.iter().all(|c| {
            let actual: &[u8] = if &*c.key == b"_measurement" {
                &m
            } else {
                tags.iter()
                    .find(|(k, _)| k.as_slice() == &*c.key)
                    .map(|(_, v)| v.as_slice())
                    .unwrap_or(b"")
            };
            (actual == &*c.value) == (c.op == DeleteOp::Eq)
        })
    }
}

/// A delete: `[start, stop]` (ns) and a predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRequest {
    /// First deleted time.
    pub start: i64,
    /// Last deleted time.
    pub stop: i64,
    /// Which series.
    pub predicate: DeletePredicate,
}
