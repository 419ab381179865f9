//! Recursive-descent parser: [`Token`]s to an [`ast::File`](super::ast::File).
//!
//! Grammar (after the Flux SPEC), lowest precedence first:
//!
//! ```text
//! File        = [ "package" ident ] { "import" [ ident ] string } { Statement }
//! Statement   = "option" ident [ "." ident ] "=" Expr | "return" Expr
//!             | "testcase" ident [ "extends" string ] Block | ident "=" Expr | Expr
//! Expr        = "if" Expr "then" Expr "else" Expr | Or
//! Or          = And { "or" And }
//! And         = Not { "and" Not }
//! Not         = ( "not" | "exists" ) Not | Compare
//! Compare     = Additive { ( "==" | "!=" | "<" | "<=" | ">" | ">=" | "=~" | "!~" ) Additive }
//! Additive    = Mult { ( "+" | "-" ) Mult }
//! Mult        = Pipe { ( "*" | "/" | "%" | "^" ) Pipe }
//! Pipe        = Unary { "|>" Postfix }          // the right side must be a call
//! Unary       = ( "+" | "-" ) Unary | Postfix
//! Postfix     = Primary { "." ident | "[" Expr "]" | "(" Args ")" }
//! Primary     = ident | literal | "[" Exprs "]" | "{" Record "}" | Function | "(" Expr ")"
//! Function    = "(" Params ")" "=>" ( Expr | Block )
//! ```
//!
//! Invariants: the parser never panics on any input; nesting deeper than [`MAX_DEPTH`] is an
//! error rather than a stack overflow; every error carries the span of the offending token.

use super::ast::*;
use super::lexer::{InterpPart, Token, TokenKind};
use crate::query::plan::PlanError;

/// Maximum expression nesting depth.
pub const MAX_DEPTH: usize = 64;

/// Parses a token stream (as produced by [`tokenize`](super::lexer::tokenize)).
pub fn parse(tokens: &[Token]) -> Result<File, PlanError> {
    let mut p = Parser {
        tokens,
        i: 0,
        depth: 0,
    };
    p.file()
}

struct Parser<'a> {
    tokens: &'a [Token],
    i: usize,
    depth: usize,
}

const EOF_TOKEN: Token = Token {
    kind: TokenKind::Eof,
    span: Span {
        start: Pos { line: 0, column: 0 },
        end: Pos { line: 0, column: 0 },
    },
};

