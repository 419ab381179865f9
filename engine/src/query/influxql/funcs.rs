//! InfluxQL aggregate, selector and transformation functions over one window's points.
//!
//! Invariants:
//! - Inputs are a window's points in time order (ties in series order); outputs follow
//!   InfluxDB 1.x/2.x: `count` is an integer, `mean`/`median`/`stddev` floats, `sum`/`spread` keep
//!   integers, selectors return the chosen point's time and value.
//! - No function panics on empty input: aggregates of nothing are `None` (a null cell; `count`
//!   gives 0 only where InfluxDB does — in filled empty windows the executor decides).

use super::eval::Val;

/// A point: time and value.
pub type Point = (i64, Val);

/// The result of a reducer: the time it reports (selectors) and the value.
pub type Reduced = Option<(Option<i64>, Val)>;

/// Names of the aggregate and selector functions (one output row per window).
pub const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "mean",
    "median",
    "mode",
    "spread",
    "stddev",
    "min",
    "max",
    "first",
    "last",
    "percentile",
    "distinct",
    "sample",
    "top",
    "bottom",
    "integral",
];

/// Names of transformations applied to a series of rows.
pub const TRANSFORMS: &[&str] = &[
    "derivative",
    "non_negative_derivative",
    "difference",
    "non_negative_difference",
    "moving_average",
    "cumulative_sum",
    "elapsed",
];

/// True for selectors (the row keeps the selected point's time when it is alone).
pub fn is_selector(name: &str) -> bool {
    matches!(
        name,
        "min" | "max" | "first" | "last" | "percentile" | "sample" | "top" | "bottom"
    )
}

/// Reduces one window with a single-value function. `arg` is the numeric second argument
/// (`percentile`'s N).
pub fn reduce(name: &str, pts: &[Point], arg: Option<f64>) -> Result<Reduced, String> {
    if pts.is_empty() {
        return Ok(None);
    }
    Ok(match name {
        "count" => Some((None, Val::I(pts.len() as i64))),
        "sum" => sum(pts).map(|v| (None, v)),
        "mean" => {
            let n = pts.len() as f64;
            let s: f64 = pts.iter().filter_map(|p| p.1.as_f64()).sum();
            numeric(pts)?;
            Some((None, Val::F(s / n)))
        }
        "median" => {
            numeric(pts)?;
            let mut v: Vec<f64> = pts.iter().filter_map(|p| p.1.as_f64()).collect();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            let m = if n % 2 == 1 {
                v[n / 2]
            } else {
                v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2.0
            };
            Some((None, Val::F(m)))
        }
        "mode" => {
            // Most frequent value; ties go to the smallest value (sorted order).
            let mut v: Vec<&Val> = pts.iter().map(|p| &p.1).collect();
            v.sort_by(|a, b| cmp_val(a, b));
            let mut best: Option<(&Val, usize)> = None;
            let mut i = 0;
            while i < v.len() {
                let mut j = i;
                while j < v.len() && v[j] == v[i] {
                    j += 1;
                }
                if best.is_none_or(|(_, c)| j - i > c) {
                    best = Some((v[i], j - i));
                }
                i = j;
            }
            best.map(|(v, _)| (None, v.clone()))
        }
        "spread" => {
            numeric(pts)?;
            match (min_pt(pts), max_pt(pts)) {
                (Some(lo), Some(hi)) => match (&lo.1, &hi.1) {
                    (Val::I(a), Val::I(b)) => Some((None, Val::I(b.wrapping_sub(*a)))),
                    (Val::U(a), Val::U(b)) => Some((None, Val::U(b.wrapping_sub(*a)))),
                    (a, b) => Some((
                        None,
                        Val::F(b.as_f64().unwrap_or(0.0) - a.as_f64().unwrap_or(0.0)),
                    )),
                },
                _ => None,
            }
        }
        "stddev" => {
            numeric(pts)?;
            if pts.len() < 2 {
                return Ok(None);
            }
            let v: Vec<f64> = pts.iter().filter_map(|p| p.1.as_f64()).collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (v.len() - 1) as f64;
            Some((None, Val::F(var.sqrt())))
        }
        "min" => {
            numeric(pts)?;
            min_pt(pts).map(|p| (Some(p.0), p.1.clone()))
        }
        "max" => {
            numeric(pts)?;
            max_pt(pts).map(|p| (Some(p.0), p.1.clone()))
        }
        // On equal times the larger value wins (InfluxDB's first/last reducers).
        "first" => {
            let t0 = pts[0].0;
            tie_max(pts.iter().take_while(|p| p.0 == t0))
        }
        "last" => {
            let tn = pts[pts.len() - 1].0;
            tie_max(pts.iter().rev().take_while(|p| p.0 == tn))
        }
        "percentile" => {
            numeric(pts)?;
            let p = arg.unwrap_or(50.0);
            let mut v: Vec<&Point> = pts.iter().collect();
            v.sort_by(|a, b| cmp_val(&a.1, &b.1));
            let i = ((v.len() as f64) * p / 100.0 + 0.5).floor() as i64 - 1;
            if i < 0 || i as usize >= v.len() {
                None
            } else {
                v.get(i as usize).map(|p| (Some(p.0), p.1.clone()))
            }
        }
        "integral" => {
            numeric(pts)?;
            let unit = arg.unwrap_or(1e9);
            let mut area = 0.0;
            for w in pts.windows(2) {
                let (a, b) = (
                    w[0].1.as_f64().unwrap_or(0.0),
                    w[1].1.as_f64().unwrap_or(0.0),
                );
                area += (a + b) / 2.0 * (w[1].0 - w[0].0) as f64 / unit;
            }
            Some((None, Val::F(area)))
        }
        other => return Err(format!("unsupported call: {other}")),
    })
}

