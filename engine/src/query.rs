//! The Flux query front end: lexing, parsing, planning, and the table model results use.
//!
//! Pipeline: [`flux::compile`] turns query text into a [`plan::FluxQuery`] (lexer → parser →
//! AST → planner). Execution produces [`table`] values, which the HTTP layer encodes.
//! [`flux::run`] is the full engine (interpreter + lazy table plans + transformations) that will
//! replace the planner path; see `flux/tables.rs`.
//!
//! Invariants:
//! - Compiling never panics on any input and never returns a plan that differs from the query's
//!   meaning: anything outside the supported subset is a [`plan::PlanError`] with a position.
//! - Plans are plain data (`Send + Clone`) so they can be shipped to every shard.

pub mod agg_tables;
pub mod exec;
pub mod flux;
pub mod influxql;
pub mod merge;
pub mod plan;
pub mod pushdown;
pub mod table;
