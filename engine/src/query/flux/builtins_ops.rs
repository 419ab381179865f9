//! Flux builtins over the table operations of [`super::ops`]: aggregates (`count`, `sum`,
//! `mean`, `median`, `quantile`, `spread`, `stddev`, `integral`), selectors (`first`, `last`,
//! `min`, `max`, `top`, `bottom`, `distinct`, `unique`), windowing (`window`,
//! `aggregateWindow`) and series functions (`derivative`, `difference`, `cumulativeSum`,
//! `elapsed`, `increase`, `movingAverage`, `exponentialMovingAverage`, `timeShift`,
//! `stateCount`, `stateDuration`), with Flux v0.196 signatures and defaults. Also the universe
//! constant `inf` and `experimental/table.fill`.
//!
//! Pushdown: `count sum mean min max first last` and `aggregateWindow` with one of those
//! builtins, applied directly to a ranged storage read, become that read with an
//! [`Aggregation`] (see [`push_aggregate`]) when — and only when — the shards compute exactly
//! what Flux would: `column == "_value"`, `every` a positive fixed duration (no months, not
//! `inf`), `period` absent, zero or equal to `every`, `offset` without months, no `location`,
//! `timeSrc` `_stop`/`_start`, `timeDst` `_time`. Everything else runs the ops on the tables.
//! The pushed read's tables are shaped by [`crate::query::agg_tables::AggTables`]; tests check
//! they equal the ops results (`builtins_ops_tests.rs`).
//!
//! Invariants:
//! - Every builtin validates its arguments' types when called (plan time); errors from the
//!   operations surface at execution with the call's position and the function name.
//! - A builtin `fn` of `aggregateWindow` is recognised by identity with the registry's own
//!   function value (`Arc` pointer equality), never by name, so a user function that shadows a
//!   builtin's name is always called as a user function.
//! - Nothing here panics on input-derived data: bad durations, columns or types are errors.
//! - Stream bounds are the plan's ([`stream_bounds`]: the nearest upstream `range`), as in
//!   Flux; only without a `range` do windows fall back to the tables' `_start`/`_stop`.

use std::sync::Arc;

use super::interp::{first_param, Args, Registry};
use super::ops::{
    self, window::table_bounds, Aggregate, AggregateWindowParams, Bounds, DerivativeParams,
    DifferenceParams, ElapsedParams, FluxDuration, OpError, QuantileMethod, StateParams,
    StddevMode, TopBottomParams, WindowParams,
};
use super::tables::{push_aggregate, stream_bounds, table_fn, ExecCtx, Node, NodeKind, TableFn};
use super::transforms::row_record;
use super::value::{Duration, Value};
use crate::query::plan::PlanError;
use crate::query::pushdown::{AggKind, AggShape, Aggregation};
use crate::query::table::TableChunk;

type R<T> = Result<T, PlanError>;

/// Registers the builtins of this module.
pub(crate) fn register(reg: &mut Registry) {
    reg.set_universe("inf", Value::Duration(INF));
    register_aggregates(reg);
    register_selectors(reg);
    register_windows(reg);
    register_series(reg);
}

/// Flux's `inf` duration.
const INF: Duration = Duration {
    months: 0,
    nanos: i64::MAX,
};

/// A Flux duration value as the ops' [`FluxDuration`] (the sign comes from either part).
fn flux_duration(d: Duration) -> FluxDuration {
    FluxDuration {
        months: d.months.saturating_abs(),
        nanos: d.nanos.saturating_abs(),
        negative: d.months < 0 || d.nanos < 0,
    }
}

fn op_err(e: OpError) -> String {
    e.to_string()
}

/// An operation node over `input` that keeps the input's stream bounds.
fn op_value(name: &str, op: TableFn, input: Arc<Node>, span: super::ast::Span) -> Value {
    bounded_op_value(name, op, input, span, None)
}

