//! Aggregates and row selectors that reduce a table to (at most) one row: `count`, `sum`,
//! `mean`, `median`, `quantile`, `spread`, `stddev`, `integral`, `first`, `last`, `min`, `max`.
//!
//! Invariants:
//! - Aggregates output the group-key columns (in input column order) followed by the
//!   aggregated column (same label, not in the key); all other columns are dropped. The output
//!   always has exactly one row: the aggregate of no non-null values is null, except `count`
//!   (0); `stddev(mode: "sample")` of a single value is NaN, as in Flux.
//! - Selectors (`first`, `last`, `min`, `max`, and `quantile`/`median` with `exact_selector`)
//!   keep all columns and output the selected row, or zero rows when the column has no
//!   non-null value (`exact_selector`: a row of key values and nulls instead).
//! - `quantile`/`median` with `estimate_tdigest` or `exact_mean` accept float columns only.
//! - Nulls in the aggregated column are skipped by every function except `count`, which
//!   counts rows (null cells included).
//! - `sum` and `spread` keep the input type (int/uint/float, integer sums wrap like Go);
//!   `mean`, `stddev`, `median`/`quantile` (non-selector) and `integral` output float;
//!   `count` outputs int and accepts every type.

use crate::query::table::{ColumnData, ColumnMeta, ColumnType, TableChunk};

use super::duration::FluxDuration;
use super::tdigest::TDigest;
use super::{column_index, flux_type_name, key_columns_plus, take, OpError};

/// How `quantile`/`median` compute the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantileMethod {
    /// `"estimate_tdigest"` (default): a t-digest estimate.
    EstimateTdigest,
    /// `"exact_mean"`: linear interpolation between the two nearest values.
    ExactMean,
    /// `"exact_selector"`: the row holding the value at the quantile (a selector).
    ExactSelector,
}

impl QuantileMethod {
    /// Parses Flux's method name; the error is Flux's.
    pub fn parse(s: &str) -> Result<Self, OpError> {
        match s {
            "estimate_tdigest" => Ok(QuantileMethod::EstimateTdigest),
            "exact_mean" => Ok(QuantileMethod::ExactMean),
            "exact_selector" => Ok(QuantileMethod::ExactSelector),
            other => Err(OpError::new(format!("unknown method {other}"))),
        }
    }
}

/// `stddev(mode:)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StddevMode {
    /// `"sample"` (default): divides by `n - 1`.
    Sample,
    /// `"population"`: divides by `n`.
    Population,
}

impl StddevMode {
    /// Parses Flux's mode name.
    pub fn parse(s: &str) -> Result<Self, OpError> {
        match s {
            "sample" => Ok(StddevMode::Sample),
            "population" => Ok(StddevMode::Population),
            other => Err(OpError::new(format!("unknown stddev mode {other:?}"))),
        }
    }
}

/// A built-in aggregate or selector (the `fn` of `aggregateWindow`, or a direct call).
#[derive(Clone, Debug, PartialEq)]
pub enum Aggregate {
    /// `count()`.
    Count,
    /// `sum()`.
    Sum,
    /// `mean()`.
    Mean,
    /// `spread()`.
    Spread,
    /// `stddev(mode: "sample")`.
    Stddev(StddevMode),
    /// `quantile(q, method: "estimate_tdigest", compression: 1000.0)`; `median` is `q = 0.5`.
    Quantile {
        /// The quantile in `[0, 1]`.
        q: f64,
        /// The method.
        method: QuantileMethod,
        /// t-digest compression.
        compression: f64,
    },
    /// `integral(unit: 1s, timeColumn: "_time", interpolate: "")` (no interpolation).
    Integral {
        /// The time unit of the result.
        unit: FluxDuration,
        /// The time column.
        time_column: String,
    },
    /// `first()`.
    First,
    /// `last()`.
    Last,
    /// `min()`.
    Min,
    /// `max()`.
    Max,
}

impl Aggregate {
    /// `median(method: "estimate_tdigest", compression: 1000.0)`.
    pub fn median() -> Self {
        Aggregate::Quantile {
            q: 0.5,
            method: QuantileMethod::EstimateTdigest,
            compression: 1000.0,
        }
    }

