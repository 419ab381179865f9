//! `window`, `aggregateWindow` and their building blocks (`fill_empty` = `table.fill()`,
//! `duplicate`, `unwindow` = `window(every: inf)`).
//!
//! Window boundaries (Flux's `interval.Window`): with `zero = epoch + offset`, window `i`
//! starts at `zero + every * i` (calendar months are added with the day of month clamped) and
//! stops at `start + period`; a negative period swaps start and stop. A row at time `t`
//! belongs to every window with `start <= t < stop`, so `period < every` leaves gaps (rows in
//! a gap are dropped) and `period > every` puts a row into several windows. The grid is laid
//! out in the wall-clock time of the window location (a fixed UTC offset; UTC by default) and
//! converted back to UTC.
//!
//! Invariants:
//! - Windows are clipped to the stream bounds (`WindowParams::bounds`, else the table's own
//!   `_start`/`_stop` values — what `range()` set); rows whose clipped window is empty (rows
//!   outside the bounds) and rows with a null time are dropped.
//! - Output tables keep every input column in input order; `startColumn`/`stopColumn` are
//!   added at the end (as times) when missing, and are always in the group key, with the
//!   (clipped) window bounds as key values. Other key columns keep their key values.
//! - Within one input table, output tables are in ascending window order (with
//!   `createEmpty`, every window overlapping the bounds exists, possibly empty). Tables from
//!   different input tables that end up with equal group keys are merged, rows in input order.
//! - `every: inf` puts all rows into one window equal to the bounds (`unwindow`).
//! - No sorting of the input is needed; rows keep their relative order inside each window.

use std::collections::HashMap;
use std::sync::Arc;

use crate::query::table::{ColumnData, ColumnMeta, ColumnType, TableChunk, TableMeta, Value};

#[cfg(test)]
use super::aggregate::aggregate;
use super::aggregate::{compute, select_row, Aggregate, Cells};
use super::duration::{months_since_epoch, FluxDuration};
use super::{column_index, extend_from, key_bytes, key_value, repeat_value, take, OpError};

/// Most windows `createEmpty` may generate for one table.
const MAX_WINDOWS: usize = 10_000_000;
/// Most windows one row may fall into.
const MAX_WINDOWS_PER_ROW: usize = 100_000;

/// A half-open time range `[start, stop)` in nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bounds {
    /// Inclusive start.
    pub start: i64,
    /// Exclusive stop.
    pub stop: i64,
}

impl Bounds {
    /// The unbounded range (Flux's min/max time).
    pub const ALL: Bounds = Bounds {
        start: i64::MIN,
        stop: i64::MAX,
    };
}

/// `window(every, period, offset, timeColumn: "_time", startColumn: "_start",
/// stopColumn: "_stop", createEmpty: false)`.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowParams {
    /// Window spacing. Zero means "same as `period`" (Flux: only `period` given).
    pub every: FluxDuration,
    /// Window length. Zero means "same as `every`" (Flux's default).
    pub period: FluxDuration,
    /// Shift of the window grid from the epoch (default `0s`).
    pub offset: FluxDuration,
    /// Column holding each row's time (default `_time`).
    pub time_column: String,
    /// Column receiving the window start (default `_start`).
    pub start_column: String,
    /// Column receiving the window stop (default `_stop`).
    pub stop_column: String,
    /// Whether windows without rows produce empty tables (default false).
    pub create_empty: bool,
    /// `location`: the fixed UTC offset of the time zone windows are aligned in (default
    /// `0s`, UTC; `timezone.fixed(offset:)`). Named zones with DST rules are not supported.
    pub location_offset: FluxDuration,
    /// The stream bounds (the query's `range`). `None`: each table's own `_start`/`_stop`
    /// values (first row / key value), or unbounded when it has none. `unwindow` and
    /// `every: inf` need the real bounds, because the table's columns hold window bounds.
    pub bounds: Option<Bounds>,
}

