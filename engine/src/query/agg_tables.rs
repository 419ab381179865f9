//! Turning shard-side aggregate results (see [`super::pushdown`]) into the Flux tables the
//! equivalent un-pushed pipeline would produce.
//!
//! Shapes, for a read of `[start, stop)` of series tables
//! (`_start,_stop,_time,_value,_field,_measurement,<tags>`):
//! - [`AggShape::Window`] — `aggregateWindow(every, offset, fn, createEmpty, timeSrc)`: one table
//!   per (series, field) with the raw columns; one row per window in the range (only non-empty
//!   windows unless `create_empty`), `_time` = the window's clipped stop (or start with
//!   `timeSrc: "_start"`), `_value` = the aggregate (null for an empty window, 0 for `count`).
//!   Windows are aligned to the epoch plus `offset` and clipped to `[start, stop)`.
//! - [`AggShape::Aggregate`] — `count()`/`sum()`/`mean()`: one row per table, columns = the
//!   group key then `_value` (no `_time`).
//! - [`AggShape::Selector`] — `first()`/`last()`/`min()`/`max()`: the selected row, raw columns.
//!
//! Invariants: tables arrive one (series, field) at a time, in order, starting with a chunk whose
//! `first` flag is set; empty windows before, between and after the shard's rows are generated
//! here, so the output of a column is complete only after the next column starts or
//! [`AggTables::finish`] is called.

use std::sync::Arc;

use super::exec::series_meta;
use super::pushdown::{AggKind, AggShape, Aggregation};
use super::table::{ColumnData, ColumnType, TableChunk, TableMeta};
use crate::shard::query::{ChunkValues, ReadChunk};

/// Rows of the column being assembled.
#[derive(Debug)]
struct Pending {
    meta: Arc<TableMeta>,
    group_strings: Vec<String>,
    value_ty: ColumnType,
    times: Vec<i64>,
    values: ColumnData,
    /// Next window start to emit (windowed shapes).
    next_window: i64,
}

/// Assembles tables from aggregated read chunks.
#[derive(Debug)]
pub struct AggTables {
    start: i64,
    stop: i64,
    agg: Aggregation,
    shape: AggShape,
    cur: Option<Pending>,
}

impl AggTables {
    /// Tables for a read of `[start, stop)` aggregated by `agg` (shaped as `agg.shape`).
    pub fn new(start: i64, stop: i64, agg: Aggregation) -> Self {
        AggTables {
            start,
            stop,
            agg,
            shape: agg.shape,
            cur: None,
        }
    }

    /// Feeds one chunk; returns the tables completed by it (each a whole table).
    pub fn push(&mut self, chunk: ReadChunk) -> Vec<TableChunk> {
        let mut done = Vec::new();
        if chunk.first || self.cur.is_none() {
            done.extend(self.finish_column());
            self.cur = Some(self.begin(&chunk));
        }
        let windowed = matches!(self.shape, AggShape::Window { .. });
        let every = self.agg.every.unwrap_or(0);
        let (start, stop, shape, agg) = (self.start, self.stop, self.shape, self.agg);
        let Some(p) = self.cur.as_mut() else {
            return done;
        };
        let n = chunk.times.len();
        for i in 0..n {
            let t = chunk.times.get(i).copied().unwrap_or(0);
            if windowed {
                let ws = if agg.kind.is_selector() {
                    agg.window_start(t).unwrap_or(t)
                } else {
                    t
                };
                fill_empty(p, ws, every, start, stop, shape, agg.kind);
                p.times.push(window_time(ws, every, start, stop, shape));
                p.next_window = ws.saturating_add(every);
            } else {
                p.times.push(t);
            }
            push_value(&mut p.values, &chunk.values, i);
        }
        done
    }

    /// Completes the last table.
    pub fn finish(&mut self) -> Vec<TableChunk> {
        self.finish_column().into_iter().collect()
    }

