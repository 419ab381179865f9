//! The query plan: what a compiled Flux query asks the storage engine for, and the planner that
//! recognises the supported pipeline in a parsed [`File`].
//!
//! Supported shape (one result):
//! `from(bucket: "b" | bucketID: "<16 hex>") |> range(start:, stop:) |> filter(fn: (r) => pred)
//! ... [|> yield(name: "x")]`, possibly through variables (`data = from(...) ...` then
//! `data |> yield()`), with `range` and `filter` in any order and any number.
//!
//! Invariants:
//! - The planner never guesses: any function, argument, or predicate form it does not fully
//!   understand is a [`PlanError`] pointing at the offending source text, never a silently
//!   different query.
//! - Several `range` calls intersect (later ranges clamp earlier ones, as Flux's group-key
//!   bounds do); several `filter` calls are `And`ed, in source order.
//! - `ReadPlan::start` is inclusive and `ReadPlan::stop` exclusive, in ns since the epoch.
//!   `start >= stop` is a valid plan that reads nothing.
//! - Relative durations are applied to `now` (the `option now` value if the query sets one,
//!   else the caller's `now`); calendar units (`mo`, `y`) use calendar arithmetic, clamping the
//!   day to the end of the month.
//! - Unsupported `option`s other than `now` (e.g. `option task = {...}`, `option planner.x`) are
//!   ignored; `import`s are parsed and ignored.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Months};

use super::flux::ast::{
    BinaryOp, DurationPart, DurationUnit, Expr, ExprKind, File, FunctionBody, LogicalOp, Property,
    Span, Statement, UnaryOp,
};
use crate::model::BucketId;

/// Which bucket a query reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BucketRef {
    /// `from(bucket: "name")`.
    Name(String),
    /// `from(bucketID: "0123456789abcdef")`.
    Id(BucketId),
}

/// A comparison operator in a predicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Neq,
}

impl CmpOp {
    fn apply(self, a: &[u8], b: &[u8]) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Neq => a != b,
        }
    }
}

/// A row predicate over the series key and field of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    /// Always true (no filter).
    True,
    /// Compare `_measurement`.
    Measurement(CmpOp, String),
    /// Compare `_field`.
    Field(CmpOp, String),
    /// Compare a tag's value (a missing tag is the empty string).
    Tag {
        /// Tag key.
        key: String,
        /// Operator.
        op: CmpOp,
        /// Literal value.
        value: String,
    },
    /// Both.
    And(Box<Predicate>, Box<Predicate>),
    /// Either.
    Or(Box<Predicate>, Box<Predicate>),
}

impl Predicate {
    /// Evaluates against one series+field. A missing tag compares as the empty string (InfluxDB
    /// storage semantics). `tag` looks a tag value up by key.
    pub fn eval<'t>(
        &self,
        measurement: &[u8],
        tag: &mut dyn FnMut(&[u8]) -> Option<&'t [u8]>,
        field: &[u8],
    ) -> bool {
        match self {
            Predicate::True => true,
            Predicate::Measurement(op, v) => op.apply(measurement, v.as_bytes()),
            Predicate::Field(op, v) => op.apply(field, v.as_bytes()),
            Predicate::Tag { key, op, value } => {
                let actual = tag(key.as_bytes()).unwrap_or(b"");
                op.apply(actual, value.as_bytes())
            }
            Predicate::And(a, b) => {
                a.eval(measurement, tag, field) && b.eval(measurement, tag, field)
            }
            Predicate::Or(a, b) => {
                a.eval(measurement, tag, field) || b.eval(measurement, tag, field)
            }
        }
    }

    /// `a and b`, dropping `True` operands.
    pub fn and(a: Predicate, b: Predicate) -> Predicate {
        match (a, b) {
            (Predicate::True, p) | (p, Predicate::True) => p,
            (a, b) => Predicate::And(Box::new(a), Box::new(b)),
        }
    }
}

