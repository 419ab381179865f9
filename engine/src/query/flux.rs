//! Flux source text to a compiled [`FluxQuery`].
//!
//! Invariants:
//! - [`compile`] is the only entry point the rest of the engine needs; it runs
//!   [`lexer::tokenize`], [`parser::parse`] and [`plan_file`] in that order and reports the first
//!   error with its source range.
//! - `now` is nanoseconds since the epoch; `option now = () => <time>` in the query overrides it.

pub mod ast;
pub mod ast_json;
pub mod lexer;
pub mod ops;
pub mod parser;
pub mod suggest;
#[cfg(test)]
mod tests;

use super::plan::{plan_file, FluxQuery, PlanError};

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
