//! ringflux HTTP front end: InfluxDB v2 API routes and response encoders.
pub mod encode;
