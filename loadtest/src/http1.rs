//! A deliberately small HTTP/1.1 client over `std::net::TcpStream`.
//!
//! Only what the write driver needs: one `POST` at a time on a keep-alive
//! connection, with the request head built once per connection and the body
//! sent with `Content-Length` (never chunked). Responses are framed by, in
//! order: 1xx (skipped), 204/304 (no body), `Transfer-Encoding: chunked`,
//! `Content-Length`, else read-until-close. Invariants:
//! * a response is fully consumed before the next request is written, so
//!   framing never desynchronises;
//! * every read is bounded (status/header line ≤ 8 KiB, ≤ 128 headers,
//!   body ≤ 16 MiB) so a misbehaving server cannot make the client allocate
//!   without limit;
//! * a connection that saw `Connection: close`, an HTTP/1.0 response without
//!   keep-alive, a close-delimited body or any error is never reused.
//!
//! No TLS: the target must be `http://`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

const MAX_LINE: usize = 8 * 1024;
const MAX_HEADERS: usize = 128;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Why a request/response exchange failed.
#[derive(Debug)]
pub enum HttpError {
    /// Socket error (including timeouts).
    Io(io::Error),
    /// The peer closed before sending any byte of a response — typically a
    /// keep-alive connection the server had already closed.
    ClosedBeforeResponse,
    /// The bytes were not an HTTP/1.x response we can frame.
    Protocol(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Io(e) => write!(f, "io: {e}"),
            HttpError::ClosedBeforeResponse => f.write_str("connection closed before response"),
            HttpError::Protocol(m) => write!(f, "protocol: {m}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> Self {
        HttpError::Io(e)
    }
}

fn proto(m: impl Into<String>) -> HttpError {
    HttpError::Protocol(m.into())
}

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Retry-After` in delta-seconds, when present and numeric.
    pub retry_after: Option<Duration>,
    /// Decoded body (chunked framing removed).
    pub body: Vec<u8>,
    /// The connection must not be reused.
    pub close: bool,
}

/// Read one line ending in `\n` (bounded), without the line ending.
/// Returns `Ok(None)` on EOF before any byte.
fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> Result<Option<()>, HttpError> {
    buf.clear();
    let n = r.take(MAX_LINE as u64 + 1).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        return Err(if n > MAX_LINE {
            proto("line too long")
        } else {
            HttpError::Io(io::ErrorKind::UnexpectedEof.into())
        });
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(()))
}

fn parse_status_line(line: &[u8]) -> Result<(u16, bool), HttpError> {
    let text = std::str::from_utf8(line).map_err(|_| proto("status line is not UTF-8"))?;
    let mut parts = text.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(proto(format!("bad status line {text:?}"))),
    };
    let code = parts.next().unwrap_or("");
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(proto(format!("bad status code in {text:?}")));
    }
    let status = code.parse().map_err(|_| proto("bad status code"))?;
    Ok((status, http10))
}

/// Parse `Retry-After` as delta-seconds (an HTTP-date yields `None`).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    // Not standard, but harmless: fractional seconds.
    match v.parse::<f64>() {
        Ok(s) if (0.0..1e9).contains(&s) => Some(Duration::from_secs_f64(s)),
        _ => None,
    }
}

/// Read one complete response from `r`.
pub fn read_response<R: BufRead>(r: &mut R) -> Result<Response, HttpError> {
    let mut line = Vec::with_capacity(128);
    let mut first = true;
    loop {
        if read_line(r, &mut line)?.is_none() {
            return Err(if first {
                HttpError::ClosedBeforeResponse
            } else {
                HttpError::Io(io::ErrorKind::UnexpectedEof.into())
            });
        }
        first = false;
        let (status, http10) = parse_status_line(&line)?;
        let mut content_length: Option<usize> = None;
        let mut chunked = false;
        let mut retry_after = None;
        let mut conn_close = http10;
        let mut headers = 0;
        loop {
            if read_line(r, &mut line)?.is_none() {
                return Err(HttpError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            if line.is_empty() {
                break;
            }
            headers += 1;
            if headers > MAX_HEADERS {
                return Err(proto("too many headers"));
            }
            let text = std::str::from_utf8(&line).map_err(|_| proto("header is not UTF-8"))?;
            let (name, value) = text
                .split_once(':')
                .ok_or_else(|| proto(format!("malformed header {text:?}")))?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                let n: usize = value
                    .parse()
                    .map_err(|_| proto(format!("bad Content-Length {value:?}")))?;
                if content_length.is_some_and(|c| c != n) {
                    return Err(proto("conflicting Content-Length"));
                }
                content_length = Some(n);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                let last = value.rsplit(',').next().unwrap_or("").trim();
                if last.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                } else {
                    return Err(proto(format!("unsupported Transfer-Encoding {value:?}")));
                }
            } else if name.eq_ignore_ascii_case("retry-after") {
                retry_after = parse_retry_after(value);
            } else if name.eq_ignore_ascii_case("connection") {
                for tok in value.split(',') {
                    let tok = tok.trim();
                    if tok.eq_ignore_ascii_case("close") {
                        conn_close = true;
                    } else if tok.eq_ignore_ascii_case("keep-alive") && http10 {
                        conn_close = false;
                    }
                }
            }
        }
        if (100..200).contains(&status) {
            continue; // 100 Continue and friends: the real response follows.
        }
        let mut body = Vec::new();
        if status == 204 || status == 304 {
            // No body by definition.
        } else if chunked {
            read_chunked(r, &mut body, &mut line)?;
        } else if let Some(n) = content_length {
            if n > MAX_BODY {
                return Err(proto(format!("body of {n} bytes is too large")));
            }
            body.resize(n, 0);
            r.read_exact(&mut body)?;
        } else {
            r.take(MAX_BODY as u64 + 1).read_to_end(&mut body)?;
            if body.len() > MAX_BODY {
                return Err(proto("close-delimited body too large"));
            }
            conn_close = true;
        }
        return Ok(Response {
            status,
            retry_after,
            body,
            close: conn_close,
        });
    }
}

fn read_chunked<R: BufRead>(
    r: &mut R,
    body: &mut Vec<u8>,
    line: &mut Vec<u8>,
) -> Result<(), HttpError> {
    loop {
        if read_line(r, line)?.is_none() {
            return Err(HttpError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        let text = std::str::from_utf8(line).map_err(|_| proto("chunk size not UTF-8"))?;
        let size_hex = text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| proto(format!("bad chunk size {text:?}")))?;
        if size == 0 {
            // Trailers until the empty line.
            loop {
                if read_line(r, line)?.is_none() {
                    return Err(HttpError::Io(io::ErrorKind::UnexpectedEof.into()));
                }
                if line.is_empty() {
                    return Ok(());
                }
            }
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(proto("chunked body too large"));
        }
        let old = body.len();
        body.resize(old + size, 0);
        r.read_exact(&mut body[old..])?;
        if read_line(r, line)?.is_none() || !line.is_empty() {
            return Err(proto("chunk not followed by CRLF"));
        }
    }
}

/// Where to send writes: parsed from `--url`.
#[derive(Debug, Clone)]
pub struct Target {
    /// `Host:` header value (`host:port`).
    pub host_header: String,
    /// Resolved addresses, tried in order.
    pub addrs: Vec<SocketAddr>,
    /// Path prefix from the URL (no trailing `/`), usually empty.
    pub base_path: String,
}

impl Target {
    /// Parse `http://host[:port][/prefix]` and resolve it.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("only http:// URLs are supported, got {url:?}"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(format!("bad host in {url:?}"));
        }
        let has_port = match authority.rfind(':') {
            Some(i) => !authority[i..].contains(']'),
            None => false,
        };
        let host_port = if has_port {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let addrs: Vec<SocketAddr> = host_port
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {authority:?}: {e}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("{authority:?} resolved to no address"));
        }
        Ok(Target {
            host_header: authority.to_owned(),
            addrs,
            base_path: path.trim_end_matches('/').to_owned(),
        })
    }
}

