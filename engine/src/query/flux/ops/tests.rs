//! Tests against the upstream Flux v0.196.1 `stdlib/universe` test cases (their annotated-CSV
//! input and expected output are embedded verbatim at the bottom of this file), plus
//! hand-built cases for the `array.from` tests and edge cases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::testutil::{csv, diff, dur, range, table, ts};
use super::window::aggregate_window_composed;
use super::*;
use crate::query::table::{ColumnData, ColumnType, TableChunk, TableMeta, Value};

const NOW: &str = "2030-01-01T00:00:00Z";

fn input(text: &str, start: &str, stop: Option<&str>) -> Vec<TableChunk> {
    range(&csv(text), ts(start), ts(stop.unwrap_or(NOW)))
}

fn each(
    tables: &[TableChunk],
    f: impl Fn(&TableChunk) -> Result<TableChunk, OpError>,
) -> Vec<TableChunk> {
    tables.iter().map(|t| f(t).unwrap()).collect()
}

fn check(got: &[TableChunk], want: &str) {
    for t in got {
        t.validate().unwrap();
    }
    if let Err(e) = diff(got, &csv(want)) {
        panic!("{e}");
    }
}

fn drop_cols(tables: &[TableChunk], labels: &[&str]) -> Vec<TableChunk> {
    tables
        .iter()
        .map(|t| {
            let keep: Vec<usize> = (0..t.meta.columns.len())
                .filter(|&i| !labels.contains(&t.meta.columns[i].label.as_str()))
                .collect();
            TableChunk {
                meta: Arc::new(TableMeta::new(
                    keep.iter().map(|&i| t.meta.columns[i].clone()).collect(),
                    keep.iter().map(|&i| t.meta.key_values[i].clone()).collect(),
                )),
                columns: keep.iter().map(|&i| t.columns[i].clone()).collect(),
            }
        })
        .collect()
}

fn agg_window(text: &str, out: &str, start: &str, stop: &str, every: &str, kind: Aggregate) {
    let tables = input(text, start, Some(stop));
    let got = aggregate_window(&tables, &AggregateWindowParams::new(dur(every)), &kind).unwrap();
    check(&got, out);
}

// ---- aggregateWindow ------------------------------------------------------------------

const EW_START: &str = "2018-05-22T19:53:26Z";
const EW_STOP: &str = "2018-05-22T19:55:00Z";

#[test]
fn aggregate_window_empty_count() {
    let (i, o) = (
        AGGREGATE_EMPTY_WINDOW_COUNT_IN,
        AGGREGATE_EMPTY_WINDOW_COUNT_OUT,
    );
    agg_window(i, o, EW_START, EW_STOP, "30s", Aggregate::Count);
}

#[test]
fn aggregate_window_empty_first() {
    let (i, o) = (
        AGGREGATE_EMPTY_WINDOW_FIRST_IN,
        AGGREGATE_EMPTY_WINDOW_FIRST_OUT,
    );
    agg_window(i, o, EW_START, EW_STOP, "30s", Aggregate::First);
}

#[test]
fn aggregate_window_empty_last() {
    let (i, o) = (
        AGGREGATE_EMPTY_WINDOW_LAST_IN,
        AGGREGATE_EMPTY_WINDOW_LAST_OUT,
    );
    agg_window(i, o, EW_START, EW_STOP, "30s", Aggregate::Last);
}

#[test]
fn aggregate_window_empty_max() {
    let (i, o) = (
        AGGREGATE_EMPTY_WINDOW_MAX_IN,
        AGGREGATE_EMPTY_WINDOW_MAX_OUT,
    );
    agg_window(i, o, EW_START, EW_STOP, "30s", Aggregate::Max);
}

#[test]
fn aggregate_window_empty_min() {
    let (i, o) = (
        AGGREGATE_EMPTY_WINDOW_MIN_IN,
        AGGREGATE_EMPTY_WINDOW_MIN_OUT,
    );
    agg_window(i, o, EW_START, EW_STOP, "30s", Aggregate::Min);
}

#[test]
fn aggregate_window_empty_mean() {
    let (i, o) = (
        AGGREGATE_EMPTY_WINDOW_MEAN_IN,
        AGGREGATE_EMPTY_WINDOW_MEAN_OUT,
    );
    agg_window(i, o, EW_START, EW_STOP, "30s", Aggregate::Mean);
}

#[test]
fn aggregate_window_empty_sum() {
    let (i, o) = (
        AGGREGATE_EMPTY_WINDOW_SUM_IN,
        AGGREGATE_EMPTY_WINDOW_SUM_OUT,
    );
    agg_window(i, o, EW_START, EW_STOP, "30s", Aggregate::Sum);
}

#[test]
fn aggregate_window_offset() {
    let tables = input(
        AGGREGATE_WINDOW__OFFSET_IN,
        "2018-05-22T00:00:00Z",
        Some("2018-05-22T00:01:00Z"),
    );
    let mut p = AggregateWindowParams::new(dur("30s"));
    p.offset = dur("5s");
    let got = aggregate_window(&tables, &p, &Aggregate::Mean).unwrap();
    check(&got, AGGREGATE_WINDOW__OFFSET_OUT);
}

#[test]
fn aggregate_window_max_mean_median() {
    let (s, e) = ("2018-05-22T00:00:00Z", "2018-05-22T00:01:00Z");
    agg_window(
        AGGREGATE_WINDOW_MAX_IN,
        AGGREGATE_WINDOW_MAX_OUT,
        s,
        e,
        "30s",
        Aggregate::Max,
    );
    agg_window(
        AGGREGATE_WINDOW_MEAN_IN,
        AGGREGATE_WINDOW_MEAN_OUT,
        s,
        e,
        "30s",
        Aggregate::Mean,
    );
    agg_window(
        AGGREGATE_WINDOW_MEDIAN_IN,
        AGGREGATE_WINDOW_MEDIAN_OUT,
        "2019-01-09T19:44:30Z",
        "2019-01-09T19:46:00Z",
        "30s",
        Aggregate::median(),
    );
}

// ---- aggregates -------------------------------------------------------------------------

fn agg(text: &str, out: &str, start: &str, kind: Aggregate, column: &str) {
    let tables = input(text, start, None);
    let got = each(&tables, |t| aggregate(t, &kind, column));
    check(&got, out);
}

#[test]
fn count_mean_sum_spread_stddev() {
    let s = "2018-12-01T00:00:00Z";
    agg(COUNT_IN, COUNT_OUT, s, Aggregate::Count, "_value");
    agg(MEAN_IN, MEAN_OUT, s, Aggregate::Mean, "_value");
    agg(SUM_IN, SUM_OUT, s, Aggregate::Sum, "_value");
    agg(SPREAD_IN, SPREAD_OUT, s, Aggregate::Spread, "_value");
    agg(
        STDDEV_IN,
        STDDEV_OUT,
        s,
        Aggregate::Stddev(StddevMode::Sample),
        "_value",
    );
}

#[test]
fn median_variants() {
    agg(
        MEDIAN_IN,
        MEDIAN_OUT,
        "2019-01-01T00:00:00Z",
        Aggregate::median(),
        "_value",
    );
    let s = "2018-12-01T00:00:00Z";
    let sel = Aggregate::Quantile {
        q: 0.5,
        method: QuantileMethod::ExactSelector,
        compression: 1000.0,
    };
    agg(MEDIAN_METHOD_IN, MEDIAN_METHOD_OUT, s, sel, "_value");
    let comp = Aggregate::Quantile {
        q: 0.5,
        method: QuantileMethod::EstimateTdigest,
        compression: 1.0,
    };
    agg(
        MEDIAN_COMPRESSION_IN,
        MEDIAN_COMPRESSION_OUT,
        s,
        comp,
        "_value",
    );
}

#[test]
fn selectors_first_last_min_max() {
    let (s, e) = ("2018-05-22T19:53:00Z", "2018-05-22T19:55:00Z");
    for (i, o, k) in [
        (FIRST_IN, FIRST_OUT, Aggregate::First),
        (LAST_IN, LAST_OUT, Aggregate::Last),
        (MIN_IN, MIN_OUT, Aggregate::Min),
        (MAX_IN, MAX_OUT, Aggregate::Max),
    ] {
        let tables = input(i, s, Some(e));
        let got = each(&tables, |t| aggregate(t, &k, "_value"));
        check(&drop_cols(&got, &["_start", "_stop"]), o);
    }
    let tables = input(
        MAX_TIME_IN,
        "2018-05-22T19:52:26Z",
        Some("2018-05-22T19:55:16Z"),
    );
    check(
        &each(&tables, |t| aggregate(t, &Aggregate::Max, "_time")),
        MAX_TIME_OUT,
    );
    agg(
        SIMPLE_MAX_IN,
        SIMPLE_MAX_OUT,
        "2018-04-17T00:00:00Z",
        Aggregate::Max,
        "_value",
    );
}

// ---- window -----------------------------------------------------------------------------

#[test]
fn window_default_start_align() {
    let t = input(
        WINDOW_DEFAULT_START_ALIGN_IN,
        "2018-05-22T19:53:30Z",
        Some("2018-05-22T19:59:00Z"),
    );
    check(
        &window(&t, &WindowParams::new(dur("1m"))).unwrap(),
        WINDOW_DEFAULT_START_ALIGN_OUT,
    );
}

#[test]
fn window_start_bound_offset() {
    let t = input(WINDOW_START_BOUND_IN, "2018-05-22T19:53:00Z", None);
    let mut p = WindowParams::new(dur("1m"));
    p.offset = dur("30s");
    check(&window(&t, &p).unwrap(), WINDOW_START_BOUND_OUT);
}

#[test]
fn window_generate_empty() {
    let t = input(WINDOW_GENERATE_EMPTY_IN, EW_START, Some(EW_STOP));
    let mut p = WindowParams::new(dur("30s"));
    p.create_empty = true;
    let got = window(&t, &p).unwrap();
    check(&got, WINDOW_GENERATE_EMPTY_OUT);
    // Empty windows exist as (empty) tables.
    assert!(got.iter().any(|t| t.rows() == 0));
}

#[test]
fn window_null_values() {
    let now = ts("2019-01-15T21:40:32Z");
    let t = range(&csv(WINDOW_NULL_IN), now - 300_000_000_000, now);
    check(
        &window(&t, &WindowParams::new(dur("30s"))).unwrap(),
        WINDOW_NULL_OUT,
    );
}

#[test]
fn window_then_count() {
    let t = input(
        WINDOW_AGGREGATE_IN,
        "1970-01-01T00:00:00Z",
        Some("1970-01-01T00:00:15Z"),
    );
    let mut p = WindowParams::new(dur("5s"));
    p.offset = dur("2s");
    let w = window(&t, &p).unwrap();
    check(
        &each(&w, |t| aggregate(t, &Aggregate::Count, "_value")),
        WINDOW_AGGREGATE_OUT,
    );
}

// ---- series -----------------------------------------------------------------------------

#[test]
fn difference_cases() {
    let s = "2018-05-22T19:53:26Z";
    let t = input(DIFFERENCE_IN, s, None);
    check(
        &each(&t, |t| difference(t, &DifferenceParams::default())),
        DIFFERENCE_OUT,
    );
    let t = input(DIFFERENCE_KEEPFIRST_IN, s, None);
    let p = DifferenceParams {
        keep_first: true,
        ..Default::default()
    };
    check(&each(&t, |t| difference(t, &p)), DIFFERENCE_KEEPFIRST_OUT);
    let p = DifferenceParams {
        non_negative: true,
        ..Default::default()
    };
    let t = input(DIFFERENCE_NONNEGATIVE_IN, s, None);
    check(&each(&t, |t| difference(t, &p)), DIFFERENCE_NONNEGATIVE_OUT);
    let t = input(DIFFERENCE_ONE_VALUE_IN, s, None);
    let got = each(&t, |t| difference(t, &p));
    assert_eq!(got[0].rows(), 0);
    check(&got, DIFFERENCE_ONE_VALUE_OUT);
}

#[test]
fn cumulative_sum_and_increase() {
    let t = input(CUMULATIVE_SUM_IN, "2018-05-20T00:00:00Z", None);
    let cols = vec!["v0".to_string(), "v1".to_string()];
    check(&each(&t, |t| cumulative_sum(t, &cols)), CUMULATIVE_SUM_OUT);
    let t = input(INCREASE_IN, "2018-05-22T19:53:26Z", None);
    let cols = vec!["counter".to_string()];
    check(&each(&t, |t| increase(t, &cols)), INCREASE_OUT);
}

#[test]
fn elapsed_default() {
    let t = input(ELAPSED_IN, "2018-05-22T19:53:26Z", None);
    check(
        &each(&t, |t| elapsed(t, &ElapsedParams::default())),
        ELAPSED_OUT,
    );
}

