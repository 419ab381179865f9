//! The write driver: `connections` OS threads, each with one keep-alive
//! HTTP/1.1 connection, pulling batch numbers from a shared counter.
//!
//! Invariants:
//! * each batch number `b` is taken by exactly one thread
//!   (`fetch_add`), so every pre-rendered body/cycle is sent at most once
//!   per run apart from retries, and the set of lines sent does not depend
//!   on the number of connections;
//! * the run is bounded: threads stop at the deadline (checked before each
//!   batch and before each retry), when a count-bounded ring is exhausted,
//!   or after a fatal generation error; a request in flight at the deadline
//!   is finished (or times out after `timeout`), never abandoned midway;
//! * 429/503 are retried on the same batch after `Retry-After` (1 s when
//!   absent or not numeric), at most `max_retries` times and never past the
//!   deadline; every other non-2xx drops the batch and is counted by status;
//! * a write or early-close failure on a *reused* connection is retried once
//!   on a fresh connection (the server may have closed an idle keep-alive);
//!   a connect failure drops the batch and backs off 100 ms so a dead server
//!   does not turn the loop into a busy spin;
//! * only the URL the user gave is ever connected to.

use crate::generate::{gzip_into, Precision, Ring};
use crate::http1::{percent_encode, Conn, HttpError, Target};
use crate::report::Stats;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything the driver needs besides the ring.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// Where to write.
    pub target: Target,
    /// `org=` query parameter.
    pub org: String,
    /// `bucket=` query parameter.
    pub bucket: String,
    /// `Authorization: Token <token>`; omitted when empty.
    pub token: String,
    /// `precision=` query parameter (must match the ring's).
    pub precision: Precision,
    /// Number of connections (threads).
    pub connections: usize,
    /// Send `Content-Encoding: gzip` bodies.
    pub gzip: bool,
    /// Hard stop this long after the clock starts.
    pub max_duration: Duration,
    /// Most 429/503 retries per batch.
    pub max_retries: u32,
    /// Connect/read/write timeout per socket operation.
    pub timeout: Duration,
}

/// Live counters for the progress display.
#[derive(Debug, Default)]
pub struct Progress {
    /// Lines acknowledged so far.
    pub lines: AtomicU64,
}

/// Merged outcome of a run.
#[derive(Debug)]
pub struct RunResult {
    /// All threads' counters.
    pub stats: Stats,
    /// Clock start to last thread joined.
    pub elapsed: Duration,
}

/// Build the request head (without `Content-Length` and the blank line).
pub fn request_head(cfg: &DriverConfig) -> Vec<u8> {
    let mut h = Vec::with_capacity(256);
    // Writing into a Vec cannot fail.
    let _ = write!(
        h,
        "POST {}/api/v2/write?org={}&bucket={}&precision={} HTTP/1.1\r\n\
         Host: {}\r\nUser-Agent: ringflux-loadtest/{}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n",
        cfg.target.base_path,
        percent_encode(&cfg.org),
        percent_encode(&cfg.bucket),
        cfg.precision.as_str(),
        cfg.target.host_header,
        env!("CARGO_PKG_VERSION"),
    );
    if !cfg.token.is_empty() {
        let _ = write!(h, "Authorization: Token {}\r\n", cfg.token);
    }
    if cfg.gzip {
        h.extend_from_slice(b"Content-Encoding: gzip\r\n");
    }
    h
}

/// Run the load until the ring is exhausted or the deadline passes.
pub fn run(cfg: &DriverConfig, ring: Arc<Ring>, progress: Arc<Progress>) -> RunResult {
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let head: Arc<[u8]> = request_head(cfg).into();
    let start = Instant::now();
    let deadline = start + cfg.max_duration;
    let mut handles = Vec::with_capacity(cfg.connections);
    for i in 0..cfg.connections.max(1) {
        let w = Worker {
            cfg: cfg.clone(),
            ring: Arc::clone(&ring),
            next: Arc::clone(&next),
            stop: Arc::clone(&stop),
            progress: Arc::clone(&progress),
            head: Arc::clone(&head),
            deadline,
        };
        let spawned = std::thread::Builder::new()
            .name(format!("conn-{i}"))
            .spawn(move || w.run());
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => eprintln!("warning: could not start connection thread {i}: {e}"),
        }
    }
    let mut stats = Stats::new();
    for h in handles {
        match h.join() {
            Ok(s) => stats.merge(&s),
            Err(_) => stats.error("panic", "a connection thread panicked"),
        }
    }
    RunResult {
        stats,
        elapsed: start.elapsed(),
    }
}