    fn begin(&self, chunk: &ReadChunk) -> Pending {
        let value_ty = match &chunk.values {
            ChunkValues::Float(_) => ColumnType::Double,
            ChunkValues::Integer(_) => ColumnType::Long,
            ChunkValues::UInteger(_) => ColumnType::UnsignedLong,
            ChunkValues::Boolean(_) => ColumnType::Boolean,
            ChunkValues::String(_) => ColumnType::String,
        };
        let with_time = self.shape != AggShape::Aggregate;
        let (meta, group_strings) = series_meta(
            &chunk.key,
            &chunk.field,
            value_ty,
            self.start,
            self.stop,
            with_time,
        );
        let first_window = self.agg.window_start(self.start).unwrap_or(self.start);
        Pending {
            meta,
            group_strings,
            value_ty,
            times: Vec::new(),
            values: ColumnData::empty(value_ty),
            next_window: first_window,
        }
    }

    fn finish_column(&mut self) -> Option<TableChunk> {
        let mut p = self.cur.take()?;
        if let AggShape::Window { .. } = self.shape {
            let every = self.agg.every.unwrap_or(0);
            fill_empty(
                &mut p,
                self.stop,
                every,
                self.start,
                self.stop,
                self.shape,
                self.agg.kind,
            );
        }
        let rows = p.times.len();
        let mut cols = Vec::with_capacity(p.meta.columns.len());
        cols.push(ColumnData::DateTime(vec![Some(self.start); rows]));
        cols.push(ColumnData::DateTime(vec![Some(self.stop); rows]));
        let values = std::mem::replace(&mut p.values, ColumnData::empty(p.value_ty));
        match self.shape {
            AggShape::Aggregate => {
                for s in &p.group_strings {
                    cols.push(ColumnData::String(vec![Some(s.clone()); rows]));
                }
                cols.push(values);
            }
            _ => {
                cols.push(ColumnData::DateTime(
                    p.times.iter().map(|t| Some(*t)).collect(),
                ));
                cols.push(values);
                for s in &p.group_strings {
                    cols.push(ColumnData::String(vec![Some(s.clone()); rows]));
                }
            }
        }
        Some(TableChunk {
            meta: p.meta,
            columns: cols,
        })
    }
}

/// `_time` of a window row: its stop (or start) clipped to the range.
fn window_time(ws: i64, every: i64, start: i64, stop: i64, shape: AggShape) -> i64 {
    match shape {
        AggShape::Window {
            time_from_start: true,
            ..
        } => ws.max(start),
        _ => ws.saturating_add(every).min(stop),
    }
}

/// Emits empty windows from `p.next_window` up to (not including) the window starting at
/// `upto`, if the shape asks for them.
fn fill_empty(
    p: &mut Pending,
    upto: i64,
    every: i64,
    start: i64,
    stop: i64,
    shape: AggShape,
    kind: AggKind,
) {
    let AggShape::Window {
        create_empty: true, ..
    } = shape
    else {
        return;
    };
    if every <= 0 {
        return;
    }
    let mut ws = p.next_window;
    while ws < upto && ws < stop {
        if ws.saturating_add(every) > start {
            p.times.push(window_time(ws, every, start, stop, shape));
            push_empty(&mut p.values, kind);
        }
        ws = ws.saturating_add(every);
    }
    p.next_window = ws;
}

fn push_empty(values: &mut ColumnData, kind: AggKind) {
    match (values, kind) {
        (ColumnData::Long(v), AggKind::Count) => v.push(Some(0)),
        (ColumnData::String(v), _) => v.push(None),
        (ColumnData::Long(v), _) => v.push(None),
        (ColumnData::UnsignedLong(v), _) => v.push(None),
        (ColumnData::Double(v), _) => v.push(None),
        (ColumnData::Boolean(v), _) => v.push(None),
        (ColumnData::DateTime(v), _) => v.push(None),
    }
}