#[test]
fn time_shift_cases() {
    let cols: Vec<String> = ["_start", "_stop", "_time"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let t = input(SHIFT_IN, "2018-05-22T19:53:26Z", None);
    let got = each(&t, |t| time_shift(t, dur("120s"), &cols));
    check(&drop_cols(&got, &["_start", "_stop"]), SHIFT_OUT);
    let t = input(SHIFT_NEGATIVE_DURATION_IN, "2018-05-22T19:48:00Z", None);
    let got = each(&t, |t| time_shift(t, dur("-5m"), &cols));
    check(
        &drop_cols(&got, &["_start", "_stop"]),
        SHIFT_NEGATIVE_DURATION_OUT,
    );
}

#[test]
fn top_and_unique() {
    let t = input(TOP_IN, "2018-05-22T19:53:24.421470485Z", None);
    check(
        &each(&t, |t| top_bottom(t, &TopBottomParams::new(2), true)),
        TOP_OUT,
    );
    let t = input(UNIQUE_IN, "2018-05-22T19:53:26Z", None);
    let got = each(&t, |t| unique(t, "tag0"));
    check(&drop_cols(&got, &["_start", "_stop"]), UNIQUE_OUT);
}

#[test]
fn fused_aggregate_window_matches_flux_definition() {
    let inputs = [
        input(AGGREGATE_EMPTY_WINDOW_COUNT_IN, EW_START, Some(EW_STOP)),
        input(
            AGGREGATE_WINDOW_MEDIAN_IN,
            "2019-01-09T19:44:30Z",
            Some("2019-01-09T19:46:00Z"),
        ),
        input(
            WINDOW_NULL_IN,
            "2019-01-15T21:35:32Z",
            Some("2019-01-15T21:40:32Z"),
        ),
        input(
            COUNT_IN,
            "2018-12-18T20:52:01Z",
            Some("2018-12-18T20:54:10Z"),
        ),
    ];
    let kinds = [
        Aggregate::Count,
        Aggregate::Sum,
        Aggregate::Mean,
        Aggregate::Spread,
        Aggregate::Stddev(StddevMode::Population),
        Aggregate::median(),
        Aggregate::Quantile {
            q: 0.9,
            method: QuantileMethod::ExactSelector,
            compression: 1000.0,
        },
        Aggregate::Integral {
            unit: dur("1s"),
            time_column: "_time".into(),
        },
        Aggregate::First,
        Aggregate::Last,
        Aggregate::Min,
        Aggregate::Max,
    ];
    let mut variants = Vec::new();
    for every in ["10s", "30s", "1mo", "7d"] {
        let mut p = AggregateWindowParams::new(dur(every));
        variants.push(p.clone());
        p.create_empty = false;
        variants.push(p.clone());
        p.offset = dur("-3s");
        p.time_src = "_start".into();
        variants.push(p.clone());
        p.create_empty = true;
        p.period = dur("45s");
        variants.push(p.clone());
    }
    let mut checked = 0;
    let mut ok = 0;
    for tables in &inputs {
        for kind in &kinds {
            for p in &variants {
                let fused = aggregate_window(tables, p, kind);
                let composed = aggregate_window_composed(tables, p, kind);
                checked += 1;
                let (fused, composed) = match (fused, composed) {
                    (Ok(f), Ok(c)) => {
                        ok += 1;
                        (f, c)
                    }
                    (f, c) => {
                        assert_eq!(f.unwrap_err(), c.unwrap_err(), "{kind:?} {p:?}");
                        continue;
                    }
                };
                let nonempty = |v: &[TableChunk]| v.iter().filter(|t| t.rows() > 0).count();
                assert_eq!(nonempty(&fused), nonempty(&composed), "{kind:?} {p:?}");
                if let Err(e) = diff(&fused, &composed) {
                    panic!("{kind:?} {p:?}: {e}");
                }
                for (f, c) in fused.iter().zip(&composed).filter(|(f, _)| f.rows() > 0) {
                    assert_eq!(f.meta, c.meta, "{kind:?} {p:?}");
                    assert_eq!(f.columns, c.columns, "{kind:?} {p:?}");
                }
            }
        }
    }
    assert_eq!(checked, inputs.len() * kinds.len() * variants.len());
    // Only the string/bool tables of the count input error (numeric-only aggregates).
    assert!(ok * 4 >= checked * 3, "{ok} of {checked} ran");
}

#[test]
fn window_fixed_offset_location() {
    let rows: Vec<Vec<Option<Value>>> = ["2021-01-01T15:00:00Z", "2021-01-01T17:00:00Z"]
        .iter()
        .enumerate()
        .map(|(k, tm)| vec![t(tm), i(k as i64), s("f"), s("m"), s("h")])
        .collect();
    let input = range(
        &[table(&TMFH, &rows)],
        ts("2020-12-01T00:00:00Z"),
        ts("2021-03-01T00:00:00Z"),
    );
    let mut p = WindowParams::new(dur("1d"));
    p.location_offset = dur("8h");
    let got = window(&input, &p).unwrap();
    let bounds: Vec<(Option<Value>, Option<Value>)> = got
        .iter()
        .map(|t| (t.columns[0].get(0), t.columns[1].get(0)))
        .collect();
    assert_eq!(
        bounds,
        vec![
            (t("2020-12-31T16:00:00Z"), t("2021-01-01T16:00:00Z")),
            (t("2021-01-01T16:00:00Z"), t("2021-01-02T16:00:00Z")),
        ]
    );
    // Calendar months in UTC-5: months start at 05:00Z on the 1st.
    let mut p = WindowParams::new(dur("1mo"));
    p.location_offset = dur("-5h");
    let got = window(&input, &p).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].columns[0].get(0), t("2021-01-01T05:00:00Z"));
    assert_eq!(got[0].columns[1].get(0), t("2021-02-01T05:00:00Z"));
}

#[test]
fn state_count_and_duration() {
    let rows: Vec<Vec<Option<Value>>> = (0..5)
        .map(|k| {
            vec![
                t(&format!("2021-01-01T00:00:{:02}Z", k * 10)),
                i(k),
                s("f"),
                s("m"),
                s("h"),
            ]
        })
        .collect();
    let tb = table(&TMFH, &rows);
    let m = [Some(true), Some(true), Some(false), Some(true), None];
    let c = state_count(&tb, &m, &StateParams::new(false)).unwrap();
    assert_eq!(
        c.columns.last(),
        Some(&ColumnData::Long(vec![
            Some(1),
            Some(2),
            Some(-1),
            Some(1),
            Some(-1)
        ]))
    );
    assert_eq!(c.meta.columns.last().unwrap().label, "stateCount");
    let d = state_duration(&tb, &m, &StateParams::new(true)).unwrap();
    assert_eq!(
        d.columns.last(),
        Some(&ColumnData::Long(vec![
            Some(0),
            Some(10),
            Some(-1),
            Some(0),
            Some(-1)
        ]))
    );
    assert!(state_count(&tb, &m[..2], &StateParams::new(false)).is_err());
}

#[test]
fn moving_averages() {
    let cols = [("_value", ColumnType::Double, false)];
    let rows: Vec<Vec<Option<Value>>> = [Some(1.0), Some(2.0), None, Some(4.0), Some(6.0)]
        .iter()
        .map(|v| vec![v.map(Value::Double)])
        .collect();
    let tb = table(&cols, &rows);
    let m = moving_average(&tb, 2).unwrap();
    approx(&values(&m), &[Some(1.5), Some(2.0), Some(4.0), Some(5.0)]);
    assert!(moving_average(&tb, 0).is_err());
    // Fewer rows than n: one row, the mean of all non-null values.
    let m = moving_average(&tb, 9).unwrap();
    approx(&values(&m), &[Some(13.0 / 4.0)]);
    let e = exponential_moving_average(&tb, 2).unwrap();
    // a = 2/3: first = mean(1, 2) = 1.5; null carries; 4*2/3 + 1.5/3; 6*2/3 + that/3.
    let third = 4.0 * 2.0 / 3.0 + 1.5 / 3.0;
    approx(
        &values(&e),
        &[
            Some(1.5),
            Some(1.5),
            Some(third),
            Some(6.0 * 2.0 / 3.0 + third / 3.0),
        ],
    );
}

#[test]
fn error_messages() {
    let cols = [
        ("_time", ColumnType::DateTime, false),
        ("_value", ColumnType::String, false),
    ];
    let tb = table(&cols, &[vec![t("2021-01-01T00:00:00Z"), s("x")]]);
    let e = aggregate(&tb, &Aggregate::Mean, "_value").unwrap_err();
    assert_eq!(e.0, "unsupported aggregate column type string");
    let e = aggregate(&tb, &Aggregate::Count, "_nope").unwrap_err();
    assert_eq!(e.to_string(), "column \"_nope\" does not exist");
    let e = difference(
        &tb,
        &DifferenceParams {
            columns: vec!["_time".into()],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.0,
        "difference does not support time columns. try the elapsed function"
    );
    // Pathological grids error out (or saturate) instead of hanging or overflowing.
    let rows: Vec<Vec<Option<Value>>> = vec![vec![
        t("2021-01-01T00:00:00Z"),
        i(1),
        s("f"),
        s("m"),
        s("h"),
    ]];
    let one = range(
        &[table(&TMFH, &rows)],
        ts("2020-01-01T00:00:00Z"),
        ts("2022-01-01T00:00:00Z"),
    );
    let mut p = WindowParams::new(dur("1ns"));
    p.period = dur("1y");
    assert!(window(&one, &p).is_err());
    for (every, offset) in [
        (
            FluxDuration::from_months(i64::MAX),
            FluxDuration::from_months(-5),
        ),
        (
            FluxDuration::from_nanos(i64::MAX - 1),
            FluxDuration::from_nanos(7),
        ),
        (
            FluxDuration::from_months(7),
            FluxDuration::from_months(i64::MIN + 1),
        ),
    ] {
        let mut p = WindowParams::new(every);
        p.offset = offset;
        // Saturated grids may be rejected ("too many windows"); they must not panic or hang.
        if let Ok(got) = window(&one, &p) {
            assert_eq!(got.iter().map(TableChunk::rows).sum::<usize>(), 1);
        }
    }
    let mut p = WindowParams::new(dur("1mo"));
    p.every.nanos = 5;
    assert_eq!(
        window(std::slice::from_ref(&tb), &p).unwrap_err().0,
        "duration used as an interval cannot mix month and nanosecond units"
    );
}

/// `aggregate_window_test.flux`'s `do_test(every: 10s, fn)`: sample data per `t0`,
/// `range(00:00:00, 00:01:00)`, `aggregateWindow(every, fn, timeSrc: "_start")`,
/// `drop(columns: ["_start", "_stop"])`.
fn sample_do_test(kind: &Aggregate) -> Vec<TableChunk> {
    let cols = [
        ("_time", ColumnType::DateTime, false),
        ("t0", ColumnType::String, true),
        ("_value", ColumnType::Double, false),
        ("_measurement", ColumnType::String, true),
        ("_field", ColumnType::String, true),
    ];
    let tables: Vec<TableChunk> = ["a-0", "a-1", "a-2"]
        .iter()
        .map(|tag| {
            let rows: Vec<Vec<Option<Value>>> =
                [(0, 1.0), (5, 5.0), (15, 2.0), (30, 3.0), (45, 4.0)]
                    .iter()
                    .map(|(sec, v)| {
                        vec![
                            t(&format!("2019-11-25T00:00:{sec:02}Z")),
                            s(tag),
                            f(*v),
                            s("m0"),
                            s("f0"),
                        ]
                    })
                    .collect();
            table(&cols, &rows)
        })
        .collect();
    let input = range(&tables, SAMPLE_BOUNDS.start, SAMPLE_BOUNDS.stop);
    let mut p = AggregateWindowParams::new(dur("10s"));
    p.time_src = "_start".into();
    drop_cols(
        &aggregate_window(&input, &p, kind).unwrap(),
        &["_start", "_stop"],
    )
}

const SAMPLE_BOUNDS: Bounds = Bounds {
    start: 1_574_640_000_000_000_000,
    stop: 1_574_640_060_000_000_000,
};

/// Second `aggregateWindow(every, fn, timeSrc: "_start")` on tables without `_start`/`_stop`
/// (the stream bounds come from the `range`), then `drop(["_start", "_stop"])`.
fn second_pass(tables: &[TableChunk], every: &str, kind: &Aggregate) -> Vec<TableChunk> {
    let mut p = AggregateWindowParams::new(dur(every));
    p.time_src = "_start".into();
    p.bounds = Some(SAMPLE_BOUNDS);
    drop_cols(
        &aggregate_window(tables, &p, kind).unwrap(),
        &["_start", "_stop"],
    )
}

/// `group(columns: ["_measurement", "_field"])` over all tables (rows concatenated).
fn group_measurement_field(tables: &[TableChunk]) -> Vec<TableChunk> {
    let first = &tables[0];
    let mut meta = first.meta.as_ref().clone();
    for (c, k) in meta.columns.iter_mut().zip(meta.key_values.iter_mut()) {
        if c.label == "t0" {
            c.group = false;
            *k = None;
        }
    }
    let mut columns = first.columns.clone();
    for t in &tables[1..] {
        let all: Vec<usize> = (0..t.rows()).collect();
        for (d, s) in columns.iter_mut().zip(&t.columns) {
            super::extend_from(d, s, &all);
        }
    }
    vec![TableChunk {
        meta: Arc::new(meta),
        columns,
    }]
}

fn col_of(t: &TableChunk, label: &str) -> ColumnData {
    t.columns[t.meta.column_index(label).unwrap()].clone()
}

#[test]
fn aggregate_window_upstream_empty_and_null_windows() {
    let fl = |v: &[Option<f64>]| ColumnData::Double(v.to_vec());
    let per_table = [
        (
            Aggregate::Sum,
            fl(&[Some(6.0), Some(2.0), None, Some(3.0), Some(4.0), None]),
        ),
        (
            Aggregate::Mean,
            fl(&[Some(3.0), Some(2.0), None, Some(3.0), Some(4.0), None]),
        ),
        (
            Aggregate::Min,
            fl(&[Some(1.0), Some(2.0), None, Some(3.0), Some(4.0), None]),
        ),
        (
            Aggregate::Max,
            fl(&[Some(5.0), Some(2.0), None, Some(3.0), Some(4.0), None]),
        ),
        (
            Aggregate::Count,
            ColumnData::Long([2, 1, 0, 1, 1, 0].iter().map(|x| Some(*x)).collect()),
        ),
    ];
    let times: Vec<Option<i64>> = (0..6)
        .map(|k| Some(SAMPLE_BOUNDS.start + k * 10_000_000_000))
        .collect();
    for (kind, want) in &per_table {
        let got = sample_do_test(kind);
        assert_eq!(got.len(), 3);
        for t in &got {
            assert_eq!(&col_of(t, "_value"), want, "{kind:?}");
            assert_eq!(col_of(t, "_time"), ColumnData::DateTime(times.clone()));
        }
    }
    // *_with_nulls: a second 1m pass over the 10s sums (two null rows per table).
    let sums = sample_do_test(&Aggregate::Sum);
    for (kind, want) in [
        (Aggregate::Count, ColumnData::Long(vec![Some(6)])),
        (Aggregate::Sum, fl(&[Some(15.0)])),
        (Aggregate::Mean, fl(&[Some(3.75)])),
        (Aggregate::Min, fl(&[Some(2.0)])),
        (Aggregate::Max, fl(&[Some(6.0)])),
    ] {
        let got = second_pass(&sums, "1m", &kind);
        assert_eq!(got.len(), 3);
        for t in &got {
            assert_eq!(col_of(t, "_value"), want, "{kind:?}");
            assert_eq!(
                col_of(t, "_time"),
                ColumnData::DateTime(vec![Some(SAMPLE_BOUNDS.start)])
            );
        }
    }
    // *_null_windows: regroup the three tables into one (rows not sorted by time) and window
    // again by 10s; windows holding only nulls give null (count: 3).
    let grouped = group_measurement_field(&sums);
    let six = |v: [Option<f64>; 6]| fl(&v);
    for (kind, want) in [
        (Aggregate::Count, ColumnData::Long(vec![Some(3); 6])),
        (
            Aggregate::Sum,
            six([Some(18.0), Some(6.0), None, Some(9.0), Some(12.0), None]),
        ),
        (
            Aggregate::Mean,
            six([Some(6.0), Some(2.0), None, Some(3.0), Some(4.0), None]),
        ),
        (
            Aggregate::Min,
            six([Some(6.0), Some(2.0), None, Some(3.0), Some(4.0), None]),
        ),
        (
            Aggregate::Max,
            six([Some(6.0), Some(2.0), None, Some(3.0), Some(4.0), None]),
        ),
    ] {
        let got = second_pass(&grouped, "10s", &kind);
        assert_eq!(got.len(), 1);
        assert_eq!(col_of(&got[0], "_value"), want, "{kind:?}");
        assert_eq!(
            col_of(&got[0], "_time"),
            ColumnData::DateTime(times.clone())
        );
        if kind.is_selector() {
            // The selected row keeps its t0; a filled empty window has a null t0.
            let t0 = ColumnData::String(
                [
                    Some("a-0"),
                    Some("a-0"),
                    None,
                    Some("a-0"),
                    Some("a-0"),
                    None,
                ]
                .iter()
                .map(|x| x.map(String::from))
                .collect(),
            );
            assert_eq!(col_of(&got[0], "t0"), t0);
        }
    }
}

#[test]
fn window_membership_matches_brute_force() {
    let sec = 1_000_000_000i64;
    let bounds = Bounds {
        start: 1_000 * sec + 300_000_000,
        stop: 1_100 * sec,
    };
    // Unsorted times (LCG) spread over the bounds.
    let mut x = 12345u64;
    let times: Vec<i64> = (0..300)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            bounds.start + ((x >> 11) as i64 % (bounds.stop - bounds.start))
        })
        .collect();
    let cols = [
        ("_time", ColumnType::DateTime, false),
        ("_value", ColumnType::Long, false),
    ];
    let rows: Vec<Vec<Option<Value>>> = times
        .iter()
        .enumerate()
        .map(|(k, tm)| vec![Some(Value::DateTime(*tm)), i(k as i64)])
        .collect();
    let tb = table(&cols, &rows);
    for (every, period, offset) in [
        (7, 7, 0),
        (7, 3, 0),
        (7, 15, 0),
        (7, 7, -2),
        (7, 15, 5),
        (10, 25, -13),
        (3, 1, 1),
        (7, -3, 0),
        (5, -12, 2),
    ] {
        let mut p = WindowParams::new(FluxDuration::from_nanos(every * sec));
        p.period = FluxDuration::from_nanos(period * sec);
        p.offset = FluxDuration::from_nanos(offset * sec);
        p.bounds = Some(bounds);
        let got = window(std::slice::from_ref(&tb), &p).unwrap();
        // Brute force: window k is [offset + k*every, +period), clipped to the bounds.
        let mut want: Vec<((i64, i64), Vec<i64>)> = Vec::new();
        for k in -50..500i64 {
            let a = (offset + k * every) * sec;
            let (s0, e0) = if period < 0 {
                (a + period * sec, a)
            } else {
                (a, a + period * sec)
            };
            let w = (s0.max(bounds.start), e0.min(bounds.stop));
            if w.0 >= w.1 {
                continue;
            }
            let members: Vec<i64> = (0..times.len() as i64)
                .filter(|&r| s0 <= times[r as usize] && times[r as usize] < e0)
                .collect();
            if !members.is_empty() {
                want.push((w, members));
            }
        }
        let got: Vec<((i64, i64), Vec<i64>)> = got
            .iter()
            .map(|t| {
                let Some(Value::DateTime(s)) = t.meta.key_values[2].clone() else {
                    panic!()
                };
                let Some(Value::DateTime(e)) = t.meta.key_values[3].clone() else {
                    panic!()
                };
                let ColumnData::Long(v) = &t.columns[1] else {
                    panic!()
                };
                ((s, e), v.iter().map(|x| x.unwrap()).collect())
            })
            .collect();
        assert!(want.len() > 10);
        assert_eq!(got, want, "every {every} period {period} offset {offset}");
    }
}

