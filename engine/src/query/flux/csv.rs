//! Annotated CSV decoding (`csv.from(csv:)`): text to whole tables.
//!
//! Rules (Flux's annotated CSV dialect):
//! - `#datatype`, `#group` and `#default` annotation rows describe the columns of the block that
//!   follows; the first non-annotation row is the header; a blank line (or a new annotation row
//!   after data) starts a new block.
//! - The first column is the annotation column; the `result` and `table` columns are not table
//!   columns. A change of the `table` value starts a new table.
//! - An empty cell is null unless `#default` gives the column a value.
//! - Group-key values are taken from a table's first row.
//!
//! Invariants: never panics on malformed input (every problem is an error naming the line);
//! output tables satisfy [`TableChunk::validate`].

use std::sync::Arc;

use crate::query::table::{ColumnMeta, ColumnType, TableChunk, TableMeta, Value as Cell};

use super::tables::column_from_cells;

/// Splits CSV text into records (RFC 4180 quoting); each record carries its 1-based line.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut rec: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1usize;
    let mut rec_line = 1usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            ',' => rec.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                rec.push(std::mem::take(&mut field));
                out.push((rec_line, std::mem::take(&mut rec)));
                line += 1;
                rec_line = line;
            }
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!("line {rec_line}: unterminated quoted field"));
    }
    if !field.is_empty() || !rec.is_empty() {
        rec.push(field);
        out.push((rec_line, rec));
    }
    Ok(out)
}

fn is_blank(rec: &[String]) -> bool {
    rec.iter().all(|f| f.trim().is_empty())
}

fn parse_type(s: &str) -> Result<ColumnType, String> {
    Ok(match s.trim() {
        "string" => ColumnType::String,
        "long" => ColumnType::Long,
        "unsignedLong" => ColumnType::UnsignedLong,
        "double" => ColumnType::Double,
        "boolean" => ColumnType::Boolean,
        "dateTime" | "dateTime:RFC3339" | "dateTime:RFC3339Nano" => ColumnType::DateTime,
        other => return Err(format!("unsupported #datatype {other:?}")),
    })
}

/// Parses one cell of a type.
pub fn parse_cell(ty: ColumnType, s: &str) -> Result<Cell, String> {
    let bad = || format!("invalid {} value {s:?}", ty.datatype_name());
    Ok(match ty {
        ColumnType::String => Cell::String(s.to_string()),
        ColumnType::Long => Cell::Long(s.trim().parse().map_err(|_| bad())?),
        ColumnType::UnsignedLong => Cell::UnsignedLong(s.trim().parse().map_err(|_| bad())?),
        ColumnType::Double => Cell::Double(match s.trim() {
            "NaN" => f64::NAN,
            "+Inf" | "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            t => t.parse().map_err(|_| bad())?,
        }),
        ColumnType::Boolean => Cell::Boolean(match s.trim() {
            "true" => true,
            "false" => false,
            _ => return Err(bad()),
        }),
        ColumnType::DateTime => Cell::DateTime(
            chrono::DateTime::parse_from_rfc3339(s.trim())
                .ok()
                .and_then(|d| d.timestamp_nanos_opt())
                .ok_or_else(bad)?,
        ),
    })
}

#[derive(Default)]
struct Block {
    types: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    defaults: Option<Vec<String>>,
    header: Option<Vec<String>>,
}

struct Current {
    table_id: String,
    rows: Vec<Vec<Option<Cell>>>,
}

