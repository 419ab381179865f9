//! Turning merged read chunks into Flux tables: the columns `from |> range |> filter` yields.
//!
//! Each (series, field) becomes one table with the columns
//! `_start, _stop, _time, _value, _field, _measurement, <tags sorted by key>`; the group key is
//! every column except `_time` and `_value` (InfluxDB's storage read, e.g.
//! `,result,table,_start,_stop,_time,_value,_field,_measurement,host`).
//!
//! Invariant: table schemas are built once per table (on its first chunk) and shared by `Arc`.

use std::sync::Arc;

use crate::line_protocol as lp;
use crate::shard::query::{ChunkValues, ReadChunk};

use super::table::{ColumnData, ColumnMeta, ColumnType, TableChunk, TableMeta, Value};

/// Builds tables for one read with a fixed `[start, stop)`.
#[derive(Debug)]
pub struct RawTables {
    start: i64,
    stop: i64,
    current: Option<Arc<TableMeta>>,
    group_strings: Vec<String>,
}

impl RawTables {
    /// Tables for a read of `[start, stop)`.
    pub fn new(start: i64, stop: i64) -> Self {
        RawTables {
            start,
            stop,
            current: None,
            group_strings: Vec::new(),
        }
    }

    /// Converts a chunk; the flag is true when the chunk starts a new table.
    pub fn convert(&mut self, chunk: ReadChunk) -> (TableChunk, bool) {
        let new_table = chunk.first || self.current.is_none();
        if new_table {
            let value_ty = match &chunk.values {
                ChunkValues::Float(_) => ColumnType::Double,
                ChunkValues::Integer(_) => ColumnType::Long,
                ChunkValues::UInteger(_) => ColumnType::UnsignedLong,
                ChunkValues::Boolean(_) => ColumnType::Boolean,
                ChunkValues::String(_) => ColumnType::String,
            };
            let (meta, strings) = series_meta(
                &chunk.key,
                &chunk.field,
                value_ty,
                self.start,
                self.stop,
                true,
            );
            self.current = Some(meta);
            self.group_strings = strings;
        }
        let meta = self
            .current
            .clone()
            .unwrap_or_else(|| Arc::new(TableMeta::new(Vec::new(), Vec::new())));
        let rows = chunk.times.len();
        let mut cols = Vec::with_capacity(meta.columns.len());
        cols.push(ColumnData::DateTime(vec![Some(self.start); rows]));
        cols.push(ColumnData::DateTime(vec![Some(self.stop); rows]));
        cols.push(ColumnData::DateTime(
            chunk.times.into_iter().map(Some).collect(),
        ));
        cols.push(match chunk.values {
            ChunkValues::Float(v) => ColumnData::Double(v.into_iter().map(Some).collect()),
            ChunkValues::Integer(v) => ColumnData::Long(v.into_iter().map(Some).collect()),
            ChunkValues::UInteger(v) => ColumnData::UnsignedLong(v.into_iter().map(Some).collect()),
            ChunkValues::Boolean(v) => ColumnData::Boolean(v.into_iter().map(Some).collect()),
            ChunkValues::String(v) => ColumnData::String(v.into_iter().map(Some).collect()),
        });
        for s in &self.group_strings {
            cols.push(ColumnData::String(vec![Some(s.clone()); rows]));
        }
        (
            TableChunk {
                meta,
                columns: cols,
            },
            new_table,
        )
    }
}

/// The schema of a series table for `(key, field)` read over `[start, stop)`, and the string
/// group-key values (`_field`, `_measurement`, then tag values by sorted tag key).
///
/// With `with_time`: `_start,_stop,_time,_value,_field,_measurement,<tags>` (a storage read).
/// Without: `_start,_stop,_field,_measurement,<tags>,_value` (an aggregate's output: the group
/// key, then the value).
pub fn series_meta(
    key: &[u8],
    field: &[u8],
    value_ty: ColumnType,
    start: i64,
    stop: i64,
    with_time: bool,
) -> (Arc<TableMeta>, Vec<String>) {
    let parts = lp::parse_series_key(key);
    let measurement = String::from_utf8_lossy(&parts.measurement()).into_owned();
    let mut tags: Vec<(String, String)> = parts
        .tags()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    tags.sort();
    let field = String::from_utf8_lossy(field).into_owned();
    let mut columns = vec![
        ColumnMeta::new("_start", ColumnType::DateTime, true),
        ColumnMeta::new("_stop", ColumnType::DateTime, true),
    ];
    let mut keys = vec![Some(Value::DateTime(start)), Some(Value::DateTime(stop))];
    if with_time {
        columns.push(ColumnMeta::new("_time", ColumnType::DateTime, false));
        columns.push(ColumnMeta::new("_value", value_ty, false));
        keys.extend([None, None]);
    }
    columns.push(ColumnMeta::new("_field", ColumnType::String, true));
    columns.push(ColumnMeta::new("_measurement", ColumnType::String, true));
    keys.push(Some(Value::String(field.clone())));
    keys.push(Some(Value::String(measurement.clone())));
    let mut strings = vec![field, measurement];
    for (k, v) in tags {
        columns.push(ColumnMeta::new(k, ColumnType::String, true));
        keys.push(Some(Value::String(v.clone())));
        strings.push(v);
    }
    if !with_time {
        columns.push(ColumnMeta::new("_value", value_ty, false));
        keys.push(None);
    }
    (Arc::new(TableMeta::new(columns, keys)), strings)
}
