//! InfluxQL scanner and recursive-descent parser.
//!
//! Invariants:
//! - Never panics and never recurses without bound: expression and subquery nesting is
//!   limited to [`MAX_DEPTH`]; anything unexpected is a [`ParseError`] with InfluxQL's wording
//!   (`found X, expected Y at line L, char C`, 1-based).
//! - Scanning is on demand: a `/` starts a regex only where the grammar expects one (after
//!   `=~`/`!~`, in `FROM`, `GROUP BY`, a select list, `WITH MEASUREMENT`/`WITH KEY`), and is the
//!   division operator everywhere else, as in InfluxDB's parser.
//! - Keywords are case-insensitive; identifiers are case-sensitive.

use std::fmt;

use super::ast::*;

/// Deepest expression / subquery nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// A parse error with InfluxQL's message shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The message, without position.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based character in the line.
    pub column: u32,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {}, char {}",
            self.message, self.line, self.column
        )
    }
}

/// InfluxQL's keywords (upper case).
pub const KEYWORDS: &[&str] = &[
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "BEGIN",
    "BY",
    "CARDINALITY",
    "CREATE",
    "CONTINUOUS",
    "DATABASE",
    "DATABASES",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESTINATIONS",
    "DIAGNOSTICS",
    "DISTINCT",
    "DROP",
    "DURATION",
    "END",
    "EVERY",
    "EXACT",
    "EXPLAIN",
    "FIELD",
    "FOR",
    "FROM",
    "GRANT",
    "GRANTS",
    "GROUP",
    "GROUPS",
    "IN",
    "INF",
    "INSERT",
    "INTO",
    "KEY",
    "KEYS",
    "KILL",
    "LIMIT",
    "MEASUREMENT",
    "MEASUREMENTS",
    "NAME",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "PASSWORD",
    "POLICIES",
    "POLICY",
    "PRIVILEGES",
    "QUERIES",
    "QUERY",
    "READ",
    "REPLICATION",
    "RESAMPLE",
    "RETENTION",
    "REVOKE",
    "SELECT",
    "SERIES",
    "SET",
    "SHARD",
    "SHARDS",
    "SHOW",
    "SLIMIT",
    "SOFFSET",
    "STATS",
    "SUBSCRIPTION",
    "SUBSCRIPTIONS",
    "TAG",
    "TO",
    "USER",
    "USERS",
    "VALUES",
    "WHERE",
    "WITH",
    "WRITE",
];