    /// Whether this keeps whole rows (a selector) rather than computing a value.
    pub fn is_selector(&self) -> bool {
        matches!(
            self,
            Aggregate::First
                | Aggregate::Last
                | Aggregate::Min
                | Aggregate::Max
                | Aggregate::Quantile {
                    method: QuantileMethod::ExactSelector,
                    ..
                }
        )
    }

    /// Whether this selector outputs a (null) row even when nothing can be selected
    /// (`quantile`/`median` with `exact_selector`).
    pub fn always_selects(&self) -> bool {
        matches!(
            self,
            Aggregate::Quantile {
                method: QuantileMethod::ExactSelector,
                ..
            }
        )
    }

    /// Flux's function name.
    pub fn name(&self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
            Aggregate::Mean => "mean",
            Aggregate::Spread => "spread",
            Aggregate::Stddev(_) => "stddev",
            Aggregate::Quantile { .. } => "quantile",
            Aggregate::Integral { .. } => "integral",
            Aggregate::First => "first",
            Aggregate::Last => "last",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
        }
    }
}

/// Applies `kind` to `column` of one table (see the module invariants for the output shape).
pub fn aggregate(
    table: &TableChunk,
    kind: &Aggregate,
    column: &str,
) -> Result<TableChunk, OpError> {
    let idx = column_index(table, column)?;
    let Some(col) = table.columns.get(idx) else {
        return Err(OpError::missing_column(column));
    };
    if kind.is_selector() {
        let row = select_row(Cells::of(col), kind)?;
        let rows: Vec<usize> = row.into_iter().collect();
        let out = TableChunk {
            meta: table.meta.clone(),
            columns: table.columns.iter().map(|c| take(c, &rows)).collect(),
        };
        // Flux's exact_selector emits a row of key values and nulls when nothing is selected.
        return Ok(if kind.always_selects() {
            super::window::fill_empty(out)
        } else {
            out
        });
    }
    let times = match kind {
        Aggregate::Integral { time_column, .. } => Some(super::time_column(table, time_column)?),
        _ => None,
    };
    let data = compute(kind, Cells::of(col), times)?;
    let meta = ColumnMeta::new(column, data.column_type(), false);
    Ok(key_columns_plus(&table.meta, vec![(meta, data)], 1))
}