fn push_value(out: &mut ColumnData, values: &ChunkValues, i: usize) {
    match (out, values) {
        (ColumnData::Double(o), ChunkValues::Float(v)) => o.push(v.get(i).copied()),
        (ColumnData::Long(o), ChunkValues::Integer(v)) => o.push(v.get(i).copied()),
        (ColumnData::UnsignedLong(o), ChunkValues::UInteger(v)) => o.push(v.get(i).copied()),
        (ColumnData::Boolean(o), ChunkValues::Boolean(v)) => o.push(v.get(i).copied()),
        (ColumnData::String(o), ChunkValues::String(v)) => o.push(v.get(i).cloned()),
        // A type change inside a column cannot happen (types are fixed per field); keep the
        // row count consistent anyway.
        (o, _) => push_empty(o, AggKind::First),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::table::Value;

    fn chunk(first: bool, times: Vec<i64>, values: ChunkValues) -> ReadChunk {
        ReadChunk {
            key: Arc::from(&b"cpu,host=a"[..]),
            field: Arc::from(&b"v"[..]),
            first,
            times,
            values,
        }
    }

    fn col(t: &TableChunk, label: &str) -> Vec<Option<Value>> {
        let i = t.meta.column_index(label).expect(label);
        (0..t.rows()).map(|r| t.columns[i].get(r)).collect()
    }

    fn agg(kind: AggKind, every: Option<i64>) -> Aggregation {
        Aggregation {
            kind,
            every,
            offset: 0,
            shape: AggShape::Aggregate,
        }
    }

    #[test]
    fn aggregate_window_fills_empty_windows_and_clips() {
        // Range [5, 45), windows of 10: [0,10) clipped to [5,10), [10,20), [20,30), [30,40),
        // [40,45). Shard rows: windows 10 and 30.
        let shape = AggShape::Window {
            create_empty: true,
            time_from_start: false,
        };
        let mut t = AggTables::new(
            5,
            45,
            Aggregation {
                shape,
                ..agg(AggKind::Count, Some(10))
            },
        );
        assert!(t
            .push(chunk(true, vec![10, 30], ChunkValues::Integer(vec![3, 4])))
            .is_empty());
        let out = t.finish();
        assert_eq!(out.len(), 1);
        let tb = &out[0];
        assert!(tb.validate().is_ok());
        let times: Vec<_> = col(tb, "_time");
        let want_t: Vec<_> = [10, 20, 30, 40, 45]
            .iter()
            .map(|x| Some(Value::DateTime(*x)))
            .collect();
        assert_eq!(times, want_t);
        let want_v: Vec<_> = [0, 3, 0, 4, 0]
            .iter()
            .map(|x| Some(Value::Long(*x)))
            .collect();
        assert_eq!(col(tb, "_value"), want_v);
        assert_eq!(col(tb, "host")[0], Some(Value::String("a".into())));
    }

    #[test]
    fn mean_windows_null_when_empty_and_selectors_map_to_their_window() {
        let shape = AggShape::Window {
            create_empty: true,
            time_from_start: false,
        };
        let mut t = AggTables::new(
            0,
            30,
            Aggregation {
                shape,
                ..agg(AggKind::Max, Some(10))
            },
        );
        t.push(chunk(true, vec![17], ChunkValues::Float(vec![2.5])));
        let tb = t.finish().pop().unwrap();
        assert_eq!(
            col(&tb, "_value"),
            vec![None, Some(Value::Double(2.5)), None]
        );
        assert_eq!(
            col(&tb, "_time"),
            [10, 20, 30].map(|x| Some(Value::DateTime(x))).to_vec()
        );
        let no_empty = AggShape::Window {
            create_empty: false,
            time_from_start: true,
        };
        let mut t = AggTables::new(
            0,
            30,
            Aggregation {
                shape: no_empty,
                ..agg(AggKind::Mean, Some(10))
            },
        );
        t.push(chunk(true, vec![10], ChunkValues::Float(vec![1.0])));
        let tb = t.finish().pop().unwrap();
        assert_eq!(col(&tb, "_time"), vec![Some(Value::DateTime(10))]);
    }

    #[test]
    fn plain_aggregate_has_key_then_value_and_tables_split_per_column() {
        let mut t = AggTables::new(0, 100, agg(AggKind::Count, None));
        t.push(chunk(true, vec![0], ChunkValues::Integer(vec![7])));
        let mut second = chunk(true, vec![0], ChunkValues::Integer(vec![9]));
        second.key = Arc::from(&b"cpu,host=b"[..]);
        let done = t.push(second);
        assert_eq!(done.len(), 1);
        let labels: Vec<_> = done[0]
            .meta
            .columns
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        assert_eq!(
            labels,
            [
                "_start",
                "_stop",
                "_field",
                "_measurement",
                "host",
                "_value"
            ]
        );
        assert!(done[0].validate().is_ok());
        let last = t.finish();
        assert_eq!(col(&last[0], "_value"), vec![Some(Value::Long(9))]);
        assert_eq!(col(&last[0], "host"), vec![Some(Value::String("b".into()))]);
    }
}