/// Rough throughput check (run with `--ignored --nocapture`, ideally `--release`).
#[test]
#[ignore]
fn perf_one_million_rows() {
    let n = 1_000_000usize;
    let start = ts("2021-01-01T00:00:00Z");
    let sec = 1_000_000_000i64;
    let meta = Arc::new(TableMeta::new(
        vec![
            crate::query::table::ColumnMeta::new("_start", ColumnType::DateTime, true),
            crate::query::table::ColumnMeta::new("_stop", ColumnType::DateTime, true),
            crate::query::table::ColumnMeta::new("_time", ColumnType::DateTime, false),
            crate::query::table::ColumnMeta::new("_value", ColumnType::Double, false),
            crate::query::table::ColumnMeta::new("host", ColumnType::String, true),
        ],
        vec![
            Some(Value::DateTime(start)),
            Some(Value::DateTime(start + n as i64 * sec)),
            None,
            None,
            Some(Value::String("h".into())),
        ],
    ));
    let tb = TableChunk {
        meta,
        columns: vec![
            ColumnData::DateTime(vec![Some(start); n]),
            ColumnData::DateTime(vec![Some(start + n as i64 * sec); n]),
            ColumnData::DateTime((0..n as i64).map(|k| Some(start + k * sec)).collect()),
            ColumnData::Double((0..n).map(|k| Some(k as f64)).collect()),
            ColumnData::String(vec![Some("h".into()); n]),
        ],
    };
    let tables = [tb];
    for (every, kind) in [
        ("1m", Aggregate::Mean),
        ("1m", Aggregate::Max),
        ("1mo", Aggregate::Count),
        ("10s", Aggregate::median()),
    ] {
        let t0 = std::time::Instant::now();
        let out =
            aggregate_window(&tables, &AggregateWindowParams::new(dur(every)), &kind).unwrap();
        eprintln!(
            "aggregateWindow({every}, {}) over {n} rows: {:?} ({} rows out)",
            kind.name(),
            t0.elapsed(),
            out[0].rows()
        );
    }
    let t0 = std::time::Instant::now();
    let w = window(&tables, &WindowParams::new(dur("1h"))).unwrap();
    eprintln!(
        "window(1h) over {n} rows: {:?} ({} tables)",
        t0.elapsed(),
        w.len()
    );
    let t0 = std::time::Instant::now();
    let d = derivative(&tables[0], &DerivativeParams::default()).unwrap();
    eprintln!(
        "derivative over {n} rows: {:?} ({} rows)",
        t0.elapsed(),
        d.rows()
    );
}

#[test]
fn distinct_upstream() {
    for (i, o) in [
        (DISTINCT_NORMAL_IN, DISTINCT_NORMAL_OUT),
        (DISTINCT_NULLS_IN, DISTINCT_NULLS_OUT),
    ] {
        let t = input(i, "2018-05-20T19:53:26Z", Some(NOW));
        let got = each(&t, |t| distinct(t, "_value"));
        check(&drop_cols(&got, &["_start", "_stop"]), o);
    }
}

#[test]
fn duplicate_upstream() {
    let t = input(DUPLICATE_IN, "2018-05-22T19:53:26Z", None);
    check(
        &each(&t, |t| duplicate(t, "host", "host_new")),
        DUPLICATE_OUT,
    );
    let t = input(DUPLICATE_OVERWRITE_IN, "2018-05-22T19:53:26Z", None);
    check(
        &each(&t, |t| duplicate(t, "host", "cpu")),
        DUPLICATE_OVERWRITE_OUT,
    );
}

type Rows = Vec<Vec<Option<Value>>>;
type SeriesByKey = Vec<((String, String), Vec<(i64, Option<Value>)>)>;

/// `range_nsecs_test.flux` input: (ns after 2021-01-01T00:00:01Z, _field, _value, section),
/// grouped by `_field, _measurement, section` (tables in first-appearance order).
fn nsecs_input() -> Vec<TableChunk> {
    let rows = [
        (1, "foo", 1.0, "1a"),
        (2, "foo", 2.0, "2b"),
        (5, "foo", 3.0, "1a"),
        (9, "bar", 4.0, "2b"),
        (11, "bar", 5.0, "1a"),
        (15, "bar", 6.0, "2b"),
        (22, "bar", 1.2, "2b"),
        (24, "foo", 11.24, "1a"),
        (31, "bar", 0.28, "1a"),
    ];
    let cols = [
        ("_time", ColumnType::DateTime, false),
        ("_field", ColumnType::String, true),
        ("_value", ColumnType::Double, false),
        ("_measurement", ColumnType::String, true),
        ("section", ColumnType::String, true),
    ];
    let base = ts("2021-01-01T00:00:01Z");
    let mut groups: Vec<((&str, &str), Rows)> = Vec::new();
    for (ns, field, v, section) in rows {
        let row = vec![
            Some(Value::DateTime(base + ns)),
            s(field),
            f(v),
            s("mm"),
            s(section),
        ];
        match groups.iter_mut().find(|(k, _)| *k == (field, section)) {
            Some((_, r)) => r.push(row),
            None => groups.push(((field, section), vec![row])),
        }
    }
    groups.iter().map(|(_, r)| table(&cols, r)).collect()
}

/// (field, section) -> [(_time ns after 00:00:01Z, _value)] of a result.
fn by_field_section(tables: &[TableChunk]) -> SeriesByKey {
    let base = ts("2021-01-01T00:00:01Z");
    let mut out: Vec<_> = tables
        .iter()
        .filter(|t| t.rows() > 0)
        .map(|t| {
            let key = |l: &str| match col_of(t, l).get(0) {
                Some(Value::String(v)) => v,
                other => panic!("{other:?}"),
            };
            let times = col_of(t, "_time");
            let vals = col_of(t, "_value");
            let rows = (0..t.rows())
                .map(|r| match times.get(r) {
                    Some(Value::DateTime(x)) => (x - base, vals.get(r)),
                    other => panic!("{other:?}"),
                })
                .collect();
            ((key("_field"), key("section")), rows)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn range_nsecs_aggregate_window_upstream() {
    let base = ts("2021-01-01T00:00:01Z");
    // range(start: 00:00:01Z, stop: +50ns) |> aggregateWindow(every: 15ns, fn: count)
    let input = range(&nsecs_input(), base, base + 50);
    let got = aggregate_window(
        &input,
        &AggregateWindowParams::new(FluxDuration::from_nanos(15)),
        &Aggregate::Count,
    )
    .unwrap();
    let c = |v: [i64; 4]| -> Vec<(i64, Option<Value>)> {
        [5, 20, 35, 50]
            .iter()
            .zip(v)
            .map(|(t, n)| (*t, i(n)))
            .collect()
    };
    let key = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        by_field_section(&got),
        vec![
            (key("bar", "1a"), c([0, 1, 1, 0])),
            (key("bar", "2b"), c([0, 2, 1, 0])),
            (key("foo", "1a"), c([1, 1, 1, 0])),
            (key("foo", "2b"), c([1, 0, 0, 0])),
        ]
    );
    // range(start: +5ns, stop: +20ns) |> aggregateWindow(every: 5ns, offset: -1ns, fn: last,
    // createEmpty: false)
    let input = range(&nsecs_input(), base + 5, base + 20);
    let mut p = AggregateWindowParams::new(FluxDuration::from_nanos(5));
    p.offset = FluxDuration::from_nanos(-1);
    p.create_empty = false;
    let got = aggregate_window(&input, &p, &Aggregate::Last).unwrap();
    assert_eq!(
        by_field_section(&got),
        vec![
            (key("bar", "1a"), vec![(14, f(5.0))]),
            (key("bar", "2b"), vec![(14, f(4.0)), (19, f(6.0))]),
            (key("foo", "1a"), vec![(9, f(3.0))]),
        ]
    );
    // window(every: 10ns) |> first() over [+1ns, +31ns)
    let input = range(&nsecs_input(), base + 1, base + 31);
    let w = window(&input, &WindowParams::new(FluxDuration::from_nanos(10))).unwrap();
    let firsts = each(&w, |t| aggregate(t, &Aggregate::First, "_value"));
    let mut got: Vec<(String, String, i64, Option<Value>)> = by_field_section(&firsts)
        .into_iter()
        .flat_map(|((a, b), rows)| {
            rows.into_iter()
                .map(move |(t, v)| (a.clone(), b.clone(), t, v))
        })
        .collect();
    got.sort_by(|x, y| (x.0.as_str(), x.1.as_str(), x.2).cmp(&(y.0.as_str(), y.1.as_str(), y.2)));
    let foo_1a: Vec<_> = got
        .iter()
        .filter(|r| r.0 == "foo" && r.1 == "1a")
        .map(|r| (r.2, r.3.clone()))
        .collect();
    assert_eq!(foo_1a, vec![(1, f(1.0)), (24, f(11.24))]);
}

// ---- embedded upstream data -------------------------------------------------------------

// ---- hand-built cases (upstream `array.from` tests and edge cases) ----------------------

fn s(v: &str) -> Option<Value> {
    Some(Value::String(v.into()))
}
fn t(v: &str) -> Option<Value> {
    Some(Value::DateTime(ts(v)))
}
fn i(v: i64) -> Option<Value> {
    Some(Value::Long(v))
}
fn f(v: f64) -> Option<Value> {
    Some(Value::Double(v))
}

const TMFH: [(&str, ColumnType, bool); 5] = [
    ("_time", ColumnType::DateTime, false),
    ("_value", ColumnType::Long, false),
    ("_field", ColumnType::String, true),
    ("_measurement", ColumnType::String, true),
    ("host", ColumnType::String, true),
];

#[test]
fn window_period_gaps_upstream() {
    let vals = [
        15204688, 15204894, 15205102, 15205226, 15205499, 15205755, 16205923,
    ];
    let rows: Vec<Vec<Option<Value>>> = vals
        .iter()
        .enumerate()
        .map(|(k, v)| {
            vec![
                t(&format!("2018-05-22T19:53:{:02}Z", k * 3)),
                i(*v),
                s("io_time"),
                s("diskio"),
                s("host.local"),
            ]
        })
        .collect();
    let input = range(
        &[table(&TMFH, &rows)],
        ts("2018-05-22T19:53:00Z"),
        ts("2018-05-22T19:53:30Z"),
    );
    let mut p = WindowParams::new(dur("10s"));
    p.period = dur("5s");
    let got = window(&input, &p).unwrap();
    let want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string
#group,false,false,true,true,false,false,true,true,true
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:00Z,2018-05-22T19:53:05Z,2018-05-22T19:53:00Z,15204688,io_time,diskio,host.local
,,0,2018-05-22T19:53:00Z,2018-05-22T19:53:05Z,2018-05-22T19:53:03Z,15204894,io_time,diskio,host.local
,,1,2018-05-22T19:53:10Z,2018-05-22T19:53:15Z,2018-05-22T19:53:12Z,15205499,io_time,diskio,host.local
";
    check(&got, want);
}

#[test]
fn window_negative_offset_calendar_month_upstream() {
    let rows: Vec<Vec<Option<Value>>> = [
        ("2020-04-10T12:00:00Z", 1),
        ("2020-04-20T12:00:00Z", 2),
        ("2020-05-10T12:00:00Z", 3),
        ("2020-05-20T12:00:00Z", 4),
    ]
    .iter()
    .map(|(tm, v)| vec![t(tm), i(*v), s("data"), s("test1"), s("h")])
    .collect();
    let input = range(
        &[table(&TMFH, &rows)],
        ts("2020-03-15T00:00:00Z"),
        ts("2020-06-01T15:02:25Z"),
    );
    // window(period: 1mo, offset: -2h): every defaults to period.
    let mut p = WindowParams::new(FluxDuration::ZERO);
    p.period = dur("1mo");
    p.offset = dur("-2h");
    let got = window(&input, &p).unwrap();
    let want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string
#group,false,false,true,true,false,false,true,true,true
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,host
,,0,2020-03-31T22:00:00Z,2020-04-30T22:00:00Z,2020-04-10T12:00:00Z,1,data,test1,h
,,0,2020-03-31T22:00:00Z,2020-04-30T22:00:00Z,2020-04-20T12:00:00Z,2,data,test1,h
,,1,2020-04-30T22:00:00Z,2020-05-30T22:00:00Z,2020-05-10T12:00:00Z,3,data,test1,h
,,1,2020-04-30T22:00:00Z,2020-05-30T22:00:00Z,2020-05-20T12:00:00Z,4,data,test1,h
";
    check(&got, want);
}

#[test]
fn aggregate_window_calendar_month_unaligned_bounds() {
    // Bounds not aligned to `every`; one empty month; createEmpty gives it a count of 0 and
    // a null sum.
    let rows: Vec<Vec<Option<Value>>> = [
        ("2021-01-20T00:00:00Z", 1),
        ("2021-01-31T23:59:59Z", 2),
        ("2021-02-01T00:00:00Z", 4),
        ("2021-04-02T00:00:00Z", 8),
    ]
    .iter()
    .map(|(tm, v)| vec![t(tm), i(*v), s("f"), s("m"), s("h")])
    .collect();
    let input = range(
        &[table(&TMFH, &rows)],
        ts("2021-01-15T12:00:00Z"),
        ts("2021-04-10T00:00:00Z"),
    );
    let p = AggregateWindowParams::new(dur("1mo"));
    let head = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string
#group,false,false,true,true,false,false,true,true,true
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,host
";
    let got = aggregate_window(&input, &p, &Aggregate::Count).unwrap();
    let want = format!(
        "{head}\
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-02-01T00:00:00Z,2,f,m,h
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-03-01T00:00:00Z,1,f,m,h
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-04-01T00:00:00Z,0,f,m,h
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-04-10T00:00:00Z,1,f,m,h
"
    );
    check(&got, &want);
    let got = aggregate_window(&input, &p, &Aggregate::Sum).unwrap();
    let want = format!(
        "{head}\
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-02-01T00:00:00Z,3,f,m,h
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-03-01T00:00:00Z,4,f,m,h
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-04-01T00:00:00Z,,f,m,h
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-04-10T00:00:00Z,8,f,m,h
"
    );
    check(&got, &want);
    // createEmpty: false drops the empty month; timeSrc: "_start".
    let mut p2 = p.clone();
    p2.create_empty = false;
    p2.time_src = "_start".into();
    let got = aggregate_window(&input, &p2, &Aggregate::Sum).unwrap();
    let want = format!(
        "{head}\
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-01-15T12:00:00Z,3,f,m,h
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-02-01T00:00:00Z,4,f,m,h
,,0,2021-01-15T12:00:00Z,2021-04-10T00:00:00Z,2021-04-01T00:00:00Z,8,f,m,h
"
    );
    check(&got, &want);
}

#[test]
fn window_overlapping_period_and_unwindow() {
    let rows: Vec<Vec<Option<Value>>> = (0..4)
        .map(|k| {
            vec![
                t(&format!("2021-01-01T00:00:{:02}Z", k * 10)),
                i(k),
                s("f"),
                s("m"),
                s("h"),
            ]
        })
        .collect();
    let bounds = Bounds {
        start: ts("2021-01-01T00:00:00Z"),
        stop: ts("2021-01-01T00:01:00Z"),
    };
    let input = range(&[table(&TMFH, &rows)], bounds.start, bounds.stop);
    let mut p = WindowParams::new(dur("20s"));
    p.period = dur("40s");
    let got = window(&input, &p).unwrap();
    // Windows: [-20s,20s)->[0,20s) {0,1}, [0,40s) {0..3}, [20s,60s) {2,3}, [40s,80s)->[40s,60s) {}.
    let counts: Vec<(i64, i64, usize)> = got
        .iter()
        .map(|t| {
            let s = t.meta.column_index("_start").unwrap();
            let e = t.meta.column_index("_stop").unwrap();
            let Some(Value::DateTime(s)) = t.meta.key_values[s].clone() else {
                panic!()
            };
            let Some(Value::DateTime(e)) = t.meta.key_values[e].clone() else {
                panic!()
            };
            (
                (s - bounds.start) / 1_000_000_000,
                (e - bounds.start) / 1_000_000_000,
                t.rows(),
            )
        })
        .collect();
    assert_eq!(counts, vec![(0, 20, 2), (0, 40, 4), (20, 60, 2)]);
    // Un-windowing merges them back into one table with the original bounds.
    let back = unwindow(&got, "_time", bounds).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].rows(), 8);
    assert_eq!(back[0].meta.key_values, input[0].meta.key_values);
}

