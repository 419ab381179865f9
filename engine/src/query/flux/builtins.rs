//! The builtin registry: universe scalar functions, the supported packages (`strings`, `math`,
//! `date`, `array`, `csv`, `testing`, `regexp`, no-op `testing/expect` and `planner`), and the
//! `testing.diff` comparison.
//!
//! Adding a builtin is a few lines in [`registry`]:
//!
//! ```ignore
//! reg.transform("mean", |args| {
//!     let column = args.string_or("column", "_value")?;
//!     Ok(table_fn(move |tables, _ctx| ops::mean(tables, &column)))
//! });
//! reg.register_in("strings", "toUpper", None, |args| {
//!     let v = args.string("v")?;
//!     Ok(Value::str(&v.to_uppercase()))
//! });
//! ```
//!
//! Invariants: builtins validate every argument's type (errors name the function, argument and
//! position); unknown packages import as empty packages whose members are "not supported".

use std::sync::{Arc, OnceLock};

use chrono::{Datelike, Timelike};

use super::interp::{Args, Registry};
use super::tables::{key_string, Builder, Node, NodeKind};
use super::transforms::{self, convert};
use super::value::{Duration, Value};
use crate::query::plan::{BucketRef, PlanError, Predicate, ReadPlan};
use crate::query::table::{TableChunk, Value as Cell};

type R<T> = Result<T, PlanError>;

/// Largest string a builtin may build (`strings.repeat`).
const MAX_STRING_BYTES: usize = 16 << 20;

/// The shared default registry.
pub fn registry() -> Arc<Registry> {
    static REG: OnceLock<Arc<Registry>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut reg = Registry::default();
        transforms::register(&mut reg);
        register_universe(&mut reg);
        register_strings(&mut reg);
        register_math(&mut reg);
        register_date(&mut reg);
        register_sources(&mut reg);
        register_testing(&mut reg);
        super::builtins_ops::register(&mut reg);
        Arc::new(reg)
    })
    .clone()
}

fn register_universe(reg: &mut Registry) {
    reg.register("now", None, |args| Ok(Value::Time(args.interp.now)));
    for kind in ["float", "int", "uint", "string", "bool", "time"] {
        reg.register(kind, None, move |args| {
            let v = args.required("v")?;
            convert(kind, &v).map_err(|e| args.err(e))
        });
    }
    reg.register("duration", None, |args| match args.required("v")? {
        Value::Duration(d) => Ok(Value::Duration(d)),
        Value::Int(i) => Ok(Value::Duration(Duration {
            months: 0,
            nanos: i,
        })),
        v => Err(args.err(format!("cannot convert {} to duration", v.type_name()))),
    });
    reg.register("length", None, |args| match args.required("arr")? {
        Value::Array(a) => Ok(Value::Int(i64::try_from(a.len()).unwrap_or(i64::MAX))),
        v => Err(args.err(format!("arr must be an array, got {}", v.type_name()))),
    });
    reg.register("contains", None, |args| {
        let v = args.required("value")?;
        match args.required("set")? {
            Value::Array(a) => Ok(Value::Bool(a.contains(&v))),
            s => Err(args.err(format!("set must be an array, got {}", s.type_name()))),
        }
    });
    reg.register("die", None, |args| {
        let msg = args.string("msg")?;
        Err(args.err(msg))
    });
    reg.register("from", None, |args| {
        let bucket = match (args.opt_string("bucket")?, args.opt_string("bucketID")?) {
            (Some(b), None) => BucketRef::Name(b),
            (None, Some(id)) => crate::model::BucketId::parse(&id)
                .map(BucketRef::Id)
                .ok_or_else(|| args.err(format!("invalid bucket id {id:?}")))?,
            (Some(_), Some(_)) => return Err(args.err("specify only one of bucket or bucketID")),
            (None, None) => return Err(args.err("must specify one of bucket or bucketID")),
        };
        args.ignore("host");
        args.ignore("org");
        args.ignore("orgID");
        args.ignore("token");
        Ok(Value::Tables(Arc::new(Node {
            kind: NodeKind::Read {
                bucket,
                bounds: None,
                plan: ReadPlan {
                    start: i64::MIN,
                    stop: i64::MAX,
                    predicate: Predicate::True,
                    agg: None,
                },
            },
            span: args.span,
        })))
    });
}