impl WindowParams {
    /// `window(every: every)` with the other defaults.
    pub fn new(every: FluxDuration) -> Self {
        WindowParams {
            every,
            period: FluxDuration::ZERO,
            offset: FluxDuration::ZERO,
            time_column: "_time".into(),
            start_column: "_start".into(),
            stop_column: "_stop".into(),
            create_empty: false,
            location_offset: FluxDuration::ZERO,
            bounds: None,
        }
    }
}

/// The window grid.
#[derive(Clone, Copy, Debug)]
struct Grid {
    every: FluxDuration,
    period: FluxDuration,
    zero: i64,
    /// Fixed offset of the location from UTC (ns); windows are aligned in local time.
    loc: i64,
    inf: bool,
}

impl Grid {
    fn new(p: &WindowParams) -> Result<Self, OpError> {
        let (mut every, mut period) = (p.every, p.period);
        if every.is_zero() {
            every = period;
        }
        if period.is_zero() {
            period = every;
        }
        if every.is_zero() {
            return Err(OpError::new("duration used as an interval cannot be zero"));
        }
        if every.is_mixed() {
            return Err(OpError::new(
                "duration used as an interval cannot mix month and nanosecond units",
            ));
        }
        if every.is_negative() {
            return Err(OpError::new(
                "duration used as an interval cannot be negative",
            ));
        }
        if p.location_offset.months != 0 {
            return Err(OpError::new(
                "location offset must be a fixed duration (no months)",
            ));
        }
        Ok(Grid {
            every,
            period,
            zero: p.offset.add_to(0),
            loc: p.location_offset.signed_nanos(),
            inf: every.is_inf(),
        })
    }

    /// Start of window `i` in UTC.
    fn start_of(&self, i: i64) -> i64 {
        self.start_local(i).saturating_sub(self.loc)
    }

    /// Start of window `i` in local (wall-clock) time.
    fn start_local(&self, i: i64) -> i64 {
        if self.every.months != 0 {
            super::duration::add_months(self.zero, self.every.months.saturating_mul(i))
        } else {
            let v = self.zero as i128 + self.every.nanos as i128 * i as i128;
            v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
        }
    }

    /// `(start, stop)` of window `i` (unclipped).
    fn bounds_of(&self, i: i64) -> (i64, i64) {
        let sl = self.start_local(i);
        let s = sl.saturating_sub(self.loc);
        let e = self.period.add_to(sl).saturating_sub(self.loc);
        if self.period.is_negative() {
            (e, s)
        } else {
            (s, e)
        }
    }

    /// The largest `i` with `start_of(i) <= t`.
    fn latest_index(&self, t: i64) -> i64 {
        let tl = t.saturating_add(self.loc);
        let mut i = if self.every.months != 0 {
            let zm = months_since_epoch(self.zero);
            (months_since_epoch(tl) - zm).div_euclid(self.every.months)
        } else {
            ((tl as i128 - self.zero as i128).div_euclid(self.every.nanos as i128)) as i64
        };
        // Calendar clamping can shift starts by days; settle exactly (the estimate is off by
        // at most a step or two; the cap only guards saturated extremes).
        let mut steps = 0;
        while steps < 64 && i < i64::MAX && self.start_of(i + 1) <= t {
            i += 1;
            steps += 1;
        }
        while steps < 128 && i > i64::MIN && self.start_of(i) > t {
            i -= 1;
            steps += 1;
        }
        i
    }

    /// Calls `f(start, stop)` for every window containing `t`, latest first. Errors when a
    /// row would fall into more than [`MAX_WINDOWS_PER_ROW`] windows (`period` ≫ `every`).
    fn for_each_window(&self, t: i64, mut f: impl FnMut(i64, i64)) -> Result<(), OpError> {
        let last = self.latest_index(t);
        let mut steps = 0usize;
        let mut i = if self.period.is_negative() {
            last.saturating_add(1)
        } else {
            last
        };
        loop {
            let (s, e) = self.bounds_of(i);
            if self.period.is_negative() {
                // Window i is [start_i + period, start_i): contains t iff start_i > t.
                if s > t || i == i64::MAX {
                    break;
                }
                if t < e {
                    f(s, e);
                }
                i += 1;
            } else {
                if e <= t || i == i64::MIN {
                    break;
                }
                if s <= t {
                    f(s, e);
                }
                i -= 1;
            }
            steps += 1;
            if steps > MAX_WINDOWS_PER_ROW {
                return Err(OpError::new(
                    "window: a row falls into too many windows (period much larger than every)",
                ));
            }
        }
        Ok(())
    }