/// One read of one bucket: what `from |> range |> filter` asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadPlan {
    /// Inclusive start, ns.
    pub start: i64,
    /// Exclusive stop, ns.
    pub stop: i64,
    /// Row predicate.
    pub predicate: Predicate,
    /// An aggregate the shards compute per (series, field) instead of sending points.
    pub agg: Option<super::pushdown::Aggregation>,
}

/// A whole compiled query.
#[derive(Clone, Debug, PartialEq)]
pub struct FluxQuery {
    /// The bucket to read.
    pub bucket: BucketRef,
    /// The read.
    pub read: ReadPlan,
    /// The result name (`yield(name:)`, default `_result`).
    pub result_name: String,
}

/// A compile error with its source range (1-based lines and columns, end exclusive).
///
/// Displays in Flux's style: `error @1:5-1:12: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// Start line.
    pub line: u32,
    /// Start column.
    pub column: u32,
    /// End line.
    pub end_line: u32,
    /// End column (exclusive).
    pub end_column: u32,
    /// What went wrong.
    pub message: String,
}

impl PlanError {
    /// An error covering `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        PlanError {
            line: span.start.line,
            column: span.start.column,
            end_line: span.end.line,
            end_column: span.end.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error @{}:{}-{}:{}: {}",
            self.line, self.column, self.end_line, self.end_column, self.message
        )
    }
}

impl std::error::Error for PlanError {}

/// Default result name.
pub const DEFAULT_RESULT_NAME: &str = "_result";

/// Plans a parsed file. `now` is ns since the epoch.
pub fn plan_file(file: &File, now: i64) -> Result<FluxQuery, PlanError> {
    let mut planner = Planner {
        vars: HashMap::new(),
        now,
    };
    let mut result: Option<&Expr> = None;
    let mut last_span = Span::default();
    for stmt in &file.body {
        last_span = stmt.span();
        match stmt {
            Statement::Variable { id, init, .. } => {
                if planner.vars.insert(id.name.as_str(), init).is_some() {
                    return Err(PlanError::new(
                        id.span,
                        format!("variable {:?} redeclared", id.name),
                    ));
                }
            }
            Statement::Option {
                package: None,
                id,
                init,
                ..
            } if id.name == "now" => {
                planner.now = planner.option_now(init)?;
            }
            Statement::Option { .. } => {}
            Statement::Return(_, span) => {
                return Err(PlanError::new(
                    *span,
                    "return is only allowed in a function body",
                ));
            }
            Statement::TestCase { span, .. } => {
                return Err(PlanError::new(
                    *span,
                    "testcase statements are not supported",
                ));
            }
            Statement::Expr(e) => {
                if result.is_some() {
                    return Err(PlanError::new(
                        e.span,
                        "queries with more than one result are not supported",
                    ));
                }
                result = Some(e);
            }
        }
    }
    let Some(expr) = result else {
        return Err(PlanError::new(last_span, "no streaming data"));
    };
    planner.pipeline(expr)
}

/// A constant value produced by evaluating a literal-ish expression.
#[derive(Clone, Debug, PartialEq)]
enum Const {
    Time(i64),
    Duration { months: i64, nanos: i64 },
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

impl Const {
    fn type_name(&self) -> &'static str {
        match self {
            Const::Time(_) => "time",
            Const::Duration { .. } => "duration",
            Const::Int(_) => "int",
            Const::Float(_) => "float",
            Const::Str(_) => "string",
            Const::Bool(_) => "bool",
        }
    }
}

const MAX_RESOLVE_DEPTH: usize = 64;

struct Planner<'a> {
    vars: HashMap<&'a str, &'a Expr>,
    now: i64,
}

/// Adds a (months, nanos) duration to a time, calendar-aware.
pub fn add_duration(t: i64, months: i64, nanos: i64) -> Option<i64> {
    let mut t = t;
    if months != 0 {
        let dt = DateTime::from_timestamp_nanos(t);
        let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
        let dt = if months > 0 {
            dt.checked_add_months(m)?
        } else {
            dt.checked_sub_months(m)?
        };
        t = dt.timestamp_nanos_opt()?;
    }
    t.checked_add(nanos)
}