/// The point with the largest value among points of one time.
fn tie_max<'a>(pts: impl Iterator<Item = &'a Point>) -> Reduced {
    let mut best: Option<&Point> = None;
    for p in pts {
        if best.is_none_or(|b| cmp_val(&p.1, &b.1) == std::cmp::Ordering::Greater) {
            best = Some(p);
        }
    }
    best.map(|p| (Some(p.0), p.1.clone()))
}

fn numeric(pts: &[Point]) -> Result<(), String> {
    if pts.iter().any(|p| matches!(p.1, Val::S(_) | Val::B(_))) {
        return Err("unsupported input type for aggregate".into());
    }
    Ok(())
}

fn sum(pts: &[Point]) -> Option<Val> {
    numeric(pts).ok()?;
    if pts.iter().all(|p| matches!(p.1, Val::I(_))) {
        return Some(Val::I(pts.iter().fold(0i64, |a, p| match p.1 {
            Val::I(v) => a.wrapping_add(v),
            _ => a,
        })));
    }
    if pts.iter().all(|p| matches!(p.1, Val::U(_))) {
        return Some(Val::U(pts.iter().fold(0u64, |a, p| match p.1 {
            Val::U(v) => a.wrapping_add(v),
            _ => a,
        })));
    }
    Some(Val::F(pts.iter().filter_map(|p| p.1.as_f64()).sum()))
}

/// Orders values: numbers numerically, then strings, then booleans.
pub fn cmp_val(a: &Val, b: &Val) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Val::S(x), Val::S(y)) => x.cmp(y),
        (Val::B(x), Val::B(y)) => x.cmp(y),
        (Val::I(x), Val::I(y)) => x.cmp(y),
        (Val::U(x), Val::U(y)) => x.cmp(y),
        (x, y) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p.total_cmp(&q),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            _ => Ordering::Equal,
        },
    }
}

/// The first point with the smallest value.
fn min_pt(pts: &[Point]) -> Option<&Point> {
    let mut best: Option<&Point> = None;
    for p in pts {
        if best.is_none_or(|b| cmp_val(&p.1, &b.1) == std::cmp::Ordering::Less) {
            best = Some(p);
        }
    }
    best
}

/// The first point with the largest value.
fn max_pt(pts: &[Point]) -> Option<&Point> {
    let mut best: Option<&Point> = None;
    for p in pts {
        if best.is_none_or(|b| cmp_val(&p.1, &b.1) == std::cmp::Ordering::Greater) {
            best = Some(p);
        }
    }
    best
}

/// Distinct values of a window, in first-seen order (as InfluxDB returns them).
pub fn distinct(pts: &[Point]) -> Vec<Val> {
    let mut out: Vec<Val> = Vec::new();
    for p in pts {
        if !out.contains(&p.1) {
            out.push(p.1.clone());
        }
    }
    out
}

