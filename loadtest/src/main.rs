//! `ringflux-loadtest`: a write load generator for the InfluxDB 2.x
//! `/api/v2/write` endpoint (ringflux, or InfluxDB OSS 2.7 itself).
//!
//! Flow: parse flags → load/validate the `DataSpec` → render the body
//! ring *before* the clock starts → run the write driver for `--duration`
//! or `--points` (whichever comes first when both are given) → print the
//! report (and write it as JSON with `--json-out`).
//!
//! Invariants: the run is bounded in time (a `--points` run without
//! `--duration` is still capped at [`POINTS_ONLY_CAP`]) and in count; the
//! only network peer is the `--url` given; the exit status is 0 when every
//! batch was acknowledged, 1 when any batch failed, 2 on usage/setup errors.

use clap::Parser;
use ringflux_loadtest::generate::{
    self, GenConfig, Precision, Ring, RingConfig, DEFAULT_START_UNIX_S,
};
use ringflux_loadtest::{http1, report, spec, write_driver};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Safety cap on wall time for `--points` runs without `--duration`.
const POINTS_ONLY_CAP: Duration = Duration::from_secs(3600);

/// Write load generator for ringflux / InfluxDB 2.x `/api/v2/write`.
#[derive(Debug, Parser)]
#[command(name = "ringflux-loadtest", version, about)]
struct Cli {
    /// Base URL of the server (http only).
    #[arg(long, default_value = "http://127.0.0.1:8086")]
    url: String,
    /// Organization name (`org=`).
    #[arg(long, env = "INFLUX_ORG", default_value = "ringflux")]
    org: String,
    /// Bucket name (`bucket=`).
    #[arg(long, env = "INFLUX_BUCKET", default_value = "loadtest")]
    bucket: String,
    /// API token, sent as `Authorization: Token <token>` (omitted if empty).
    #[arg(long, env = "INFLUX_TOKEN", default_value = "", hide_env_values = true)]
    token: String,
    /// Timestamp precision of the generated lines.
    #[arg(long, value_enum, default_value_t = Precision::Ns)]
    precision: Precision,
    /// Concurrent keep-alive connections (one thread each).
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Lines per request.
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
    /// Number of series (distinct values of the series tag, e.g. hostname).
    #[arg(long, default_value_t = 100)]
    hosts: u64,
    /// PRNG seed; same seed and flags give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run time, e.g. `30s`, `500ms`, `2m` (default 10s unless --points).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Total lines to write (stops early if --duration elapses first).
    #[arg(long)]
    points: Option<u64>,
    /// Send gzip-compressed bodies (`Content-Encoding: gzip`, fast level).
    #[arg(long)]
    gzip: bool,
    /// JSON data spec file (default: built-in TSBS cpu-only, see specs/).
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
    /// Disable the progress bar (it is also off when stderr is not a TTY).
    #[arg(long)]
    no_progress: bool,
    /// Data time of the first round, Unix seconds (default 2016-01-01).
    #[arg(long, default_value_t = DEFAULT_START_UNIX_S)]
    start: i64,
    /// Memory budget (MiB) for pre-rendered bodies; bounds the ring size.
    #[arg(long, default_value_t = 256)]
    ring_mib: usize,
    /// Maximum 429/503 retries per batch.
    #[arg(long, default_value_t = 20)]
    max_retries: u32,
    /// Socket connect/read/write timeout.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    timeout: Duration,
    /// Print the first N generated lines to stdout and exit (no network).
    #[arg(long, value_name = "N")]
    dump: Option<usize>,
}

