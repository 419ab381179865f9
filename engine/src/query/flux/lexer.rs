//! The Flux lexer: source text to [`Token`]s with positions.
//!
//! Invariants:
//! - Whitespace (including newlines) and `//` comments separate tokens and are dropped.
//! - The token stream always ends with exactly one [`TokenKind::Eof`].
//! - `/` starts a regex literal only where an operand is expected (after an operator, `(`, `,`,
//!   a keyword, or at the start); after an operand it is the division operator, as in Flux.
//! - Literal tokens are decoded (escapes, date-times, durations) and every error carries the
//!   position of the offending text.

use super::ast::{DurationPart, DurationUnit, Pos, Span};
use crate::query::plan::PlanError;

/// Token kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// Identifier.
    Ident(String),
    /// Integer literal.
    Int(u64),
    /// Float literal.
    Float(f64),
    /// String literal, decoded.
    Str(String),
    /// String literal with `${expr}` interpolations: text parts and the tokens of each
    /// expression (each ending with `Eof`).
    StrInterp(Vec<InterpPart>),
    /// Regex literal, pattern text.
    Regex(String),
    /// Duration literal.
    Duration(Vec<DurationPart>),
    /// Date-time literal, ns since the epoch.
    DateTime(i64),
    /// `and`
    And,
    /// `or`
    Or,
    /// `not`
    Not,
    /// `exists`
    Exists,
    /// `import`
    Import,
    /// `package`
    Package,
    /// `option`
    Option,
    /// `return`
    Return,
    /// `if`
    If,
    /// `then`
    Then,
    /// `else`
    Else,
    /// `builtin`
    Builtin,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `^`
    Caret,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `=~`
    RegexEq,
    /// `!~`
    RegexNeq,
    /// `=`
    Assign,
    /// `=>`
    Arrow,
    /// `<-`
    PipeReceive,
    /// `|>`
    PipeForward,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `.`
    Dot,
    /// `?`
    Question,
    /// `@`
    At,
    /// End of input.
    Eof,
}

impl TokenKind {
    /// A short description for error messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(s) => format!("identifier {s}"),
            TokenKind::Int(v) => format!("integer {v}"),
            TokenKind::Float(v) => format!("float {v}"),
            TokenKind::Str(_) | TokenKind::StrInterp(_) => "string literal".to_string(),
            TokenKind::Regex(_) => "regex literal".to_string(),
            TokenKind::Duration(_) => "duration literal".to_string(),
            TokenKind::DateTime(_) => "date-time literal".to_string(),
            TokenKind::Eof => "EOF".to_string(),
            other => format!("{:?}", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            TokenKind::And => "and",
            TokenKind::Or => "or",
            TokenKind::Not => "not",
            TokenKind::Exists => "exists",
            TokenKind::Import => "import",
            TokenKind::Package => "package",
            TokenKind::Option => "option",
            TokenKind::Return => "return",
            TokenKind::If => "if",
            TokenKind::Then => "then",
            TokenKind::Else => "else",
            TokenKind::Builtin => "builtin",
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            TokenKind::Caret => "^",
            TokenKind::EqEq => "==",
            TokenKind::NotEq => "!=",
            TokenKind::Lt => "<",
            TokenKind::Lte => "<=",
            TokenKind::Gt => ">",
            TokenKind::Gte => ">=",
            TokenKind::RegexEq => "=~",
            TokenKind::RegexNeq => "!~",
            TokenKind::Assign => "=",
            TokenKind::Arrow => "=>",
            TokenKind::PipeReceive => "<-",
            TokenKind::PipeForward => "|>",
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::Comma => ",",
            TokenKind::Colon => ":",
            TokenKind::Dot => ".",
            TokenKind::Question => "?",
            TokenKind::At => "@",
            _ => "?",
        }
    }

    /// Whether this token ends an operand (so a following `/` is division).
    fn ends_operand(&self) -> bool {
        matches!(
            self,
            TokenKind::Ident(_)
                | TokenKind::Int(_)
                | TokenKind::Float(_)
                | TokenKind::Str(_)
                | TokenKind::StrInterp(_)
                | TokenKind::Regex(_)
                | TokenKind::Duration(_)
                | TokenKind::DateTime(_)
                | TokenKind::RParen
                | TokenKind::RBracket
                | TokenKind::RBrace
        )
    }
}

/// One part of an interpolated string literal.
#[derive(Clone, Debug, PartialEq)]
pub enum InterpPart {
    /// Literal text (escapes resolved).
    Text(String),
    /// The tokens of a `${...}` expression, ending with `Eof`.
    Expr(Vec<Token>),
}