struct Worker {
    cfg: DriverConfig,
    ring: Arc<Ring>,
    next: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    progress: Arc<Progress>,
    head: Arc<[u8]>,
    deadline: Instant,
}

/// Connection slot: the connection plus whether it has carried a request.
struct Slot {
    conn: Option<Conn>,
    used: bool,
    ever_connected: bool,
}

fn io_kind_is_stale(e: &HttpError) -> bool {
    match e {
        HttpError::ClosedBeforeResponse => true,
        HttpError::Io(e) => matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::UnexpectedEof
        ),
        HttpError::Protocol(_) => false,
    }
}

impl Worker {
    fn run(self) -> Stats {
        let mut stats = Stats::new();
        let mut slot = Slot {
            conn: None,
            used: false,
            ever_connected: false,
        };
        let mut scratch = Vec::new();
        let mut gz = Vec::new();
        let mut req = Vec::new();
        loop {
            if self.stop.load(Ordering::Relaxed) || Instant::now() >= self.deadline {
                break;
            }
            let b = self.next.fetch_add(1, Ordering::Relaxed);
            let body = match self.ring.body(b, &mut scratch, self.cfg.gzip) {
                Ok(Some(body)) => body,
                Ok(None) => break,
                Err(e) => {
                    stats.error("generate", &e.to_string());
                    self.stop.store(true, Ordering::Relaxed);
                    break;
                }
            };
            let lines = body.lines as u64;
            let bytes: &[u8] = if self.cfg.gzip && !body.gzipped {
                if let Err(e) = gzip_into(body.bytes, &mut gz) {
                    stats.error("generate", &e.to_string());
                    self.stop.store(true, Ordering::Relaxed);
                    break;
                }
                &gz
            } else {
                body.bytes
            };
            self.send_batch(&mut slot, bytes, lines, &mut stats, &mut req);
        }
        stats
    }

    fn backoff(&self, d: Duration) {
        let left = self.deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(d.min(left));
    }

