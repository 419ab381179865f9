//! Structural table transformations (Flux v0.196 semantics) and their registration.
//!
//! Invariants:
//! - Column order is preserved through every transformation; new columns are appended, except
//!   `range`'s `_start`/`_stop`, which are inserted first (as Flux does).
//! - Operations that can change a table's group key (`group`, `map`, `drop`, `keep`, `rename`,
//!   `pivot`, `set`) merge rows whose new keys are equal into one table, keys in order of first
//!   appearance, rows in input order.
//! - Nulls sort first in ascending order; a row function returning null counts as `false` for
//!   `filter`.
//! - Row functions are evaluated through the interpreter with one small record per row; no
//!   per-row hashing of labels.

use std::cmp::Ordering;
use std::sync::Arc;

use super::ast::Span;
use super::interp::{first_param, Args, Interp, Registry};
use super::tables::{
    column_from_cells, constant_column, group_key, select_rows, table_fn, Builder, ExecCtx, Node,
    NodeKind, TableFn,
};
use super::value::{Record, Value};
use crate::query::plan::{PlanError, Predicate, DEFAULT_RESULT_NAME};
use crate::query::table::{
    ColumnData, ColumnMeta, ColumnType, TableChunk, TableMeta, Value as Cell,
};

type R<T> = Result<T, PlanError>;

/// The labels of a table's columns as shared strings (built once per table).
fn labels(t: &TableChunk) -> Vec<Arc<str>> {
    t.meta
        .columns
        .iter()
        .map(|c| Arc::from(c.label.as_str()))
        .collect()
}

/// Row `row` of a table as a record.
pub fn row_record(t: &TableChunk, labels: &[Arc<str>], row: usize) -> Value {
    let fields = labels
        .iter()
        .zip(&t.columns)
        .map(|(l, c)| (l.clone(), Value::from_cell(c.get(row).as_ref())))
        .collect();
    Value::Record(Arc::new(Record {
        fields,
        package: None,
    }))
}

/// Builds row records cheaply: every column is converted to runtime values once per table, so a
/// row costs one vector and one `Arc` (cells are shared by reference count).
struct RowReader {
    labels: Vec<Arc<str>>,
    columns: Vec<Vec<Value>>,
}

impl RowReader {
    fn new(t: &TableChunk) -> Self {
        fn conv<T>(v: &[Option<T>], f: impl Fn(&T) -> Value) -> Vec<Value> {
            v.iter()
                .map(|c| c.as_ref().map_or(Value::Null, &f))
                .collect()
        }
        let columns = t
            .columns
            .iter()
            .map(|c| match c {
                ColumnData::String(v) => conv(v, |s| Value::str(s)),
                ColumnData::Long(v) => conv(v, |x| Value::Int(*x)),
                ColumnData::UnsignedLong(v) => conv(v, |x| Value::UInt(*x)),
                ColumnData::Double(v) => conv(v, |x| Value::Float(*x)),
                ColumnData::Boolean(v) => conv(v, |x| Value::Bool(*x)),
                ColumnData::DateTime(v) => conv(v, |x| Value::Time(*x)),
            })
            .collect();
        RowReader {
            labels: labels(t),
            columns,
        }
    }

    fn row(&self, row: usize) -> Value {
        let fields = self
            .labels
            .iter()
            .zip(&self.columns)
            .map(|(l, c)| (l.clone(), c.get(row).cloned().unwrap_or(Value::Null)))
            .collect();
        Value::Record(Arc::new(Record {
            fields,
            package: None,
        }))
    }
}

fn call_row(
    interp: &mut Interp,
    f: &Value,
    param: &Arc<str>,
    rec: Value,
    span: Span,
) -> Result<Value, String> {
    interp
        .call(f, vec![(param.clone(), rec)], None, span)
        .map_err(|e| e.to_string())
}

/// Compares two cells; nulls first.
pub fn cmp_cells(a: Option<&Cell>, b: Option<&Cell>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => match (a, b) {
            (Cell::String(x), Cell::String(y)) => x.cmp(y),
            (Cell::Long(x), Cell::Long(y)) => x.cmp(y),
            (Cell::UnsignedLong(x), Cell::UnsignedLong(y)) => x.cmp(y),
            (Cell::Double(x), Cell::Double(y)) => x.total_cmp(y),
            (Cell::Boolean(x), Cell::Boolean(y)) => x.cmp(y),
            (Cell::DateTime(x), Cell::DateTime(y)) => x.cmp(y),
            _ => Ordering::Equal,
        },
    }
}

/// Rebuilds tables, assigning each row to the group key `key_cols` (labels; columns missing from
/// a table are left out of its key). Columns keep their order; key flags follow the new key.
fn regroup(
    tables: Vec<TableChunk>,
    key_cols: &dyn Fn(&TableMeta) -> Vec<usize>,
    sorted: bool,
) -> R2 {
    let mut b = Builder::new();
    for t in tables {
        let kc = key_cols(&t.meta);
        let constant = kc
            .iter()
            .all(|&i| t.meta.columns.get(i).is_some_and(|c| c.group));
        let key_at = |row: usize| -> Vec<(String, Option<Cell>)> {
            kc.iter()
                .filter_map(|&i| {
                    let label = t.meta.columns.get(i)?.label.clone();
                    let v = if constant {
                        t.meta.key_values.get(i).cloned().flatten()
                    } else {
                        t.columns.get(i)?.get(row)
                    };
                    Some((label, v))
                })
                .collect()
        };
        let rows = t.rows();
        if constant || rows == 0 {
            if !constant {
                continue;
            }
            let ti = b.table(&key_at(0));
            let mut idx = Vec::with_capacity(t.columns.len());
            for c in &t.meta.columns {
                idx.push(b.column(ti, &c.label, Some(c.ty))?);
            }
            for row in 0..rows {
                let cells = idx
                    .iter()
                    .zip(&t.columns)
                    .map(|(&ci, col)| (ci, col.get(row)))
                    .collect();
                b.push_row(ti, cells)?;
            }
        } else {
            for row in 0..rows {
                let ti = b.table(&key_at(row));
                let mut cells = Vec::with_capacity(t.columns.len());
                for (c, col) in t.meta.columns.iter().zip(&t.columns) {
                    let ci = b.column(ti, &c.label, Some(c.ty))?;
                    cells.push((ci, col.get(row)));
                }
                b.push_row(ti, cells)?;
            }
        }
    }
    Ok(if sorted {
        b.finish_sorted()
    } else {
        b.finish()
    })
}

type R2 = Result<Vec<TableChunk>, String>;