pub(crate) fn duration_value(parts: &[DurationPart]) -> Option<(i64, i64)> {
    let (mut months, mut nanos) = (0i64, 0i64);
    for p in parts {
        match p.unit {
            DurationUnit::Year => months = months.checked_add(p.magnitude.checked_mul(12)?)?,
            DurationUnit::Month => months = months.checked_add(p.magnitude)?,
            other => {
                let per = other.nanos()?;
                nanos = nanos.checked_add(p.magnitude.checked_mul(per)?)?;
            }
        }
    }
    Some((months, nanos))
}

fn arg_map<'e>(
    fname: &str,
    args: &'e [Property],
    allowed: &[&str],
) -> Result<HashMap<&'e str, (&'e Property, Option<&'e Expr>)>, PlanError> {
    let mut map = HashMap::new();
    for p in args {
        if !allowed.contains(&p.key.name.as_str()) {
            return Err(PlanError::new(
                p.key.span,
                format!(
                    "function {fname:?}: argument {:?} is not supported",
                    p.key.name
                ),
            ));
        }
        if map
            .insert(p.key.name.as_str(), (p, p.value.as_ref()))
            .is_some()
        {
            return Err(PlanError::new(
                p.key.span,
                format!("function {fname:?}: duplicate argument {:?}", p.key.name),
            ));
        }
    }
    Ok(map)
}

impl<'a> Planner<'a> {
    fn resolve(&self, mut e: &'a Expr) -> Result<&'a Expr, PlanError> {
        for _ in 0..MAX_RESOLVE_DEPTH {
            match &e.kind {
                ExprKind::Ident(name) if name != "true" && name != "false" => {
                    match self.vars.get(name.as_str()) {
                        Some(init) => e = init,
                        None => {
                            return Err(PlanError::new(
                                e.span,
                                format!("undefined identifier {name}"),
                            ))
                        }
                    }
                }
                _ => return Ok(e),
            }
        }
        Err(PlanError::new(
            e.span,
            "variable references nested too deeply",
        ))
    }

    /// A property's value; the shorthand `f(x)` means `f(x: x)`.
    fn prop_value(&self, p: &'a Property, v: Option<&'a Expr>) -> Result<&'a Expr, PlanError> {
        match v {
            Some(v) => Ok(v),
            None => match self.vars.get(p.key.name.as_str()) {
                Some(init) => Ok(init),
                None => Err(PlanError::new(
                    p.key.span,
                    format!("undefined identifier {}", p.key.name),
                )),
            },
        }
    }

    fn option_now(&self, init: &'a Expr) -> Result<i64, PlanError> {
        let f = self.resolve(init)?;
        match &f.kind {
            ExprKind::Function {
                params,
                body: FunctionBody::Expr(body),
            } if params.is_empty() => match self.eval_const(body, 0)? {
                Const::Time(t) => Ok(t),
                other => Err(PlanError::new(
                    body.span,
                    format!("option now must return a time, got {}", other.type_name()),
                )),
            },
            _ => Err(PlanError::new(
                f.span,
                "option now must be a function `() => <time>`",
            )),
        }
    }