/// An operation node over `input`; `bounds` are the stream bounds it sets (`None`: the
/// input's).
fn bounded_op_value(
    name: &str,
    op: TableFn,
    input: Arc<Node>,
    span: super::ast::Span,
    bounds: Option<(i64, i64)>,
) -> Value {
    Value::Tables(Arc::new(Node {
        kind: NodeKind::Op {
            name: name.to_string(),
            op,
            inputs: vec![input],
            bounds,
        },
        span,
    }))
}

/// Maps a table operation over every table of the stream.
fn per_table(
    f: impl Fn(&TableChunk) -> Result<TableChunk, OpError> + Send + Sync + 'static,
) -> TableFn {
    table_fn(move |tables, _| tables.iter().map(|t| f(t).map_err(op_err)).collect())
}

// ---------------------------------------------------------------------------------------------
// Aggregates and single-row selectors.

/// Parses the arguments of an aggregate builtin (besides `tables`) into the operation and the
/// aggregated column.
type AggParser = fn(&mut Args<'_>) -> R<(Aggregate, String)>;

fn column_arg(args: &mut Args<'_>) -> R<String> {
    args.string_or("column", "_value")
}

fn quantile_method(args: &mut Args<'_>) -> R<QuantileMethod> {
    let m = args.string_or("method", "estimate_tdigest")?;
    QuantileMethod::parse(&m).map_err(|e| args.err(e))
}

/// t-digest compression: Flux treats an absent or zero compression as 1000.
fn compression(args: &mut Args<'_>) -> R<f64> {
    let c = args.float_or("compression", 0.0)?;
    if c < 0.0 || c.is_nan() {
        return Err(args.err("compression must be positive"));
    }
    Ok(if c == 0.0 { 1000.0 } else { c })
}

/// The aggregate builtins: name and argument parser.
fn aggregate_parsers() -> Vec<(&'static str, AggParser)> {
    fn simple(kind: Aggregate) -> impl Fn(&mut Args<'_>) -> R<(Aggregate, String)> {
        move |args| Ok((kind.clone(), column_arg(args)?))
    }
    vec![
        ("count", |a| simple(Aggregate::Count)(a)),
        ("sum", |a| simple(Aggregate::Sum)(a)),
        ("mean", |a| simple(Aggregate::Mean)(a)),
        ("spread", |a| simple(Aggregate::Spread)(a)),
        ("first", |a| simple(Aggregate::First)(a)),
        ("last", |a| simple(Aggregate::Last)(a)),
        ("min", |a| simple(Aggregate::Min)(a)),
        ("max", |a| simple(Aggregate::Max)(a)),
        ("stddev", |args| {
            let column = column_arg(args)?;
            let mode = args.string_or("mode", "sample")?;
            let mode = StddevMode::parse(&mode).map_err(|e| args.err(e))?;
            Ok((Aggregate::Stddev(mode), column))
        }),
        ("median", |args| {
            let column = column_arg(args)?;
            let method = quantile_method(args)?;
            let compression = compression(args)?;
            Ok((
                Aggregate::Quantile {
                    q: 0.5,
                    method,
                    compression,
                },
                column,
            ))
        }),
        ("quantile", |args| {
            let column = column_arg(args)?;
            let q = args
                .opt_float("q")?
                .ok_or_else(|| args.err("missing required argument \"q\""))?;
            if !(0.0..=1.0).contains(&q) {
                return Err(args.err("quantile must be between 0 and 1"));
            }
            let method = quantile_method(args)?;
            let compression = compression(args)?;
            Ok((
                Aggregate::Quantile {
                    q,
                    method,
                    compression,
                },
                column,
            ))
        }),
        ("integral", |args| {
            let column = column_arg(args)?;
            let unit = flux_duration(args.opt_duration("unit")?.unwrap_or(Duration {
                months: 0,
                nanos: 1_000_000_000,
            }));
            let time_column = args.string_or("timeColumn", "_time")?;
            let interpolate = args.string_or("interpolate", "")?;
            if !interpolate.is_empty() {
                return Err(args.err(format!(
                    "interpolate {interpolate:?} is not supported (only no interpolation)"
                )));
            }
            Ok((Aggregate::Integral { unit, time_column }, column))
        }),
    ]
}

/// The storage aggregate computing exactly `agg`, if any.
fn push_kind(agg: &Aggregate) -> Option<AggKind> {
    Some(match agg {
        Aggregate::Count => AggKind::Count,
        Aggregate::Sum => AggKind::Sum,
        Aggregate::Mean => AggKind::Mean,
        Aggregate::Min => AggKind::Min,
        Aggregate::Max => AggKind::Max,
        Aggregate::First => AggKind::First,
        Aggregate::Last => AggKind::Last,
        _ => return None,
    })
}

fn register_aggregates(reg: &mut Registry) {
    for (name, parse) in aggregate_parsers() {
        reg.register(name, Some("tables"), move |args| {
            let input = args.tables()?;
            let (agg, column) = parse(args)?;
            if let (Some(kind), true) = (push_kind(&agg), column == "_value") {
                let shape = if kind.is_selector() {
                    AggShape::Selector
                } else {
                    AggShape::Aggregate
                };
                let pushed = push_aggregate(
                    &input,
                    Aggregation {
                        kind,
                        every: None,
                        offset: 0,
                        shape,
                    },
                );
                if let Some(node) = pushed {
                    return Ok(Value::Tables(node));
                }
            }
            let op = per_table(move |t| ops::aggregate(t, &agg, &column));
            Ok(op_value(name, op, input, args.span))
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Multi-row selectors.

fn register_selectors(reg: &mut Registry) {
    for (name, descending) in [("top", true), ("bottom", false)] {
        reg.transform(name, move |args| {
            let n = args.int("n")?;
            let n = usize::try_from(n).map_err(|_| args.err("n must not be negative"))?;
            let mut p = TopBottomParams::new(n);
            p.columns = args.strings_or("columns", &["_value"])?;
            Ok(per_table(move |t| ops::top_bottom(t, &p, descending)))
        });
    }
    reg.transform("distinct", |args| {
        let column = column_arg(args)?;
        Ok(per_table(move |t| ops::distinct(t, &column)))
    });
    // `experimental/table.fill()`: an empty table gets one row of key values and nulls.
    reg.register_in("experimental/table", "fill", Some("tables"), |args| {
        let input = args.tables()?;
        let op = table_fn(|tables, _| Ok(tables.into_iter().map(ops::fill_empty).collect()));
        Ok(op_value("table.fill", op, input, args.span))
    });
    reg.transform("unique", |args| {
        let column = column_arg(args)?;
        Ok(per_table(move |t| ops::unique(t, &column)))
    });
}

// ---------------------------------------------------------------------------------------------
// Windowing.

/// `location`: a record `{zone, offset}`; only `zone: "UTC"` (with any fixed offset) is
/// supported. Returns the offset, or `None` when the argument is absent.
fn location_arg(args: &mut Args<'_>) -> R<Option<FluxDuration>> {
    let Some(rec) = args.opt_record("location")? else {
        return Ok(None);
    };
    match rec.get("zone") {
        None | Some(Value::Null) => {}
        Some(Value::String(z)) if &**z == "UTC" || z.is_empty() => {}
        Some(Value::String(z)) => {
            return Err(args.err(format!(
                "location zone {z:?} is not supported (only UTC with a fixed offset)"
            )))
        }
        Some(v) => {
            return Err(args.err(format!(
                "location zone must be a string, got {}",
                v.type_name()
            )))
        }
    }
    match rec.get("offset") {
        None | Some(Value::Null) => Ok(Some(FluxDuration::ZERO)),
        Some(Value::Duration(d)) => Ok(Some(flux_duration(*d))),
        Some(v) => Err(args.err(format!(
            "location offset must be a duration, got {}",
            v.type_name()
        ))),
    }
}

/// The bounds of a stream from its data: the earliest `start` and latest `stop` of its
/// tables, or `None` when no table has them.
fn data_bounds(tables: &[TableChunk], start: &str, stop: &str) -> Option<Bounds> {
    let mut out: Option<Bounds> = None;
    for t in tables {
        let b = table_bounds(t, start, stop);
        if b.start == i64::MIN || b.stop == i64::MAX {
            continue;
        }
        out = Some(match out {
            None => b,
            Some(o) => Bounds {
                start: o.start.min(b.start),
                stop: o.stop.max(b.stop),
            },
        });
    }
    out
}

/// The bounds of a stream from its plan (the nearest upstream `range`).
fn plan_bounds(input: &Node) -> Option<Bounds> {
    stream_bounds(input).map(|(start, stop)| Bounds { start, stop })
}

fn register_windows(reg: &mut Registry) {
    reg.register("window", Some("tables"), |args| {
        let input = args.tables()?;
        let plan_bounds = plan_bounds(&input);
        let every = args.opt_duration("every")?.map(flux_duration);
        let period = args.opt_duration("period")?.map(flux_duration);
        let offset = args.opt_duration("offset")?.map(flux_duration);
        let location = location_arg(args)?;
        let mut p = WindowParams::new(every.unwrap_or(FluxDuration::ZERO));
        p.period = period.unwrap_or(FluxDuration::ZERO);
        p.offset = offset.unwrap_or(FluxDuration::ZERO);
        p.location_offset = location.unwrap_or(FluxDuration::ZERO);
        p.time_column = args.string_or("timeColumn", "_time")?;
        p.start_column = args.string_or("startColumn", "_start")?;
        p.stop_column = args.string_or("stopColumn", "_stop")?;
        p.create_empty = args.bool_or("createEmpty", false)?;
        p.bounds = plan_bounds;
        if every.is_none() && period.is_none() {
            return Err(args.err("window function requires at least one of \"every\" or \"period\" to be set and non-zero"));
        }
        let inf = p.every.is_inf() || (p.every.is_zero() && p.period.is_inf());
        let op = table_fn(move |tables, _| {
            if inf && p.bounds.is_none() {
                // One window equal to the stream bounds: without a `range` upstream, the
                // extent of the tables' own bounds columns.
                if let Some(bounds) = data_bounds(&tables, &p.start_column, &p.stop_column) {
                    let mut q = p.clone();
                    q.bounds = Some(bounds);
                    return ops::window(&tables, &q).map_err(op_err);
                }
            }
            ops::window(&tables, &p).map_err(op_err)
        });
        Ok(op_value("window", op, input, args.span))
    });

    // Builtin `fn` values of aggregateWindow, by identity (registered above).
    let known: Vec<(Value, Aggregate)> = [
        ("count", Aggregate::Count),
        ("sum", Aggregate::Sum),
        ("mean", Aggregate::Mean),
        ("spread", Aggregate::Spread),
        ("stddev", Aggregate::Stddev(StddevMode::Sample)),
        ("median", Aggregate::median()),
        (
            "integral",
            Aggregate::Integral {
                unit: FluxDuration::from_nanos(1_000_000_000),
                time_column: "_time".into(),
            },
        ),
        ("first", Aggregate::First),
        ("last", Aggregate::Last),
        ("min", Aggregate::Min),
        ("max", Aggregate::Max),
    ]
    .into_iter()
    .filter_map(|(name, agg)| reg.universe(name).cloned().map(|v| (v, agg)))
    .collect();

    reg.register("aggregateWindow", Some("tables"), move |args| {
        let input = args.tables()?;
        let every_raw = args.duration("every")?;
        let period_raw = args.opt_duration("period")?;
        let offset_raw = args.opt_duration("offset")?;
        let f = args.function("fn")?;
        let location = location_arg(args)?;
        let mut p = AggregateWindowParams::new(flux_duration(every_raw));
        p.period = period_raw.map_or(FluxDuration::ZERO, flux_duration);
        p.offset = offset_raw.map_or(FluxDuration::ZERO, flux_duration);
        p.location_offset = location.unwrap_or(FluxDuration::ZERO);
        p.column = column_arg(args)?;
        p.time_src = args.string_or("timeSrc", "_stop")?;
        p.time_dst = args.string_or("timeDst", "_time")?;
        p.create_empty = args.bool_or("createEmpty", true)?;
        p.bounds = plan_bounds(&input);
        let builtin = known.iter().find(|(v, _)| *v == f).map(|(_, a)| a.clone());

        if let Some(kind) = builtin.as_ref().and_then(push_kind) {
            let offset = offset_raw.unwrap_or_default();
            let pushable = p.column == "_value"
                && every_raw.months == 0
                && every_raw.nanos > 0
                && every_raw.nanos < i64::MAX
                && period_raw.is_none_or(|d| d == every_raw || d == Duration::default())
                && offset.months == 0
                && location.is_none()
                && (p.time_src == "_stop" || p.time_src == "_start")
                && p.time_dst == "_time";
            if pushable {
                let agg = Aggregation {
                    kind,
                    every: Some(every_raw.nanos),
                    offset: offset.nanos,
                    shape: AggShape::Window {
                        create_empty: p.create_empty,
                        time_from_start: p.time_src == "_start",
                    },
                };
                if let Some(node) = push_aggregate(&input, agg) {
                    return Ok(Value::Tables(node));
                }
            }
        }

        let op = match builtin {
            Some(agg) => {
                table_fn(move |tables, _| ops::aggregate_window(&tables, &p, &agg).map_err(op_err))
            }
            None => table_fn(move |tables, ctx| aggregate_window_fn(tables, &p, &f, ctx)),
        };
        Ok(op_value("aggregateWindow", op, input, args.span))
    });
}

/// `aggregateWindow` with a user `fn`: Flux's definition, step by step.
fn aggregate_window_fn(
    tables: Vec<TableChunk>,
    p: &AggregateWindowParams,
    f: &Value,
    ctx: &mut ExecCtx<'_>,
) -> Result<Vec<TableChunk>, String> {
    if tables.is_empty() {
        return Ok(tables);
    }
    let Some(bounds) = p.bounds.or_else(|| data_bounds(&tables, "_start", "_stop")) else {
        return Err(
            "aggregateWindow requires _start and _stop columns; use range() to assign them"
                .to_string(),
        );
    };
    let mut wp = WindowParams::new(p.every);
    wp.period = p.period;
    wp.offset = p.offset;
    wp.create_empty = p.create_empty;
    wp.location_offset = p.location_offset;
    wp.bounds = p.bounds;
    let windowed = ops::window(&tables, &wp).map_err(op_err)?;
    drop(tables);
    let aggregated = ctx.apply(
        f,
        windowed,
        vec![(Arc::from("column"), Value::str(&p.column))],
    )?;
    let mut dup = Vec::with_capacity(aggregated.len());
    for t in aggregated {
        let t = if p.create_empty {
            ops::fill_empty(t)
        } else {
            t
        };
        dup.push(ops::duplicate(&t, &p.time_src, &p.time_dst).map_err(op_err)?);
    }
    ops::unwindow(&dup, &p.time_dst, bounds).map_err(op_err)
}

// ---------------------------------------------------------------------------------------------
// Series functions.

fn unit_arg(args: &mut Args<'_>) -> R<FluxDuration> {
    Ok(flux_duration(args.opt_duration("unit")?.unwrap_or(
        Duration {
            months: 0,
            nanos: 1_000_000_000,
        },
    )))
}

fn register_series(reg: &mut Registry) {
    reg.transform("derivative", |args| {
        let p = DerivativeParams {
            unit: unit_arg(args)?,
            non_negative: args.bool_or("nonNegative", false)?,
            columns: args.strings_or("columns", &["_value"])?,
            time_column: args.string_or("timeColumn", "_time")?,
            initial_zero: args.bool_or("initialZero", false)?,
        };
        Ok(per_table(move |t| ops::derivative(t, &p)))
    });
    reg.transform("difference", |args| {
        let p = DifferenceParams {
            non_negative: args.bool_or("nonNegative", false)?,
            columns: args.strings_or("columns", &["_value"])?,
            keep_first: args.bool_or("keepFirst", false)?,
            initial_zero: args.bool_or("initialZero", false)?,
        };
        Ok(per_table(move |t| ops::difference(t, &p)))
    });
    reg.transform("cumulativeSum", |args| {
        let columns = args.strings_or("columns", &["_value"])?;
        Ok(per_table(move |t| ops::cumulative_sum(t, &columns)))
    });
    reg.transform("increase", |args| {
        let columns = args.strings_or("columns", &["_value"])?;
        Ok(per_table(move |t| ops::increase(t, &columns)))
    });
    reg.transform("elapsed", |args| {
        let p = ElapsedParams {
            unit: unit_arg(args)?,
            time_column: args.string_or("timeColumn", "_time")?,
            column_name: args.string_or("columnName", "elapsed")?,
        };
        Ok(per_table(move |t| ops::elapsed(t, &p)))
    });
    reg.transform("movingAverage", |args| {
        let n = args.int("n")?;
        Ok(per_table(move |t| ops::moving_average(t, n)))
    });
    reg.transform("exponentialMovingAverage", |args| {
        let n = args.int("n")?;
        Ok(per_table(move |t| ops::exponential_moving_average(t, n)))
    });
    reg.register("timeShift", Some("tables"), |args| {
        let input = args.tables()?;
        let d = flux_duration(args.duration("duration")?);
        let columns = args.strings_or("columns", &["_start", "_stop", "_time"])?;
        // Flux shifts the stream bounds with the data.
        let bounds = stream_bounds(&input).map(|(s, t)| (d.add_to(s), d.add_to(t)));
        let op = per_table(move |t| ops::time_shift(t, d, &columns));
        Ok(bounded_op_value("timeShift", op, input, args.span, bounds))
    });
    for (name, duration) in [("stateCount", false), ("stateDuration", true)] {
        reg.transform(name, move |args| {
            let f = args.function("fn")?;
            let mut p = StateParams::new(duration);
            p.column = args.string_or("column", &p.column)?;
            if duration {
                p.time_column = args.string_or("timeColumn", "_time")?;
                p.unit = unit_arg(args)?;
            }
            let span = args.span;
            Ok(table_fn(move |tables, ctx| {
                let mut out = Vec::with_capacity(tables.len());
                for t in &tables {
                    let matches = eval_predicate(t, &f, span, ctx)?;
                    let r = if duration {
                        ops::state_duration(t, &matches, &p)
                    } else {
                        ops::state_count(t, &matches, &p)
                    };
                    out.push(r.map_err(op_err)?);
                }
                Ok(out)
            }))
        });
    }
}

/// Evaluates a row predicate (`fn: (r) => bool`) on every row of a table (null: `None`).
fn eval_predicate(
    t: &TableChunk,
    f: &Value,
    span: super::ast::Span,
    ctx: &mut ExecCtx<'_>,
) -> Result<Vec<Option<bool>>, String> {
    let param = first_param(f).unwrap_or_else(|| Arc::from("r"));
    let labels: Vec<Arc<str>> = t
        .meta
        .columns
        .iter()
        .map(|c| Arc::from(c.label.as_str()))
        .collect();
    let mut out = Vec::with_capacity(t.rows());
    for row in 0..t.rows() {
        let rec = row_record(t, &labels, row);
        let v = ctx
            .interp
            .call(f, vec![(param.clone(), rec)], None, span)
            .map_err(|e| e.to_string())?;
        out.push(match v {
            Value::Bool(b) => Some(b),
            Value::Null => None,
            other => return Err(format!("fn must return a bool, got {}", other.type_name())),
        });
    }
    Ok(out)
}
