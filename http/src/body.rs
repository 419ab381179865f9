//! Request bodies read with bounds, and the response body type.
//!
//! Invariants:
//! - A request body is never buffered beyond `max_body_size` bytes, whatever `Content-Length`
//!   says (the header is only a pre-allocation hint, itself capped); a declared length over the
//!   limit is refused before reading.
//! - A gzip body is decompressed into at most `max_body_size` bytes too (reading `max + 1`
//!   detects an overflow), so a small bomb cannot blow up memory.
//! - The result is one `Bytes` (one allocation per request) shared by every shard.

use std::convert::Infallible;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use std::future::Future;

use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use hyper::Request;
use ringflux_engine::mesh::reply::StreamReceiver;

use crate::error::ApiError;

/// InfluxDB 2.7's 413 message.
const TOO_LARGE: &str = "unable to read data: points batch is too large";

/// Reads the whole body of `req` (at most `max` bytes after decompression).
pub async fn read_bounded(req: Request<Incoming>, max: usize) -> Result<Bytes, ApiError> {
    let (parts, mut body) = req.into_parts();
    let gzip = match parts.headers.get(CONTENT_ENCODING).map(|v| v.to_str()) {
        None => false,
        Some(Ok(v)) if v.eq_ignore_ascii_case("gzip") => true,
        Some(Ok(v)) if v.eq_ignore_ascii_case("identity") || v.is_empty() => false,
        Some(_) => {
            return Err(ApiError::unsupported_media_type(
                "Content-Encoding must be gzip or identity",
            ))
        }
    };
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared {
        if len > max as u64 {
            return Err(ApiError::too_large(TOO_LARGE));
        }
    }
    let hint = declared
        .map(|l| l as usize)
        .unwrap_or(0)
        .min(max)
        .min(4 << 20);
    let mut buf = BytesMut::with_capacity(hint);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::invalid(format!("reading request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > max {
                return Err(ApiError::too_large(TOO_LARGE));
            }
            buf.extend_from_slice(&data);
        }
    }
    if !gzip {
        return Ok(buf.freeze());
    }
    gunzip_bounded(&buf, max)
}

/// Decompresses `data` (one or more gzip members) into at most `max` bytes.
pub fn gunzip_bounded(data: &[u8], max: usize) -> Result<Bytes, ApiError> {
    let mut out = Vec::with_capacity((data.len() * 4).min(max).min(16 << 20));
    let mut dec = flate2::read::MultiGzDecoder::new(data).take(max as u64 + 1);
    dec.read_to_end(&mut out)
        .map_err(|e| ApiError::invalid(format!("unable to decode gzip body: {e}")))?;
    if out.len() > max {
        return Err(ApiError::too_large(TOO_LARGE));
    }
    Ok(Bytes::from(out))
}

/// Response body: a complete buffer or a stream of chunks produced by a local task.
#[derive(Debug)]
pub enum RespBody {
    /// The whole body (taken on first poll).
    Full(Option<Bytes>),
    /// Chunks from a producer task (a bounded stream: the producer waits while the client is slow); ends when the producer drops its
    /// sender. Dropping this (client went away) makes the producer's next send fail.
    Stream(StreamReceiver<Bytes>),
}

impl RespBody {
    /// A complete body.
    pub fn full(b: impl Into<Bytes>) -> Self {
        RespBody::Full(Some(b.into()))
    }

    /// A streamed body fed by a local channel.
    pub fn stream(rx: StreamReceiver<Bytes>) -> Self {
        RespBody::Stream(rx)
    }

    /// An empty body.
    pub fn empty() -> Self {
        RespBody::Full(None)
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            RespBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RespBody::Stream(rx) => match Pin::new(&mut rx.recv()).poll(cx) {
                Poll::Ready(Some(b)) => Poll::Ready(Some(Ok(Frame::data(b)))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, RespBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            RespBody::Full(None) => SizeHint::with_exact(0),
            RespBody::Stream(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gunzip_respects_the_cap() {
        let data = vec![b'a'; 10_000];
        assert_eq!(gunzip_bounded(&gz(&data), 10_000).unwrap().len(), 10_000);
        let e = gunzip_bounded(&gz(&data), 9_999).unwrap_err();
        assert_eq!(e.status().as_u16(), 413);
    }

    #[test]
    fn bad_gzip_is_invalid() {
        let e = gunzip_bounded(b"not gzip", 100).unwrap_err();
        assert_eq!(e.status().as_u16(), 400);
    }
}
