//! The InfluxQL abstract syntax tree.
//!
//! Invariants:
//! - Function names are lower-cased at parse time (`COUNT(x)` → `count`); identifiers keep
//!   their case (InfluxQL identifiers are case-sensitive, keywords are not).
//! - Durations are nanoseconds; regexes are kept as their pattern text (compiled by the
//!   executor); string literals have their escapes resolved.
//! - `Display` prints a statement back as canonical InfluxQL (used by `EXPLAIN` and error
//!   messages), not necessarily the original spelling.

use std::fmt;

/// A query: one or more `;`-separated statements.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The statements, in order.
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `SELECT …`.
    Select(Box<SelectStatement>),
    /// `SHOW DATABASES`.
    ShowDatabases,
    /// `SHOW RETENTION POLICIES [ON db]`.
    ShowRetentionPolicies {
        /// `ON db`.
        database: Option<String>,
    },
    /// `SHOW MEASUREMENTS [ON db] [WITH MEASUREMENT op x] [WHERE …] [LIMIT n] [OFFSET n]`.
    ShowMeasurements(ShowMeasurements),
    /// `SHOW TAG KEYS …`.
    ShowTagKeys(ShowFilter),
    /// `SHOW TAG VALUES … WITH KEY …`.
    ShowTagValues {
        /// Common clauses.
        filter: ShowFilter,
        /// The `WITH KEY` condition.
        key: TagKeyMatch,
    },
    /// `SHOW FIELD KEYS …`.
    ShowFieldKeys(ShowFilter),
    /// `SHOW SERIES …`.
    ShowSeries(ShowFilter),
    /// `SHOW … CARDINALITY`.
    ShowCardinality {
        /// What is counted.
        what: CardinalityOf,
        /// `EXACT` was given.
        exact: bool,
        /// Common clauses.
        filter: ShowFilter,
        /// `WITH KEY` for tag values.
        key: Option<TagKeyMatch>,
    },
    /// `EXPLAIN [ANALYZE] SELECT …`.
    Explain {
        /// `ANALYZE`.
        analyze: bool,
        /// The statement explained.
        select: Box<SelectStatement>,
    },
    /// `DELETE [FROM m] [WHERE …]`.
    Delete {
        /// `FROM` sources.
        sources: Vec<Source>,
        /// `WHERE`.
        condition: Option<Expr>,
    },
    /// `DROP SERIES [FROM m] [WHERE …]`.
    DropSeries {
        /// `FROM` sources.
        sources: Vec<Source>,
        /// `WHERE`.
        condition: Option<Expr>,
    },
    /// `DROP MEASUREMENT m`.
    DropMeasurement(String),
    /// A statement InfluxDB 2.x does not implement (CREATE/DROP DATABASE, users, grants, …);
    /// the text is the statement's leading keywords, e.g. `CREATE DATABASE`.
    Unsupported(String),
}

/// Common clauses of SHOW statements.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ShowFilter {
    /// `ON db`.
    pub database: Option<String>,
    /// `FROM` sources.
    pub sources: Vec<Source>,
    /// `WHERE`.
    pub condition: Option<Expr>,
    /// `LIMIT` (0 = none).
    pub limit: u64,
    /// `OFFSET`.
    pub offset: u64,
    /// `SLIMIT`.
    pub slimit: u64,
    /// `SOFFSET`.
    pub soffset: u64,
}

/// `SHOW MEASUREMENTS` clauses.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ShowMeasurements {
    /// `ON db`; `Some("*")` for `ON *`, with `on_all_rps` for `ON *.*`.
    pub database: Option<String>,
    /// `ON db.rp` / `ON *.rp` retention policy part.
    pub rp: Option<String>,
    /// `WITH MEASUREMENT = name` / `=~ /re/`.
    pub with: Option<(CmpOp, MeasurementName)>,
    /// `WHERE`.
    pub condition: Option<Expr>,
    /// `LIMIT`.
    pub limit: u64,
    /// `OFFSET`.
    pub offset: u64,
}

/// What a cardinality statement counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardinalityOf {
    /// `SHOW SERIES CARDINALITY`.
    Series,
    /// `SHOW MEASUREMENT CARDINALITY`.
    Measurements,
    /// `SHOW TAG KEY CARDINALITY`.
    TagKeys,
    /// `SHOW TAG VALUES CARDINALITY`.
    TagValues,
    /// `SHOW FIELD KEY CARDINALITY`.
    FieldKeys,
}

/// `WITH KEY …` of SHOW TAG VALUES.
#[derive(Clone, Debug, PartialEq)]
pub enum TagKeyMatch {
    /// `= k` / `!= k`.
    Cmp(CmpOp, String),
    /// `IN (a, b)`.
    In(Vec<String>),
    /// `=~ /re/` / `!~ /re/`.
    Regex(CmpOp, String),
}

