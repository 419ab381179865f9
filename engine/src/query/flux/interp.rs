//! The Flux interpreter: evaluates a parsed [`File`] to runtime [`Value`]s and collects the
//! program's results (its `yield`s) as lazy table plans.
//!
//! Invariants:
//! - Evaluation never panics on any input: every failure is a [`PlanError`] carrying the
//!   line:column range of the offending expression.
//! - Scopes are persistent linked frames ([`Scope`]); an assignment pushes a frame, so a closure
//!   captures exactly the bindings visible where it was written (Flux has no recursion: a function
//!   cannot see its own name).
//! - Call depth is bounded by [`MAX_CALL_DEPTH`] and evaluation nesting by the parser's
//!   [`MAX_DEPTH`](super::parser::MAX_DEPTH), so untrusted queries cannot overflow the stack.
//! - Types never mix silently: `int + float` is an error naming both types and the position;
//!   only comparisons may mix int, uint and float (as in Flux).
//! - Nothing touches storage here: tables are [`Node`]s executed later by
//!   [`tables::execute`](super::tables::execute).

use std::collections::HashMap;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};

use super::ast::{
    BinaryOp, Expr, ExprKind, File, FunctionBody, LogicalOp, Property, Span, Statement, StringPart,
    UnaryOp,
};
use super::tables::{Node, NodeKind};
use super::value::{Builtin, Closure, ClosureBody, Duration, Record, Value};
use crate::query::plan::{add_duration, duration_value, PlanError, DEFAULT_RESULT_NAME};

/// Maximum nesting of function calls.
pub const MAX_CALL_DEPTH: usize = 128;
/// Maximum evaluation depth (expressions plus calls; a long `|>` chain nests one level per
/// call), so a hostile query cannot overflow the stack.
pub const MAX_EVAL_DEPTH: usize = 256;
/// Maximum calls in one `|>` chain.
pub const MAX_PIPE_CHAIN: usize = 1000;
/// Maximum size of a compiled regex program, bytes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Maximum number of cached regexes.
const REGEX_CACHE_LIMIT: usize = 1024;

type R<T> = Result<T, PlanError>;

/// One frame of a scope: a single binding (assignments push frames).
#[derive(Debug)]
struct Frame {
    vars: Vec<(Arc<str>, Value)>,
    parent: Option<Arc<Frame>>,
}

/// A persistent (immutable, shareable) scope.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    head: Option<Arc<Frame>>,
}

impl Scope {
    /// A scope extended by some bindings.
    pub fn with(&self, vars: Vec<(Arc<str>, Value)>) -> Scope {
        Scope {
            head: Some(Arc::new(Frame {
                vars,
                parent: self.head.clone(),
            })),
        }
    }

    /// Looks a name up, innermost first.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let mut f = self.head.as_deref();
        while let Some(frame) = f {
            if let Some((_, v)) = frame.vars.iter().rev().find(|(k, _)| &**k == name) {
                return Some(v);
            }
            f = frame.parent.as_deref();
        }
        None
    }
}

/// The builtin functions and packages known to the interpreter.
#[derive(Debug, Default)]
pub struct Registry {
    universe: HashMap<String, Value>,
    packages: HashMap<String, Vec<(Arc<str>, Value)>>,
}

