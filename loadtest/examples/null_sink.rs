//! A do-nothing write endpoint for measuring the load generator itself.
//!
//! Listens on 127.0.0.1 only (port from argv[1], default 18086), reads each
//! request's head and `Content-Length` body, counts lines, answers
//! `204 No Content`, and keeps the connection alive. It exits by itself
//! after argv[2] seconds (default 120) so it can never be left running.
//! It does not parse line protocol, fsync or store anything: numbers
//! measured against it are the client's ceiling, not a server's.
//!
//! ```text
//! cargo run --release -p ringflux-loadtest --example null_sink -- 18086 60 &
//! cargo run --release -p ringflux-loadtest -- --url http://127.0.0.1:18086 --duration 10s
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn handle(stream: TcpStream, lines: &AtomicU64) -> std::io::Result<()> {
    let mut w = stream.try_clone()?;
    let mut r = BufReader::with_capacity(256 * 1024, stream);
    let mut line = String::new();
    let mut body = Vec::new();
    loop {
        let mut len = 0usize;
        loop {
            line.clear();
            if r.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        body.resize(len, 0);
        r.read_exact(&mut body)?;
        let n = body.iter().filter(|&&b| b == b'\n').count() as u64;
        lines.fetch_add(n, Ordering::Relaxed);
        w.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")?;
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(18086);
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(120);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let lines = Arc::new(AtomicU64::new(0));
    let l2 = Arc::clone(&lines);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        eprintln!(
            "null_sink: {} lines received; exiting",
            l2.load(Ordering::Relaxed)
        );
        std::process::exit(0);
    });
    eprintln!("null_sink: listening on 127.0.0.1:{port} for {secs}s");
    for stream in listener.incoming() {
        let stream = stream?;
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            let _ = handle(stream, &lines);
        });
    }
    Ok(())
}