/// Comparison operator of a `WITH` clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `=` or `=~`.
    Eq,
    /// `!=` or `!~`.
    Neq,
}

/// A measurement name or pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum MeasurementName {
    /// A literal name.
    Name(String),
    /// `/regex/`.
    Regex(String),
}

/// A `FROM` source.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// `[db.[rp].]measurement`.
    Measurement {
        /// Database.
        database: Option<String>,
        /// Retention policy.
        rp: Option<String>,
        /// Name or regex.
        name: MeasurementName,
    },
    /// `(SELECT …)`.
    Subquery(Box<SelectStatement>),
}

/// `SELECT` statement.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SelectStatement {
    /// Projections.
    pub fields: Vec<Field>,
    /// `INTO` target (parsed so it can be rejected).
    pub into: Option<String>,
    /// `FROM` sources.
    pub sources: Vec<Source>,
    /// `WHERE`.
    pub condition: Option<Expr>,
    /// `GROUP BY` dimensions.
    pub dimensions: Vec<Dimension>,
    /// `fill(…)`.
    pub fill: Fill,
    /// `ORDER BY time DESC`.
    pub order_desc: bool,
    /// `LIMIT` (0 = none).
    pub limit: u64,
    /// `OFFSET`.
    pub offset: u64,
    /// `SLIMIT`.
    pub slimit: u64,
    /// `SOFFSET`.
    pub soffset: u64,
    /// `tz('…')`.
    pub location: Option<String>,
}

/// A projection `expr [AS alias]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The expression.
    pub expr: Expr,
    /// `AS alias`.
    pub alias: Option<String>,
}

/// A `GROUP BY` dimension.
#[derive(Clone, Debug, PartialEq)]
pub enum Dimension {
    /// `time(interval[, offset])`; the offset is a duration (ns) or `now()` (`None` inside).
    Time {
        /// Interval, ns.
        interval: i64,
        /// Offset: `Some(Some(ns))`, `Some(None)` for `now()`, `None` if absent.
        offset: Option<Option<i64>>,
    },
    /// A tag key.
    Tag(String),
    /// `*`.
    Wildcard,
    /// `/regex/`.
    Regex(String),
}

/// `fill(…)` option.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Fill {
    /// `fill(null)` (the default).
    #[default]
    Null,
    /// `fill(none)`.
    None,
    /// `fill(previous)`.
    Previous,
    /// `fill(linear)`.
    Linear,
    /// `fill(<number>)`.
    Number(Literal),
}

/// Explicit type of a variable reference (`x::field`, `x::integer`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    /// `::float`.
    Float,
    /// `::integer`.
    Integer,
    /// `::unsigned`.
    Unsigned,
    /// `::string`.
    String,
    /// `::boolean`.
    Boolean,
    /// `::field` (any field).
    Field,
    /// `::tag`.
    Tag,
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// Integer.
    Integer(i64),
    /// Unsigned integer too large for i64.
    Unsigned(u64),
    /// Float.
    Float(f64),
    /// String (`'…'`).
    String(String),
    /// `true`/`false`.
    Boolean(bool),
    /// Duration, ns.
    Duration(i64),
    /// `/regex/`.
    Regex(String),
}

/// Binary operators, by InfluxQL precedence (lowest first: OR, AND, comparisons, + - | ^,
/// * / % &).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `OR`.
    Or,
    /// `AND`.
    And,
    /// `=`.
    Eq,
    /// `!=` / `<>`.
    Neq,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `=~`.
    EqRegex,
    /// `!~`.
    NeqRegex,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `|`.
    BitOr,
    /// `^`.
    BitXor,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `&`.
    BitAnd,
}

impl BinaryOp {
    /// Binding strength (higher binds tighter).
    pub const fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Neq
            | BinaryOp::Lt
            | BinaryOp::Lte
            | BinaryOp::Gt
            | BinaryOp::Gte
            | BinaryOp::EqRegex
            | BinaryOp::NeqRegex => 4,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::BitOr | BinaryOp::BitXor => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::BitAnd => 6,
        }
    }

    /// The operator's spelling.
    pub const fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::Neq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Lte => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Gte => ">=",
            BinaryOp::EqRegex => "=~",
            BinaryOp::NeqRegex => "!~",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "^",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::BitAnd => "&",
        }
    }
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A field or tag reference, optionally typed.
    VarRef {
        /// Name.
        name: String,
        /// `::type`.
        ty: Option<DataType>,
    },
    /// `*`, `*::field`, `*::tag`.
    Wildcard(Option<DataType>),
    /// A literal.
    Literal(Literal),
    /// `$name` bound parameter (resolved before planning).
    BoundParam(String),
    /// A function call (name lower-cased).
    Call {
        /// Function name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// Binary operation.
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `( expr )`.
    Paren(Box<Expr>),
}