    /// All windows overlapping `b`, ascending, unclipped.
    fn overlapping(&self, b: Bounds) -> Result<Vec<(i64, i64)>, OpError> {
        let mut out = Vec::new();
        if b.start >= b.stop {
            return Ok(out);
        }
        let mut i = self.latest_index(b.start);
        // Step back over earlier windows that still reach into the bounds.
        let mut steps = 0usize;
        loop {
            let (_, e) = self.bounds_of(i.saturating_sub(1));
            if e > b.start && i > i64::MIN + 1 {
                i -= 1;
                steps += 1;
                if steps > MAX_WINDOWS {
                    return Err(OpError::new("window: too many windows within the bounds"));
                }
            } else {
                break;
            }
        }
        if self.period.is_negative() {
            i = i.saturating_sub(1);
        }
        loop {
            let (s, e) = self.bounds_of(i);
            if s >= b.stop || i == i64::MAX {
                break;
            }
            if e > b.start && s < e {
                out.push((s, e));
                if out.len() > MAX_WINDOWS {
                    return Err(OpError::new("window: too many windows within the bounds"));
                }
            }
            i += 1;
        }
        Ok(out)
    }
}

/// Reads a time bound from a column: the key value, else the first non-null cell.
fn time_bound(table: &TableChunk, label: &str) -> Option<i64> {
    let idx = table.meta.column_index(label)?;
    if let Some(Value::DateTime(t)) = key_value(&table.meta, idx) {
        return Some(*t);
    }
    match table.columns.get(idx)? {
        ColumnData::DateTime(v) => v.iter().flatten().next().copied(),
        _ => None,
    }
}

/// The bounds of `table`: its `start`/`stop` columns, else unbounded.
pub(crate) fn table_bounds(table: &TableChunk, start: &str, stop: &str) -> Bounds {
    Bounds {
        start: time_bound(table, start).unwrap_or(i64::MIN),
        stop: time_bound(table, stop).unwrap_or(i64::MAX),
    }
}

/// Collects output tables and merges equal group keys.
#[derive(Default)]
struct Merger {
    tables: Vec<TableChunk>,
    by_key: HashMap<Vec<u8>, usize>,
}

impl Merger {
    fn push(&mut self, t: TableChunk) -> Result<(), OpError> {
        let key = key_bytes(&t.meta);
        if let Some(&i) = self.by_key.get(&key) {
            let Some(existing) = self.tables.get_mut(i) else {
                return Err(OpError::new("internal: merge index out of range"));
            };
            if !existing.meta.same_columns(&t.meta) {
                return Err(OpError::new(
                    "schema collision: tables with the same group key have different columns",
                ));
            }
            let all: Vec<usize> = (0..t.rows()).collect();
            for (d, s) in existing.columns.iter_mut().zip(&t.columns) {
                extend_from(d, s, &all);
            }
        } else {
            self.by_key.insert(key, self.tables.len());
            self.tables.push(t);
        }
        Ok(())
    }
}

/// `window()`: regroups each table's rows by time window (see the module docs).
pub fn window(tables: &[TableChunk], params: &WindowParams) -> Result<Vec<TableChunk>, OpError> {
    let grid = Grid::new(params)?;
    let mut merger = Merger::default();
    for table in tables {
        for t in window_one(table, params, &grid)? {
            merger.push(t)?;
        }
    }
    Ok(merger.tables)
}

/// The schema of a windowed table: input columns plus start/stop (forced into the key).
struct WindowSchema {
    cols: Vec<ColumnMeta>,
    keys: Vec<Option<Value>>,
    start_idx: usize,
    stop_idx: usize,
}

