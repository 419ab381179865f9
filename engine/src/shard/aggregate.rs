//! Folding one column's merged points into pushed-down aggregates (see [`crate::query::pushdown`]
//! for what is sent back).
//!
//! Invariants:
//! - Runs are fed in increasing time order (the read's merge guarantees it) and every point is
//!   seen once; a window is emitted when the first point of a later window arrives, or at
//!   [`Folder::finish`].
//! - No allocation per point: the accumulator is a few scalars (a selected string is copied
//!   only when it becomes the selection).

use crate::error::{Error, Result};
use crate::query::pushdown::{AggKind, Aggregation};
use crate::storage::runs::Run;
use crate::storage::segment_file::DecodedValues;

/// The selected or accumulated value of the current window.
#[derive(Debug, Clone)]
enum Acc {
    Count(i64),
    SumF(f64),
    SumI(i64),
    SumU(u64),
    Mean(f64, u64),
    /// A selected point: its time and value (value kept in the output-typed vector slot).
    Sel(i64, Sel),
}

#[derive(Debug, Clone)]
enum Sel {
    F(f64),
    I(i64),
    U(u64),
    B(bool),
    S(Vec<u8>),
}

/// Accumulates one column; produces `(times, values)` rows.
#[derive(Debug)]
pub(super) struct Folder {
    agg: Aggregation,
    plan_start: i64,
    /// Window start of the current accumulator (`i64::MIN` without windows).
    window: Option<i64>,
    acc: Option<Acc>,
    out_times: Vec<i64>,
    out_values: Option<DecodedValues>,
}

impl Folder {
    /// A folder for a read starting at `plan_start`.
    pub(super) fn new(agg: Aggregation, plan_start: i64) -> Self {
        Folder {
            agg,
            plan_start,
            window: None,
            acc: None,
            out_times: Vec::new(),
            out_values: None,
        }
    }

    /// Feeds the next run (times after every earlier run's).
    pub(super) fn fold(&mut self, run: &Run) -> Result<()> {
        for (i, &t) in run.times.iter().enumerate() {
            let w = self.agg.window_start(t).unwrap_or(i64::MIN);
            if self.window != Some(w) {
                self.emit()?;
                self.window = Some(w);
            }
            self.add(t, &run.values, i)?;
        }
        Ok(())
    }

    /// Rows produced so far (completed windows), taken out of the folder.
    pub(super) fn take(&mut self) -> Option<(Vec<i64>, DecodedValues)> {
        let values = self.out_values.take()?;
        Some((std::mem::take(&mut self.out_times), values))
    }

    /// Number of completed rows waiting in [`Folder::take`].
    pub(super) fn pending(&self) -> usize {
        self.out_times.len()
    }

    /// Emits the last window and returns every row not yet taken.
    pub(super) fn finish(mut self) -> Result<Option<(Vec<i64>, DecodedValues)>> {
        self.emit()?;
        Ok(self.take())
    }

    fn add(&mut self, t: i64, values: &DecodedValues, i: usize) -> Result<()> {
        let kind = self.agg.kind;
        let bad = || {
            Error::invalid(format!(
                "unsupported input type for {} aggregate: {}",
                kind.name(),
                type_name(values)
            ))
        };
        let acc = match (&mut self.acc, kind) {
            (None, AggKind::Count) => Acc::Count(1),
            (Some(Acc::Count(n)), _) => {
                *n += 1;
                return Ok(());
            }
            (None, AggKind::Sum) => match values {
                DecodedValues::Float(v) => Acc::SumF(get(v, i)?),
                DecodedValues::Integer(v) => Acc::SumI(get(v, i)?),
                DecodedValues::UInteger(v) => Acc::SumU(get(v, i)?),
                _ => return Err(bad()),
            },
            (Some(Acc::SumF(s)), _) => {
                *s += get(as_f(values).ok_or_else(bad)?, i)?;
                return Ok(());
            }
            (Some(Acc::SumI(s)), _) => {
                let DecodedValues::Integer(v) = values else {
                    return Err(bad());
                };
                *s = s.wrapping_add(get(v, i)?);
                return Ok(());
            }
            (Some(Acc::SumU(s)), _) => {
                let DecodedValues::UInteger(v) = values else {
                    return Err(bad());
                };
                *s = s.wrapping_add(get(v, i)?);
                return Ok(());
            }
            (None, AggKind::Mean) => Acc::Mean(num(values, i).ok_or_else(bad)??, 1),
            (Some(Acc::Mean(s, n)), _) => {
                *s += num(values, i).ok_or_else(bad)??;
                *n += 1;
                return Ok(());
            }
            (None, _) => Acc::Sel(t, sel(values, i)?),
            (Some(Acc::Sel(st, sv)), k) => {
                let replace = match k {
                    AggKind::First => false,
                    AggKind::Last => true,
                    AggKind::Min | AggKind::Max => {
                        let ord = cmp_sel(values, i, sv)?;
                        if k == AggKind::Min {
                            ord == std::cmp::Ordering::Less
                        } else {
                            ord == std::cmp::Ordering::Greater
                        }
                    }
                    _ => false,
                };
                if replace {
                    *st = t;
                    *sv = sel(values, i)?;
                }
                return Ok(());
            }
        };
        self.acc = Some(acc);
        Ok(())
    }

