//! A generic, columnar table model: what query execution produces and the annotated-CSV encoder
//! consumes.
//!
//! Invariants:
//! - A table's schema ([`TableMeta`]) is shared (`Arc`) by all the chunks of that table.
//! - `TableMeta::key_values.len() == TableMeta::columns.len()`; the entry of a group-key column
//!   (`ColumnMeta::group == true`) is its key value (`Some`, or `None` for a null key value), the
//!   entry of any other column is `None`.
//! - In a [`TableChunk`], `columns[i]` has the [`ColumnType`] of `meta.columns[i]`, and every
//!   column vector has the same length: the chunk's row count. `None` is a null cell.
//! - Everything here is `Send + Sync` so tables can cross cores.

use std::sync::Arc;

/// The type of a column (Flux's basic column types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// UTF-8 string (`string`).
    String,
    /// Signed 64-bit integer (`long`).
    Long,
    /// Unsigned 64-bit integer (`unsignedLong`).
    UnsignedLong,
    /// 64-bit float (`double`).
    Double,
    /// Boolean (`boolean`).
    Boolean,
    /// Nanoseconds since the epoch (`dateTime:RFC3339`).
    DateTime,
}

impl ColumnType {
    /// The `#datatype` annotation name of this type.
    pub const fn datatype_name(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Long => "long",
            ColumnType::UnsignedLong => "unsignedLong",
            ColumnType::Double => "double",
            ColumnType::Boolean => "boolean",
            ColumnType::DateTime => "dateTime:RFC3339",
        }
    }
}

/// One column of a table schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMeta {
    /// Column label, e.g. `_value`.
    pub label: String,
    /// Column type.
    pub ty: ColumnType,
    /// Whether the column is part of the group key.
    pub group: bool,
}

impl ColumnMeta {
    /// Builds a column description.
    pub fn new(label: impl Into<String>, ty: ColumnType, group: bool) -> Self {
        ColumnMeta {
            label: label.into(),
            ty,
            group,
        }
    }
}

/// Schema + group-key values of one table; shared by all chunks of that table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableMeta {
    /// The columns, in output order.
    pub columns: Vec<ColumnMeta>,
    /// Per column: `Some(v)` for a group column with a non-null key value, else `None`.
    pub key_values: Vec<Option<Value>>,
}

impl TableMeta {
    /// Builds a table schema. `key_values` is padded/truncated to the column count.
    pub fn new(columns: Vec<ColumnMeta>, mut key_values: Vec<Option<Value>>) -> Self {
        key_values.resize(columns.len(), None);
        TableMeta {
            columns,
            key_values,
        }
    }

    /// Whether both tables have the same column labels, types and group-key flags, in the same
    /// order (the README's rule for continuing a table without a new header block).
    pub fn same_columns(&self, other: &TableMeta) -> bool {
        self.columns.len() == other.columns.len()
            && self
                .columns
                .iter()
                .zip(&other.columns)
                .all(|(a, b)| a.label == b.label && a.ty == b.ty && a.group == b.group)
    }

    /// Index of the column with this label.
    pub fn column_index(&self, label: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.label == label)
    }
}

/// A single value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// String.
    String(String),
    /// Signed integer.
    Long(i64),
    /// Unsigned integer.
    UnsignedLong(u64),
    /// Float.
    Double(f64),
    /// Boolean.
    Boolean(bool),
    /// Time, nanoseconds since the epoch.
    DateTime(i64),
}

impl Value {
    /// The column type of this value.
    pub fn column_type(&self) -> ColumnType {
        match self {
            Value::String(_) => ColumnType::String,
            Value::Long(_) => ColumnType::Long,
            Value::UnsignedLong(_) => ColumnType::UnsignedLong,
            Value::Double(_) => ColumnType::Double,
            Value::Boolean(_) => ColumnType::Boolean,
            Value::DateTime(_) => ColumnType::DateTime,
        }
    }
}

/// The cells of one column of a chunk; `None` is null.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    /// String cells.
    String(Vec<Option<String>>),
    /// Signed integer cells.
    Long(Vec<Option<i64>>),
    /// Unsigned integer cells.
    UnsignedLong(Vec<Option<u64>>),
    /// Float cells.
    Double(Vec<Option<f64>>),
    /// Boolean cells.
    Boolean(Vec<Option<bool>>),
    /// Time cells (ns since the epoch).
    DateTime(Vec<Option<i64>>),
}