fn windowed_schema(table: &TableChunk, params: &WindowParams) -> WindowSchema {
    let mut cols = table.meta.columns.clone();
    let mut keys = table.meta.key_values.clone();
    let mut start_idx = None;
    let mut stop_idx = None;
    for (i, c) in cols.iter().enumerate() {
        if c.label == params.start_column {
            start_idx = Some(i);
        } else if c.label == params.stop_column {
            stop_idx = Some(i);
        }
    }
    let start_idx = start_idx.unwrap_or_else(|| {
        cols.push(ColumnMeta::new(
            params.start_column.clone(),
            ColumnType::DateTime,
            true,
        ));
        keys.push(None);
        cols.len() - 1
    });
    let stop_idx = stop_idx.unwrap_or_else(|| {
        cols.push(ColumnMeta::new(
            params.stop_column.clone(),
            ColumnType::DateTime,
            true,
        ));
        keys.push(None);
        cols.len() - 1
    });
    for i in [start_idx, stop_idx] {
        if let Some(c) = cols.get_mut(i) {
            c.ty = ColumnType::DateTime;
            c.group = true;
        }
    }
    WindowSchema {
        cols,
        keys,
        start_idx,
        stop_idx,
    }
}

/// One window of one table: clipped bounds and the rows in it (ascending row order).
type Slot = ((i64, i64), Vec<usize>);

/// Assigns the rows of `table` to windows (see the module docs); ascending window order.
fn assign_windows(
    table: &TableChunk,
    params: &WindowParams,
    grid: &Grid,
    bounds: Bounds,
) -> Result<Vec<Slot>, OpError> {
    let times = match table
        .meta
        .column_index(&params.time_column)
        .and_then(|i| table.columns.get(i))
    {
        Some(ColumnData::DateTime(v)) => v,
        _ => {
            return Err(OpError::new(format!(
                "missing time column \"{}\"",
                params.time_column
            )))
        }
    };
    let mut slots: Vec<Slot> = Vec::new();
    let mut slot_of: HashMap<(i64, i64), usize> = HashMap::new();
    if params.create_empty && bounds != Bounds::ALL {
        let windows = if grid.inf {
            vec![(bounds.start, bounds.stop)]
        } else {
            grid.overlapping(bounds)?
        };
        for (s, e) in windows {
            let w = (s.max(bounds.start), e.min(bounds.stop));
            if w.0 < w.1 && !slot_of.contains_key(&w) {
                slot_of.insert(w, slots.len());
                slots.push((w, Vec::new()));
            }
        }
    }
    let mut last: Option<((i64, i64), usize)> = None;
    let mut add = |w: (i64, i64), row: usize, slots: &mut Vec<Slot>| {
        let idx = match last {
            Some((lw, li)) if lw == w => li,
            _ => {
                let li = *slot_of.entry(w).or_insert_with(|| {
                    slots.push((w, Vec::new()));
                    slots.len() - 1
                });
                last = Some((w, li));
                li
            }
        };
        if let Some(s) = slots.get_mut(idx) {
            s.1.push(row);
        }
    };
    let mut overflow: Vec<(i64, i64)> = Vec::new();
    // With period == every each time is in exactly one window: remember the last unclipped
    // window and reuse it while rows stay inside (sorted input hits this almost always).
    let tiling = grid.period == grid.every;
    let mut last_tile: Option<(i64, i64, (i64, i64))> = None;
    for (row, t) in times.iter().enumerate() {
        let Some(t) = *t else { continue };
        if grid.inf {
            add((bounds.start, bounds.stop), row, &mut slots);
            continue;
        }
        if let Some((s, e, w)) = last_tile {
            if s <= t && t < e {
                add(w, row, &mut slots);
                continue;
            }
        }
        let mut pending: [(i64, i64); 4] = [(0, 0); 4];
        let mut n = 0usize;
        overflow.clear();
        grid.for_each_window(t, |s, e| {
            let w = (s.max(bounds.start), e.min(bounds.stop));
            if tiling && w.0 < w.1 {
                last_tile = Some((s, e, w));
            }
            if w.0 < w.1 {
                if let Some(p) = pending.get_mut(n) {
                    *p = w;
                    n += 1;
                } else {
                    overflow.push(w);
                }
            }
        })?;
        // Windows were produced latest first; insert earliest first.
        for w in overflow.iter().rev() {
            add(*w, row, &mut slots);
        }
        for w in pending.iter().take(n).rev() {
            add(*w, row, &mut slots);
        }
    }
    slots.sort_by_key(|(w, _)| *w);
    Ok(slots)
}