fn deriv_input() -> Vec<TableChunk> {
    let cols = [
        ("_time", ColumnType::DateTime, false),
        ("_value", ColumnType::Double, false),
        ("t0", ColumnType::String, true),
    ];
    let a = [6.05, 9.41, 6.65, 4.37, 4.25];
    let b = [6.87, 0.66, 1.57, 0.97, 3.01];
    [("a", a), ("b", b)]
        .iter()
        .map(|(tag, vs)| {
            let rows: Vec<Vec<Option<Value>>> = vs
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    vec![
                        t(&format!("2018-05-22T20:00:{:02}Z", k * 10)),
                        f(*v),
                        s(tag),
                    ]
                })
                .collect();
            table(&cols, &rows)
        })
        .collect()
}

fn values(t: &TableChunk) -> Vec<Option<f64>> {
    let ColumnData::Double(v) = &t.columns[t.meta.column_index("_value").unwrap()] else {
        panic!("not float")
    };
    v.clone()
}

fn approx(got: &[Option<f64>], want: &[Option<f64>]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        match (g, w) {
            (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}"),
            (g, w) => assert_eq!(g, w, "{got:?} vs {want:?}"),
        }
    }
}

#[test]
fn derivative_upstream_cases() {
    let input = deriv_input();
    let d = each(&input, |t| derivative(t, &DerivativeParams::default()));
    approx(
        &values(&d[0]),
        &[Some(0.336), Some(-0.276), Some(-0.228), Some(-0.012)],
    );
    approx(
        &values(&d[1]),
        &[Some(-0.621), Some(0.091), Some(-0.06), Some(0.204)],
    );
    let p = DerivativeParams {
        non_negative: true,
        ..Default::default()
    };
    let d = each(&input, |t| derivative(t, &p));
    approx(&values(&d[0]), &[Some(0.336), None, None, None]);
    approx(&values(&d[1]), &[None, Some(0.091), None, Some(0.204)]);
    let p = DerivativeParams {
        non_negative: true,
        initial_zero: true,
        ..Default::default()
    };
    let d = each(&input, |t| derivative(t, &p));
    approx(
        &values(&d[0]),
        &[Some(0.336), Some(0.0), Some(0.0), Some(0.0)],
    );
    approx(
        &values(&d[1]),
        &[Some(0.0), Some(0.091), Some(0.0), Some(0.204)],
    );
    // duplicate_times: interleave a and b sorted by (_time, t0) in one table; rows whose time
    // equals the previous row's are skipped.
    let cols = [
        ("_time", ColumnType::DateTime, false),
        ("_value", ColumnType::Double, false),
        ("t0", ColumnType::String, false),
    ];
    let a = [6.05, 9.41, 6.65, 4.37, 4.25];
    let b = [6.87, 0.66, 1.57, 0.97, 3.01];
    let mut rows = Vec::new();
    for k in 0..5 {
        let tm = format!("2018-05-22T20:00:{:02}Z", k * 10);
        rows.push(vec![t(&tm), f(a[k]), s("a")]);
        rows.push(vec![t(&tm), f(b[k]), s("b")]);
    }
    let d = derivative(&table(&cols, &rows), &DerivativeParams::default()).unwrap();
    approx(
        &values(&d),
        &[Some(0.336), Some(-0.276), Some(-0.228), Some(-0.012)],
    );
    // Unsorted times and null times are errors, as in Flux.
    rows.swap(0, 2);
    let e = derivative(&table(&cols, &rows), &DerivativeParams::default()).unwrap_err();
    assert_eq!(e.0, "derivative found out-of-order times in time column");
    rows[0][0] = None;
    let e = derivative(&table(&cols, &rows), &DerivativeParams::default()).unwrap_err();
    assert_eq!(e.0, "derivative found null time in time column");
    let p = DerivativeParams {
        time_column: "nope".into(),
        ..Default::default()
    };
    assert_eq!(
        derivative(&input[0], &p).unwrap_err().0,
        "no column \"nope\" exists"
    );
}

#[test]
fn distinct_values_and_nulls() {
    let cols = [
        ("_time", ColumnType::DateTime, false),
        ("_value", ColumnType::Long, false),
        ("tag", ColumnType::String, true),
    ];
    let rows = vec![
        vec![t("2021-01-01T00:00:00Z"), i(1), s("x")],
        vec![t("2021-01-01T00:00:01Z"), None, s("x")],
        vec![t("2021-01-01T00:00:02Z"), i(1), s("x")],
        vec![t("2021-01-01T00:00:03Z"), i(2), s("x")],
        vec![t("2021-01-01T00:00:04Z"), None, s("x")],
    ];
    let tb = table(&cols, &rows);
    let d = distinct(&tb, "_value").unwrap();
    let labels: Vec<&str> = d.meta.columns.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["tag", "_value"]);
    assert_eq!(d.columns[1], ColumnData::Long(vec![Some(1), None, Some(2)]));
    // A key column yields its single key value.
    let d = distinct(&tb, "tag").unwrap();
    assert_eq!(d.columns[1], ColumnData::String(vec![Some("x".into())]));
    let u = unique(&tb, "_value").unwrap();
    assert_eq!(u.rows(), 3);
    let b = top_bottom(&tb, &TopBottomParams::new(2), false).unwrap();
    // Nulls sort first ascending.
    assert_eq!(b.columns[1], ColumnData::Long(vec![None, None]));
}

#[test]
fn empty_table_aggregates_and_errors() {
    let tb = table(&TMFH, &[]);
    let with_key = TableChunk {
        meta: Arc::new(TableMeta::new(
            tb.meta.columns.clone(),
            vec![None, None, s("f"), s("m"), s("h")],
        )),
        columns: tb.columns.clone(),
    };
    let c = aggregate(&with_key, &Aggregate::Count, "_value").unwrap();
    assert_eq!(c.rows(), 1);
    assert_eq!(c.columns.last(), Some(&ColumnData::Long(vec![Some(0)])));
    let m = aggregate(&with_key, &Aggregate::Mean, "_value").unwrap();
    assert_eq!(m.columns.last(), Some(&ColumnData::Double(vec![None])));
    let sel = aggregate(&with_key, &Aggregate::First, "_value").unwrap();
    assert_eq!(sel.rows(), 0);
    let filled = fill_empty(sel);
    assert_eq!(filled.rows(), 1);
    assert_eq!(
        filled.columns[2],
        ColumnData::String(vec![Some("f".into())])
    );
    assert_eq!(
        aggregate(&with_key, &Aggregate::Sum, "nope").unwrap_err().0,
        "column \"nope\" does not exist"
    );
    assert!(aggregate(&with_key, &Aggregate::Sum, "_field").is_err());
    assert!(window(
        std::slice::from_ref(&with_key),
        &WindowParams::new(FluxDuration::ZERO)
    )
    .is_err());
    let no_bounds = table(
        &[
            ("_time", ColumnType::DateTime, false),
            ("_value", ColumnType::Long, false),
        ],
        &[vec![t("2021-01-01T00:00:00Z"), i(1)]],
    );
    let e = aggregate_window(
        &[no_bounds],
        &AggregateWindowParams::new(dur("1m")),
        &Aggregate::Count,
    )
    .unwrap_err();
    assert!(e.0.contains("range()"), "{e}");
    let mut bad = WindowParams::new(dur("1s"));
    bad.time_column = "nope".into();
    assert!(window(&[with_key], &bad).is_err());
}

#[test]
fn quantile_methods() {
    let cols = [("_value", ColumnType::Double, false)];
    let rows: Vec<Vec<Option<Value>>> = [4.0, 1.0, 3.0, 2.0].iter().map(|v| vec![f(*v)]).collect();
    let tb = table(&cols, &rows);
    let q = |q: f64, method| {
        let a = Aggregate::Quantile {
            q,
            method,
            compression: 1000.0,
        };
        aggregate(&tb, &a, "_value").unwrap().columns[0].get(0)
    };
    assert_eq!(q(0.5, QuantileMethod::ExactMean), Some(Value::Double(2.5)));
    assert_eq!(
        q(0.5, QuantileMethod::ExactSelector),
        Some(Value::Double(2.0))
    );
    assert_eq!(
        q(1.0, QuantileMethod::ExactSelector),
        Some(Value::Double(4.0))
    );
    assert_eq!(q(0.0, QuantileMethod::ExactMean), Some(Value::Double(1.0)));
    assert_eq!(
        q(0.5, QuantileMethod::EstimateTdigest),
        Some(Value::Double(2.5))
    );
    // estimate_tdigest/exact_mean are float-only; exact_selector takes any type and emits a
    // null row when nothing can be selected.
    let ints = table(
        &[("_value", ColumnType::Long, false)],
        &[vec![i(3)], vec![i(1)]],
    );
    assert_eq!(
        aggregate(&ints, &Aggregate::median(), "_value")
            .unwrap_err()
            .0,
        "unsupported aggregate column type int"
    );
    let sel = Aggregate::Quantile {
        q: 0.5,
        method: QuantileMethod::ExactSelector,
        compression: 1000.0,
    };
    let got = aggregate(&ints, &sel, "_value").unwrap();
    assert_eq!(got.columns[0], ColumnData::Long(vec![Some(1)]));
    let strs = table(
        &[("_value", ColumnType::String, false)],
        &[vec![s("b")], vec![s("c")], vec![s("a")]],
    );
    let got = aggregate(&strs, &sel, "_value").unwrap();
    assert_eq!(got.columns[0], ColumnData::String(vec![Some("b".into())]));
    let empty = table(&[("_value", ColumnType::Long, false)], &[vec![None]]);
    let got = aggregate(&empty, &sel, "_value").unwrap();
    assert_eq!(got.columns[0], ColumnData::Long(vec![None]));
    // stddev: null for no values, NaN for one value in sample mode.
    let one = table(&cols, &[vec![f(1.0)]]);
    let sd = |t: &TableChunk, m| {
        aggregate(t, &Aggregate::Stddev(m), "_value")
            .unwrap()
            .columns[0]
            .get(0)
    };
    assert!(matches!(sd(&one, StddevMode::Sample), Some(Value::Double(x)) if x.is_nan()));
    assert_eq!(sd(&one, StddevMode::Population), Some(Value::Double(0.0)));
    assert_eq!(sd(&table(&cols, &[]), StddevMode::Sample), None);
}

const AGGREGATE_EMPTY_WINDOW_COUNT_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local
"#;

const AGGREGATE_EMPTY_WINDOW_COUNT_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,long
#group,false,false,true,true,false,true,true,true,true,false
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,cpu,host,_value
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest,cpu,cpu-total,host.local,1
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest,cpu,cpu-total,host.local,3
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest,cpu,cpu-total,host.local,2
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest_nice,cpu,cpu-total,host.local,1
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest_nice,cpu,cpu-total,host.local,3
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest_nice,cpu,cpu-total,host.local,2
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_idle,cpu,cpu-total,host.local,1
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_idle,cpu,cpu-total,host.local,3
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_idle,cpu,cpu-total,host.local,2
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_idle,cpu,cpu-total,host.local,0
"#;

const AGGREGATE_EMPTY_WINDOW_FIRST_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local
"#;

const AGGREGATE_EMPTY_WINDOW_FIRST_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,false
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,cpu,host,_value
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest,cpu,cpu-total,host.local,
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest_nice,cpu,cpu-total,host.local,
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_idle,cpu,cpu-total,host.local,91.7364670583823
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_idle,cpu,cpu-total,host.local,89.51118889861233
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_idle,cpu,cpu-total,host.local,68.304576144036
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_idle,cpu,cpu-total,host.local,
"#;

const AGGREGATE_EMPTY_WINDOW_LAST_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local
"#;

