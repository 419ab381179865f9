//! A tiny blocking HTTP/1.1 client over `std::net::TcpStream`, enough for the e2e tests:
//! keep-alive connections, `Content-Length` or chunked request bodies, and `Content-Length`,
//! chunked or read-to-EOF response bodies.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How a request body is sent.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// No body (no `Content-Length` either).
    None,
    /// Sent with `Content-Length`.
    Full(Vec<u8>),
    /// Sent with `Transfer-Encoding: chunked`, one chunk per element.
    Chunked(Vec<Vec<u8>>),
}

impl From<&str> for Body {
    fn from(s: &str) -> Self {
        Body::Full(s.as_bytes().to_vec())
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::Full(s.into_bytes())
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::Full(v)
    }
}

/// A complete response.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// Status code.
    pub(crate) status: u16,
    /// Headers in arrival order, names lower-cased.
    pub(crate) headers: Vec<(String, String)>,
    /// The decoded body (chunked framing removed).
    pub(crate) body: Vec<u8>,
    /// Whether the body came with `Transfer-Encoding: chunked`.
    pub(crate) chunked: bool,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("response body is not UTF-8")
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}): status {} body {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One connection, reused for every request while the server keeps it open.
#[derive(Debug)]
pub(crate) struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
    timeout: Duration,
}

impl Client {
    /// A client for `addr` (connects lazily).
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Client {
            addr,
            conn: None,
            timeout: Duration::from_secs(60),
        }
    }

    fn connect(&mut self) -> io::Result<&mut BufReader<TcpStream>> {
        if self.conn.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(10))?;
            s.set_read_timeout(Some(self.timeout))?;
            s.set_write_timeout(Some(self.timeout))?;
            s.set_nodelay(true)?;
            self.conn = Some(BufReader::new(s));
        }
        Ok(self.conn.as_mut().expect("connected"))
    }

    /// Sends one request and reads the whole response. The connection is kept unless the
    /// server said `Connection: close` or the body was delimited by EOF.
    pub(crate) fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> io::Result<Response> {
        let body = body.into();
        let addr = self.addr;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let mut out = Vec::new();
        match &body {
            Body::None => {}
            Body::Full(b) => head.push_str(&format!("Content-Length: {}\r\n", b.len())),
            Body::Chunked(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
        }
        head.push_str("\r\n");
        out.extend_from_slice(head.as_bytes());
        match body {
            Body::None => {}
            Body::Full(b) => out.extend_from_slice(&b),
            Body::Chunked(chunks) => {
                for c in chunks.iter().filter(|c| !c.is_empty()) {
                    out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
                    out.extend_from_slice(c);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
        let conn = self.connect()?;
        // A server that answers early (413) may close before reading everything we send:
        // ignore a write error and try to read the response anyway.
        let write_err = conn.get_mut().write_all(&out).err();
        let result = read_response(conn, method == "HEAD");
        match result {
            Ok((resp, keep)) => {
                if !keep {
                    self.conn = None;
                }
                Ok(resp)
            }
            Err(e) => {
                self.conn = None;
                Err(write_err.unwrap_or(e))
            }
        }
    }
}

/// One request on a fresh connection.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Response {
    Client::new(addr)
        .request(method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn read_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    let n = r.read_line(&mut line)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before a complete response",
        ));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Reads one response; returns it and whether the connection can be reused.
fn read_response(r: &mut BufReader<TcpStream>, head_only: bool) -> io::Result<(Response, bool)> {
    let status_line = read_line(r)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(r)?;
        if line.is_empty() {
            break;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| io::Error::other(format!("bad header line {line:?}")))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut keep = version == "HTTP/1.1"
        && !get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
    let chunked = get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    let mut body = Vec::new();
    if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
        // no body
    } else if chunked {
        loop {
            let size_line = read_line(r)?;
            let size_hex = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| io::Error::other(format!("bad chunk size {size_line:?}")))?;
            if size == 0 {
                // trailers until an empty line
                loop {
                    if read_line(r)?.is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            let crlf = read_line(r)?;
            if !crlf.is_empty() {
                return Err(io::Error::other("chunk not followed by CRLF"));
            }
        }
    } else if let Some(len) = get("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| io::Error::other(format!("bad content-length {len:?}")))?;
        body.resize(len, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
        keep = false;
    }
    Ok((
        Response {
            status,
            headers,
            body,
            chunked,
        },
        keep,
    ))
}
