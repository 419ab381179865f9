//! Flux source text to a compiled [`FluxQuery`].
//!
//! Invariants:
//! - [`compile`] is the only entry point the rest of the engine needs; it runs
//!   [`lexer::tokenize`], [`parser::parse`] and [`plan_file`] in that order and reports the first
//!   error with its source range.
//! - `now` is nanoseconds since the epoch; `option now = () => <time>` in the query overrides it.

pub mod ast;
pub mod ast_json;
pub mod builtins;
mod builtins_ops;
#[cfg(test)]
mod builtins_ops_tests;
pub mod csv;
pub mod interp;
#[cfg(test)]
mod interp_tests;
pub mod lexer;
pub mod ops;
pub mod parser;
pub mod suggest;
pub mod tables;
#[cfg(test)]
mod tests;
pub mod transforms;
pub mod value;

use std::sync::Arc;

use super::plan::{plan_file, FluxQuery, PlanError};
use super::table::TableChunk;
use interp::Interp;
use tables::{ExecCtx, Node, TableSource};
use value::Value;

/// A program's results before execution: `(yield name, plan)` in yield order.
pub type Results = Vec<(String, Arc<Node>)>;

/// Evaluates a parsed program: runs its statements and returns its results (lazy plans).
/// `params` is the query's `params` record (or `Value::Null`).
pub fn evaluate(file: &ast::File, now: i64, params: Value) -> Result<(Interp, Results), PlanError> {
    let mut interp = Interp::new(builtins::registry(), now, params);
    interp.run_file(file)?;
    let results = std::mem::take(&mut interp.yields);
    Ok((interp, results))
}

/// Limits for [`run`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Memory budget for intermediate tables, bytes.
    pub memory: usize,
    /// Deadline.
    pub deadline: Option<std::time::Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: tables::DEFAULT_MEMORY_LIMIT,
            deadline: None,
        }
    }
}

/// Parses, evaluates and executes a program: every result with its tables, in yield order.
pub fn run(
    text: &str,
    now: i64,
    params: Value,
    source: &dyn TableSource,
    limits: Limits,
) -> Result<Vec<(String, Vec<TableChunk>)>, PlanError> {
    let file = parse(text)?;
    run_file(&file, now, params, source, limits)
}

/// [`run`] on a parsed file.
pub fn run_file(
    file: &ast::File,
    now: i64,
    params: Value,
    source: &dyn TableSource,
    limits: Limits,
) -> Result<Vec<(String, Vec<TableChunk>)>, PlanError> {
    let (mut interp, results) = evaluate(file, now, params)?;
    let mut ctx = ExecCtx::new(source, &mut interp);
    ctx.memory_limit = limits.memory;
    ctx.deadline = limits.deadline;
    let mut out = Vec::with_capacity(results.len());
    for (name, node) in results {
        out.push((name, tables::execute(&node, &mut ctx)?));
    }
    Ok(out)
}

/// Parses a query into its AST (no planning).
pub fn parse(text: &str) -> Result<ast::File, PlanError> {
    let tokens = lexer::tokenize(text)?;
    parser::parse(&tokens)
}

/// Compiles a Flux query. `now` is nanoseconds since the epoch (the request's `now` or the
/// server clock).
pub fn compile(text: &str, now: i64) -> Result<FluxQuery, PlanError> {
    let file = parse(text)?;
    plan_file(&file, now)
}