/// Windows one table into its per-window tables (ascending window order).
fn window_one(
    table: &TableChunk,
    params: &WindowParams,
    grid: &Grid,
) -> Result<Vec<TableChunk>, OpError> {
    let bounds = params
        .bounds
        .unwrap_or_else(|| table_bounds(table, &params.start_column, &params.stop_column));
    let schema = windowed_schema(table, params);
    let slots = assign_windows(table, params, grid, bounds)?;
    let WindowSchema {
        cols,
        keys,
        start_idx,
        stop_idx,
    } = schema;
    let mut out = Vec::with_capacity(slots.len());
    for ((s, e), rows) in slots {
        let mut k = keys.clone();
        if let Some(v) = k.get_mut(start_idx) {
            *v = Some(Value::DateTime(s));
        }
        if let Some(v) = k.get_mut(stop_idx) {
            *v = Some(Value::DateTime(e));
        }
        let meta = Arc::new(TableMeta::new(cols.clone(), k));
        let mut data = Vec::with_capacity(cols.len());
        for (i, c) in cols.iter().enumerate() {
            if i == start_idx {
                data.push(ColumnData::DateTime(vec![Some(s); rows.len()]));
            } else if i == stop_idx {
                data.push(ColumnData::DateTime(vec![Some(e); rows.len()]));
            } else if let Some(src) = table.columns.get(i) {
                data.push(take(src, &rows));
            } else {
                data.push(repeat_value(c.ty, None, rows.len()));
            }
        }
        out.push(TableChunk {
            meta,
            columns: data,
        });
    }
    Ok(out)
}

/// `window(every: inf, timeColumn:)` with explicit stream bounds: merges windowed tables back,
/// setting `_start`/`_stop` to `bounds`.
pub fn unwindow(
    tables: &[TableChunk],
    time_column: &str,
    bounds: Bounds,
) -> Result<Vec<TableChunk>, OpError> {
    let mut p = WindowParams::new(FluxDuration::INF);
    p.time_column = time_column.to_string();
    p.bounds = Some(bounds);
    window(tables, &p)
}

/// `table.fill()`: an empty table gets one row holding its key values and nulls elsewhere;
/// other tables are returned unchanged.
pub fn fill_empty(table: TableChunk) -> TableChunk {
    if table.rows() > 0 {
        return table;
    }
    let columns = table
        .meta
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| repeat_value(c.ty, key_value(&table.meta, i), 1))
        .collect();
    TableChunk {
        meta: table.meta,
        columns,
    }
}

/// `duplicate(column, as)`: copies `column` into `as`. A new `as` column is appended outside
/// the group key; an existing one is overwritten in place and keeps its group-key membership
/// (its key value becomes the copied value).
pub fn duplicate(table: &TableChunk, column: &str, as_: &str) -> Result<TableChunk, OpError> {
    let src = column_index(table, column)?;
    let Some(data) = table.columns.get(src).cloned() else {
        return Err(OpError::missing_column(column));
    };
    let ty = data.column_type();
    let mut cols = table.meta.columns.clone();
    let mut keys = table.meta.key_values.clone();
    let mut columns = table.columns.clone();
    match table.meta.column_index(as_) {
        Some(dst) => {
            let group = cols.get(dst).is_some_and(|c| c.group);
            let kv = if group {
                key_value(&table.meta, src).cloned().or_else(|| data.get(0))
            } else {
                None
            };
            if let (Some(c), Some(k), Some(d)) =
                (cols.get_mut(dst), keys.get_mut(dst), columns.get_mut(dst))
            {
                *c = ColumnMeta::new(as_, ty, group);
                *k = kv;
                *d = data;
            }
        }
        None => {
            cols.push(ColumnMeta::new(as_, ty, false));
            keys.push(None);
            columns.push(data);
        }
    }
    Ok(TableChunk {
        meta: Arc::new(TableMeta::new(cols, keys)),
        columns,
    })
}

