//! Counters, the latency histogram and the end-of-run report.
//!
//! Each connection thread owns a [`Stats`] (no sharing on the hot path);
//! they are merged once at the end. Latency is recorded in microseconds in
//! an HDR histogram (3 significant digits, 1 µs ..= 1 h, larger values
//! saturate) for every exchange that returned 2xx — one HTTP round trip,
//! timed from the first byte written to the last byte of the response read,
//! excluding body preparation and `Retry-After` sleeps. Throughput counts
//! only lines of 2xx-acknowledged requests, divided by wall time from clock
//! start to the last connection finishing.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Per-connection counters.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Latency of 2xx exchanges, µs.
    pub hist: Histogram<u64>,
    /// HTTP exchanges attempted that got a response.
    pub requests: u64,
    /// Exchanges answered 2xx.
    pub ok_requests: u64,
    /// Lines acknowledged (2xx).
    pub lines: u64,
    /// Request body bytes put on the wire (all attempts).
    pub bytes_sent: u64,
    /// Failed batches by status code, or `io`/`connect`/`protocol`/`generate`.
    pub errors: BTreeMap<String, u64>,
    /// First error body (truncated) per error key.
    pub error_samples: BTreeMap<String, String>,
    /// 429/503 answers that were retried after `Retry-After`.
    pub retries: u64,
    /// Connections re-opened after a close or error.
    pub reconnects: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    /// Empty counters.
    pub fn new() -> Self {
        // Bounds are constants that satisfy the constructor's preconditions.
        #[allow(clippy::expect_used)]
        let hist = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid HDR bounds");
        Stats {
            hist,
            requests: 0,
            ok_requests: 0,
            lines: 0,
            bytes_sent: 0,
            errors: BTreeMap::new(),
            error_samples: BTreeMap::new(),
            retries: 0,
            reconnects: 0,
        }
    }

    /// Record one 2xx exchange.
    pub fn record_latency(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
        self.hist.saturating_record(us);
    }

    /// Count a failed batch under `key`, keeping the first sample message.
    pub fn error(&mut self, key: &str, sample: &str) {
        *self.errors.entry(key.to_owned()).or_insert(0) += 1;
        if !self.error_samples.contains_key(key) {
            let mut s: String = sample.chars().take(300).collect();
            if s.len() < sample.len() {
                s.push('…');
            }
            self.error_samples.insert(key.to_owned(), s);
        }
    }

    /// Fold `other` into `self`.
    pub fn merge(&mut self, other: &Stats) {
        // Same bounds on both sides, so `add` cannot fail; saturate anyway.
        let _ = self.hist.add(&other.hist);
        self.requests += other.requests;
        self.ok_requests += other.ok_requests;
        self.lines += other.lines;
        self.bytes_sent += other.bytes_sent;
        self.retries += other.retries;
        self.reconnects += other.reconnects;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_insert(0) += v;
        }
        for (k, v) in &other.error_samples {
            self.error_samples
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
    }
}

/// Latency summary in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    /// Samples (2xx exchanges).
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Maximum.
    pub max: f64,
}

impl Latency {
    /// Summarise a µs histogram.
    pub fn from_hist(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return Latency {
                count: 0,
                mean: 0.0,
                p50: 0.0,
                p90: 0.0,
                p99: 0.0,
                p999: 0.0,
                max: 0.0,
            };
        }
        Latency {
            count: h.len(),
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// The end-of-run report (printed, and written by `--json-out`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Echo of the run parameters.
    pub config: serde_json::Value,
    /// Wall time, clock start to last connection done.
    pub elapsed_s: f64,
    /// Lines acknowledged.
    pub lines: u64,
    /// Field values acknowledged (`lines * fields per line`).
    pub values: u64,
    /// `lines / elapsed_s`.
    pub lines_per_s: f64,
    /// `values / elapsed_s`.
    pub values_per_s: f64,
    /// Exchanges that got a response.
    pub requests: u64,
    /// Exchanges answered 2xx.
    pub ok_requests: u64,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// 429/503 retries.
    pub retries: u64,
    /// Re-opened connections.
    pub reconnects: u64,
    /// Failed batches by status/kind.
    pub errors: BTreeMap<String, u64>,
    /// First error message per kind.
    pub error_samples: BTreeMap<String, String>,
    /// 2xx latency summary.
    pub latency_ms: Latency,
}

impl Report {
    /// Build from merged stats.
    pub fn new(
        stats: &Stats,
        elapsed: Duration,
        fields_per_line: u64,
        config: serde_json::Value,
    ) -> Self {
        let secs = elapsed.as_secs_f64();
        let rate = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let values = stats.lines.saturating_mul(fields_per_line);
        Report {
            config,
            elapsed_s: secs,
            lines: stats.lines,
            values,
            lines_per_s: rate(stats.lines),
            values_per_s: rate(values),
            requests: stats.requests,
            ok_requests: stats.ok_requests,
            bytes_sent: stats.bytes_sent,
            retries: stats.retries,
            reconnects: stats.reconnects,
            errors: stats.errors.clone(),
            error_samples: stats.error_samples.clone(),
            latency_ms: Latency::from_hist(&stats.hist),
        }
    }

