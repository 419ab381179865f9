//! Annotated CSV encoding of Flux query results, and the query request `dialect`.
//!
//! Follows InfluxDB 2.7 (flux `csv/result.go`, influxdb `http/query.go`):
//!
//! - Every line starts with the annotation column (empty outside annotation rows) and ends in
//!   CRLF; fields are quoted like Go's `encoding/csv` with `UseCRLF` (quoted when containing the
//!   delimiter, `"`, CR or LF, when starting with Unicode whitespace, or when equal to `\.`;
//!   inner `"` doubled, a `\n` inside quotes written as CRLF and a lone `\r` dropped).
//! - A table block is: the requested annotation rows in request order, the header row (unless
//!   `header: false`), then the data rows. A new block (preceded by an empty line unless it is
//!   the first table of the result) is written when the column labels/types differ from the
//!   previous table's, or when the previous or the current table is empty; otherwise rows just
//!   continue under the previous header. Like Go's `equalCols`, the comparison looks at labels
//!   and types only, not at group flags.
//! - `#default`: `result` holds the result name; for an empty table `table` holds its id and
//!   group-key columns their key values; otherwise empty. With `#default` requested, data rows
//!   leave the `result` cell empty, else every row repeats the result name.
//! - Floats print like Go's `FormatFloat(f, 'f', -1, 64)`; times as RFC3339 UTC with nanoseconds,
//!   trailing zeros trimmed; null is an empty cell.
//! - After every result, an extra CRLF ([`CsvEncoder::end_result`]).
//!
//! Calling protocol for one result: `begin_table(meta)`, any number of `write_rows(chunk)`,
//! `end_table()` (implied by the next `begin_table` or by `end_result`), ..., `end_result()`.
//! A table's header block is written lazily, at its first non-empty chunk or at `end_table` if it
//! never had rows, so callers need not know in advance whether a table is empty.

use std::io::Write as _;
use std::sync::Arc;

use ringflux_engine::query::table::{ColumnData, TableChunk, TableMeta, Value};

/// An annotation row kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Annotation {
    /// `#datatype`.
    Datatype,
    /// `#group`.
    Group,
    /// `#default`.
    Default,
}

/// The output dialect of a query response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// Whether to write the header (label) row.
    pub header: bool,
    /// The field delimiter (2.7 only accepts a one-byte delimiter).
    pub delimiter: u8,
    /// Annotation rows, in request order (duplicates are kept, as 2.7 does).
    pub annotations: Vec<Annotation>,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            header: true,
            delimiter: b',',
            annotations: Vec::new(),
        }
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn opt_string<'v>(
    obj: &'v serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<&'v str, String> {
    match obj.get(key) {
        None | Some(serde_json::Value::Null) => Ok(""),
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into Go struct field Dialect.dialect.{key} of type string",
            json_type(other)
        )),
    }
}