/// Indices of the group-key columns of a schema whose labels satisfy `keep`.
fn key_cols_where(meta: &TableMeta, keep: impl Fn(&str) -> bool) -> Vec<usize> {
    meta.columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.group && keep(&c.label))
        .map(|(i, _)| i)
        .collect()
}

/// A table with a new schema and columns (key values recomputed from the first row for key
/// columns that were not key columns before).
fn rebuild(metas: Vec<ColumnMeta>, cols: Vec<ColumnData>, old: &TableMeta) -> TableChunk {
    let keys = metas
        .iter()
        .zip(&cols)
        .map(|(m, c)| {
            if !m.group {
                return None;
            }
            match old.column_index(&m.label) {
                Some(i) if old.columns.get(i).is_some_and(|oc| oc.group) => {
                    old.key_values.get(i).cloned().flatten()
                }
                _ => c.get(0),
            }
        })
        .collect();
    TableChunk {
        meta: Arc::new(TableMeta::new(metas, keys)),
        columns: cols,
    }
}

/// Merges tables with equal group keys (after a schema change that may have made keys equal).
fn merge_equal_keys(tables: Vec<TableChunk>) -> R2 {
    regroup(tables, &|m: &TableMeta| key_cols_where(m, |_| true), false)
}

// ---------------------------------------------------------------------------------------------
// range