fn str_arg(args: &mut Args<'_>, name: &str) -> R<String> {
    args.string(name)
}

fn register_strings(reg: &mut Registry) {
    type F1 = fn(&str) -> String;
    let unary: [(&str, F1); 5] = [
        ("toUpper", |s| s.to_uppercase()),
        ("toLower", |s| s.to_lowercase()),
        ("trimSpace", |s| s.trim().to_string()),
        ("title", |s| {
            let mut out = String::with_capacity(s.len());
            let mut start = true;
            for c in s.chars() {
                if start {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = c.is_whitespace();
            }
            out
        }),
        ("toTitle", |s| s.to_uppercase()),
    ];
    for (name, f) in unary {
        reg.register_in("strings", name, None, move |args| {
            Ok(Value::str(&f(&str_arg(args, "v")?)))
        });
    }
    type F2 = fn(&str, &str) -> bool;
    let preds: [(&str, &str, F2); 3] = [
        ("containsStr", "substr", |v, s| v.contains(s)),
        ("hasPrefix", "prefix", |v, s| v.starts_with(s)),
        ("hasSuffix", "suffix", |v, s| v.ends_with(s)),
    ];
    for (name, arg, f) in preds {
        reg.register_in("strings", name, None, move |args| {
            let v = str_arg(args, "v")?;
            let s = str_arg(args, arg)?;
            Ok(Value::Bool(f(&v, &s)))
        });
    }
    reg.register_in("strings", "contains", None, |args| {
        let v = str_arg(args, "v")?;
        let s = str_arg(args, "substr")?;
        Ok(Value::Bool(v.contains(&s)))
    });
    reg.register_in("strings", "repeat", None, |args| {
        let v = str_arg(args, "v")?;
        let n = args.int("i")?;
        let n = usize::try_from(n).map_err(|_| args.err("i must not be negative"))?;
        if v.len().saturating_mul(n) > MAX_STRING_BYTES {
            return Err(args.err(format!("result would exceed {MAX_STRING_BYTES} bytes")));
        }
        Ok(Value::str(&v.repeat(n)))
    });
    reg.register_in("strings", "replaceAll", None, |args| {
        let v = str_arg(args, "v")?;
        let t = str_arg(args, "t")?;
        let u = str_arg(args, "u")?;
        Ok(Value::str(&v.replace(&t, &u)))
    });
    reg.register_in("strings", "split", None, |args| {
        let v = str_arg(args, "v")?;
        let t = str_arg(args, "t")?;
        let parts: Vec<Value> = if t.is_empty() {
            v.chars().map(|c| Value::str(&c.to_string())).collect()
        } else {
            v.split(t.as_str()).map(Value::str).collect()
        };
        Ok(Value::Array(Arc::new(parts)))
    });
    reg.register_in("strings", "joinStr", None, |args| {
        let v = str_arg(args, "v")?;
        let Some(Value::Array(a)) = args.take("arr") else {
            return Err(args.err("arr must be an array of strings"));
        };
        let mut parts = Vec::with_capacity(a.len());
        for x in a.iter() {
            match x {
                Value::String(s) => parts.push(s.to_string()),
                _ => return Err(args.err("arr must be an array of strings")),
            }
        }
        Ok(Value::str(&parts.join(&v)))
    });
    reg.register_in("strings", "trim", None, |args| {
        let v = str_arg(args, "v")?;
        let cutset = str_arg(args, "cutset")?;
        Ok(Value::str(v.trim_matches(|c| cutset.contains(c))))
    });
    reg.register_in("strings", "trimPrefix", None, |args| {
        let v = str_arg(args, "v")?;
        let p = str_arg(args, "prefix")?;
        Ok(Value::str(v.strip_prefix(p.as_str()).unwrap_or(&v)))
    });
    reg.register_in("strings", "trimSuffix", None, |args| {
        let v = str_arg(args, "v")?;
        let p = str_arg(args, "suffix")?;
        Ok(Value::str(v.strip_suffix(p.as_str()).unwrap_or(&v)))
    });
    reg.register_in("strings", "strlen", None, |args| {
        let v = str_arg(args, "v")?;
        Ok(Value::Int(
            i64::try_from(v.chars().count()).unwrap_or(i64::MAX),
        ))
    });
    reg.register_in("strings", "substring", None, |args| {
        let v = str_arg(args, "v")?;
        let start = args.int("start")?;
        let end = args.int("end")?;
        let chars: Vec<char> = v.chars().collect();
        let s = usize::try_from(start.max(0)).unwrap_or(0).min(chars.len());
        let e = usize::try_from(end.max(0))
            .unwrap_or(0)
            .min(chars.len())
            .max(s);
        Ok(Value::str(
            &chars
                .get(s..e)
                .unwrap_or_default()
                .iter()
                .collect::<String>(),
        ))
    });
    reg.register_in("regexp", "compile", None, |args| {
        let v = str_arg(args, "v")?;
        let span = args.span;
        Ok(Value::Regex(args.interp.regex(&v, span)?))
    });
    reg.register_in("regexp", "matchRegexpString", None, |args| {
        let r = match args.required("r")? {
            Value::Regex(r) => r,
            v => return Err(args.err(format!("r must be a regexp, got {}", v.type_name()))),
        };
        let v = str_arg(args, "v")?;
        Ok(Value::Bool(r.is_match(&v)))
    });
    reg.register_in("regexp", "quoteMeta", None, |args| {
        let v = str_arg(args, "v")?;
        // Go's regexp.QuoteMeta escapes exactly these bytes.
        let mut out = String::with_capacity(v.len() * 2);
        for c in v.chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(Value::str(&out))
    });
}

fn float_arg(args: &mut Args<'_>, name: &str) -> R<f64> {
    match args.required(name)? {
        Value::Float(x) => Ok(x),
        v => Err(args.err(format!(
            "argument \"{name}\" must be a float, got {}",
            v.type_name()
        ))),
    }
}

fn register_math(reg: &mut Registry) {
    type F = fn(f64) -> f64;
    let unary: [(&str, F); 12] = [
        ("abs", f64::abs),
        ("floor", f64::floor),
        ("ceil", f64::ceil),
        ("round", f64::round),
        ("trunc", f64::trunc),
        ("sqrt", f64::sqrt),
        ("exp", f64::exp),
        ("log", f64::ln),
        ("log10", f64::log10),
        ("log2", f64::log2),
        ("sin", f64::sin),
        ("cos", f64::cos),
    ];
    for (name, f) in unary {
        reg.register_in("math", name, None, move |args| {
            Ok(Value::Float(f(float_arg(args, "x")?)))
        });
    }
    reg.register_in("math", "pow", None, |args| {
        let x = float_arg(args, "x")?;
        let y = float_arg(args, "y")?;
        Ok(Value::Float(x.powf(y)))
    });
    reg.register_in("math", "mod", None, |args| {
        let x = float_arg(args, "x")?;
        let y = float_arg(args, "y")?;
        Ok(Value::Float(x % y))
    });
    reg.register_in("math", "isNaN", None, |args| {
        Ok(Value::Bool(float_arg(args, "f")?.is_nan()))
    });
    reg.register_in("math", "NaN", None, |_| Ok(Value::Float(f64::NAN)));
    reg.register_in("math", "mInf", None, |args| {
        let sign = args.int("sign")?;
        Ok(Value::Float(if sign >= 0 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        }))
    });
    reg.register_in("math", "isInf", None, |args| {
        let f = float_arg(args, "f")?;
        let sign = args.int("sign")?;
        Ok(Value::Bool(match sign {
            s if s > 0 => f == f64::INFINITY,
            s if s < 0 => f == f64::NEG_INFINITY,
            _ => f.is_infinite(),
        }))
    });
    reg.set_package_member("math", "pi", Value::Float(std::f64::consts::PI));
    reg.set_package_member("math", "e", Value::Float(std::f64::consts::E));
    reg.set_package_member("math", "maxint", Value::Int(i64::MAX));
    reg.set_package_member("math", "minint", Value::Int(i64::MIN));
    reg.set_package_member("math", "maxuint", Value::UInt(u64::MAX));
    reg.set_package_member("math", "maxfloat", Value::Float(f64::MAX));
}

