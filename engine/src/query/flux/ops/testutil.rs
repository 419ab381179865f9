//! Test helpers: a minimal annotated-CSV reader (to paste the upstream Flux test tables
//! verbatim), a `range()` stand-in, and a `testing.diff` stand-in.
//!
//! Invariants: test-only; the reader handles the subset of annotated CSV the upstream
//! `*_test.flux` files use (no quoted commas), and panics on malformed input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use crate::query::table::{ColumnData, ColumnMeta, ColumnType, TableChunk, TableMeta, Value};

use super::duration::FluxDuration;

/// RFC 3339 time to nanoseconds.
pub(crate) fn ts(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad time {s:?}: {e}"))
        .timestamp_nanos_opt()
        .unwrap()
}

/// Flux duration literal (`1mo`, `30s`, `-2h`, `1m30s`, `inf`).
pub(crate) fn dur(s: &str) -> FluxDuration {
    if s == "inf" {
        return FluxDuration::INF;
    }
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let mut d = FluxDuration::ZERO;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap();
        let n: i64 = rest[..digits].parse().unwrap();
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        match unit {
            "y" => d.months += 12 * n,
            "mo" => d.months += n,
            "w" => d.nanos += n * 7 * 86_400_000_000_000,
            "d" => d.nanos += n * 86_400_000_000_000,
            "h" => d.nanos += n * 3_600_000_000_000,
            "m" => d.nanos += n * 60_000_000_000,
            "s" => d.nanos += n * 1_000_000_000,
            "ms" => d.nanos += n * 1_000_000,
            "us" => d.nanos += n * 1_000,
            "ns" => d.nanos += n,
            other => panic!("unit {other}"),
        }
    }
    d.negative = neg;
    d
}

fn parse_cell(ty: ColumnType, s: &str) -> Option<Value> {
    if s.is_empty() {
        return None;
    }
    Some(match ty {
        ColumnType::String => Value::String(s.to_string()),
        ColumnType::Long => Value::Long(s.parse().unwrap()),
        ColumnType::UnsignedLong => Value::UnsignedLong(s.parse().unwrap()),
        ColumnType::Double => Value::Double(s.parse().unwrap()),
        ColumnType::Boolean => Value::Boolean(s == "true"),
        ColumnType::DateTime => Value::DateTime(ts(s)),
    })
}

fn push(col: &mut ColumnData, v: Option<Value>) {
    match (col, v) {
        (ColumnData::String(c), Some(Value::String(x))) => c.push(Some(x)),
        (ColumnData::Long(c), Some(Value::Long(x))) => c.push(Some(x)),
        (ColumnData::UnsignedLong(c), Some(Value::UnsignedLong(x))) => c.push(Some(x)),
        (ColumnData::Double(c), Some(Value::Double(x))) => c.push(Some(x)),
        (ColumnData::Boolean(c), Some(Value::Boolean(x))) => c.push(Some(x)),
        (ColumnData::DateTime(c), Some(Value::DateTime(x))) => c.push(Some(x)),
        (c, None) => super::push_nulls(c, 1),
        (c, v) => panic!("type mismatch {c:?} {v:?}"),
    }
}

/// Builds a table from column specs `(label, type, group)` and rows of cells.
pub(crate) fn table(cols: &[(&str, ColumnType, bool)], rows: &[Vec<Option<Value>>]) -> TableChunk {
    let metas: Vec<ColumnMeta> = cols
        .iter()
        .map(|(l, t, g)| ColumnMeta::new(*l, *t, *g))
        .collect();
    let mut data: Vec<ColumnData> = cols.iter().map(|c| ColumnData::empty(c.1)).collect();
    for r in rows {
        for (d, v) in data.iter_mut().zip(r) {
            push(d, v.clone());
        }
    }
    let keys = metas
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if m.group {
                rows.first().and_then(|r| r[i].clone())
            } else {
                None
            }
        })
        .collect();
    TableChunk {
        meta: Arc::new(TableMeta::new(metas, keys)),
        columns: data,
    }
}

/// Parses annotated CSV (with `#datatype`, `#group`, optional `#default`) into tables.
pub(crate) fn csv(text: &str) -> Vec<TableChunk> {
    let mut out = Vec::new();
    let mut types: Vec<ColumnType> = Vec::new();
    let mut groups: Vec<bool> = Vec::new();
    let mut defaults: Vec<String> = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut current: Option<(String, Vec<Vec<Option<Value>>>)> = None;
    let flush = |header: &Option<Vec<String>>,
                 types: &[ColumnType],
                 groups: &[bool],
                 cur: &mut Option<(String, Vec<Vec<Option<Value>>>)>,
                 out: &mut Vec<TableChunk>| {
        if let (Some(h), Some((_, rows))) = (header, cur.take()) {
            let cols: Vec<(&str, ColumnType, bool)> = h
                .iter()
                .enumerate()
                .skip(3)
                .map(|(i, l)| (l.as_str(), types[i], groups[i]))
                .collect();
            out.push(table(&cols, &rows));
        }
    };
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').collect();
        match cells[0] {
            "#datatype" => {
                flush(&header, &types, &groups, &mut current, &mut out);
                header = None;
                defaults.clear();
                types = cells
                    .iter()
                    .map(|c| match *c {
                        "long" => ColumnType::Long,
                        "unsignedLong" => ColumnType::UnsignedLong,
                        "double" => ColumnType::Double,
                        "boolean" => ColumnType::Boolean,
                        "dateTime:RFC3339" | "dateTime:RFC3339Nano" => ColumnType::DateTime,
                        _ => ColumnType::String,
                    })
                    .collect();
            }
            "#group" => groups = cells.iter().map(|c| *c == "true").collect(),
            "#default" => defaults = cells.iter().map(|c| c.to_string()).collect(),
            _ if header.is_none() => header = Some(cells.iter().map(|c| c.to_string()).collect()),
            _ => {
                let id = cells[2].to_string();
                if current.as_ref().is_some_and(|(cid, _)| *cid != id) {
                    flush(&header, &types, &groups, &mut current, &mut out);
                }
                let row: Vec<Option<Value>> = (3..cells.len())
                    .map(|i| {
                        let mut s = cells[i];
                        if s.is_empty() {
                            if let Some(d) = defaults.get(i) {
                                s = d.as_str();
                            }
                        }
                        parse_cell(types[i], s)
                    })
                    .collect();
                current.get_or_insert_with(|| (id, Vec::new())).1.push(row);
            }
        }
    }
    flush(&header, &types, &groups, &mut current, &mut out);
    out
}