    fn eval_const(&self, e: &'a Expr, depth: usize) -> Result<Const, PlanError> {
        if depth > MAX_RESOLVE_DEPTH {
            return Err(PlanError::new(e.span, "expression nested too deeply"));
        }
        let unsupported = || PlanError::new(e.span, "expected a constant value here");
        Ok(match &e.kind {
            ExprKind::DateTime(t) => Const::Time(*t),
            ExprKind::Duration(parts) => {
                let (months, nanos) = duration_value(parts)
                    .ok_or_else(|| PlanError::new(e.span, "duration literal overflows"))?;
                Const::Duration { months, nanos }
            }
            ExprKind::Integer(v) => Const::Int(
                i64::try_from(*v)
                    .map_err(|_| PlanError::new(e.span, "integer literal overflows int"))?,
            ),
            ExprKind::Float(v) => Const::Float(*v),
            ExprKind::String(s) => Const::Str(s.clone()),
            ExprKind::Ident(name) if name == "true" => Const::Bool(true),
            ExprKind::Ident(name) if name == "false" => Const::Bool(false),
            ExprKind::Ident(_) => self.eval_const(self.resolve(e)?, depth + 1)?,
            ExprKind::Unary { op, arg } => {
                let v = self.eval_const(arg, depth + 1)?;
                match (op, v) {
                    (
                        UnaryOp::Plus,
                        v @ (Const::Int(_) | Const::Float(_) | Const::Duration { .. }),
                    ) => v,
                    (UnaryOp::Neg, Const::Int(i)) => Const::Int(
                        i.checked_neg()
                            .ok_or_else(|| PlanError::new(e.span, "integer overflow"))?,
                    ),
                    (UnaryOp::Neg, Const::Float(f)) => Const::Float(-f),
                    (UnaryOp::Neg, Const::Duration { months, nanos }) => Const::Duration {
                        months: -months,
                        nanos: -nanos,
                    },
                    (UnaryOp::Not, Const::Bool(b)) => Const::Bool(!b),
                    _ => return Err(unsupported()),
                }
            }
            ExprKind::Call { callee, args } => match &callee.kind {
                ExprKind::Ident(name) if name == "now" && args.is_empty() => Const::Time(self.now),
                _ => return Err(self.unsupported_call(callee)),
            },
            _ => return Err(unsupported()),
        })
    }

    fn unsupported_call(&self, callee: &Expr) -> PlanError {
        let name = callee_name(callee);
        PlanError::new(callee.span, format!("function {name:?} is not supported"))
    }

