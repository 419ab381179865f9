//! In-memory head of a shard: one column per (series, field), last write wins per timestamp.
//!
//! Invariants:
//! - Owned by one shard; no locks.
//! - A column has exactly one [`FieldType`] for its lifetime (the coordinator rejects type
//!   conflicts before a write reaches the WAL; a conflicting value reaching the head anyway is
//!   dropped and counted, never stored).
//! - Appending never allocates per point except through amortised `Vec` growth; string values
//!   go into one byte arena per column.
//! - After [`Column::normalize`], timestamps are strictly increasing and, for duplicated
//!   timestamps, the value written last is the one kept.
//!
//! The head is flushed to immutable segment files (`store`, `flush`), which compaction merges
//! (`compact`); `runs` holds the last-write-wins merge both reads and compaction use.

pub mod chunked;
pub mod compact;
pub mod encoding;
pub mod flush;
pub mod pace;
pub mod runs;
pub mod segment_file;
pub mod store;

use crate::index::SeriesId;
use crate::model::FieldType;
pub use chunked::Chunked;

/// Values of one column, by type.
#[derive(Debug, Clone)]
pub enum Values {
    /// Floats.
    Float(Chunked<f64>),
    /// Signed integers.
    Integer(Chunked<i64>),
    /// Unsigned integers.
    UInteger(Chunked<u64>),
    /// Booleans.
    Boolean(Chunked<bool>),
    /// Strings: `ends[i]` is the end offset of value `i` in `data`.
    String {
        /// Concatenated UTF-8 bytes.
        data: Vec<u8>,
        /// End offset of each value.
        ends: Chunked<u32>,
    },
}

/// A borrowed value for appending.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// Float.
    Float(f64),
    /// Signed integer.
    Integer(i64),
    /// Unsigned integer.
    UInteger(u64),
    /// Boolean.
    Boolean(bool),
    /// Already unescaped UTF-8 string bytes.
    String(&'a [u8]),
}

impl ValueRef<'_> {
    /// Storage type.
    pub fn field_type(&self) -> FieldType {
        match self {
            ValueRef::Float(_) => FieldType::Float,
            ValueRef::Integer(_) => FieldType::Integer,
            ValueRef::UInteger(_) => FieldType::UInteger,
            ValueRef::Boolean(_) => FieldType::Boolean,
            ValueRef::String(_) => FieldType::String,
        }
    }
}

impl Values {
    fn new(ty: FieldType) -> Values {
        match ty {
            FieldType::Float => Values::Float(Chunked::new()),
            FieldType::Integer => Values::Integer(Chunked::new()),
            FieldType::UInteger => Values::UInteger(Chunked::new()),
            FieldType::Boolean => Values::Boolean(Chunked::new()),
            FieldType::String => Values::String {
                data: Vec::new(),
                ends: Chunked::new(),
            },
        }
    }