impl Registry {
    /// Registers a universe builtin. `pipe` names its pipe parameter (`Some("tables")` for
    /// transformations).
    pub fn register(
        &mut self,
        name: &str,
        pipe: Option<&'static str>,
        f: impl Fn(&mut Args<'_>) -> R<Value> + Send + Sync + 'static,
    ) {
        self.universe
            .insert(name.to_string(), builtin(name, pipe, f));
    }

    /// Sets a universe constant (`inf`).
    pub fn set_universe(&mut self, name: &str, v: Value) {
        self.universe.insert(name.to_string(), v);
    }

    /// Registers a function of package `pkg` (`import "pkg"`).
    pub fn register_in(
        &mut self,
        pkg: &str,
        name: &str,
        pipe: Option<&'static str>,
        f: impl Fn(&mut Args<'_>) -> R<Value> + Send + Sync + 'static,
    ) {
        let v = builtin(&format!("{}.{name}", pkg_alias(pkg)), pipe, f);
        self.set_package_member(pkg, name, v);
    }

    /// Sets a non-function member of a package (a constant such as `math.pi`).
    pub fn set_package_member(&mut self, pkg: &str, name: &str, v: Value) {
        let members = self.packages.entry(pkg.to_string()).or_default();
        if let Some(slot) = members.iter_mut().find(|(k, _)| &**k == name) {
            slot.1 = v;
        } else {
            members.push((Arc::from(name), v));
        }
    }

    /// Registers a table transformation `name(tables=<-, ...)`: `build` reads the arguments and
    /// returns the operation applied to the input tables at execution time.
    pub fn transform(
        &mut self,
        name: &str,
        build: impl Fn(&mut Args<'_>) -> R<super::tables::TableFn> + Send + Sync + 'static,
    ) {
        let fname = name.to_string();
        self.register(name, Some("tables"), move |args| {
            let input = args.tables()?;
            let op = build(args)?;
            Ok(Value::Tables(Arc::new(Node {
                kind: NodeKind::Op {
                    name: fname.clone(),
                    op,
                    inputs: vec![input],
                    bounds: None,
                },
                span: args.span,
            })))
        });
    }

    /// A universe builtin by name.
    pub fn universe(&self, name: &str) -> Option<&Value> {
        self.universe.get(name)
    }

    /// The members of a package, if known.
    pub fn package(&self, path: &str) -> Option<&Vec<(Arc<str>, Value)>> {
        self.packages.get(path)
    }
}

/// The last path element of a package path (`testing/expect` → `expect`).
fn pkg_alias(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn builtin(
    name: &str,
    pipe: Option<&'static str>,
    f: impl Fn(&mut Args<'_>) -> R<Value> + Send + Sync + 'static,
) -> Value {
    Value::Builtin(Arc::new(Builtin {
        name: name.to_string(),
        pipe,
        f: Box::new(f),
    }))
}

/// The arguments of one builtin call, with typed getters.
///
/// Every getter removes the argument it reads; arguments left over when the builtin returns are
/// an "unexpected argument" error, so a misspelt parameter never silently does nothing.
#[derive(Debug)]
pub struct Args<'a> {
    /// The interpreter (for calling function arguments, `now`, ...).
    pub interp: &'a mut Interp,
    /// The function's name.
    pub name: &'a str,
    /// The call's span.
    pub span: Span,
    values: Vec<(Arc<str>, Value)>,
}

impl Args<'_> {
    /// An error at the call, prefixed with the function name.
    pub fn err(&self, msg: impl std::fmt::Display) -> PlanError {
        PlanError::new(self.span, format!("function \"{}\": {msg}", self.name))
    }

    /// Removes and returns an argument (null arguments count as absent).
    pub fn take(&mut self, name: &str) -> Option<Value> {
        let i = self.values.iter().position(|(k, _)| &**k == name)?;
        let (_, v) = self.values.remove(i);
        if v.is_null() {
            None
        } else {
            Some(v)
        }
    }

    /// Drops an accepted-but-ignored argument.
    pub fn ignore(&mut self, name: &str) {
        self.take(name);
    }

    /// A required argument of any type.
    pub fn required(&mut self, name: &str) -> R<Value> {
        self.take(name)
            .ok_or_else(|| self.err(format!("missing required argument \"{name}\"")))
    }

    fn type_err(&self, name: &str, want: &str, got: &Value) -> PlanError {
        self.err(format!(
            "argument \"{name}\" must be {want}, got {}",
            got.type_name()
        ))
    }

    /// An optional string.
    pub fn opt_string(&mut self, name: &str) -> R<Option<String>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.to_string())),
            Some(v) => Err(self.type_err(name, "a string", &v)),
        }
    }

    /// A required string.
    pub fn string(&mut self, name: &str) -> R<String> {
        self.opt_string(name)?
            .ok_or_else(|| self.err(format!("missing required argument \"{name}\"")))
    }

    /// A string with a default.
    pub fn string_or(&mut self, name: &str, default: &str) -> R<String> {
        Ok(self
            .opt_string(name)?
            .unwrap_or_else(|| default.to_string()))
    }

    /// An optional int.
    pub fn opt_int(&mut self, name: &str) -> R<Option<i64>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(i)),
            Some(v) => Err(self.type_err(name, "an int", &v)),
        }
    }

    /// An int with a default.
    pub fn int_or(&mut self, name: &str, default: i64) -> R<i64> {
        Ok(self.opt_int(name)?.unwrap_or(default))
    }

    /// A required int.
    pub fn int(&mut self, name: &str) -> R<i64> {
        self.opt_int(name)?
            .ok_or_else(|| self.err(format!("missing required argument \"{name}\"")))
    }

    /// A float (ints are not converted) with a default.
    pub fn float_or(&mut self, name: &str, default: f64) -> R<f64> {
        match self.take(name) {
            None => Ok(default),
            Some(Value::Float(x)) => Ok(x),
            Some(v) => Err(self.type_err(name, "a float", &v)),
        }
    }

    /// An optional float (ints are not converted).
    pub fn opt_float(&mut self, name: &str) -> R<Option<f64>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Float(x)) => Ok(Some(x)),
            Some(v) => Err(self.type_err(name, "a float", &v)),
        }
    }

    /// An optional bool.
    pub fn opt_bool(&mut self, name: &str) -> R<Option<bool>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(v) => Err(self.type_err(name, "a bool", &v)),
        }
    }

    /// A bool with a default.
    pub fn bool_or(&mut self, name: &str, default: bool) -> R<bool> {
        match self.take(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(b),
            Some(v) => Err(self.type_err(name, "a bool", &v)),
        }
    }

    /// An optional duration.
    pub fn opt_duration(&mut self, name: &str) -> R<Option<Duration>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Duration(d)) => Ok(Some(d)),
            Some(v) => Err(self.type_err(name, "a duration", &v)),
        }
    }

    /// A required duration.
    pub fn duration(&mut self, name: &str) -> R<Duration> {
        self.opt_duration(name)?
            .ok_or_else(|| self.err(format!("missing required argument \"{name}\"")))
    }

    /// An optional time; durations are relative to `now`, ints are Unix seconds (as `range`).
    pub fn opt_time(&mut self, name: &str) -> R<Option<i64>> {
        let now = self.interp.now;
        match self.take(name) {
            None => Ok(None),
            Some(Value::Time(t)) => Ok(Some(t)),
            Some(Value::Duration(d)) => add_duration(now, d.months, d.nanos)
                .map(Some)
                .ok_or_else(|| self.err("time out of range")),
            Some(Value::Int(secs)) => secs
                .checked_mul(1_000_000_000)
                .map(Some)
                .ok_or_else(|| self.err("time out of range")),
            Some(v) => Err(self.type_err(name, "a time", &v)),
        }
    }

    /// An optional array of strings.
    pub fn opt_strings(&mut self, name: &str) -> R<Option<Vec<String>>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(a)) => {
                let mut out = Vec::with_capacity(a.len());
                for v in a.iter() {
                    match v {
                        Value::String(s) => out.push(s.to_string()),
                        other => return Err(self.type_err(name, "an array of strings", other)),
                    }
                }
                Ok(Some(out))
            }
            Some(v) => Err(self.type_err(name, "an array of strings", &v)),
        }
    }

    /// An array of strings with a default.
    pub fn strings_or(&mut self, name: &str, default: &[&str]) -> R<Vec<String>> {
        Ok(self
            .opt_strings(name)?
            .unwrap_or_else(|| default.iter().map(|s| (*s).to_string()).collect()))
    }

    /// An optional function.
    pub fn opt_function(&mut self, name: &str) -> R<Option<Value>> {
        match self.take(name) {
            None => Ok(None),
            Some(f @ (Value::Function(_) | Value::Builtin(_))) => Ok(Some(f)),
            Some(v) => Err(self.type_err(name, "a function", &v)),
        }
    }

    /// A required function.
    pub fn function(&mut self, name: &str) -> R<Value> {
        self.opt_function(name)?
            .ok_or_else(|| self.err(format!("missing required argument \"{name}\"")))
    }

    /// An optional record.
    pub fn opt_record(&mut self, name: &str) -> R<Option<Arc<Record>>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Record(r)) => Ok(Some(r)),
            Some(v) => Err(self.type_err(name, "a record", &v)),
        }
    }

    /// A required stream of tables argument.
    pub fn tables_arg(&mut self, name: &str) -> R<Arc<Node>> {
        match self.take(name) {
            Some(Value::Tables(n)) => Ok(n),
            Some(v) => Err(self.type_err(name, "a stream of tables", &v)),
            None => Err(self.err(format!("missing required argument \"{name}\""))),
        }
    }

    /// The piped-in tables (`tables=<-`).
    pub fn tables(&mut self) -> R<Arc<Node>> {
        self.tables_arg("tables")
    }

    fn leftover(&self) -> Option<&str> {
        self.values.first().map(|(k, _)| &**k)
    }
}