/// True if `s` is an InfluxQL keyword (so it must be quoted as an identifier).
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(s))
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Eof,
    /// Unquoted identifier or keyword (keywords are recognised by the parser).
    Word(String),
    /// `"quoted identifier"`.
    Quoted(String),
    Str(String),
    Int(u64),
    Float(f64),
    Duration(i64),
    Param(String),
    Op(&'static str),
    Illegal(char),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Eof => "EOF".into(),
            Tok::Word(w) => {
                if is_keyword(w) {
                    w.to_ascii_uppercase()
                } else {
                    w.clone()
                }
            }
            Tok::Quoted(q) => q.clone(),
            Tok::Str(s) => s.clone(),
            Tok::Int(i) => i.to_string(),
            Tok::Float(f) => f.to_string(),
            Tok::Duration(d) => format_duration(*d),
            Tok::Param(p) => format!("${p}"),
            Tok::Op(o) => (*o).to_string(),
            Tok::Illegal(c) => c.to_string(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

/// Parses a whole query (`;`-separated statements).
pub fn parse_query(text: &str) -> Result<Query, ParseError> {
    let mut p = Parser::new(text);
    let mut statements = Vec::new();
    loop {
        while p.peek()? == Tok::Op(";") {
            p.next()?;
        }
        if p.peek()? == Tok::Eof {
            break;
        }
        statements.push(p.statement()?);
        match p.peek()? {
            Tok::Op(";") | Tok::Eof => {}
            _ => return Err(p.unexpected(&[";"])),
        }
    }
    Ok(Query { statements })
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    /// Start of the last token returned by `next` (for error positions).
    tok_start: usize,
    depth: usize,
    _text: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
            tok_start: 0,
            depth: 0,
            _text: text,
        }
    }

    fn line_col(&self, at: usize) -> (u32, u32) {
        let mut line = 1u32;
        let mut col = 1u32;
        for c in self.chars.iter().take(at) {
            if *c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        (line, col)
    }

    fn error_at(&self, at: usize, message: String) -> ParseError {
        let (line, column) = self.line_col(at);
        ParseError {
            message,
            line,
            column,
        }
    }

    /// "found X, expected a, b" at the next token.
    fn unexpected(&mut self, expected: &[&str]) -> ParseError {
        let save = self.pos;
        let found = self.next().map(|t| t.describe()).unwrap_or_default();
        let at = self.tok_start;
        self.pos = save;
        self.error_at(
            at,
            format!("found {found}, expected {}", expected.join(", ")),
        )
    }

    fn skip_ws(&mut self) {
        loop {
            match self.chars.get(self.pos) {
                Some(c) if c.is_whitespace() => self.pos += 1,
                Some('-') if self.chars.get(self.pos + 1) == Some(&'-') => {
                    while self.chars.get(self.pos).is_some_and(|c| *c != '\n') {
                        self.pos += 1;
                    }
                }
                Some('/') if self.chars.get(self.pos + 1) == Some(&'*') => {
                    self.pos += 2;
                    while self.pos < self.chars.len()
                        && !(self.chars[self.pos] == '*'
                            && self.chars.get(self.pos + 1) == Some(&'/'))
                    {
                        self.pos += 1;
                    }
                    self.pos = (self.pos + 2).min(self.chars.len());
                }
                _ => return,
            }
        }
    }

    fn peek(&mut self) -> Result<Tok, ParseError> {
        let save = (self.pos, self.tok_start);
        let t = self.next();
        (self.pos, self.tok_start) = save;
        t
    }

    fn next(&mut self) -> Result<Tok, ParseError> {
        self.skip_ws();
        self.tok_start = self.pos;
        let Some(&c) = self.chars.get(self.pos) else {
            return Ok(Tok::Eof);
        };
        let c2 = self.chars.get(self.pos + 1).copied();
        let two = |p: &mut Self, op: &'static str| {
            p.pos += 2;
            Ok(Tok::Op(op))
        };
        match (c, c2) {
            ('=', Some('~')) => return two(self, "=~"),
            ('!', Some('~')) => return two(self, "!~"),
            ('!', Some('=')) => return two(self, "!="),
            ('<', Some('>')) => return two(self, "!="),
            ('<', Some('=')) => return two(self, "<="),
            ('>', Some('=')) => return two(self, ">="),
            (':', Some(':')) => return two(self, "::"),
            _ => {}
        }
        let one: Option<&'static str> = match c {
            '=' => Some("="),
            '<' => Some("<"),
            '>' => Some(">"),
            '+' => Some("+"),
            '-' => Some("-"),
            '*' => Some("*"),
            '/' => Some("/"),
            '%' => Some("%"),
            '&' => Some("&"),
            '|' => Some("|"),
            '^' => Some("^"),
            '(' => Some("("),
            ')' => Some(")"),
            ',' => Some(","),
            ';' => Some(";"),
            _ => None,
        };
        if c == '.' && !c2.is_some_and(|d| d.is_ascii_digit()) {
            self.pos += 1;
            return Ok(Tok::Op("."));
        }
        if let Some(op) = one {
            self.pos += 1;
            return Ok(Tok::Op(op));
        }
        if c == '\'' {
            return self.quoted('\'').map(Tok::Str);
        }
        if c == '"' {
            return self.quoted('"').map(Tok::Quoted);
        }
        if c == '$' {
            self.pos += 1;
            if self.chars.get(self.pos) == Some(&'"') {
                return self.quoted('"').map(Tok::Param);
            }
            let start = self.pos;
            while self
                .chars
                .get(self.pos)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                self.pos += 1;
            }
            return Ok(Tok::Param(self.chars[start..self.pos].iter().collect()));
        }
        if c.is_ascii_digit() || c == '.' {
            return self.number();
        }
        if c.is_alphabetic() || c == '_' {
            let start = self.pos;
            while self
                .chars
                .get(self.pos)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                self.pos += 1;
            }
            return Ok(Tok::Word(self.chars[start..self.pos].iter().collect()));
        }
        self.pos += 1;
        Ok(Tok::Illegal(c))
    }

    fn quoted(&mut self, q: char) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.chars.get(self.pos) {
                None | Some('\n') => {
                    let what = if q == '\'' { "string" } else { "identifier" };
                    return Err(self.error_at(start, format!("unterminated quoted {what}")));
                }
                Some('\\') => {
                    let e = self.chars.get(self.pos + 1).copied();
                    match e {
                        Some('n') => out.push('\n'),
                        Some('\\') => out.push('\\'),
                        Some('\'') => out.push('\''),
                        Some('"') => out.push('"'),
                        _ => {
                            return Err(self.error_at(self.pos, "bad escape".into()));
                        }
                    }
                    self.pos += 2;
                }
                Some(c) if *c == q => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(*c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        while self.chars.get(self.pos).is_some_and(char::is_ascii_digit) {
            self.pos += 1;
        }
        let mut is_float = false;
        if self.chars.get(self.pos) == Some(&'.')
            && self
                .chars
                .get(self.pos + 1)
                .is_some_and(char::is_ascii_digit)
        {
            is_float = true;
            self.pos += 1;
            while self.chars.get(self.pos).is_some_and(char::is_ascii_digit) {
                self.pos += 1;
            }
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        // A duration: integer digits followed by a unit, possibly several segments (`1h30m`).
        if !is_float {
            if let Some(unit_len) = self.duration_unit_at(self.pos) {
                return self.finish_duration(0, digits, unit_len, start);
            }
        }
        if is_float {
            return digits
                .parse::<f64>()
                .map(Tok::Float)
                .map_err(|_| self.error_at(start, format!("unable to parse number {digits}")));
        }
        match digits.parse::<u64>() {
            Ok(v) => Ok(Tok::Int(v)),
            Err(_) => Err(self.error_at(start, format!("unable to parse integer {digits}"))),
        }
    }

    /// Scans the unit at the cursor and any further `<digits><unit>` segments (`1h30m…`),
    /// adding them to `total`.
    fn finish_duration(
        &mut self,
        mut total: i64,
        mut digits: String,
        mut unit_len: usize,
        start: usize,
    ) -> Result<Tok, ParseError> {
        loop {
            let unit: String = self.chars[self.pos..self.pos + unit_len].iter().collect();
            self.pos += unit_len;
            let n: i64 = digits
                .parse()
                .map_err(|_| self.error_at(start, "overflowed duration".into()))?;
            let mult = duration_mult(&unit);
            total = n
                .checked_mul(mult)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| self.error_at(start, "overflowed duration".into()))?;
            let seg_start = self.pos;
            while self.chars.get(self.pos).is_some_and(char::is_ascii_digit) {
                self.pos += 1;
            }
            match (self.pos > seg_start, self.duration_unit_at(self.pos)) {
                (true, Some(l)) => {
                    digits = self.chars[seg_start..self.pos].iter().collect();
                    unit_len = l;
                }
                _ => {
                    self.pos = seg_start;
                    return Ok(Tok::Duration(total));
                }
            }
        }
    }

    /// Length of a duration unit starting at `at` (not followed by an identifier char).
    fn duration_unit_at(&self, at: usize) -> Option<usize> {
        let c = *self.chars.get(at)?;
        let c2 = self.chars.get(at + 1).copied();
        let len = match (c, c2) {
            ('n', Some('s')) => 2,
            ('m', Some('s')) => 2,
            ('u' | 'µ' | 's' | 'm' | 'h' | 'd' | 'w', _) => 1,
            _ => return None,
        };
        let after = self.chars.get(at + len).copied();
        if after.is_some_and(|c| c.is_alphabetic() || c == '_') {
            return None;
        }
        Some(len)
    }

    /// Scans `/regex/` at the current position, if there is one.
    fn regex(&mut self) -> Result<Option<String>, ParseError> {
        self.skip_ws();
        if self.chars.get(self.pos) != Some(&'/') {
            return Ok(None);
        }
        let start = self.pos;
        self.tok_start = start;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.chars.get(self.pos) {
                None | Some('\n') => {
                    return Err(self.error_at(start, "unterminated regex".into()));
                }
                Some('\\') if self.chars.get(self.pos + 1) == Some(&'/') => {
                    out.push('/');
                    self.pos += 2;
                }
                Some('\\') => {
                    out.push('\\');
                    if let Some(c) = self.chars.get(self.pos + 1) {
                        out.push(*c);
                    }
                    self.pos += 2;
                }
                Some('/') => {
                    self.pos += 1;
                    return Ok(Some(out));
                }
                Some(c) => {
                    out.push(*c);
                    self.pos += 1;
                }
            }
        }
    }

    fn eat_kw(&mut self, kw: &str) -> Result<bool, ParseError> {
        if self.peek()?.is_kw(kw) {
            self.next()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_kw(kw)? {
            Ok(())
        } else {
            Err(self.unexpected(&[kw]))
        }
    }

    fn eat_op(&mut self, op: &str) -> Result<bool, ParseError> {
        if matches!(self.peek()?, Tok::Op(o) if o == op) {
            self.next()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        if self.eat_op(op)? {
            Ok(())
        } else {
            Err(self.unexpected(&[op]))
        }
    }

    /// An identifier: an unquoted non-keyword word or a quoted identifier.
    fn ident(&mut self) -> Result<String, ParseError> {
        match self.peek()? {
            Tok::Word(w) if !is_keyword(&w) => {
                self.next()?;
                Ok(w)
            }
            Tok::Quoted(q) => {
                self.next()?;
                Ok(q)
            }
            _ => Err(self.unexpected(&["identifier"])),
        }
    }

    /// An identifier, also accepting keywords (where InfluxQL allows any word).
    fn ident_or_kw(&mut self) -> Result<String, ParseError> {
        match self.peek()? {
            Tok::Word(w) => {
                self.next()?;
                Ok(w)
            }
            Tok::Quoted(q) => {
                self.next()?;
                Ok(q)
            }
            _ => Err(self.unexpected(&["identifier"])),
        }
    }

    fn uint(&mut self) -> Result<u64, ParseError> {
        match self.peek()? {
            Tok::Int(v) => {
                self.next()?;
                Ok(v)
            }
            _ => Err(self.unexpected(&["integer"])),
        }
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        let t = self.peek()?;
        if t.is_kw("SELECT") {
            return Ok(Statement::Select(Box::new(self.select()?)));
        }
        if t.is_kw("SHOW") {
            self.next()?;
            return self.show();
        }
        if t.is_kw("EXPLAIN") {
            self.next()?;
            let analyze = self.eat_kw("ANALYZE")?;
            if !self.peek()?.is_kw("SELECT") {
                return Err(self.unexpected(&["SELECT"]));
            }
            return Ok(Statement::Explain {
                analyze,
                select: Box::new(self.select()?),
            });
        }
        if t.is_kw("DELETE") {
            self.next()?;
            let sources = if self.eat_kw("FROM")? {
                self.sources()?
            } else {
                Vec::new()
            };
            let condition = self.where_clause()?;
            if sources.is_empty() && condition.is_none() {
                return Err(self.unexpected(&["FROM", "WHERE"]));
            }
            return Ok(Statement::Delete { sources, condition });
        }
        if t.is_kw("DROP") {
            self.next()?;
            if self.eat_kw("SERIES")? {
                let sources = if self.eat_kw("FROM")? {
                    self.sources()?
                } else {
                    Vec::new()
                };
                let condition = self.where_clause()?;
                if sources.is_empty() && condition.is_none() {
                    return Err(self.unexpected(&["FROM", "WHERE"]));
                }
                return Ok(Statement::DropSeries { sources, condition });
            }
            if self.eat_kw("MEASUREMENT")? {
                return Ok(Statement::DropMeasurement(self.ident()?));
            }
            return self.unsupported("DROP");
        }
        for kw in ["CREATE", "ALTER", "GRANT", "REVOKE", "SET", "KILL"] {
            if t.is_kw(kw) {
                self.next()?;
                return self.unsupported(kw);
            }
        }
        Err(self.unexpected(&[
            "SELECT", "DELETE", "SHOW", "CREATE", "DROP", "EXPLAIN", "GRANT", "REVOKE", "ALTER",
            "SET", "KILL",
        ]))
    }

    /// Consumes the rest of a statement 2.x does not implement; names it by its first words.
    fn unsupported(&mut self, first: &str) -> Result<Statement, ParseError> {
        let mut name = first.to_string();
        if let Tok::Word(w) = self.peek()? {
            name.push(' ');
            name.push_str(&w.to_ascii_uppercase());
        }
        loop {
            match self.peek()? {
                Tok::Eof | Tok::Op(";") => break,
                _ => {
                    if self.regex()?.is_none() {
                        self.next()?;
                    }
                }
            }
        }
        Ok(Statement::Unsupported(name))
    }

    fn show(&mut self) -> Result<Statement, ParseError> {
        let t = self.peek()?;
        if t.is_kw("DATABASES") {
            self.next()?;
            return Ok(Statement::ShowDatabases);
        }
        if t.is_kw("RETENTION") {
            self.next()?;
            self.expect_kw("POLICIES")?;
            let database = if self.eat_kw("ON")? {
                Some(self.ident()?)
            } else {
                None
            };
            return Ok(Statement::ShowRetentionPolicies { database });
        }
        if t.is_kw("MEASUREMENTS") {
            self.next()?;
            return self.show_measurements();
        }
        if t.is_kw("MEASUREMENT") {
            self.next()?;
            let exact = self.eat_kw("EXACT")?;
            self.expect_kw("CARDINALITY")?;
            return self.cardinality(CardinalityOf::Measurements, exact);
        }
        if t.is_kw("TAG") {
            self.next()?;
            if self.eat_kw("KEYS")? {
                return Ok(Statement::ShowTagKeys(self.show_filter(true)?));
            }
            if self.eat_kw("KEY")? {
                let exact = self.eat_kw("EXACT")?;
                self.expect_kw("CARDINALITY")?;
                return self.cardinality(CardinalityOf::TagKeys, exact);
            }
            self.expect_kw("VALUES")?;
            let exact = self.eat_kw("EXACT")?;
            if self.eat_kw("CARDINALITY")? {
                return self.cardinality(CardinalityOf::TagValues, exact);
            }
            if exact {
                return Err(self.unexpected(&["CARDINALITY"]));
            }
            let mut filter = ShowFilter {
                database: self.on_clause()?,
                ..ShowFilter::default()
            };
            if self.eat_kw("FROM")? {
                filter.sources = self.sources()?;
            }
            let key = self.with_key()?;
            filter.condition = self.where_clause()?;
            self.limits(&mut filter, false)?;
            return Ok(Statement::ShowTagValues { filter, key });
        }
        if t.is_kw("FIELD") {
            self.next()?;
            if self.eat_kw("KEYS")? {
                return Ok(Statement::ShowFieldKeys(self.show_filter(false)?));
            }
            self.expect_kw("KEY")?;
            let exact = self.eat_kw("EXACT")?;
            self.expect_kw("CARDINALITY")?;
            return self.cardinality(CardinalityOf::FieldKeys, exact);
        }
        if t.is_kw("SERIES") {
            self.next()?;
            let exact = self.eat_kw("EXACT")?;
            if self.eat_kw("CARDINALITY")? {
                return self.cardinality(CardinalityOf::Series, exact);
            }
            if exact {
                return Err(self.unexpected(&["CARDINALITY"]));
            }
            return Ok(Statement::ShowSeries(self.show_filter(false)?));
        }
        for kw in [
            "USERS",
            "GRANTS",
            "CONTINUOUS",
            "SHARDS",
            "SHARD",
            "STATS",
            "DIAGNOSTICS",
            "QUERIES",
            "SUBSCRIPTIONS",
        ] {
            if t.is_kw(kw) {
                return self.unsupported("SHOW");
            }
        }
        Err(self.unexpected(&[
            "CONTINUOUS",
            "DATABASES",
            "DIAGNOSTICS",
            "FIELD",
            "GRANTS",
            "MEASUREMENT",
            "MEASUREMENTS",
            "QUERIES",
            "RETENTION",
            "SERIES",
            "SHARD",
            "SHARDS",
            "STATS",
            "SUBSCRIPTIONS",
            "TAG",
            "USERS",
        ]))
    }

    fn on_clause(&mut self) -> Result<Option<String>, ParseError> {
        if self.eat_kw("ON")? {
            return Ok(Some(self.ident()?));
        }
        Ok(None)
    }

    fn show_measurements(&mut self) -> Result<Statement, ParseError> {
        let mut s = ShowMeasurements::default();
        if self.eat_kw("ON")? {
            if self.eat_op("*")? {
                s.database = Some("*".into());
            } else {
                s.database = Some(self.ident()?);
            }
            if self.eat_op(".")? {
                if self.eat_op("*")? {
                    s.rp = Some("*".into());
                } else {
                    s.rp = Some(self.ident()?);
                }
            }
        }
        if self.eat_kw("WITH")? {
            self.expect_kw("MEASUREMENT")?;
            let op = match self.next()? {
                Tok::Op("=") => (CmpOp::Eq, false),
                Tok::Op("!=") => (CmpOp::Neq, false),
                Tok::Op("=~") => (CmpOp::Eq, true),
                Tok::Op("!~") => (CmpOp::Neq, true),
                _ => {
                    self.pos = self.tok_start;
                    return Err(self.unexpected(&["=", "=~"]));
                }
            };
            let name = if op.1 {
                match self.regex()? {
                    Some(r) => MeasurementName::Regex(r),
                    None => return Err(self.unexpected(&["regex"])),
                }
            } else {
                MeasurementName::Name(self.ident()?)
            };
            s.with = Some((op.0, name));
        }
        s.condition = self.where_clause()?;
        if self.eat_kw("LIMIT")? {
            s.limit = self.uint()?;
        }
        if self.eat_kw("OFFSET")? {
            s.offset = self.uint()?;
        }
        Ok(Statement::ShowMeasurements(s))
    }

    fn with_key(&mut self) -> Result<TagKeyMatch, ParseError> {
        self.expect_kw("WITH")?;
        self.expect_kw("KEY")?;
        if self.eat_kw("IN")? {
            self.expect_op("(")?;
            let mut keys = vec![self.ident()?];
            while self.eat_op(",")? {
                keys.push(self.ident()?);
            }
            self.expect_op(")")?;
            return Ok(TagKeyMatch::In(keys));
        }
        match self.next()? {
            Tok::Op("=") => Ok(TagKeyMatch::Cmp(CmpOp::Eq, self.ident()?)),
            Tok::Op("!=") => Ok(TagKeyMatch::Cmp(CmpOp::Neq, self.ident()?)),
            Tok::Op(op @ ("=~" | "!~")) => match self.regex()? {
                Some(r) => Ok(TagKeyMatch::Regex(
                    if op == "=~" { CmpOp::Eq } else { CmpOp::Neq },
                    r,
                )),
                None => Err(self.unexpected(&["regex"])),
            },
            _ => {
                self.pos = self.tok_start;
                Err(self.unexpected(&["=", "!=", "=~", "!~"]))
            }
        }
    }

    fn show_filter(&mut self, series_limits: bool) -> Result<ShowFilter, ParseError> {
        let mut f = ShowFilter {
            database: self.on_clause()?,
            ..ShowFilter::default()
        };
        if self.eat_kw("FROM")? {
            f.sources = self.sources()?;
        }
        f.condition = self.where_clause()?;
        self.limits(&mut f, series_limits)?;
        Ok(f)
    }

    fn limits(&mut self, f: &mut ShowFilter, series_limits: bool) -> Result<(), ParseError> {
        if self.eat_kw("LIMIT")? {
            f.limit = self.uint()?;
        }
        if self.eat_kw("OFFSET")? {
            f.offset = self.uint()?;
        }
        if series_limits {
            if self.eat_kw("SLIMIT")? {
                f.slimit = self.uint()?;
            }
            if self.eat_kw("SOFFSET")? {
                f.soffset = self.uint()?;
            }
        }
        Ok(())
    }

    fn cardinality(&mut self, what: CardinalityOf, exact: bool) -> Result<Statement, ParseError> {
        let mut filter = ShowFilter {
            database: self.on_clause()?,
            ..ShowFilter::default()
        };
        if self.eat_kw("FROM")? {
            filter.sources = self.sources()?;
        }
        let key = if what == CardinalityOf::TagValues {
            Some(self.with_key()?)
        } else {
            None
        };
        filter.condition = self.where_clause()?;
        if self.eat_kw("GROUP")? {
            self.expect_kw("BY")?;
            let _ = self.dimensions()?;
        }
        self.limits(&mut filter, false)?;
        Ok(Statement::ShowCardinality {
            what,
            exact,
            filter,
            key,
        })
    }

    fn where_clause(&mut self) -> Result<Option<Expr>, ParseError> {
        if self.eat_kw("WHERE")? {
            return Ok(Some(self.expr(0)?));
        }
        Ok(None)
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(self.pos, "query is nested too deeply".into()));
        }
        Ok(())
    }

    fn select(&mut self) -> Result<SelectStatement, ParseError> {
        self.enter()?;
        self.expect_kw("SELECT")?;
        let mut s = SelectStatement {
            fields: self.fields()?,
            ..SelectStatement::default()
        };
        if self.eat_kw("INTO")? {
            let mut target = self.ident_or_kw()?;
            while self.eat_op(".")? {
                target.push('.');
                target.push_str(&self.ident_or_kw()?);
            }
            s.into = Some(target);
        }
        self.expect_kw("FROM")?;
        s.sources = self.sources()?;
        s.condition = self.where_clause()?;
        if self.eat_kw("GROUP")? {
            self.expect_kw("BY")?;
            s.dimensions = self.dimensions()?;
        }
        if let Tok::Word(w) = self.peek()? {
            if w.eq_ignore_ascii_case("fill") {
                self.next()?;
                s.fill = self.fill()?;
            }
        }
        if self.eat_kw("ORDER")? {
            self.expect_kw("BY")?;
            s.order_desc = self.order_by()?;
        }
        for kw in ["LIMIT", "OFFSET", "SLIMIT", "SOFFSET"] {
            if self.eat_kw(kw)? {
                let v = self.uint()?;
                match kw {
                    "LIMIT" => s.limit = v,
                    "OFFSET" => s.offset = v,
                    "SLIMIT" => s.slimit = v,
                    _ => s.soffset = v,
                }
            }
        }
        if let Tok::Word(w) = self.peek()? {
            if w.eq_ignore_ascii_case("tz") {
                self.next()?;
                self.expect_op("(")?;
                match self.next()? {
                    Tok::Str(z) => s.location = Some(z),
                    _ => {
                        self.pos = self.tok_start;
                        return Err(self.unexpected(&["string"]));
                    }
                }
                self.expect_op(")")?;
            }
        }
        self.depth -= 1;
        Ok(s)
    }

    fn order_by(&mut self) -> Result<bool, ParseError> {
        let mut desc = false;
        loop {
            let name = self.ident_or_kw()?;
            if !name.eq_ignore_ascii_case("time") {
                return Err(self.error_at(
                    self.tok_start,
                    "only ORDER BY time supported at this time".into(),
                ));
            }
            if self.eat_kw("DESC")? {
                desc = true;
            } else {
                self.eat_kw("ASC")?;
            }
            if !self.eat_op(",")? {
                return Ok(desc);
            }
        }
    }

    fn fill(&mut self) -> Result<Fill, ParseError> {
        self.expect_op("(")?;
        let fill = match self.next()? {
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Fill::Null,
            Tok::Word(w) if w.eq_ignore_ascii_case("none") => Fill::None,
            Tok::Word(w) if w.eq_ignore_ascii_case("previous") => Fill::Previous,
            Tok::Word(w) if w.eq_ignore_ascii_case("linear") => Fill::Linear,
            Tok::Int(v) => Fill::Number(int_literal(v)),
            Tok::Float(v) => Fill::Number(Literal::Float(v)),
            Tok::Op("-") => match self.next()? {
                Tok::Int(v) => Fill::Number(match i64::try_from(v) {
                    Ok(i) => Literal::Integer(-i),
                    Err(_) => Literal::Float(-(v as f64)),
                }),
                Tok::Float(v) => Fill::Number(Literal::Float(-v)),
                _ => {
                    self.pos = self.tok_start;
                    return Err(self.unexpected(&["number"]));
                }
            },
            _ => {
                self.pos = self.tok_start;
                return Err(self.error_at(self.tok_start, "fill must be a function call".into()));
            }
        };
        self.expect_op(")")?;
        Ok(fill)
    }

    fn fields(&mut self) -> Result<Vec<Field>, ParseError> {
        let mut out = Vec::new();
        loop {
            let expr = match self.regex()? {
                Some(r) => Expr::Literal(Literal::Regex(r)),
                None => self.expr(0)?,
            };
            let alias = if self.eat_kw("AS")? {
                Some(self.ident_or_kw()?)
            } else {
                None
            };
            out.push(Field { expr, alias });
            if !self.eat_op(",")? {
                return Ok(out);
            }
        }
    }

    fn sources(&mut self) -> Result<Vec<Source>, ParseError> {
        let mut out = Vec::new();
        loop {
            out.push(self.source()?);
            if !self.eat_op(",")? {
                return Ok(out);
            }
        }
    }

    fn source(&mut self) -> Result<Source, ParseError> {
        if self.eat_op("(")? {
            if !self.peek()?.is_kw("SELECT") {
                return Err(self.unexpected(&["SELECT"]));
            }
            let sub = self.select()?;
            self.expect_op(")")?;
            return Ok(Source::Subquery(Box::new(sub)));
        }
        // Up to three dot-separated segments; the last may be a regex.
        let mut segs: Vec<Option<String>> = Vec::new();
        loop {
            if let Some(r) = self.regex()? {
                let (database, rp) = db_rp(&segs);
                return Ok(Source::Measurement {
                    database,
                    rp,
                    name: MeasurementName::Regex(r),
                });
            }
            // `db..m`: an empty rp segment.
            if matches!(self.peek()?, Tok::Op(".")) && !segs.is_empty() {
                self.next()?;
                segs.push(None);
                continue;
            }
            let name = self.ident_or_kw()?;
            segs.push(Some(name));
            if segs.len() < 3 && self.eat_op(".")? {
                continue;
            }
            break;
        }
        let name = segs.pop().flatten().unwrap_or_default();
        let (database, rp) = db_rp(&segs);
        Ok(Source::Measurement {
            database,
            rp,
            name: MeasurementName::Name(name),
        })
    }

    fn dimensions(&mut self) -> Result<Vec<Dimension>, ParseError> {
        let mut out = Vec::new();
        loop {
            if let Some(r) = self.regex()? {
                out.push(Dimension::Regex(r));
            } else if self.eat_op("*")? {
                out.push(Dimension::Wildcard);
            } else {
                let t = self.peek()?;
                let is_time_call = matches!(&t, Tok::Word(w) if w.eq_ignore_ascii_case("time"))
                    && {
                        let save = (self.pos, self.tok_start);
                        self.next()?;
                        let paren = self.peek()? == Tok::Op("(");
                        (self.pos, self.tok_start) = save;
                        paren
                    };
                if is_time_call {
                    self.next()?;
                    self.next()?;
                    let interval = match self.next()? {
                        Tok::Duration(d) => d,
                        _ => {
                            self.pos = self.tok_start;
                            return Err(self.unexpected(&["duration"]));
                        }
                    };
                    let offset = if self.eat_op(",")? {
                        match self.next()? {
                            Tok::Duration(d) => Some(Some(d)),
                            Tok::Op("-") => match self.next()? {
                                Tok::Duration(d) => Some(Some(-d)),
                                _ => {
                                    self.pos = self.tok_start;
                                    return Err(self.unexpected(&["duration"]));
                                }
                            },
                            Tok::Word(w) if w.eq_ignore_ascii_case("now") => {
                                self.expect_op("(")?;
                                self.expect_op(")")?;
                                Some(None)
                            }
                            _ => {
                                self.pos = self.tok_start;
                                return Err(self.unexpected(&["duration"]));
                            }
                        }
                    } else {
                        None
                    };
                    self.expect_op(")")?;
                    out.push(Dimension::Time { interval, offset });
                } else {
                    out.push(Dimension::Tag(self.ident_or_kw()?));
                }
            }
            if !self.eat_op(",")? {
                return Ok(out);
            }
        }
    }

    /// Precedence climbing; `min` is the lowest precedence accepted.
    fn expr(&mut self, min: u8) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek()? {
                Tok::Word(w) if w.eq_ignore_ascii_case("AND") => BinaryOp::And,
                Tok::Word(w) if w.eq_ignore_ascii_case("OR") => BinaryOp::Or,
                Tok::Op(o) => match o {
                    "=" => BinaryOp::Eq,
                    "!=" => BinaryOp::Neq,
                    "<" => BinaryOp::Lt,
                    "<=" => BinaryOp::Lte,
                    ">" => BinaryOp::Gt,
                    ">=" => BinaryOp::Gte,
                    "=~" => BinaryOp::EqRegex,
                    "!~" => BinaryOp::NeqRegex,
                    "+" => BinaryOp::Add,
                    "-" => BinaryOp::Sub,
                    "|" => BinaryOp::BitOr,
                    "^" => BinaryOp::BitXor,
                    "*" => BinaryOp::Mul,
                    "/" => BinaryOp::Div,
                    "%" => BinaryOp::Mod,
                    "&" => BinaryOp::BitAnd,
                    _ => break,
                },
                _ => break,
            };
            if op.precedence() < min.max(1) {
                break;
            }
            self.next()?;
            let rhs = if matches!(op, BinaryOp::EqRegex | BinaryOp::NeqRegex) {
                match self.regex()? {
                    Some(r) => Expr::Literal(Literal::Regex(r)),
                    None => match self.peek()? {
                        Tok::Param(p) => {
                            self.next()?;
                            Expr::BoundParam(p)
                        }
                        _ => return Err(self.unexpected(&["regex"])),
                    },
                }
            } else {
                self.expr(op.precedence() + 1)?
            };
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let t = self.next()?;
        let at = self.tok_start;
        match t {
            Tok::Op("(") => {
                let inner = self.expr(0)?;
                self.expect_op(")")?;
                Ok(Expr::Paren(Box::new(inner)))
            }
            Tok::Op("-") | Tok::Op("+") => {
                let neg = t == Tok::Op("-");
                match self.peek()? {
                    Tok::Int(v) => {
                        self.next()?;
                        Ok(Expr::Literal(if neg {
                            match i64::try_from(v) {
                                Ok(i) => Literal::Integer(-i),
                                Err(_) if v == 1u64 << 63 => Literal::Integer(i64::MIN),
                                Err(_) => Literal::Float(-(v as f64)),
                            }
                        } else {
                            int_literal(v)
                        }))
                    }
                    Tok::Float(v) => {
                        self.next()?;
                        Ok(Expr::Literal(Literal::Float(if neg { -v } else { v })))
                    }
                    Tok::Duration(d) => {
                        self.next()?;
                        Ok(Expr::Literal(Literal::Duration(if neg { -d } else { d })))
                    }
                    _ => {
                        let e = self.unary()?;
                        Ok(if neg {
                            Expr::Binary {
                                op: BinaryOp::Mul,
                                lhs: Box::new(Expr::Literal(Literal::Integer(-1))),
                                rhs: Box::new(e),
                            }
                        } else {
                            e
                        })
                    }
                }
            }
            Tok::Op("*") => Ok(Expr::Wildcard(self.cast()?)),
            Tok::Int(v) => Ok(Expr::Literal(int_literal(v))),
            Tok::Float(v) => Ok(Expr::Literal(Literal::Float(v))),
            Tok::Duration(d) => Ok(Expr::Literal(Literal::Duration(d))),
            Tok::Str(s) => Ok(Expr::Literal(Literal::String(s))),
            Tok::Param(p) => Ok(Expr::BoundParam(p)),
            Tok::Quoted(name) => Ok(Expr::VarRef {
                ty: self.cast()?,
                name,
            }),
            Tok::Word(w) => {
                if w.eq_ignore_ascii_case("true") {
                    return Ok(Expr::Literal(Literal::Boolean(true)));
                }
                if w.eq_ignore_ascii_case("false") {
                    return Ok(Expr::Literal(Literal::Boolean(false)));
                }
                // `DISTINCT x` is `distinct(x)`.
                if w.eq_ignore_ascii_case("DISTINCT") && self.peek()? != Tok::Op("(") {
                    let name = self.ident()?;
                    return Ok(Expr::Call {
                        name: "distinct".into(),
                        args: vec![Expr::VarRef { name, ty: None }],
                    });
                }
                if self.peek()? == Tok::Op("(") {
                    self.next()?;
                    let mut args = Vec::new();
                    if !self.eat_op(")")? {
                        loop {
                            let arg = match self.regex()? {
                                Some(r) => Expr::Literal(Literal::Regex(r)),
                                None => self.expr(0)?,
                            };
                            args.push(arg);
                            if self.eat_op(")")? {
                                break;
                            }
                            self.expect_op(",")?;
                        }
                    }
                    return Ok(Expr::Call {
                        name: w.to_ascii_lowercase(),
                        args,
                    });
                }
                if is_keyword(&w) {
                    self.pos = at;
                    return Err(self.unexpected(&["identifier", "string", "number", "bool"]));
                }
                Ok(Expr::VarRef {
                    ty: self.cast()?,
                    name: w,
                })
            }
            _ => {
                self.pos = at;
                Err(self.unexpected(&["identifier", "string", "number", "bool"]))
            }
        }
    }

    /// An optional `::type` suffix.
    fn cast(&mut self) -> Result<Option<DataType>, ParseError> {
        if !self.eat_op("::")? {
            return Ok(None);
        }
        let w = match self.next()? {
            Tok::Word(w) => w.to_ascii_lowercase(),
            _ => {
                self.pos = self.tok_start;
                return Err(
                    self.unexpected(&["float", "integer", "string", "boolean", "field", "tag"])
                );
            }
        };
        Ok(Some(match w.as_str() {
            "float" => DataType::Float,
            "integer" => DataType::Integer,
            "unsigned" => DataType::Unsigned,
            "string" => DataType::String,
            "boolean" => DataType::Boolean,
            "field" => DataType::Field,
            "tag" => DataType::Tag,
            _ => {
                self.pos = self.tok_start;
                return Err(
                    self.unexpected(&["float", "integer", "string", "boolean", "field", "tag"])
                );
            }
        }))
    }
}

fn duration_mult(unit: &str) -> i64 {
    match unit {
        "ns" => 1,
        "u" | "µ" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => 604_800_000_000_000,
    }
}

fn int_literal(v: u64) -> Literal {
    match i64::try_from(v) {
        Ok(i) => Literal::Integer(i),
        Err(_) => Literal::Unsigned(v),
    }
}

/// `(database, rp)` from the segments before a measurement name.
fn db_rp(segs: &[Option<String>]) -> (Option<String>, Option<String>) {
    match segs {
        [] => (None, None),
        [rp] => (None, rp.clone()),
        [db, rp, ..] => (db.clone(), rp.clone()),
    }
}