const AGGREGATE_EMPTY_WINDOW_LAST_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,false
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,cpu,host,_value
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest,cpu,cpu-total,host.local,
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest_nice,cpu,cpu-total,host.local,
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_idle,cpu,cpu-total,host.local,91.7364670583823
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_idle,cpu,cpu-total,host.local,91.02836436336374
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_idle,cpu,cpu-total,host.local,87.88598574821853
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_idle,cpu,cpu-total,host.local,
"#;

const AGGREGATE_EMPTY_WINDOW_MAX_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local
"#;

const AGGREGATE_EMPTY_WINDOW_MAX_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,false
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,cpu,host,_value
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest,cpu,cpu-total,host.local,
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest_nice,cpu,cpu-total,host.local,
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_idle,cpu,cpu-total,host.local,91.7364670583823
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_idle,cpu,cpu-total,host.local,91.0977744436109
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_idle,cpu,cpu-total,host.local,87.88598574821853
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_idle,cpu,cpu-total,host.local,
"#;

const AGGREGATE_EMPTY_WINDOW_MEAN_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local
"#;

const AGGREGATE_EMPTY_WINDOW_MEAN_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,false
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,cpu,host,_value
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest,cpu,cpu-total,host.local,
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest_nice,cpu,cpu-total,host.local,
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_idle,cpu,cpu-total,host.local,91.7364670583823
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_idle,cpu,cpu-total,host.local,90.54577590186233
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_idle,cpu,cpu-total,host.local,78.09528094612728
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_idle,cpu,cpu-total,host.local,
"#;

const AGGREGATE_EMPTY_WINDOW_MIN_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local
"#;

const AGGREGATE_EMPTY_WINDOW_MIN_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,false
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,cpu,host,_value
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest,cpu,cpu-total,host.local,
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest_nice,cpu,cpu-total,host.local,
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_idle,cpu,cpu-total,host.local,91.7364670583823
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_idle,cpu,cpu-total,host.local,89.51118889861233
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_idle,cpu,cpu-total,host.local,68.304576144036
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_idle,cpu,cpu-total,host.local,
"#;

const AGGREGATE_EMPTY_WINDOW_SUM_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:24.421470485Z,2018-05-22T19:54:24.421470485Z,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local
"#;

const AGGREGATE_EMPTY_WINDOW_SUM_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,false
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,cpu,host,_value
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest,cpu,cpu-total,host.local,0
,,0,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest,cpu,cpu-total,host.local,
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_guest_nice,cpu,cpu-total,host.local,0
,,1,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_guest_nice,cpu,cpu-total,host.local,
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:53:30Z,usage_idle,cpu,cpu-total,host.local,91.7364670583823
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:00Z,usage_idle,cpu,cpu-total,host.local,271.637327705587
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:54:30Z,usage_idle,cpu,cpu-total,host.local,156.19056189225455
,,2,2018-05-22T19:53:26Z,2018-05-22T19:55:00Z,2018-05-22T19:55:00Z,usage_idle,cpu,cpu-total,host.local,
"#;

const AGGREGATE_WINDOW__OFFSET_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T00:00:00Z,20,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:10Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:20Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:30Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:40Z,40,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:50Z,40,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T00:00:00Z,25,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:10Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:20Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:30Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:40Z,45,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:50Z,45,used_percent,disk,disk1s1,apfs,host.local,/tmp
"#;

const AGGREGATE_WINDOW__OFFSET_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,true,true,false
#default,_result,,,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,device,fstype,host,path,_value
,,0,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:00:05Z,used_percent,disk,disk1s1,apfs,host.local,/,20
,,0,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:00:35Z,used_percent,disk,disk1s1,apfs,host.local,/,30
,,0,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:01:00Z,used_percent,disk,disk1s1,apfs,host.local,/,40
,,1,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:00:05Z,used_percent,disk,disk1s1,apfs,host.local,/tmp,25
,,1,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:00:35Z,used_percent,disk,disk1s1,apfs,host.local,/tmp,35
,,1,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:01:00Z,used_percent,disk,disk1s1,apfs,host.local,/tmp,45
"#;

const AGGREGATE_WINDOW_MAX_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T00:00:00Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:10Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:20Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:30Z,40,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:40Z,40,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:50Z,40,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T00:00:00Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:10Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:20Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:30Z,45,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:40Z,45,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:50Z,45,used_percent,disk,disk1s1,apfs,host.local,/tmp
"#;

const AGGREGATE_WINDOW_MAX_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,true,true,false
#default,_result,,,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,device,fstype,host,path,_value
,,0,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:00:30Z,used_percent,disk,disk1s1,apfs,host.local,/,30
,,0,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:01:00Z,used_percent,disk,disk1s1,apfs,host.local,/,40
,,1,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:00:30Z,used_percent,disk,disk1s1,apfs,host.local,/tmp,35
,,1,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:01:00Z,used_percent,disk,disk1s1,apfs,host.local,/tmp,45
"#;

const AGGREGATE_WINDOW_MEAN_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T00:00:00Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:10Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:20Z,30,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:30Z,40,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:40Z,40,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T00:00:50Z,40,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T00:00:00Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:10Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:20Z,35,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:30Z,45,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:40Z,45,used_percent,disk,disk1s1,apfs,host.local,/tmp
,,1,2018-05-22T00:00:50Z,45,used_percent,disk,disk1s1,apfs,host.local,/tmp
"#;

const AGGREGATE_WINDOW_MEAN_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,string,string,double
#group,false,false,true,true,false,true,true,true,true,true,true,false
#default,_result,,,,,,,,,,,
,result,table,_start,_stop,_time,_field,_measurement,device,fstype,host,path,_value
,,0,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:00:30Z,used_percent,disk,disk1s1,apfs,host.local,/,30
,,0,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:01:00Z,used_percent,disk,disk1s1,apfs,host.local,/,40
,,1,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:00:30Z,used_percent,disk,disk1s1,apfs,host.local,/tmp,35
,,1,2018-05-22T00:00:00Z,2018-05-22T00:01:00Z,2018-05-22T00:01:00Z,used_percent,disk,disk1s1,apfs,host.local,/tmp,45
"#;

const AGGREGATE_WINDOW_MEDIAN_IN: &str = r#"
#datatype,string,long,string,string,string,dateTime:RFC3339,double
#group,false,false,true,true,true,false,false
#default,_result,,,,,,
,result,table,_measurement,_field,t0,_time,_value
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:44:58Z,7.940387008821781
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:08Z,49.460104214779086
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:18Z,-36.564150808873954
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:28Z,34.319039251798635
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:38Z,79.27019811403116
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:48Z,41.91029522104053
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:44:58Z,-61.68790887989735
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:08Z,-6.3173755351186465
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:18Z,-26.049728557657513
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:28Z,114.285955884979
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:38Z,16.140262630578995
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:48Z,29.50336437998469
"#;

const AGGREGATE_WINDOW_MEDIAN_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,string,dateTime:RFC3339,double
#group,false,false,true,true,true,true,true,false,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_measurement,_field,t0,_time,_value
,,0,2019-01-09T19:44:30Z,2019-01-09T19:46:00Z,Reiva,OAOJWe7,BnR,2019-01-09T19:45:00Z,7.940387008821781
,,0,2019-01-09T19:44:30Z,2019-01-09T19:46:00Z,Reiva,OAOJWe7,BnR,2019-01-09T19:45:30Z,34.319039251798635
,,0,2019-01-09T19:44:30Z,2019-01-09T19:46:00Z,Reiva,OAOJWe7,BnR,2019-01-09T19:46:00Z,60.590246667535845
,,1,2019-01-09T19:44:30Z,2019-01-09T19:46:00Z,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:00Z,-61.68790887989735
,,1,2019-01-09T19:44:30Z,2019-01-09T19:46:00Z,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:30Z,-6.3173755351186465
,,1,2019-01-09T19:44:30Z,2019-01-09T19:46:00Z,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:46:00Z,22.821813505281843
"#;

const COUNT_IN: &str = r#"
#datatype,string,long,string,string,dateTime:RFC3339,unsignedLong
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,0,iZquGj,Au1iY,2018-12-18T20:52:33Z,7
,,0,iZquGj,Au1iY,2018-12-18T20:52:43Z,38
,,0,iZquGj,Au1iY,2018-12-18T20:52:53Z,79
,,0,iZquGj,Au1iY,2018-12-18T20:53:03Z,51
,,0,iZquGj,Au1iY,2018-12-18T20:53:13Z,94
,,0,iZquGj,Au1iY,2018-12-18T20:53:23Z,85

#datatype,string,long,string,string,dateTime:RFC3339,string
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,1,iZquGj,HSbYC,2018-12-18T20:52:33Z,A9JcEV
,,1,iZquGj,HSbYC,2018-12-18T20:52:43Z,iNI7Bqy
,,1,iZquGj,HSbYC,2018-12-18T20:52:53Z,TFIS
,,1,iZquGj,HSbYC,2018-12-18T20:53:03Z,q6h9yU
,,1,iZquGj,HSbYC,2018-12-18T20:53:13Z,X8Ks
,,1,iZquGj,HSbYC,2018-12-18T20:53:23Z,aOMgU

#datatype,string,long,string,string,dateTime:RFC3339,boolean
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,2,iZquGj,J1u,2018-12-18T20:52:33Z,false
,,2,iZquGj,J1u,2018-12-18T20:52:43Z,false
,,2,iZquGj,J1u,2018-12-18T20:52:53Z,true
,,2,iZquGj,J1u,2018-12-18T20:53:03Z,true
,,2,iZquGj,J1u,2018-12-18T20:53:13Z,true
,,2,iZquGj,J1u,2018-12-18T20:53:23Z,false

#datatype,string,long,string,string,dateTime:RFC3339,double
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,3,iZquGj,ei77f8T,2018-12-18T20:52:33Z,-61.68790887989735
,,3,iZquGj,ei77f8T,2018-12-18T20:52:43Z,-6.3173755351186465
,,3,iZquGj,ei77f8T,2018-12-18T20:52:53Z,-26.049728557657513
,,3,iZquGj,ei77f8T,2018-12-18T20:53:03Z,114.285955884979
,,3,iZquGj,ei77f8T,2018-12-18T20:53:13Z,16.140262630578995
,,3,iZquGj,ei77f8T,2018-12-18T20:53:23Z,29.50336437998469

#datatype,string,long,string,string,dateTime:RFC3339,long
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,4,iZquGj,ucyoZ,2018-12-18T20:52:33Z,-66
,,4,iZquGj,ucyoZ,2018-12-18T20:52:43Z,59
,,4,iZquGj,ucyoZ,2018-12-18T20:52:53Z,64
,,4,iZquGj,ucyoZ,2018-12-18T20:53:03Z,84
,,4,iZquGj,ucyoZ,2018-12-18T20:53:13Z,68
,,4,iZquGj,ucyoZ,2018-12-18T20:53:23Z,49
"#;

const COUNT_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,long
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,0,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,iZquGj,Au1iY,6
,,1,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,iZquGj,HSbYC,6
,,2,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,iZquGj,J1u,6
,,3,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,iZquGj,ei77f8T,6
,,4,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,iZquGj,ucyoZ,6
"#;

const MEAN_IN: &str = r#"
#datatype,string,long,string,string,dateTime:RFC3339,unsignedLong
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,0,Sgf,DlXwgrw,2018-12-18T22:11:05Z,70
,,0,Sgf,DlXwgrw,2018-12-18T22:11:15Z,48
,,0,Sgf,DlXwgrw,2018-12-18T22:11:25Z,33
,,0,Sgf,DlXwgrw,2018-12-18T22:11:35Z,24
,,0,Sgf,DlXwgrw,2018-12-18T22:11:45Z,38
,,0,Sgf,DlXwgrw,2018-12-18T22:11:55Z,75

#datatype,string,long,string,string,dateTime:RFC3339,long
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,1,Sgf,GxUPYq1,2018-12-18T22:11:05Z,96
,,1,Sgf,GxUPYq1,2018-12-18T22:11:15Z,-44
,,1,Sgf,GxUPYq1,2018-12-18T22:11:25Z,-25
,,1,Sgf,GxUPYq1,2018-12-18T22:11:35Z,46
,,1,Sgf,GxUPYq1,2018-12-18T22:11:45Z,-2
,,1,Sgf,GxUPYq1,2018-12-18T22:11:55Z,-14

#datatype,string,long,string,string,dateTime:RFC3339,double
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,2,Sgf,qaOnnQc,2018-12-18T22:11:05Z,-61.68790887989735
,,2,Sgf,qaOnnQc,2018-12-18T22:11:15Z,-6.3173755351186465
,,2,Sgf,qaOnnQc,2018-12-18T22:11:25Z,-26.049728557657513
,,2,Sgf,qaOnnQc,2018-12-18T22:11:35Z,114.285955884979
,,2,Sgf,qaOnnQc,2018-12-18T22:11:45Z,16.140262630578995
,,2,Sgf,qaOnnQc,2018-12-18T22:11:55Z,29.50336437998469
"#;

const MEAN_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,double
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,0,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,DlXwgrw,48
,,1,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,GxUPYq1,9.5
,,2,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,qaOnnQc,10.979094987144862
"#;

const SUM_IN: &str = r#"
#datatype,string,long,string,string,dateTime:RFC3339,unsignedLong
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,0,Sgf,DlXwgrw,2018-12-18T22:11:05Z,70
,,0,Sgf,DlXwgrw,2018-12-18T22:11:15Z,48
,,0,Sgf,DlXwgrw,2018-12-18T22:11:25Z,33
,,0,Sgf,DlXwgrw,2018-12-18T22:11:35Z,24
,,0,Sgf,DlXwgrw,2018-12-18T22:11:45Z,38
,,0,Sgf,DlXwgrw,2018-12-18T22:11:55Z,75

#datatype,string,long,string,string,dateTime:RFC3339,long
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,1,Sgf,GxUPYq1,2018-12-18T22:11:05Z,96
,,1,Sgf,GxUPYq1,2018-12-18T22:11:15Z,-44
,,1,Sgf,GxUPYq1,2018-12-18T22:11:25Z,-25
,,1,Sgf,GxUPYq1,2018-12-18T22:11:35Z,46
,,1,Sgf,GxUPYq1,2018-12-18T22:11:45Z,-2
,,1,Sgf,GxUPYq1,2018-12-18T22:11:55Z,-14

#datatype,string,long,string,string,dateTime:RFC3339,double
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,2,Sgf,qaOnnQc,2018-12-18T22:11:05Z,-61.68790887989735
,,2,Sgf,qaOnnQc,2018-12-18T22:11:15Z,-6.3173755351186465
,,2,Sgf,qaOnnQc,2018-12-18T22:11:25Z,-26.049728557657513
,,2,Sgf,qaOnnQc,2018-12-18T22:11:35Z,114.285955884979
,,2,Sgf,qaOnnQc,2018-12-18T22:11:45Z,16.140262630578995
,,2,Sgf,qaOnnQc,2018-12-18T22:11:55Z,29.50336437998469
"#;

const SUM_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,unsignedLong
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,0,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,DlXwgrw,288
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,long
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,1,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,GxUPYq1,57
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,double
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,2,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,qaOnnQc,65.87456992286917
"#;