    /// Storage type.
    pub fn field_type(&self) -> FieldType {
        match self {
            Values::Float(_) => FieldType::Float,
            Values::Integer(_) => FieldType::Integer,
            Values::UInteger(_) => FieldType::UInteger,
            Values::Boolean(_) => FieldType::Boolean,
            Values::String { .. } => FieldType::String,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Values::Float(v) => v.len(),
            Values::Integer(v) => v.len(),
            Values::UInteger(v) => v.len(),
            Values::Boolean(v) => v.len(),
            Values::String { ends, .. } => ends.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// String value `i` (only for string columns).
    pub fn str_at(&self, i: usize) -> Option<&str> {
        match self {
            Values::String { data, ends } => {
                let end = ends.get(i)? as usize;
                let start = if i == 0 { 0 } else { ends.get(i - 1)? as usize };
                std::str::from_utf8(data.get(start..end)?).ok()
            }
            _ => None,
        }
    }

    /// Appends; returns the approximate bytes added, or `None` on a type mismatch.
    fn push(&mut self, v: ValueRef<'_>) -> Option<usize> {
        match (self, v) {
            (Values::Float(c), ValueRef::Float(x)) => c.push(x),
            (Values::Integer(c), ValueRef::Integer(x)) => c.push(x),
            (Values::UInteger(c), ValueRef::UInteger(x)) => c.push(x),
            (Values::Boolean(c), ValueRef::Boolean(x)) => c.push(x),
            (Values::String { data, ends }, ValueRef::String(s)) => {
                data.extend_from_slice(s);
                ends.push(data.len() as u32);
                return Some(s.len() + 4);
            }
            _ => return None,
        }
        Some(8)
    }

    /// Overwrites the last value; `None` on a type mismatch.
    fn replace_last(&mut self, v: ValueRef<'_>) -> Option<usize> {
        match (self, v) {
            (Values::Float(c), ValueRef::Float(x)) => *c.last_mut()? = x,
            (Values::Integer(c), ValueRef::Integer(x)) => *c.last_mut()? = x,
            (Values::UInteger(c), ValueRef::UInteger(x)) => *c.last_mut()? = x,
            (Values::Boolean(c), ValueRef::Boolean(x)) => *c.last_mut()? = x,
            (Values::String { data, ends }, ValueRef::String(s)) => {
                // The last value is at the end of the arena: cut it and append the new one.
                let _ = ends.pop()?;
                let start = ends.last().unwrap_or(0) as usize;
                let old = data.len() - start;
                data.truncate(start);
                data.extend_from_slice(s);
                ends.push(data.len() as u32);
                return Some(s.len().saturating_sub(old));
            }
            _ => return None,
        }
        Some(0)
    }

    /// Keeps the values at `order` positions, in that order.
    fn permute(&mut self, order: &[u32]) {
        fn pick<T: Copy>(v: &Chunked<T>, order: &[u32]) -> Chunked<T> {
            let mut out = Chunked::new();
            for i in order {
                if let Some(x) = v.get(*i as usize) {
                    out.push(x);
                }
            }
            out
        }
        match self {
            Values::Float(v) => *v = pick(v, order),
            Values::Integer(v) => *v = pick(v, order),
            Values::UInteger(v) => *v = pick(v, order),
            Values::Boolean(v) => *v = pick(v, order),
            Values::String { .. } => {
                let mut data = Vec::new();
                let mut ends = Chunked::new();
                for i in order {
                    if let Some(s) = self.str_at(*i as usize) {
                        data.extend_from_slice(s.as_bytes());
                    }
                    ends.push(data.len() as u32);
                }
                *self = Values::String { data, ends };
            }
        }
    }
}

/// One (series, field) column.
#[derive(Debug, Clone)]
pub struct Column {
    /// Unescaped field key.
    pub name: Box<[u8]>,
    /// Timestamps (ns), parallel to `values`.
    pub times: Chunked<i64>,
    /// Values.
    pub values: Values,
    sorted: bool,
}

impl Column {
    fn new(name: &[u8], ty: FieldType) -> Column {
        Column {
            name: name.into(),
            times: Chunked::new(),
            values: Values::new(ty),
            sorted: true,
        }
    }

    /// Sorts by time and removes duplicate timestamps, keeping the last written value.
    pub fn normalize(&mut self) {
        if self.sorted {
            return;
        }
        let mut order: Vec<u32> = (0..self.times.len() as u32).collect();
        // Stable: equal timestamps keep write order, so the last one is the newest write.
        order.sort_by_key(|i| self.times.get(*i as usize).unwrap_or(0));
        let mut keep: Vec<u32> = Vec::with_capacity(order.len());
        for i in order {
            let t = self.times.get(i as usize);
            match keep.last_mut() {
                Some(last) if self.times.get(*last as usize) == t => *last = i,
                _ => keep.push(i),
            }
        }
        let mut times = Chunked::new();
        for i in &keep {
            if let Some(t) = self.times.get(*i as usize) {
                times.push(t);
            }
        }
        self.times = times;
        self.values.permute(&keep);
        self.sorted = true;
    }

    /// Index range of points with `start <= t < stop` (call [`normalize`](Self::normalize) first).
    pub fn range(&self, start: i64, stop: i64) -> std::ops::Range<usize> {
        let lo = self.times.partition_point(|t| *t < start);
        let hi = self.times.partition_point(|t| *t < stop);
        lo..hi.max(lo)
    }
}

/// All columns of one series.
#[derive(Debug, Clone, Default)]
pub struct SeriesData {
    /// Columns, in first-written order.
    pub columns: Vec<Column>,
}

/// Outcome of [`Head::append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored.
    Stored,
    /// The column holds another type; the value was dropped.
    TypeConflict(FieldType),
}

/// The in-memory head of one shard.
#[derive(Debug, Default)]
pub struct Head {
    series: Vec<SeriesData>,
    mem_bytes: usize,
    points: u64,
}

impl Head {
    /// An empty head.
    pub fn new() -> Self {
        Self::default()
    }

