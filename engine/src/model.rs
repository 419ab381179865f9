//! Core value types shared by every engine module.
//!
//! Invariants:
//! - A [`Timestamp`] is always nanoseconds since the Unix epoch (UTC), in the range InfluxDB
//!   accepts: `[MIN_NANOS, MAX_NANOS]`.
//! - Identifiers (`OrgId`, `BucketId`, ...) are 64-bit values printed as 16 lowercase hex digits,
//!   like InfluxDB's `platform.ID`.
//! - `FieldType` is the storage type of a field; a series+field keeps one type for its lifetime.

use std::fmt;

/// Smallest timestamp InfluxDB accepts, in nanoseconds (`models.MinNanoTime`).
pub const MIN_NANOS: i64 = i64::MIN + 2;
/// Largest timestamp InfluxDB accepts, in nanoseconds (`models.MaxNanoTime`).
pub const MAX_NANOS: i64 = i64::MAX - 1;

/// Nanoseconds since the Unix epoch.
pub type Timestamp = i64;

/// Write precision of timestamps in a line-protocol body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Nanoseconds (the default).
    #[default]
    Nanoseconds,
    /// Microseconds.
    Microseconds,
    /// Milliseconds.
    Milliseconds,
    /// Seconds.
    Seconds,
    /// Minutes (v1 `/write` only).
    Minutes,
    /// Hours (v1 `/write` only).
    Hours,
}

impl Precision {
    /// How many nanoseconds one unit of this precision is.
    pub const fn multiplier(self) -> i64 {
        match self {
            Precision::Nanoseconds => 1,
            Precision::Microseconds => 1_000,
            Precision::Milliseconds => 1_000_000,
            Precision::Seconds => 1_000_000_000,
            Precision::Minutes => 60_000_000_000,
            Precision::Hours => 3_600_000_000_000,
        }
    }

    /// Parses the v1 `/write` `precision` parameter with InfluxDB 1.x's meaning: `n`/`ns`,
    /// `u`/`us`/`µ`, `ms`, `s`, `m`, `h`. Anything else (and no value) is nanoseconds: like
    /// 2.7, v1 `/write` never rejects a precision. (2.7 itself treats `n`, `u`, `m` and `h` as
    /// nanoseconds for explicit timestamps; we follow 1.x there, see README.)
    pub fn from_v1_param(s: &str) -> Precision {
        match s {
            "u" | "us" | "µ" => Precision::Microseconds,
            "ms" => Precision::Milliseconds,
            "s" => Precision::Seconds,
            "m" => Precision::Minutes,
            "h" => Precision::Hours,
            _ => Precision::Nanoseconds,
        }
    }

    /// Parses the `/api/v2/write` `precision` parameter (`ns`, `us`, `ms`, `s`).
    pub fn from_v2_param(s: &str) -> Option<Precision> {
        match s {
            "ns" => Some(Precision::Nanoseconds),
            "us" => Some(Precision::Microseconds),
            "ms" => Some(Precision::Milliseconds),
            "s" => Some(Precision::Seconds),
            _ => None,
        }
    }

    /// Truncates a nanosecond timestamp to this precision (towards negative infinity), as
    /// InfluxDB does for the server-assigned time of a line without a timestamp.
    pub const fn truncate(self, ns: i64) -> i64 {
        let m = self.multiplier();
        ns - ns.rem_euclid(m)
    }
}

/// The storage type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FieldType {
    /// 64-bit IEEE float (`double` in annotated CSV).
    Float = 0,
    /// Signed 64-bit integer (`long`).
    Integer = 1,
    /// Unsigned 64-bit integer (`unsignedLong`).
    UInteger = 2,
    /// Boolean.
    Boolean = 3,
    /// UTF-8 string.
    String = 4,
}

impl FieldType {
    /// InfluxDB's name for the type, as used in type-conflict messages.
    pub const fn influx_name(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::UInteger => "unsigned",
            FieldType::Boolean => "boolean",
            FieldType::String => "string",
        }
    }

    /// Decodes the `repr(u8)` tag.
    pub const fn from_u8(v: u8) -> Option<FieldType> {
        match v {
            0 => Some(FieldType::Float),
            1 => Some(FieldType::Integer),
            2 => Some(FieldType::UInteger),
            3 => Some(FieldType::Boolean),
            4 => Some(FieldType::String),
            _ => None,
        }
    }
}

/// An owned field value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Float.
    Float(f64),
    /// Signed integer.
    Integer(i64),
    /// Unsigned integer.
    UInteger(u64),
    /// Boolean.
    Boolean(bool),
    /// String.
    String(String),
}

impl FieldValue {
    /// The storage type of this value.
    pub fn field_type(&self) -> FieldType {
        match self {
            FieldValue::Float(_) => FieldType::Float,
            FieldValue::Integer(_) => FieldType::Integer,
            FieldValue::UInteger(_) => FieldType::UInteger,
            FieldValue::Boolean(_) => FieldType::Boolean,
            FieldValue::String(_) => FieldType::String,
        }
    }
}

/// Index of a shard (one per glommio executor).
pub type ShardId = usize;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub u64);

        impl $name {
            /// Parses 16 hex digits (InfluxDB's ID format).
            pub fn parse(s: &str) -> Option<Self> {
                if s.len() != 16 {
                    return None;
                }
                u64::from_str_radix(s, 16).ok().filter(|v| *v != 0).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:016x}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:016x})", stringify!($name), self.0)
            }
        }
    };
}

hex_id!(
    /// An organization ID.
    OrgId
);
hex_id!(
    /// A bucket ID.
    BucketId
);
hex_id!(
    /// A user ID.
    UserId
);
hex_id!(
    /// An authorization (token) ID.
    AuthId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_truncates_towards_negative_infinity() {
        assert_eq!(Precision::Seconds.truncate(1_999_999_999), 1_000_000_000);
        assert_eq!(Precision::Seconds.truncate(-1), -1_000_000_000);
        assert_eq!(Precision::Nanoseconds.truncate(-7), -7);
    }

    #[test]
    fn v1_precision_follows_influxdb_1x() {
        let m = |s| Precision::from_v1_param(s).multiplier();
        assert_eq!(m("n"), 1);
        assert_eq!(m("ns"), 1);
        assert_eq!(m("u"), 1_000);
        assert_eq!(m("us"), 1_000);
        assert_eq!(m("ms"), 1_000_000);
        assert_eq!(m("s"), 1_000_000_000);
        assert_eq!(m("m"), 60_000_000_000);
        assert_eq!(m("h"), 3_600_000_000_000);
        assert_eq!(m("rfc3339"), 1);
        assert_eq!(m(""), 1);
        assert_eq!(
            Precision::Hours.truncate(3_600_000_000_001),
            3_600_000_000_000
        );
    }

    #[test]
    fn ids_print_as_16_hex_digits() {
        let id = BucketId(0xabc);
        assert_eq!(id.to_string(), "0000000000000abc");
        assert_eq!(BucketId::parse("0000000000000abc"), Some(id));
        assert_eq!(BucketId::parse("abc"), None);
        assert_eq!(BucketId::parse("0000000000000000"), None);
    }
}