const SPREAD_IN: &str = r#"
#datatype,string,long,string,string,dateTime:RFC3339,unsignedLong
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,0,Sgf,DlXwgrw,2018-12-18T22:11:05Z,70
,,0,Sgf,DlXwgrw,2018-12-18T22:11:15Z,48
,,0,Sgf,DlXwgrw,2018-12-18T22:11:25Z,33
,,0,Sgf,DlXwgrw,2018-12-18T22:11:35Z,24
,,0,Sgf,DlXwgrw,2018-12-18T22:11:45Z,38
,,0,Sgf,DlXwgrw,2018-12-18T22:11:55Z,75

#datatype,string,long,string,string,dateTime:RFC3339,long
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,1,Sgf,GxUPYq1,2018-12-18T22:11:05Z,96
,,1,Sgf,GxUPYq1,2018-12-18T22:11:15Z,-44
,,1,Sgf,GxUPYq1,2018-12-18T22:11:25Z,-25
,,1,Sgf,GxUPYq1,2018-12-18T22:11:35Z,46
,,1,Sgf,GxUPYq1,2018-12-18T22:11:45Z,-2
,,1,Sgf,GxUPYq1,2018-12-18T22:11:55Z,-14

#datatype,string,long,string,string,dateTime:RFC3339,double
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,2,Sgf,qaOnnQc,2018-12-18T22:11:05Z,-61.68790887989735
,,2,Sgf,qaOnnQc,2018-12-18T22:11:15Z,-6.3173755351186465
,,2,Sgf,qaOnnQc,2018-12-18T22:11:25Z,-26.049728557657513
,,2,Sgf,qaOnnQc,2018-12-18T22:11:35Z,114.285955884979
,,2,Sgf,qaOnnQc,2018-12-18T22:11:45Z,16.140262630578995
,,2,Sgf,qaOnnQc,2018-12-18T22:11:55Z,29.50336437998469
"#;

const SPREAD_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,unsignedLong
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,0,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,DlXwgrw,51
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,long
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,1,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,GxUPYq1,140
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,double
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,2,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,qaOnnQc,175.97386476487634
"#;

const STDDEV_IN: &str = r#"
#datatype,string,long,string,string,dateTime:RFC3339,unsignedLong
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,0,Sgf,DlXwgrw,2018-12-18T22:11:05Z,70
,,0,Sgf,DlXwgrw,2018-12-18T22:11:15Z,48
,,0,Sgf,DlXwgrw,2018-12-18T22:11:25Z,33
,,0,Sgf,DlXwgrw,2018-12-18T22:11:35Z,24
,,0,Sgf,DlXwgrw,2018-12-18T22:11:45Z,38
,,0,Sgf,DlXwgrw,2018-12-18T22:11:55Z,75

#datatype,string,long,string,string,dateTime:RFC3339,long
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,1,Sgf,GxUPYq1,2018-12-18T22:11:05Z,96
,,1,Sgf,GxUPYq1,2018-12-18T22:11:15Z,-44
,,1,Sgf,GxUPYq1,2018-12-18T22:11:25Z,-25
,,1,Sgf,GxUPYq1,2018-12-18T22:11:35Z,46
,,1,Sgf,GxUPYq1,2018-12-18T22:11:45Z,-2
,,1,Sgf,GxUPYq1,2018-12-18T22:11:55Z,-14

#datatype,string,long,string,string,dateTime:RFC3339,double
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,2,Sgf,qaOnnQc,2018-12-18T22:11:05Z,-61.68790887989735
,,2,Sgf,qaOnnQc,2018-12-18T22:11:15Z,-6.3173755351186465
,,2,Sgf,qaOnnQc,2018-12-18T22:11:25Z,-26.049728557657513
,,2,Sgf,qaOnnQc,2018-12-18T22:11:35Z,114.285955884979
,,2,Sgf,qaOnnQc,2018-12-18T22:11:45Z,16.140262630578995
,,2,Sgf,qaOnnQc,2018-12-18T22:11:55Z,29.50336437998469
"#;

const STDDEV_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,double
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,0,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,DlXwgrw,20.5621010599598
,,1,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,GxUPYq1,52.060541679855774
,,2,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,Sgf,qaOnnQc,59.9881468845287
"#;

const MEDIAN_IN: &str = r#"
#datatype,string,long,string,string,string,dateTime:RFC3339,double
#group,false,false,true,true,true,false,false
#default,_result,,,,,,
,result,table,_measurement,_field,t0,_time,_value
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:44:58Z,7.940387008821781
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:08Z,49.460104214779086
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:18Z,-36.564150808873954
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:28Z,34.319039251798635
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:38Z,79.27019811403116
,,0,Reiva,OAOJWe7,BnR,2019-01-09T19:45:48Z,41.91029522104053
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:44:58Z,-61.68790887989735
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:08Z,-6.3173755351186465
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:18Z,-26.049728557657513
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:28Z,114.285955884979
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:38Z,16.140262630578995
,,1,Reiva,OAOJWe7,qCnJDC,2019-01-09T19:45:48Z,29.50336437998469
"#;

const MEDIAN_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,string,double
#group,false,false,true,true,true,true,true,false
#default,_result,,,,,,,
,result,table,_start,_stop,_measurement,_field,t0,_value
,,0,2019-01-01T00:00:00Z,2030-01-01T00:00:00Z,Reiva,OAOJWe7,BnR,38.11466723641958
,,1,2019-01-01T00:00:00Z,2030-01-01T00:00:00Z,Reiva,OAOJWe7,qCnJDC,4.911443547730174
"#;

const MEDIAN_METHOD_IN: &str = r#"
#datatype,string,long,string,string,dateTime:RFC3339,double
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,0,SOYcRk,NC7N,2018-12-18T21:12:45Z,55
,,0,SOYcRk,NC7N,2018-12-18T21:12:55Z,15
,,0,SOYcRk,NC7N,2018-12-18T21:13:05Z,25
,,0,SOYcRk,NC7N,2018-12-18T21:13:15Z,5
,,0,SOYcRk,NC7N,2018-12-18T21:13:25Z,105
,,0,SOYcRk,NC7N,2018-12-18T21:13:35Z,45
"#;

const MEDIAN_METHOD_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,dateTime:RFC3339,double
#group,false,false,true,true,true,true,false,false
#default,_result,,,,,,,
,result,table,_start,_stop,_measurement,_field,_time,_value
,,0,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,SOYcRk,NC7N,2018-12-18T21:13:05Z,25
"#;

const MEDIAN_COMPRESSION_IN: &str = r#"
#datatype,string,long,string,string,dateTime:RFC3339,double
#group,false,false,true,true,false,false
#default,_result,,,,,
,result,table,_measurement,_field,_time,_value
,,0,SOYcRk,NC7N,2018-12-18T21:12:45Z,55
,,0,SOYcRk,NC7N,2018-12-18T21:12:55Z,15
,,0,SOYcRk,NC7N,2018-12-18T21:13:05Z,25
,,0,SOYcRk,NC7N,2018-12-18T21:13:15Z,5
,,0,SOYcRk,NC7N,2018-12-18T21:13:25Z,105
,,0,SOYcRk,NC7N,2018-12-18T21:13:35Z,45
"#;

const MEDIAN_COMPRESSION_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,double
#group,false,false,true,true,true,true,false
#default,_result,,,,,,
,result,table,_start,_stop,_measurement,_field,_value
,,0,2018-12-01T00:00:00Z,2030-01-01T00:00:00Z,SOYcRk,NC7N,41.666666666666664
"#;

const WINDOW_DEFAULT_START_ALIGN_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:26Z,63.053321838378906,used_percent,mem,host.local
,,0,2018-05-22T19:54:36Z,62.71536350250244,used_percent,mem,host.local
,,0,2018-05-22T19:55:46Z,62.38760948181152,used_percent,mem,host.local
,,0,2018-05-22T19:56:56Z,62.74595260620117,used_percent,mem,host.local
,,0,2018-05-22T19:57:06Z,62.78183460235596,used_percent,mem,host.local
,,0,2018-05-22T19:58:16Z,62.46745586395264,used_percent,mem,host.local
"#;

const WINDOW_DEFAULT_START_ALIGN_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string
#group,false,false,true,true,false,false,true,true,true
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:54:00Z,2018-05-22T19:55:00Z,2018-05-22T19:54:36Z,62.71536350250244,used_percent,mem,host.local
,,1,2018-05-22T19:55:00Z,2018-05-22T19:56:00Z,2018-05-22T19:55:46Z,62.38760948181152,used_percent,mem,host.local
,,2,2018-05-22T19:56:00Z,2018-05-22T19:57:00Z,2018-05-22T19:56:56Z,62.74595260620117,used_percent,mem,host.local
,,3,2018-05-22T19:57:00Z,2018-05-22T19:58:00Z,2018-05-22T19:57:06Z,62.78183460235596,used_percent,mem,host.local
,,4,2018-05-22T19:58:00Z,2018-05-22T19:59:00Z,2018-05-22T19:58:16Z,62.46745586395264,used_percent,mem,host.local
"#;

const WINDOW_START_BOUND_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:26Z,63.053321838378906,used_percent,mem,host.local
,,0,2018-05-22T19:54:36Z,62.71536350250244,used_percent,mem,host.local
,,0,2018-05-22T19:55:46Z,62.38760948181152,used_percent,mem,host.local
,,0,2018-05-22T19:56:56Z,62.74595260620117,used_percent,mem,host.local
,,0,2018-05-22T19:57:06Z,62.78183460235596,used_percent,mem,host.local
,,0,2018-05-22T19:58:16Z,62.46745586395264,used_percent,mem,host.local
"#;

const WINDOW_START_BOUND_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string
#group,false,false,true,true,false,false,true,true,true
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:00Z,2018-05-22T19:53:30Z,2018-05-22T19:53:26Z,63.053321838378906,used_percent,mem,host.local
,,1,2018-05-22T19:54:30Z,2018-05-22T19:55:30Z,2018-05-22T19:54:36Z,62.71536350250244,used_percent,mem,host.local
,,2,2018-05-22T19:55:30Z,2018-05-22T19:56:30Z,2018-05-22T19:55:46Z,62.38760948181152,used_percent,mem,host.local
,,3,2018-05-22T19:56:30Z,2018-05-22T19:57:30Z,2018-05-22T19:56:56Z,62.74595260620117,used_percent,mem,host.local
,,3,2018-05-22T19:56:30Z,2018-05-22T19:57:30Z,2018-05-22T19:57:06Z,62.78183460235596,used_percent,mem,host.local
,,4,2018-05-22T19:57:30Z,2018-05-22T19:58:30Z,2018-05-22T19:58:16Z,62.46745586395264,used_percent,mem,host.local
"#;

const WINDOW_GENERATE_EMPTY_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,true,true,true,true
#default,_result,,,,,,,
,result,table,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,2,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local
"#;

const WINDOW_GENERATE_EMPTY_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:26Z,2018-05-22T19:53:30Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2018-05-22T19:53:30Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,2,2018-05-22T19:53:26Z,2018-05-22T19:53:30Z,2018-05-22T19:53:26Z,91.7364670583823,usage_idle,cpu,cpu-total,host.local
,,3,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,3,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,3,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,4,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,4,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,4,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,5,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:36Z,89.51118889861233,usage_idle,cpu,cpu-total,host.local
,,5,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:46Z,91.0977744436109,usage_idle,cpu,cpu-total,host.local
,,5,2018-05-22T19:53:30Z,2018-05-22T19:54:00Z,2018-05-22T19:53:56Z,91.02836436336374,usage_idle,cpu,cpu-total,host.local
,,6,2018-05-22T19:54:00Z,2018-05-22T19:54:30Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,6,2018-05-22T19:54:00Z,2018-05-22T19:54:30Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,7,2018-05-22T19:54:00Z,2018-05-22T19:54:30Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,7,2018-05-22T19:54:00Z,2018-05-22T19:54:30Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,8,2018-05-22T19:54:00Z,2018-05-22T19:54:30Z,2018-05-22T19:54:06Z,68.304576144036,usage_idle,cpu,cpu-total,host.local
,,8,2018-05-22T19:54:00Z,2018-05-22T19:54:30Z,2018-05-22T19:54:16Z,87.88598574821853,usage_idle,cpu,cpu-total,host.local

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true
#default,_result,9,2018-05-22T19:54:30Z,2018-05-22T19:55:00Z,,,usage_guest,cpu,cpu-total,host.local
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true
#default,_result,10,2018-05-22T19:54:30Z,2018-05-22T19:55:00Z,,,usage_guest_nice,cpu,cpu-total,host.local
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true
#default,_result,11,2018-05-22T19:54:30Z,2018-05-22T19:55:00Z,,,usage_idle,cpu,cpu-total,host.local
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
"#;

const WINDOW_NULL_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,dateTime:RFC3339,double
#group,false,false,true,true,true,true,false,false
#default,,,,,,,,
,result,table,_start,_stop,_measurement,_field,_time,_value
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:20Z,dlC,lDQVwm,2019-01-15T21:39:30Z,-61.68790887989735
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:20Z,dlC,lDQVwm,2019-01-15T21:39:40Z,-6.3173755351186465
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:20Z,dlC,lDQVwm,2019-01-15T21:39:50Z,-26.049728557657513
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:20Z,dlC,lDQVwm,2019-01-15T21:40:00Z,
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:20Z,dlC,lDQVwm,2019-01-15T21:40:10Z,114.285955884979
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:20Z,dlC,lDQVwm,2019-01-15T21:40:20Z,16.140262630578995
"#;

const WINDOW_NULL_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,dateTime:RFC3339,double
#group,false,false,true,true,true,true,false,false
#default,,,,,,,,
,result,table,_start,_stop,_measurement,_field,_time,_value
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:00Z,dlC,lDQVwm,2019-01-15T21:39:30Z,-61.68790887989735
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:00Z,dlC,lDQVwm,2019-01-15T21:39:40Z,-6.3173755351186465
,,0,2019-01-15T21:39:30Z,2019-01-15T21:40:00Z,dlC,lDQVwm,2019-01-15T21:39:50Z,-26.049728557657513
,,1,2019-01-15T21:40:00Z,2019-01-15T21:40:30Z,dlC,lDQVwm,2019-01-15T21:40:00Z,
,,1,2019-01-15T21:40:00Z,2019-01-15T21:40:30Z,dlC,lDQVwm,2019-01-15T21:40:10Z,114.285955884979
,,1,2019-01-15T21:40:00Z,2019-01-15T21:40:30Z,dlC,lDQVwm,2019-01-15T21:40:20Z,16.140262630578995
"#;

const WINDOW_AGGREGATE_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,long,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,k
,,0,1970-01-01T00:00:00Z,0,f,m0,k0
,,0,1970-01-01T00:00:01Z,1,f,m0,k0
,,0,1970-01-01T00:00:02Z,2,f,m0,k0
,,0,1970-01-01T00:00:03Z,3,f,m0,k0
,,0,1970-01-01T00:00:04Z,4,f,m0,k0
,,0,1970-01-01T00:00:05Z,5,f,m0,k0
,,0,1970-01-01T00:00:06Z,6,f,m0,k0
,,0,1970-01-01T00:00:07Z,5,f,m0,k0
,,0,1970-01-01T00:00:08Z,0,f,m0,k0
,,0,1970-01-01T00:00:09Z,6,f,m0,k0
,,0,1970-01-01T00:00:10Z,6,f,m0,k0
,,0,1970-01-01T00:00:11Z,7,f,m0,k0
,,0,1970-01-01T00:00:12Z,5,f,m0,k0
,,0,1970-01-01T00:00:13Z,8,f,m0,k0
,,0,1970-01-01T00:00:14Z,9,f,m0,k0
,,0,1970-01-01T00:00:15Z,5,f,m0,k0
"#;

