//! Aggregations the shards run themselves, so that aggregate queries ship one value per
//! (series, field, window) instead of raw points.
//!
//! A series lives on exactly one shard, so a shard's per-column result is already final for
//! that (series, field): the coordinator only assembles tables (window bounds, empty windows).
//!
//! What a shard sends back for a column with an [`Aggregation`] (as a `ReadChunk`):
//! - windowed `Count`/`Sum`/`Mean`: one row per *non-empty* window, `time` = the window's
//!   (unclipped) start `offset + k·every`;
//! - windowed `First`/`Last`/`Min`/`Max`: one row per non-empty window, `time` = the selected
//!   point's own time (it lies inside its window, so the window is recoverable from it);
//! - no window: at most one row; selectors carry the selected point's time, aggregates carry
//!   the plan's start.
//!
//! Value types: `Count` → integer; `Mean` → float; `Sum` keeps integer/unsigned/float (integer
//! sums wrap like Flux's); selectors keep the column's type. `Sum`/`Mean` of a boolean or
//! string column is an error, as in Flux. Ties: `Min`/`Max` keep the earliest point with the
//! extreme value (Flux's selectors keep the first row found); `First`/`Last` are by time.
//!
//! Invariants: `every > 0` when present (calendar windows are not pushed down); windows are
//! aligned to the epoch plus `offset`, as Flux's `window()` is.

/// Which aggregate or selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggKind {
    /// Number of points.
    Count,
    /// Sum of values.
    Sum,
    /// Arithmetic mean (float).
    Mean,
    /// Smallest value (selector).
    Min,
    /// Largest value (selector).
    Max,
    /// Earliest point (selector).
    First,
    /// Latest point (selector).
    Last,
}

impl AggKind {
    /// True for selectors (the result row keeps its own time).
    pub const fn is_selector(self) -> bool {
        matches!(
            self,
            AggKind::Min | AggKind::Max | AggKind::First | AggKind::Last
        )
    }

    /// The Flux function name.
    pub const fn name(self) -> &'static str {
        match self {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Mean => "mean",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::First => "first",
            AggKind::Last => "last",
        }
    }
}

/// Which pipeline the pushed-down aggregate stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggShape {
    /// `aggregateWindow(...)`.
    Window {
        /// Emit rows for empty windows.
        create_empty: bool,
        /// `_time` from the window start (`timeSrc: "_start"`) instead of its stop.
        time_from_start: bool,
    },
    /// A plain aggregate (`count`, `sum`, `mean`) over the whole range.
    Aggregate,
    /// A plain selector (`first`, `last`, `min`, `max`).
    Selector,
}

/// An aggregation pushed into the shards' read of each (series, field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aggregation {
    /// The function.
    pub kind: AggKind,
    /// Fixed window length in ns (`None`: one aggregate over the whole range).
    pub every: Option<i64>,
    /// Window offset in ns (ignored without `every`).
    pub offset: i64,
    /// Which Flux pipeline it stands for (how the coordinator shapes the tables; shards
    /// ignore it).
    pub shape: AggShape,
}

impl Aggregation {
    /// The start of the window holding `t` (with `every`), or `None` without windows.
    pub fn window_start(&self, t: i64) -> Option<i64> {
        let every = self.every.filter(|e| *e > 0)?;
        let off = self.offset.rem_euclid(every);
        Some(t - (t - off).rem_euclid(every))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_alignment() {
        let a = Aggregation {
            kind: AggKind::Count,
            every: Some(10),
            offset: 0,
            shape: AggShape::Aggregate,
        };
        assert_eq!(a.window_start(0), Some(0));
        assert_eq!(a.window_start(9), Some(0));
        assert_eq!(a.window_start(10), Some(10));
        assert_eq!(a.window_start(-1), Some(-10));
        let b = Aggregation { offset: 3, ..a };
        assert_eq!(b.window_start(2), Some(-7));
        assert_eq!(b.window_start(3), Some(3));
        let c = Aggregation { offset: -7, ..a };
        assert_eq!(c.window_start(3), Some(3));
        let none = Aggregation { every: None, ..a };
        assert_eq!(none.window_start(5), None);
    }
}