impl<'a> Parser<'a> {
    fn tok(&self, k: usize) -> &'a Token {
        let tokens: &'a [Token] = self.tokens;
        tokens
            .get(self.i + k)
            .or_else(|| tokens.last())
            .unwrap_or(&EOF_TOKEN)
    }

    fn kind(&self, k: usize) -> &'a TokenKind {
        &self.tok(k).kind
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.kind(0) == kind
    }

    fn bump(&mut self) -> &'a Token {
        let t = self.tok(0);
        if self.i < self.tokens.len() {
            self.i += 1;
        }
        t
    }

    fn unexpected(&self, what: &str) -> PlanError {
        let t = self.tok(0);
        PlanError::new(
            t.span,
            format!("expected {what}, got {}", t.kind.describe()),
        )
    }

    fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<Span, PlanError> {
        if self.at(kind) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(what))
        }
    }

    fn ident(&mut self) -> Result<Ident, PlanError> {
        match self.kind(0) {
            TokenKind::Ident(name) => {
                let span = self.bump().span;
                Ok(Ident {
                    name: name.clone(),
                    span,
                })
            }
            _ => Err(self.unexpected("identifier")),
        }
    }

    fn is_ident(&self, k: usize, name: &str) -> bool {
        matches!(self.kind(k), TokenKind::Ident(n) if n == name)
    }

    fn file(&mut self) -> Result<File, PlanError> {
        let mut file = File::default();
        self.attributes()?;
        if self.at(&TokenKind::Package) {
            self.bump();
            file.package = Some(self.ident()?);
        }
        loop {
            self.attributes()?;
            if !self.at(&TokenKind::Import) {
                break;
            }
            let start = self.bump().span;
            let alias = match self.kind(0) {
                TokenKind::Ident(_) => Some(self.ident()?),
                _ => None,
            };
            let TokenKind::Str(path) = self.kind(0) else {
                return Err(self.unexpected("import path string"));
            };
            let end = self.bump().span;
            file.imports.push(Import {
                alias,
                path: path.clone(),
                span: start.to(end),
            });
        }
        while !self.at(&TokenKind::Eof) {
            file.body.push(self.statement()?);
        }
        Ok(file)
    }

    /// Skips `@name(args)` attributes (e.g. `@edition("2022.1")`).
    fn attributes(&mut self) -> Result<(), PlanError> {
        while self.at(&TokenKind::At) {
            self.bump();
            self.ident()?;
            if self.at(&TokenKind::LParen) {
                self.bump();
                self.arguments()?;
            }
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<Statement, PlanError> {
        self.attributes()?;
        let start = self.tok(0).span;
        match self.kind(0) {
            TokenKind::Option => {
                self.bump();
                let first = self.ident()?;
                let (package, id) = if self.at(&TokenKind::Dot) {
                    self.bump();
                    (Some(first), self.ident()?)
                } else {
                    (None, first)
                };
                self.expect(&TokenKind::Assign, "=")?;
                let init = self.expr()?;
                let span = start.to(init.span);
                Ok(Statement::Option {
                    package,
                    id,
                    init,
                    span,
                })
            }
            TokenKind::Return => {
                self.bump();
                let e = self.expr()?;
                let span = start.to(e.span);
                Ok(Statement::Return(e, span))
            }
            TokenKind::Builtin => Err(PlanError::new(
                start,
                "builtin statements are not supported",
            )),
            TokenKind::Ident(name)
                if name == "testcase" && matches!(self.kind(1), TokenKind::Ident(_)) =>
            {
                self.bump();
                let id = self.ident()?;
                let mut extends = None;
                if self.is_ident(0, "extends") {
                    self.bump();
                    let TokenKind::Str(path) = self.kind(0) else {
                        return Err(self.unexpected("string"));
                    };
                    extends = Some(path.clone());
                    self.bump();
                }
                let (body, end) = self.block()?;
                Ok(Statement::TestCase {
                    id,
                    extends,
                    body,
                    span: start.to(end),
                })
            }
            TokenKind::Ident(_) if self.kind(1) == &TokenKind::Assign => {
                let id = self.ident()?;
                self.bump();
                let init = self.expr()?;
                let span = start.to(init.span);
                Ok(Statement::Variable { id, init, span })
            }
            _ => Ok(Statement::Expr(self.expr()?)),
        }
    }

    /// `{ statements }`; returns the statements and the span of `}`.
    fn block(&mut self) -> Result<(Vec<Statement>, Span), PlanError> {
        self.expect(&TokenKind::LBrace, "{")?;
        let mut body = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            if self.at(&TokenKind::Eof) {
                return Err(self.unexpected("}"));
            }
            body.push(self.statement()?);
        }
        let end = self.bump().span;
        Ok((body, end))
    }

    fn enter(&mut self) -> Result<(), PlanError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PlanError::new(
                self.tok(0).span,
                "expression nested too deeply",
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, PlanError> {
        self.enter()?;
        let r = self.conditional();
        self.depth -= 1;
        r
    }

    fn conditional(&mut self) -> Result<Expr, PlanError> {
        if !self.at(&TokenKind::If) {
            return self.or();
        }
        let start = self.bump().span;
        let test = self.expr()?;
        self.expect(&TokenKind::Then, "then")?;
        let consequent = self.expr()?;
        self.expect(&TokenKind::Else, "else")?;
        let alternate = self.expr()?;
        let span = start.to(alternate.span);
        Ok(Expr {
            kind: ExprKind::Conditional {
                test: Box::new(test),
                consequent: Box::new(consequent),
                alternate: Box::new(alternate),
            },
            span,
        })
    }

    fn logical(left: Expr, op: LogicalOp, right: Expr) -> Expr {
        let span = left.span.to(right.span);
        Expr {
            kind: ExprKind::Logical {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        }
    }

    fn binary(left: Expr, op: BinaryOp, right: Expr) -> Expr {
        let span = left.span.to(right.span);
        Expr {
            kind: ExprKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        }
    }

    fn or(&mut self) -> Result<Expr, PlanError> {
        let mut left = self.and()?;
        while self.at(&TokenKind::Or) {
            self.bump();
            let right = self.and()?;
            left = Self::logical(left, LogicalOp::Or, right);
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, PlanError> {
        let mut left = self.not()?;
        while self.at(&TokenKind::And) {
            self.bump();
            let right = self.not()?;
            left = Self::logical(left, LogicalOp::And, right);
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, PlanError> {
        let op = match self.kind(0) {
            TokenKind::Not => UnaryOp::Not,
            TokenKind::Exists => UnaryOp::Exists,
            _ => return self.compare(),
        };
        self.prefix_unary(op, Self::not)
    }

    /// Parses a prefix operator (already matched as `op`) and its operand with `operand`.
    fn prefix_unary(
        &mut self,
        op: UnaryOp,
        operand: fn(&mut Self) -> Result<Expr, PlanError>,
    ) -> Result<Expr, PlanError> {
        let start = self.bump().span;
        self.enter()?;
        let arg = operand(self);
        self.depth -= 1;
        let arg = arg?;
        let span = start.to(arg.span);
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                arg: Box::new(arg),
            },
            span,
        })
    }

    fn compare(&mut self) -> Result<Expr, PlanError> {
        let mut left = self.additive()?;
        loop {
            let op = match self.kind(0) {
                TokenKind::EqEq => BinaryOp::Eq,
                TokenKind::NotEq => BinaryOp::Neq,
                TokenKind::Lt => BinaryOp::Lt,
                TokenKind::Lte => BinaryOp::Lte,
                TokenKind::Gt => BinaryOp::Gt,
                TokenKind::Gte => BinaryOp::Gte,
                TokenKind::RegexEq => BinaryOp::RegexMatch,
                TokenKind::RegexNeq => BinaryOp::RegexNotMatch,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.additive()?;
            left = Self::binary(left, op, right);
        }
    }

    fn additive(&mut self) -> Result<Expr, PlanError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.kind(0) {
                TokenKind::Plus => BinaryOp::Add,
                TokenKind::Minus => BinaryOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.multiplicative()?;
            left = Self::binary(left, op, right);
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, PlanError> {
        let mut left = self.pipe()?;
        loop {
            let op = match self.kind(0) {
                TokenKind::Star => BinaryOp::Mul,
                TokenKind::Slash => BinaryOp::Div,
                TokenKind::Percent => BinaryOp::Mod,
                TokenKind::Caret => BinaryOp::Pow,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.pipe()?;
            left = Self::binary(left, op, right);
        }
    }

    fn pipe(&mut self) -> Result<Expr, PlanError> {
        let mut left = self.unary()?;
        while self.at(&TokenKind::PipeForward) {
            self.bump();
            let call = self.postfix()?;
            if !matches!(call.kind, ExprKind::Call { .. }) {
                return Err(PlanError::new(
                    call.span,
                    "pipe destination must be a function call",
                ));
            }
            let span = left.span.to(call.span);
            left = Expr {
                kind: ExprKind::Pipe {
                    arg: Box::new(left),
                    call: Box::new(call),
                },
                span,
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, PlanError> {
        let op = match self.kind(0) {
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Plus => UnaryOp::Plus,
            _ => return self.postfix(),
        };
        self.prefix_unary(op, Self::unary)
    }

    fn postfix(&mut self) -> Result<Expr, PlanError> {
        let mut e = self.primary()?;
        loop {
            match self.kind(0) {
                TokenKind::Dot => {
                    self.bump();
                    let property = self.ident()?;
                    let span = e.span.to(property.span);
                    e = Expr {
                        kind: ExprKind::Member {
                            object: Box::new(e),
                            property,
                        },
                        span,
                    };
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.expr()?;
                    let end = self.expect(&TokenKind::RBracket, "]")?;
                    let span = e.span.to(end);
                    e = match index.kind {
                        ExprKind::String(name) => Expr {
                            kind: ExprKind::Member {
                                object: Box::new(e),
                                property: Ident {
                                    name,
                                    span: index.span,
                                },
                            },
                            span,
                        },
                        _ => Expr {
                            kind: ExprKind::Index {
                                object: Box::new(e),
                                index: Box::new(index),
                            },
                            span,
                        },
                    };
                }
                TokenKind::LParen => {
                    self.bump();
                    let (args, end) = self.arguments()?;
                    let span = e.span.to(end);
                    e = Expr {
                        kind: ExprKind::Call {
                            callee: Box::new(e),
                            args,
                        },
                        span,
                    };
                }
                _ => return Ok(e),
            }
        }
    }

    /// After `(`: `key: value, key, ...` then `)`. Returns the properties and the `)` span.
    fn arguments(&mut self) -> Result<(Vec<Property>, Span), PlanError> {
        let mut args = Vec::new();
        while !self.at(&TokenKind::RParen) {
            args.push(self.property()?);
            if !self.at(&TokenKind::Comma) {
                break;
            }
            self.bump();
        }
        let end = self.expect(&TokenKind::RParen, ")")?;
        Ok((args, end))
    }

    fn property(&mut self) -> Result<Property, PlanError> {
        let key = match self.kind(0) {
            TokenKind::Ident(_) => self.ident()?,
            TokenKind::Str(s) => {
                let span = self.bump().span;
                Ident {
                    name: s.clone(),
                    span,
                }
            }
            _ => return Err(self.unexpected("property key")),
        };
        if self.at(&TokenKind::Colon) {
            self.bump();
            let value = self.expr()?;
            let span = key.span.to(value.span);
            Ok(Property {
                key,
                value: Some(value),
                span,
            })
        } else {
            let span = key.span;
            Ok(Property {
                key,
                value: None,
                span,
            })
        }
    }

    fn looks_like_function(&self) -> bool {
        // At `(`.
        match (self.kind(1), self.kind(2)) {
            (TokenKind::RParen, _) => true,
            (TokenKind::Ident(_), TokenKind::Comma | TokenKind::Assign) => true,
            (TokenKind::Ident(_), TokenKind::RParen) => self.kind(3) == &TokenKind::Arrow,
            _ => false,
        }
    }

    fn primary(&mut self) -> Result<Expr, PlanError> {
        let t = self.tok(0);
        let literal = |kind: ExprKind| Expr { kind, span: t.span };
        let e = match &t.kind {
            TokenKind::Ident(name) => literal(ExprKind::Ident(name.clone())),
            TokenKind::Int(v) => literal(ExprKind::Integer(*v)),
            TokenKind::Float(v) => literal(ExprKind::Float(*v)),
            TokenKind::Str(s) => literal(ExprKind::String(s.clone())),
            TokenKind::StrInterp(parts) => {
                let mut out = Vec::with_capacity(parts.len());
                for part in parts {
                    match part {
                        InterpPart::Text(text) if text.is_empty() => {}
                        InterpPart::Text(text) => out.push(StringPart::Text(text.clone())),
                        InterpPart::Expr(tokens) => {
                            let mut sub = Parser {
                                tokens,
                                i: 0,
                                depth: self.depth,
                            };
                            let e = sub.expr()?;
                            if !sub.at(&TokenKind::Eof) {
                                return Err(sub.unexpected("}"));
                            }
                            out.push(StringPart::Expr(e));
                        }
                    }
                }
                literal(ExprKind::StringExpr(out))
            }
            TokenKind::Regex(s) => literal(ExprKind::Regex(s.clone())),
            TokenKind::Duration(d) => literal(ExprKind::Duration(d.clone())),
            TokenKind::DateTime(ns) => literal(ExprKind::DateTime(*ns)),
            TokenKind::LBracket => return self.array(),
            TokenKind::LBrace => return self.record(),
            TokenKind::LParen if self.looks_like_function() => return self.function(),
            TokenKind::LParen => {
                let start = self.bump().span;
                let mut inner = self.expr()?;
                let end = self.expect(&TokenKind::RParen, ")")?;
                inner.span = start.to(end);
                return Ok(inner);
            }
            _ => return Err(self.unexpected("expression")),
        };
        self.bump();
        Ok(e)
    }

    fn array(&mut self) -> Result<Expr, PlanError> {
        let start = self.bump().span;
        // `[:]` is the empty dictionary.
        if self.at(&TokenKind::Colon) && self.kind(1) == &TokenKind::RBracket {
            self.bump();
            let end = self.bump().span;
            return Ok(Expr {
                kind: ExprKind::Dict(Vec::new()),
                span: start.to(end),
            });
        }
        let mut items = Vec::new();
        let mut entries = Vec::new();
        while !self.at(&TokenKind::RBracket) {
            let item = self.expr()?;
            if self.at(&TokenKind::Colon) && items.is_empty() {
                self.bump();
                let value = self.expr()?;
                entries.push((item, value));
            } else if entries.is_empty() {
                items.push(item);
            } else {
                return Err(self.unexpected(":"));
            }
            if !self.at(&TokenKind::Comma) {
                break;
            }
            self.bump();
        }
        if !entries.is_empty() {
            let end = self.expect(&TokenKind::RBracket, "]")?;
            return Ok(Expr {
                kind: ExprKind::Dict(entries),
                span: start.to(end),
            });
        }
        let end = self.expect(&TokenKind::RBracket, "]")?;
        Ok(Expr {
            kind: ExprKind::Array(items),
            span: start.to(end),
        })
    }

    fn record(&mut self) -> Result<Expr, PlanError> {
        let start = self.bump().span;
        let mut with = None;
        if matches!(self.kind(0), TokenKind::Ident(_)) && self.is_ident(1, "with") {
            let id = self.ident()?;
            self.bump();
            with = Some(Box::new(Expr {
                kind: ExprKind::Ident(id.name),
                span: id.span,
            }));
        }
        let mut properties = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            properties.push(self.property()?);
            if !self.at(&TokenKind::Comma) {
                break;
            }
            self.bump();
        }
        let end = self.expect(&TokenKind::RBrace, "}")?;
        Ok(Expr {
            kind: ExprKind::Record { with, properties },
            span: start.to(end),
        })
    }

    fn function(&mut self) -> Result<Expr, PlanError> {
        let start = self.bump().span;
        let mut params = Vec::new();
        while !self.at(&TokenKind::RParen) {
            let key = self.ident()?;
            let mut default = None;
            let mut pipe = false;
            if self.at(&TokenKind::Assign) {
                self.bump();
                if self.at(&TokenKind::PipeReceive) {
                    self.bump();
                    pipe = true;
                } else {
                    default = Some(self.expr()?);
                }
            }
            params.push(Param { key, default, pipe });
            if !self.at(&TokenKind::Comma) {
                break;
            }
            self.bump();
        }
        self.expect(&TokenKind::RParen, ")")?;
        self.expect(&TokenKind::Arrow, "=>")?;
        let (body, end) = if self.at(&TokenKind::LBrace) {
            let (stmts, end) = self.block()?;
            (FunctionBody::Block(stmts), end)
        } else {
            let e = self.expr()?;
            let end = e.span;
            (FunctionBody::Expr(Box::new(e)), end)
        };
        Ok(Expr {
            kind: ExprKind::Function { params, body },
            span: start.to(end),
        })
    }
}
