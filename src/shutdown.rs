//! Signals: SIGTERM and SIGINT start a graceful shutdown; a second one exits at once.
//!
//! The signals are blocked in every thread (the mask is set before any executor thread is
//! spawned, and threads inherit it) and received synchronously by one dedicated thread with
//! `sigwait`, so no async-signal-safety concerns reach the executors. That thread flips the
//! engine's shutdown flag; each executor polls it and drains.

use std::sync::Arc;

use ringflux_engine::EngineShared;

/// Blocks SIGTERM and SIGINT in the calling thread (and so in every thread it spawns later).
pub(crate) fn block_signals() -> std::io::Result<libc::sigset_t> {
    // SAFETY: plain libc calls on a stack-allocated, initialised sigset_t.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(std::io::Error::from_raw_os_error(rc));
        }
        Ok(set)
    }
}

/// Spawns the thread that waits for signals.
pub(crate) fn spawn_signal_thread(set: libc::sigset_t, shared: Arc<EngineShared>) {
    let _ = std::thread::Builder::new()
        .name("ringflux-signals".into())
        .spawn(move || {
            let mut count = 0;
            loop {
                let mut sig: libc::c_int = 0;
                // SAFETY: `set` is a valid, initialised sigset_t; `sig` is a valid out pointer.
                let rc = unsafe { libc::sigwait(&set, &mut sig) };
                if rc != 0 {
                    continue;
                }
                count += 1;
                if count == 1 {
                    tracing::info!(
                        signal = sig,
                        "shutting down: draining connections, syncing WALs"
                    );
                    shared.begin_shutdown();
                } else {
                    tracing::warn!("second signal: exiting immediately");
                    std::process::exit(130);
                }
            }
        });
}
