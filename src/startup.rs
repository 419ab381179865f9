//! Start-up: prepare the engine on the main thread, then one pinned glommio executor per shard
//! that recovers its shard, serves HTTP on the shared port, and on shutdown drains HTTP, waits
//! for every core to drain (so no request can still reach a shard), then syncs and closes its
//! WAL.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use glommio::{CpuSet, LocalExecutorPoolBuilder, PoolPlacement};
use ringflux_engine::Engine;
use ringflux_http::Shutdown;

use crate::cli::ServeConfig;
use crate::shutdown;

/// Locked memory per executor for io_uring registered buffers (glommio needs ≥ 512 KiB).
const IO_MEMORY: usize = 1 << 20;

/// Reserves a concrete port when the bind address asks for port 0: every shard must bind the
/// *same* port. A socket with SO_REUSEPORT is bound (not listening, so it never receives
/// connections) and kept open until the shards have bound; its port is then used by all.
fn reserve_port(addr: SocketAddr) -> std::io::Result<(SocketAddr, Option<i32>)> {
    if addr.port() != 0 {
        return Ok((addr, None));
    }
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket calls with valid, initialised arguments; the fd is owned by the
    // caller and closed in `release_port`.
    unsafe {
        let fd = libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let one: libc::c_int = 1;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            &one as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as u32,
        );
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &one as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as u32,
        );
        let port = match addr {
            SocketAddr::V4(v4) => {
                let mut sa: libc::sockaddr_in = std::mem::zeroed();
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_addr.s_addr = u32::from_ne_bytes(v4.ip().octets());
                sa.sin_port = 0;
                if libc::bind(
                    fd,
                    &sa as *const _ as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in>() as u32,
                ) != 0
                {
                    let e = std::io::Error::last_os_error();
                    libc::close(fd);
                    return Err(e);
                }
                let mut out: libc::sockaddr_in = std::mem::zeroed();
                let mut len = std::mem::size_of::<libc::sockaddr_in>() as u32;
                libc::getsockname(fd, &mut out as *mut _ as *mut libc::sockaddr, &mut len);
                u16::from_be(out.sin_port)
            }
            SocketAddr::V6(v6) => {
                let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_addr.s6_addr = v6.ip().octets();
                if libc::bind(
                    fd,
                    &sa as *const _ as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in6>() as u32,
                ) != 0
                {
                    let e = std::io::Error::last_os_error();
                    libc::close(fd);
                    return Err(e);
                }
                let mut out: libc::sockaddr_in6 = std::mem::zeroed();
                let mut len = std::mem::size_of::<libc::sockaddr_in6>() as u32;
                libc::getsockname(fd, &mut out as *mut _ as *mut libc::sockaddr, &mut len);
                u16::from_be(out.sin6_port)
            }
        };
        let mut a = addr;
        a.set_port(port);
        Ok((a, Some(fd)))
    }
}

/// Keeps glibc from returning large buffers to the kernel after every request: WAL batches and
/// request bodies are multi-megabyte, and with the default 128 KiB mmap threshold each one
/// was a fresh mmap whose pages had to be faulted in and zeroed (~7 % of ingest CPU).
fn tune_allocator() {
    // SAFETY: mallopt only adjusts glibc allocator parameters; called before other threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// Runs the daemon until shutdown.
pub(crate) fn run(mut cfg: ServeConfig) -> Result<(), String> {
    tune_allocator();
    let set = shutdown::block_signals().map_err(|e| format!("blocking signals: {e}"))?;
    let (addr, placeholder) =
        reserve_port(cfg.http.bind).map_err(|e| format!("binding {}: {e}", cfg.http.bind))?;
    cfg.http.bind = addr;
    let engine = Engine::prepare(cfg.engine.clone()).map_err(|e| e.to_string())?;
    let shared = engine.shared();
    shutdown::spawn_signal_thread(set, shared.clone());
    let shards = cfg.engine.shards;
    tracing::info!(
        shards,
        engine_path = %cfg.engine.engine_path.display(),
        bind = %addr,
        wal_sync = ?cfg.engine.wal.sync,
        "starting ringflux"
    );
    let http_cfg = cfg.http.clone();
    let placement = match CpuSet::online() {
        Ok(cpus) if cpus.len() >= shards => PoolPlacement::MaxSpread(shards, Some(cpus)),
        _ => PoolPlacement::Unbound(shards),
    };
    let bound = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let bound_in = bound.clone();
    let handles = LocalExecutorPoolBuilder::new(placement)
        .name("ringflux-shard")
        .io_memory(IO_MEMORY)
        .on_all_shards(move || async move {
            let shared = engine.shared();
            let started = async {
                let ctx = engine.start_shard().await.map_err(|e| e.to_string())?;
                let listener = ringflux_http::bind(&http_cfg).map_err(|e| e.to_string())?;
                Ok::<_, String>((ctx, listener))
            }
            .await;
            bound_in.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            let (ctx, listener) = match started {
                Ok(v) => v,
                Err(e) => {
                    // Make the other shards stop too instead of serving a partial engine, and
                    // count this core as drained so their two-phase shutdown can complete.
                    tracing::error!("{e}");
                    shared.begin_shutdown();
                    shared.mark_http_drained();
                    return Err(e);
                }
            };
            let stop = Rc::new(Shutdown::default());
            let watcher = {
                let stop = stop.clone();
                let shared = shared.clone();
                glommio::spawn_local(async move {
                    while !shared.is_shutting_down() {
                        glommio::timer::sleep(Duration::from_millis(50)).await;
                    }
                    stop.trigger();
                })
            };
            watcher.detach();
            ringflux_http::serve(ctx.clone(), http_cfg, listener, stop).await;
            shared.mark_http_drained();
            while !shared.all_http_drained() {
                glommio::timer::sleep(Duration::from_millis(5)).await;
            }
            ctx.shutdown().await;
            Ok::<(), String>(())
        })
        .map_err(|e| format!("starting executors: {e} (glommio needs io_uring and >= 512 KiB of locked memory per executor: check `ulimit -l`)"))?;
    // Wait until every shard has bound, then release the port placeholder and announce.
    while bound.load(std::sync::atomic::Ordering::Acquire) < shards {
        std::thread::sleep(Duration::from_millis(2));
    }
    if let Some(fd) = placeholder {
        // SAFETY: `fd` came from `reserve_port` and is closed exactly once.
        unsafe { libc::close(fd) };
    }
    if !shared.is_shutting_down() {
        println!("ringflux listening on http://{addr}");
    }
    let mut first_err = None;
    for r in handles.join_all() {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                shared.begin_shutdown();
                first_err.get_or_insert(e);
            }
            Err(e) => {
                shared.begin_shutdown();
                first_err.get_or_insert(format!("executor failed: {e}"));
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => {
            tracing::info!("ringflux stopped cleanly");
            Ok(())
        }
    }
}