/// `range(start, stop)`: keeps rows with `start <= _time < stop` and sets `_start`/`_stop`
/// (group columns, added at the front when missing).
pub(crate) fn range(tables: &[TableChunk], start: i64, stop: i64) -> Vec<TableChunk> {
    tables
        .iter()
        .map(|t| {
            let ti = t.meta.column_index("_time").unwrap();
            let ColumnData::DateTime(times) = &t.columns[ti] else {
                panic!("_time type")
            };
            let rows: Vec<usize> = (0..t.rows())
                .filter(|&r| times[r].is_some_and(|x| x >= start && x < stop))
                .collect();
            let mut cols = Vec::new();
            let mut keys = Vec::new();
            let mut data = Vec::new();
            for (label, v) in [("_start", start), ("_stop", stop)] {
                cols.push(ColumnMeta::new(label, ColumnType::DateTime, true));
                keys.push(Some(Value::DateTime(v)));
                data.push(ColumnData::DateTime(vec![Some(v); rows.len()]));
            }
            for (i, c) in t.meta.columns.iter().enumerate() {
                if c.label == "_start" || c.label == "_stop" {
                    continue;
                }
                cols.push(c.clone());
                keys.push(t.meta.key_values[i].clone());
                data.push(super::take(&t.columns[i], &rows));
            }
            TableChunk {
                meta: Arc::new(TableMeta::new(cols, keys)),
                columns: data,
            }
        })
        .collect()
}

fn key_of(t: &TableChunk) -> Vec<(String, Option<Value>)> {
    let mut k: Vec<(String, Option<Value>)> = t
        .meta
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.group)
        .map(|(i, c)| (c.label.clone(), t.meta.key_values[i].clone()))
        .collect();
    k.sort_by(|a, b| a.0.cmp(&b.0));
    k
}

fn cell_eq(a: &Option<Value>, b: &Option<Value>) -> bool {
    match (a, b) {
        (Some(Value::Double(x)), Some(Value::Double(y))) => {
            (x - y).abs() <= 1e-6 || (x.is_nan() && y.is_nan())
        }
        _ => a == b,
    }
}

/// `testing.diff` semantics: tables matched by group key (empty tables ignored), columns by
/// label (missing = null, types must agree), rows in order, floats within 1e-6.
pub(crate) fn diff(got: &[TableChunk], want: &[TableChunk]) -> Result<(), String> {
    let got: Vec<&TableChunk> = got.iter().filter(|t| t.rows() > 0).collect();
    let want: Vec<&TableChunk> = want.iter().filter(|t| t.rows() > 0).collect();
    for t in got.iter().chain(&want) {
        t.validate()?;
    }
    if got.len() != want.len() {
        return Err(format!(
            "table count: got {} want {}\ngot keys: {:?}\nwant keys: {:?}",
            got.len(),
            want.len(),
            got.iter().map(|t| key_of(t)).collect::<Vec<_>>(),
            want.iter().map(|t| key_of(t)).collect::<Vec<_>>()
        ));
    }
    for w in &want {
        let wk = key_of(w);
        let Some(g) = got.iter().find(|g| key_of(g) == wk) else {
            return Err(format!(
                "no got table with key {wk:?}; got keys {:?}",
                got.iter().map(|t| key_of(t)).collect::<Vec<_>>()
            ));
        };
        if g.rows() != w.rows() {
            return Err(format!(
                "key {wk:?}: got {} rows want {}\ngot {g:?}",
                g.rows(),
                w.rows()
            ));
        }
        let mut labels: Vec<&str> = w.meta.columns.iter().map(|c| c.label.as_str()).collect();
        for c in &g.meta.columns {
            if !labels.contains(&c.label.as_str()) {
                labels.push(&c.label);
            }
        }
        for l in labels {
            let gi = g.meta.column_index(l);
            let wi = w.meta.column_index(l);
            if let (Some(gi), Some(wi)) = (gi, wi) {
                if g.meta.columns[gi].ty != w.meta.columns[wi].ty {
                    return Err(format!("key {wk:?}: column {l} type differs"));
                }
            }
            for r in 0..w.rows() {
                let gv = gi.and_then(|i| g.columns[i].get(r));
                let wv = wi.and_then(|i| w.columns[i].get(r));
                if !cell_eq(&gv, &wv) {
                    return Err(format!(
                        "key {wk:?}: row {r} column {l}: got {gv:?} want {wv:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}
