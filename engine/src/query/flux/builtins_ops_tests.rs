//! Tests for the ops builtins: which pipelines are pushed into storage reads, and that a pushed
//! aggregate (shaped by [`AggTables`] from what the shards send) equals the ops result.

use std::sync::Arc;

use super::builtins::diff;
use super::tables::{EmptySource, Node, NodeKind, TableSource};
use super::value::Value;
use super::{evaluate, parse, run, Limits};
use crate::query::agg_tables::AggTables;
use crate::query::exec::series_meta;
use crate::query::plan::{BucketRef, ReadPlan};
use crate::query::pushdown::{AggKind, AggShape, Aggregation};
use crate::query::table::{ColumnData, ColumnType, TableChunk};
use crate::shard::query::{ChunkValues, ReadChunk};

const NOW: i64 = 1_000_000_000_000;

/// The plan of the program's only result.
fn plan(src: &str) -> Arc<Node> {
    let file = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    let (_, mut results) = evaluate(&file, NOW, Value::Null).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(results.len(), 1, "{src}");
    results.remove(0).1
}

/// The aggregation pushed into the root read, or `None` when the root is not a pushed read.
fn pushed(src: &str) -> Option<Aggregation> {
    match &plan(src).kind {
        NodeKind::Read { plan, .. } => plan.agg,
        _ => None,
    }
}

const FROM: &str = "from(bucket: \"b\") |> range(start: 0, stop: 100)";

fn window(kind: AggKind, every: i64, create_empty: bool, from_start: bool) -> Aggregation {
    Aggregation {
        kind,
        every: Some(every),
        offset: 0,
        shape: AggShape::Window {
            create_empty,
            time_from_start: from_start,
        },
    }
}

#[test]
fn aggregate_window_with_builtin_fn_is_pushed() {
    for (name, kind) in [
        ("count", AggKind::Count),
        ("sum", AggKind::Sum),
        ("mean", AggKind::Mean),
        ("min", AggKind::Min),
        ("max", AggKind::Max),
        ("first", AggKind::First),
        ("last", AggKind::Last),
    ] {
        assert_eq!(
            pushed(&format!(
                "{FROM} |> aggregateWindow(every: 10ns, fn: {name})"
            )),
            Some(window(kind, 10, true, false)),
            "{name}"
        );
    }
    assert_eq!(
        pushed(&format!(
            "{FROM} |> aggregateWindow(every: 10ns, period: 10ns, offset: -3ns, fn: max, \
             createEmpty: false, timeSrc: \"_start\", column: \"_value\", timeDst: \"_time\")"
        )),
        Some(Aggregation {
            offset: -3,
            ..window(AggKind::Max, 10, false, true)
        })
    );
    // `period: 0s` means `period = every`.
    assert_eq!(
        pushed(&format!(
            "{FROM} |> aggregateWindow(every: 10ns, period: 0s, fn: sum)"
        )),
        Some(window(AggKind::Sum, 10, true, false))
    );
    // A filter folded into the read keeps it a read.
    assert_eq!(
        pushed(&format!(
            "{FROM} |> filter(fn: (r) => r._measurement == \"cpu\") \
             |> aggregateWindow(every: 1s, fn: mean)"
        )),
        Some(window(AggKind::Mean, 1_000_000_000, true, false))
    );
}

#[test]
fn plain_aggregates_and_selectors_are_pushed() {
    for (name, kind, shape) in [
        ("count", AggKind::Count, AggShape::Aggregate),
        ("sum", AggKind::Sum, AggShape::Aggregate),
        ("mean", AggKind::Mean, AggShape::Aggregate),
        ("min", AggKind::Min, AggShape::Selector),
        ("max", AggKind::Max, AggShape::Selector),
        ("first", AggKind::First, AggShape::Selector),
        ("last", AggKind::Last, AggShape::Selector),
    ] {
        assert_eq!(
            pushed(&format!("{FROM} |> {name}()")),
            Some(Aggregation {
                kind,
                every: None,
                offset: 0,
                shape,
            }),
            "{name}"
        );
    }
}