/// `aggregateWindow(every, period: 0s, offset: 0s, fn, column: "_value", timeSrc: "_stop",
/// timeDst: "_time", createEmpty: true)` for a built-in `fn`.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateWindowParams {
    /// Window spacing.
    pub every: FluxDuration,
    /// Window length (zero: `every`).
    pub period: FluxDuration,
    /// Grid offset.
    pub offset: FluxDuration,
    /// The aggregated column (default `_value`).
    pub column: String,
    /// Column whose value becomes the row time (default `_stop`).
    pub time_src: String,
    /// Column receiving the row time (default `_time`).
    pub time_dst: String,
    /// Whether empty windows produce a row (null value; `count` gives 0). Default true.
    pub create_empty: bool,
    /// Fixed UTC offset of the window location (see [`WindowParams::location_offset`]).
    pub location_offset: FluxDuration,
    /// Stream bounds; `None`: each table's `_start`/`_stop` (an error when a table has
    /// neither, like Flux without `range()`).
    pub bounds: Option<Bounds>,
}

impl AggregateWindowParams {
    /// `aggregateWindow(every: every)` with the other defaults.
    pub fn new(every: FluxDuration) -> Self {
        AggregateWindowParams {
            every,
            period: FluxDuration::ZERO,
            offset: FluxDuration::ZERO,
            column: "_value".into(),
            time_src: "_stop".into(),
            time_dst: "_time".into(),
            create_empty: true,
            location_offset: FluxDuration::ZERO,
            bounds: None,
        }
    }
}

/// `aggregateWindow` with a built-in aggregate or selector. Output: one table per input
/// table, same group key, one row per window (ascending), `timeDst` set from `timeSrc`.
///
/// Same result as the Flux definition `window |> fn |> table.fill() (if createEmpty) |>
/// duplicate(column: timeSrc, as: timeDst) |> window(every: inf, timeColumn: timeDst)`, but
/// fused: windows are computed once per table, aggregates read the value column in place
/// (a zero-copy slice when the window's rows are contiguous, i.e. input sorted by time and
/// `period <= every`), and only one output row per window is materialized.
pub fn aggregate_window(
    tables: &[TableChunk],
    params: &AggregateWindowParams,
    kind: &Aggregate,
) -> Result<Vec<TableChunk>, OpError> {
    let mut wp = WindowParams::new(params.every);
    wp.period = params.period;
    wp.offset = params.offset;
    wp.create_empty = params.create_empty;
    wp.location_offset = params.location_offset;
    wp.bounds = params.bounds;
    let grid = Grid::new(&wp)?;
    let mut merger = Merger::default();
    for table in tables {
        let bounds = params
            .bounds
            .unwrap_or_else(|| table_bounds(table, "_start", "_stop"));
        if bounds.start == i64::MIN || bounds.stop == i64::MAX {
            return Err(OpError::new(
                "aggregateWindow requires _start and _stop columns; use range() to assign them",
            ));
        }
        let slots = assign_windows(table, &wp, &grid, bounds)?;
        if slots.is_empty() {
            continue;
        }
        let schema = windowed_schema(table, &wp);
        let per_window = if kind.is_selector() {
            select_per_window(table, &schema, &slots, params, kind)?
        } else {
            aggregate_per_window(table, &schema, &slots, params, kind)?
        };
        let dup = duplicate(&per_window, &params.time_src, &params.time_dst)?;
        merger.push(finish_unwindow(dup, &params.time_dst, bounds)?)?;
    }
    Ok(merger.tables)
}

/// Row range covered by `rows` when they are contiguous and ascending.
fn contiguous(rows: &[usize]) -> Option<std::ops::Range<usize>> {
    match (rows.first(), rows.last()) {
        (Some(&f), Some(&l)) if l >= f && l - f + 1 == rows.len() => Some(f..l + 1),
        (None, None) => Some(0..0),
        _ => None,
    }
}

