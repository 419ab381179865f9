//! Multi-row selectors: `top`, `bottom`, `distinct`, `unique`.
//!
//! Invariants:
//! - `top`/`bottom` keep all columns and the group key; rows are ordered by `columns`
//!   (descending for top, ascending for bottom; the sort is stable and nulls order before
//!   every value), then cut to the first `n`.
//! - `distinct` outputs the group-key columns plus one `_value` column (of the source column's
//!   type) holding each distinct value once, in order of first appearance; a null is a value.
//!   When `column` is in the group key the output is the single key value.
//! - `unique` keeps every column and the first row for each distinct value of `column`
//!   (null included), in input order.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::query::table::{ColumnData, ColumnMeta, TableChunk};

use super::{column_index, key_columns_plus, key_value, repeat_value, take, OpError};

/// `top(n, columns: ["_value"])` / `bottom(...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopBottomParams {
    /// Number of rows to keep.
    pub n: usize,
    /// Sort columns (default `["_value"]`).
    pub columns: Vec<String>,
}

impl TopBottomParams {
    /// Defaults for `n`.
    pub fn new(n: usize) -> Self {
        TopBottomParams {
            n,
            columns: vec!["_value".to_string()],
        }
    }
}

/// Compares two rows of one column; nulls first.
pub(crate) fn cmp_rows(col: &ColumnData, a: usize, b: usize) -> Ordering {
    fn c<T: PartialOrd>(v: &[Option<T>], a: usize, b: usize) -> Ordering {
        match (
            v.get(a).and_then(Option::as_ref),
            v.get(b).and_then(Option::as_ref),
        ) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        }
    }
    match col {
        ColumnData::String(v) => c(v, a, b),
        ColumnData::Long(v) => c(v, a, b),
        ColumnData::UnsignedLong(v) => c(v, a, b),
        ColumnData::Double(v) => c(v, a, b),
        ColumnData::Boolean(v) => c(v, a, b),
        ColumnData::DateTime(v) => c(v, a, b),
    }
}

/// `top` (`descending = true`) or `bottom` (`descending = false`).
pub fn top_bottom(
    table: &TableChunk,
    params: &TopBottomParams,
    descending: bool,
) -> Result<TableChunk, OpError> {
    let mut sort_cols = Vec::with_capacity(params.columns.len());
    for c in &params.columns {
        let idx = column_index(table, c)?;
        if let Some(col) = table.columns.get(idx) {
            sort_cols.push(col);
        }
    }
    let mut rows: Vec<usize> = (0..table.rows()).collect();
    rows.sort_by(|&a, &b| {
        for col in &sort_cols {
            let o = cmp_rows(col, a, b);
            if o != Ordering::Equal {
                return if descending { o.reverse() } else { o };
            }
        }
        Ordering::Equal
    });
    rows.truncate(params.n);
    Ok(TableChunk {
        meta: table.meta.clone(),
        columns: table.columns.iter().map(|c| take(c, &rows)).collect(),
    })
}

/// Rows holding the first occurrence of each distinct value of `col` (null included).
fn first_occurrences(col: &ColumnData) -> Vec<usize> {
    fn f<T: Eq + std::hash::Hash>(v: &[Option<T>]) -> Vec<usize> {
        let mut seen: HashSet<Option<&T>> = HashSet::new();
        let mut out = Vec::new();
        for (i, x) in v.iter().enumerate() {
            if seen.insert(x.as_ref()) {
                out.push(i);
            }
        }
        out
    }
    match col {
        ColumnData::String(v) => f(v),
        ColumnData::Long(v) => f(v),
        ColumnData::UnsignedLong(v) => f(v),
        ColumnData::DateTime(v) => f(v),
        ColumnData::Boolean(v) => f(v),
        ColumnData::Double(v) => {
            let bits: Vec<Option<u64>> = v.iter().map(|x| x.map(f64::to_bits)).collect();
            f(&bits)
        }
    }
}

/// `distinct(column: "_value")`.
pub fn distinct(table: &TableChunk, column: &str) -> Result<TableChunk, OpError> {
    let idx = column_index(table, column)?;
    let Some(col) = table.columns.get(idx) else {
        return Err(OpError::missing_column(column));
    };
    let (data, rows) = if table.meta.columns.get(idx).is_some_and(|c| c.group) {
        let n = usize::from(table.rows() > 0);
        (
            repeat_value(col.column_type(), key_value(&table.meta, idx), n),
            n,
        )
    } else {
        let rows = first_occurrences(col);
        let n = rows.len();
        (take(col, &rows), n)
    };
    let meta = ColumnMeta::new("_value", data.column_type(), false);
    let mut base = table.meta.as_ref().clone();
    // A key column named `_value` is replaced by the distinct values.
    for (c, kv) in base.columns.iter_mut().zip(base.key_values.iter_mut()) {
        if c.label == "_value" {
            c.group = false;
            *kv = None;
        }
    }
    Ok(key_columns_plus(&base, vec![(meta, data)], rows))
}

/// `unique(column: "_value")`.
pub fn unique(table: &TableChunk, column: &str) -> Result<TableChunk, OpError> {
    let idx = column_index(table, column)?;
    let Some(col) = table.columns.get(idx) else {
        return Err(OpError::missing_column(column));
    };
    let rows = first_occurrences(col);
    Ok(TableChunk {
        meta: table.meta.clone(),
        columns: table.columns.iter().map(|c| take(c, &rows)).collect(),
    })
}
