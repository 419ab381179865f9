//! Flux runtime values.
//!
//! Invariants:
//! - Values are immutable and cheap to clone: compound values (`String`, arrays, records,
//!   functions, tables) are behind `Arc`s, so a clone never copies their contents.
//! - A [`Record`] is a small ordered vector of `(label, value)` pairs: labels are unique, and the
//!   order is the order properties were written (for records built from rows: column order).
//!   Lookup is a linear scan, which beats hashing for the handful of columns a row has.
//! - `Null` is untyped; columns built from values take their type from the non-null cells.
//! - A duration is `months` (calendar part) plus `nanos`; both carry the sign.
//! - `Tables` is a lazy plan node: nothing is read or computed until the program's results are
//!   executed.

use std::fmt;
use std::sync::Arc;

use regex::Regex;

use super::ast::{Expr, Param};
use super::interp::Scope;
use super::tables::Node;
use crate::query::table::{ColumnType, Value as Cell};

/// A duration: calendar months plus nanoseconds (`1mo2h` = 1 month + 7.2e12 ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Duration {
    /// Calendar months (years are 12 months).
    pub months: i64,
    /// Nanoseconds.
    pub nanos: i64,
}

/// A Flux runtime value.
#[derive(Clone)]
pub enum Value {
    /// `null` (untyped).
    Null,
    /// `bool`.
    Bool(bool),
    /// `int`.
    Int(i64),
    /// `uint`.
    UInt(u64),
    /// `float`.
    Float(f64),
    /// `string`.
    String(Arc<str>),
    /// `time`, ns since the epoch.
    Time(i64),
    /// `duration`.
    Duration(Duration),
    /// `regexp`.
    Regex(Arc<Regex>),
    /// `[T]`.
    Array(Arc<Vec<Value>>),
    /// `{...}`.
    Record(Arc<Record>),
    /// `[k: v]` dictionary (entries in literal order, keys unique).
    Dict(Arc<Vec<(Value, Value)>>),
    /// A function literal with its captured scope.
    Function(Arc<Closure>),
    /// A builtin function.
    Builtin(Arc<Builtin>),
    /// A stream of tables (lazy).
    Tables(Arc<Node>),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}u"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Time(t) => write!(f, "{}", format_time(*t)),
            Value::Duration(d) => write!(f, "{}", format_duration(*d)),
            Value::Regex(r) => write!(f, "/{}/", r.as_str()),
            Value::Array(a) => f.debug_list().entries(a.iter()).finish(),
            Value::Record(r) => {
                write!(f, "{{")?;
                for (i, (k, v)) in r.fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: {v:?}")?;
                }
                write!(f, "}}")
            }
            Value::Dict(d) => {
                write!(f, "[")?;
                for (i, (k, v)) in d.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k:?}: {v:?}")?;
                }
                write!(f, "]")
            }
            Value::Function(_) => write!(f, "<function>"),
            Value::Builtin(b) => write!(f, "<builtin {}>", b.name),
            Value::Tables(_) => write!(f, "<tables>"),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::UInt(a), Value::UInt(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Time(a), Value::Time(b)) => a == b,
            (Value::Duration(a), Value::Duration(b)) => a == b,
            (Value::Regex(a), Value::Regex(b)) => a.as_str() == b.as_str(),
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Record(a), Value::Record(b)) => a.fields == b.fields,
            (Value::Dict(a), Value::Dict(b)) => a == b,
            (Value::Function(a), Value::Function(b)) => Arc::ptr_eq(a, b),
            (Value::Builtin(a), Value::Builtin(b)) => Arc::ptr_eq(a, b),
            (Value::Tables(a), Value::Tables(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    /// Flux's name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::UInt(_) => "uint",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Time(_) => "time",
            Value::Duration(_) => "duration",
            Value::Regex(_) => "regexp",
            Value::Array(_) => "array",
            Value::Record(_) => "record",
            Value::Dict(_) => "dict",
            Value::Function(_) | Value::Builtin(_) => "function",
            Value::Tables(_) => "stream of tables",
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The table cell for a basic value (`None` for null); `Err` names the type for values that
    /// cannot be stored in a table.
    pub fn to_cell(&self) -> Result<Option<Cell>, &'static str> {
        Ok(Some(match self {
            Value::Null => return Ok(None),
            Value::Bool(b) => Cell::Boolean(*b),
            Value::Int(i) => Cell::Long(*i),
            Value::UInt(u) => Cell::UnsignedLong(*u),
            Value::Float(x) => Cell::Double(*x),
            Value::String(s) => Cell::String(String::from(&**s)),
            Value::Time(t) => Cell::DateTime(*t),
            other => return Err(other.type_name()),
        }))
    }

    /// The column type a non-null basic value would be stored as.
    pub fn column_type(&self) -> Option<ColumnType> {
        Some(match self {
            Value::Bool(_) => ColumnType::Boolean,
            Value::Int(_) => ColumnType::Long,
            Value::UInt(_) => ColumnType::UnsignedLong,
            Value::Float(_) => ColumnType::Double,
            Value::String(_) => ColumnType::String,
            Value::Time(_) => ColumnType::DateTime,
            _ => return None,
        })
    }

    /// The runtime value of a table cell.
    pub fn from_cell(c: Option<&Cell>) -> Value {
        match c {
            None => Value::Null,
            Some(Cell::String(s)) => Value::str(s),
            Some(Cell::Long(i)) => Value::Int(*i),
            Some(Cell::UnsignedLong(u)) => Value::UInt(*u),
            Some(Cell::Double(x)) => Value::Float(*x),
            Some(Cell::Boolean(b)) => Value::Bool(*b),
            Some(Cell::DateTime(t)) => Value::Time(*t),
        }
    }

    /// Renders the value as `string()` would (`None` for values without a string form).
    pub fn to_flux_string(&self) -> Option<String> {
        Some(match self {
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(x) => format_float(*x),
            Value::String(s) => s.to_string(),
            Value::Time(t) => format_time_nanos(*t),
            Value::Duration(d) => format_duration(*d),
            _ => return None,
        })
    }
}