const WINDOW_AGGREGATE_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string
#group,false,false,true,true,false,true,true,true
#default,_result,,,,,,,
,result,table,_start,_stop,_value,_field,_measurement,k
,,0,1970-01-01T00:00:00Z,1970-01-01T00:00:02Z,2,f,m0,k0
,,1,1970-01-01T00:00:02Z,1970-01-01T00:00:07Z,5,f,m0,k0
,,2,1970-01-01T00:00:07Z,1970-01-01T00:00:12Z,5,f,m0,k0
,,3,1970-01-01T00:00:12Z,1970-01-01T00:00:15Z,3,f,m0,k0
"#;

const DIFFERENCE_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T19:53:26Z,34.98234271799806,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,34.98234271799806,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s2,apfs,host.local,/
"#;

const DIFFERENCE_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0.000006692848479872282,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0.00009788290896750595,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,-0.0004057539388853115,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0.00021082472700584276,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0.000006692848479872282,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0.00009788290896750595,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,-0.0004057539388853115,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0.00021082472700584276,used_percent,disk,disk1s2,apfs,host.local,/
"#;

const DIFFERENCE_KEEPFIRST_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T19:53:26Z,34.98234271799806,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,34.98234271799806,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s2,apfs,host.local,/
"#;

const DIFFERENCE_KEEPFIRST_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:26Z,,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0.000006692848479872282,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0.00009788290896750595,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,-0.0004057539388853115,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0.00021082472700584276,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:26Z,,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0.000006692848479872282,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0.00009788290896750595,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,-0.0004057539388853115,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0.00021082472700584276,used_percent,disk,disk1s2,apfs,host.local,/
"#;

const DIFFERENCE_NONNEGATIVE_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T19:53:26Z,34.98234271799806,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,34.98234271799806,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s2,apfs,host.local,/
"#;

const DIFFERENCE_NONNEGATIVE_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0.000006692848479872282,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0.00009788290896750595,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0.00021082472700584276,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0.000006692848479872282,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0.00009788290896750595,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0.00021082472700584276,used_percent,disk,disk1s2,apfs,host.local,/
"#;

const DIFFERENCE_ONE_VALUE_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,true,true,true,true
#default,_result,,,,,,,
,result,table,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:26Z,1,usage_guest,cpu,cpu-total,host.local
"#;

const DIFFERENCE_ONE_VALUE_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true
#default,_result,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,,,usage_guest,cpu,cpu-total,host.local
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
"#;

const ELAPSED_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string,string,string
#group,false,false,false,false,true,true,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_time,_value,_field,_measurement,device,fstype,host,path
,,0,2018-05-22T19:53:26Z,34.98234271799806,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s1,apfs,host.local,/
,,0,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s1,apfs,host.local,/
,,1,2018-05-22T19:53:26Z,34.98234271799806,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s2,apfs,host.local,/
,,1,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s2,apfs,host.local,/
"#;

const ELAPSED_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string,string,string,long
#group,false,false,true,true,false,false,true,true,true,true,true,true,false
#default,_result,,,,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,device,fstype,host,path,elapsed
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s1,apfs,host.local,/,10
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/,10
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s1,apfs,host.local,/,10
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s1,apfs,host.local,/,10
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s1,apfs,host.local,/,10
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,34.98234941084654,used_percent,disk,disk1s2,apfs,host.local,/,10
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/,10
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,34.982447293755506,used_percent,disk,disk1s2,apfs,host.local,/,10
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,34.98204153981662,used_percent,disk,disk1s2,apfs,host.local,/,10
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,34.982252364543626,used_percent,disk,disk1s2,apfs,host.local,/,10
"#;

const SHIFT_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,string,long
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,0,2018-05-22T19:53:30Z,_m,FF,10
,,0,2018-05-22T19:53:40Z,_m,FF,16
,,0,2018-05-22T19:53:50Z,_m,FF,93
,,0,2018-05-22T19:53:00Z,_m,FF,56
,,0,2018-05-22T19:53:10Z,_m,FF,11
,,0,2018-05-22T19:53:20Z,_m,FF,29
,,1,2018-05-22T19:53:30Z,_m,QQ,26
,,1,2018-05-22T19:53:40Z,_m,QQ,88
,,1,2018-05-22T19:53:50Z,_m,QQ,47
,,1,2018-05-22T19:54:00Z,_m,QQ,78
,,1,2018-05-22T19:54:10Z,_m,QQ,51
,,1,2018-05-22T19:54:30Z,_m,QQ,22
,,1,2018-05-22T19:54:40Z,_m,QQ,19
,,1,2018-05-22T19:53:50Z,_m,QQ,69
,,1,2018-05-22T19:54:00Z,_m,QQ,63
,,2,2018-05-22T19:53:10Z,_m,RR,62
,,2,2018-05-22T19:53:30Z,_m,RR,18
,,2,2018-05-22T19:54:40Z,_m,RR,19
,,2,2018-05-22T19:53:50Z,_m,RR,90
,,3,2018-05-22T19:54:00Z,_m,SR,36
,,3,2018-05-22T19:54:10Z,_m,SR,72
,,3,2018-05-22T19:54:20Z,_m,SR,88
"#;

const SHIFT_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,string,long
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,0,2018-05-22T19:55:30Z,_m,FF,10
,,0,2018-05-22T19:55:40Z,_m,FF,16
,,0,2018-05-22T19:55:50Z,_m,FF,93
,,1,2018-05-22T19:55:30Z,_m,QQ,26
,,1,2018-05-22T19:55:40Z,_m,QQ,88
,,1,2018-05-22T19:55:50Z,_m,QQ,47
,,1,2018-05-22T19:56:00Z,_m,QQ,78
,,1,2018-05-22T19:56:10Z,_m,QQ,51
,,1,2018-05-22T19:56:30Z,_m,QQ,22
,,1,2018-05-22T19:56:40Z,_m,QQ,19
,,1,2018-05-22T19:55:50Z,_m,QQ,69
,,1,2018-05-22T19:56:00Z,_m,QQ,63
,,2,2018-05-22T19:55:30Z,_m,RR,18
,,2,2018-05-22T19:56:40Z,_m,RR,19
,,2,2018-05-22T19:55:50Z,_m,RR,90
,,3,2018-05-22T19:56:00Z,_m,SR,36
,,3,2018-05-22T19:56:10Z,_m,SR,72
,,3,2018-05-22T19:56:20Z,_m,SR,88
"#;

const SHIFT_NEGATIVE_DURATION_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,string,long
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,0,2018-05-22T19:53:00Z,_m,FF,56
,,0,2018-05-22T19:53:10Z,_m,FF,11
,,0,2018-05-22T19:53:20Z,_m,FF,29
,,0,2018-05-22T19:53:30Z,_m,FF,10
,,0,2018-05-22T19:53:40Z,_m,FF,16
,,0,2018-05-22T19:53:50Z,_m,FF,93
,,1,2018-05-22T19:53:30Z,_m,QQ,26
,,1,2018-05-22T19:53:40Z,_m,QQ,88
,,1,2018-05-22T19:53:50Z,_m,QQ,69
,,1,2018-05-22T19:54:00Z,_m,QQ,78
,,1,2018-05-22T19:54:10Z,_m,QQ,51
,,1,2018-05-22T19:54:30Z,_m,QQ,22
,,1,2018-05-22T19:54:40Z,_m,QQ,19
,,2,2018-05-22T19:53:10Z,_m,RR,62
,,2,2018-05-22T19:53:30Z,_m,RR,18
,,2,2018-05-22T19:53:50Z,_m,RR,90
,,2,2018-05-22T19:54:40Z,_m,RR,19
,,3,2018-05-22T19:54:00Z,_m,SR,36
,,3,2018-05-22T19:54:10Z,_m,SR,72
,,3,2018-05-22T19:54:20Z,_m,SR,88
"#;

const SHIFT_NEGATIVE_DURATION_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,string,long
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,0,2018-05-22T19:48:00Z,_m,FF,56
,,0,2018-05-22T19:48:10Z,_m,FF,11
,,0,2018-05-22T19:48:20Z,_m,FF,29
,,0,2018-05-22T19:48:30Z,_m,FF,10
,,0,2018-05-22T19:48:40Z,_m,FF,16
,,0,2018-05-22T19:48:50Z,_m,FF,93
,,1,2018-05-22T19:48:30Z,_m,QQ,26
,,1,2018-05-22T19:48:40Z,_m,QQ,88
,,1,2018-05-22T19:48:50Z,_m,QQ,69
,,1,2018-05-22T19:49:00Z,_m,QQ,78
,,1,2018-05-22T19:49:10Z,_m,QQ,51
,,1,2018-05-22T19:49:30Z,_m,QQ,22
,,1,2018-05-22T19:49:40Z,_m,QQ,19
,,2,2018-05-22T19:48:10Z,_m,RR,62
,,2,2018-05-22T19:48:30Z,_m,RR,18
,,2,2018-05-22T19:48:50Z,_m,RR,90
,,2,2018-05-22T19:49:40Z,_m,RR,19
,,3,2018-05-22T19:49:00Z,_m,SR,36
,,3,2018-05-22T19:49:10Z,_m,SR,72
,,3,2018-05-22T19:49:20Z,_m,SR,88
"#;

const TOP_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,string,string
#group,false,false,false,false,true,true
#default,_result,,,,,
,result,table,_time,_value,_field,_measurement
,,0,2018-05-22T19:54:16Z,20000,used,aa
,,0,2018-05-22T19:53:56Z,55000,used,aa
,,0,2018-05-22T19:54:06Z,20000,used,aa
,,0,2018-05-22T19:53:26Z,35000,used,aa
,,0,2018-05-22T19:53:46Z,70000,used,aa
,,0,2018-05-22T19:53:36Z,15000,used,aa
,,1,2018-05-22T19:54:16Z,20,used_percent,aa
,,1,2018-05-22T19:53:56Z,55,used_percent,aa
,,1,2018-05-22T19:54:06Z,20,used_percent,aa
,,1,2018-05-22T19:53:26Z,35,used_percent,aa
,,1,2018-05-22T19:53:46Z,70,used_percent,aa
,,1,2018-05-22T19:53:36Z,15,used_percent,aa
"#;

const TOP_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string
#group,false,false,true,true,false,false,true,true
#default,_result,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement
,,0,2018-05-22T19:53:24.421470485Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,70000,used,aa
,,0,2018-05-22T19:53:24.421470485Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,55000,used,aa
,,1,2018-05-22T19:53:24.421470485Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,70,used_percent,aa
,,1,2018-05-22T19:53:24.421470485Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,55,used_percent,aa
"#;

const UNIQUE_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,tag0,_measurement
,,0,2018-05-22T19:54:16Z,20,f0,a,aa
,,0,2018-05-22T19:53:56Z,55,f0,a,aa
,,0,2018-05-22T19:54:06Z,20,f0,a,aa
,,1,2018-05-22T19:53:26Z,35,f0,b,aa
,,1,2018-05-22T19:53:46Z,70,f0,b,aa
,,2,2018-05-22T19:53:36Z,15,f1,c,aa
,,2,2018-05-22T19:54:16Z,11,f1,c,aa
,,2,2018-05-22T19:53:56Z,99,f1,c,aa
,,2,2018-05-22T19:54:06Z,85,f1,c,aa
,,3,2018-05-22T19:53:26Z,23,f1,d,aa
,,4,2018-05-22T19:53:46Z,37,f1,e,aa
,,4,2018-05-22T19:53:36Z,69,f1,e,aa
"#;

const UNIQUE_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,tag0,_measurement
,,0,2018-05-22T19:54:16Z,20,f0,a,aa
,,1,2018-05-22T19:53:26Z,35,f0,b,aa
,,2,2018-05-22T19:53:36Z,15,f1,c,aa
,,3,2018-05-22T19:53:26Z,23,f1,d,aa
,,4,2018-05-22T19:53:46Z,37,f1,e,aa
"#;

const FIRST_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:26Z,1.83,load1,system,host.local
,,0,2018-05-22T19:53:36Z,1.7,load1,system,host.local
,,0,2018-05-22T19:53:46Z,1.74,load1,system,host.local
,,0,2018-05-22T19:53:56Z,1.63,load1,system,host.local
,,0,2018-05-22T19:54:06Z,1.91,load1,system,host.local
,,0,2018-05-22T19:54:16Z,1.84,load1,system,host.local
,,1,2018-05-22T19:53:26Z,1.98,load15,system,host.local
,,1,2018-05-22T19:53:36Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:46Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:56Z,1.96,load15,system,host.local
,,1,2018-05-22T19:54:06Z,1.98,load15,system,host.local
,,1,2018-05-22T19:54:16Z,1.97,load15,system,host.local
,,2,2018-05-22T19:53:26Z,1.95,load5,system,host.local
,,2,2018-05-22T19:53:36Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:46Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:56Z,1.89,load5,system,host.local
,,2,2018-05-22T19:54:06Z,1.94,load5,system,host.local
,,2,2018-05-22T19:54:16Z,1.93,load5,system,host.local
,,3,2018-05-22T19:53:26Z,82.9833984375,used_percent,swap,host.local
,,3,2018-05-22T19:53:36Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:46Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:56Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:54:06Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:54:16Z,82.6416015625,used_percent,swap,host.local
"#;

const FIRST_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:26Z,1.83,load1,system,host.local
,,1,2018-05-22T19:53:26Z,1.98,load15,system,host.local
,,2,2018-05-22T19:53:26Z,1.95,load5,system,host.local
,,3,2018-05-22T19:53:26Z,82.9833984375,used_percent,swap,host.local
"#;

const LAST_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:26Z,1.83,load1,system,host.local
,,0,2018-05-22T19:53:36Z,1.7,load1,system,host.local
,,0,2018-05-22T19:53:46Z,1.74,load1,system,host.local
,,0,2018-05-22T19:53:56Z,1.63,load1,system,host.local
,,0,2018-05-22T19:54:06Z,1.91,load1,system,host.local
,,0,2018-05-22T19:54:16Z,1.84,load1,system,host.local
,,1,2018-05-22T19:53:26Z,1.98,load15,system,host.local
,,1,2018-05-22T19:53:36Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:46Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:56Z,1.96,load15,system,host.local
,,1,2018-05-22T19:54:06Z,1.98,load15,system,host.local
,,1,2018-05-22T19:54:16Z,1.97,load15,system,host.local
,,2,2018-05-22T19:53:26Z,1.95,load5,system,host.local
,,2,2018-05-22T19:53:36Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:46Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:56Z,1.89,load5,system,host.local
,,2,2018-05-22T19:54:06Z,1.94,load5,system,host.local
,,2,2018-05-22T19:54:16Z,1.93,load5,system,host.local
,,3,2018-05-22T19:53:26Z,82.9833984375,used_percent,swap,host.local
,,3,2018-05-22T19:53:36Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:46Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:56Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:54:06Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:54:16Z,82.6416015625,used_percent,swap,host.local
"#;

const LAST_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:54:16Z,1.84,load1,system,host.local
,,1,2018-05-22T19:54:16Z,1.97,load15,system,host.local
,,2,2018-05-22T19:54:16Z,1.93,load5,system,host.local
,,3,2018-05-22T19:54:16Z,82.6416015625,used_percent,swap,host.local
"#;