/// Maximum nesting of string interpolations (`"${"${x}"}"`).
const MAX_INTERP_DEPTH: usize = 8;

/// A token with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

/// Splits `text` into tokens (ending with `Eof`).
pub fn tokenize(text: &str) -> Result<Vec<Token>, PlanError> {
    let mut lx = Lexer {
        chars: text.chars().collect(),
        i: 0,
        line: 1,
        column: 1,
        interp_depth: 0,
    };
    let mut out: Vec<Token> = Vec::new();
    loop {
        lx.skip_trivia();
        let start = lx.pos();
        let Some(c) = lx.peek(0) else {
            out.push(Token {
                kind: TokenKind::Eof,
                span: Span { start, end: start },
            });
            return Ok(out);
        };
        let regex_ok = out.last().is_none_or(|t| !t.kind.ends_operand());
        let kind = lx.token(c, regex_ok, start)?;
        out.push(Token {
            kind,
            span: Span {
                start,
                end: lx.pos(),
            },
        });
    }
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: u32,
    column: u32,
    interp_depth: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl Lexer {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn err(&self, start: Pos, message: impl Into<String>) -> PlanError {
        PlanError::new(
            Span {
                start,
                end: self.pos(),
            },
            message,
        )
    }

    fn skip_trivia(&mut self) {
        while let Some(c) = self.peek(0) {
            if c.is_whitespace() {
                self.bump();
            } else if c == '/' && self.peek(1) == Some('/') {
                while let Some(c) = self.peek(0) {
                    if c == '\n' {
                        break;
                    }
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self, c: char, regex_ok: bool, start: Pos) -> Result<TokenKind, PlanError> {
        if is_ident_start(c) {
            return Ok(self.ident());
        }
        if c.is_ascii_digit() {
            return self.number(start);
        }
        if c == '"' {
            return self.string(start);
        }
        if c == '/' && regex_ok {
            return self.regex(start);
        }
        self.bump();
        let next = self.peek(0);
        let two = |lx: &mut Lexer, k: TokenKind| {
            lx.bump();
            k
        };
        Ok(match (c, next) {
            ('=', Some('=')) => two(self, TokenKind::EqEq),
            ('=', Some('~')) => two(self, TokenKind::RegexEq),
            ('=', Some('>')) => two(self, TokenKind::Arrow),
            ('=', _) => TokenKind::Assign,
            ('!', Some('=')) => two(self, TokenKind::NotEq),
            ('!', Some('~')) => two(self, TokenKind::RegexNeq),
            ('<', Some('=')) => two(self, TokenKind::Lte),
            ('<', Some('-')) => two(self, TokenKind::PipeReceive),
            ('<', _) => TokenKind::Lt,
            ('>', Some('=')) => two(self, TokenKind::Gte),
            ('>', _) => TokenKind::Gt,
            ('|', Some('>')) => two(self, TokenKind::PipeForward),
            ('+', _) => TokenKind::Plus,
            ('-', _) => TokenKind::Minus,
            ('*', _) => TokenKind::Star,
            ('/', _) => TokenKind::Slash,
            ('%', _) => TokenKind::Percent,
            ('^', _) => TokenKind::Caret,
            ('(', _) => TokenKind::LParen,
            (')', _) => TokenKind::RParen,
            ('[', _) => TokenKind::LBracket,
            (']', _) => TokenKind::RBracket,
            ('{', _) => TokenKind::LBrace,
            ('}', _) => TokenKind::RBrace,
            (',', _) => TokenKind::Comma,
            (':', _) => TokenKind::Colon,
            ('.', _) => TokenKind::Dot,
            ('?', _) => TokenKind::Question,
            ('@', _) => TokenKind::At,
            _ => return Err(self.err(start, format!("invalid character {c:?}"))),
        })
    }

    fn ident(&mut self) -> TokenKind {
        let mut s = String::new();
        while let Some(c) = self.peek(0).filter(|c| is_ident_continue(*c)) {
            s.push(c);
            self.bump();
        }
        match s.as_str() {
            "and" => TokenKind::And,
            "or" => TokenKind::Or,
            "not" => TokenKind::Not,
            "exists" => TokenKind::Exists,
            "import" => TokenKind::Import,
            "package" => TokenKind::Package,
            "option" => TokenKind::Option,
            "return" => TokenKind::Return,
            "if" => TokenKind::If,
            "then" => TokenKind::Then,
            "else" => TokenKind::Else,
            "builtin" => TokenKind::Builtin,
            _ => TokenKind::Ident(s),
        }
    }

    fn digits(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek(0).filter(char::is_ascii_digit) {
            s.push(c);
            self.bump();
        }
        s
    }

    fn looks_like_date(&self) -> bool {
        let d = |k: usize| self.peek(k).is_some_and(|c| c.is_ascii_digit());
        d(0) && d(1)
            && d(2)
            && d(3)
            && self.peek(4) == Some('-')
            && d(5)
            && d(6)
            && self.peek(7) == Some('-')
            && d(8)
            && d(9)
    }

    fn number(&mut self, start: Pos) -> Result<TokenKind, PlanError> {
        if self.looks_like_date() {
            return self.date_time(start);
        }
        let int_part = self.digits();
        if self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            let frac = self.digits();
            let text = format!("{int_part}.{frac}");
            return text
                .parse::<f64>()
                .map(TokenKind::Float)
                .map_err(|_| self.err(start, format!("invalid float literal {text}")));
        }
        if self.peek(0).is_some_and(is_ident_start) {
            return self.duration(int_part, start);
        }
        int_part
            .parse::<u64>()
            .map(TokenKind::Int)
            .map_err(|_| self.err(start, format!("integer literal {int_part} overflows")))
    }

    fn duration_unit(&mut self) -> Option<DurationUnit> {
        let (unit, len) = match (self.peek(0), self.peek(1)) {
            (Some('m'), Some('o')) => (DurationUnit::Month, 2),
            (Some('m'), Some('s')) => (DurationUnit::Milli, 2),
            (Some('u'), Some('s')) | (Some('µ'), Some('s')) => (DurationUnit::Micro, 2),
            (Some('n'), Some('s')) => (DurationUnit::Nano, 2),
            (Some('y'), _) => (DurationUnit::Year, 1),
            (Some('w'), _) => (DurationUnit::Week, 1),
            (Some('d'), _) => (DurationUnit::Day, 1),
            (Some('h'), _) => (DurationUnit::Hour, 1),
            (Some('m'), _) => (DurationUnit::Minute, 1),
            (Some('s'), _) => (DurationUnit::Second, 1),
            _ => return None,
        };
        for _ in 0..len {
            self.bump();
        }
        Some(unit)
    }

    fn duration(&mut self, first: String, start: Pos) -> Result<TokenKind, PlanError> {
        let mut parts = Vec::new();
        let mut digits = first;
        loop {
            let magnitude = digits
                .parse::<i64>()
                .map_err(|_| self.err(start, format!("duration magnitude {digits} overflows")))?;
            let Some(unit) = self.duration_unit() else {
                return Err(self.err(start, "invalid duration unit"));
            };
            parts.push(DurationPart { magnitude, unit });
            match self.peek(0) {
                Some(c) if c.is_ascii_digit() => digits = self.digits(),
                Some(c) if is_ident_continue(c) => {
                    return Err(self.err(start, "invalid duration unit"));
                }
                _ => return Ok(TokenKind::Duration(parts)),
            }
        }
    }

    fn fixed_digits(&mut self, n: usize, start: Pos) -> Result<u32, PlanError> {
        let mut v = 0u32;
        for _ in 0..n {
            match self.peek(0).and_then(|c| c.to_digit(10)) {
                Some(d) => {
                    v = v * 10 + d;
                    self.bump();
                }
                None => return Err(self.err(start, "invalid date-time literal")),
            }
        }
        Ok(v)
    }

    fn expect_char(&mut self, c: char, start: Pos) -> Result<(), PlanError> {
        if self.peek(0) == Some(c) {
            self.bump();
            Ok(())
        } else {
            Err(self.err(start, "invalid date-time literal"))
        }
    }

    fn date_time(&mut self, start: Pos) -> Result<TokenKind, PlanError> {
        let year = self.fixed_digits(4, start)?;
        self.expect_char('-', start)?;
        let month = self.fixed_digits(2, start)?;
        self.expect_char('-', start)?;
        let day = self.fixed_digits(2, start)?;
        let (mut h, mut mi, mut s, mut nanos, mut offset_secs) = (0, 0, 0, 0i64, 0i64);
        if self.peek(0) == Some('T') {
            self.bump();
            h = self.fixed_digits(2, start)?;
            self.expect_char(':', start)?;
            mi = self.fixed_digits(2, start)?;
            self.expect_char(':', start)?;
            s = self.fixed_digits(2, start)?;
            if self.peek(0) == Some('.') {
                self.bump();
                let frac = self.digits();
                if frac.is_empty() || frac.len() > 9 {
                    return Err(self.err(start, "invalid date-time literal"));
                }
                let padded = format!("{frac:0<9}");
                nanos = padded
                    .parse::<i64>()
                    .map_err(|_| self.err(start, "invalid date-time literal"))?;
            }
            match self.peek(0) {
                Some('Z') => {
                    self.bump();
                }
                Some(sign @ ('+' | '-')) => {
                    self.bump();
                    let oh = self.fixed_digits(2, start)?;
                    self.expect_char(':', start)?;
                    let om = self.fixed_digits(2, start)?;
                    let secs = i64::from(oh) * 3600 + i64::from(om) * 60;
                    offset_secs = if sign == '+' { secs } else { -secs };
                }
                _ => return Err(self.err(start, "invalid date-time literal: missing time zone")),
            }
        }
        if self.peek(0).is_some_and(is_ident_continue) {
            return Err(self.err(start, "invalid date-time literal"));
        }
        let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)
            .and_then(|d| d.and_hms_opt(h, mi, s))
            .ok_or_else(|| self.err(start, "invalid date-time literal"))?;
        let secs = date.and_utc().timestamp() - offset_secs;
        secs.checked_mul(1_000_000_000)
            .and_then(|ns| ns.checked_add(nanos))
            .map(TokenKind::DateTime)
            .ok_or_else(|| self.err(start, "date-time literal out of range"))
    }

    fn string(&mut self, start: Pos) -> Result<TokenKind, PlanError> {
        self.bump();
        let mut s = String::new();
        let mut parts: Vec<InterpPart> = Vec::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(self.err(start, "unterminated string literal"));
            };
            match c {
                '"' => {
                    if parts.is_empty() {
                        return Ok(TokenKind::Str(s));
                    }
                    parts.push(InterpPart::Text(s));
                    return Ok(TokenKind::StrInterp(parts));
                }
                '\\' => {
                    let esc = self.bump();
                    match esc {
                        Some('n') => s.push('\n'),
                        Some('r') => s.push('\r'),
                        Some('t') => s.push('\t'),
                        Some('\\') => s.push('\\'),
                        Some('"') => s.push('"'),
                        Some('$') => s.push('$'),
                        _ => {
                            return Err(self.err(start, "invalid escape sequence in string literal"))
                        }
                    }
                }
                '$' if self.peek(0) == Some('{') => {
                    self.bump();
                    parts.push(InterpPart::Text(std::mem::take(&mut s)));
                    let tokens = self.interpolation(start)?;
                    parts.push(InterpPart::Expr(tokens));
                }
                c => s.push(c),
            }
        }
    }

    /// After `${`: the tokens up to the matching `}` (consumed), ending with `Eof`.
    fn interpolation(&mut self, start: Pos) -> Result<Vec<Token>, PlanError> {
        if self.interp_depth >= MAX_INTERP_DEPTH {
            return Err(self.err(start, "string interpolation nested too deeply"));
        }
        self.interp_depth += 1;
        let mut out: Vec<Token> = Vec::new();
        let mut braces = 0usize;
        let r = loop {
            self.skip_trivia();
            let tstart = self.pos();
            let Some(c) = self.peek(0) else {
                break Err(self.err(start, "unterminated string interpolation"));
            };
            if c == '}' && braces == 0 {
                self.bump();
                out.push(Token {
                    kind: TokenKind::Eof,
                    span: Span {
                        start: tstart,
                        end: tstart,
                    },
                });
                break Ok(out);
            }
            let regex_ok = out.last().is_none_or(|t| !t.kind.ends_operand());
            let kind = match self.token(c, regex_ok, tstart) {
                Ok(k) => k,
                Err(e) => break Err(e),
            };
            match kind {
                TokenKind::LBrace => braces += 1,
                TokenKind::RBrace => braces = braces.saturating_sub(1),
                _ => {}
            }
            out.push(Token {
                kind,
                span: Span {
                    start: tstart,
                    end: self.pos(),
                },
            });
        };
        self.interp_depth -= 1;
        r
    }

    fn regex(&mut self, start: Pos) -> Result<TokenKind, PlanError> {
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return Err(self.err(start, "unterminated regex literal")),
                Some('/') => return Ok(TokenKind::Regex(s)),
                Some('\\') if self.peek(0) == Some('/') => {
                    self.bump();
                    s.push('/');
                }
                Some('\\') => {
                    s.push('\\');
                    if let Some(c) = self.bump() {
                        s.push(c);
                    }
                }
                Some(c) => s.push(c),
            }
        }
    }
}