    /// Flattens `a |> f() |> g()` (through variables) into the source call and the piped calls.
    fn flatten(
        &self,
        e: &'a Expr,
        calls: &mut Vec<&'a Expr>,
        depth: usize,
    ) -> Result<&'a Expr, PlanError> {
        if depth > MAX_RESOLVE_DEPTH {
            return Err(PlanError::new(e.span, "pipeline nested too deeply"));
        }
        let e = self.resolve(e)?;
        match &e.kind {
            ExprKind::Pipe { arg, call } => {
                let src = self.flatten(arg, calls, depth + 1)?;
                calls.push(call);
                Ok(src)
            }
            ExprKind::Call { .. } => Ok(e),
            _ => Err(PlanError::new(
                e.span,
                "expected a stream of tables (a from() pipeline)",
            )),
        }
    }

    fn pipeline(&self, expr: &'a Expr) -> Result<FluxQuery, PlanError> {
        let mut calls = Vec::new();
        let source = self.flatten(expr, &mut calls, 0)?;
        let ExprKind::Call { callee, args } = &source.kind else {
            return Err(PlanError::new(source.span, "expected a function call"));
        };
        if callee_name(callee) != "from" {
            return Err(self.unsupported_call(callee));
        }
        let bucket = self.source_args(source.span, args)?;
        let mut bounds: Option<(i64, i64)> = None;
        let mut predicate = Predicate::True;
        let mut result_name = DEFAULT_RESULT_NAME.to_string();
        let n = calls.len();
        for (i, call) in calls.iter().enumerate() {
            let ExprKind::Call { callee, args } = &call.kind else {
                return Err(PlanError::new(call.span, "expected a function call"));
            };
            match callee_name(callee).as_str() {
                "range" => {
                    let (s, t) = self.range_args(call.span, args)?;
                    bounds = Some(match bounds {
                        None => (s, t),
                        Some((s0, t0)) => (s0.max(s), t0.min(t)),
                    });
                }
                "filter" => {
                    let p = self.filter_args(call.span, args)?;
                    predicate = Predicate::and(predicate, p);
                }
                "yield" => {
                    if i + 1 != n {
                        return Err(PlanError::new(
                            call.span,
                            "yield() must be the last call of the query",
                        ));
                    }
                    result_name = self.yield_args(args)?;
                }
                _ => return Err(self.unsupported_call(callee)),
            }
        }
        let Some((start, stop)) = bounds else {
            let name = match &bucket {
                BucketRef::Name(n) => n.clone(),
                BucketRef::Id(id) => id.to_string(),
            };
            return Err(PlanError::new(
                source.span,
                format!(
                    "cannot submit unbounded read to {name:?}; try bounding 'from' with a call to 'range'"
                ),
            ));
        };
        Ok(FluxQuery {
            bucket,
            read: ReadPlan {
                start,
                stop,
                predicate,
                agg: None,
            },
            result_name,
        })
    }

    fn string_arg(
        &self,
        fname: &str,
        p: &'a Property,
        v: Option<&'a Expr>,
    ) -> Result<String, PlanError> {
        let e = self.prop_value(p, v)?;
        match self.eval_const(e, 0)? {
            Const::Str(s) => Ok(s),
            other => Err(PlanError::new(
                e.span,
                format!(
                    "function {fname:?}: argument {:?} must be a string, got {}",
                    p.key.name,
                    other.type_name()
                ),
            )),
        }
    }

    fn source_args(&self, span: Span, args: &'a [Property]) -> Result<BucketRef, PlanError> {
        let map = arg_map("from", args, &["bucket", "bucketID"])?;
        match (map.get("bucket"), map.get("bucketID")) {
            (Some(&(p, v)), None) => Ok(BucketRef::Name(self.string_arg("from", p, v)?)),
            (None, Some(&(p, v))) => {
                let s = self.string_arg("from", p, v)?;
                BucketId::parse(&s)
                    .map(BucketRef::Id)
                    .ok_or_else(|| PlanError::new(p.span, format!("invalid bucket id {s:?}")))
            }
            (Some(_), Some(_)) => Err(PlanError::new(
                span,
                "function \"from\": specify only one of bucket or bucketID",
            )),
            (None, None) => Err(PlanError::new(
                span,
                "function \"from\": must specify one of bucket or bucketID",
            )),
        }
    }

    fn time_arg(&self, p: &'a Property, v: Option<&'a Expr>) -> Result<i64, PlanError> {
        let e = self.prop_value(p, v)?;
        let overflow = || PlanError::new(e.span, "time out of range");
        match self.eval_const(e, 0)? {
            Const::Time(t) => Ok(t),
            Const::Duration { months, nanos } => {
                add_duration(self.now, months, nanos).ok_or_else(overflow)
            }
            Const::Int(secs) => secs.checked_mul(1_000_000_000).ok_or_else(overflow),
            other => Err(PlanError::new(
                e.span,
                format!(
                    "function \"range\": argument {:?} must be a time, duration or int, got {}",
                    p.key.name,
                    other.type_name()
                ),
            )),
        }
    }

    fn range_args(&self, span: Span, args: &'a [Property]) -> Result<(i64, i64), PlanError> {
        let map = arg_map("range", args, &["start", "stop"])?;
        let Some(&(p, v)) = map.get("start") else {
            return Err(PlanError::new(
                span,
                "function \"range\": missing required argument \"start\"",
            ));
        };
        let start = self.time_arg(p, v)?;
        let stop = match map.get("stop") {
            Some(&(p, v)) => self.time_arg(p, v)?,
            None => self.now,
        };
        Ok((start, stop))
    }

    fn yield_args(&self, args: &'a [Property]) -> Result<String, PlanError> {
        let map = arg_map("yield", args, &["name"])?;
        match map.get("name") {
            Some(&(p, v)) => self.string_arg("yield", p, v),
            None => Ok(DEFAULT_RESULT_NAME.to_string()),
        }
    }

    fn filter_args(&self, span: Span, args: &'a [Property]) -> Result<Predicate, PlanError> {
        let map = arg_map("filter", args, &["fn", "onEmpty"])?;
        if let Some(&(p, v)) = map.get("onEmpty") {
            let s = self.string_arg("filter", p, v)?;
            if s != "drop" && s != "keep" {
                return Err(PlanError::new(
                    p.span,
                    format!("function \"filter\": onEmpty must be \"drop\" or \"keep\", got {s:?}"),
                ));
            }
        }
        let Some(&(p, v)) = map.get("fn") else {
            return Err(PlanError::new(
                span,
                "function \"filter\": missing required argument \"fn\"",
            ));
        };
        let f = self.resolve(self.prop_value(p, v)?)?;
        let ExprKind::Function { params, body } = &f.kind else {
            return Err(PlanError::new(
                f.span,
                "function \"filter\": fn must be a function literal",
            ));
        };
        let [param] = params.as_slice() else {
            return Err(PlanError::new(
                f.span,
                "function \"filter\": fn must take exactly one parameter (r)",
            ));
        };
        if param.pipe || param.default.is_some() {
            return Err(PlanError::new(
                param.key.span,
                "function \"filter\": unsupported parameter form",
            ));
        }
        let body = match body {
            FunctionBody::Expr(e) => e.as_ref(),
            FunctionBody::Block(stmts) => match stmts.as_slice() {
                [Statement::Return(e, _)] => e,
                _ => {
                    return Err(PlanError::new(
                        f.span,
                        "function \"filter\": only a single return statement is supported in a block body",
                    ))
                }
            },
        };
        self.predicate(&param.key.name, body, 0)
    }

    /// The column a `r.col` / `r["col"]` expression names.
    fn column_ref<'e>(param: &str, e: &'e Expr) -> Option<&'e str> {
        match &e.kind {
            ExprKind::Member { object, property } => match &object.kind {
                ExprKind::Ident(n) if n == param => Some(property.name.as_str()),
                _ => None,
            },
            _ => None,
        }
    }

    fn predicate(&self, param: &str, e: &'a Expr, depth: usize) -> Result<Predicate, PlanError> {
        if depth > MAX_RESOLVE_DEPTH {
            return Err(PlanError::new(e.span, "predicate nested too deeply"));
        }
        let unsupported = || {
            PlanError::new(e.span, "unsupported filter predicate: only comparisons of _measurement, _field or tags with == / != against strings, combined with and/or, are supported")
        };
        match &e.kind {
            ExprKind::Logical { op, left, right } => {
                let l = self.predicate(param, left, depth + 1)?;
                let r = self.predicate(param, right, depth + 1)?;
                Ok(match op {
                    LogicalOp::And => Predicate::And(Box::new(l), Box::new(r)),
                    LogicalOp::Or => Predicate::Or(Box::new(l), Box::new(r)),
                })
            }
            ExprKind::Ident(n) if n == "true" => Ok(Predicate::True),
            ExprKind::Binary { op, left, right } => {
                let op = match op {
                    BinaryOp::Eq => CmpOp::Eq,
                    BinaryOp::Neq => CmpOp::Neq,
                    _ => return Err(unsupported()),
                };
                let (column, other) = match (
                    Self::column_ref(param, left),
                    Self::column_ref(param, right),
                ) {
                    (Some(c), None) => (c, right),
                    (None, Some(c)) => (c, left),
                    _ => return Err(unsupported()),
                };
                let value = match self.eval_const(other, 0) {
                    Ok(Const::Str(s)) => s,
                    Ok(c) => {
                        return Err(PlanError::new(
                            other.span,
                            format!(
                                "unsupported filter predicate: comparing column {column:?} with a {} value",
                                c.type_name()
                            ),
                        ))
                    }
                    Err(_) => return Err(unsupported()),
                };
                Ok(match column {
                    "_measurement" => Predicate::Measurement(op, value),
                    "_field" => Predicate::Field(op, value),
                    "_value" | "_time" | "_start" | "_stop" => {
                        return Err(PlanError::new(
                            e.span,
                            format!("unsupported filter predicate: filtering on column {column:?} is not supported"),
                        ))
                    }
                    key => Predicate::Tag {
                        key: key.to_string(),
                        op,
                        value,
                    },
                })
            }
            _ => Err(unsupported()),
        }
    }
}

/// The printable name of a callee (`map`, `v1.fieldsAsCols`, ...).
fn callee_name(callee: &Expr) -> String {
    match &callee.kind {
        ExprKind::Ident(n) => n.clone(),
        ExprKind::Member { object, property } => {
            format!("{}.{}", callee_name(object), property.name)
        }
        _ => "<expression>".to_string(),
    }
}
