//! hyper 1.x ⇄ glommio adapters: the only `unsafe` in the crate.
//!
//! [`HyperIo`] wraps a glommio `TcpStream` (futures-lite `AsyncRead`/`AsyncWrite`) as hyper's
//! `rt::Read`/`rt::Write`, with an optional idle read timeout (`--http-read-timeout`) and write
//! timeout (`--http-write-timeout`): if the peer sends nothing (or accepts nothing) for that long,
//! the connection fails with `TimedOut` and hyper closes it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite, Future};
use glommio::net::TcpStream;
use glommio::timer::Timer;
use hyper::rt::ReadBufCursor;

/// A glommio TCP stream usable by hyper.
pub struct HyperIo {
    stream: TcpStream,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    read_timer: Option<Timer>,
    write_timer: Option<Timer>,
}

impl std::fmt::Debug for HyperIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperIo").finish_non_exhaustive()
    }
}

impl HyperIo {
    /// Wraps `stream`; a zero duration disables that timeout.
    pub fn new(stream: TcpStream, read_timeout: Duration, write_timeout: Duration) -> Self {
        let nz = |d: Duration| (!d.is_zero()).then_some(d);
        HyperIo {
            stream,
            read_timeout: nz(read_timeout),
            write_timeout: nz(write_timeout),
            read_timer: None,
            write_timer: None,
        }
    }
}

fn poll_deadline(
    timer: &mut Option<Timer>,
    limit: Option<Duration>,
    cx: &mut Context<'_>,
) -> Poll<io::Error> {
    let Some(limit) = limit else {
        return Poll::Pending;
    };
    let t = timer.get_or_insert_with(|| Timer::new(limit));
    match Pin::new(t).poll(cx) {
        Poll::Ready(_) => {
            *timer = None;
            Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection timed out",
            ))
        }
        Poll::Pending => Poll::Pending,
    }
}

impl hyper::rt::Read for HyperIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // SAFETY: we only write initialised bytes into the cursor's spare capacity: the slice
        // is zero-filled before it is handed to `poll_read` as `&mut [u8]`, and `advance(n)` is
        // called only with the number of bytes the read reported.
        let n = unsafe {
            let spare = buf.as_mut();
            for b in spare.iter_mut() {
                b.write(0);
            }
            let slice = &mut *(spare as *mut [std::mem::MaybeUninit<u8>] as *mut [u8]);
            match Pin::new(&mut this.stream).poll_read(cx, slice) {
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    return match poll_deadline(&mut this.read_timer, this.read_timeout, cx) {
                        Poll::Ready(e) => Poll::Ready(Err(e)),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        };
        this.read_timer = None;
        // SAFETY: `n` bytes were initialised by the read above.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for HyperIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.write_timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => match poll_deadline(&mut this.write_timer, this.write_timeout, cx) {
                Poll::Ready(e) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_close(cx)
    }
}