/// A transformation over a series of `(time, value)` rows (nulls already removed).
/// `unit` is the derivative/elapsed unit in ns, `n` the moving-average window.
pub fn transform(name: &str, rows: &[Point], unit: i64, n: usize) -> Result<Vec<Point>, String> {
    let mut out = Vec::new();
    match name {
        "derivative" | "non_negative_derivative" => {
            for w in rows.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                let dt = (b.0 - a.0) as f64;
                if dt == 0.0 {
                    continue;
                }
                let d =
                    (b.1.as_f64().unwrap_or(0.0) - a.1.as_f64().unwrap_or(0.0)) * unit as f64 / dt;
                if name == "non_negative_derivative" && d < 0.0 {
                    continue;
                }
                out.push((b.0, Val::F(d)));
            }
        }
        "difference" | "non_negative_difference" => {
            for w in rows.windows(2) {
                let d = match (&w[0].1, &w[1].1) {
                    (Val::I(a), Val::I(b)) => Val::I(b.wrapping_sub(*a)),
                    (Val::U(a), Val::U(b)) => Val::U(b.wrapping_sub(*a)),
                    (a, b) => Val::F(b.as_f64().unwrap_or(0.0) - a.as_f64().unwrap_or(0.0)),
                };
                if name == "non_negative_difference" && d.as_f64().is_some_and(|x| x < 0.0) {
                    continue;
                }
                out.push((w[1].0, d));
            }
        }
        "cumulative_sum" => {
            let mut acc: Option<Val> = None;
            for p in rows {
                let next = match (&acc, &p.1) {
                    (None, v) => v.clone(),
                    (Some(Val::I(a)), Val::I(b)) => Val::I(a.wrapping_add(*b)),
                    (Some(Val::U(a)), Val::U(b)) => Val::U(a.wrapping_add(*b)),
                    (Some(a), b) => Val::F(a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0)),
                };
                out.push((p.0, next.clone()));
                acc = Some(next);
            }
        }
        "moving_average" => {
            if n == 0 {
                return Err("moving_average window must be greater than 0".into());
            }
            for w in rows.windows(n) {
                let s: f64 = w.iter().filter_map(|p| p.1.as_f64()).sum();
                if let Some(last) = w.last() {
                    out.push((last.0, Val::F(s / n as f64)));
                }
            }
        }
        "elapsed" => {
            for w in rows.windows(2) {
                out.push((w[1].0, Val::I((w[1].0 - w[0].0) / unit.max(1))));
            }
        }
        other => return Err(format!("unsupported call: {other}")),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[f64]) -> Vec<Point> {
        v.iter()
            .enumerate()
            .map(|(i, x)| (i as i64, Val::F(*x)))
            .collect()
    }

    #[test]
    fn reducers() {
        let p = pts(&[3.0, 1.0, 4.0, 1.0, 5.0]);
        assert_eq!(reduce("count", &p, None).unwrap(), Some((None, Val::I(5))));
        assert_eq!(reduce("mean", &p, None).unwrap(), Some((None, Val::F(2.8))));
        assert_eq!(
            reduce("median", &p, None).unwrap(),
            Some((None, Val::F(3.0)))
        );
        assert_eq!(reduce("mode", &p, None).unwrap(), Some((None, Val::F(1.0))));
        assert_eq!(
            reduce("min", &p, None).unwrap(),
            Some((Some(1), Val::F(1.0)))
        );
        assert_eq!(
            reduce("max", &p, None).unwrap(),
            Some((Some(4), Val::F(5.0)))
        );
        assert_eq!(
            reduce("spread", &p, None).unwrap(),
            Some((None, Val::F(4.0)))
        );
        assert_eq!(
            reduce("percentile", &p, Some(50.0)).unwrap(),
            Some((Some(0), Val::F(3.0)))
        );
        assert_eq!(reduce("count", &[], None).unwrap(), None);
        let ints: Vec<Point> = vec![(1, Val::I(2)), (2, Val::I(9))];
        assert_eq!(
            reduce("sum", &ints, None).unwrap(),
            Some((None, Val::I(11)))
        );
        assert_eq!(
            reduce("spread", &ints, None).unwrap(),
            Some((None, Val::I(7)))
        );
        assert!(reduce("mean", &[(1, Val::S("x".into()))], None).is_err());
    }

    #[test]
    fn transforms() {
        let rows: Vec<Point> = vec![
            (0, Val::F(1.0)),
            (2_000_000_000, Val::F(5.0)),
            (4_000_000_000, Val::F(3.0)),
        ];
        let d = transform("derivative", &rows, 1_000_000_000, 0).unwrap();
        assert_eq!(
            d,
            vec![(2_000_000_000, Val::F(2.0)), (4_000_000_000, Val::F(-1.0))]
        );
        let d = transform("non_negative_derivative", &rows, 1_000_000_000, 0).unwrap();
        assert_eq!(d.len(), 1);
        let c = transform("cumulative_sum", &rows, 0, 0).unwrap();
        assert_eq!(c.last().unwrap().1, Val::F(9.0));
        let m = transform("moving_average", &rows, 0, 2).unwrap();
        assert_eq!(
            m,
            vec![(2_000_000_000, Val::F(3.0)), (4_000_000_000, Val::F(4.0))]
        );
        let e = transform("elapsed", &rows, 1_000_000_000, 0).unwrap();
        assert_eq!(e[0].1, Val::I(2));
    }
}