/// A borrowed run of cells of one column (a whole column or a window of it).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cells<'a> {
    String(&'a [Option<String>]),
    Long(&'a [Option<i64>]),
    UnsignedLong(&'a [Option<u64>]),
    Double(&'a [Option<f64>]),
    Boolean(&'a [Option<bool>]),
    DateTime(&'a [Option<i64>]),
}

impl<'a> Cells<'a> {
    /// All cells of `col`.
    pub(crate) fn of(col: &'a ColumnData) -> Self {
        match col {
            ColumnData::String(v) => Cells::String(v),
            ColumnData::Long(v) => Cells::Long(v),
            ColumnData::UnsignedLong(v) => Cells::UnsignedLong(v),
            ColumnData::Double(v) => Cells::Double(v),
            ColumnData::Boolean(v) => Cells::Boolean(v),
            ColumnData::DateTime(v) => Cells::DateTime(v),
        }
    }

    /// Cells `range` of `col` (clamped to its length).
    pub(crate) fn range(col: &'a ColumnData, range: std::ops::Range<usize>) -> Self {
        fn r<T>(v: &[Option<T>], range: std::ops::Range<usize>) -> &[Option<T>] {
            let end = range.end.min(v.len());
            v.get(range.start.min(end)..end).unwrap_or(&[])
        }
        match col {
            ColumnData::String(v) => Cells::String(r(v, range)),
            ColumnData::Long(v) => Cells::Long(r(v, range)),
            ColumnData::UnsignedLong(v) => Cells::UnsignedLong(r(v, range)),
            ColumnData::Double(v) => Cells::Double(r(v, range)),
            ColumnData::Boolean(v) => Cells::Boolean(r(v, range)),
            ColumnData::DateTime(v) => Cells::DateTime(r(v, range)),
        }
    }

    /// Number of cells.
    pub(crate) fn len(&self) -> usize {
        match self {
            Cells::String(v) => v.len(),
            Cells::Long(v) => v.len(),
            Cells::UnsignedLong(v) => v.len(),
            Cells::Double(v) => v.len(),
            Cells::Boolean(v) => v.len(),
            Cells::DateTime(v) => v.len(),
        }
    }

    /// The cells' type.
    pub(crate) fn column_type(&self) -> ColumnType {
        match self {
            Cells::String(_) => ColumnType::String,
            Cells::Long(_) => ColumnType::Long,
            Cells::UnsignedLong(_) => ColumnType::UnsignedLong,
            Cells::Double(_) => ColumnType::Double,
            Cells::Boolean(_) => ColumnType::Boolean,
            Cells::DateTime(_) => ColumnType::DateTime,
        }
    }
}

/// Computes a (non-selector) aggregate of `col` as a one-cell column. `times` must be given
/// (aligned with `col`) for `integral`.
pub(crate) fn compute(
    kind: &Aggregate,
    col: Cells<'_>,
    times: Option<&[Option<i64>]>,
) -> Result<ColumnData, OpError> {
    Ok(match kind {
        Aggregate::Count => ColumnData::Long(vec![Some(count(col) as i64)]),
        Aggregate::Sum => sum(col)?,
        Aggregate::Mean => ColumnData::Double(vec![mean(col)?]),
        Aggregate::Spread => spread(col)?,
        Aggregate::Stddev(mode) => ColumnData::Double(vec![stddev(col, *mode)?]),
        Aggregate::Quantile {
            q,
            method,
            compression,
        } => ColumnData::Double(vec![quantile(col, *q, *method, *compression)?]),
        Aggregate::Integral { unit, .. } => {
            let times = times.unwrap_or(&[]);
            ColumnData::Double(vec![Some(integral(col, times, *unit)?)])
        }
        Aggregate::First | Aggregate::Last | Aggregate::Min | Aggregate::Max => {
            return Err(OpError::new("internal: selector reached aggregate path"))
        }
    })
}

fn unsupported(ty: ColumnType) -> OpError {
    OpError::new(format!(
        "unsupported aggregate column type {}",
        flux_type_name(ty)
    ))
}

/// `count` counts rows, null cells included (Flux: "counts both null and non-null records").
fn count(col: Cells<'_>) -> usize {
    col.len()
}

fn sum(col: Cells<'_>) -> Result<ColumnData, OpError> {
    Ok(match col {
        Cells::Long(v) => {
            let mut any = false;
            let mut s = 0i64;
            for x in v.iter().flatten() {
                any = true;
                s = s.wrapping_add(*x);
            }
            ColumnData::Long(vec![any.then_some(s)])
        }
        Cells::UnsignedLong(v) => {
            let mut any = false;
            let mut s = 0u64;
            for x in v.iter().flatten() {
                any = true;
                s = s.wrapping_add(*x);
            }
            ColumnData::UnsignedLong(vec![any.then_some(s)])
        }
        Cells::Double(v) => {
            let mut any = false;
            let mut s = 0f64;
            for x in v.iter().flatten() {
                any = true;
                s += *x;
            }
            ColumnData::Double(vec![any.then_some(s)])
        }
        other => return Err(unsupported(other.column_type())),
    })
}

/// Calls `f` with every non-null numeric value as f64; errors for non-numeric columns.
fn for_each_f64(col: Cells<'_>, mut f: impl FnMut(f64)) -> Result<(), OpError> {
    match col {
        Cells::Long(v) => v.iter().flatten().for_each(|x| f(*x as f64)),
        Cells::UnsignedLong(v) => v.iter().flatten().for_each(|x| f(*x as f64)),
        Cells::Double(v) => v.iter().flatten().for_each(|x| f(*x)),
        other => return Err(unsupported(other.column_type())),
    }
    Ok(())
}

fn mean(col: Cells<'_>) -> Result<Option<f64>, OpError> {
    let mut n = 0u64;
    let mut s = 0f64;
    for_each_f64(col, |x| {
        n += 1;
        s += x;
    })?;
    Ok((n > 0).then(|| s / n as f64))
}

fn spread(col: Cells<'_>) -> Result<ColumnData, OpError> {
    fn mm<T: Copy + PartialOrd>(v: &[Option<T>]) -> Option<(T, T)> {
        let mut it = v.iter().flatten();
        let first = *it.next()?;
        let (mut lo, mut hi) = (first, first);
        for &x in it {
            if x < lo {
                lo = x;
            }
            if x > hi {
                hi = x;
            }
        }
        Some((lo, hi))
    }
    Ok(match col {
        Cells::Long(v) => ColumnData::Long(vec![mm(v).map(|(l, h)| h.wrapping_sub(l))]),
        Cells::UnsignedLong(v) => {
            ColumnData::UnsignedLong(vec![mm(v).map(|(l, h)| h.wrapping_sub(l))])
        }
        Cells::Double(v) => ColumnData::Double(vec![mm(v).map(|(l, h)| h - l)]),
        other => return Err(unsupported(other.column_type())),
    })
}

fn stddev(col: Cells<'_>, mode: StddevMode) -> Result<Option<f64>, OpError> {
    // Welford's online algorithm.
    let mut n = 0f64;
    let mut mean = 0f64;
    let mut m2 = 0f64;
    for_each_f64(col, |x| {
        n += 1.0;
        let d = x - mean;
        mean += d / n;
        m2 += d * (x - mean);
    })?;
    let denom = match mode {
        StddevMode::Sample => n - 1.0,
        StddevMode::Population => n,
    };
    // Null without values; NaN for a single value in sample mode (Flux's behaviour).
    Ok((n > 0.0).then(|| {
        if denom < 1.0 {
            f64::NAN
        } else {
            (m2 / denom).sqrt()
        }
    }))
}

fn check_q(q: f64) -> Result<(), OpError> {
    if (0.0..=1.0).contains(&q) {
        Ok(())
    } else {
        Err(OpError::new("quantile must be between 0 and 1"))
    }
}

/// `quantile` with `estimate_tdigest` or `exact_mean`: float columns only (Flux has no int or
/// uint implementation for these methods).
fn quantile(
    col: Cells<'_>,
    q: f64,
    method: QuantileMethod,
    compression: f64,
) -> Result<Option<f64>, OpError> {
    check_q(q)?;
    let Cells::Double(v) = col else {
        return Err(unsupported(col.column_type()));
    };
    match method {
        QuantileMethod::EstimateTdigest => {
            let mut d = TDigest::new(compression);
            v.iter().flatten().for_each(|x| d.add(*x));
            Ok(d.quantile(q))
        }
        QuantileMethod::ExactMean | QuantileMethod::ExactSelector => {
            let mut vals: Vec<f64> = v.iter().flatten().copied().collect();
            if vals.is_empty() {
                return Ok(None);
            }
            vals.sort_by(f64::total_cmp);
            let n = vals.len();
            let x = q * (n - 1) as f64;
            let (x0, x1) = (x.floor(), x.ceil());
            let lo = (x0 as usize).min(n - 1);
            let hi = (x1 as usize).min(n - 1);
            let (y0, y1) = (vals[lo], vals[hi]);
            if lo == hi {
                return Ok(Some(y0));
            }
            Ok(Some(y0 * (x1 - x) + y1 * (x - x0)))
        }
    }
}

/// `integral` without interpolation: the trapezoid sum over consecutive non-null points,
/// divided by `unit`. Rows must be sorted by time.
fn integral(col: Cells<'_>, times: &[Option<i64>], unit: FluxDuration) -> Result<f64, OpError> {
    let unit_ns = unit.signed_nanos();
    if unit.months != 0 || unit_ns == 0 {
        return Err(OpError::new(
            "integral unit must be a non-zero, fixed duration",
        ));
    }
    let mut prev: Option<(i64, f64)> = None;
    let mut total = 0f64;
    let mut step = |t: Option<i64>, v: Option<f64>| {
        if let (Some(t), Some(v)) = (t, v) {
            if let Some((pt, pv)) = prev {
                total += (pv + v) / 2.0 * (t - pt) as f64 / unit_ns as f64;
            }
            prev = Some((t, v));
        }
    };
    match col {
        Cells::Long(v) => v
            .iter()
            .zip(times)
            .for_each(|(v, t)| step(*t, v.map(|x| x as f64))),
        Cells::UnsignedLong(v) => v
            .iter()
            .zip(times)
            .for_each(|(v, t)| step(*t, v.map(|x| x as f64))),
        Cells::Double(v) => v.iter().zip(times).for_each(|(v, t)| step(*t, *v)),
        other => return Err(unsupported(other.column_type())),
    }
    Ok(total)
}

/// Index of the row a selector picks, `None` when the column has no non-null value.
pub(crate) fn select_row(col: Cells<'_>, kind: &Aggregate) -> Result<Option<usize>, OpError> {
    fn first<T>(v: &[Option<T>]) -> Option<usize> {
        v.iter().position(Option::is_some)
    }
    fn last<T>(v: &[Option<T>]) -> Option<usize> {
        v.iter().rposition(Option::is_some)
    }
    /// First row holding the extreme value (`better(a, b)`: `a` strictly beats `b`).
    fn ext<T: Copy>(v: &[Option<T>], better: impl Fn(T, T) -> bool) -> Option<usize> {
        let mut best: Option<(usize, T)> = None;
        for (i, x) in v.iter().enumerate() {
            if let Some(x) = *x {
                match best {
                    Some((_, b)) if !better(x, b) => {}
                    _ => best = Some((i, x)),
                }
            }
        }
        best.map(|(i, _)| i)
    }
    Ok(match kind {
        Aggregate::First => match col {
            Cells::String(v) => first(v),
            Cells::Long(v) => first(v),
            Cells::UnsignedLong(v) => first(v),
            Cells::Double(v) => first(v),
            Cells::Boolean(v) => first(v),
            Cells::DateTime(v) => first(v),
        },
        Aggregate::Last => match col {
            Cells::String(v) => last(v),
            Cells::Long(v) => last(v),
            Cells::UnsignedLong(v) => last(v),
            Cells::Double(v) => last(v),
            Cells::Boolean(v) => last(v),
            Cells::DateTime(v) => last(v),
        },
        Aggregate::Min => match col {
            Cells::Long(v) => ext(v, |a, b| a < b),
            Cells::UnsignedLong(v) => ext(v, |a, b| a < b),
            Cells::Double(v) => ext(v, |a, b| a < b),
            Cells::DateTime(v) => ext(v, |a, b| a < b),
            Cells::String(v) => ext_str(v, |a, b| a < b),
            Cells::Boolean(_) => return Err(unsupported(ColumnType::Boolean)),
        },
        Aggregate::Max => match col {
            Cells::Long(v) => ext(v, |a, b| a > b),
            Cells::UnsignedLong(v) => ext(v, |a, b| a > b),
            Cells::Double(v) => ext(v, |a, b| a > b),
            Cells::DateTime(v) => ext(v, |a, b| a > b),
            Cells::String(v) => ext_str(v, |a, b| a > b),
            Cells::Boolean(_) => return Err(unsupported(ColumnType::Boolean)),
        },
        Aggregate::Quantile { q, .. } => {
            check_q(*q)?;
            quantile_selector_row(col, *q)?
        }
        _ => None,
    })
}

fn ext_str(v: &[Option<String>], better: impl Fn(&str, &str) -> bool) -> Option<usize> {
    let mut best: Option<(usize, &str)> = None;
    for (i, x) in v.iter().enumerate() {
        if let Some(x) = x.as_deref() {
            match best {
                Some((_, b)) if !better(x, b) => {}
                _ => best = Some((i, x)),
            }
        }
    }
    best.map(|(i, _)| i)
}

/// `exact_selector`: stable-sorts the non-null rows by value (any type; `false < true`) and
/// picks rank `ceil(q * n) - 1` (0 when that is negative).
fn quantile_selector_row(col: Cells<'_>, q: f64) -> Result<Option<usize>, OpError> {
    fn pick<T: PartialOrd>(v: &[Option<T>], q: f64) -> Option<usize> {
        let mut rows: Vec<usize> = (0..v.len())
            .filter(|&i| v.get(i).is_some_and(Option::is_some))
            .collect();
        if rows.is_empty() {
            return None;
        }
        rows.sort_by(|&a, &b| {
            let (x, y) = (
                v.get(a).and_then(Option::as_ref),
                v.get(b).and_then(Option::as_ref),
            );
            x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)
        });
        let n = rows.len();
        let idx = ((q * n as f64).ceil() as usize)
            .saturating_sub(1)
            .min(n - 1);
        rows.get(idx).copied()
    }
    Ok(match col {
        Cells::String(v) => pick(v, q),
        Cells::Long(v) => pick(v, q),
        Cells::UnsignedLong(v) => pick(v, q),
        Cells::Double(v) => pick(v, q),
        Cells::Boolean(v) => pick(v, q),
        Cells::DateTime(v) => pick(v, q),
    })
}