/// The interpreter state of one program.
#[derive(Debug)]
pub struct Interp {
    registry: Arc<Registry>,
    /// `now()`, ns since the epoch (the caller's, or `option now`).
    pub now: i64,
    /// The query's `params` record.
    pub params: Value,
    /// Imported packages: alias → package record.
    imports: Vec<(Arc<str>, Value)>,
    /// The program's results, in order.
    pub yields: Vec<(String, Arc<Node>)>,
    depth: usize,
    regexes: HashMap<String, Arc<Regex>>,
}

impl Interp {
    /// A fresh interpreter.
    pub fn new(registry: Arc<Registry>, now: i64, params: Value) -> Self {
        Interp {
            registry,
            now,
            params,
            imports: Vec::new(),
            yields: Vec::new(),
            depth: 0,
            regexes: HashMap::new(),
        }
    }

    /// Compiles (and caches) a regex.
    pub fn regex(&mut self, pattern: &str, span: Span) -> R<Arc<Regex>> {
        if let Some(r) = self.regexes.get(pattern) {
            return Ok(r.clone());
        }
        let re = RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| PlanError::new(span, format!("invalid regex: {e}")))?;
        let re = Arc::new(re);
        if self.regexes.len() < REGEX_CACHE_LIMIT {
            self.regexes.insert(pattern.to_string(), re.clone());
        }
        Ok(re)
    }

    /// Records a result.
    pub fn add_yield(&mut self, name: String, node: Arc<Node>) {
        self.yields.push((name, node));
    }

    /// Runs a whole file (imports, then statements). Expression statements producing tables
    /// that are not already a `yield` become implicit `yield(name: "_result")`s.
    pub fn run_file(&mut self, file: &File) -> R<Scope> {
        for imp in &file.imports {
            let alias = imp
                .alias
                .as_ref()
                .map_or_else(|| pkg_alias(&imp.path).to_string(), |a| a.name.clone());
            let members = self
                .registry
                .package(&imp.path)
                .cloned()
                .unwrap_or_default();
            let rec = Record {
                fields: members,
                package: Some(Arc::from(imp.path.as_str())),
            };
            self.imports
                .push((Arc::from(alias.as_str()), Value::Record(Arc::new(rec))));
        }
        // Options apply to the whole program (Flux evaluates them first): a self-contained
        // `option now = ...` takes effect even when written after its uses. It is evaluated
        // again in order below, so one that needs earlier bindings still works there.
        for stmt in &file.body {
            if let Statement::Option {
                package: None, id, ..
            } = stmt
            {
                if id.name == "now" {
                    let mut empty = Scope::default();
                    let _ = self.statement(stmt, &mut empty, true);
                }
            }
        }
        let mut scope = Scope::default();
        for stmt in &file.body {
            self.statement(stmt, &mut scope, true)?;
        }
        Ok(scope)
    }

    /// Executes one statement; `top` makes table-valued expression statements results.
    /// Returns the value of a `return`.
    fn statement(&mut self, stmt: &Statement, scope: &mut Scope, top: bool) -> R<Option<Value>> {
        match stmt {
            Statement::Variable { id, init, .. } => {
                let v = self.eval(init, scope)?;
                *scope = scope.with(vec![(Arc::from(id.name.as_str()), v)]);
            }
            Statement::Option {
                package, id, init, ..
            } => {
                let v = self.eval(init, scope)?;
                match package {
                    None if id.name == "now" => {
                        let t = self.call(&v, Vec::new(), None, init.span)?;
                        match t {
                            Value::Time(t) => self.now = t,
                            other => {
                                return Err(PlanError::new(
                                    init.span,
                                    format!(
                                        "option now must return a time, got {}",
                                        other.type_name()
                                    ),
                                ))
                            }
                        }
                    }
                    None => *scope = scope.with(vec![(Arc::from(id.name.as_str()), v)]),
                    Some(pkg) => {
                        // `option pkg.name = v`: replace the member of an imported package;
                        // options of packages that were not imported are accepted and ignored.
                        if let Some((_, Value::Record(rec))) =
                            self.imports.iter_mut().find(|(k, _)| **k == *pkg.name)
                        {
                            let mut r = (**rec).clone();
                            r.set(Arc::from(id.name.as_str()), v);
                            *rec = Arc::new(r);
                        }
                    }
                }
            }
            Statement::Return(e, _) => return Ok(Some(self.eval(e, scope)?)),
            Statement::Expr(e) => {
                let v = self.eval(e, scope)?;
                if top {
                    if let Value::Tables(node) = v {
                        if !matches!(node.kind, NodeKind::Yield { .. }) {
                            self.add_yield(DEFAULT_RESULT_NAME.to_string(), node);
                        }
                    }
                }
            }
            Statement::TestCase { span, .. } => {
                return Err(PlanError::new(
                    *span,
                    "testcase statements are only valid in test files",
                ))
            }
        }
        Ok(None)
    }

    fn lookup(&self, name: &str, scope: &Scope, span: Span) -> R<Value> {
        if let Some(v) = scope.get(name) {
            return Ok(v.clone());
        }
        if let Some((_, v)) = self.imports.iter().find(|(k, _)| &**k == name) {
            return Ok(v.clone());
        }
        match name {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "params" => return Ok(self.params.clone()),
            _ => {}
        }
        if let Some(v) = self.registry.universe(name) {
            return Ok(v.clone());
        }
        Err(PlanError::new(span, format!("undefined identifier {name}")))
    }

    /// Evaluates an expression.
    pub fn eval(&mut self, e: &Expr, scope: &Scope) -> R<Value> {
        self.depth += 1;
        let r = if self.depth > MAX_EVAL_DEPTH {
            Err(PlanError::new(e.span, "expression nested too deeply"))
        } else {
            self.eval_inner(e, scope)
        };
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expr, scope: &Scope) -> R<Value> {
        let span = e.span;
        Ok(match &e.kind {
            ExprKind::Ident(name) => self.lookup(name, scope, span)?,
            ExprKind::Integer(v) => Value::Int(
                i64::try_from(*v)
                    .map_err(|_| PlanError::new(span, "integer literal overflows int"))?,
            ),
            ExprKind::Float(x) => Value::Float(*x),
            ExprKind::String(s) => Value::str(s),
            ExprKind::StringExpr(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        StringPart::Text(t) => out.push_str(t),
                        StringPart::Expr(x) => {
                            let v = self.eval(x, scope)?;
                            let s = v.to_flux_string().ok_or_else(|| {
                                PlanError::new(
                                    x.span,
                                    format!("cannot interpolate a {} value", v.type_name()),
                                )
                            })?;
                            out.push_str(&s);
                        }
                    }
                }
                Value::str(&out)
            }
            ExprKind::Regex(p) => Value::Regex(self.regex(p, span)?),
            ExprKind::Duration(parts) => {
                let (months, nanos) = duration_value(parts)
                    .ok_or_else(|| PlanError::new(span, "duration literal overflows"))?;
                Value::Duration(Duration { months, nanos })
            }
            ExprKind::DateTime(t) => Value::Time(*t),
            ExprKind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    out.push(self.eval(it, scope)?);
                }
                Value::Array(Arc::new(out))
            }
            ExprKind::Dict(entries) => {
                let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = self.eval(k, scope)?;
                    let v = self.eval(v, scope)?;
                    match out.iter_mut().find(|(x, _)| *x == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Value::Dict(Arc::new(out))
            }
            ExprKind::Record { with, properties } => {
                let mut rec = match with {
                    Some(base) => match self.eval(base, scope)? {
                        Value::Record(r) => Record {
                            fields: r.fields.clone(),
                            package: None,
                        },
                        other => {
                            return Err(PlanError::new(
                                base.span,
                                format!("`with` requires a record, got {}", other.type_name()),
                            ))
                        }
                    },
                    None => Record::default(),
                };
                for p in properties {
                    let v = self.prop_value(p, scope)?;
                    rec.set(Arc::from(p.key.name.as_str()), v);
                }
                Value::Record(Arc::new(rec))
            }
            ExprKind::Function { params, body } => Value::Function(Arc::new(Closure {
                params: params.clone(),
                param_names: params
                    .iter()
                    .map(|p| Arc::from(p.key.name.as_str()))
                    .collect(),
                body: match body {
                    FunctionBody::Expr(x) => ClosureBody::Expr((**x).clone()),
                    FunctionBody::Block(b) => ClosureBody::Block(b.clone()),
                },
                scope: scope.clone(),
                span,
            })),
            ExprKind::Call { callee, args } => {
                let f = self.eval(callee, scope)?;
                let args = self.eval_args(args, scope)?;
                self.call(&f, args, None, span)?
            }
            ExprKind::Pipe { .. } => {
                // Iterative over the chain (`a |> f() |> g()` nests to the left), so long
                // pipelines cost no stack depth.
                let mut calls = Vec::new();
                let mut src = e;
                while let ExprKind::Pipe { arg, call } = &src.kind {
                    calls.push(call.as_ref());
                    src = arg;
                }
                if calls.len() > MAX_PIPE_CHAIN {
                    return Err(PlanError::new(
                        span,
                        format!("pipeline longer than {MAX_PIPE_CHAIN} calls"),
                    ));
                }
                let mut piped = self.eval(src, scope)?;
                for call in calls.into_iter().rev() {
                    let ExprKind::Call { callee, args } = &call.kind else {
                        return Err(PlanError::new(call.span, "pipe destination must be a call"));
                    };
                    let f = self.eval(callee, scope)?;
                    let args = self.eval_args(args, scope)?;
                    piped = self.call(&f, args, Some(piped), call.span)?;
                }
                piped
            }
            ExprKind::Member { object, property } => {
                let obj = self.eval(object, scope)?;
                match obj {
                    Value::Record(r) => match r.get(&property.name) {
                        Some(v) => v.clone(),
                        None => match &r.package {
                            Some(pkg) => {
                                return Err(PlanError::new(
                                    span,
                                    format!(
                                        "{}.{} is not supported (package {pkg:?})",
                                        pkg_alias(pkg),
                                        property.name
                                    ),
                                ))
                            }
                            None => Value::Null,
                        },
                    },
                    Value::Null => Value::Null,
                    other => {
                        return Err(PlanError::new(
                            span,
                            format!(
                                "cannot access property {:?} of a {} value",
                                property.name,
                                other.type_name()
                            ),
                        ))
                    }
                }
            }
            ExprKind::Index { object, index } => {
                let obj = self.eval(object, scope)?;
                let idx = self.eval(index, scope)?;
                match (obj, idx) {
                    (Value::Array(a), Value::Int(i)) => usize::try_from(i)
                        .ok()
                        .and_then(|i| a.get(i).cloned())
                        .ok_or_else(|| {
                            PlanError::new(
                                span,
                                format!("array index {i} out of bounds (length {})", a.len()),
                            )
                        })?,
                    (o, i) => {
                        return Err(PlanError::new(
                            span,
                            format!("cannot index a {} with a {}", o.type_name(), i.type_name()),
                        ))
                    }
                }
            }
            ExprKind::Unary { op, arg } => {
                let v = self.eval(arg, scope)?;
                unary(*op, v, span)?
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.eval(left, scope)?;
                let r = self.eval(right, scope)?;
                binary(*op, l, r, span)?
            }
            ExprKind::Logical { op, left, right } => {
                let l = truthy(self.eval(left, scope)?, left.span)?;
                match (op, l) {
                    (LogicalOp::And, false) => Value::Bool(false),
                    (LogicalOp::Or, true) => Value::Bool(true),
                    _ => Value::Bool(truthy(self.eval(right, scope)?, right.span)?),
                }
            }
            ExprKind::Conditional {
                test,
                consequent,
                alternate,
            } => {
                if truthy(self.eval(test, scope)?, test.span)? {
                    self.eval(consequent, scope)?
                } else {
                    self.eval(alternate, scope)?
                }
            }
        })
    }

    fn prop_value(&mut self, p: &Property, scope: &Scope) -> R<Value> {
        match &p.value {
            Some(v) => self.eval(v, scope),
            None => self.lookup(&p.key.name, scope, p.key.span),
        }
    }

    fn eval_args(&mut self, args: &[Property], scope: &Scope) -> R<Vec<(Arc<str>, Value)>> {
        let mut out = Vec::with_capacity(args.len());
        for p in args {
            let v = self.prop_value(p, scope)?;
            out.push((Arc::from(p.key.name.as_str()), v));
        }
        Ok(out)
    }

    /// Calls a function value with named arguments and an optional piped value.
    pub fn call(
        &mut self,
        f: &Value,
        args: Vec<(Arc<str>, Value)>,
        pipe: Option<Value>,
        span: Span,
    ) -> R<Value> {
        if self.depth > MAX_CALL_DEPTH {
            return Err(PlanError::new(span, "function calls nested too deeply"));
        }
        self.depth += 1;
        let r = match f {
            Value::Function(c) => self.call_closure(c, args, pipe, span),
            Value::Builtin(b) => self.call_builtin(b, args, pipe, span),
            other => Err(PlanError::new(
                span,
                format!("cannot call a {} value", other.type_name()),
            )),
        };
        self.depth -= 1;
        r
    }

    fn call_builtin(
        &mut self,
        b: &Builtin,
        mut values: Vec<(Arc<str>, Value)>,
        pipe: Option<Value>,
        span: Span,
    ) -> R<Value> {
        if let Some(p) = pipe {
            let Some(name) = b.pipe else {
                return Err(PlanError::new(
                    span,
                    format!("function \"{}\" does not take a piped argument", b.name),
                ));
            };
            if !values.iter().any(|(k, _)| &**k == name) {
                values.push((Arc::from(name), p));
            }
        }
        let mut args = Args {
            interp: self,
            name: &b.name,
            span,
            values,
        };
        let v = (b.f)(&mut args)?;
        if let Some(extra) = args.leftover() {
            return Err(args.err(format!("unexpected argument \"{extra}\"")));
        }
        Ok(v)
    }

    fn call_closure(
        &mut self,
        c: &Closure,
        mut args: Vec<(Arc<str>, Value)>,
        pipe: Option<Value>,
        span: Span,
    ) -> R<Value> {
        if let Some((k, _)) = args
            .iter()
            .find(|(k, _)| !c.params.iter().any(|p| *p.key.name == **k))
        {
            return Err(PlanError::new(span, format!("unexpected argument \"{k}\"")));
        }
        let mut vars: Vec<(Arc<str>, Value)> = Vec::with_capacity(c.params.len());
        for (p, shared) in c.params.iter().zip(&c.param_names) {
            let name = p.key.name.as_str();
            let v = if let Some(i) = args.iter().position(|(k, _)| &**k == name) {
                args.swap_remove(i).1
            } else if p.pipe {
                match &pipe {
                    Some(v) => v.clone(),
                    None => {
                        return Err(PlanError::new(
                            span,
                            format!("missing required argument \"{name}\" (pipe)"),
                        ))
                    }
                }
            } else if let Some(d) = &p.default {
                let dscope = c.scope.with(vars.clone());
                self.eval(d, &dscope)?
            } else {
                return Err(PlanError::new(
                    span,
                    format!("missing required argument \"{name}\""),
                ));
            };
            vars.push((shared.clone(), v));
        }
        if let Some((k, _)) = args.first() {
            return Err(PlanError::new(span, format!("unexpected argument \"{k}\"")));
        }
        let mut scope = c.scope.with(vars);
        match &c.body {
            ClosureBody::Expr(e) => self.eval(e, &scope),
            ClosureBody::Block(stmts) => {
                for s in stmts {
                    if let Some(v) = self.statement(s, &mut scope, false)? {
                        return Ok(v);
                    }
                }
                Err(PlanError::new(
                    c.span,
                    "function block has no return statement",
                ))
            }
        }
    }

    /// Calls a one-parameter row function (`fn: (r) => ...`) with a record, cheaply.
    pub fn call_row_fn(&mut self, f: &Value, param: &str, r: Value, span: Span) -> R<Value> {
        self.call(f, vec![(Arc::from(param), r)], None, span)
    }
}

