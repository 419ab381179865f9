//! Sorted runs of one column's points and their last-write-wins merge, shared by reads (head +
//! frozen head + segments) and compaction (segments of a partition).
//!
//! Invariants:
//! - A [`Run`] has strictly increasing timestamps and as many values as timestamps.
//! - [`merge_runs`] takes runs in increasing *precedence* (older writes first); on equal
//!   timestamps the value of the run with the highest precedence is kept, so the output is
//!   again a valid run. A value whose type differs from the first run's is skipped (column
//!   types are fixed per field; this only guards against damaged input).
//! - [`Run::remove_ranges`] drops points inside inclusive `[start, stop]` ranges (tombstones).

use super::segment_file::{ColumnValues, DecodedValues};
use super::{Column, Values};

/// Points of one column in one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Timestamps, strictly increasing.
    pub times: Vec<i64>,
    /// Values, parallel to `times`.
    pub values: DecodedValues,
}

/// An empty value vector of the same type as `like`.
pub fn empty_like(like: &DecodedValues) -> DecodedValues {
    match like {
        DecodedValues::Float(_) => DecodedValues::Float(Vec::new()),
        DecodedValues::Integer(_) => DecodedValues::Integer(Vec::new()),
        DecodedValues::UInteger(_) => DecodedValues::UInteger(Vec::new()),
        DecodedValues::Boolean(_) => DecodedValues::Boolean(Vec::new()),
        DecodedValues::String(_) => DecodedValues::String(Vec::new()),
    }
}

/// Appends `src[i]` to `out`; false on a type mismatch or a bad index.
fn push_from(out: &mut DecodedValues, src: &DecodedValues, i: usize) -> bool {
    match (out, src) {
        (DecodedValues::Float(o), DecodedValues::Float(s)) => s.get(i).map(|v| o.push(*v)),
        (DecodedValues::Integer(o), DecodedValues::Integer(s)) => s.get(i).map(|v| o.push(*v)),
        (DecodedValues::UInteger(o), DecodedValues::UInteger(s)) => s.get(i).map(|v| o.push(*v)),
        (DecodedValues::Boolean(o), DecodedValues::Boolean(s)) => s.get(i).map(|v| o.push(*v)),
        (DecodedValues::String(o), DecodedValues::String(s)) => s.get(i).map(|v| o.push(v.clone())),
        _ => None,
    }
    .is_some()
}

/// Keeps the values whose `keep` flag is set.
fn retain_values(v: &mut DecodedValues, keep: &[bool]) {
    fn go<T>(v: &mut Vec<T>, keep: &[bool]) {
        let mut i = 0;
        v.retain(|_| {
            let k = keep.get(i).copied().unwrap_or(false);
            i += 1;
            k
        });
    }
    match v {
        DecodedValues::Float(x) => go(x, keep),
        DecodedValues::Integer(x) => go(x, keep),
        DecodedValues::UInteger(x) => go(x, keep),
        DecodedValues::Boolean(x) => go(x, keep),
        DecodedValues::String(x) => go(x, keep),
    }
}

/// Splits off the values from `at` on.
fn split_values(v: &mut DecodedValues, at: usize) -> DecodedValues {
    match v {
        DecodedValues::Float(x) => DecodedValues::Float(x.split_off(at.min(x.len()))),
        DecodedValues::Integer(x) => DecodedValues::Integer(x.split_off(at.min(x.len()))),
        DecodedValues::UInteger(x) => DecodedValues::UInteger(x.split_off(at.min(x.len()))),
        DecodedValues::Boolean(x) => DecodedValues::Boolean(x.split_off(at.min(x.len()))),
        DecodedValues::String(x) => DecodedValues::String(x.split_off(at.min(x.len()))),
    }
}