    /// Approximate bytes held.
    pub fn mem_bytes(&self) -> usize {
        self.mem_bytes
    }

    /// Number of field values stored (including overwritten ones).
    pub fn values(&self) -> u64 {
        self.points
    }

    /// Appends one field value of a series (last write wins on equal timestamps).
    ///
    /// `hint` is the field's position in its line: fields usually arrive in the same order
    /// every time, so the column at that index is tried before searching.
    pub fn append(
        &mut self,
        series: SeriesId,
        field: &[u8],
        hint: usize,
        ts: i64,
        v: ValueRef<'_>,
    ) -> AppendOutcome {
        let sid = series as usize;
        if self.series.len() <= sid {
            self.series.resize_with(sid + 1, SeriesData::default);
            self.mem_bytes += 64;
        }
        let Some(sd) = self.series.get_mut(sid) else {
            return AppendOutcome::TypeConflict(v.field_type());
        };
        let hinted = sd.columns.get(hint).is_some_and(|c| &*c.name == field);
        let found = if hinted {
            Some(hint)
        } else {
            sd.columns.iter().position(|c| &*c.name == field)
        };
        let pos = match found {
            Some(p) => p,
            None => {
                sd.columns.push(Column::new(field, v.field_type()));
                self.mem_bytes += 96 + field.len();
                sd.columns.len() - 1
            }
        };
        let Some(col) = sd.columns.get_mut(pos) else {
            return AppendOutcome::TypeConflict(v.field_type());
        };
        let existing = col.values.field_type();
        if existing != v.field_type() {
            return AppendOutcome::TypeConflict(existing);
        }
        let added = match col.times.last() {
            Some(last) if last == ts && col.sorted => col.values.replace_last(v),
            Some(last) if last > ts => {
                col.sorted = false;
                col.times.push(ts);
                col.values.push(v).map(|n| n + 8)
            }
            _ => {
                col.times.push(ts);
                col.values.push(v).map(|n| n + 8)
            }
        };
        match added {
            Some(n) => {
                self.mem_bytes += n;
                self.points += 1;
                AppendOutcome::Stored
            }
            None => AppendOutcome::TypeConflict(existing),
        }
    }

    /// Removes the points of series `sids` with `start <= t <= stop` (a delete; the range is
    /// inclusive as InfluxDB's). Returns how many values were removed.
    pub fn delete_range(&mut self, sids: &[SeriesId], start: i64, stop: i64) -> u64 {
        let mut removed = 0u64;
        for sid in sids {
            let Some(sd) = self.series.get_mut(*sid as usize) else {
                continue;
            };
            for col in sd.columns.iter_mut() {
                col.normalize();
                let r = col.range(start, stop.saturating_add(1));
                if r.is_empty() {
                    continue;
                }
                let keep: Vec<u32> = (0..col.times.len() as u32)
                    .filter(|i| !r.contains(&(*i as usize)))
                    .collect();
                removed += r.len() as u64;
                let mut times = Chunked::new();
                for i in &keep {
                    if let Some(t) = col.times.get(*i as usize) {
                        times.push(t);
                    }
                }
                col.times = times;
                col.values.permute(&keep);
            }
        }
        removed
    }

    /// True if nothing was written.
    pub fn is_empty(&self) -> bool {
        self.points == 0
    }

