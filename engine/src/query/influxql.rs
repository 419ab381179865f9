//! The InfluxQL front end (v1 `/query`): scanner and parser into [`ast`] statements.
//!
//! Invariants:
//! - [`parse`] never panics on any input; errors carry InfluxQL's wording and 1-based
//!   line/char (`found X, expected Y at line 1, char 8`).
//! - The AST is plain data (`Send + Clone`); planning against the shared query engine happens
//!   elsewhere.

pub mod ast;
pub mod eval;
pub mod exec;
pub mod funcs;
pub mod parser;
pub mod result;
#[cfg(test)]
mod tests;

pub use parser::ParseError;

/// Parses InfluxQL text (one or more `;`-separated statements).
pub fn parse(text: &str) -> Result<ast::Query, ParseError> {
    parser::parse_query(text)
}
