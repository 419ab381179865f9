//! Expression helpers for InfluxQL execution: bound-parameter substitution, constant folding of
//! time expressions, splitting a `WHERE` clause into a time range and the rest, and evaluating
//! conditions against a series' tags and a row's field values.
//!
//! Invariants:
//! - Time bounds are half-open `[start, stop)` in ns; a condition that cannot match any time
//!   gives `start >= stop` (an empty result, not an error), as InfluxDB does.
//! - Condition evaluation is three-valued: `None` means "unknown at this level" (a field
//!   reference while filtering series by tags), so a series is kept unless the condition is
//!   definitely false for it.

use std::collections::HashMap;

use super::ast::{BinaryOp, Expr, Literal};

/// InfluxQL's smallest time (`influxql.MinTime`).
pub const MIN_TIME: i64 = -9_223_372_036_854_775_806;
/// InfluxQL's largest time (`influxql.MaxTime`).
pub const MAX_TIME: i64 = 9_223_372_036_854_775_806;

/// A runtime value (field value, tag value, literal).
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// Float.
    F(f64),
    /// Integer.
    I(i64),
    /// Unsigned.
    U(u64),
    /// String (also tag values).
    S(String),
    /// Boolean.
    B(bool),
}

impl Val {
    /// As f64 for numeric values.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::F(v) => Some(*v),
            Val::I(v) => Some(*v as f64),
            Val::U(v) => Some(*v as f64),
            _ => None,
        }
    }
}

/// Replaces `$name` parameters with their values; an unknown name is an error.
pub fn bind(expr: &mut Expr, params: &HashMap<String, Literal>) -> Result<(), String> {
    match expr {
        Expr::BoundParam(name) => {
            let v = params
                .get(name.as_str())
                .ok_or_else(|| format!("missing parameter: {name}"))?;
            *expr = Expr::Literal(v.clone());
            Ok(())
        }
        Expr::Call { args, .. } => args.iter_mut().try_for_each(|a| bind(a, params)),
        Expr::Binary { lhs, rhs, .. } => {
            bind(lhs, params)?;
            bind(rhs, params)
        }
        Expr::Paren(e) => bind(e, params),
        _ => Ok(()),
    }
}

/// Parses a time string as InfluxQL accepts it: RFC3339 (any fraction, `Z` or offset) or
/// `YYYY-MM-DD[ HH:MM:SS[.fraction]]` in UTC.
pub fn parse_time_string(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return t.timestamp_nanos_opt();
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return t.and_utc().timestamp_nanos_opt();
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_utc().timestamp_nanos_opt())
}

/// Folds a time expression (`now()`, strings, integers as ns, durations, `+`/`-`) to ns.
pub fn const_time(expr: &Expr, now: i64) -> Result<i64, String> {
    match expr {
        Expr::Paren(e) => const_time(e, now),
        Expr::Literal(Literal::String(s)) => parse_time_string(s).ok_or_else(|| {
            format!("invalid operation: time and *influxql.StringLiteral are not compatible: {s:?}")
        }),
        Expr::Literal(Literal::Integer(v)) => Ok(*v),
        Expr::Literal(Literal::Float(v)) => Ok(*v as i64),
        Expr::Literal(Literal::Duration(v)) => Ok(*v),
        Expr::Call { name, args } if name == "now" && args.is_empty() => Ok(now),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
            let a = const_time(lhs, now)?;
            let b = const_time(rhs, now)?;
            Ok(if *op == BinaryOp::Add {
                a.saturating_add(b)
            } else {
                a.saturating_sub(b)
            })
        }
        other => Err(format!("invalid time expression: {other}")),
    }
}

