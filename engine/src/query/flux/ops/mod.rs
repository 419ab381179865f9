//! Flux table operations: aggregates, selectors, windowing and row-wise series functions,
//! with Flux v0.196 semantics.
//!
//! Every function here works on whole tables ([`TableChunk`]: one chunk is one Flux table) and
//! takes a small parameter struct mirroring the Flux parameters and their defaults; the
//! interpreter maps Flux calls onto them and adds source positions to [`OpError`]s.
//!
//! How the builtins map (per input table unless noted; `bounds` = the stream's `range`):
//! - `count/sum/mean/spread/stddev/median/quantile/integral/first/last/min/max(column)` →
//!   [`aggregate()`]`(table, &Aggregate::…, column)`.
//! - `top/bottom(n, columns)` → [`top_bottom`]; `distinct(column)` → [`distinct`];
//!   `unique(column)` → [`unique`].
//! - `window(...)` → [`window()`]`(stream, &WindowParams)`; `window(every: inf)` →
//!   [`unwindow`] (or `WindowParams { every: FluxDuration::INF, bounds: Some(..) }`).
//! - `aggregateWindow(fn: <builtin>)` → [`aggregate_window`]`(stream, &AggregateWindowParams,
//!   &Aggregate::…)`. With a user `fn`: [`window()`] (`create_empty` as given) → `fn` per table
//!   → [`fill_empty`] per table if `createEmpty` → [`duplicate`]`(timeSrc, timeDst)` →
//!   [`unwindow`]`(tables, timeDst, bounds)`.
//! - `derivative`, `difference`, `cumulativeSum`, `increase`, `elapsed`, `movingAverage`,
//!   `exponentialMovingAverage`, `timeShift` → the functions of [`series`]; `stateCount` /
//!   `stateDuration` → [`state_count`] / [`state_duration`] with the predicate already
//!   evaluated per row.
//!
//! Invariants (for every public function):
//! - Input chunks are assumed to satisfy [`TableChunk::validate`]; output chunks always do.
//! - No function panics on input-derived data: bad columns/types come back as [`OpError`] with
//!   Flux's message.
//! - Group key values of an output table are consistent with its group-key column cells: each
//!   group column holds its key value in every row.
//! - Functions that regroup (`window`, `aggregate_window`, `unwindow`) take a stream
//!   (`&[TableChunk]`) and return tables in order of first appearance (per input table,
//!   ascending window order); tables that end up with equal group keys are merged. Others map
//!   one table to one table.
//! - Nothing requires input sorted by time except where Flux's result depends on row order
//!   (`derivative`, `difference`, `elapsed`, `first`/`last`, moving averages, ...): rows are
//!   used in table order, as Flux does.
//! - Hot loops work on the typed column vectors; nothing allocates or boxes a [`Value`] per row
//!   (string cells are the exception wherever rows are copied, since a cell owns its `String`).

pub mod aggregate;
pub mod duration;
pub mod selector;
pub mod series;
mod tdigest;
pub mod window;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

use std::fmt;
use std::sync::Arc;

use crate::query::table::{ColumnData, ColumnMeta, ColumnType, TableChunk, TableMeta, Value};

pub use aggregate::{aggregate, Aggregate, QuantileMethod, StddevMode};
pub use duration::FluxDuration;
pub use selector::{distinct, top_bottom, unique, TopBottomParams};
pub use series::{
    cumulative_sum, derivative, difference, elapsed, exponential_moving_average, increase,
    moving_average, state_count, state_duration, time_shift, DerivativeParams, DifferenceParams,
    ElapsedParams, StateParams,
};
pub use window::{
    aggregate_window, duplicate, fill_empty, unwindow, window, AggregateWindowParams, Bounds,
    WindowParams,
};

/// An error raised by a table operation; the message is Flux's (the interpreter adds the
/// source position).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpError(pub String);

impl OpError {
    /// An error with this message.
    pub fn new(msg: impl Into<String>) -> Self {
        OpError(msg.into())
    }