/// Parse `500ms`, `30s`, `2m`, `1h`, or bare seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("bad duration {s:?} (try 30s, 500ms, 2m)"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("bad duration unit {unit:?} (ms, s, m, h)")),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 7.0 * 86_400.0 {
        return Err(format!("duration {s:?} must be > 0 and at most 7 days"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("ringflux-loadtest: {msg}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let spec = match &cli.spec {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => match spec::DataSpec::from_json(&text) {
                Ok(s) => s,
                Err(e) => return fail(format!("{}: {e}", path.display())),
            },
            Err(e) => return fail(format!("{}: {e}", path.display())),
        },
        None => spec::DataSpec::tsbs_cpu(),
    };
    let gen_cfg = GenConfig {
        hosts: cli.hosts,
        seed: cli.seed,
        precision: cli.precision,
        start_unix_s: cli.start,
    };
    if let Some(n) = cli.dump {
        return match generate::Generator::new(&spec, gen_cfg).and_then(|mut g| g.lines(n)) {
            Ok(bytes) => {
                let mut out = std::io::stdout().lock();
                match out.write_all(&bytes).and_then(|()| out.flush()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(e),
                }
            }
            Err(e) => fail(e),
        };
    }
    if cli.connections == 0 || cli.connections > 1024 {
        return fail("--connections must be in 1..=1024");
    }
    if cli.points == Some(0) {
        return fail("--points must be >= 1");
    }
    let max_duration = match (cli.duration, cli.points) {
        (Some(d), _) => d,
        (None, Some(_)) => POINTS_ONLY_CAP,
        (None, None) => Duration::from_secs(10),
    };
    let target = match http1::Target::parse(&cli.url) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };

    let t0 = Instant::now();
    let ring_cfg = RingConfig {
        batch_size: cli.batch_size,
        total_lines: cli.points,
        max_bytes: cli.ring_mib.saturating_mul(1024 * 1024),
        gzip: cli.gzip,
    };
    let ring = match Ring::build(&spec, gen_cfg, ring_cfg) {
        Ok(r) => Arc::new(r),
        Err(e) => return fail(e),
    };
    eprintln!(
        "pre-generated {} batch(es) x {} lines ({:.1} MiB) in {:.2}s; writing to {} ({} connections, {})",
        ring.batches(),
        cli.batch_size,
        ring.bytes() as f64 / (1024.0 * 1024.0),
        t0.elapsed().as_secs_f64(),
        cli.url,
        cli.connections,
        match (cli.duration, cli.points) {
            (Some(d), Some(p)) => format!("{p} lines or {:.1}s", d.as_secs_f64()),
            (None, Some(p)) => format!("{p} lines"),
            _ => format!("{:.1}s", max_duration.as_secs_f64()),
        }
    );

    let driver_cfg = write_driver::DriverConfig {
        target,
        org: cli.org.clone(),
        bucket: cli.bucket.clone(),
        token: cli.token.clone(),
        precision: cli.precision,
        connections: cli.connections,
        gzip: cli.gzip,
        max_duration,
        max_retries: cli.max_retries,
        timeout: cli.timeout,
    };
    let progress = Arc::new(write_driver::Progress::default());
    let show = !cli.no_progress && std::io::stderr().is_terminal();
    let bar = show.then(|| progress_bar(cli.points));
    let done = std::sync::atomic::AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        if let Some(bar) = &bar {
            let (progress, done) = (&progress, &done);
            s.spawn(move || {
                let start = Instant::now();
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(200));
                    let n = progress.lines.load(Ordering::Relaxed);
                    let rate = n as f64 / start.elapsed().as_secs_f64().max(1e-9);
                    bar.set_position(n);
                    bar.set_message(format!("{rate:.0} lines/s"));
                }
            });
        }
        let r = write_driver::run(&driver_cfg, Arc::clone(&ring), Arc::clone(&progress));
        done.store(true, Ordering::Relaxed);
        r
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    let config = serde_json::json!({
        "url": cli.url,
        "org": cli.org,
        "bucket": cli.bucket,
        "precision": cli.precision,
        "connections": cli.connections,
        "batch_size": cli.batch_size,
        "hosts": cli.hosts,
        "seed": cli.seed,
        "duration_s": cli.duration.map(|d| d.as_secs_f64()),
        "points": cli.points,
        "gzip": cli.gzip,
        "measurement": spec.measurement,
        "fields_per_line": spec.fields.len(),
        "ring_batches": ring.batches(),
    });
    let report = report::Report::new(
        &result.stats,
        result.elapsed,
        spec.fields.len() as u64,
        config,
    );
    print!("{report}");
    if let Some(path) = &cli.json_out {
        let json = match serde_json::to_string_pretty(&report) {
            Ok(j) => j,
            Err(e) => return fail(e),
        };
        if let Err(e) = std::fs::write(path, json + "\n") {
            return fail(format!("{}: {e}", path.display()));
        }
    }
    if report.error_count() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn progress_bar(points: Option<u64>) -> indicatif::ProgressBar {
    let (bar, template) = match points {
        Some(p) => (
            indicatif::ProgressBar::new(p),
            "[{elapsed_precise}] {wide_bar} {human_pos}/{human_len} lines  {msg}",
        ),
        None => (
            indicatif::ProgressBar::new_spinner(),
            "{spinner} [{elapsed_precise}] {human_pos} lines  {msg}",
        ),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("").is_err());
    }
}
