//! Flux durations with calendar months, and calendar-aware time arithmetic.
//!
//! Invariants:
//! - A [`FluxDuration`] is `(-1 if negative) * (months calendar months + nanos nanoseconds)`;
//!   `months` and `nanos` are magnitudes (never negative).
//! - [`FluxDuration::INF`] (`inf` in Flux) is the duration of `i64::MAX` nanoseconds.
//! - [`FluxDuration::add_to`] adds the months first (clamping the day of month to the last day
//!   of the target month, in UTC) and then the nanoseconds; all arithmetic saturates at the
//!   `i64` range instead of overflowing.

/// Nanoseconds per day.
const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// A Flux duration value: calendar months plus nanoseconds, with a sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FluxDuration {
    /// Calendar months (magnitude).
    pub months: i64,
    /// Nanoseconds (magnitude).
    pub nanos: i64,
    /// Whether the duration is negative.
    pub negative: bool,
}

impl FluxDuration {
    /// The zero duration (`0s`).
    pub const ZERO: FluxDuration = FluxDuration {
        months: 0,
        nanos: 0,
        negative: false,
    };

    /// Flux's `inf`.
    pub const INF: FluxDuration = FluxDuration {
        months: 0,
        nanos: i64::MAX,
        negative: false,
    };

    /// A duration of `n` nanoseconds (negative allowed).
    pub const fn from_nanos(n: i64) -> Self {
        FluxDuration {
            months: 0,
            nanos: n.saturating_abs(),
            negative: n < 0,
        }
    }

    /// A duration of `m` calendar months (negative allowed).
    pub const fn from_months(m: i64) -> Self {
        FluxDuration {
            months: m.saturating_abs(),
            nanos: 0,
            negative: m < 0,
        }
    }

    /// Whether this is the zero duration.
    pub const fn is_zero(&self) -> bool {
        self.months == 0 && self.nanos == 0
    }

    /// Whether this is `inf`.
    pub const fn is_inf(&self) -> bool {
        self.months == 0 && self.nanos == i64::MAX && !self.negative
    }

    /// Whether the duration mixes months and nanoseconds.
    pub const fn is_mixed(&self) -> bool {
        self.months != 0 && self.nanos != 0
    }

    /// Whether the duration is negative (and not zero).
    pub const fn is_negative(&self) -> bool {
        self.negative && !self.is_zero()
    }

    /// Signed nanoseconds (months ignored).
    pub const fn signed_nanos(&self) -> i64 {
        if self.negative {
            -self.nanos
        } else {
            self.nanos
        }
    }

    /// Signed months (nanoseconds ignored).
    pub const fn signed_months(&self) -> i64 {
        if self.negative {
            -self.months
        } else {
            self.months
        }
    }

    /// Multiplies both components by `k` (saturating).
    pub fn mul(&self, k: i64) -> FluxDuration {
        let neg = self.negative != (k < 0);
        let k = k.saturating_abs();
        FluxDuration {
            months: self.months.saturating_mul(k),
            nanos: self.nanos.saturating_mul(k),
            negative: neg,
        }
    }

    /// `t + self`, with `t` in nanoseconds since the epoch (UTC calendar for months).
    pub fn add_to(&self, t: i64) -> i64 {
        let t = if self.months != 0 {
            add_months(t, self.signed_months())
        } else {
            t
        };
        t.saturating_add(self.signed_nanos())
    }
}

/// Days since 1970-01-01 of the civil date `(y, m, d)` (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date `(y, m, d)` of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Adds `months` calendar months to `t` (UTC), clamping the day of month.
pub(crate) fn add_months(t: i64, months: i64) -> i64 {
    let days = t.div_euclid(NANOS_PER_DAY);
    let tod = t.rem_euclid(NANOS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    // Clamp to years ±1e6 (far beyond the i64-nanosecond range) so the civil-date arithmetic
    // cannot overflow; the final conversion saturates.
    let total = (y * 12 + (m - 1))
        .saturating_add(months)
        .clamp(-12_000_000, 12_000_000);
    let ny = total.div_euclid(12);
    let nm = total.rem_euclid(12) + 1;
    let nd = d.min(days_in_month(ny, nm));
    days_from_civil(ny, nm, nd)
        .saturating_mul(NANOS_PER_DAY)
        .saturating_add(tod)
}

/// Months since 1970-01 of the (UTC) month containing `t`.
pub(crate) fn months_since_epoch(t: i64) -> i64 {
    let (y, m, _) = civil_from_days(t.div_euclid(NANOS_PER_DAY));
    (y - 1970) * 12 + (m - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 59, 365, 18_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn month_addition_clamps() {
        // 2020-01-31T10:00 + 1mo = 2020-02-29T10:00
        let t = days_from_civil(2020, 1, 31) * NANOS_PER_DAY + 10 * 3_600_000_000_000;
        let want = days_from_civil(2020, 2, 29) * NANOS_PER_DAY + 10 * 3_600_000_000_000;
        assert_eq!(FluxDuration::from_months(1).add_to(t), want);
        let back = FluxDuration::from_months(-1).add_to(want);
        assert_eq!(
            back,
            days_from_civil(2020, 1, 29) * NANOS_PER_DAY + 10 * 3_600_000_000_000
        );
        assert_eq!(months_since_epoch(-1), -1);
        assert_eq!(FluxDuration::from_nanos(-5).add_to(10), 5);
    }
}