    /// Total failed batches.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "elapsed      {:>14.3} s", self.elapsed_s)?;
        writeln!(
            f,
            "lines        {:>14}   {:>14.0} lines/s",
            self.lines, self.lines_per_s
        )?;
        writeln!(
            f,
            "values       {:>14}   {:>14.0} values/s",
            self.values, self.values_per_s
        )?;
        writeln!(
            f,
            "requests     {:>14}   ({} ok, {:.1} MiB sent)",
            self.requests,
            self.ok_requests,
            self.bytes_sent as f64 / (1024.0 * 1024.0)
        )?;
        writeln!(f, "retries      {:>14}", self.retries)?;
        writeln!(f, "reconnects   {:>14}", self.reconnects)?;
        if self.errors.is_empty() {
            writeln!(f, "errors       {:>14}", 0)?;
        } else {
            for (k, v) in &self.errors {
                let sample = self.error_samples.get(k).map_or("", String::as_str);
                writeln!(f, "errors[{k:>5}] {v:>13}   {sample}")?;
            }
        }
        let l = &self.latency_ms;
        writeln!(f, "latency (ms, {} ok requests)", l.count)?;
        writeln!(
            f,
            "  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "p50", "p90", "p99", "p99.9", "max", "mean"
        )?;
        writeln!(
            f,
            "  {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            l.p50, l.p90, l.p99, l.p999, l.max, l.mean
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_on_known_input() {
        let mut a = Stats::new();
        let mut b = Stats::new();
        // 1..=1000 ms, split across two threads' stats.
        for ms in 1..=1000u64 {
            let s = if ms % 2 == 0 { &mut a } else { &mut b };
            s.record_latency(Duration::from_millis(ms));
        }
        a.lines = 600;
        b.lines = 400;
        a.error("429", "slow down");
        b.error("429", "other");
        b.error("io", "reset");
        a.merge(&b);
        let r = Report::new(&a, Duration::from_secs(2), 10, serde_json::Value::Null);
        let l = &r.latency_ms;
        let close = |x: f64, want: f64| (x - want).abs() <= want * 0.002;
        assert_eq!(l.count, 1000);
        assert!(close(l.p50, 500.0), "{l:?}");
        assert!(close(l.p90, 900.0), "{l:?}");
        assert!(close(l.p99, 990.0), "{l:?}");
        assert!(close(l.p999, 999.0), "{l:?}");
        assert!(close(l.max, 1000.0), "{l:?}");
        assert!(close(l.mean, 500.5), "{l:?}");
        assert_eq!(r.lines, 1000);
        assert_eq!(r.values, 10_000);
        assert_eq!(r.lines_per_s, 500.0);
        assert_eq!(r.errors["429"], 2);
        assert_eq!(r.error_samples["429"], "slow down");
        assert_eq!(r.error_count(), 3);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["latency_ms"]["count"], 1000);
        let text = r.to_string();
        assert!(text.contains("p99.9"), "{text}");
    }

    #[test]
    fn empty_histogram_reports_zeros() {
        let r = Report::new(&Stats::new(), Duration::ZERO, 10, serde_json::Value::Null);
        assert_eq!(r.latency_ms.count, 0);
        assert_eq!(r.lines_per_s, 0.0);
    }
}