/// Parses the JSON `dialect` object of a query request with 2.7's defaults and validation.
/// `Err` carries the message for a 400 `invalid` response.
pub fn parse_dialect(v: Option<&serde_json::Value>) -> Result<Dialect, String> {
    let obj = match v {
        None | Some(serde_json::Value::Null) => return Ok(Dialect::default()),
        Some(serde_json::Value::Object(o)) => o,
        Some(other) => {
            return Err(format!(
                "json: cannot unmarshal {} into Go struct field Query.dialect of type Dialect",
                json_type(other)
            ))
        }
    };
    let header = match obj.get("header") {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
            "json: cannot unmarshal {} into Go struct field Dialect.dialect.header of type bool",
            json_type(other)
        ))
        }
    };
    let delimiter = match opt_string(obj, "delimiter")? {
        "" => ",",
        d => d,
    };
    let comment_prefix = opt_string(obj, "commentPrefix")?;
    let date_time_format = match opt_string(obj, "dateTimeFormat")? {
        "" => "RFC3339",
        f => f,
    };
    let mut names = Vec::new();
    match obj.get("annotations") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Array(items)) => {
            for item in items {
                match item {
                    serde_json::Value::String(s) => names.push(s.as_str()),
                    other => {
                        return Err(format!(
                            "json: cannot unmarshal {} into Go struct field Dialect.dialect.annotations of type string",
                            json_type(other)
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "json: cannot unmarshal {} into Go struct field Dialect.dialect.annotations of type []string",
                json_type(other)
            ))
        }
    }
    // Validation, in the order of influxdb's QueryRequest.Validate.
    if comment_prefix.len() > 1 {
        return Err("invalid dialect comment prefix: must be length 0 or 1".to_string());
    }
    let [delimiter] = delimiter.as_bytes() else {
        return Err("invalid dialect delimeter: must be length 1".to_string());
    };
    let mut annotations = Vec::with_capacity(names.len());
    for name in names {
        annotations.push(match name {
            "datatype" => Annotation::Datatype,
            "group" => Annotation::Group,
            "default" => Annotation::Default,
            other => return Err(format!("unknown dialect annotation type: {other}")),
        });
    }
    if date_time_format != "RFC3339" && date_time_format != "RFC3339Nano" {
        return Err(format!(
            "unknown dialect date time format: {date_time_format}"
        ));
    }
    Ok(Dialect {
        header,
        delimiter: *delimiter,
        annotations,
    })
}

/// Streams one response's results as annotated CSV into caller-provided buffers.
#[derive(Debug)]
pub struct CsvEncoder {
    dialect: Dialect,
    has_default: bool,
    result_name: String,
    next_table_id: i64,
    /// The table begun and not yet ended, its id, and whether rows were written.
    current: Option<(Arc<TableMeta>, i64, bool)>,
    /// The previous table of this result and whether it was empty.
    last: Option<(Arc<TableMeta>, bool)>,
    /// Whether any table was begun (Go's `written`, used by the error table).
    began_table: bool,
    wrote_bytes: bool,
}

impl CsvEncoder {
    /// One encoder per response; `result_name` is the first result's name.
    pub fn new(dialect: Dialect, result_name: &str) -> Self {
        let has_default = dialect.annotations.contains(&Annotation::Default);
        CsvEncoder {
            dialect,
            has_default,
            result_name: result_name.to_string(),
            next_table_id: 0,
            current: None,
            last: None,
            began_table: false,
            wrote_bytes: false,
        }
    }

    /// Starts another result (after [`end_result`](Self::end_result)); table ids restart at 0.
    pub fn begin_result(&mut self, result_name: &str) {
        self.result_name = result_name.to_string();
        self.next_table_id = 0;
        self.current = None;
        self.last = None;
    }

    /// Whether any byte has been written (if not, errors can still be a JSON error response).
    pub fn wrote_anything(&self) -> bool {
        self.wrote_bytes
    }

    /// Starts a new table (ids 0, 1, 2, … per result), ending the previous one if needed. The
    /// header block is written later, when the table's first row or its end is seen.
    pub fn begin_table(&mut self, meta: &Arc<TableMeta>, out: &mut Vec<u8>) {
        self.end_table(out);
        self.current = Some((Arc::clone(meta), self.next_table_id, false));
        self.next_table_id += 1;
        self.began_table = true;
    }

    /// Writes a chunk's rows into the current table (beginning one from `chunk.meta` if none is
    /// open). Chunks whose columns do not match their schema write nothing.
    pub fn write_rows(&mut self, chunk: &TableChunk, out: &mut Vec<u8>) {
        let rows = chunk.rows();
        if rows == 0 || chunk.validate().is_err() {
            return;
        }
        if self.current.is_none() {
            self.begin_table(&chunk.meta, out);
        }
        let Some((meta, id, had_rows)) = self.current.take() else {
            return;
        };
        if !had_rows {
            let schema_changed = self
                .last
                .as_ref()
                .is_none_or(|(prev, _)| !prev.same_columns(&meta));
            let last_empty = self.last.as_ref().is_some_and(|(_, empty)| *empty);
            if schema_changed || last_empty {
                if self.last.is_some() {
                    self.crlf(out);
                }
                self.write_schema(&meta, id, false, out);
            }
        }
        self.wrote_bytes = true;
        let d = self.dialect.delimiter;
        let mut id_buf = Vec::with_capacity(24);
        id_buf.push(d);
        if !self.has_default {
            write_field(&mut id_buf, self.result_name.as_bytes(), d);
        }
        id_buf.push(d);
        let start = id_buf.len();
        let _ = write!(id_buf, "{id}");
        quote_if_needed(&mut id_buf, start, d);
        for row in 0..rows {
            out.extend_from_slice(&id_buf);
            for col in &chunk.columns {
                out.push(d);
                write_cell(out, col, row, d);
            }
            out.extend_from_slice(b"\r\n");
        }
        self.current = Some((meta, id, true));
    }

    /// Ends the current table; writes the header block of a table that never had rows.
    pub fn end_table(&mut self, out: &mut Vec<u8>) {
        let Some((meta, id, had_rows)) = self.current.take() else {
            return;
        };
        if !had_rows {
            if self.last.is_some() {
                self.crlf(out);
            }
            self.write_schema(&meta, id, true, out);
        }
        self.last = Some((meta, !had_rows));
    }

    /// Ends the result: the blank CRLF line written after every result.
    pub fn end_result(&mut self, out: &mut Vec<u8>) {
        self.end_table(out);
        self.crlf(out);
    }

    /// Writes an error table (for an error after output started): an empty line if a table was
    /// begun, the requested annotations, `,error,reference` and `,<message>,`.
    pub fn write_error(&mut self, message: &str, out: &mut Vec<u8>) {
        // The interrupted table gets no further output.
        self.current = None;
        let d = self.dialect.delimiter;
        if self.began_table {
            self.crlf(out);
        }
        for a in &self.dialect.annotations {
            let row: [&[u8]; 3] = match a {
                Annotation::Datatype => [b"#datatype", b"string", b"string"],
                Annotation::Group => [b"#group", b"true", b"true"],
                Annotation::Default => [b"#default", b"", b""],
            };
            write_record(out, &row, d);
        }
        write_record(out, &[b"", b"error", b"reference"], d);
        write_record(out, &[b"", message.as_bytes(), b""], d);
        self.wrote_bytes = true;
    }

    fn crlf(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\r\n");
        self.wrote_bytes = true;
    }

    fn write_schema(&mut self, meta: &TableMeta, id: i64, empty: bool, out: &mut Vec<u8>) {
        self.wrote_bytes = true;
        let d = self.dialect.delimiter;
        for a in &self.dialect.annotations {
            match a {
                Annotation::Datatype => {
                    out.extend_from_slice(b"#datatype");
                    for name in ["string", "long"]
                        .into_iter()
                        .chain(meta.columns.iter().map(|c| c.ty.datatype_name()))
                    {
                        out.push(d);
                        write_field(out, name.as_bytes(), d);
                    }
                }
                Annotation::Group => {
                    out.extend_from_slice(b"#group");
                    for g in [false, false]
                        .into_iter()
                        .chain(meta.columns.iter().map(|c| c.group))
                    {
                        out.push(d);
                        out.extend_from_slice(if g { b"true" } else { b"false" });
                    }
                }
                Annotation::Default => {
                    out.extend_from_slice(b"#default");
                    out.push(d);
                    write_field(out, self.result_name.as_bytes(), d);
                    out.push(d);
                    if empty {
                        let start = out.len();
                        let _ = write!(out, "{id}");
                        quote_if_needed(out, start, d);
                    }
                    for (i, c) in meta.columns.iter().enumerate() {
                        out.push(d);
                        if empty && c.group {
                            if let Some(Some(v)) = meta.key_values.get(i) {
                                write_value(out, v, d);
                            }
                        }
                    }
                }
            }
            out.extend_from_slice(b"\r\n");
        }
        if self.dialect.header {
            out.push(d);
            out.extend_from_slice(b"result");
            out.push(d);
            out.extend_from_slice(b"table");
            for c in &meta.columns {
                out.push(d);
                write_field(out, c.label.as_bytes(), d);
            }
            out.extend_from_slice(b"\r\n");
        }
    }
}

fn write_record(out: &mut Vec<u8>, fields: &[&[u8]], d: u8) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(d);
        }
        write_field(out, f, d);
    }
    out.extend_from_slice(b"\r\n");
}