#[test]
fn pipelines_flux_computes_differently_are_not_pushed() {
    let cases = [
        // Not one of the storage aggregates.
        "aggregateWindow(every: 10ns, fn: median)",
        "aggregateWindow(every: 10ns, fn: spread)",
        "aggregateWindow(every: 10ns, fn: (column, tables=<-) => tables |> mean(column))",
        "spread()",
        "median()",
        // Another column, calendar or uneven windows, a location, other time columns.
        "aggregateWindow(every: 10ns, fn: mean, column: \"x\")",
        "count(column: \"x\")",
        "aggregateWindow(every: 1mo, fn: mean)",
        "aggregateWindow(every: inf, fn: mean)",
        "aggregateWindow(every: 10ns, fn: integral)",
        "aggregateWindow(every: 10ns, period: 20ns, fn: mean)",
        "aggregateWindow(every: 10ns, offset: 1mo, fn: mean)",
        "aggregateWindow(every: 10ns, fn: mean, location: {zone: \"UTC\", offset: 0s})",
        "aggregateWindow(every: 10ns, fn: mean, timeSrc: \"_time\")",
        "aggregateWindow(every: 10ns, fn: mean, timeDst: \"t\")",
        // Input is not a plain ranged read.
        "map(fn: (r) => r) |> aggregateWindow(every: 10ns, fn: mean)",
        "map(fn: (r) => r) |> count()",
        "count() |> count()",
        "aggregateWindow(every: 10ns, fn: count) |> aggregateWindow(every: 20ns, fn: sum)",
    ];
    for c in cases {
        let src = format!("{FROM} |> {c}");
        let p = plan(&src);
        match &p.kind {
            NodeKind::Op { inputs, .. } => {
                // The operation runs on the tables; any read below it stays as it was.
                if let Some(NodeKind::Read { plan, .. }) = inputs.first().map(|n| &n.kind) {
                    assert!(
                        plan.agg.is_none() || c.starts_with("count() |>") || c.contains("20ns"),
                        "{c}: {p:?}"
                    );
                }
            }
            other => panic!("{c}: expected an operation, got {other:?}"),
        }
    }
    // A user function shadowing a builtin's name is a user function.
    let src = format!(
        "mean = (column, tables=<-) => tables |> sum(column)\n\
         {FROM} |> aggregateWindow(every: 10ns, fn: mean)"
    );
    assert!(matches!(plan(&src).kind, NodeKind::Op { .. }));
    // Without range there is nothing to push into (and executing it is an error).
    assert!(matches!(
        plan("from(bucket: \"b\") |> count()").kind,
        NodeKind::Op { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Pushed results equal the ops results.

const SEC: i64 = 1_000_000_000;

/// A series key and its `(time, value)` points.
type Series = (&'static [u8], Vec<(i64, f64)>);

/// Raw points of two series (float field `v`).
fn series() -> Vec<Series> {
    let at = |pts: &[(i64, f64)]| pts.iter().map(|&(s, v)| (s * SEC, v)).collect();
    vec![
        (
            b"cpu,host=a",
            at(&[
                (3, 1.5),
                (4, -2.0),
                (12, 7.0),
                (27, 7.0),
                (28, 1.0),
                (61, 4.0),
            ]),
        ),
        (b"cpu,host=b", at(&[(0, 3.0), (2, 3.0), (99, 5.0)])),
    ]
}

/// Serves raw series tables for plain reads, and for aggregated reads what the shards send
/// (one row per non-empty window, computed here from the points) shaped by [`AggTables`].
struct FakeStorage;

impl FakeStorage {
    fn raw(plan: &ReadPlan) -> Vec<TableChunk> {
        series()
            .into_iter()
            .map(|(key, pts)| {
                let pts: Vec<_> = pts
                    .into_iter()
                    .filter(|(t, _)| *t >= plan.start && *t < plan.stop)
                    .collect();
                let (meta, strings) =
                    series_meta(key, b"v", ColumnType::Double, plan.start, plan.stop, true);
                let n = pts.len();
                let mut columns = vec![
                    ColumnData::DateTime(vec![Some(plan.start); n]),
                    ColumnData::DateTime(vec![Some(plan.stop); n]),
                    ColumnData::DateTime(pts.iter().map(|p| Some(p.0)).collect()),
                    ColumnData::Double(pts.iter().map(|p| Some(p.1)).collect()),
                ];
                for s in strings {
                    columns.push(ColumnData::String(vec![Some(s); n]));
                }
                TableChunk { meta, columns }
            })
            .collect()
    }

    /// The shard's per-window result: `(time, value)` rows.
    fn fold(agg: &Aggregation, start: i64, pts: &[(i64, f64)]) -> (Vec<i64>, ChunkValues) {
        let mut groups: Vec<(i64, Vec<(i64, f64)>)> = Vec::new();
        for &(t, v) in pts {
            let w = agg.window_start(t).unwrap_or(i64::MIN);
            match groups.last_mut() {
                Some((gw, g)) if *gw == w => g.push((t, v)),
                _ => groups.push((w, vec![(t, v)])),
            }
        }
        let mut times = Vec::new();
        let mut floats = Vec::new();
        let mut ints = Vec::new();
        for (w, g) in groups {
            let at = if agg.every.is_some() { w } else { start };
            let pick = |better: &dyn Fn(f64, f64) -> bool| {
                let mut best = g[0];
                for &p in &g[1..] {
                    if better(p.1, best.1) {
                        best = p;
                    }
                }
                best
            };
            let (t, v) = match agg.kind {
                AggKind::Count => {
                    times.push(at);
                    ints.push(g.len() as i64);
                    continue;
                }
                AggKind::Sum => (at, g.iter().map(|p| p.1).sum()),
                AggKind::Mean => (at, g.iter().map(|p| p.1).sum::<f64>() / g.len() as f64),
                AggKind::First => g[0],
                AggKind::Last => g[g.len() - 1],
                AggKind::Min => pick(&|a, b| a < b),
                AggKind::Max => pick(&|a, b| a > b),
            };
            times.push(t);
            floats.push(v);
        }
        let values = if agg.kind == AggKind::Count {
            ChunkValues::Integer(ints)
        } else {
            ChunkValues::Float(floats)
        };
        (times, values)
    }
}

impl TableSource for FakeStorage {
    fn read(&self, _: &BucketRef, plan: &ReadPlan) -> Result<Vec<TableChunk>, String> {
        let Some(agg) = plan.agg else {
            return Ok(Self::raw(plan));
        };
        let mut shaper = AggTables::new(plan.start, plan.stop, agg);
        let mut out = Vec::new();
        for (key, pts) in series() {
            let pts: Vec<_> = pts
                .into_iter()
                .filter(|(t, _)| *t >= plan.start && *t < plan.stop)
                .collect();
            if pts.is_empty() {
                continue;
            }
            let (times, values) = Self::fold(&agg, plan.start, &pts);
            out.extend(shaper.push(ReadChunk {
                key: Arc::from(key),
                field: Arc::from(&b"v"[..]),
                first: true,
                times,
                values,
            }));
        }
        out.extend(shaper.finish());
        Ok(out)
    }
}

fn run_one(src: &str) -> Vec<TableChunk> {
    let mut r = run(src, NOW, Value::Null, &FakeStorage, Limits::default())
        .unwrap_or_else(|e| panic!("{src}: {e}"));
    assert_eq!(r.len(), 1);
    r.remove(0).1
}

#[test]
fn pushed_results_equal_the_ops_results() {
    let from = "from(bucket: \"b\") |> range(start: 2, stop: 95)";
    // `map(fn: (r) => r)` keeps the same data but stops the pushdown.
    let unpushed = "from(bucket: \"b\") |> range(start: 2, stop: 95) |> map(fn: (r) => r)";
    let mut calls = Vec::new();
    for f in ["count", "sum", "mean", "min", "max", "first", "last"] {
        calls.push(format!("{f}()"));
        for extra in [
            "",
            ", createEmpty: false",
            ", timeSrc: \"_start\"",
            ", offset: 3s",
            ", offset: -12s, createEmpty: false, timeSrc: \"_start\"",
        ] {
            calls.push(format!("aggregateWindow(every: 10s, fn: {f}{extra})"));
        }
    }
    for call in calls {
        let fast = format!("{from} |> {call}");
        assert!(pushed(&fast).is_some(), "{fast}");
        let got = run_one(&fast);
        let want = run_one(&format!("{unpushed} |> {call}"));
        assert!(
            want.iter().map(TableChunk::rows).sum::<usize>() > 1,
            "{call}"
        );
        assert_eq!(got.len(), want.len(), "{call}: table count");
        for (g, w) in got.iter().zip(&want) {
            assert!(g.validate().is_ok(), "{call}");
            let mut gl: Vec<_> = g.meta.columns.iter().map(|c| &c.label).collect();
            let mut wl: Vec<_> = w.meta.columns.iter().map(|c| &c.label).collect();
            gl.sort();
            wl.sort();
            assert_eq!(gl, wl, "{call}: column sets");
        }
        let d = diff(want, got).unwrap_or_else(|e| panic!("{call}: {e}"));
        assert!(d.iter().all(|t| t.rows() == 0), "{call}: {d:?}");
    }
}

#[test]
fn ops_builtins_run_on_literal_tables() {
    let data = "import \"array\"\n\
        data = array.from(rows: [\
          {_time: 1970-01-01T00:00:00.000000001Z, _value: 1.0},\
          {_time: 1970-01-01T00:00:00.000000002Z, _value: 4.0},\
          {_time: 1970-01-01T00:00:00.000000011Z, _value: 2.0}])\
          |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:00:00.00000002Z)\n";
    let one = |q: &str| -> Vec<Option<crate::query::table::Value>> {
        let src = format!("{data}{q}");
        let r = run(&src, NOW, Value::Null, &EmptySource, Limits::default())
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        let t = &r[0].1;
        t.iter()
            .flat_map(|t| {
                let i = t.meta.column_index("_value").expect("_value");
                (0..t.rows()).map(move |r| t.columns[i].get(r))
            })
            .collect()
    };
    use crate::query::table::Value as C;
    assert_eq!(
        one("data |> aggregateWindow(every: 10ns, fn: sum)"),
        vec![Some(C::Double(5.0)), Some(C::Double(2.0))]
    );
    assert_eq!(
        one("data |> aggregateWindow(every: 10ns, fn: (column, tables=<-) => tables |> count(column))"),
        vec![Some(C::Long(2)), Some(C::Long(1))]
    );
    assert_eq!(
        one("data |> window(every: 10ns) |> max() |> window(every: inf)"),
        vec![Some(C::Double(4.0)), Some(C::Double(2.0))]
    );
    assert_eq!(
        one("data |> difference()"),
        vec![Some(C::Double(3.0)), Some(C::Double(-2.0))]
    );
    assert_eq!(
        one("data |> stateCount(fn: (r) => r._value > 1.5) |> map(fn: (r) => ({r with _value: float(v: r.stateCount)}))"),
        vec![Some(C::Double(-1.0)), Some(C::Double(1.0)), Some(C::Double(2.0))]
    );
    assert_eq!(
        one("data |> quantile(q: 0.5, method: \"exact_selector\")"),
        vec![Some(C::Double(2.0))]
    );
}

#[test]
fn stream_bounds_follow_range_and_time_shift() {
    use super::tables::stream_bounds;
    let b = |src: &str| stream_bounds(&plan(src));
    let lit = "import \"array\"\narray.from(rows: [{_time: 1970-01-01T00:00:00Z, _value: 1}])";
    assert_eq!(b(lit), None);
    assert_eq!(
        b(&format!("{lit} |> range(start: 1, stop: 5)")),
        Some((SEC, 5 * SEC))
    );
    // A later range intersects with the earlier one, across other operations.
    assert_eq!(
        b(&format!(
            "{lit} |> range(start: 1, stop: 5) |> map(fn: (r) => r) |> range(start: 2, stop: 9)"
        )),
        Some((2 * SEC, 5 * SEC))
    );
    assert_eq!(
        b(&format!(
            "{lit} |> range(start: 1, stop: 5) |> timeShift(duration: 1s) |> count()"
        )),
        Some((2 * SEC, 6 * SEC))
    );
    assert_eq!(
        b("from(bucket: \"b\") |> range(start: 1, stop: 5) |> filter(fn: (r) => r._value > 0)"),
        Some((SEC, 5 * SEC))
    );
}

#[test]
fn aggregate_window_with_user_fn_equals_the_fused_builtin() {
    let data = "import \"array\"\n\
        data = array.from(rows: [\
          {_time: 1970-01-01T00:00:03Z, _value: 1.0, t: \"a\"},\
          {_time: 1970-01-01T00:00:04Z, _value: 4.0, t: \"a\"},\
          {_time: 1970-01-01T00:00:31Z, _value: 2.0, t: \"a\"},\
          {_time: 1970-01-01T00:00:12Z, _value: 5.0, t: \"b\"}])\
          |> group(columns: [\"t\"])\
          |> range(start: 1970-01-01T00:00:02Z, stop: 1970-01-01T00:00:45Z)\n";
    let run_q = |q: &str| -> Vec<TableChunk> {
        let src = format!("{data}{q}");
        let mut r = run(&src, NOW, Value::Null, &EmptySource, Limits::default())
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        r.remove(0).1
    };
    for f in ["mean", "sum", "count", "max", "first", "last"] {
        for extra in [
            "",
            ", createEmpty: false",
            ", timeSrc: \"_start\", offset: 4s",
        ] {
            let fused = run_q(&format!(
                "data |> aggregateWindow(every: 10s, fn: {f}{extra})"
            ));
            let by_def = run_q(&format!(
                "data |> aggregateWindow(every: 10s, \
                 fn: (column, tables=<-) => tables |> {f}(column){extra})"
            ));
            assert!(fused.iter().map(TableChunk::rows).sum::<usize>() >= 3);
            let d = diff(by_def, fused).unwrap_or_else(|e| panic!("{f}{extra}: {e}"));
            assert!(d.iter().all(|t| t.rows() == 0), "{f}{extra}: {d:?}");
        }
    }
}
