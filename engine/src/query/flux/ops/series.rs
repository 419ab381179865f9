//! Row-wise series functions: `derivative`, `difference`, `cumulativeSum`, `elapsed`,
//! `increase`, `movingAverage`, `exponentialMovingAverage`, `timeShift`, `stateCount`,
//! `stateDuration`.
//!
//! Invariants:
//! - Rows are processed in table order; callers sort by time first where Flux expects it
//!   (`derivative`, `elapsed`). The group key and the column order are preserved; only the
//!   processed columns change type (`derivative`/averages → float, `difference` of int/uint →
//!   int). Columns listed in `columns` but absent from a table are ignored, like Flux.
//! - A null input cell produces a null output cell and does not become the "previous" value
//!   (except `cumulativeSum`, which outputs the running sum so far for a null cell).
//! - Each function makes one pass over the rows and allocates only the output columns.

use std::sync::Arc;

use crate::query::table::{ColumnData, ColumnMeta, ColumnType, TableChunk, TableMeta, Value};

use super::duration::FluxDuration;
use super::{flux_type_name, take, time_column, OpError};

/// Rebuilds `table` keeping `rows` (in order) and replacing the columns in `replaced`
/// (by index) with already-gathered data (which must have `rows.len()` cells).
fn rebuild(table: &TableChunk, rows: &[usize], replaced: Vec<(usize, ColumnData)>) -> TableChunk {
    let all_rows = rows.len() == table.rows();
    let mut cols = table.meta.columns.clone();
    let mut columns: Vec<Option<ColumnData>> = vec![None; table.columns.len()];
    for (i, d) in replaced {
        if let Some(c) = cols.get_mut(i) {
            c.ty = d.column_type();
        }
        if let Some(slot) = columns.get_mut(i) {
            *slot = Some(d);
        }
    }
    let columns = columns
        .into_iter()
        .zip(&table.columns)
        .map(|(r, src)| match r {
            Some(d) => d,
            None if all_rows => src.clone(),
            None => take(src, rows),
        })
        .collect();
    TableChunk {
        meta: Arc::new(TableMeta::new(cols, table.meta.key_values.clone())),
        columns,
    }
}

/// Indices of the listed columns that exist in `table`.
fn present(table: &TableChunk, columns: &[String]) -> Vec<usize> {
    table
        .meta
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| columns.contains(&c.label))
        .map(|(i, _)| i)
        .collect()
}

/// Numeric cell as f64.
fn f64_at(col: &ColumnData, row: usize) -> Result<Option<f64>, OpError> {
    Ok(match col {
        ColumnData::Long(v) => v.get(row).copied().flatten().map(|x| x as f64),
        ColumnData::UnsignedLong(v) => v.get(row).copied().flatten().map(|x| x as f64),
        ColumnData::Double(v) => v.get(row).copied().flatten(),
        other => {
            return Err(OpError::new(format!(
                "unsupported type {} for numeric operation",
                flux_type_name(other.column_type())
            )))
        }
    })
}

/// `derivative(unit: 1s, nonNegative: false, columns: ["_value"], timeColumn: "_time",
/// initialZero: false)`.
#[derive(Clone, Debug, PartialEq)]
pub struct DerivativeParams {
    /// Time unit of the rate.
    pub unit: FluxDuration,
    /// Negative rates become null (or 0 with `initial_zero`).
    pub non_negative: bool,
    /// Columns to differentiate.
    pub columns: Vec<String>,
    /// Time column.
    pub time_column: String,
    /// With `non_negative`, negative rates become 0 instead of null.
    pub initial_zero: bool,
}

impl Default for DerivativeParams {
    fn default() -> Self {
        DerivativeParams {
            unit: FluxDuration::from_nanos(1_000_000_000),
            non_negative: false,
            columns: vec!["_value".into()],
            time_column: "_time".into(),
            initial_zero: false,
        }
    }
}