fn is_time_ref(e: &Expr) -> bool {
    matches!(e, Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time"))
}

/// A time range `[start, stop)` with open ends as `None`.
pub type TimeBounds = (Option<i64>, Option<i64>);

/// Splits `cond` into the time range it implies (ANDed `time <op> expr` terms at the top
/// level) and the remaining condition (`None` if nothing is left).
pub fn split_time(cond: Option<&Expr>, now: i64) -> Result<(TimeBounds, Option<Expr>), String> {
    let mut start: Option<i64> = None;
    let mut stop: Option<i64> = None;
    let rest = match cond {
        None => None,
        Some(c) => strip_time(c, now, &mut start, &mut stop)?,
    };
    Ok(((start, stop), rest))
}

fn strip_time(
    e: &Expr,
    now: i64,
    start: &mut Option<i64>,
    stop: &mut Option<i64>,
) -> Result<Option<Expr>, String> {
    match e {
        Expr::Paren(inner) => strip_time(inner, now, start, stop),
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            let l = strip_time(lhs, now, start, stop)?;
            let r = strip_time(rhs, now, start, stop)?;
            Ok(match (l, r) {
                (None, x) | (x, None) => x,
                (Some(l), Some(r)) => Some(Expr::Binary {
                    op: BinaryOp::And,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                }),
            })
        }
        Expr::Binary { op, lhs, rhs }
            if matches!(
                op,
                BinaryOp::Eq | BinaryOp::Lt | BinaryOp::Lte | BinaryOp::Gt | BinaryOp::Gte
            ) && (is_time_ref(lhs) || is_time_ref(rhs)) =>
        {
            // Normalise to `time <op> value`.
            let (op, value) = if is_time_ref(lhs) {
                (*op, rhs.as_ref())
            } else {
                let flipped = match op {
                    BinaryOp::Lt => BinaryOp::Gt,
                    BinaryOp::Lte => BinaryOp::Gte,
                    BinaryOp::Gt => BinaryOp::Lt,
                    BinaryOp::Gte => BinaryOp::Lte,
                    o => *o,
                };
                (flipped, lhs.as_ref())
            };
            let t = const_time(value, now)?;
            let lo = |s: &mut Option<i64>, v: i64| *s = Some(s.map_or(v, |x| x.max(v)));
            let hi = |s: &mut Option<i64>, v: i64| *s = Some(s.map_or(v, |x| x.min(v)));
            match op {
                BinaryOp::Gt => lo(start, t.saturating_add(1)),
                BinaryOp::Gte => lo(start, t),
                BinaryOp::Lt => hi(stop, t),
                BinaryOp::Lte => hi(stop, t.saturating_add(1)),
                _ => {
                    lo(start, t);
                    hi(stop, t.saturating_add(1));
                }
            }
            Ok(None)
        }
        other => Ok(Some(other.clone())),
    }
}

/// Does the expression mention `time` anywhere?
pub fn mentions_time(e: &Expr) -> bool {
    match e {
        Expr::VarRef { .. } => is_time_ref(e),
        Expr::Binary { lhs, rhs, .. } => mentions_time(lhs) || mentions_time(rhs),
        Expr::Paren(e) => mentions_time(e),
        Expr::Call { args, .. } => args.iter().any(mentions_time),
        _ => false,
    }
}

/// Where names are looked up while evaluating a condition.
pub trait Scope {
    /// The value of `name`: `Some(Some(v))` known, `Some(None)` known to be null/missing,
    /// `None` unknown at this level.
    fn lookup(&self, name: &str, is_tag: Option<bool>) -> Option<Option<Val>>;
}

