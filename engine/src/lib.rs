//! ringflux engine: storage and query logic, no HTTP.
pub mod model;
pub mod query;
