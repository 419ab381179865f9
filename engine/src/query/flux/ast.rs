//! The Flux abstract syntax tree.
//!
//! Invariants:
//! - Every node carries the [`Span`] of the source text it was parsed from; lines and columns are
//!   1-based, columns count Unicode scalar values, and `end` is exclusive (just past the node).
//! - Literals are already decoded: string escapes resolved, date-times converted to nanoseconds
//!   since the epoch, durations kept as their (magnitude, unit) parts so calendar units (`mo`,
//!   `y`) can be applied to a time later.
//! - Parentheses leave no node of their own; the inner expression's span covers the parentheses.

/// A position in the source: 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column (in characters), from 1.
    pub column: u32,
}

/// A source range; `end` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// First position of the node.
    pub start: Pos,
    /// Position just after the node.
    pub end: Pos,
}

impl Span {
    /// The span from the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}

/// An identifier with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A whole Flux file (or query).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct File {
    /// `package name`, if present.
    pub package: Option<Ident>,
    /// `import` declarations, in order.
    pub imports: Vec<Import>,
    /// Top-level statements, in order.
    pub body: Vec<Statement>,
}

/// `import [alias] "path"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// Optional alias.
    pub alias: Option<Ident>,
    /// The package path.
    pub path: String,
    /// Where it is.
    pub span: Span,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// An expression whose value is a result (`from(...) |> ...`).
    Expr(Expr),
    /// `name = expr`.
    Variable {
        /// The variable.
        id: Ident,
        /// Its value.
        init: Expr,
        /// Whole statement.
        span: Span,
    },
    /// `option [pkg.]name = expr`.
    Option {
        /// Package qualifier, e.g. `planner` in `option planner.x = ...`.
        package: Option<Ident>,
        /// The option name.
        id: Ident,
        /// Its value.
        init: Expr,
        /// Whole statement.
        span: Span,
    },
    /// `return expr` (only valid in a function block).
    Return(Expr, Span),
    /// `testcase name [extends "path"] { ... }`.
    TestCase {
        /// Test name.
        id: Ident,
        /// `extends` path.
        extends: Option<String>,
        /// Body statements.
        body: Vec<Statement>,
        /// Whole statement.
        span: Span,
    },
}

impl Statement {
    /// The span of the statement.
    pub fn span(&self) -> Span {
        match self {
            Statement::Expr(e) => e.span,
            Statement::Variable { span, .. }
            | Statement::Option { span, .. }
            | Statement::Return(_, span)
            | Statement::TestCase { span, .. } => *span,
        }
    }
}

/// Duration units, in Flux's spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    /// `y`: calendar year (12 months).
    Year,
    /// `mo`: calendar month.
    Month,
    /// `w`: 7 days.
    Week,
    /// `d`: 24 hours.
    Day,
    /// `h`.
    Hour,
    /// `m`.
    Minute,
    /// `s`.
    Second,
    /// `ms`.
    Milli,
    /// `us` or `µs`.
    Micro,
    /// `ns`.
    Nano,
}

impl DurationUnit {
    /// Nanoseconds per unit, or `None` for the calendar units (`mo`, `y`).
    pub const fn nanos(self) -> Option<i64> {
        match self {
            DurationUnit::Year | DurationUnit::Month => None,
            DurationUnit::Week => Some(7 * 86_400_000_000_000),
            DurationUnit::Day => Some(86_400_000_000_000),
            DurationUnit::Hour => Some(3_600_000_000_000),
            DurationUnit::Minute => Some(60_000_000_000),
            DurationUnit::Second => Some(1_000_000_000),
            DurationUnit::Milli => Some(1_000_000),
            DurationUnit::Micro => Some(1_000),
            DurationUnit::Nano => Some(1),
        }
    }
}

/// One `magnitude unit` part of a duration literal such as `1h30m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationPart {
    /// The magnitude (non-negative).
    pub magnitude: i64,
    /// The unit.
    pub unit: DurationUnit,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `+x`.
    Plus,
    /// `not x`.
    Not,
    /// `exists x`.
    Exists,
}

/// Binary (non-logical) operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
    /// `==`
    Eq,
    /// `!=`
    Neq,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `=~`
    RegexMatch,
    /// `!~`
    RegexNotMatch,
}

/// Logical operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    /// `and`
    And,
    /// `or`
    Or,
}

/// A `key: value` property of a record or of call arguments (`value` is `None` for the
/// shorthand `f(x)` / `{x}`).
#[derive(Clone, Debug, PartialEq)]
pub struct Property {
    /// The key (an identifier or a string literal's text).
    pub key: Ident,
    /// The value; `None` for shorthand.
    pub value: Option<Expr>,
    /// Where it is.
    pub span: Span,
}

/// A function parameter `name [= default]`, or the pipe parameter `name=<-`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Parameter name.
    pub key: Ident,
    /// Default value.
    pub default: Option<Expr>,
    /// Whether this is the pipe parameter (`<-`).
    pub pipe: bool,
}

/// A function body.
#[derive(Clone, Debug, PartialEq)]
pub enum FunctionBody {
    /// `=> expr`.
    Expr(Box<Expr>),
    /// `=> { statements }`.
    Block(Vec<Statement>),
}

/// One part of an interpolated string.
#[derive(Clone, Debug, PartialEq)]
pub enum StringPart {
    /// Literal text.
    Text(String),
    /// `${expr}`.
    Expr(Expr),
}

/// Expression kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An identifier (`true`/`false` are identifiers too, as in Flux).
    Ident(String),
    /// Integer literal (unsigned; negation is a unary expression).
    Integer(u64),
    /// Float literal.
    Float(f64),
    /// String literal (escapes resolved).
    String(String),
    /// Interpolated string `"a ${x} b"`: text and expression parts, in order.
    StringExpr(Vec<StringPart>),
    /// Regex literal `/.../` (the pattern text).
    Regex(String),
    /// Duration literal.
    Duration(Vec<DurationPart>),
    /// Date-time literal, ns since the epoch.
    DateTime(i64),
    /// `[a, b]`.
    Array(Vec<Expr>),
    /// `[k: v, ...]` (dictionary; `[:]` is empty).
    Dict(Vec<(Expr, Expr)>),
    /// `{with? k: v, ...}`.
    Record {
        /// `r with ...` base.
        with: Option<Box<Expr>>,
        /// Properties.
        properties: Vec<Property>,
    },
    /// `(params) => body`.
    Function {
        /// Parameters.
        params: Vec<Param>,
        /// Body.
        body: FunctionBody,
    },
    /// `callee(args)`.
    Call {
        /// The function.
        callee: Box<Expr>,
        /// Named arguments.
        args: Vec<Property>,
    },
    /// `arg |> call`.
    Pipe {
        /// The piped value.
        arg: Box<Expr>,
        /// The call it is piped into (always an [`ExprKind::Call`]).
        call: Box<Expr>,
    },
    /// `object.property` or `object["property"]`.
    Member {
        /// The object.
        object: Box<Expr>,
        /// The property name.
        property: Ident,
    },
    /// `object[index]` with a non-string index.
    Index {
        /// The array.
        object: Box<Expr>,
        /// The index.
        index: Box<Expr>,
    },
    /// Unary operation.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        arg: Box<Expr>,
    },
    /// Binary operation.
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `and` / `or`.
    Logical {
        /// Operator.
        op: LogicalOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `if test then consequent else alternate`.
    Conditional {
        /// Condition.
        test: Box<Expr>,
        /// Then branch.
        consequent: Box<Expr>,
        /// Else branch.
        alternate: Box<Expr>,
    },
}