    fn emit(&mut self) -> Result<()> {
        let Some(acc) = self.acc.take() else {
            return Ok(());
        };
        let w = self.window.unwrap_or(i64::MIN);
        let t = match &acc {
            Acc::Sel(t, _) => *t,
            _ if self.agg.every.is_some() => w,
            _ => self.plan_start,
        };
        let out = self.out_values.get_or_insert_with(|| match &acc {
            Acc::Count(_) | Acc::SumI(_) | Acc::Sel(_, Sel::I(_)) => {
                DecodedValues::Integer(Vec::new())
            }
            Acc::SumF(_) | Acc::Mean(..) | Acc::Sel(_, Sel::F(_)) => {
                DecodedValues::Float(Vec::new())
            }
            Acc::SumU(_) | Acc::Sel(_, Sel::U(_)) => DecodedValues::UInteger(Vec::new()),
            Acc::Sel(_, Sel::B(_)) => DecodedValues::Boolean(Vec::new()),
            Acc::Sel(_, Sel::S(_)) => DecodedValues::String(Vec::new()),
        });
        let ok = match (out, acc) {
            (DecodedValues::Integer(o), Acc::Count(n) | Acc::SumI(n) | Acc::Sel(_, Sel::I(n))) => {
                o.push(n);
                true
            }
            (DecodedValues::Float(o), Acc::SumF(x) | Acc::Sel(_, Sel::F(x))) => {
                o.push(x);
                true
            }
            (DecodedValues::Float(o), Acc::Mean(s, n)) => {
                o.push(s / n as f64);
                true
            }
            (DecodedValues::UInteger(o), Acc::SumU(x) | Acc::Sel(_, Sel::U(x))) => {
                o.push(x);
                true
            }
            (DecodedValues::Boolean(o), Acc::Sel(_, Sel::B(x))) => {
                o.push(x);
                true
            }
            (DecodedValues::String(o), Acc::Sel(_, Sel::S(x))) => {
                o.push(x);
                true
            }
            _ => false,
        };
        if !ok {
            return Err(Error::invalid(
                "field type changed within a column; cannot aggregate it",
            ));
        }
        self.out_times.push(t);
        Ok(())
    }
}

fn get<T: Copy>(v: &[T], i: usize) -> Result<T> {
    v.get(i)
        .copied()
        .ok_or_else(|| Error::internal("aggregate: value index out of range"))
}

fn as_f(v: &DecodedValues) -> Option<&[f64]> {
    match v {
        DecodedValues::Float(x) => Some(x),
        _ => None,
    }
}

/// A numeric value as f64 (for `mean`); `None` for non-numeric columns.
fn num(v: &DecodedValues, i: usize) -> Option<Result<f64>> {
    Some(match v {
        DecodedValues::Float(x) => get(x, i),
        DecodedValues::Integer(x) => get(x, i).map(|n| n as f64),
        DecodedValues::UInteger(x) => get(x, i).map(|n| n as f64),
        _ => return None,
    })
}

fn sel(v: &DecodedValues, i: usize) -> Result<Sel> {
    Ok(match v {
        DecodedValues::Float(x) => Sel::F(get(x, i)?),
        DecodedValues::Integer(x) => Sel::I(get(x, i)?),
        DecodedValues::UInteger(x) => Sel::U(get(x, i)?),
        DecodedValues::Boolean(x) => Sel::B(get(x, i)?),
        DecodedValues::String(x) => Sel::S(
            x.get(i)
                .cloned()
                .ok_or_else(|| Error::internal("aggregate: value index out of range"))?,
        ),
    })
}

/// Compares value `i` of `v` with the current selection (NaN compares as not less/greater).
fn cmp_sel(v: &DecodedValues, i: usize, cur: &Sel) -> Result<std::cmp::Ordering> {
    use std::cmp::Ordering::Equal;
    Ok(match (v, cur) {
        (DecodedValues::Float(x), Sel::F(c)) => get(x, i)?.partial_cmp(c).unwrap_or(Equal),
        (DecodedValues::Integer(x), Sel::I(c)) => get(x, i)?.cmp(c),
        (DecodedValues::UInteger(x), Sel::U(c)) => get(x, i)?.cmp(c),
        (DecodedValues::Boolean(x), Sel::B(c)) => get(x, i)?.cmp(c),
        (DecodedValues::String(x), Sel::S(c)) => x
            .get(i)
            .ok_or_else(|| Error::internal("aggregate: value index out of range"))?
            .cmp(c),
        _ => {
            return Err(Error::invalid(
                "field type changed within a column; cannot aggregate it",
            ))
        }
    })
}