/// Percent-encode a query component (RFC 3986 unreserved set kept).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One keep-alive connection.
#[derive(Debug)]
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    /// Connect to the first address that accepts; apply I/O timeouts.
    pub fn connect(target: &Target, timeout: Duration) -> io::Result<Self> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in &target.addrs {
            match TcpStream::connect_timeout(addr, timeout) {
                Ok(s) => {
                    s.set_nodelay(true)?;
                    s.set_read_timeout(Some(timeout))?;
                    s.set_write_timeout(Some(timeout))?;
                    return Ok(Conn {
                        reader: BufReader::with_capacity(16 * 1024, s),
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Send `head` (everything up to, not including, the blank line),
    /// a `Content-Length` for `body`, then `body`; read the response.
    pub fn exchange(
        &mut self,
        head: &[u8],
        body: &[u8],
        scratch: &mut Vec<u8>,
    ) -> Result<Response, HttpError> {
        scratch.clear();
        scratch.extend_from_slice(head);
        // Writing into a Vec cannot fail.
        let _ = write!(scratch, "Content-Length: {}\r\n\r\n", body.len());
        let s = self.reader.get_mut();
        s.write_all(scratch)?;
        s.write_all(body)?;
        read_response(&mut self.reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Result<Response, HttpError> {
        read_response(&mut BufReader::new(raw))
    }

    #[test]
    fn no_content() {
        let r = parse(b"HTTP/1.1 204 No Content\r\nX-Influxdb-Version: 2.7\r\n\r\n").unwrap();
        assert_eq!(r.status, 204);
        assert!(r.body.is_empty());
        assert!(!r.close);
        assert_eq!(r.retry_after, None);
    }

    #[test]
    fn content_length_body_and_pipelined_rest() {
        let raw = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 37\r\n\r\n\
{\"code\":\"invalid\",\"message\":\"bad lp\"}HTTP/1.1 204 OK\r\n\r\n";
        let mut r = BufReader::new(&raw[..]);
        let a = read_response(&mut r).unwrap();
        assert_eq!(a.status, 400);
        assert_eq!(a.body, b"{\"code\":\"invalid\",\"message\":\"bad lp\"}");
        assert_eq!(read_response(&mut r).unwrap().status, 204);
    }

    #[test]
    fn chunked_body_with_extension_and_trailer() {
        let raw = b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n\
5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: x\r\n\r\n";
        let r = parse(raw).unwrap();
        assert_eq!(r.status, 500);
        assert_eq!(r.body, b"hello, world");
    }

    #[test]
    fn retry_after_and_close() {
        let raw = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nConnection: close\r\n\
Content-Length: 2\r\n\r\n{}";
        let r = parse(raw).unwrap();
        assert_eq!(r.status, 429);
        assert_eq!(r.retry_after, Some(Duration::from_secs(3)));
        assert!(r.close);
        let raw = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n";
        let r = parse(raw).unwrap();
        assert_eq!(r.retry_after, None);
        assert!(r.close, "close-delimited body");
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
    }

    #[test]
    fn skips_100_continue_and_handles_http10() {
        let r = parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 204 No Content\r\n\r\n").unwrap();
        assert_eq!(r.status, 204);
        assert!(r.close);
    }

    #[test]
    fn rejects_garbage_and_detects_early_close() {
        assert!(matches!(parse(b""), Err(HttpError::ClosedBeforeResponse)));
        assert!(matches!(
            parse(b"SSH-2.0\r\n\r\n"),
            Err(HttpError::Protocol(_))
        ));
        assert!(matches!(
            parse(b"HTTP/1.1 20 OK\r\n\r\n"),
            Err(HttpError::Protocol(_))
        ));
        assert!(parse(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err());
    }

    #[test]
    fn url_and_encoding() {
        let t = Target::parse("http://127.0.0.1:8086/").unwrap();
        assert_eq!(t.host_header, "127.0.0.1:8086");
        assert_eq!(t.base_path, "");
        assert_eq!(t.addrs[0].port(), 8086);
        assert!(Target::parse("https://127.0.0.1").is_err());
        assert_eq!(percent_encode("my org/1"), "my%20org%2F1");
    }
}