/// Decodes annotated CSV into tables.
pub fn decode(text: &str) -> Result<Vec<TableChunk>, String> {
    let mut out = Vec::new();
    let mut block = Block::default();
    let mut cols: Vec<(usize, ColumnMeta, Option<String>)> = Vec::new();
    let mut table_col: Option<usize> = None;
    let mut cur: Option<Current> = None;
    for (line, rec) in records(text)? {
        if is_blank(&rec) {
            // A blank line ends the current table; data rows may continue under the same
            // header, while a new annotation row starts a new block.
            flush(&mut cur, &cols, &mut out);
            continue;
        }
        let first = rec.first().map(String::as_str).unwrap_or("");
        if first.starts_with('#') {
            if block.header.is_some() {
                flush(&mut cur, &cols, &mut out);
                block = Block::default();
            }
            let rest = rec.get(1..).unwrap_or_default().to_vec();
            match first {
                "#datatype" => block.types = Some(rest),
                "#group" => block.groups = Some(rest),
                "#default" => block.defaults = Some(rest),
                _ => {}
            }
            continue;
        }
        let fields = rec.get(1..).unwrap_or_default();
        let Some(header) = &block.header else {
            let header = fields.to_vec();
            let Some(types) = &block.types else {
                return Err(format!("line {line}: missing #datatype annotation"));
            };
            if types.len() < header.len() {
                return Err(format!(
                    "line {line}: #datatype has fewer columns than the header"
                ));
            }
            cols.clear();
            table_col = None;
            for (i, label) in header.iter().enumerate() {
                match label.as_str() {
                    "result" => continue,
                    "table" => {
                        table_col = Some(i);
                        continue;
                    }
                    _ => {}
                }
                let ty = parse_type(types.get(i).map_or("", String::as_str))
                    .map_err(|e| format!("line {line}: {e}"))?;
                let group = block
                    .groups
                    .as_ref()
                    .and_then(|g| g.get(i))
                    .is_some_and(|g| g.trim() == "true");
                let default = block
                    .defaults
                    .as_ref()
                    .and_then(|d| d.get(i))
                    .filter(|d| !d.is_empty())
                    .cloned();
                cols.push((i, ColumnMeta::new(label.clone(), ty, group), default));
            }
            block.header = Some(header);
            continue;
        };
        let _ = header;
        let table_id = table_col
            .and_then(|i| fields.get(i))
            .cloned()
            .unwrap_or_default();
        if cur.as_ref().is_some_and(|c| c.table_id != table_id) {
            flush(&mut cur, &cols, &mut out);
        }
        let mut row = Vec::with_capacity(cols.len());
        for (i, meta, default) in &cols {
            let raw = fields.get(*i).map_or("", String::as_str);
            let raw = if raw.is_empty() {
                default.as_deref().unwrap_or("")
            } else {
                raw
            };
            if raw.is_empty() {
                row.push(None);
            } else {
                row.push(Some(parse_cell(meta.ty, raw).map_err(|e| {
                    format!("line {line}: column {:?}: {e}", meta.label)
                })?));
            }
        }
        cur.get_or_insert_with(|| Current {
            table_id,
            rows: Vec::new(),
        })
        .rows
        .push(row);
    }
    flush(&mut cur, &cols, &mut out);
    Ok(out)
}

fn flush(
    cur: &mut Option<Current>,
    cols: &[(usize, ColumnMeta, Option<String>)],
    out: &mut Vec<TableChunk>,
) {
    let Some(c) = cur.take() else { return };
    let metas: Vec<ColumnMeta> = cols.iter().map(|(_, m, _)| m.clone()).collect();
    let keys = metas
        .iter()
        .enumerate()
        .map(|(j, m)| {
            if m.group {
                c.rows.first().and_then(|r| r.get(j).cloned().flatten())
            } else {
                None
            }
        })
        .collect();
    // Cells are kept as written, even in key columns whose later rows disagree with the key
    // (the key comes from the first row), as Flux's decoder does.
    let columns = metas
        .iter()
        .enumerate()
        .map(|(j, m)| {
            column_from_cells(
                m.ty,
                c.rows.iter().map(|r| r.get(j).cloned().flatten()).collect(),
            )
        })
        .collect();
    out.push(TableChunk {
        meta: Arc::new(TableMeta::new(metas, keys)),
        columns,
    });
}