    /// Flux's error for a missing column.
    pub fn missing_column(label: &str) -> Self {
        OpError(format!("column \"{label}\" does not exist"))
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpError {}

/// Flux's name of a column type, as used in error messages.
pub(crate) fn flux_type_name(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::String => "string",
        ColumnType::Long => "int",
        ColumnType::UnsignedLong => "uint",
        ColumnType::Double => "float",
        ColumnType::Boolean => "bool",
        ColumnType::DateTime => "time",
    }
}

/// Index of `label` in `table`, or Flux's "does not exist" error.
pub(crate) fn column_index(table: &TableChunk, label: &str) -> Result<usize, OpError> {
    table
        .meta
        .column_index(label)
        .ok_or_else(|| OpError::missing_column(label))
}

/// Gathers the cells at `rows` (in that order) of `col`.
pub(crate) fn take(col: &ColumnData, rows: &[usize]) -> ColumnData {
    fn g<T: Clone>(v: &[Option<T>], rows: &[usize]) -> Vec<Option<T>> {
        rows.iter().map(|&r| v.get(r).cloned().flatten()).collect()
    }
    match col {
        ColumnData::String(v) => ColumnData::String(g(v, rows)),
        ColumnData::Long(v) => ColumnData::Long(g(v, rows)),
        ColumnData::UnsignedLong(v) => ColumnData::UnsignedLong(g(v, rows)),
        ColumnData::Double(v) => ColumnData::Double(g(v, rows)),
        ColumnData::Boolean(v) => ColumnData::Boolean(g(v, rows)),
        ColumnData::DateTime(v) => ColumnData::DateTime(g(v, rows)),
    }
}

/// Appends the cells at `rows` of `src` to `dst` (same type; a mismatch appends nulls).
pub(crate) fn extend_from(dst: &mut ColumnData, src: &ColumnData, rows: &[usize]) {
    fn e<T: Clone>(d: &mut Vec<Option<T>>, s: &[Option<T>], rows: &[usize]) {
        d.extend(rows.iter().map(|&r| s.get(r).cloned().flatten()));
    }
    match (dst, src) {
        (ColumnData::String(d), ColumnData::String(s)) => e(d, s, rows),
        (ColumnData::Long(d), ColumnData::Long(s)) => e(d, s, rows),
        (ColumnData::UnsignedLong(d), ColumnData::UnsignedLong(s)) => e(d, s, rows),
        (ColumnData::Double(d), ColumnData::Double(s)) => e(d, s, rows),
        (ColumnData::Boolean(d), ColumnData::Boolean(s)) => e(d, s, rows),
        (ColumnData::DateTime(d), ColumnData::DateTime(s)) => e(d, s, rows),
        (d, _) => push_nulls(d, rows.len()),
    }
}

/// Appends `n` nulls.
pub(crate) fn push_nulls(col: &mut ColumnData, n: usize) {
    match col {
        ColumnData::String(v) => v.resize(v.len() + n, None),
        ColumnData::Long(v) => v.resize(v.len() + n, None),
        ColumnData::UnsignedLong(v) => v.resize(v.len() + n, None),
        ColumnData::Double(v) => v.resize(v.len() + n, None),
        ColumnData::Boolean(v) => v.resize(v.len() + n, None),
        ColumnData::DateTime(v) => v.resize(v.len() + n, None),
    }
}

/// A column of `n` copies of `value` (nulls when `value` is `None` or of another type).
pub(crate) fn repeat_value(ty: ColumnType, value: Option<&Value>, n: usize) -> ColumnData {
    match (ty, value) {
        (ColumnType::String, Some(Value::String(s))) => {
            ColumnData::String(vec![Some(s.clone()); n])
        }
        (ColumnType::Long, Some(Value::Long(x))) => ColumnData::Long(vec![Some(*x); n]),
        (ColumnType::UnsignedLong, Some(Value::UnsignedLong(x))) => {
            ColumnData::UnsignedLong(vec![Some(*x); n])
        }
        (ColumnType::Double, Some(Value::Double(x))) => ColumnData::Double(vec![Some(*x); n]),
        (ColumnType::Boolean, Some(Value::Boolean(x))) => ColumnData::Boolean(vec![Some(*x); n]),
        (ColumnType::DateTime, Some(Value::DateTime(x))) => ColumnData::DateTime(vec![Some(*x); n]),
        _ => {
            let mut c = ColumnData::empty(ty);
            push_nulls(&mut c, n);
            c
        }
    }
}

/// The key value of column `idx`: the meta's key value when the column is in the group key,
/// else `None`.
pub(crate) fn key_value(meta: &TableMeta, idx: usize) -> Option<&Value> {
    if meta.columns.get(idx).is_some_and(|c| c.group) {
        meta.key_values.get(idx).and_then(Option::as_ref)
    } else {
        None
    }
}

/// A byte encoding of a table's group key (labels, types and values of the group columns),
/// usable as a hash-map key to merge tables with equal keys.
pub(crate) fn key_bytes(meta: &TableMeta) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, c) in meta.columns.iter().enumerate() {
        if !c.group {
            continue;
        }
        out.extend_from_slice(&(c.label.len() as u64).to_le_bytes());
        out.extend_from_slice(c.label.as_bytes());
        out.push(c.ty as u8);
        match meta.key_values.get(i).and_then(Option::as_ref) {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                match v {
                    Value::String(s) => {
                        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                        out.extend_from_slice(s.as_bytes());
                    }
                    Value::Long(x) | Value::DateTime(x) => out.extend_from_slice(&x.to_le_bytes()),
                    Value::UnsignedLong(x) => out.extend_from_slice(&x.to_le_bytes()),
                    Value::Double(x) => out.extend_from_slice(&x.to_bits().to_le_bytes()),
                    Value::Boolean(b) => out.push(u8::from(*b)),
                }
            }
        }
    }
    out
}

/// Builds the output table of an aggregate: the group-key columns of `meta` (in column order)
/// followed by `extra` columns, one row.
pub(crate) fn key_columns_plus(
    meta: &TableMeta,
    extra: Vec<(ColumnMeta, ColumnData)>,
    rows: usize,
) -> TableChunk {
    let mut cols = Vec::new();
    let mut keys = Vec::new();
    let mut data = Vec::new();
    for (i, c) in meta.columns.iter().enumerate() {
        if c.group && !extra.iter().any(|(m, _)| m.label == c.label) {
            let kv = key_value(meta, i).cloned();
            data.push(repeat_value(c.ty, kv.as_ref(), rows));
            cols.push(c.clone());
            keys.push(kv);
        }
    }
    for (m, d) in extra {
        cols.push(m);
        keys.push(None);
        data.push(d);
    }
    TableChunk {
        meta: Arc::new(TableMeta::new(cols, keys)),
        columns: data,
    }
}

/// A `DateTime` column's values, or Flux's errors for a missing/mistyped time column.
pub(crate) fn time_column<'a>(
    table: &'a TableChunk,
    label: &str,
) -> Result<&'a [Option<i64>], OpError> {
    let idx = column_index(table, label)?;
    match table.columns.get(idx) {
        Some(ColumnData::DateTime(v)) => Ok(v),
        Some(other) => Err(OpError::new(format!(
            "column \"{label}\" is of type {}, expected time",
            flux_type_name(other.column_type())
        ))),
        None => Err(OpError::missing_column(label)),
    }
}