/// `derivative()`: per row, `(v - v_prev) / ((t - t_prev) / unit)` as float. The first row and
/// rows repeating the previous row's time are dropped; a null or decreasing time is an error
/// (input must be sorted by time). A null value gives null and does not become `v_prev`.
pub fn derivative(table: &TableChunk, p: &DerivativeParams) -> Result<TableChunk, OpError> {
    let times = match table
        .meta
        .column_index(&p.time_column)
        .and_then(|i| table.columns.get(i))
    {
        Some(ColumnData::DateTime(v)) => v,
        Some(other) => {
            return Err(OpError::new(format!(
                "time column \"{}\" is type {} and not time",
                p.time_column,
                flux_type_name(other.column_type())
            )))
        }
        None => {
            return Err(OpError::new(format!(
                "no column \"{}\" exists",
                p.time_column
            )))
        }
    };
    if p.unit.months != 0 || p.unit.nanos == 0 {
        return Err(OpError::new(
            "derivative unit must be a non-zero, fixed duration",
        ));
    }
    let unit = p.unit.signed_nanos() as f64;
    let cols = present(table, &p.columns);
    for &c in &cols {
        if let Some(col) = table.columns.get(c) {
            if !matches!(
                col.column_type(),
                ColumnType::Long | ColumnType::UnsignedLong | ColumnType::Double
            ) {
                return Err(OpError::new(format!(
                    "unsupported derivative column type {}:{}",
                    table.meta.columns.get(c).map_or("", |m| m.label.as_str()),
                    flux_type_name(col.column_type())
                )));
            }
        }
    }
    let mut rows = Vec::with_capacity(table.rows());
    let mut outs: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(table.rows()); cols.len()];
    let mut prevs: Vec<Option<(i64, f64)>> = vec![None; cols.len()];
    let mut prev_t: Option<i64> = None;
    for (row, t) in times.iter().enumerate() {
        let Some(t) = *t else {
            return Err(OpError::new("derivative found null time in time column"));
        };
        let first = match prev_t {
            None => true,
            Some(pt) if t < pt => {
                return Err(OpError::new(
                    "derivative found out-of-order times in time column",
                ))
            }
            // Only the first row of a run of equal times is used.
            Some(pt) if t == pt => continue,
            Some(_) => false,
        };
        prev_t = Some(t);
        for (k, &c) in cols.iter().enumerate() {
            let Some(col) = table.columns.get(c) else {
                continue;
            };
            let v = f64_at(col, row)?;
            let out = match (v, prevs.get(k).copied().flatten()) {
                (Some(v), Some((pt, pv))) => {
                    let d = (v - pv) / ((t - pt) as f64 / unit);
                    if p.non_negative && d < 0.0 {
                        p.initial_zero.then_some(0.0)
                    } else {
                        Some(d)
                    }
                }
                _ => None,
            };
            if let Some(v) = v {
                if let Some(slot) = prevs.get_mut(k) {
                    *slot = Some((t, v));
                }
            }
            if !first {
                if let Some(o) = outs.get_mut(k) {
                    o.push(out);
                }
            }
        }
        if !first {
            rows.push(row);
        }
    }
    let replaced = cols
        .into_iter()
        .zip(outs)
        .map(|(c, o)| (c, ColumnData::Double(o)))
        .collect();
    Ok(rebuild(table, &rows, replaced))
}

/// `difference(nonNegative: false, columns: ["_value"], keepFirst: false,
/// initialZero: false)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DifferenceParams {
    /// Negative differences become null (see `initial_zero`).
    pub non_negative: bool,
    /// Columns to difference.
    pub columns: Vec<String>,
    /// Keep the first row (with null differences).
    pub keep_first: bool,
    /// With `non_negative`, a negative difference is computed against 0 instead (the current
    /// value, or 0 when that is negative).
    pub initial_zero: bool,
}

impl Default for DifferenceParams {
    fn default() -> Self {
        DifferenceParams {
            non_negative: false,
            columns: vec!["_value".into()],
            keep_first: false,
            initial_zero: false,
        }
    }
}

/// `difference()`: `v - v_prev` per row; int and uint give int, float gives float. The first
/// row is dropped unless `keep_first`.
pub fn difference(table: &TableChunk, p: &DifferenceParams) -> Result<TableChunk, OpError> {
    let cols = present(table, &p.columns);
    let n = table.rows();
    let start = usize::from(!p.keep_first).min(n);
    let rows: Vec<usize> = (start..n).collect();
    let mut replaced = Vec::with_capacity(cols.len());
    for c in cols {
        let Some(col) = table.columns.get(c) else {
            continue;
        };
        let data = match col {
            ColumnData::Long(v) => {
                ColumnData::Long(diff_series(v, start, p, |a, b| a.wrapping_sub(b), 0))
            }
            ColumnData::UnsignedLong(v) => {
                let as_i: Vec<Option<i128>> = v.iter().map(|x| x.map(i128::from)).collect();
                let d = diff_series(&as_i, start, p, |a, b| a - b, 0);
                ColumnData::Long(
                    d.into_iter()
                        .map(|x| x.map(|x| x.clamp(i64::MIN as i128, i64::MAX as i128) as i64))
                        .collect(),
                )
            }
            ColumnData::Double(v) => {
                ColumnData::Double(diff_series(v, start, p, |a, b| a - b, 0.0))
            }
            ColumnData::DateTime(_) => {
                return Err(OpError::new(
                    "difference does not support time columns. try the elapsed function",
                ))
            }
            other => {
                return Err(OpError::new(format!(
                    "unsupported difference column type {}",
                    flux_type_name(other.column_type())
                )))
            }
        };
        replaced.push((c, data));
    }
    Ok(rebuild(table, &rows, replaced))
}