/// The name of the first parameter of a function value (`r` in `(r) => ...`).
pub fn first_param(f: &Value) -> Option<Arc<str>> {
    match f {
        Value::Function(c) => c
            .params
            .iter()
            .find(|p| p.default.is_none() && !p.pipe)
            .map(|p| Arc::from(p.key.name.as_str())),
        _ => None,
    }
}

fn truthy(v: Value, span: Span) -> R<bool> {
    match v {
        Value::Bool(b) => Ok(b),
        Value::Null => Ok(false),
        other => Err(PlanError::new(
            span,
            format!("expected a bool, got {}", other.type_name()),
        )),
    }
}

fn unary(op: UnaryOp, v: Value, span: Span) -> R<Value> {
    Ok(match (op, v) {
        (UnaryOp::Exists, v) => Value::Bool(!v.is_null()),
        (_, Value::Null) => Value::Null,
        (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
        (
            UnaryOp::Plus,
            v @ (Value::Int(_) | Value::Float(_) | Value::UInt(_) | Value::Duration(_)),
        ) => v,
        (UnaryOp::Neg, Value::Int(i)) => Value::Int(i.wrapping_neg()),
        (UnaryOp::Neg, Value::Float(x)) => Value::Float(-x),
        (UnaryOp::Neg, Value::Duration(d)) => Value::Duration(Duration {
            months: -d.months,
            nanos: -d.nanos,
        }),
        (op, v) => {
            return Err(PlanError::new(
                span,
                format!("invalid operand type {} for unary {op:?}", v.type_name()),
            ))
        }
    })
}

fn op_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Pow => "^",
        BinaryOp::Eq => "==",
        BinaryOp::Neq => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::Lte => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Gte => ">=",
        BinaryOp::RegexMatch => "=~",
        BinaryOp::RegexNotMatch => "!~",
    }
}