/// Go `encoding/csv` `fieldNeedsQuotes`.
fn needs_quotes(field: &[u8], d: u8) -> bool {
    let Some(&first) = field.first() else {
        return false;
    };
    if field == b"\\." {
        return true;
    }
    if field
        .iter()
        .any(|&c| c == b'\n' || c == b'\r' || c == b'"' || c == d)
    {
        return true;
    }
    let width = match first {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    };
    field
        .get(..width)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_whitespace)
}

/// Writes one field, quoted if needed.
fn write_field(out: &mut Vec<u8>, field: &[u8], d: u8) {
    if !needs_quotes(field, d) {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &c in field {
        match c {
            b'"' => out.extend_from_slice(b"\"\""),
            b'\r' => {}
            b'\n' => out.extend_from_slice(b"\r\n"),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

/// Quotes `out[start..]` in place if it needs quoting (rare: only for odd delimiters).
fn quote_if_needed(out: &mut Vec<u8>, start: usize, d: u8) {
    let Some(written) = out.get(start..) else {
        return;
    };
    if needs_quotes(written, d) {
        let field = written.to_vec();
        out.truncate(start);
        write_field(out, &field, d);
    }
}

fn write_cell(out: &mut Vec<u8>, col: &ColumnData, row: usize, d: u8) {
    let start = out.len();
    match col {
        ColumnData::String(v) => {
            if let Some(Some(s)) = v.get(row) {
                write_field(out, s.as_bytes(), d);
            }
            return;
        }
        ColumnData::Long(v) => {
            if let Some(Some(x)) = v.get(row) {
                let _ = write!(out, "{x}");
            }
        }
        ColumnData::UnsignedLong(v) => {
            if let Some(Some(x)) = v.get(row) {
                let _ = write!(out, "{x}");
            }
        }
        ColumnData::Double(v) => {
            if let Some(Some(x)) = v.get(row) {
                format_float(out, *x);
            }
        }
        ColumnData::Boolean(v) => {
            if let Some(Some(x)) = v.get(row) {
                out.extend_from_slice(if *x { b"true" } else { b"false" });
            }
        }
        ColumnData::DateTime(v) => {
            if let Some(Some(x)) = v.get(row) {
                format_time(out, *x);
            }
        }
    }
    quote_if_needed(out, start, d);
}

fn write_value(out: &mut Vec<u8>, v: &Value, d: u8) {
    let start = out.len();
    match v {
        Value::String(s) => {
            write_field(out, s.as_bytes(), d);
            return;
        }
        Value::Long(x) => {
            let _ = write!(out, "{x}");
        }
        Value::UnsignedLong(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Double(x) => format_float(out, *x),
        Value::Boolean(x) => out.extend_from_slice(if *x { b"true" } else { b"false" }),
        Value::DateTime(x) => format_time(out, *x),
    }
    quote_if_needed(out, start, d);
}

/// Go `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent.
/// (Rust's `Display` for `f64` has exactly these semantics for finite values.)
pub fn format_float(out: &mut Vec<u8>, f: f64) {
    if f.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"+Inf" } else { b"-Inf" });
    } else {
        let _ = write!(out, "{f}");
    }
}

/// RFC3339 UTC with nanoseconds, trailing zeros trimmed (Go's `time.RFC3339Nano`).
pub fn format_time(out: &mut Vec<u8>, ns: i64) {
    const NS_PER_DAY: i64 = 86_400_000_000_000;
    let days = ns.div_euclid(NS_PER_DAY);
    let rem = ns.rem_euclid(NS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1_000_000_000;
    let frac = rem % 1_000_000_000;
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        let mut digits = [0u8; 9];
        let mut f = frac;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (f % 10) as u8;
            f /= 10;
        }
        let len = digits.iter().rposition(|&c| c != b'0').map_or(0, |p| p + 1);
        out.push(b'.');
        out.extend_from_slice(digits.get(..len).unwrap_or(&digits));
    }
    out.push(b'Z');
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests;