/// One aggregate row per window: the windowed key columns (minus `column`) with the window
/// bounds in start/stop, then the aggregate (what `fn` outputs per window, concatenated).
fn aggregate_per_window(
    table: &TableChunk,
    schema: &WindowSchema,
    slots: &[Slot],
    params: &AggregateWindowParams,
    kind: &Aggregate,
) -> Result<TableChunk, OpError> {
    let idx = column_index(table, &params.column)?;
    let Some(col) = table.columns.get(idx) else {
        return Err(OpError::missing_column(&params.column));
    };
    let times = match kind {
        Aggregate::Integral { time_column, .. } => Some(super::time_column(table, time_column)?),
        _ => None,
    };
    let mut values: Option<ColumnData> = None;
    for (_, rows) in slots {
        let one = match contiguous(rows) {
            Some(r) => compute(
                kind,
                Cells::range(col, r.clone()),
                times.map(|t| t.get(r).unwrap_or(&[])),
            )?,
            None => {
                let tmp = take(col, rows);
                let tt: Option<Vec<Option<i64>>> =
                    times.map(|t| rows.iter().map(|&r| t.get(r).copied().flatten()).collect());
                compute(kind, Cells::of(&tmp), tt.as_deref())?
            }
        };
        match values.as_mut() {
            Some(v) => extend_from(v, &one, &[0]),
            None => values = Some(one),
        }
    }
    let values = values.unwrap_or_else(|| ColumnData::empty(ColumnType::Double));
    let n = slots.len();
    let mut cols = Vec::new();
    let mut keys = Vec::new();
    let mut data = Vec::new();
    for (i, c) in schema.cols.iter().enumerate() {
        if !c.group || c.label == params.column {
            continue;
        }
        let d = if i == schema.start_idx {
            ColumnData::DateTime(slots.iter().map(|((s, _), _)| Some(*s)).collect())
        } else if i == schema.stop_idx {
            ColumnData::DateTime(slots.iter().map(|((_, e), _)| Some(*e)).collect())
        } else {
            repeat_value(c.ty, schema.keys.get(i).and_then(Option::as_ref), n)
        };
        cols.push(c.clone());
        keys.push(schema.keys.get(i).cloned().flatten());
        data.push(d);
    }
    cols.push(ColumnMeta::new(
        params.column.clone(),
        values.column_type(),
        false,
    ));
    keys.push(None);
    data.push(values);
    Ok(TableChunk {
        meta: Arc::new(TableMeta::new(cols, keys)),
        columns: data,
    })
}

/// One selected row per window (all windowed columns), or a row of key values and nulls for
/// an empty window when `createEmpty` (what `fn |> table.fill()` outputs, concatenated).
fn select_per_window(
    table: &TableChunk,
    schema: &WindowSchema,
    slots: &[Slot],
    params: &AggregateWindowParams,
    kind: &Aggregate,
) -> Result<TableChunk, OpError> {
    let idx = column_index(table, &params.column)?;
    let Some(col) = table.columns.get(idx) else {
        return Err(OpError::missing_column(&params.column));
    };
    // (window, selected input row or None for a filled empty window)
    let mut picked: Vec<((i64, i64), Option<usize>)> = Vec::with_capacity(slots.len());
    for (w, rows) in slots {
        let sel = match contiguous(rows) {
            Some(r) => {
                let base = r.start;
                select_row(Cells::range(col, r), kind)?.map(|i| base + i)
            }
            None => {
                let tmp = take(col, rows);
                select_row(Cells::of(&tmp), kind)?.and_then(|i| rows.get(i).copied())
            }
        };
        match sel {
            Some(r) => picked.push((*w, Some(r))),
            None if params.create_empty || kind.always_selects() => picked.push((*w, None)),
            None => {}
        }
    }
    let mut data = Vec::with_capacity(schema.cols.len());
    for (i, c) in schema.cols.iter().enumerate() {
        let d = if i == schema.start_idx {
            ColumnData::DateTime(picked.iter().map(|((s, _), _)| Some(*s)).collect())
        } else if i == schema.stop_idx {
            ColumnData::DateTime(picked.iter().map(|((_, e), _)| Some(*e)).collect())
        } else {
            let fill = if c.group {
                schema.keys.get(i).and_then(Option::as_ref)
            } else {
                None
            };
            let mut d = ColumnData::empty(c.ty);
            match table.columns.get(i) {
                Some(src) => {
                    for (_, r) in &picked {
                        match r {
                            Some(r) => extend_from(&mut d, src, &[*r]),
                            None => extend_from(&mut d, &repeat_value(c.ty, fill, 1), &[0]),
                        }
                    }
                }
                None => d = repeat_value(c.ty, None, picked.len()),
            }
            d
        };
        data.push(d);
    }
    Ok(TableChunk {
        meta: Arc::new(TableMeta::new(schema.cols.clone(), schema.keys.clone())),
        columns: data,
    })
}

