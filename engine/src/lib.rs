//! ringflux engine: storage and query logic, no HTTP.
pub mod line_protocol;
pub mod model;