    fn send_batch(
        &self,
        slot: &mut Slot,
        body: &[u8],
        lines: u64,
        stats: &mut Stats,
        req: &mut Vec<u8>,
    ) {
        let mut retries = 0u32;
        let mut stale_retry_used = false;
        loop {
            let conn = match slot.conn.as_mut() {
                Some(c) => c,
                None => match Conn::connect(&self.cfg.target, self.cfg.timeout) {
                    Ok(c) => {
                        if slot.ever_connected {
                            stats.reconnects += 1;
                        }
                        slot.ever_connected = true;
                        slot.used = false;
                        slot.conn.insert(c)
                    }
                    Err(e) => {
                        stats.error("connect", &e.to_string());
                        self.backoff(Duration::from_millis(100));
                        return;
                    }
                },
            };
            let reused = slot.used;
            slot.used = true;
            let t0 = Instant::now();
            let result = conn.exchange(&self.head, body, req);
            let took = t0.elapsed();
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    slot.conn = None;
                    if reused && !stale_retry_used && io_kind_is_stale(&e) {
                        stale_retry_used = true;
                        continue;
                    }
                    let key = match e {
                        HttpError::Protocol(_) => "protocol",
                        _ => "io",
                    };
                    stats.error(key, &e.to_string());
                    return;
                }
            };
            stats.requests += 1;
            stats.bytes_sent += body.len() as u64;
            if resp.close {
                slot.conn = None;
            }
            match resp.status {
                200..=299 => {
                    stats.record_latency(took);
                    stats.ok_requests += 1;
                    stats.lines += lines;
                    self.progress.lines.fetch_add(lines, Ordering::Relaxed);
                    return;
                }
                429 | 503 => {
                    let wait = resp.retry_after.unwrap_or(Duration::from_secs(1));
                    let left = self.deadline.saturating_duration_since(Instant::now());
                    if retries >= self.cfg.max_retries || wait >= left {
                        let why = if retries >= self.cfg.max_retries {
                            "retries exhausted"
                        } else {
                            "Retry-After reaches past the deadline"
                        };
                        let msg = format!("{why}; {}", String::from_utf8_lossy(&resp.body));
                        stats.error(&resp.status.to_string(), &msg);
                        return;
                    }
                    retries += 1;
                    stats.retries += 1;
                    std::thread::sleep(wait);
                }
                s => {
                    stats.error(&s.to_string(), &String::from_utf8_lossy(&resp.body));
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenConfig, RingConfig, DEFAULT_START_UNIX_S};
    use crate::spec::DataSpec;
    use std::io::{BufRead, BufReader, Read};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Mutex;

    /// What the in-test server saw.
    #[derive(Default, Debug)]
    struct Seen {
        requests: u64,
        lines: u64,
        connections: u64,
        bodies: Vec<Vec<u8>>,
        heads: Vec<String>,
    }

    /// Reply for the n-th request (0-based) the server receives.
    type Script = dyn Fn(u64) -> &'static [u8] + Send + Sync;

    /// A tiny keep-alive HTTP/1.1 server on 127.0.0.1:0 that reads each
    /// request (Content-Length framed), records it, and replies by script.
    fn serve(script: Arc<Script>) -> (String, Arc<Mutex<Seen>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let seen2 = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let seen = Arc::clone(&seen2);
                let script = Arc::clone(&script);
                seen.lock().unwrap().connections += 1;
                std::thread::spawn(move || handle(stream, &seen, &*script));
            }
        });
        (url, seen)
    }

    fn handle(stream: TcpStream, seen: &Mutex<Seen>, script: &Script) {
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        loop {
            let mut head = String::new();
            let mut len = 0usize;
            let mut gzip = false;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if lower.starts_with("content-encoding: gzip") {
                    gzip = true;
                }
                head.push_str(&line);
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            if gzip {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut out)
                    .unwrap();
                body = out;
            }
            let n = {
                let mut s = seen.lock().unwrap();
                let n = s.requests;
                s.requests += 1;
                let reply = script(n);
                if reply.starts_with(b"HTTP/1.1 204") {
                    s.lines += body.iter().filter(|&&b| b == b'\n').count() as u64;
                    s.bodies.push(body);
                }
                s.heads.push(head);
                n
            };
            let reply = script(n);
            if w.write_all(reply).is_err() {
                return;
            }
            if reply.windows(17).any(|x| x == b"Connection: close") {
                return;
            }
        }
    }

    fn setup(url: &str, connections: usize, gzip: bool) -> DriverConfig {
        DriverConfig {
            target: Target::parse(url).unwrap(),
            org: "my org".into(),
            bucket: "b".into(),
            token: "secret".into(),
            precision: Precision::Ns,
            connections,
            gzip,
            max_duration: Duration::from_secs(30),
            max_retries: 5,
            timeout: Duration::from_secs(10),
        }
    }

    fn ring(points: u64, batch: usize, max_bytes: usize, gzip: bool) -> Arc<Ring> {
        let gen = GenConfig {
            hosts: 10,
            seed: 1,
            precision: Precision::Ns,
            start_unix_s: DEFAULT_START_UNIX_S,
        };
        let rc = RingConfig {
            batch_size: batch,
            total_lines: Some(points),
            max_bytes,
            gzip,
        };
        Arc::new(Ring::build(&DataSpec::tsbs_cpu(), gen, rc).unwrap())
    }

    const OK: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";

    #[test]
    fn sends_n_lines_in_k_requests() {
        let (url, seen) = serve(Arc::new(|_| OK));
        let cfg = setup(&url, 3, false);
        let progress = Arc::new(Progress::default());
        // 1,050 lines in batches of 100 → 11 requests, last one of 50 lines.
        let res = run(
            &cfg,
            ring(1_050, 100, 1 << 30, false),
            Arc::clone(&progress),
        );
        let s = &res.stats;
        assert_eq!(s.lines, 1_050);
        assert_eq!(s.ok_requests, 11);
        assert_eq!(s.requests, 11);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.hist.len(), 11);
        assert_eq!(progress.lines.load(Ordering::Relaxed), 1_050);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.requests, 11);
        assert_eq!(seen.lines, 1_050);
        assert!(seen.connections <= 3, "keep-alive reused connections");
        let head = &seen.heads[0];
        assert!(
            head.starts_with("POST /api/v2/write?org=my%20org&bucket=b&precision=ns HTTP/1.1"),
            "{head}"
        );
        assert!(head.contains("Authorization: Token secret\r\n"), "{head}");
        // Same lines as generating them in one go, whatever the interleaving.
        let mut got: Vec<&[u8]> = seen
            .bodies
            .iter()
            .flat_map(|b| b.split_inclusive(|&c| c == b'\n'))
            .collect();
        got.sort();
        let gen = GenConfig {
            hosts: 10,
            seed: 1,
            precision: Precision::Ns,
            start_unix_s: DEFAULT_START_UNIX_S,
        };
        let whole = crate::generate::Generator::new(&DataSpec::tsbs_cpu(), gen)
            .unwrap()
            .lines(1_050)
            .unwrap();
        let mut want: Vec<&[u8]> = whole.split_inclusive(|&c| c == b'\n').collect();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn ring_reuse_and_gzip_send_distinct_lines() {
        let (url, seen) = serve(Arc::new(|_| OK));
        let cfg = setup(&url, 2, true);
        // Ring of one 50-line batch reused 8 times, gzip on the fly.
        let res = run(&cfg, ring(400, 50, 1, true), Arc::new(Progress::default()));
        assert_eq!(res.stats.lines, 400);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.lines, 400);
        let mut lines: Vec<&[u8]> = seen
            .bodies
            .iter()
            .flat_map(|b| b.split_inclusive(|&c| c == b'\n'))
            .collect();
        lines.sort();
        lines.dedup();
        assert_eq!(lines.len(), 400, "no line sent twice");
    }

    #[test]
    fn honours_retry_after_and_counts_errors() {
        // Request 0: 429 Retry-After 0; 1: 503 chunked with close; 2: 400;
        // then 204s.
        let script: Arc<Script> =
            Arc::new(|n| {
                match n {
            0 => b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 2\r\n\r\n{}",
            1 => b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nConnection: close\r\n\
Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            2 => b"HTTP/1.1 400 Bad Request\r\nContent-Length: 42\r\n\r\n\
{\"code\":\"invalid\",\"message\":\"bad line 1\"}\n",
            _ => OK,
        }
            });
        let (url, seen) = serve(script);
        let cfg = setup(&url, 1, false);
        let res = run(
            &cfg,
            ring(30, 10, 1 << 30, false),
            Arc::new(Progress::default()),
        );
        let s = &res.stats;
        assert_eq!(s.retries, 2);
        assert_eq!(s.reconnects, 1);
        assert_eq!(s.errors.get("400"), Some(&1));
        assert!(s.error_samples["400"].contains("bad line 1"));
        assert_eq!(s.lines, 20);
        assert_eq!(s.requests, 5);
        assert_eq!(seen.lock().unwrap().lines, 20);
    }

    #[test]
    fn connect_failure_is_counted_and_bounded() {
        // Bind then drop to get a port with (very likely) nobody listening.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cfg = setup(&format!("http://127.0.0.1:{port}"), 1, false);
        cfg.max_duration = Duration::from_millis(300);
        let t0 = Instant::now();
        let res = run(
            &cfg,
            ring(1_000_000, 10, 1 << 16, false),
            Arc::new(Progress::default()),
        );
        assert!(t0.elapsed() < Duration::from_secs(5));
        assert_eq!(res.stats.lines, 0);
        assert!(res.stats.errors.get("connect").copied().unwrap_or(0) >= 1);
    }
}
