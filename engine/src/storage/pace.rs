//! Pacing of background storage work (flush, compaction) so foreground work on the same
//! executor keeps its latency.
//!
//! glommio only preempts a task queue when its time slice (the executor's preempt timer,
//! 100 ms by default) runs out, so a CPU-bound background task calling `yield_if_needed`
//! could still hold the core for that long while writes wait. A [`Pacer`] forces the
//! background task queue to yield once it has run for [`SLICE`], whatever the timer says.
//!
//! Invariant: between two `tick`s the caller does a bounded amount of work (one column or one
//! block), so no background stretch is much longer than `SLICE`.

use std::time::{Duration, Instant};

/// Longest stretch of background work between two yields.
pub const SLICE: Duration = Duration::from_micros(500);

/// Tracks how long background work has run since it last yielded.
#[derive(Debug)]
pub struct Pacer {
    since: Instant,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            since: Instant::now(),
        }
    }
}

impl Pacer {
    /// Yields the task queue if the current stretch is longer than [`SLICE`].
    pub async fn tick(&mut self) {
        if self.since.elapsed() >= SLICE {
            glommio::executor().yield_task_queue_now().await;
            self.since = Instant::now();
        }
    }
}
