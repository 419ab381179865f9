//! Test helpers shared by the engine's unit tests (compiled only for tests).

/// Runs the future made by `f` on a fresh glommio executor thread and returns its output.
#[allow(
    clippy::unwrap_used,
    reason = "test helper: a failed executor fails the test"
)]
pub(crate) fn on_executor<F, T>(f: impl FnOnce() -> F + Send + 'static) -> T
where
    F: std::future::Future<Output = T> + 'static,
    T: Send + 'static,
{
    glommio::LocalExecutorBuilder::default()
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}