fn range_tables(
    tables: Vec<TableChunk>,
    start: i64,
    stop: i64,
    time_col: &str,
    start_col: &str,
    stop_col: &str,
) -> R2 {
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let Some(ti) = t.meta.column_index(time_col) else {
            return Err(format!("missing time column \"{time_col}\""));
        };
        let Some(ColumnData::DateTime(times)) = t.columns.get(ti) else {
            return Err(format!("column \"{time_col}\" is not of type time"));
        };
        let idx: Vec<usize> = times
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some_and(|v| v >= start && v < stop))
            .map(|(i, _)| i)
            .collect();
        let t = select_rows(&t, &idx);
        let rows = t.rows();
        let mut metas = Vec::with_capacity(t.columns.len() + 2);
        let mut cols = Vec::with_capacity(t.columns.len() + 2);
        let mut keys = Vec::with_capacity(t.columns.len() + 2);
        for (label, v) in [(start_col, start), (stop_col, stop)] {
            metas.push(ColumnMeta::new(label, ColumnType::DateTime, true));
            cols.push(ColumnData::DateTime(vec![Some(v); rows]));
            keys.push(Some(Cell::DateTime(v)));
        }
        for ((m, c), k) in t.meta.columns.iter().zip(t.columns).zip(&t.meta.key_values) {
            if m.label == start_col || m.label == stop_col {
                continue;
            }
            metas.push(m.clone());
            cols.push(c);
            keys.push(k.clone());
        }
        out.push(TableChunk {
            meta: Arc::new(TableMeta::new(metas, keys)),
            columns: cols,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// filter

/// Converts a filter closure into a storage predicate, if it only compares `_measurement`,
/// `_field` or tags with `==`/`!=` against strings (combined with `and`/`or`).
fn closure_predicate(f: &Value, interp: &mut Interp) -> Option<Predicate> {
    use super::ast::{BinaryOp, ExprKind, LogicalOp, Statement};
    use super::value::ClosureBody;
    let Value::Function(c) = f else { return None };
    let [param] = c.params.as_slice() else {
        return None;
    };
    if param.pipe || param.default.is_some() {
        return None;
    }
    let body = match &c.body {
        ClosureBody::Expr(e) => e,
        ClosureBody::Block(stmts) => match stmts.as_slice() {
            [Statement::Return(e, _)] => e,
            _ => return None,
        },
    };
    fn conv(
        e: &super::ast::Expr,
        p: &str,
        c: &super::value::Closure,
        interp: &mut Interp,
        depth: usize,
    ) -> Option<Predicate> {
        if depth > 64 {
            return None;
        }
        match &e.kind {
            ExprKind::Logical { op, left, right } => {
                let l = conv(left, p, c, interp, depth + 1)?;
                let r = conv(right, p, c, interp, depth + 1)?;
                Some(match op {
                    LogicalOp::And => Predicate::And(Box::new(l), Box::new(r)),
                    LogicalOp::Or => Predicate::Or(Box::new(l), Box::new(r)),
                })
            }
            ExprKind::Binary { op, left, right } => {
                let op = match op {
                    BinaryOp::Eq => crate::query::plan::CmpOp::Eq,
                    BinaryOp::Neq => crate::query::plan::CmpOp::Neq,
                    _ => return None,
                };
                let col = |x: &super::ast::Expr| match &x.kind {
                    ExprKind::Member { object, property } => match &object.kind {
                        ExprKind::Ident(n) if n == p => Some(property.name.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                let (column, other) = match (col(left), col(right)) {
                    (Some(c), None) => (c, right),
                    (None, Some(c)) => (c, left),
                    _ => return None,
                };
                if mentions(other, p) {
                    return None;
                }
                let Ok(Value::String(s)) = interp.eval(other, &c.scope) else {
                    return None;
                };
                Some(match column.as_str() {
                    "_measurement" => Predicate::Measurement(op, s.to_string()),
                    "_field" => Predicate::Field(op, s.to_string()),
                    "_value" | "_time" | "_start" | "_stop" => return None,
                    _ => Predicate::Tag {
                        key: column,
                        op,
                        value: s.to_string(),
                    },
                })
            }
            _ => None,
        }
    }
    fn mentions(e: &super::ast::Expr, p: &str) -> bool {
        // Conservative: any identifier equal to the parameter, anywhere in the expression.
        format!("{:?}", e.kind).contains(&format!("Ident(\"{p}\")"))
    }
    conv(body, &param.key.name, c, interp, 0)
}

fn filter_tables(
    tables: Vec<TableChunk>,
    f: &Value,
    keep_empty: bool,
    span: Span,
    ctx: &mut ExecCtx<'_>,
) -> R2 {
    let param = first_param(f).unwrap_or_else(|| Arc::from("r"));
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let reader = RowReader::new(&t);
        let mut idx = Vec::new();
        for row in 0..t.rows() {
            let rec = reader.row(row);
            match call_row(ctx.interp, f, &param, rec, span)? {
                Value::Bool(true) => idx.push(row),
                Value::Bool(false) | Value::Null => {}
                other => return Err(format!("fn must return a bool, got {}", other.type_name())),
            }
        }
        if idx.is_empty() && !keep_empty {
            continue;
        }
        out.push(if idx.len() == t.rows() {
            t
        } else {
            select_rows(&t, &idx)
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// map

fn map_tables(tables: Vec<TableChunk>, f: &Value, span: Span, ctx: &mut ExecCtx<'_>) -> R2 {
    let param = first_param(f).unwrap_or_else(|| Arc::from("r"));
    let mut b = Builder::new();
    for t in tables {
        let reader = RowReader::new(&t);
        let in_key = group_key(&t);
        let mut last: Option<(super::tables::GroupKey, usize)> = None;
        for row in 0..t.rows() {
            let rec = reader.row(row);
            let out = call_row(ctx.interp, f, &param, rec, span)?;
            let Value::Record(o) = out else {
                return Err(format!("fn must return a record, got {}", out.type_name()));
            };
            // Rows of one table usually keep their key: reuse the last table without building
            // the key when every key column present in the output has the same value.
            let same = last.as_ref().is_some_and(|(lk, _)| {
                let mut n = 0;
                in_key.iter().all(|(k, _)| match o.get(k) {
                    None => true,
                    Some(v) => {
                        let hit = lk.get(n).is_some_and(|(lk_label, lc)| {
                            lk_label == k && value_eq_cell(v, lc.as_ref())
                        });
                        n += 1;
                        hit
                    }
                }) && n == lk.len()
            });
            let ti = match &last {
                Some((_, ti)) if same => *ti,
                _ => {
                    let mut key = Vec::with_capacity(in_key.len());
                    for (k, _) in &in_key {
                        if let Some(v) = o.get(k) {
                            key.push((k.clone(), cell_of(k, v)?));
                        }
                    }
                    let ti = b.table(&key);
                    last = Some((key, ti));
                    ti
                }
            };
            let mut cells = Vec::with_capacity(o.fields.len());
            for (label, v) in &o.fields {
                // A null takes the input column's type, if the input has that column.
                let ty = v.column_type().or_else(|| {
                    t.meta
                        .column_index(label)
                        .and_then(|i| t.meta.columns.get(i))
                        .map(|c| c.ty)
                        .filter(|_| v.is_null())
                });
                let ci = b.column(ti, label, ty)?;
                cells.push((ci, cell_of(label, v)?));
            }
            b.push_row(ti, cells)?;
        }
    }
    Ok(b.finish())
}

/// Whether a runtime value equals a table cell (same type and value; null equals null).
fn value_eq_cell(v: &Value, c: Option<&Cell>) -> bool {
    match (v, c) {
        (Value::Null, None) => true,
        (Value::String(a), Some(Cell::String(b))) => **a == **b,
        (Value::Int(a), Some(Cell::Long(b))) => a == b,
        (Value::UInt(a), Some(Cell::UnsignedLong(b))) => a == b,
        (Value::Float(a), Some(Cell::Double(b))) => a.to_bits() == b.to_bits(),
        (Value::Bool(a), Some(Cell::Boolean(b))) => a == b,
        (Value::Time(a), Some(Cell::DateTime(b))) => a == b,
        _ => false,
    }
}

fn cell_of(label: &str, v: &Value) -> Result<Option<Cell>, String> {
    v.to_cell()
        .map_err(|ty| format!("column {label:?}: cannot store a {ty} value in a table"))
}

// ---------------------------------------------------------------------------------------------
// keep / drop / rename

fn project(tables: Vec<TableChunk>, keep: &dyn Fn(&str) -> Result<bool, String>) -> R2 {
    let mut out = Vec::with_capacity(tables.len());
    let mut key_changed = false;
    for t in tables {
        let mut metas = Vec::new();
        let mut cols = Vec::new();
        for (m, c) in t.meta.columns.iter().zip(&t.columns) {
            if keep(&m.label)? {
                metas.push(m.clone());
                cols.push(c.clone());
            } else if m.group {
                key_changed = true;
            }
        }
        out.push(rebuild(metas, cols, &t.meta));
    }
    if key_changed {
        merge_equal_keys(out)
    } else {
        Ok(out)
    }
}

fn rename_tables(tables: Vec<TableChunk>, rename: &dyn Fn(&str) -> Result<String, String>) -> R2 {
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let mut metas = Vec::with_capacity(t.columns.len());
        for m in &t.meta.columns {
            let label = rename(&m.label)?;
            if metas.iter().any(|x: &ColumnMeta| x.label == label) {
                return Err(format!("duplicate column name {label:?} after rename"));
            }
            metas.push(ColumnMeta::new(label, m.ty, m.group));
        }
        out.push(TableChunk {
            meta: Arc::new(TableMeta::new(metas, t.meta.key_values.clone())),
            columns: t.columns,
        });
    }
    Ok(out)
}

fn column_fn(f: &Value, ctx: &mut ExecCtx<'_>, label: &str) -> Result<Value, String> {
    let param = first_param(f).unwrap_or_else(|| Arc::from("column"));
    ctx.interp
        .call(f, vec![(param, Value::str(label))], None, Span::default())
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// sort / limit / tail

/// Concatenates tables with equal group keys and identical schemas (first-appearance order),
/// as Flux's keyed table caches do (e.g. `sort` after a `union` of same-key streams); cheaper
/// than [`merge_equal_keys`], which rebuilds rows.
fn concat_equal_keys(tables: Vec<TableChunk>) -> R2 {
    let mut out: Vec<TableChunk> = Vec::with_capacity(tables.len());
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for t in tables {
        let k = super::tables::key_string(&group_key(&t));
        match index.get(&k).and_then(|&i| out.get_mut(i)) {
            Some(dst) if dst.meta.same_columns(&t.meta) => super::tables::append_chunk(dst, t)?,
            Some(_) => out.push(t),
            None => {
                index.insert(k, out.len());
                out.push(t);
            }
        }
    }
    Ok(out)
}

fn sort_tables(tables: Vec<TableChunk>, columns: &[String], desc: bool) -> R2 {
    Ok(concat_equal_keys(tables)?
        .into_iter()
        .map(|t| {
            let ci: Vec<usize> = columns
                .iter()
                .filter_map(|c| t.meta.column_index(c))
                .collect();
            let mut idx: Vec<usize> = (0..t.rows()).collect();
            idx.sort_by(|&a, &b| {
                for &c in &ci {
                    let Some(col) = t.columns.get(c) else {
                        continue;
                    };
                    let o = cmp_cells(col.get(a).as_ref(), col.get(b).as_ref());
                    if o != Ordering::Equal {
                        return if desc { o.reverse() } else { o };
                    }
                }
                Ordering::Equal
            });
            select_rows(&t, &idx)
        })
        .collect())
}

fn limit_tables(tables: Vec<TableChunk>, n: usize, offset: usize, tail: bool) -> Vec<TableChunk> {
    tables
        .into_iter()
        .map(|t| {
            let rows = t.rows();
            let idx: Vec<usize> = if tail {
                let end = rows.saturating_sub(offset);
                (end.saturating_sub(n)..end).collect()
            } else {
                (offset.min(rows)..offset.saturating_add(n).min(rows)).collect()
            };
            select_rows(&t, &idx)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// set / duplicate / fill

fn set_tables(tables: Vec<TableChunk>, key: &str, value: &str) -> R2 {
    let mut out = Vec::with_capacity(tables.len());
    let mut key_changed = false;
    for t in tables {
        let rows = t.rows();
        let mut metas = t.meta.columns.clone();
        let mut cols = t.columns;
        let mut keys = t.meta.key_values.clone();
        let cell = Cell::String(value.to_string());
        let col = constant_column(ColumnType::String, Some(&cell), rows);
        match t.meta.column_index(key) {
            Some(i) => {
                if let (Some(m), Some(c), Some(k)) =
                    (metas.get_mut(i), cols.get_mut(i), keys.get_mut(i))
                {
                    m.ty = ColumnType::String;
                    *c = col;
                    if m.group {
                        *k = Some(cell);
                        key_changed = true;
                    }
                }
            }
            None => {
                metas.push(ColumnMeta::new(key, ColumnType::String, false));
                cols.push(col);
                keys.push(None);
            }
        }
        out.push(TableChunk {
            meta: Arc::new(TableMeta::new(metas, keys)),
            columns: cols,
        });
    }
    if key_changed {
        merge_equal_keys(out)
    } else {
        Ok(out)
    }
}

fn duplicate_tables(tables: Vec<TableChunk>, column: &str, as_: &str) -> R2 {
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let Some(i) = t.meta.column_index(column) else {
            return Err(format!("no column {column:?} exists"));
        };
        let (Some(src_meta), Some(src)) = (t.meta.columns.get(i), t.columns.get(i)) else {
            return Err(format!("no column {column:?} exists"));
        };
        let ty = src_meta.ty;
        let data = src.clone();
        let mut metas = t.meta.columns.clone();
        let mut keys = t.meta.key_values.clone();
        let mut cols = t.columns.clone();
        if let Some(j) = t.meta.column_index(as_) {
            if let (Some(m), Some(c), Some(k)) =
                (metas.get_mut(j), cols.get_mut(j), keys.get_mut(j))
            {
                m.ty = ty;
                *c = data;
                if m.group {
                    *k = c.get(0);
                }
            }
        } else {
            metas.push(ColumnMeta::new(as_, ty, false));
            cols.push(data);
            keys.push(None);
        }
        out.push(TableChunk {
            meta: Arc::new(TableMeta::new(metas, keys)),
            columns: cols,
        });
    }
    Ok(out)
}

fn fill_tables(
    tables: Vec<TableChunk>,
    column: &str,
    value: Option<&Value>,
    use_previous: bool,
) -> R2 {
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let Some(i) = t.meta.column_index(column) else {
            out.push(t);
            continue;
        };
        let ty = t.meta.columns.get(i).map_or(ColumnType::String, |c| c.ty);
        let mut cells: Vec<Option<Cell>> = (0..t.rows())
            .map(|r| t.columns.get(i).and_then(|c| c.get(r)))
            .collect();
        if use_previous {
            let mut prev: Option<Cell> = None;
            for c in &mut cells {
                match c {
                    Some(v) => prev = Some(v.clone()),
                    None => c.clone_from(&prev),
                }
            }
        } else if let Some(v) = value {
            let cell = v
                .to_cell()
                .map_err(|ty| format!("cannot fill with a {ty} value"))?;
            if let Some(cv) = &cell {
                if cv.column_type() != ty {
                    return Err(format!(
                        "fill value type {} does not match column {column:?} type {}",
                        cv.column_type().datatype_name(),
                        ty.datatype_name()
                    ));
                }
            }
            for c in &mut cells {
                if c.is_none() {
                    c.clone_from(&cell);
                }
            }
        }
        let mut cols = t.columns;
        if let Some(slot) = cols.get_mut(i) {
            *slot = column_from_cells(ty, cells);
        }
        out.push(TableChunk {
            meta: t.meta,
            columns: cols,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// pivot

/// One output row of `pivot`: the row-key values and `(value column, cell)` pairs.
type PivotRow = (Vec<Option<Cell>>, Vec<(usize, Option<Cell>)>);

fn pivot_tables(
    tables: Vec<TableChunk>,
    row_key: &[String],
    column_key: &[String],
    value_column: &str,
) -> R2 {
    struct Group {
        key: Vec<(String, Option<Cell>)>,
        key_cols: Vec<ColumnMeta>,
        row_cols: Vec<ColumnMeta>,
        value_cols: Vec<(String, ColumnType)>,
        rows: Vec<PivotRow>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for t in tables {
        let m = &t.meta;
        let Some(vi) = m.column_index(value_column) else {
            return Err(format!("value column {value_column:?} does not exist"));
        };
        let vty = m.columns.get(vi).map_or(ColumnType::String, |c| c.ty);
        let mut rk = Vec::with_capacity(row_key.len());
        for c in row_key {
            rk.push(
                m.column_index(c)
                    .ok_or_else(|| format!("row key column {c:?} does not exist"))?,
            );
        }
        let mut ck = Vec::with_capacity(column_key.len());
        for c in column_key {
            ck.push(
                m.column_index(c)
                    .ok_or_else(|| format!("column key column {c:?} does not exist"))?,
            );
        }
        let key: Vec<(String, Option<Cell>)> = group_key(&t)
            .into_iter()
            .filter(|(l, _)| !column_key.contains(l) && l != value_column)
            .collect();
        let ks = super::tables::key_string(&key);
        let gi = match groups
            .iter()
            .position(|g| super::tables::key_string(&g.key) == ks)
        {
            Some(i) => i,
            None => {
                groups.push(Group {
                    key_cols: m
                        .columns
                        .iter()
                        .filter(|c| {
                            key.iter().any(|(l, _)| *l == c.label) && !row_key.contains(&c.label)
                        })
                        .cloned()
                        .collect(),
                    row_cols: rk
                        .iter()
                        .filter_map(|&i| m.columns.get(i))
                        .map(|c| {
                            let in_key = key.iter().any(|(l, _)| *l == c.label);
                            ColumnMeta::new(c.label.clone(), c.ty, in_key)
                        })
                        .collect(),
                    key,
                    value_cols: Vec::new(),
                    rows: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let Some(g) = groups.get_mut(gi) else {
            continue;
        };
        for row in 0..t.rows() {
            let rkv: Vec<Option<Cell>> = rk
                .iter()
                .map(|&i| t.columns.get(i).and_then(|c| c.get(row)))
                .collect();
            let mut name = String::new();
            for (n, &i) in ck.iter().enumerate() {
                if n > 0 {
                    name.push('_');
                }
                match t.columns.get(i).and_then(|c| c.get(row)) {
                    Some(v) => name.push_str(
                        &Value::from_cell(Some(&v))
                            .to_flux_string()
                            .unwrap_or_default(),
                    ),
                    None => name.push_str("null"),
                }
            }
            let vc = match g.value_cols.iter().position(|(l, _)| *l == name) {
                Some(i) => {
                    if g.value_cols.get(i).is_some_and(|(_, ty)| *ty != vty) {
                        return Err(format!("value columns for {name:?} have conflicting types"));
                    }
                    i
                }
                None => {
                    g.value_cols.push((name, vty));
                    g.value_cols.len() - 1
                }
            };
            let v = t.columns.get(vi).and_then(|c| c.get(row));
            match g.rows.iter_mut().find(|(k, _)| *k == rkv) {
                Some((_, cells)) => cells.push((vc, v)),
                None => g.rows.push((rkv, vec![(vc, v)])),
            }
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for mut g in groups {
        g.rows.sort_by(|a, b| {
            for (x, y) in a.0.iter().zip(&b.0) {
                let o = cmp_cells(x.as_ref(), y.as_ref());
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
        let n = g.rows.len();
        let mut metas = Vec::new();
        let mut cols = Vec::new();
        let mut keys = Vec::new();
        for c in &g.key_cols {
            let kv = g
                .key
                .iter()
                .find(|(l, _)| *l == c.label)
                .and_then(|(_, v)| v.clone());
            cols.push(constant_column(c.ty, kv.as_ref(), n));
            metas.push(c.clone());
            keys.push(kv);
        }
        for (j, c) in g.row_cols.iter().enumerate() {
            let cells = g
                .rows
                .iter()
                .map(|(k, _)| k.get(j).cloned().flatten())
                .collect();
            cols.push(column_from_cells(c.ty, cells));
            metas.push(c.clone());
            keys.push(if c.group {
                g.key
                    .iter()
                    .find(|(l, _)| *l == c.label)
                    .and_then(|(_, v)| v.clone())
            } else {
                None
            });
        }
        for (j, (label, ty)) in g.value_cols.iter().enumerate() {
            let cells = g
                .rows
                .iter()
                .map(|(_, vals)| {
                    vals.iter()
                        .rev()
                        .find(|(c, _)| *c == j)
                        .and_then(|(_, v)| v.clone())
                })
                .collect();
            cols.push(column_from_cells(*ty, cells));
            metas.push(ColumnMeta::new(label.clone(), *ty, false));
            keys.push(None);
        }
        out.push(TableChunk {
            meta: Arc::new(TableMeta::new(metas, keys)),
            columns: cols,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// type conversions

/// Converts a value with one of the conversion functions (`float`, `int`, `uint`, `string`,
/// `bool`, `time`); null stays null.
pub fn convert(kind: &str, v: &Value) -> Result<Value, String> {
    use Value as V;
    let bad = || format!("cannot convert {} {v:?} to {kind}", v.type_name());
    Ok(match (kind, v) {
        (_, V::Null) => V::Null,
        ("float", V::Float(x)) => V::Float(*x),
        ("float", V::Int(i)) => V::Float(*i as f64),
        ("float", V::UInt(u)) => V::Float(*u as f64),
        ("float", V::Bool(b)) => V::Float(if *b { 1.0 } else { 0.0 }),
        ("float", V::String(s)) => V::Float(match &**s {
            "NaN" => f64::NAN,
            "+Inf" | "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            s => s.parse().map_err(|_| bad())?,
        }),
        ("int", V::Int(i)) => V::Int(*i),
        ("int", V::Float(x)) => {
            if !x.is_finite() {
                return Err(bad());
            }
            V::Int(x.trunc() as i64)
        }
        ("int", V::UInt(u)) => V::Int(*u as i64),
        ("int", V::Bool(b)) => V::Int(i64::from(*b)),
        ("int", V::Time(t)) => V::Int(*t),
        ("int", V::Duration(d)) if d.months == 0 => V::Int(d.nanos),
        ("int", V::String(s)) => V::Int(s.parse().map_err(|_| bad())?),
        ("uint", V::UInt(u)) => V::UInt(*u),
        ("uint", V::Int(i)) => V::UInt(*i as u64),
        ("uint", V::Float(x)) => {
            if !x.is_finite() {
                return Err(bad());
            }
            V::UInt(x.trunc() as u64)
        }
        ("uint", V::Bool(b)) => V::UInt(u64::from(*b)),
        ("uint", V::Time(t)) => V::UInt(*t as u64),
        ("uint", V::String(s)) => V::UInt(s.parse().map_err(|_| bad())?),
        ("string", v) => V::str(&v.to_flux_string().ok_or_else(bad)?),
        ("bool", V::Bool(b)) => V::Bool(*b),
        ("bool", V::String(s)) => match &**s {
            "true" => V::Bool(true),
            "false" => V::Bool(false),
            _ => return Err(bad()),
        },
        ("bool", V::Int(i)) if *i == 0 || *i == 1 => V::Bool(*i == 1),
        ("bool", V::UInt(u)) if *u <= 1 => V::Bool(*u == 1),
        ("bool", V::Float(x)) if *x == 0.0 || *x == 1.0 => V::Bool(*x == 1.0),
        ("time", V::Time(t)) => V::Time(*t),
        ("time", V::Int(i)) => V::Time(*i),
        ("time", V::UInt(u)) => V::Time(*u as i64),
        ("time", V::String(s)) => V::Time(
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .and_then(|d| d.timestamp_nanos_opt())
                .ok_or_else(bad)?,
        ),
        _ => return Err(bad()),
    })
}

fn convert_column(tables: Vec<TableChunk>, kind: &'static str) -> R2 {
    let ty = match kind {
        "float" => ColumnType::Double,
        "int" => ColumnType::Long,
        "uint" => ColumnType::UnsignedLong,
        "string" => ColumnType::String,
        "bool" => ColumnType::Boolean,
        _ => ColumnType::DateTime,
    };
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let Some(i) = t.meta.column_index("_value") else {
            out.push(t);
            continue;
        };
        let mut cells = Vec::with_capacity(t.rows());
        for r in 0..t.rows() {
            let v = Value::from_cell(t.columns.get(i).and_then(|c| c.get(r)).as_ref());
            cells.push(convert(kind, &v)?.to_cell().map_err(|e| e.to_string())?);
        }
        let mut metas = t.meta.columns.clone();
        if let Some(m) = metas.get_mut(i) {
            m.ty = ty;
        }
        let mut cols = t.columns;
        if let Some(c) = cols.get_mut(i) {
            *c = column_from_cells(ty, cells);
        }
        out.push(TableChunk {
            meta: Arc::new(TableMeta::new(metas, t.meta.key_values.clone())),
            columns: cols,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// registration

fn op_node(name: &str, op: TableFn, input: Arc<Node>, span: Span) -> Value {
    Value::Tables(Arc::new(Node {
        kind: NodeKind::Op {
            name: name.to_string(),
            op,
            inputs: vec![input],
            bounds: None,
        },
        span,
    }))
}

fn range_builtin(args: &mut Args<'_>) -> R<Value> {
    let input = args.tables()?;
    let Some(start) = args.opt_time("start")? else {
        return Err(args.err("missing required argument \"start\""));
    };
    let stop = match args.opt_time("stop")? {
        Some(t) => t,
        None => args.interp.now,
    };
    let time_col = args.string_or("timeColumn", "_time")?;
    let start_col = args.string_or("startColumn", "_start")?;
    let stop_col = args.string_or("stopColumn", "_stop")?;
    let default_cols = time_col == "_time" && start_col == "_start" && stop_col == "_stop";
    if let (
        NodeKind::Read {
            bucket,
            bounds,
            plan,
        },
        true,
    ) = (&input.kind, default_cols)
    {
        let (s, t) = match bounds {
            None => (start, stop),
            Some((s0, t0)) => ((*s0).max(start), (*t0).min(stop)),
        };
        let mut plan = plan.clone();
        plan.start = s;
        plan.stop = t;
        return Ok(Value::Tables(Arc::new(Node {
            kind: NodeKind::Read {
                bucket: bucket.clone(),
                bounds: Some((s, t)),
                plan,
            },
            span: input.span,
        })));
    }
    // The stream's bounds become `[start, stop)` intersected with an upstream range's (plan
    // bounds, as Flux computes them; bounds columns already in the data do not count).
    let bounds = match super::tables::stream_bounds(&input) {
        Some((s0, t0)) => (s0.max(start), t0.min(stop)),
        None => (start, stop),
    };
    let (start, stop) = bounds;
    let op = table_fn(move |tables, _| {
        range_tables(tables, start, stop, &time_col, &start_col, &stop_col)
    });
    Ok(Value::Tables(Arc::new(Node {
        kind: NodeKind::Op {
            name: "range".to_string(),
            op,
            inputs: vec![input],
            bounds: Some(bounds),
        },
        span: args.span,
    })))
}

fn filter_builtin(args: &mut Args<'_>) -> R<Value> {
    let input = args.tables()?;
    let f = args.function("fn")?;
    let on_empty = args.string_or("onEmpty", "drop")?;
    let keep_empty = match on_empty.as_str() {
        "drop" => false,
        "keep" => true,
        other => {
            return Err(args.err(format!(
                "onEmpty must be \"drop\" or \"keep\", got {other:?}"
            )))
        }
    };
    if let NodeKind::Read {
        bucket,
        bounds,
        plan,
    } = &input.kind
    {
        if !keep_empty {
            if let Some(p) = closure_predicate(&f, args.interp) {
                let mut plan = plan.clone();
                plan.predicate = Predicate::and(plan.predicate, p);
                return Ok(Value::Tables(Arc::new(Node {
                    kind: NodeKind::Read {
                        bucket: bucket.clone(),
                        bounds: *bounds,
                        plan,
                    },
                    span: input.span,
                })));
            }
        }
    }
    let span = args.span;
    let op = table_fn(move |tables, ctx| filter_tables(tables, &f, keep_empty, span, ctx));
    Ok(op_node("filter", op, input, args.span))
}

/// Registers the structural transformations.
pub fn register(reg: &mut Registry) {
    register_join(reg);
    register_find(reg);
    reg.register("range", Some("tables"), range_builtin);
    reg.register("filter", Some("tables"), filter_builtin);
    reg.register("yield", Some("tables"), |args| {
        let input = args.tables()?;
        let name = args.string_or("name", DEFAULT_RESULT_NAME)?;
        let node = Arc::new(Node {
            kind: NodeKind::Yield {
                name: name.clone(),
                input,
            },
            span: args.span,
        });
        args.interp.add_yield(name, node.clone());
        Ok(Value::Tables(node))
    });
    reg.transform("map", |args| {
        let f = args.function("fn")?;
        args.ignore("mergeKey");
        let span = args.span;
        Ok(table_fn(move |t, ctx| map_tables(t, &f, span, ctx)))
    });
    for (name, is_keep) in [("keep", true), ("drop", false)] {
        reg.transform(name, move |args| {
            let cols = args.opt_strings("columns")?;
            let f = args.opt_function("fn")?;
            match (cols, f) {
                (Some(cols), None) => Ok(table_fn(move |t, _| {
                    project(t, &|l| Ok(cols.iter().any(|c| c == l) == is_keep))
                })),
                (None, Some(f)) => Ok(table_fn(move |t, ctx| {
                    let mut decisions = std::collections::HashMap::new();
                    for tb in &t {
                        for c in &tb.meta.columns {
                            if !decisions.contains_key(&c.label) {
                                let v = column_fn(&f, ctx, &c.label)?;
                                decisions.insert(c.label.clone(), v == Value::Bool(true));
                            }
                        }
                    }
                    project(t, &|l| {
                        Ok(decisions.get(l).copied().unwrap_or(false) == is_keep)
                    })
                })),
                _ => Err(args.err("specify exactly one of columns or fn")),
            }
        });
    }
    reg.transform("rename", |args| {
        let cols = args.opt_record("columns")?;
        let f = args.opt_function("fn")?;
        match (cols, f) {
            (Some(cols), None) => {
                let mut map = Vec::new();
                for (k, v) in &cols.fields {
                    match v {
                        Value::String(s) => map.push((k.to_string(), s.to_string())),
                        other => {
                            return Err(args.err(format!(
                                "columns values must be strings, got {}",
                                other.type_name()
                            )))
                        }
                    }
                }
                Ok(table_fn(move |t, _| {
                    rename_tables(t, &|l| {
                        Ok(map
                            .iter()
                            .find(|(k, _)| k == l)
                            .map_or_else(|| l.to_string(), |(_, v)| v.clone()))
                    })
                }))
            }
            (None, Some(f)) => Ok(table_fn(move |t, ctx| {
                let mut names = std::collections::HashMap::new();
                for tb in &t {
                    for c in &tb.meta.columns {
                        if !names.contains_key(&c.label) {
                            match column_fn(&f, ctx, &c.label)? {
                                Value::String(s) => {
                                    names.insert(c.label.clone(), s.to_string());
                                }
                                other => {
                                    return Err(format!(
                                        "fn must return a string, got {}",
                                        other.type_name()
                                    ))
                                }
                            }
                        }
                    }
                }
                rename_tables(t, &|l| {
                    Ok(names.get(l).cloned().unwrap_or_else(|| l.to_string()))
                })
            })),
            _ => Err(args.err("specify exactly one of columns or fn")),
        }
    });
    reg.transform("group", |args| {
        let cols = args.strings_or("columns", &[])?;
        let mode = args.string_or("mode", "by")?;
        let except = match mode.as_str() {
            "by" => false,
            "except" => true,
            other => return Err(args.err(format!("invalid mode {other:?}"))),
        };
        Ok(table_fn(move |t, _| {
            // Key columns in table column order; output tables in group-key order.
            let key = |m: &TableMeta| -> Vec<usize> {
                m.columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| cols.contains(&c.label) != except)
                    .map(|(i, _)| i)
                    .collect()
            };
            regroup(t, &key, true)
        }))
    });
    reg.transform("sort", |args| {
        let cols = args.strings_or("columns", &["_value"])?;
        let desc = args.bool_or("desc", false)?;
        Ok(table_fn(move |t, _| sort_tables(t, &cols, desc)))
    });
    for (name, tail) in [("limit", false), ("tail", true)] {
        reg.transform(name, move |args| {
            let n = args.int("n")?;
            let offset = args.int_or("offset", 0)?;
            let (Ok(n), Ok(offset)) = (usize::try_from(n), usize::try_from(offset)) else {
                return Err(args.err("n and offset must not be negative"));
            };
            Ok(table_fn(move |t, _| Ok(limit_tables(t, n, offset, tail))))
        });
    }
    reg.transform("set", |args| {
        let key = args.string("key")?;
        let value = args.string("value")?;
        Ok(table_fn(move |t, _| set_tables(t, &key, &value)))
    });
    reg.transform("duplicate", |args| {
        let column = args.string("column")?;
        let as_ = args.string("as")?;
        Ok(table_fn(move |t, _| duplicate_tables(t, &column, &as_)))
    });
    reg.transform("fill", |args| {
        let column = args.string_or("column", "_value")?;
        let value = args.take("value");
        let use_previous = args.bool_or("usePrevious", false)?;
        if value.is_some() == use_previous {
            return Err(args.err("specify exactly one of value or usePrevious"));
        }
        Ok(table_fn(move |t, _| {
            fill_tables(t, &column, value.as_ref(), use_previous)
        }))
    });
    reg.transform("pivot", |args| {
        let row_key = args
            .opt_strings("rowKey")?
            .ok_or_else(|| args.err("missing required argument \"rowKey\""))?;
        let column_key = args
            .opt_strings("columnKey")?
            .ok_or_else(|| args.err("missing required argument \"columnKey\""))?;
        let value_column = args.string("valueColumn")?;
        Ok(table_fn(move |t, _| {
            pivot_tables(t, &row_key, &column_key, &value_column)
        }))
    });
    for pkg in ["influxdata/influxdb/schema", "influxdata/influxdb/v1"] {
        reg.register_in(pkg, "fieldsAsCols", Some("tables"), |args| {
            let input = args.tables()?;
            let op = table_fn(|t, _| {
                pivot_tables(t, &["_time".to_string()], &["_field".to_string()], "_value")
            });
            Ok(op_node("fieldsAsCols", op, input, args.span))
        });
    }
    for (name, kind) in [
        ("toFloat", "float"),
        ("toInt", "int"),
        ("toUInt", "uint"),
        ("toString", "string"),
        ("toBool", "bool"),
        ("toTime", "time"),
    ] {
        reg.transform(name, move |_| {
            Ok(table_fn(move |t, _| convert_column(t, kind)))
        });
    }
    reg.register("union", None, |args| {
        let Some(Value::Array(items)) = args.take("tables") else {
            return Err(args.err("missing required argument \"tables\" (an array of streams)"));
        };
        let mut inputs = Vec::with_capacity(items.len());
        for v in items.iter() {
            match v {
                Value::Tables(n) => inputs.push(n.clone()),
                other => {
                    return Err(args.err(format!(
                        "tables must be streams of tables, got {}",
                        other.type_name()
                    )))
                }
            }
        }
        if inputs.len() < 2 {
            return Err(args.err("union needs at least 2 streams"));
        }
        Ok(Value::Tables(Arc::new(Node {
            kind: NodeKind::Multi {
                name: "union".to_string(),
                op: Arc::new(|inputs, _| Ok(inputs.into_iter().flatten().collect())),
                inputs,
            },
            span: args.span,
        })))
    });
}

// ---------------------------------------------------------------------------------------------
// join (classic `join(tables: {a: A, b: B}, on: [...], method: "inner")`)

/// Inner join on equal, non-null `on` values (hash join). Output: the `on` columns, then the
/// other columns of each side, suffixed `_<name>` when the label exists on both sides; the group
/// key is the union of both rows' keys (renamed the same way).
fn join_tables(
    names: &[String; 2],
    sides: [Vec<TableChunk>; 2],
    on: &[String],
    max_rows: usize,
) -> R2 {
    use std::collections::HashMap;
    let [left, right] = sides;
    let all_labels = |ts: &[TableChunk]| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in ts {
            for c in &t.meta.columns {
                if !out.contains(&c.label) {
                    out.push(c.label.clone());
                }
            }
        }
        out
    };
    let (ll, rl) = (all_labels(&left), all_labels(&right));
    let out_label = |label: &str, side: usize| -> String {
        if on.iter().any(|o| o == label) {
            return label.to_string();
        }
        let other = if side == 0 { &rl } else { &ll };
        if other.iter().any(|l| l == label) {
            format!("{label}_{}", names[side])
        } else {
            label.to_string()
        }
    };
    let on_key = |t: &TableChunk, row: usize| -> Option<String> {
        let mut k = String::new();
        for o in on {
            let v = t
                .meta
                .column_index(o)
                .and_then(|i| t.columns.get(i))?
                .get(row)?;
            k.push_str(&format!("{v:?}\u{1}"));
        }
        Some(k)
    };
    let mut index: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (ti, t) in right.iter().enumerate() {
        for row in 0..t.rows() {
            if let Some(k) = on_key(t, row) {
                index.entry(k).or_default().push((ti, row));
            }
        }
    }
    let mut b = Builder::new();
    let mut produced = 0usize;
    for lt in &left {
        for lrow in 0..lt.rows() {
            let Some(k) = on_key(lt, lrow) else { continue };
            let Some(matches) = index.get(&k) else {
                continue;
            };
            for &(rti, rrow) in matches {
                let Some(rt) = right.get(rti) else { continue };
                produced += 1;
                if produced > max_rows {
                    return Err(format!("join produced more than {max_rows} rows"));
                }
                let mut key = Vec::new();
                let mut cells: Vec<(String, ColumnType, Option<Cell>)> = Vec::new();
                for o in on {
                    if let Some(i) = lt.meta.column_index(o) {
                        let (Some(m), Some(c)) = (lt.meta.columns.get(i), lt.columns.get(i)) else {
                            continue;
                        };
                        cells.push((o.clone(), m.ty, c.get(lrow)));
                    }
                }
                for (side, t, row) in [(0usize, lt, lrow), (1, rt, rrow)] {
                    for (m, c) in t.meta.columns.iter().zip(&t.columns) {
                        let label = out_label(&m.label, side);
                        let v = c.get(row);
                        if m.group && !key.iter().any(|(l, _): &(String, _)| *l == label) {
                            key.push((label.clone(), v.clone()));
                        }
                        if !cells.iter().any(|(l, _, _)| *l == label) {
                            cells.push((label, m.ty, v));
                        }
                    }
                }
                let ti = b.table(&key);
                let mut row_cells = Vec::with_capacity(cells.len());
                for (label, ty, v) in cells {
                    row_cells.push((b.column(ti, &label, Some(ty))?, v));
                }
                b.push_row(ti, row_cells)?;
            }
        }
    }
    Ok(b.finish())
}

/// Maximum rows a join may produce.
const MAX_JOIN_ROWS: usize = 10_000_000;

fn register_join(reg: &mut Registry) {
    reg.register("join", Some("tables"), |args| {
        let Some(Value::Record(tables)) = args.take("tables") else {
            return Err(args.err("tables must be a record of two streams, e.g. {a: a, b: b}"));
        };
        let on = args
            .opt_strings("on")?
            .ok_or_else(|| args.err("missing required argument \"on\""))?;
        let method = args.string_or("method", "inner")?;
        if method != "inner" {
            return Err(args.err(format!("method {method:?} is not supported")));
        }
        let [(n0, Value::Tables(a)), (n1, Value::Tables(b))] = tables.fields.as_slice() else {
            return Err(args.err("tables must be a record of exactly two streams"));
        };
        let names = [n0.to_string(), n1.to_string()];
        Ok(Value::Tables(Arc::new(Node {
            kind: NodeKind::Multi {
                name: "join".to_string(),
                op: Arc::new(move |mut inputs, _| {
                    let right = inputs.pop().unwrap_or_default();
                    let left = inputs.pop().unwrap_or_default();
                    join_tables(&names, [left, right], &on, MAX_JOIN_ROWS)
                }),
                inputs: vec![a.clone(), b.clone()],
            },
            span: args.span,
        })))
    });
}

// ---------------------------------------------------------------------------------------------
// tableFind / getColumn / getRecord / findColumn / findRecord

fn reads_storage(n: &Node, depth: usize) -> bool {
    if depth > 512 {
        return true;
    }
    match &n.kind {
        NodeKind::Read { .. } => true,
        NodeKind::Literal(_) => false,
        NodeKind::Yield { input, .. } => reads_storage(input, depth + 1),
        NodeKind::Op { inputs, .. } | NodeKind::Multi { inputs, .. } => {
            inputs.iter().any(|i| reads_storage(i, depth + 1))
        }
    }
}

/// Executes a stream eagerly during evaluation (only for streams that read no storage).
fn eager(args: &mut Args<'_>, node: &Arc<Node>) -> R<Vec<TableChunk>> {
    if reads_storage(node, 0) {
        return Err(args.err("over storage reads is not supported yet"));
    }
    let source = super::tables::EmptySource;
    let mut ctx = ExecCtx::new(&source, args.interp);
    super::tables::execute(node, &mut ctx)
}

fn find_table(args: &mut Args<'_>) -> R<Option<TableChunk>> {
    let input = args.tables()?;
    let f = args.function("fn")?;
    let tables = eager(args, &input)?;
    let param = first_param(&f).unwrap_or_else(|| Arc::from("key"));
    for t in tables {
        let key = group_key(&t);
        let rec = Value::Record(Arc::new(Record {
            fields: key
                .iter()
                .map(|(l, v)| (Arc::from(l.as_str()), Value::from_cell(v.as_ref())))
                .collect(),
            package: None,
        }));
        let span = args.span;
        if args
            .interp
            .call(&f, vec![(param.clone(), rec)], None, span)?
            == Value::Bool(true)
        {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

fn table_column(args: &Args<'_>, t: &TableChunk, column: &str) -> R<Value> {
    let i = t
        .meta
        .column_index(column)
        .ok_or_else(|| args.err(format!("cannot find column \"{column}\"")))?;
    let values = (0..t.rows())
        .map(|r| Value::from_cell(t.columns.get(i).and_then(|c| c.get(r)).as_ref()))
        .collect();
    Ok(Value::Array(Arc::new(values)))
}

fn table_record(args: &Args<'_>, t: &TableChunk, idx: i64) -> R<Value> {
    let row = usize::try_from(idx)
        .ok()
        .filter(|&r| r < t.rows())
        .ok_or_else(|| args.err(format!("index {idx} out of bounds ({} rows)", t.rows())))?;
    Ok(row_record(t, &labels(t), row))
}

fn single_table(args: &mut Args<'_>) -> R<TableChunk> {
    let input = args.tables_arg("table")?;
    let mut tables = eager(args, &input)?;
    if tables.len() != 1 {
        return Err(args.err(format!("expected one table, got {}", tables.len())));
    }
    tables.pop().ok_or_else(|| args.err("expected one table"))
}

fn register_find(reg: &mut Registry) {
    reg.register("tableFind", Some("tables"), |args| {
        let span = args.span;
        let t = find_table(args)?.ok_or_else(|| args.err("no table found"))?;
        Ok(Value::Tables(Arc::new(Node {
            kind: NodeKind::Literal(Arc::new(vec![t])),
            span,
        })))
    });
    reg.register("getColumn", Some("table"), |args| {
        let column = args.string("column")?;
        let t = single_table(args)?;
        table_column(args, &t, &column)
    });
    reg.register("getRecord", Some("table"), |args| {
        let idx = args.int("idx")?;
        let t = single_table(args)?;
        table_record(args, &t, idx)
    });
    reg.register("findColumn", Some("tables"), |args| {
        let column = args.string("column")?;
        match find_table(args)? {
            Some(t) => table_column(args, &t, &column),
            None => Ok(Value::Array(Arc::new(Vec::new()))),
        }
    });
    reg.register("findRecord", Some("tables"), |args| {
        let idx = args.int("idx")?;
        match find_table(args)? {
            Some(t) => table_record(args, &t, idx),
            None => Ok(Value::Record(Arc::new(Record::default()))),
        }
    });
}