fn diff_series<T: Copy + PartialOrd>(
    v: &[Option<T>],
    start: usize,
    p: &DifferenceParams,
    sub: impl Fn(T, T) -> T,
    zero: T,
) -> Vec<Option<T>> {
    let mut out = Vec::with_capacity(v.len().saturating_sub(start));
    let mut prev: Option<T> = None;
    for (i, x) in v.iter().enumerate() {
        let d = match (*x, prev) {
            (Some(x), Some(pv)) => {
                let d = sub(x, pv);
                if p.non_negative && d < zero {
                    if p.initial_zero {
                        Some(if x < zero { zero } else { x })
                    } else {
                        None
                    }
                } else {
                    Some(d)
                }
            }
            _ => None,
        };
        if x.is_some() {
            prev = *x;
        }
        if i >= start {
            out.push(d);
        }
    }
    out
}

/// `cumulativeSum(columns: ["_value"])`: running sums (int/uint/float keep their type); a
/// null cell outputs the running sum so far.
pub fn cumulative_sum(table: &TableChunk, columns: &[String]) -> Result<TableChunk, OpError> {
    fn run<T: Copy>(v: &[Option<T>], zero: T, add: impl Fn(T, T) -> T) -> Vec<Option<T>> {
        let mut s = zero;
        v.iter()
            .map(|x| {
                if let Some(x) = x {
                    s = add(s, *x);
                }
                Some(s)
            })
            .collect()
    }
    let mut replaced = Vec::new();
    for c in present(table, columns) {
        let Some(col) = table.columns.get(c) else {
            continue;
        };
        let data = match col {
            ColumnData::Long(v) => ColumnData::Long(run(v, 0, i64::wrapping_add)),
            ColumnData::UnsignedLong(v) => ColumnData::UnsignedLong(run(v, 0, u64::wrapping_add)),
            ColumnData::Double(v) => ColumnData::Double(run(v, 0.0, |a, b| a + b)),
            other => {
                return Err(OpError::new(format!(
                    "unsupported cumulativeSum column type {}",
                    flux_type_name(other.column_type())
                )))
            }
        };
        replaced.push((c, data));
    }
    let rows: Vec<usize> = (0..table.rows()).collect();
    Ok(rebuild(table, &rows, replaced))
}

/// `increase(columns: ["_value"])` = `difference(nonNegative: true, keepFirst: true,
/// initialZero: true) |> cumulativeSum()`.
pub fn increase(table: &TableChunk, columns: &[String]) -> Result<TableChunk, OpError> {
    let d = difference(
        table,
        &DifferenceParams {
            non_negative: true,
            columns: columns.to_vec(),
            keep_first: true,
            initial_zero: true,
        },
    )?;
    cumulative_sum(&d, columns)
}

/// `elapsed(unit: 1s, timeColumn: "_time", columnName: "elapsed")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElapsedParams {
    /// Unit of the elapsed count.
    pub unit: FluxDuration,
    /// Time column.
    pub time_column: String,
    /// Output column (int), appended.
    pub column_name: String,
}

impl Default for ElapsedParams {
    fn default() -> Self {
        ElapsedParams {
            unit: FluxDuration::from_nanos(1_000_000_000),
            time_column: "_time".into(),
            column_name: "elapsed".into(),
        }
    }
}

/// `elapsed()`: appends `(t - t_prev) / unit` (int); the first row and rows with a null time
/// are dropped.
pub fn elapsed(table: &TableChunk, p: &ElapsedParams) -> Result<TableChunk, OpError> {
    let times = time_column(table, &p.time_column)?;
    let unit = p.unit.signed_nanos();
    if p.unit.months != 0 || unit == 0 {
        return Err(OpError::new(
            "elapsed unit must be a non-zero, fixed duration",
        ));
    }
    let mut rows = Vec::with_capacity(times.len());
    let mut out = Vec::with_capacity(times.len());
    let mut prev: Option<i64> = None;
    for (i, t) in times.iter().enumerate() {
        let Some(t) = *t else { continue };
        if let Some(pt) = prev {
            rows.push(i);
            out.push(Some(t.wrapping_sub(pt) / unit));
        }
        prev = Some(t);
    }
    let mut base = rebuild(table, &rows, Vec::new());
    let mut cols = base.meta.columns.clone();
    let mut keys = base.meta.key_values.clone();
    match base.meta.column_index(&p.column_name) {
        Some(i) => {
            if let (Some(c), Some(k), Some(d)) =
                (cols.get_mut(i), keys.get_mut(i), base.columns.get_mut(i))
            {
                *c = ColumnMeta::new(p.column_name.clone(), ColumnType::Long, false);
                *k = None;
                *d = ColumnData::Long(out);
            }
        }
        None => {
            cols.push(ColumnMeta::new(
                p.column_name.clone(),
                ColumnType::Long,
                false,
            ));
            keys.push(None);
            base.columns.push(ColumnData::Long(out));
        }
    }
    base.meta = Arc::new(TableMeta::new(cols, keys));
    Ok(base)
}