/// Compares two values for ordering (mixed int/uint/float allowed); `None` when incomparable.
pub fn compare(l: &Value, r: &Value) -> Option<std::cmp::Ordering> {
    use Value as V;
    match (l, r) {
        (V::Int(a), V::Int(b)) => Some(a.cmp(b)),
        (V::UInt(a), V::UInt(b)) => Some(a.cmp(b)),
        (V::Float(a), V::Float(b)) => a.partial_cmp(b),
        (V::Int(a), V::Float(b)) => (*a as f64).partial_cmp(b),
        (V::Float(a), V::Int(b)) => a.partial_cmp(&(*b as f64)),
        (V::UInt(a), V::Float(b)) => (*a as f64).partial_cmp(b),
        (V::Float(a), V::UInt(b)) => a.partial_cmp(&(*b as f64)),
        (V::Int(a), V::UInt(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
        (V::UInt(a), V::Int(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
        (V::String(a), V::String(b)) => Some(a.cmp(b)),
        (V::Time(a), V::Time(b)) => Some(a.cmp(b)),
        (V::Bool(a), V::Bool(b)) => Some(a.cmp(b)),
        (V::Duration(a), V::Duration(b)) => Some((a.months, a.nanos).cmp(&(b.months, b.nanos))),
        _ => None,
    }
}

/// Applies a binary operator with Flux's typing rules.
pub fn binary(op: BinaryOp, l: Value, r: Value, span: Span) -> R<Value> {
    use std::cmp::Ordering;
    use Value as V;
    let mismatch = |l: &Value, r: &Value| {
        PlanError::new(
            span,
            format!(
                "type error: {} {} {} (operands must have the same type)",
                l.type_name(),
                op_symbol(op),
                r.type_name()
            ),
        )
    };
    match op {
        BinaryOp::RegexMatch | BinaryOp::RegexNotMatch => {
            return match (&l, &r) {
                (V::Null, _) | (_, V::Null) => Ok(V::Null),
                (V::String(s), V::Regex(re)) => {
                    Ok(V::Bool(re.is_match(s) == (op == BinaryOp::RegexMatch)))
                }
                _ => Err(PlanError::new(
                    span,
                    format!(
                        "type error: {} {} {} (expected string and regexp)",
                        l.type_name(),
                        op_symbol(op),
                        r.type_name()
                    ),
                )),
            }
        }
        BinaryOp::Eq | BinaryOp::Neq => {
            if l.is_null() || r.is_null() {
                return Ok(V::Null);
            }
            let eq = match compare(&l, &r) {
                Some(o) => o == Ordering::Equal,
                None => match (&l, &r) {
                    (V::Record(_), V::Record(_)) | (V::Array(_), V::Array(_)) => l == r,
                    _ => return Err(mismatch(&l, &r)),
                },
            };
            return Ok(V::Bool(eq == (op == BinaryOp::Eq)));
        }
        BinaryOp::Lt | BinaryOp::Lte | BinaryOp::Gt | BinaryOp::Gte => {
            if l.is_null() || r.is_null() {
                return Ok(V::Null);
            }
            let Some(o) = compare(&l, &r) else {
                if matches!((&l, &r), (V::Float(_), _) | (_, V::Float(_))) {
                    // NaN comparisons are false.
                    return Ok(V::Bool(false));
                }
                return Err(mismatch(&l, &r));
            };
            return Ok(V::Bool(match op {
                BinaryOp::Lt => o == Ordering::Less,
                BinaryOp::Lte => o != Ordering::Greater,
                BinaryOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }));
        }
        _ => {}
    }
    if l.is_null() || r.is_null() {
        return Ok(V::Null);
    }
    let div0 = || PlanError::new(span, "division by zero");
    Ok(match (op, &l, &r) {
        (BinaryOp::Add, V::Int(a), V::Int(b)) => V::Int(a.wrapping_add(*b)),
        (BinaryOp::Sub, V::Int(a), V::Int(b)) => V::Int(a.wrapping_sub(*b)),
        (BinaryOp::Mul, V::Int(a), V::Int(b)) => V::Int(a.wrapping_mul(*b)),
        (BinaryOp::Div, V::Int(a), V::Int(b)) => V::Int(a.checked_div(*b).ok_or_else(div0)?),
        (BinaryOp::Mod, V::Int(a), V::Int(b)) => V::Int(a.checked_rem(*b).ok_or_else(div0)?),
        (BinaryOp::Pow, V::Int(a), V::Int(b)) => match u32::try_from(*b) {
            Ok(e) => V::Int(a.wrapping_pow(e)),
            Err(_) => V::Float((*a as f64).powf(*b as f64)),
        },
        (BinaryOp::Add, V::UInt(a), V::UInt(b)) => V::UInt(a.wrapping_add(*b)),
        (BinaryOp::Sub, V::UInt(a), V::UInt(b)) => V::UInt(a.wrapping_sub(*b)),
        (BinaryOp::Mul, V::UInt(a), V::UInt(b)) => V::UInt(a.wrapping_mul(*b)),
        (BinaryOp::Div, V::UInt(a), V::UInt(b)) => V::UInt(a.checked_div(*b).ok_or_else(div0)?),
        (BinaryOp::Mod, V::UInt(a), V::UInt(b)) => V::UInt(a.checked_rem(*b).ok_or_else(div0)?),
        (BinaryOp::Pow, V::UInt(a), V::UInt(b)) => {
            V::UInt(a.wrapping_pow(u32::try_from(*b).unwrap_or(u32::MAX)))
        }
        (BinaryOp::Add, V::Float(a), V::Float(b)) => V::Float(a + b),
        (BinaryOp::Sub, V::Float(a), V::Float(b)) => V::Float(a - b),
        (BinaryOp::Mul, V::Float(a), V::Float(b)) => V::Float(a * b),
        (BinaryOp::Div, V::Float(a), V::Float(b)) => V::Float(a / b),
        (BinaryOp::Mod, V::Float(a), V::Float(b)) => V::Float(a % b),
        (BinaryOp::Pow, V::Float(a), V::Float(b)) => V::Float(a.powf(*b)),
        (BinaryOp::Add, V::String(a), V::String(b)) => {
            let mut s = String::with_capacity(a.len() + b.len());
            s.push_str(a);
            s.push_str(b);
            V::str(&s)
        }
        (BinaryOp::Add, V::Duration(a), V::Duration(b)) => V::Duration(Duration {
            months: a.months.wrapping_add(b.months),
            nanos: a.nanos.wrapping_add(b.nanos),
        }),
        (BinaryOp::Sub, V::Duration(a), V::Duration(b)) => V::Duration(Duration {
            months: a.months.wrapping_sub(b.months),
            nanos: a.nanos.wrapping_sub(b.nanos),
        }),
        _ => return Err(mismatch(&l, &r)),
    })
}