/// Formats a float as Flux does (shortest round-trip, integers without a fraction).
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        let s = format!("{x}");
        s
    }
}

/// Formats a time as RFC3339 with the shortest exact fraction (`2018-05-22T19:53:26Z`).
pub fn format_time(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let sub = ns.rem_euclid(1_000_000_000);
    let Some(dt) = chrono::DateTime::from_timestamp(secs, 0) else {
        return ns.to_string();
    };
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    if sub == 0 {
        format!("{base}Z")
    } else {
        let frac = format!("{sub:09}");
        format!("{base}.{}Z", frac.trim_end_matches('0'))
    }
}

/// Formats a time as `string()` does: RFC3339 with all nine fraction digits.
pub fn format_time_nanos(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let sub = ns.rem_euclid(1_000_000_000);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) => format!("{}.{sub:09}Z", dt.format("%Y-%m-%dT%H:%M:%S")),
        None => ns.to_string(),
    }
}

/// Formats a duration in Flux literal syntax (`1h30m`, `-5s`, `1mo`).
pub fn format_duration(d: Duration) -> String {
    if d.months == 0 && d.nanos == 0 {
        return "0s".to_string();
    }
    let neg = d.months < 0 || d.nanos < 0;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let mut months = d.months.unsigned_abs();
    let mut nanos = d.nanos.unsigned_abs();
    for (n, unit) in [(12u64, "y"), (1, "mo")] {
        if months >= n {
            out.push_str(&format!("{}{unit}", months / n));
            months %= n;
        }
    }
    for (n, unit) in [
        (604_800_000_000_000u64, "w"),
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ] {
        if nanos >= n {
            out.push_str(&format!("{}{unit}", nanos / n));
            nanos %= n;
        }
    }
    out
}

/// An ordered record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// `(label, value)` pairs; labels unique.
    pub fields: Vec<(Arc<str>, Value)>,
    /// For an imported package: its path (a missing member is then an error, not null).
    pub package: Option<Arc<str>>,
}

impl Record {
    /// The value of a label.
    pub fn get(&self, label: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(k, _)| &**k == label)
            .map(|(_, v)| v)
    }

    /// Sets a label (replacing in place, or appending).
    pub fn set(&mut self, label: Arc<str>, value: Value) {
        if let Some(slot) = self.fields.iter_mut().find(|(k, _)| *k == label) {
            slot.1 = value;
        } else {
            self.fields.push((label, value));
        }
    }
}

/// A function literal closed over its defining scope.
#[derive(Debug)]
pub struct Closure {
    /// Parameters (with default expressions, evaluated in the closure's scope at call time).
    pub params: Vec<Param>,
    /// The parameter names, shared (so a call allocates no names).
    pub param_names: Vec<Arc<str>>,
    /// The body.
    pub body: ClosureBody,
    /// The captured scope.
    pub scope: Scope,
    /// The function literal (for error positions).
    pub span: super::ast::Span,
}

/// A closure body (an owned copy of the AST).
#[derive(Debug)]
pub enum ClosureBody {
    /// `=> expr`.
    Expr(Expr),
    /// `=> { ... }`.
    Block(Vec<super::ast::Statement>),
}

/// Signature of a builtin's implementation.
pub type BuiltinFn = dyn Fn(&mut super::interp::Args<'_>) -> Result<Value, crate::query::plan::PlanError>
    + Send
    + Sync;

/// A builtin function.
pub struct Builtin {
    /// Name, for messages (`strings.toUpper`).
    pub name: String,
    /// Name of the pipe parameter, if the function takes one (`tables` for transformations).
    pub pipe: Option<&'static str>,
    /// The implementation.
    pub f: Box<BuiltinFn>,
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Builtin({})", self.name)
    }
}