fn time_arg(args: &mut Args<'_>, name: &str) -> R<i64> {
    args.opt_time(name)?
        .ok_or_else(|| args.err(format!("missing required argument \"{name}\"")))
}

/// Truncates a time to a multiple of a duration (calendar-aware for months).
pub fn truncate_time(t: i64, d: Duration) -> Option<i64> {
    if d.months > 0 && d.nanos == 0 {
        let dt = chrono::DateTime::from_timestamp_nanos(t);
        let months = i64::from(dt.year()) * 12 + i64::from(dt.month0());
        let m = months - months.rem_euclid(d.months);
        let year = i32::try_from(m.div_euclid(12)).ok()?;
        let month = u32::try_from(m.rem_euclid(12) + 1).ok()?;
        let date = chrono::NaiveDate::from_ymd_opt(year, month, 1)?;
        return date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt();
    }
    if d.months != 0 || d.nanos <= 0 {
        return None;
    }
    Some(t - t.rem_euclid(d.nanos))
}

fn register_date(reg: &mut Registry) {
    type F = fn(&chrono::DateTime<chrono::Utc>) -> i64;
    let parts: [(&str, F); 10] = [
        ("second", |d| i64::from(d.second())),
        ("minute", |d| i64::from(d.minute())),
        ("hour", |d| i64::from(d.hour())),
        ("weekDay", |d| i64::from(d.weekday().num_days_from_sunday())),
        ("monthDay", |d| i64::from(d.day())),
        ("yearDay", |d| i64::from(d.ordinal())),
        ("month", |d| i64::from(d.month())),
        ("year", |d| i64::from(d.year())),
        ("quarter", |d| i64::from(d.month0() / 3 + 1)),
        ("week", |d| i64::from(d.iso_week().week())),
    ];
    for (name, f) in parts {
        reg.register_in("date", name, None, move |args| {
            let t = time_arg(args, "t")?;
            Ok(Value::Int(f(&chrono::DateTime::from_timestamp_nanos(t))))
        });
    }
    reg.register_in("date", "nanosecond", None, |args| {
        let t = time_arg(args, "t")?;
        Ok(Value::Int(t.rem_euclid(1_000_000_000)))
    });
    reg.register_in("date", "truncate", None, |args| {
        let t = time_arg(args, "t")?;
        let unit = args.duration("unit")?;
        truncate_time(t, unit).map(Value::Time).ok_or_else(|| {
            args.err("unit must be a positive duration of whole months or nanoseconds")
        })
    });
    for (name, sign) in [("add", 1i64), ("sub", -1)] {
        reg.register_in("date", name, None, move |args| {
            let d = args.duration("d")?;
            let t = time_arg(args, if sign > 0 { "to" } else { "from" })?;
            crate::query::plan::add_duration(t, d.months * sign, d.nanos.wrapping_mul(sign))
                .map(Value::Time)
                .ok_or_else(|| args.err("time out of range"))
        });
    }
    for (i, day) in [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ]
    .iter()
    .enumerate()
    {
        reg.set_package_member("date", day, Value::Int(i as i64));
    }
    for (i, m) in [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    .iter()
    .enumerate()
    {
        reg.set_package_member("date", m, Value::Int(i as i64 + 1));
    }
}

fn literal(tables: Vec<TableChunk>, args: &Args<'_>) -> Value {
    Value::Tables(Arc::new(Node {
        kind: NodeKind::Literal(Arc::new(tables)),
        span: args.span,
    }))
}

fn register_sources(reg: &mut Registry) {
    reg.register_in("csv", "from", None, |args| {
        if args.take("file").is_some() || args.take("url").is_some() {
            return Err(args.err("reading files or URLs is not supported"));
        }
        let mode = args.string_or("mode", "annotations")?;
        if mode != "annotations" {
            return Err(args.err(format!("mode {mode:?} is not supported")));
        }
        let text = args.string("csv")?;
        let tables = super::csv::decode(&text).map_err(|e| args.err(e))?;
        Ok(literal(tables, args))
    });
    reg.register_in("array", "from", None, |args| {
        let Some(Value::Array(rows)) = args.take("rows") else {
            return Err(args.err("missing required argument \"rows\" (an array of records)"));
        };
        let mut b = Builder::new();
        let t = b.table(&[]);
        for row in rows.iter() {
            let Value::Record(r) = row else {
                return Err(args.err(format!("rows must be records, got {}", row.type_name())));
            };
            let mut cells = Vec::with_capacity(r.fields.len());
            for (k, v) in &r.fields {
                let ci = b.column(t, k, v.column_type()).map_err(|e| args.err(e))?;
                let cell = v.to_cell().map_err(|ty| {
                    args.err(format!(
                        "column {k:?}: cannot store a {ty} value in a table"
                    ))
                })?;
                cells.push((ci, cell));
            }
            b.push_row(t, cells).map_err(|e| args.err(e))?;
        }
        Ok(literal(b.finish(), args))
    });
}

fn register_testing(reg: &mut Registry) {
    reg.register_in("testing", "load", Some("tables"), |args| {
        Ok(Value::Tables(args.tables()?))
    });
    reg.register_in("testing", "diff", Some("got"), |args| {
        let got = args.tables_arg("got")?;
        let want = args.tables_arg("want")?;
        args.ignore("verbose");
        args.ignore("epsilon");
        args.ignore("nansEqual");
        let diff = Arc::new(Node {
            kind: NodeKind::Multi {
                name: "testing.diff".to_string(),
                op: Arc::new(|mut inputs, _| {
                    let got = inputs.pop().unwrap_or_default();
                    let want = inputs.pop().unwrap_or_default();
                    diff(want, got)
                }),
                inputs: vec![want, got],
            },
            span: args.span,
        });
        let node = Arc::new(Node {
            kind: NodeKind::Yield {
                name: "errorOutput".to_string(),
                input: diff,
            },
            span: args.span,
        });
        args.interp
            .add_yield("errorOutput".to_string(), node.clone());
        Ok(Value::Tables(node))
    });
    reg.register_in("testing", "assertEquals", Some("got"), |args| {
        let name = args.string_or("name", "assertEquals")?;
        let got = args.tables_arg("got")?;
        let want = args.tables_arg("want")?;
        Ok(Value::Tables(Arc::new(Node {
            kind: NodeKind::Multi {
                name: "testing.assertEquals".to_string(),
                op: Arc::new(move |mut inputs, _| {
                    let got = inputs.pop().unwrap_or_default();
                    let want = inputs.pop().unwrap_or_default();
                    let d = diff(want, got.clone())?;
                    if d.iter().any(|t| t.rows() > 0) {
                        return Err(format!("test {name}: tables are not equal"));
                    }
                    Ok(got)
                }),
                inputs: vec![want, got],
            },
            span: args.span,
        })))
    });
    reg.register_in("testing/expect", "planner", None, |args| {
        args.ignore("rules");
        Ok(Value::Null)
    });
}

/// Whether two cells are equal under `experimental.diff` rules (floats within 1e-6, NaN == NaN).
fn cells_equal(a: Option<&Cell>, b: Option<&Cell>) -> bool {
    match (a, b) {
        (Some(Cell::Double(x)), Some(Cell::Double(y))) => {
            (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-6 || x == y
        }
        (a, b) => a == b,
    }
}

/// `experimental.diff(want, got)`: tables matched by group key, columns by label, rows in order.
/// Returns one table per differing group with a `_diff` column (`-` want rows, `+` got rows).
pub fn diff(want: Vec<TableChunk>, got: Vec<TableChunk>) -> Result<Vec<TableChunk>, String> {
    type Groups = Vec<(String, Vec<TableChunk>)>;
    fn by_key(tables: Vec<TableChunk>) -> Groups {
        let mut out: Groups = Vec::new();
        for t in tables {
            if t.rows() == 0 {
                continue;
            }
            let k = key_string(&super::tables::group_key(&t));
            match out.iter_mut().find(|(x, _)| *x == k) {
                Some((_, v)) => v.push(t),
                None => out.push((k, vec![t])),
            }
        }
        out
    }
    let want = by_key(want);
    let mut got = by_key(got);
    let mut b = Builder::new();
    let emit = |b: &mut Builder, sign: &str, tables: &[TableChunk]| -> Result<(), String> {
        for t in tables {
            let key = super::tables::group_key(t);
            let ti = b.table(&key);
            let dc = b.column(ti, "_diff", Some(crate::query::table::ColumnType::String))?;
            let mut idx = Vec::new();
            for c in &t.meta.columns {
                idx.push(b.column(ti, &c.label, Some(c.ty))?);
            }
            for row in 0..t.rows() {
                let mut cells = vec![(dc, Some(Cell::String(sign.to_string())))];
                for (&ci, col) in idx.iter().zip(&t.columns) {
                    cells.push((ci, col.get(row)));
                }
                b.push_row(ti, cells)?;
            }
        }
        Ok(())
    };
    for (k, w) in &want {
        let Some(gi) = got.iter().position(|(x, _)| x == k) else {
            emit(&mut b, "-", w)?;
            continue;
        };
        let (_, g) = got.remove(gi);
        if !tables_equal(w, &g)? {
            emit(&mut b, "-", w)?;
            emit(&mut b, "+", &g)?;
        }
    }
    for (_, g) in &got {
        emit(&mut b, "+", g)?;
    }
    Ok(b.finish())
}

fn tables_equal(want: &[TableChunk], got: &[TableChunk]) -> Result<bool, String> {
    let rows = |ts: &[TableChunk]| ts.iter().map(TableChunk::rows).sum::<usize>();
    // Key columns are equal by construction (tables were matched by key); only the other
    // columns are compared row by row.
    let mut labels: Vec<(String, crate::query::table::ColumnType)> = Vec::new();
    for t in want.iter().chain(got) {
        for c in t.meta.columns.iter().filter(|c| !c.group) {
            match labels.iter().find(|(l, _)| *l == c.label) {
                Some((_, ty)) if *ty != c.ty => {
                    return Err(format!(
                        "column {:?} has type {} in one table and {} in the other",
                        c.label,
                        ty.datatype_name(),
                        c.ty.datatype_name()
                    ))
                }
                Some(_) => {}
                None => labels.push((c.label.clone(), c.ty)),
            }
        }
    }
    if rows(want) != rows(got) {
        return Ok(false);
    }
    let flat = |ts: &[TableChunk]| -> Vec<Vec<Option<Cell>>> {
        let mut out = Vec::new();
        for t in ts {
            for r in 0..t.rows() {
                out.push(
                    labels
                        .iter()
                        .map(|(l, _)| {
                            t.meta
                                .column_index(l)
                                .and_then(|i| t.columns.get(i))
                                .and_then(|c| c.get(r))
                        })
                        .collect(),
                );
            }
        }
        out
    };
    let (w, g) = (flat(want), flat(got));
    Ok(w.iter().zip(&g).all(|(a, b)| {
        a.iter()
            .zip(b)
            .all(|(x, y)| cells_equal(x.as_ref(), y.as_ref()))
    }))
}