/// `window(every: inf, timeColumn)` on one table whose rows carry per-row window bounds:
/// drops rows with a null time, sets `_start`/`_stop` (added if missing) to `bounds`, in the
/// group key.
fn finish_unwindow(
    table: TableChunk,
    time_column: &str,
    bounds: Bounds,
) -> Result<TableChunk, OpError> {
    let times = match table
        .meta
        .column_index(time_column)
        .and_then(|i| table.columns.get(i))
    {
        Some(ColumnData::DateTime(v)) => v,
        _ => {
            return Err(OpError::new(format!(
                "missing time column \"{time_column}\""
            )))
        }
    };
    let keep: Vec<usize> = (0..times.len())
        .filter(|&r| times.get(r).is_some_and(Option::is_some))
        .collect();
    let schema = windowed_schema(&table, &WindowParams::new(FluxDuration::INF));
    let n = keep.len();
    let all = n == table.rows();
    let mut keys = schema.keys;
    let mut data = Vec::with_capacity(schema.cols.len());
    for (i, c) in schema.cols.iter().enumerate() {
        if i == schema.start_idx || i == schema.stop_idx {
            let v = if i == schema.start_idx {
                bounds.start
            } else {
                bounds.stop
            };
            if let Some(k) = keys.get_mut(i) {
                *k = Some(Value::DateTime(v));
            }
            data.push(ColumnData::DateTime(vec![Some(v); n]));
        } else {
            match table.columns.get(i) {
                Some(src) if all => data.push(src.clone()),
                Some(src) => data.push(take(src, &keep)),
                None => data.push(repeat_value(c.ty, None, n)),
            }
        }
    }
    Ok(TableChunk {
        meta: Arc::new(TableMeta::new(schema.cols, keys)),
        columns: data,
    })
}

/// The literal Flux definition of `aggregateWindow` (`window |> fn |> table.fill() |>
/// duplicate |> window(every: inf)`), materializing every window: the reference the fused
/// [`aggregate_window`] is tested against.
#[cfg(test)]
pub(crate) fn aggregate_window_composed(
    tables: &[TableChunk],
    params: &AggregateWindowParams,
    kind: &Aggregate,
) -> Result<Vec<TableChunk>, OpError> {
    let mut wp = WindowParams::new(params.every);
    wp.period = params.period;
    wp.offset = params.offset;
    wp.create_empty = params.create_empty;
    wp.location_offset = params.location_offset;
    wp.bounds = params.bounds;
    let grid = Grid::new(&wp)?;
    let mut merger = Merger::default();
    for table in tables {
        let bounds = params
            .bounds
            .unwrap_or_else(|| table_bounds(table, "_start", "_stop"));
        let windows = window_one(table, &wp, &grid)?;
        let mut finished = Vec::with_capacity(windows.len());
        for w in &windows {
            let mut a = aggregate(w, kind, &params.column)?;
            if params.create_empty {
                a = fill_empty(a);
            }
            finished.push(duplicate(&a, &params.time_src, &params.time_dst)?);
        }
        if windows.is_empty() {
            continue;
        }
        for t in unwindow(&finished, &params.time_dst, bounds)? {
            merger.push(t)?;
        }
    }
    Ok(merger.tables)
}