fn type_name(v: &DecodedValues) -> &'static str {
    match v {
        DecodedValues::Float(_) => "float",
        DecodedValues::Integer(_) => "int",
        DecodedValues::UInteger(_) => "uint",
        DecodedValues::Boolean(_) => "bool",
        DecodedValues::String(_) => "string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::pushdown::AggShape;

    fn ints(points: &[(i64, i64)]) -> Run {
        Run {
            times: points.iter().map(|p| p.0).collect(),
            values: DecodedValues::Integer(points.iter().map(|p| p.1).collect()),
        }
    }

    fn fold_all(agg: Aggregation, runs: &[Run]) -> Option<(Vec<i64>, DecodedValues)> {
        let mut f = Folder::new(agg, 0);
        for r in runs {
            f.fold(r).unwrap();
        }
        f.finish().unwrap()
    }

    fn w(kind: AggKind) -> Aggregation {
        Aggregation {
            kind,
            every: Some(10),
            offset: 0,
            shape: AggShape::Aggregate,
        }
    }

    #[test]
    fn windowed_aggregates_across_runs() {
        let runs = [
            ints(&[(1, 5), (2, 7), (9, 1)]),
            ints(&[(12, 4), (31, -3), (35, 10)]),
        ];
        let (t, v) = fold_all(w(AggKind::Count), &runs).unwrap();
        assert_eq!(t, vec![0, 10, 30]);
        assert_eq!(v, DecodedValues::Integer(vec![3, 1, 2]));
        let (_, v) = fold_all(w(AggKind::Sum), &runs).unwrap();
        assert_eq!(v, DecodedValues::Integer(vec![13, 4, 7]));
        let (_, v) = fold_all(w(AggKind::Mean), &runs).unwrap();
        assert_eq!(v, DecodedValues::Float(vec![13.0 / 3.0, 4.0, 3.5]));
        let (t, v) = fold_all(w(AggKind::Max), &runs).unwrap();
        assert_eq!(
            (t, v),
            (vec![2, 12, 35], DecodedValues::Integer(vec![7, 4, 10]))
        );
        let (t, v) = fold_all(w(AggKind::Min), &runs).unwrap();
        assert_eq!(
            (t, v),
            (vec![9, 12, 31], DecodedValues::Integer(vec![1, 4, -3]))
        );
        let (t, _) = fold_all(w(AggKind::First), &runs).unwrap();
        assert_eq!(t, vec![1, 12, 31]);
        let (t, v) = fold_all(w(AggKind::Last), &runs).unwrap();
        assert_eq!(
            (t, v),
            (vec![9, 12, 35], DecodedValues::Integer(vec![1, 4, 10]))
        );
    }

    #[test]
    fn whole_range_and_ties() {
        let agg = Aggregation {
            kind: AggKind::Max,
            every: None,
            offset: 0,
            shape: AggShape::Aggregate,
        };
        let (t, v) = fold_all(agg, &[ints(&[(1, 5), (2, 9), (3, 9)])]).unwrap();
        assert_eq!((t, v), (vec![2], DecodedValues::Integer(vec![9])));
        let count = Aggregation {
            kind: AggKind::Count,
            ..agg
        };
        let (t, v) = fold_all(count, &[ints(&[(1, 5), (2, 9)]), ints(&[(30, 1)])]).unwrap();
        assert_eq!((t, v), (vec![0], DecodedValues::Integer(vec![3])));
        assert!(fold_all(count, &[]).is_none());
    }

    #[test]
    fn type_errors_and_strings() {
        let s = Run {
            times: vec![1, 2],
            values: DecodedValues::String(vec![b"b".to_vec(), b"a".to_vec()]),
        };
        let mut f = Folder::new(w(AggKind::Sum), 0);
        let e = f.fold(&s).unwrap_err();
        assert!(e.message().contains("sum"), "{}", e.message());
        let (t, v) = fold_all(w(AggKind::Min), &[s]).unwrap();
        assert_eq!(
            (t, v),
            (vec![2], DecodedValues::String(vec![b"a".to_vec()]))
        );
        let floats = Run {
            times: vec![1, 2],
            values: DecodedValues::Float(vec![1.5, f64::NAN]),
        };
        let (_, v) = fold_all(w(AggKind::Sum), &[floats]).unwrap();
        let DecodedValues::Float(v) = v else { panic!() };
        assert!(v[0].is_nan());
    }
}
