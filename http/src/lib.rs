//! ringflux HTTP front end: hyper 1.x (HTTP/1.1) on glommio, one acceptor per shard.
//!
//! Every shard's executor calls [`serve`] with its own [`ShardContext`]; all of them bind the same
//! address with `SO_REUSEPORT` (glommio sets it), so the kernel spreads connections over the
//! cores and the core that accepts a connection coordinates its requests.
//!
//! Invariants:
//! - Connections are capped per core (`max_connections`); past the cap, accepting waits.
//! - On shutdown: stop accepting, ask every open connection to finish its in-flight request and
//!   close (hyper graceful shutdown), wait for them (bounded by `shutdown_timeout`), then return.
//! - Handlers never block the executor: bodies stream through hyper, file I/O is in the engine.

pub mod admin;
pub mod auth;
pub mod body;
pub mod buckets;
pub mod dbrps;
pub mod delete;
pub mod encode;
pub mod error;
pub mod flux_tools;
pub mod glommio_io;
pub mod health;
pub mod influxql;
pub mod legacy_auth;
pub mod orgs;
pub mod paging;
pub mod params;
pub mod query;
pub mod resources;
pub mod routes;
pub mod scope;
pub mod setup;
pub mod write;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use glommio::net::TcpListener;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use ringflux_engine::ShardContext;

pub use error::ApiError;

/// HTTP settings (same for every core).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Address to bind (`--http-bind-address`, default `:8086`).
    pub bind: SocketAddr,
    /// Largest request body, after decompression (`--max-body-size`, default 25 MB).
    pub max_body_size: usize,
    /// Idle read timeout; 0 = none (`--http-read-timeout`).
    pub read_timeout: Duration,
    /// Write timeout; 0 = none (`--http-write-timeout`).
    pub write_timeout: Duration,
    /// Open connections per core.
    pub max_connections: usize,
    /// How long shutdown waits for open connections.
    pub shutdown_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            bind: SocketAddr::from(([0, 0, 0, 0], 8086)),
            max_body_size: 25_000_000,
            read_timeout: Duration::ZERO,
            write_timeout: Duration::ZERO,
            max_connections: 4096,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// A per-core shutdown signal: many waiters, one trigger.
#[derive(Debug, Default)]
pub struct Shutdown {
    triggered: Cell<bool>,
    wakers: RefCell<Vec<Waker>>,
}

impl Shutdown {
    /// Fires the signal.
    pub fn trigger(&self) {
        self.triggered.set(true);
        for w in self.wakers.borrow_mut().drain(..) {
            w.wake();
        }
    }

    /// True once fired.
    pub fn is_triggered(&self) -> bool {
        self.triggered.get()
    }

    /// Resolves once fired.
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.triggered.get() {
                Poll::Ready(())
            } else {
                self.wakers.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// Binds the listener of this core. Bind errors are returned so start-up can report them.
pub fn bind(cfg: &HttpConfig) -> std::io::Result<TcpListener> {
    TcpListener::bind(cfg.bind)
        .map_err(|e| std::io::Error::other(format!("binding {}: {e}", cfg.bind)))
}

/// Serves HTTP on `listener` until `shutdown` fires and open connections have drained.
pub async fn serve(
    engine: ShardContext,
    cfg: HttpConfig,
    listener: TcpListener,
    shutdown: Rc<Shutdown>,
) {
    let ctx = Rc::new(routes::Ctx {
        engine,
        cfg: cfg.clone(),
        started: ringflux_engine::catalog::now_rfc3339(),
        started_at: Instant::now(),
    });
    let open = Rc::new(Cell::new(0usize));
    let slots = Rc::new(glommio::sync::Semaphore::new(cfg.max_connections as u64));
    loop {
        let accept = async { Some(listener.accept().await) };
        let stop = async {
            shutdown.wait().await;
            None
        };
        let stream = match futures_lite::future::or(accept, stop).await {
            None => break,
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "accept failed");
                glommio::timer::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let permit = match slots.acquire_static_permit(1).await {
            Ok(p) => p,
            Err(_) => continue,
        };
        let _ = stream.set_nodelay(true);
        let ctx = ctx.clone();
        let open = open.clone();
        let shutdown = shutdown.clone();
        open.set(open.get() + 1);
        glommio::spawn_local(async move {
            let io = glommio_io::HyperIo::new(stream, ctx.cfg.read_timeout, ctx.cfg.write_timeout);
            let svc_ctx = ctx.clone();
            let svc = service_fn(move |req| {
                let c = svc_ctx.clone();
                async move { Ok::<_, std::convert::Infallible>(routes::dispatch(c, req).await) }
            });
            let mut conn = pin!(http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, svc));
            let mut stop = pin!(shutdown.wait());
            let mut asked = false;
            let r = std::future::poll_fn(|cx| {
                if !asked && stop.as_mut().poll(cx).is_ready() {
                    asked = true;
                    conn.as_mut().graceful_shutdown();
                }
                conn.as_mut().poll(cx)
            })
            .await;
            if let Err(e) = r {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
            open.set(open.get().saturating_sub(1));
        })
        .detach();
    }
    drop(listener);
    let deadline = Instant::now() + cfg.shutdown_timeout;
    while open.get() > 0 && Instant::now() < deadline {
        glommio::timer::sleep(Duration::from_millis(5)).await;
    }
    if open.get() > 0 {
        tracing::warn!(
            open = open.get(),
            "shutdown timeout: closing connections still open"
        );
    }
}