impl Run {
    /// An empty run of `like`'s type.
    pub fn empty(like: &DecodedValues) -> Run {
        Run {
            times: Vec::new(),
            values: empty_like(like),
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Keeps only points with `start <= t < stop`.
    pub fn clip(&mut self, start: i64, stop: i64) {
        let lo = self.times.partition_point(|t| *t < start);
        let hi = self.times.partition_point(|t| *t < stop).max(lo);
        if hi < self.times.len() {
            self.times.truncate(hi);
            let _ = split_values(&mut self.values, hi);
        }
        if lo > 0 {
            self.times.drain(..lo);
            self.values = split_values(&mut self.values, lo);
        }
    }

    /// Removes and returns the points with `t <= upto` (the run keeps the rest).
    pub fn split_upto(&mut self, upto: i64) -> Run {
        let n = self.times.partition_point(|t| *t <= upto);
        let rest_times = self.times.split_off(n);
        let rest_values = split_values(&mut self.values, n);
        Run {
            times: std::mem::replace(&mut self.times, rest_times),
            values: std::mem::replace(&mut self.values, rest_values),
        }
    }

    /// Drops the points inside any of the inclusive `ranges`.
    pub fn remove_ranges(&mut self, ranges: &[(i64, i64)]) {
        if ranges.is_empty() || self.times.is_empty() {
            return;
        }
        let keep: Vec<bool> = self
            .times
            .iter()
            .map(|t| !ranges.iter().any(|(a, b)| a <= t && t <= b))
            .collect();
        if keep.iter().all(|k| *k) {
            return;
        }
        let mut i = 0;
        self.times.retain(|_| {
            let k = keep.get(i).copied().unwrap_or(false);
            i += 1;
            k
        });
        retain_values(&mut self.values, &keep);
    }

    /// Copies points `lo..hi` of a head column (normalised first by the caller).
    pub fn from_column(col: &Column, lo: usize, hi: usize) -> Run {
        let times = col.times.to_vec_range(lo, hi);
        let values = match &col.values {
            Values::Float(x) => DecodedValues::Float(x.to_vec_range(lo, hi)),
            Values::Integer(x) => DecodedValues::Integer(x.to_vec_range(lo, hi)),
            Values::UInteger(x) => DecodedValues::UInteger(x.to_vec_range(lo, hi)),
            Values::Boolean(x) => DecodedValues::Boolean(x.to_vec_range(lo, hi)),
            Values::String { .. } => DecodedValues::String(
                (lo..hi)
                    .map(|i| {
                        col.values
                            .str_at(i)
                            .map(|s| s.as_bytes().to_vec())
                            .unwrap_or_default()
                    })
                    .collect(),
            ),
        };
        Run { times, values }
    }

    /// Calls `f` with the run's values borrowed as [`ColumnValues`] (for segment writing).
    pub fn with_column_values<R>(&self, f: impl FnOnce(ColumnValues<'_>) -> R) -> R {
        match &self.values {
            DecodedValues::Float(v) => f(ColumnValues::Float(v)),
            DecodedValues::Integer(v) => f(ColumnValues::Integer(v)),
            DecodedValues::UInteger(v) => f(ColumnValues::UInteger(v)),
            DecodedValues::Boolean(v) => f(ColumnValues::Boolean(v)),
            DecodedValues::String(v) => {
                let refs: Vec<&[u8]> = v.iter().map(|s| s.as_slice()).collect();
                f(ColumnValues::String(&refs))
            }
        }
    }
}

/// Merges runs given in increasing precedence; equal timestamps keep the value of the run
/// with the highest precedence.
pub fn merge_runs(mut runs: Vec<Run>) -> Option<Run> {
    runs.retain(|r| !r.is_empty());
    match runs.len() {
        0 => return None,
        1 => return runs.pop(),
        _ => {}
    }
    let total: usize = runs.iter().map(Run::len).sum();
    let mut out = Run::empty(&runs.first()?.values);
    out.times.reserve(total);
    let mut pos = vec![0usize; runs.len()];
    loop {
        // The smallest current timestamp; among equals the last (newest) run wins.
        let mut best: Option<(i64, usize)> = None;
        for (r, run) in runs.iter().enumerate() {
            let Some(&t) = pos.get(r).and_then(|p| run.times.get(*p)) else {
                continue;
            };
            match best {
                Some((bt, _)) if t > bt => {}
                _ => best = Some((t, r)),
            }
        }
        let Some((t, winner)) = best else { break };
        if let (Some(run), Some(p)) = (runs.get(winner), pos.get(winner)) {
            if push_from(&mut out.values, &run.values, *p) {
                out.times.push(t);
            }
        }
        for (r, run) in runs.iter().enumerate() {
            if let Some(p) = pos.get_mut(r) {
                if run.times.get(*p) == Some(&t) {
                    *p += 1;
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(points: &[(i64, i64)]) -> Run {
        Run {
            times: points.iter().map(|p| p.0).collect(),
            values: DecodedValues::Integer(points.iter().map(|p| p.1).collect()),
        }
    }

    #[test]
    fn newest_run_wins_ties() {
        let a = run(&[(1, 10), (3, 30), (5, 50)]);
        let b = run(&[(2, 200), (3, 300)]);
        let c = run(&[(5, 5000), (6, 6000)]);
        let m = merge_runs(vec![a, b, c]).unwrap();
        assert_eq!(m, run(&[(1, 10), (2, 200), (3, 300), (5, 5000), (6, 6000)]));
    }

    #[test]
    fn clip_split_and_remove() {
        let mut r = run(&[(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]);
        r.clip(2, 5);
        assert_eq!(r, run(&[(2, 2), (3, 3), (4, 4)]));
        let head = r.split_upto(3);
        assert_eq!(head, run(&[(2, 2), (3, 3)]));
        assert_eq!(r, run(&[(4, 4)]));
        let mut s = run(&[(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]);
        s.remove_ranges(&[(2, 3), (5, 9)]);
        assert_eq!(s, run(&[(1, 1), (4, 4)]));
    }

    #[test]
    fn single_and_empty_inputs() {
        assert!(merge_runs(vec![]).is_none());
        assert!(merge_runs(vec![run(&[])]).is_none());
        assert_eq!(merge_runs(vec![run(&[(1, 1)])]), Some(run(&[(1, 1)])));
    }
}