/// `movingAverage(n)` on `_value`: from row `n - 1` on, the mean of the non-null values among
/// the last `n` rows (null when all are null), as float. A table with fewer than `n` rows
/// gives one row: its last row, with the mean of all its values.
pub fn moving_average(table: &TableChunk, n: i64) -> Result<TableChunk, OpError> {
    if n <= 0 {
        return Err(OpError::new(
            "cannot take moving average of a period less than 1",
        ));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let idx = super::column_index(table, "_value")?;
    let Some(col) = table.columns.get(idx) else {
        return Err(OpError::missing_column("_value"));
    };
    let len = table.rows();
    let mut vals = Vec::with_capacity(len);
    for r in 0..len {
        vals.push(f64_at(col, r)?);
    }
    if len > 0 && len < n {
        // Fewer rows than the period: one row (the last) with the mean of all values.
        let (sum, cnt) = vals
            .iter()
            .flatten()
            .fold((0f64, 0usize), |(s, c), v| (s + v, c + 1));
        let out = vec![(cnt > 0).then(|| sum / cnt as f64)];
        return Ok(rebuild(
            table,
            &[len - 1],
            vec![(idx, ColumnData::Double(out))],
        ));
    }
    let mut out = Vec::with_capacity(len.saturating_sub(n - 1));
    let mut rows = Vec::with_capacity(out.capacity());
    let (mut sum, mut cnt) = (0f64, 0usize);
    for i in 0..len {
        if let Some(Some(v)) = vals.get(i) {
            sum += v;
            cnt += 1;
        }
        if i >= n {
            if let Some(Some(v)) = vals.get(i - n) {
                sum -= v;
                cnt -= 1;
            }
        }
        if i + 1 >= n {
            rows.push(i);
            out.push((cnt > 0).then(|| sum / cnt as f64));
        }
    }
    Ok(rebuild(table, &rows, vec![(idx, ColumnData::Double(out))]))
}

/// `exponentialMovingAverage(n)` on `_value`: the first output (row `n - 1`) is the mean of
/// the first `n` non-null values, then `ema = v * a + ema * (1 - a)` with `a = 2 / (n + 1)`;
/// null inputs carry the previous average.
pub fn exponential_moving_average(table: &TableChunk, n: i64) -> Result<TableChunk, OpError> {
    if n <= 0 {
        return Err(OpError::new(
            "cannot take exponential moving average of a period less than 1",
        ));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let idx = super::column_index(table, "_value")?;
    let Some(col) = table.columns.get(idx) else {
        return Err(OpError::missing_column("_value"));
    };
    let alpha = 2.0 / (n as f64 + 1.0);
    let len = table.rows();
    let mut rows = Vec::new();
    let mut out = Vec::new();
    let (mut sum, mut cnt) = (0f64, 0usize);
    let mut ema: Option<f64> = None;
    for i in 0..len {
        let v = f64_at(col, i)?;
        if i + 1 < n {
            if let Some(v) = v {
                sum += v;
                cnt += 1;
            }
            continue;
        }
        if i + 1 == n {
            if let Some(v) = v {
                sum += v;
                cnt += 1;
            }
            ema = (cnt > 0).then(|| sum / cnt as f64);
        } else if let Some(v) = v {
            ema = Some(match ema {
                Some(e) => v * alpha + e * (1.0 - alpha),
                None => v,
            });
        }
        rows.push(i);
        out.push(ema);
    }
    Ok(rebuild(table, &rows, vec![(idx, ColumnData::Double(out))]))
}

/// `timeShift(duration, columns: ["_start", "_stop", "_time"])`: adds `duration` (calendar
/// aware) to the listed time columns that exist, key values included.
pub fn time_shift(
    table: &TableChunk,
    duration: FluxDuration,
    columns: &[String],
) -> Result<TableChunk, OpError> {
    let mut out = table.clone();
    let mut meta = table.meta.as_ref().clone();
    for c in present(table, columns) {
        match out.columns.get_mut(c) {
            Some(ColumnData::DateTime(v)) => {
                for x in v.iter_mut().flatten() {
                    *x = duration.add_to(*x);
                }
            }
            Some(_) => {
                return Err(OpError::new(format!(
                    "column \"{}\" is not of type time",
                    meta.columns.get(c).map_or("", |m| m.label.as_str())
                )))
            }
            None => {}
        }
        if let Some(Some(Value::DateTime(t))) = meta.key_values.get_mut(c) {
            *t = duration.add_to(*t);
        }
    }
    out.meta = Arc::new(meta);
    Ok(out)
}

/// `stateCount(fn, column: "stateCount")` and `stateDuration(fn, column: "stateDuration",
/// timeColumn: "_time", unit: 1s)`. The interpreter evaluates `fn` per row into `matches`
/// (`None` = null, treated as not matching).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateParams {
    /// Output column (int), appended (or replaced).
    pub column: String,
    /// Time column (`stateDuration` only).
    pub time_column: String,
    /// Duration unit (`stateDuration` only).
    pub unit: FluxDuration,
}

impl StateParams {
    /// Defaults for `stateCount` (`duration = false`) or `stateDuration` (`true`).
    pub fn new(duration: bool) -> Self {
        StateParams {
            column: if duration {
                "stateDuration".into()
            } else {
                "stateCount".into()
            },
            time_column: "_time".into(),
            unit: FluxDuration::from_nanos(1_000_000_000),
        }
    }
}

/// `stateCount`: per row, the number of consecutive matching rows ending here (1, 2, ...), or
/// -1 for a row that does not match.
pub fn state_count(
    table: &TableChunk,
    matches: &[Option<bool>],
    p: &StateParams,
) -> Result<TableChunk, OpError> {
    check_len(table, matches)?;
    let mut run = 0i64;
    let out: Vec<Option<i64>> = matches
        .iter()
        .map(|m| {
            if m.unwrap_or(false) {
                run += 1;
                Some(run)
            } else {
                run = 0;
                Some(-1)
            }
        })
        .collect();
    Ok(with_column(table, &p.column, ColumnData::Long(out)))
}

/// `stateDuration`: per row, `(t - t_first) / unit` where `t_first` is the time of the first
/// row of the current run of matching rows, or -1 for a row that does not match; a matching
/// row with a null time gets null.
pub fn state_duration(
    table: &TableChunk,
    matches: &[Option<bool>],
    p: &StateParams,
) -> Result<TableChunk, OpError> {
    check_len(table, matches)?;
    let times = time_column(table, &p.time_column)?;
    let unit = p.unit.signed_nanos();
    if p.unit.months != 0 || unit == 0 {
        return Err(OpError::new(
            "stateDuration unit must be a non-zero, fixed duration",
        ));
    }
    let mut start: Option<i64> = None;
    let out: Vec<Option<i64>> = matches
        .iter()
        .zip(times)
        .map(|(m, t)| {
            if m.unwrap_or(false) {
                let t = (*t)?;
                let s = *start.get_or_insert(t);
                Some(t.wrapping_sub(s) / unit)
            } else {
                start = None;
                Some(-1)
            }
        })
        .collect();
    Ok(with_column(table, &p.column, ColumnData::Long(out)))
}

fn check_len(table: &TableChunk, matches: &[Option<bool>]) -> Result<(), OpError> {
    if matches.len() == table.rows() {
        Ok(())
    } else {
        Err(OpError::new(format!(
            "internal: {} predicate results for {} rows",
            matches.len(),
            table.rows()
        )))
    }
}

/// `table` with `data` as the non-key column `label` (replacing an existing one in place,
/// else appended).
fn with_column(table: &TableChunk, label: &str, data: ColumnData) -> TableChunk {
    let mut cols = table.meta.columns.clone();
    let mut keys = table.meta.key_values.clone();
    let mut columns = table.columns.clone();
    let meta = ColumnMeta::new(label, data.column_type(), false);
    match table.meta.column_index(label) {
        Some(i) => {
            if let (Some(c), Some(k), Some(d)) =
                (cols.get_mut(i), keys.get_mut(i), columns.get_mut(i))
            {
                *c = meta;
                *k = None;
                *d = data;
            }
        }
        None => {
            cols.push(meta);
            keys.push(None);
            columns.push(data);
        }
    }
    TableChunk {
        meta: Arc::new(TableMeta::new(cols, keys)),
        columns,
    }
}
