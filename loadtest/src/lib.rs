//! Library half of `ringflux-loadtest` (the binary is a thin CLI over it).
//!
//! * [`spec`] — the JSON data spec (default: TSBS cpu-only);
//! * [`generate`] — deterministic line protocol and the pre-rendered body ring;
//! * [`http1`] — a minimal keep-alive HTTP/1.1 client over `TcpStream`;
//! * [`write_driver`] — N connection threads sharing a batch counter;
//! * [`report`] — counters, HDR latency histogram, text/JSON report.
//!
//! Everything here is deterministic given its inputs except timing, and
//! everything that touches the network only talks to the one `Target` it is
//! given.

pub mod generate;
pub mod http1;
pub mod report;
pub mod spec;
pub mod write_driver;