/// Evaluates a condition: `Some(b)` when decided, `None` when it depends on unknown names.
pub fn eval_cond(e: &Expr, scope: &dyn Scope) -> Option<bool> {
    match e {
        Expr::Paren(inner) => eval_cond(inner, scope),
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => match (eval_cond(lhs, scope), eval_cond(rhs, scope)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => match (eval_cond(lhs, scope), eval_cond(rhs, scope)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Expr::Binary { op, lhs, rhs } => {
            if let (BinaryOp::EqRegex | BinaryOp::NeqRegex, Expr::Literal(Literal::Regex(re))) =
                (op, rhs.as_ref())
            {
                let v = eval_value(lhs, scope)?;
                let s = match v {
                    Some(Val::S(s)) => s,
                    Some(_) => return Some(false),
                    None => String::new(),
                };
                let hit = regex::Regex::new(re).ok()?.is_match(&s);
                return Some(hit == (*op == BinaryOp::EqRegex));
            }
            let a = eval_value(lhs, scope)?;
            let b = eval_value(rhs, scope)?;
            Some(compare(*op, a.as_ref(), b.as_ref()))
        }
        Expr::Literal(Literal::Boolean(b)) => Some(*b),
        Expr::VarRef { .. } => match eval_value(e, scope)? {
            Some(Val::B(b)) => Some(b),
            _ => Some(false),
        },
        _ => Some(false),
    }
}

/// The value of an operand; `None` when unknown at this level, `Some(None)` for null.
pub fn eval_value(e: &Expr, scope: &dyn Scope) -> Option<Option<Val>> {
    match e {
        Expr::Paren(inner) => eval_value(inner, scope),
        Expr::VarRef { name, ty } => {
            let is_tag = match ty {
                Some(super::ast::DataType::Tag) => Some(true),
                Some(_) => Some(false),
                None => None,
            };
            scope.lookup(name, is_tag)
        }
        Expr::Literal(l) => Some(Some(match l {
            Literal::Integer(v) => Val::I(*v),
            Literal::Unsigned(v) => Val::U(*v),
            Literal::Float(v) => Val::F(*v),
            Literal::String(s) => Val::S(s.clone()),
            Literal::Boolean(b) => Val::B(*b),
            Literal::Duration(d) => Val::I(*d),
            Literal::Regex(r) => Val::S(r.clone()),
        })),
        Expr::Binary { op, lhs, rhs } => {
            let a = eval_value(lhs, scope)?;
            let b = eval_value(rhs, scope)?;
            Some(match (a, b) {
                (Some(a), Some(b)) => arith(*op, &a, &b),
                _ => None,
            })
        }
        _ => Some(None),
    }
}

/// Arithmetic on two values (integers stay integers where InfluxQL keeps them).
pub fn arith(op: BinaryOp, a: &Val, b: &Val) -> Option<Val> {
    if let (Val::I(x), Val::I(y)) = (a, b) {
        return match op {
            BinaryOp::Add => Some(Val::I(x.wrapping_add(*y))),
            BinaryOp::Sub => Some(Val::I(x.wrapping_sub(*y))),
            BinaryOp::Mul => Some(Val::I(x.wrapping_mul(*y))),
            BinaryOp::Div => Some(if *y == 0 {
                Val::F(0.0)
            } else {
                Val::F(*x as f64 / *y as f64)
            }),
            BinaryOp::Mod => (*y != 0).then(|| Val::I(x % y)),
            BinaryOp::BitAnd => Some(Val::I(x & y)),
            BinaryOp::BitOr => Some(Val::I(x | y)),
            BinaryOp::BitXor => Some(Val::I(x ^ y)),
            _ => None,
        };
    }
    let (x, y) = (a.as_f64()?, b.as_f64()?);
    Some(Val::F(match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => {
            if y == 0.0 {
                0.0
            } else {
                x / y
            }
        }
        BinaryOp::Mod => x % y,
        _ => return None,
    }))
}

fn compare(op: BinaryOp, a: Option<&Val>, b: Option<&Val>) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Some(Val::S(x)), Some(Val::S(y))) => Some(x.cmp(y)),
        (Some(Val::B(x)), Some(Val::B(y))) => Some(x.cmp(y)),
        (Some(x), Some(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p.partial_cmp(&q),
            _ => None,
        },
        // A missing tag compares as the empty string.
        (None, Some(Val::S(y))) => Some("".cmp(y.as_str())),
        (Some(Val::S(x)), None) => Some(x.as_str().cmp("")),
        _ => None,
    };
    let Some(ord) = ord else {
        return false;
    };
    match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::Neq => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::Lte => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        BinaryOp::Gte => ord != Ordering::Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::influxql::ast::Statement;
    use crate::query::influxql::parse;

    fn cond(q: &str) -> Expr {
        let Statement::Select(s) = parse(q).unwrap().statements.remove(0) else {
            panic!()
        };
        s.condition.unwrap()
    }

    #[test]
    fn time_range_extraction() {
        let c = cond("SELECT v FROM m WHERE time >= '2000-01-01T00:00:00Z' AND host = 'a' AND time < '2000-01-01 00:00:10'");
        let ((start, stop), rest) = split_time(Some(&c), 0).unwrap();
        assert_eq!(start, Some(946_684_800_000_000_000));
        assert_eq!(stop, Some(946_684_810_000_000_000));
        assert_eq!(rest.unwrap().to_string(), "host = 'a'");
        let c = cond("SELECT v FROM m WHERE time > now() - 1h");
        let ((start, stop), rest) = split_time(Some(&c), 10_000_000_000_000).unwrap();
        assert_eq!(start, Some(10_000_000_000_000 - 3_600_000_000_000 + 1));
        assert_eq!(stop, None);
        assert!(rest.is_none());
        let c = cond("SELECT v FROM m WHERE 5 <= time");
        assert_eq!(split_time(Some(&c), 0).unwrap().0, (Some(5), None));
    }

    struct Tags(Vec<(&'static str, &'static str)>);
    impl Scope for Tags {
        fn lookup(&self, name: &str, _: Option<bool>) -> Option<Option<Val>> {
            match self.0.iter().find(|(k, _)| *k == name) {
                Some((_, v)) => Some(Some(Val::S(v.to_string()))),
                None if name == "value" => None,
                None => Some(None),
            }
        }
    }

    #[test]
    fn three_valued_conditions() {
        let s = Tags(vec![("host", "server01"), ("region", "uswest")]);
        assert_eq!(
            eval_cond(&cond("SELECT v FROM m WHERE host = 'server01'"), &s),
            Some(true)
        );
        assert_eq!(
            eval_cond(&cond("SELECT v FROM m WHERE host =~ /^server0[2-9]/"), &s),
            Some(false)
        );
        assert_eq!(
            eval_cond(&cond("SELECT v FROM m WHERE host = 'x' OR value > 3"), &s),
            None
        );
        assert_eq!(
            eval_cond(&cond("SELECT v FROM m WHERE host = 'x' AND value > 3"), &s),
            Some(false)
        );
        assert_eq!(
            eval_cond(&cond("SELECT v FROM m WHERE nope != 'a'"), &s),
            Some(true)
        );
        assert_eq!(
            eval_cond(
                &cond("SELECT v FROM m WHERE (host = 'server01' AND region != 'useast')"),
                &s
            ),
            Some(true)
        );
    }
}
