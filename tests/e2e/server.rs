//! `TestServer`: runs the `ringflux` binary in a temporary directory on a free port.
//!
//! The engine lives in `<tmp>/engine`; each start's stderr goes to `<tmp>/stderr-<n>.log` and is
//! printed when the test panics, so a failure shows what the daemon logged.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::http::{self, Body, Client, Response};

/// Token created by [`TestServer::onboard`].
pub(crate) const TOKEN: &str = "e2e-token-0123456789";
/// Org created by [`TestServer::onboard`].
pub(crate) const ORG: &str = "e2e-org";
/// Bucket created by [`TestServer::onboard`].
pub(crate) const BUCKET: &str = "e2e-bucket";

const START_TIMEOUT: Duration = Duration::from_secs(30);
const LISTENING: &str = "ringflux listening on http://";

/// Why a start did not reach the listening line.
#[derive(Debug)]
pub(crate) struct StartFailure {
    /// Exit status, if the process exited.
    pub(crate) status: Option<ExitStatus>,
    /// Everything it wrote to stderr.
    pub(crate) stderr: String,
}

/// A running (or stopped) daemon and its directory.
#[derive(Debug)]
pub(crate) struct TestServer {
    root: tempfile::TempDir,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    child: Option<Child>,
    addr: Option<SocketAddr>,
    starts: usize,
}

impl TestServer {
    /// A server with `--shards 2` and defaults otherwise.
    pub(crate) fn spawn() -> Self {
        Self::spawn_with(&[], &[])
    }

    /// A server with extra flags (`--shards 2` unless `args` names `--shards`) and environment.
    pub(crate) fn spawn_with(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut s = Self::new(args, envs);
        s.start();
        s
    }

    /// A server that is not started yet.
    pub(crate) fn new(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let root = tempfile::Builder::new()
            .prefix("ringflux-e2e-")
            .tempdir()
            .expect("tempdir");
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if !a.iter().any(|x| x == "--shards") {
            a.push("--shards".into());
            a.push("2".into());
        }
        TestServer {
            root,
            args: a,
            envs: envs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
            addr: None,
            starts: 0,
        }
    }

    /// The engine directory.
    pub(crate) fn engine_path(&self) -> PathBuf {
        self.root.path().join("engine")
    }

    /// The temporary root (for config files etc.).
    pub(crate) fn root(&self) -> &Path {
        self.root.path()
    }

    /// Sets (or replaces) a flag for the next start.
    pub(crate) fn set_arg(&mut self, flag: &str, value: &str) {
        if let Some(i) = self.args.iter().position(|a| a == flag) {
            self.args[i + 1] = value.to_string();
        } else {
            self.args.push(flag.to_string());
            self.args.push(value.to_string());
        }
    }