const MIN_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:26Z,1.83,load1,system,host.local
,,0,2018-05-22T19:53:36Z,1.7,load1,system,host.local
,,0,2018-05-22T19:53:46Z,1.74,load1,system,host.local
,,0,2018-05-22T19:53:56Z,1.63,load1,system,host.local
,,0,2018-05-22T19:54:06Z,1.91,load1,system,host.local
,,0,2018-05-22T19:54:16Z,1.84,load1,system,host.local
,,1,2018-05-22T19:53:26Z,1.98,load15,system,host.local
,,1,2018-05-22T19:53:36Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:46Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:56Z,1.96,load15,system,host.local
,,1,2018-05-22T19:54:06Z,1.98,load15,system,host.local
,,1,2018-05-22T19:54:16Z,1.97,load15,system,host.local
,,2,2018-05-22T19:53:26Z,1.95,load5,system,host.local
,,2,2018-05-22T19:53:36Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:46Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:56Z,1.89,load5,system,host.local
,,2,2018-05-22T19:54:06Z,1.94,load5,system,host.local
,,2,2018-05-22T19:54:16Z,1.93,load5,system,host.local
,,3,2018-05-22T19:53:26Z,82.9833984375,used_percent,swap,host.local
,,3,2018-05-22T19:53:36Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:46Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:56Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:54:06Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:54:16Z,82.6416015625,used_percent,swap,host.local
"#;

const MIN_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:56Z,1.63,load1,system,host.local
,,1,2018-05-22T19:53:56Z,1.96,load15,system,host.local
,,2,2018-05-22T19:53:56Z,1.89,load5,system,host.local
,,3,2018-05-22T19:53:36Z,82.598876953125,used_percent,swap,host.local
"#;

const MAX_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:26Z,1.83,load1,system,host.local
,,0,2018-05-22T19:53:36Z,1.7,load1,system,host.local
,,0,2018-05-22T19:53:46Z,1.74,load1,system,host.local
,,0,2018-05-22T19:53:56Z,1.63,load1,system,host.local
,,0,2018-05-22T19:54:06Z,1.91,load1,system,host.local
,,0,2018-05-22T19:54:16Z,1.84,load1,system,host.local
,,1,2018-05-22T19:53:26Z,1.98,load15,system,host.local
,,1,2018-05-22T19:53:36Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:46Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:56Z,1.96,load15,system,host.local
,,1,2018-05-22T19:54:06Z,1.98,load15,system,host.local
,,1,2018-05-22T19:54:16Z,1.97,load15,system,host.local
,,2,2018-05-22T19:53:26Z,1.95,load5,system,host.local
,,2,2018-05-22T19:53:36Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:46Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:56Z,1.89,load5,system,host.local
,,2,2018-05-22T19:54:06Z,1.94,load5,system,host.local
,,2,2018-05-22T19:54:16Z,1.93,load5,system,host.local
,,3,2018-05-22T19:53:26Z,82.9833984375,used_percent,swap,host.local
,,3,2018-05-22T19:53:36Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:46Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:56Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:54:06Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:54:16Z,82.6416015625,used_percent,swap,host.local
"#;

const MAX_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:54:06Z,1.91,load1,system,host.local
,,1,2018-05-22T19:53:26Z,1.98,load15,system,host.local
,,2,2018-05-22T19:53:26Z,1.95,load5,system,host.local
,,3,2018-05-22T19:53:26Z,82.9833984375,used_percent,swap,host.local
"#;

const MAX_TIME_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:53:26Z,1.83,load1,system,host.local
,,0,2018-05-22T19:53:36Z,1.7,load1,system,host.local
,,0,2018-05-22T19:53:46Z,1.74,load1,system,host.local
,,0,2018-05-22T19:53:56Z,1.63,load1,system,host.local
,,0,2018-05-22T19:54:06Z,1.91,load1,system,host.local
,,0,2018-05-22T19:54:16Z,1.84,load1,system,host.local
,,1,2018-05-22T19:53:26Z,1.98,load15,system,host.local
,,1,2018-05-22T19:53:36Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:46Z,1.97,load15,system,host.local
,,1,2018-05-22T19:53:56Z,1.96,load15,system,host.local
,,1,2018-05-22T19:54:06Z,1.98,load15,system,host.local
,,2,2018-05-22T19:53:26Z,1.95,load5,system,host.local
,,2,2018-05-22T19:53:36Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:46Z,1.92,load5,system,host.local
,,2,2018-05-22T19:53:56Z,1.89,load5,system,host.local
,,3,2018-05-22T19:53:26Z,82.9833984375,used_percent,swap,host.local
,,3,2018-05-22T19:53:36Z,82.598876953125,used_percent,swap,host.local
,,3,2018-05-22T19:53:46Z,82.598876953125,used_percent,swap,host.local
"#;

const MAX_TIME_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string
#group,false,false,true,true,false,false,true,true,true
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,host
,,0,2018-05-22T19:52:26Z,2018-05-22T19:55:16Z,2018-05-22T19:54:16Z,1.84,load1,system,host.local
,,1,2018-05-22T19:52:26Z,2018-05-22T19:55:16Z,2018-05-22T19:54:06Z,1.98,load15,system,host.local
,,2,2018-05-22T19:52:26Z,2018-05-22T19:55:16Z,2018-05-22T19:53:56Z,1.89,load5,system,host.local
,,3,2018-05-22T19:52:26Z,2018-05-22T19:55:16Z,2018-05-22T19:53:46Z,82.598876953125,used_percent,swap,host.local
"#;

const SIMPLE_MAX_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,string,double
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,0,2018-04-17T00:00:00Z,m1,f1,42
,,0,2018-04-17T00:00:01Z,m1,f1,43
"#;

const SIMPLE_MAX_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,dateTime:RFC3339,double
#group,false,false,true,true,true,true,false,false
#default,_result,,,,,,,
,result,table,_start,_stop,_measurement,_field,_time,_value
,,0,2018-04-17T00:00:00Z,2030-01-01T00:00:00Z,m1,f1,2018-04-17T00:00:01Z,43
"#;

const CUMULATIVE_SUM_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,string,long,long,long,string
#group,false,false,false,true,false,false,false,true
#default,_result,,,,,,,
,result,table,_time,_measurement,v0,v1,v2,_field
,,0,2018-05-22T19:53:30Z,_m0,1,10,100,f0
,,0,2018-05-22T19:53:40Z,_m0,1,10,100,f0
,,0,2018-05-22T19:53:50Z,_m0,1,10,100,f0
,,0,2018-05-22T19:53:00Z,_m0,1,10,100,f0
,,0,2018-05-22T19:53:10Z,_m0,1,10,100,f0
,,0,2018-05-22T19:53:20Z,_m0,1,10,100,f0
,,1,2018-05-22T19:53:30Z,_m1,1,10,100,f1
,,1,2018-05-22T19:53:40Z,_m1,1,10,100,f1
,,1,2018-05-22T19:53:50Z,_m1,1,10,100,f1
,,1,2018-05-22T19:54:00Z,_m1,1,10,100,f1
,,1,2018-05-22T19:54:10Z,_m1,1,10,100,f1
,,1,2018-05-22T19:54:30Z,_m1,1,10,100,f1
,,1,2018-05-22T19:54:40Z,_m1,1,10,100,f1
,,1,2018-05-22T19:53:50Z,_m1,1,10,100,f1
,,1,2018-05-22T19:54:00Z,_m1,1,10,100,f1
,,2,2018-05-22T19:53:10Z,_m2,1,10,100,f2
,,2,2018-05-22T19:53:30Z,_m2,1,10,100,f2
,,2,2018-05-22T19:54:40Z,_m2,1,10,100,f2
,,2,2018-05-22T19:53:50Z,_m2,1,10,100,f2
,,3,2018-05-22T19:54:00Z,_m3,1,10,100,f3
,,3,2018-05-22T19:54:10Z,_m3,1,10,100,f3
,,3,2018-05-22T19:54:20Z,_m3,1,10,100,f3
"#;

const CUMULATIVE_SUM_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,long,long,long,string
#group,false,false,true,true,false,true,false,false,false,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_measurement,v0,v1,v2,_field
,,0,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:30Z,_m0,1,10,100,f0
,,0,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:40Z,_m0,2,20,100,f0
,,0,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:50Z,_m0,3,30,100,f0
,,0,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:00Z,_m0,4,40,100,f0
,,0,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:10Z,_m0,5,50,100,f0
,,0,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:20Z,_m0,6,60,100,f0
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:30Z,_m1,1,10,100,f1
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:40Z,_m1,2,20,100,f1
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:50Z,_m1,3,30,100,f1
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:00Z,_m1,4,40,100,f1
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:10Z,_m1,5,50,100,f1
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:30Z,_m1,6,60,100,f1
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:40Z,_m1,7,70,100,f1
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:50Z,_m1,8,80,100,f1
,,1,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:00Z,_m1,9,90,100,f1
,,2,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:10Z,_m2,1,10,100,f2
,,2,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:30Z,_m2,2,20,100,f2
,,2,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:40Z,_m2,3,30,100,f2
,,2,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:53:50Z,_m2,4,40,100,f2
,,3,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:00Z,_m3,1,10,100,f3
,,3,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:10Z,_m3,2,20,100,f3
,,3,2018-05-20T00:00:00Z,2030-01-01T00:00:00Z,2018-05-22T19:54:20Z,_m3,3,30,100,f3
"#;

const INCREASE_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,counter,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:53:26Z,1,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:53:36Z,2,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:53:46Z,3,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:53:56Z,5,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:54:16Z,1,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:53:26Z,2,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:53:36Z,4,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:53:46Z,4,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:54:06Z,2,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:54:16Z,10,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:54:26Z,4,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:54:36Z,20,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:54:46Z,7,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:24.421470485Z,2018-05-22T19:55:00Z,2018-05-22T19:54:56Z,10,usage_guest_nice,cpu,cpu-total,host.local
"#;

const INCREASE_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,counter,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,1,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,2,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,4,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,4,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,5,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,2,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,2,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,2,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,4,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,12,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:26Z,16,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:36Z,32,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:46Z,39,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:56Z,42,usage_guest_nice,cpu,cpu-total,host.local
"#;

#[test]
fn diff_helper_detects_mismatches() {
    let tables = input(COUNT_IN, "2018-12-01T00:00:00Z", None);
    let got = each(&tables, |t| aggregate(t, &Aggregate::Count, "_value"));
    assert!(diff(&got, &csv(MEAN_OUT)).is_err());
    assert!(diff(&tables, &csv(COUNT_OUT)).is_err());
    assert!(diff(&got, &csv(COUNT_OUT)).is_ok());
}

const DISTINCT_NORMAL_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,long,string,string,string,string
#group,false,false,false,false,true,true,true,true
#default,_result,,,,,,,
,result,table,_time,_value,_field,_measurement,host,name
,,0,2018-05-22T19:53:26Z,15204688,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:53:36Z,15204894,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:53:46Z,15205102,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:53:56Z,15205226,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:54:06Z,15205499,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:54:16Z,15205755,io_time,diskio,host.local,disk0
,,1,2018-05-22T19:53:26Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:53:36Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:53:46Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:53:56Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:54:06Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:54:16Z,648,io_time,diskio,host.local,disk2
"#;

const DISTINCT_NORMAL_OUT: &str = r#"
#datatype,string,long,string,string,string,string,long
#group,false,false,true,true,true,true,false
#default,0,,,,,,
,result,table,_field,_measurement,host,name,_value
,,0,io_time,diskio,host.local,disk0,15204688
,,0,io_time,diskio,host.local,disk0,15204894
,,0,io_time,diskio,host.local,disk0,15205102
,,0,io_time,diskio,host.local,disk0,15205226
,,0,io_time,diskio,host.local,disk0,15205499
,,0,io_time,diskio,host.local,disk0,15205755
,,1,io_time,diskio,host.local,disk2,648
"#;

const DISTINCT_NULLS_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,long,string,string,string,string
#group,false,false,false,false,true,true,true,true
#default,_result,,,,,,,
,result,table,_time,_value,_field,_measurement,host,name
,,0,2018-05-22T19:53:26Z,15204688,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:53:36Z,15204894,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:53:46Z,,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:53:56Z,15205226,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:54:06Z,15205499,io_time,diskio,host.local,disk0
,,0,2018-05-22T19:54:16Z,15205755,io_time,diskio,host.local,disk0
,,1,2018-05-22T19:53:26Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:53:36Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:53:46Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:53:56Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:54:06Z,648,io_time,diskio,host.local,disk2
,,1,2018-05-22T19:54:16Z,,io_time,diskio,host.local,disk2
"#;

const DISTINCT_NULLS_OUT: &str = r#"
#datatype,string,long,string,string,string,string,long
#group,false,false,true,true,true,true,false
#default,0,,,,,,
,result,table,_field,_measurement,host,name,_value
,,0,io_time,diskio,host.local,disk0,15204688
,,0,io_time,diskio,host.local,disk0,15204894
,,0,io_time,diskio,host.local,disk0,
,,0,io_time,diskio,host.local,disk0,15205226
,,0,io_time,diskio,host.local,disk0,15205499
,,0,io_time,diskio,host.local,disk0,15205755
,,1,io_time,diskio,host.local,disk2,648
,,1,io_time,diskio,host.local,disk2,
"#;

const DUPLICATE_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,true,true,true,true
#default,_result,,,,,,,
,result,table,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local
,,0,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
"#;

const DUPLICATE_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true,false
#default,_result,,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host,host_new
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local,host.local
"#;

const DUPLICATE_OVERWRITE_IN: &str = r#"
#datatype,string,long,dateTime:RFC3339,double,string,string,string,string
#group,false,false,false,false,true,true,true,true
#default,_result,,,,,,,
,result,table,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:26Z,0,usage_guest,cpu,cpu-total1,host.local
,,0,2018-05-22T19:53:36Z,0,usage_guest,cpu,cpu-total1,host.local
,,0,2018-05-22T19:53:46Z,0,usage_guest,cpu,cpu-total1,host.local
,,0,2018-05-22T19:53:56Z,0,usage_guest,cpu,cpu-total1,host.local
,,0,2018-05-22T19:54:06Z,0,usage_guest,cpu,cpu-total1,host.local
,,0,2018-05-22T19:54:16Z,0,usage_guest,cpu,cpu-total1,host.local
,,1,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,cpu-total,host.local
,,1,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,cpu-total,host.local
"#;

const DUPLICATE_OVERWRITE_OUT: &str = r#"
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#group,false,false,true,true,false,false,true,true,true,true
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:26Z,0,usage_guest,cpu,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0,usage_guest,cpu,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0,usage_guest,cpu,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,usage_guest,cpu,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,0,usage_guest,cpu,host.local,host.local
,,0,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0,usage_guest,cpu,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:26Z,0,usage_guest_nice,cpu,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:36Z,0,usage_guest_nice,cpu,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:46Z,0,usage_guest_nice,cpu,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:53:56Z,0,usage_guest_nice,cpu,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:06Z,0,usage_guest_nice,cpu,host.local,host.local
,,1,2018-05-22T19:53:26Z,2030-01-01T00:00:00Z,2018-05-22T19:54:16Z,0,usage_guest_nice,cpu,host.local,host.local
"#;