fn quote_ident(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !super::parser::is_keyword(s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Integer(v) => write!(f, "{v}"),
            Literal::Unsigned(v) => write!(f, "{v}"),
            Literal::Float(v) => write!(f, "{v}"),
            Literal::String(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Literal::Boolean(b) => write!(f, "{b}"),
            Literal::Duration(ns) => write!(f, "{}", format_duration(*ns)),
            Literal::Regex(r) => write!(f, "/{}/", r.replace('/', "\\/")),
        }
    }
}

/// A duration in InfluxQL's shortest form (`1h`, `90s`, `1500ms`, `0s`).
pub fn format_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let units: [(i64, &str); 7] = [
        (604_800_000_000_000, "w"),
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "u"),
    ];
    for (n, u) in units {
        if ns % n == 0 {
            return format!("{}{u}", ns / n);
        }
    }
    format!("{ns}ns")
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataType::Float => "float",
            DataType::Integer => "integer",
            DataType::Unsigned => "unsigned",
            DataType::String => "string",
            DataType::Boolean => "boolean",
            DataType::Field => "field",
            DataType::Tag => "tag",
        })
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::VarRef { name, ty } => {
                write!(f, "{}", quote_ident(name))?;
                if let Some(t) = ty {
                    write!(f, "::{t}")?;
                }
                Ok(())
            }
            Expr::Wildcard(ty) => {
                f.write_str("*")?;
                if let Some(t) = ty {
                    write!(f, "::{t}")?;
                }
                Ok(())
            }
            Expr::Literal(l) => write!(f, "{l}"),
            Expr::BoundParam(p) => write!(f, "${p}"),
            Expr::Call { name, args } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Binary { op, lhs, rhs } => write!(f, "{lhs} {} {rhs}", op.symbol()),
            Expr::Paren(e) => write!(f, "({e})"),
        }
    }
}

impl fmt::Display for MeasurementName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeasurementName::Name(n) => f.write_str(&quote_ident(n)),
            MeasurementName::Regex(r) => write!(f, "/{}/", r.replace('/', "\\/")),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Measurement { database, rp, name } => {
                if let Some(db) = database {
                    write!(f, "{}.", quote_ident(db))?;
                    if let Some(rp) = rp {
                        f.write_str(&quote_ident(rp))?;
                    }
                    f.write_str(".")?;
                } else if let Some(rp) = rp {
                    write!(f, "{}.", quote_ident(rp))?;
                }
                write!(f, "{name}")
            }
            Source::Subquery(s) => write!(f, "({s})"),
        }
    }
}

impl fmt::Display for SelectStatement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        for (i, fld) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", fld.expr)?;
            if let Some(a) = &fld.alias {
                write!(f, " AS {}", quote_ident(a))?;
            }
        }
        f.write_str(" FROM ")?;
        for (i, s) in self.sources.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s}")?;
        }
        if let Some(c) = &self.condition {
            write!(f, " WHERE {c}")?;
        }
        if !self.dimensions.is_empty() {
            f.write_str(" GROUP BY ")?;
            for (i, d) in self.dimensions.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                match d {
                    Dimension::Time { interval, offset } => {
                        write!(f, "time({}", format_duration(*interval))?;
                        match offset {
                            Some(Some(o)) => write!(f, ", {}", format_duration(*o))?,
                            Some(None) => f.write_str(", now()")?,
                            None => {}
                        }
                        f.write_str(")")?;
                    }
                    Dimension::Tag(t) => f.write_str(&quote_ident(t))?,
                    Dimension::Wildcard => f.write_str("*")?,
                    Dimension::Regex(r) => write!(f, "/{r}/")?,
                }
            }
        }
        match &self.fill {
            Fill::Null => {}
            Fill::None => f.write_str(" fill(none)")?,
            Fill::Previous => f.write_str(" fill(previous)")?,
            Fill::Linear => f.write_str(" fill(linear)")?,
            Fill::Number(n) => write!(f, " fill({n})")?,
        }
        if self.order_desc {
            f.write_str(" ORDER BY time DESC")?;
        }
        for (kw, v) in [
            ("LIMIT", self.limit),
            ("OFFSET", self.offset),
            ("SLIMIT", self.slimit),
            ("SOFFSET", self.soffset),
        ] {
            if v > 0 {
                write!(f, " {kw} {v}")?;
            }
        }
        if let Some(tz) = &self.location {
            write!(f, " tz('{tz}')")?;
        }
        Ok(())
    }
}