    /// The address the server listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr.expect("server not started")
    }

    fn stderr_path(&self, n: usize) -> PathBuf {
        self.root.path().join(format!("stderr-{n}.log"))
    }

    /// Everything every start wrote to stderr, in order.
    pub(crate) fn stderr(&self) -> String {
        let mut out = String::new();
        for n in 1..=self.starts {
            let text = std::fs::read_to_string(self.stderr_path(n)).unwrap_or_default();
            out.push_str(&format!("--- start {n} stderr ---\n{text}"));
        }
        out
    }

    /// Starts the daemon; panics with its stderr if it does not come up.
    pub(crate) fn start(&mut self) {
        if let Err(f) = self.try_start() {
            panic!(
                "ringflux did not start (status {:?}):\n{}",
                f.status, f.stderr
            );
        }
    }

    /// Starts the daemon; returns its exit status and stderr if it exits or never prints the
    /// listening line.
    pub(crate) fn try_start(&mut self) -> Result<SocketAddr, StartFailure> {
        assert!(self.child.is_none(), "already running");
        self.starts += 1;
        let log_path = self.stderr_path(self.starts);
        let log = std::fs::File::create(&log_path).expect("stderr log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringflux"));
        cmd.arg("serve")
            .arg("--engine-path")
            .arg(self.engine_path())
            .arg("--http-bind-address")
            .arg("127.0.0.1:0")
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        for (k, _) in std::env::vars() {
            if k.starts_with("RINGFLUX_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn ringflux");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(LISTENING) {
                        let addr: SocketAddr = rest.trim().parse().expect("listening address");
                        self.child = Some(child);
                        self.addr = Some(addr);
                        return Ok(addr);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // stdout closed: the process is exiting.
                    let status = wait_timeout(&mut child, Duration::from_secs(10));
                    if status.is_none() {
                        let _ = child.kill();
                        let _ = child.wait();
                    }
                    return Err(StartFailure {
                        status,
                        stderr: std::fs::read_to_string(&log_path).unwrap_or_default(),
                    });
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(StartFailure {
                    status: Some(status),
                    stderr: std::fs::read_to_string(&log_path).unwrap_or_default(),
                });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(StartFailure {
                    status: None,
                    stderr: format!(
                        "no listening line within {START_TIMEOUT:?}\n{}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    ),
                });
            }
        }
    }

    /// SIGKILL and reap.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait (at most 30 s, then SIGKILL and panic); returns the exit status.
    pub(crate) fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server not running");
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        match wait_timeout(&mut child, Duration::from_secs(30)) {
            Some(s) => s,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("ringflux did not exit within 30 s of SIGTERM");
            }
        }
    }

    /// SIGKILL (if running), then start again on the same directory.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.start();
    }

    /// Onboards user/org/bucket with [`TOKEN`]; returns the token.
    pub(crate) fn onboard(&self) -> String {
        let v = self.onboard_json();
        v["auth"]["token"].as_str().expect("token").to_string()
    }

    /// Onboards and returns the whole response JSON.
    pub(crate) fn onboard_json(&self) -> serde_json::Value {
        let body = serde_json::json!({
            "username": "e2e-user",
            "password": "e2e-password",
            "org": ORG,
            "bucket": BUCKET,
            "token": TOKEN,
        });
        let r = http::request(
            self.addr(),
            "POST",
            "/api/v2/setup",
            &[("Content-Type", "application/json")],
            body.to_string(),
        );
        assert_eq!(r.status, 201, "onboarding: {}", r.text());
        r.json()
    }

    /// A new keep-alive client.
    pub(crate) fn client(&self) -> Client {
        Client::new(self.addr())
    }

    /// POSTs `body` to `path` with the test token and extra `headers`.
    pub(crate) fn post_authed(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Response {
        let tok = format!("Token {TOKEN}");
        let mut h = vec![("Authorization", tok.as_str())];
        h.extend_from_slice(headers);
        http::request(self.addr(), "POST", path, &h, body.into())
    }

    /// Writes `lp` to the test bucket with precision `ns`.
    pub(crate) fn write(&self, lp: &str) -> Response {
        self.write_precision(lp, "ns")
    }

    /// Writes `lp` to the test bucket.
    pub(crate) fn write_precision(&self, lp: &str, precision: &str) -> Response {
        let path = format!("/api/v2/write?org={ORG}&bucket={BUCKET}&precision={precision}");
        http::request(
            self.addr(),
            "POST",
            &path,
            &[("Authorization", &format!("Token {TOKEN}"))],
            Body::from(lp),
        )
    }

    /// Runs a Flux query (`application/vnd.flux`).
    pub(crate) fn query(&self, flux: &str) -> Response {
        http::request(
            self.addr(),
            "POST",
            &format!("/api/v2/query?org={ORG}"),
            &[
                ("Authorization", &format!("Token {TOKEN}")),
                ("Content-Type", "application/vnd.flux"),
            ],
            Body::from(flux),
        )
    }

    /// Runs a Flux query that must succeed; returns the CSV.
    pub(crate) fn query_ok(&self, flux: &str) -> String {
        let r = self.query(flux);
        assert_eq!(r.status, 200, "query {flux:?}: {}", r.text());
        r.text()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("{}", self.stderr());
        }
    }
}

/// Waits for `child` up to `timeout`.
pub(crate) fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Data rows of an annotated-CSV response without annotations: `(table, row)` where `row` maps
/// header names to cells. Good enough for the simple values the tests write (no quoting).
pub(crate) fn csv_rows(csv: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for line in csv.split("\r\n") {
        if line.is_empty() {
            header = None;
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let cells: Vec<String> = line.split(',').map(str::to_string).collect();
        match &header {
            None => header = Some(cells),
            Some(h) => {
                out.push(h.iter().cloned().zip(cells).collect());
            }
        }
    }
    out
}

/// Current time in nanoseconds since the epoch.
pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as i64
}