    /// Ids of the series holding at least one column.
    pub fn series_ids(&self) -> impl Iterator<Item = SeriesId> + '_ {
        self.series
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.columns.is_empty())
            .map(|(i, _)| i as SeriesId)
    }

    /// The data of a series, if any was written.
    pub fn series(&self, id: SeriesId) -> Option<&SeriesData> {
        self.series.get(id as usize)
    }

    /// Mutable access (for normalising before a read).
    pub fn series_mut(&mut self, id: SeriesId) -> Option<&mut SeriesData> {
        self.series.get_mut(id as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_write_wins_on_equal_timestamps() {
        let mut h = Head::new();
        h.append(0, b"v", 0, 10, ValueRef::Float(1.0));
        h.append(0, b"v", 0, 5, ValueRef::Float(2.0));
        h.append(0, b"v", 0, 10, ValueRef::Float(3.0));
        h.append(0, b"v", 0, 5, ValueRef::Float(4.0));
        let col = &mut h.series_mut(0).unwrap().columns[0];
        col.normalize();
        assert_eq!(col.times.iter().collect::<Vec<_>>(), vec![5, 10]);
        match &col.values {
            Values::Float(v) => assert_eq!(v.iter().collect::<Vec<_>>(), vec![4.0, 3.0]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn in_order_duplicate_overwrites_in_place() {
        let mut h = Head::new();
        h.append(0, b"s", 0, 1, ValueRef::String(b"a"));
        h.append(0, b"s", 0, 1, ValueRef::String(b"bb"));
        let col = &h.series(0).unwrap().columns[0];
        assert_eq!(col.times.iter().collect::<Vec<_>>(), vec![1]);
        assert_eq!(col.values.str_at(0), Some("bb"));
    }

    #[test]
    fn type_conflict_is_rejected() {
        let mut h = Head::new();
        assert_eq!(
            h.append(0, b"v", 0, 1, ValueRef::Float(1.0)),
            AppendOutcome::Stored
        );
        assert_eq!(
            h.append(0, b"v", 0, 2, ValueRef::Integer(1)),
            AppendOutcome::TypeConflict(FieldType::Float)
        );
    }

    #[test]
    fn range_is_half_open() {
        let mut h = Head::new();
        for t in [1, 2, 3, 4] {
            h.append(0, b"v", 0, t, ValueRef::Boolean(true));
        }
        let col = &h.series(0).unwrap().columns[0];
        assert_eq!(col.range(2, 4), 1..3);
        assert_eq!(col.range(5, 9), 4..4);
    }
}

#[cfg(test)]
mod model_tests {
    //! Property test: the head against a trivially correct model
    //! (`BTreeMap<(series, field, time), value>`, last write wins) through writes, overwrites,
    //! out-of-order points, normalisation and range reads.

    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    struct Op {
        series: u32,
        field: u8,
        ts: i64,
        v: i64,
    }

    fn op() -> impl Strategy<Value = Op> {
        (0u32..4, 0u8..3, -20i64..20, any::<i64>()).prop_map(|(series, field, ts, v)| Op {
            series,
            field,
            ts,
            v,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn head_matches_model(ops in proptest::collection::vec(op(), 1..300), start in -25i64..25, len in 0i64..50) {
            let mut head = Head::new();
            let mut model: BTreeMap<(u32, u8, i64), i64> = BTreeMap::new();
            for o in &ops {
                let name = [b'f', b'0' + o.field];
                prop_assert_eq!(
                    head.append(o.series, &name, usize::from(o.field), o.ts, ValueRef::Integer(o.v)),
                    AppendOutcome::Stored
                );
                model.insert((o.series, o.field, o.ts), o.v);
            }
            let stop = start + len;
            for series in 0u32..4 {
                let Some(sd) = head.series_mut(series) else { continue };
                for col in sd.columns.iter_mut() {
                    col.normalize();
                    let field = col.name[1] - b'0';
                    let r = col.range(start, stop);
                    let got: Vec<(i64, i64)> = match &col.values {
                        Values::Integer(v) => r
                            .clone()
                            .map(|i| (col.times.get(i).unwrap(), v.get(i).unwrap()))
                            .collect(),
                        other => panic!("{other:?}"),
                    };
                    let want: Vec<(i64, i64)> = model
                        .range((series, field, start)..(series, field, stop.max(start)))
                        .map(|((_, _, t), v)| (*t, *v))
                        .collect();
                    prop_assert_eq!(got, want);
                }
            }
        }
    }
}