impl ColumnData {
    /// An empty column of the given type.
    pub fn empty(ty: ColumnType) -> Self {
        match ty {
            ColumnType::String => ColumnData::String(Vec::new()),
            ColumnType::Long => ColumnData::Long(Vec::new()),
            ColumnType::UnsignedLong => ColumnData::UnsignedLong(Vec::new()),
            ColumnType::Double => ColumnData::Double(Vec::new()),
            ColumnType::Boolean => ColumnData::Boolean(Vec::new()),
            ColumnType::DateTime => ColumnData::DateTime(Vec::new()),
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::String(v) => v.len(),
            ColumnData::Long(v) => v.len(),
            ColumnData::UnsignedLong(v) => v.len(),
            ColumnData::Double(v) => v.len(),
            ColumnData::Boolean(v) => v.len(),
            ColumnData::DateTime(v) => v.len(),
        }
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type of the cells.
    pub fn column_type(&self) -> ColumnType {
        match self {
            ColumnData::String(_) => ColumnType::String,
            ColumnData::Long(_) => ColumnType::Long,
            ColumnData::UnsignedLong(_) => ColumnType::UnsignedLong,
            ColumnData::Double(_) => ColumnType::Double,
            ColumnData::Boolean(_) => ColumnType::Boolean,
            ColumnData::DateTime(_) => ColumnType::DateTime,
        }
    }

    /// Cell `row` as an owned value (`None` for null or out of range). Convenience for tests
    /// and slow paths; encoders read the vectors directly.
    pub fn get(&self, row: usize) -> Option<Value> {
        match self {
            ColumnData::String(v) => v.get(row)?.clone().map(Value::String),
            ColumnData::Long(v) => (*v.get(row)?).map(Value::Long),
            ColumnData::UnsignedLong(v) => (*v.get(row)?).map(Value::UnsignedLong),
            ColumnData::Double(v) => (*v.get(row)?).map(Value::Double),
            ColumnData::Boolean(v) => (*v.get(row)?).map(Value::Boolean),
            ColumnData::DateTime(v) => (*v.get(row)?).map(Value::DateTime),
        }
    }
}

/// A run of rows of one table, column-major.
#[derive(Clone, Debug)]
pub struct TableChunk {
    /// The table's schema.
    pub meta: Arc<TableMeta>,
    /// One vector per column of `meta`, all of the same length.
    pub columns: Vec<ColumnData>,
}

impl TableChunk {
    /// Number of rows (the length of the first column; 0 without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, ColumnData::len)
    }

    /// Checks the chunk invariants: one column per schema column, matching types, equal lengths.
    pub fn validate(&self) -> Result<(), String> {
        if self.columns.len() != self.meta.columns.len() {
            return Err(format!(
                "chunk has {} columns, schema has {}",
                self.columns.len(),
                self.meta.columns.len()
            ));
        }
        let rows = self.rows();
        for (data, meta) in self.columns.iter().zip(&self.meta.columns) {
            if data.column_type() != meta.ty {
                return Err(format!("column {:?} has the wrong type", meta.label));
            }
            if data.len() != rows {
                return Err(format!(
                    "column {:?} has {} rows, expected {rows}",
                    meta.label,
                    data.len()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn table_types_are_send_and_sync() {
        assert_send_sync::<TableChunk>();
        assert_send_sync::<TableMeta>();
    }

    #[test]
    fn chunk_validation_and_rows() {
        let meta = Arc::new(TableMeta::new(
            vec![
                ColumnMeta::new("_field", ColumnType::String, true),
                ColumnMeta::new("_value", ColumnType::Double, false),
            ],
            vec![Some(Value::String("f".into()))],
        ));
        assert_eq!(meta.key_values.len(), 2);
        let chunk = TableChunk {
            meta: meta.clone(),
            columns: vec![
                ColumnData::String(vec![Some("f".into()), Some("f".into())]),
                ColumnData::Double(vec![Some(1.0), None]),
            ],
        };
        assert_eq!(chunk.rows(), 2);
        assert!(chunk.validate().is_ok());
        assert_eq!(chunk.columns[1].get(0), Some(Value::Double(1.0)));
        assert_eq!(chunk.columns[1].get(1), None);
        let bad = TableChunk {
            meta,
            columns: vec![ColumnData::String(vec![]), ColumnData::Long(vec![])],
        };
        assert!(bad.validate().is_err());
    }
}
