//! The parsed AST as JSON in Flux's own shape (`POST /api/v2/query/ast`).
//!
//! Flux (and InfluxDB 2.7) answer with a `Package` whose nodes carry a `type` and a `location`
//! (`start`/`end` line and column, plus the `source` text of the node). Field names follow the
//! Go `ast` package's JSON tags: e.g. `CallExpression.arguments` (one `ObjectExpression`, absent
//! when the call has no arguments), `IntegerLiteral.value` as a decimal *string*,
//! `DurationLiteral.values` as `{magnitude, unit}` pairs, `File.metadata = "parser-type=rust"`,
//! empty `imports` and a missing `package` clause as `null`.
//!
//! Invariants:
//! - Pure function of the AST and the source text; never panics, whatever spans it is handed
//!   (out-of-range positions clamp to the text).
//! - Parentheses have no node of their own (the parser keeps none), so no `ParenExpression`
//!   appears; otherwise every AST node maps to exactly one JSON node.

use serde_json::{json, Map, Value as Json};

use super::ast::{
    BinaryOp, DurationUnit, Expr, ExprKind, File, FunctionBody, Ident, Import, LogicalOp, Param,
    Property, Span, Statement, StringPart, UnaryOp,
};

/// Byte offsets of line starts, to cut a span's `source` text out of the query.
struct Source<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source { text, line_starts }
    }

    /// Byte offset of a 1-based (line, column in characters), clamped to the text.
    fn offset(&self, line: u32, column: u32) -> usize {
        let Some(&start) = self.line_starts.get((line.max(1) - 1) as usize) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let skip = column.max(1) as usize - 1;
        start + rest.char_indices().nth(skip).map_or(rest.len(), |(i, _)| i)
    }

    fn location(&self, span: Span) -> Json {
        let a = self.offset(span.start.line, span.start.column);
        let b = self.offset(span.end.line, span.end.column).max(a);
        json!({
            "start": {"line": span.start.line, "column": span.start.column},
            "end": {"line": span.end.line, "column": span.end.column},
            "source": &self.text[a..b],
        })
    }

    fn node(&self, ty: &str, span: Span, fields: Vec<(&str, Json)>) -> Json {
        let mut m = Map::new();
        m.insert("type".into(), Json::from(ty));
        m.insert("location".into(), self.location(span));
        for (k, v) in fields {
            m.insert(k.into(), v);
        }
        Json::Object(m)
    }
}

/// The AST of `file` (parsed from `text`) as Flux's JSON `Package`.
pub fn package_json(file: &File, text: &str) -> Json {
    let src = Source::new(text);
    let whole = Span {
        start: super::ast::Pos { line: 1, column: 1 },
        end: end_of(text),
    };
    let package = file.package.as_ref().map_or(Json::Null, |id| {
        src.node("PackageClause", id.span, vec![("name", ident(&src, id))])
    });
    let imports = if file.imports.is_empty() {
        Json::Null
    } else {
        Json::Array(file.imports.iter().map(|i| import(&src, i)).collect())
    };
    let body: Vec<Json> = file.body.iter().map(|s| statement(&src, s)).collect();
    let file_node = src.node(
        "File",
        whole,
        vec![
            ("metadata", Json::from("parser-type=rust")),
            ("package", package),
            ("imports", imports),
            ("body", Json::Array(body)),
        ],
    );
    json!({
        "type": "Package",
        "package": file.package.as_ref().map_or("main", |p| p.name.as_str()),
        "files": [file_node],
    })
}

/// The position just past the end of `text`.
fn end_of(text: &str) -> super::ast::Pos {
    let line = text.matches('\n').count() as u32 + 1;
    let last = text.rsplit('\n').next().unwrap_or("");
    super::ast::Pos {
        line,
        column: last.chars().count() as u32 + 1,
    }
}

fn ident(src: &Source, id: &Ident) -> Json {
    src.node(
        "Identifier",
        id.span,
        vec![("name", Json::from(id.name.as_str()))],
    )
}

fn import(src: &Source, i: &Import) -> Json {
    let mut fields = Vec::new();
    if let Some(alias) = &i.alias {
        fields.push(("as", ident(src, alias)));
    }
    fields.push((
        "path",
        src.node(
            "StringLiteral",
            i.span,
            vec![("value", Json::from(i.path.as_str()))],
        ),
    ));
    src.node("ImportDeclaration", i.span, fields)
}

fn statement(src: &Source, s: &Statement) -> Json {
    match s {
        Statement::Expr(e) => src.node(
            "ExpressionStatement",
            e.span,
            vec![("expression", expr(src, e))],
        ),
        Statement::Variable { id, init, span } => variable(src, id, init, *span),
        Statement::Option {
            package,
            id,
            init,
            span,
        } => {
            let assignment = match package {
                None => variable(src, id, init, *span),
                Some(pkg) => {
                    let member = src.node(
                        "MemberExpression",
                        pkg.span.to(id.span),
                        vec![("object", ident(src, pkg)), ("property", ident(src, id))],
                    );
                    src.node(
                        "MemberAssignment",
                        *span,
                        vec![("member", member), ("init", expr(src, init))],
                    )
                }
            };
            src.node("OptionStatement", *span, vec![("assignment", assignment)])
        }
        Statement::Return(e, span) => {
            src.node("ReturnStatement", *span, vec![("argument", expr(src, e))])
        }
        Statement::TestCase {
            id,
            extends,
            body,
            span,
        } => {
            let mut fields = vec![("id", ident(src, id))];
            if let Some(path) = extends {
                fields.push(("extends", json!({"type": "StringLiteral", "value": path})));
            }
            fields.push(("block", block(src, body, *span)));
            src.node("TestCaseStatement", *span, fields)
        }
    }
}

fn variable(src: &Source, id: &Ident, init: &Expr, span: Span) -> Json {
    src.node(
        "VariableAssignment",
        span,
        vec![("id", ident(src, id)), ("init", expr(src, init))],
    )
}

fn block(src: &Source, body: &[Statement], span: Span) -> Json {
    let body: Vec<Json> = body.iter().map(|s| statement(src, s)).collect();
    src.node("Block", span, vec![("body", Json::Array(body))])
}

fn property(src: &Source, p: &Property) -> Json {
    let value = p.value.as_ref().map_or(Json::Null, |v| expr(src, v));
    src.node(
        "Property",
        p.span,
        vec![("key", ident(src, &p.key)), ("value", value)],
    )
}

fn param(src: &Source, p: &Param) -> Json {
    let span = p
        .default
        .as_ref()
        .map_or(p.key.span, |d| p.key.span.to(d.span));
    let value = if p.pipe {
        json!({"type": "PipeLiteral"})
    } else {
        p.default.as_ref().map_or(Json::Null, |d| expr(src, d))
    };
    src.node(
        "Property",
        span,
        vec![("key", ident(src, &p.key)), ("value", value)],
    )
}

fn binary_op(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Pow => "^",
        BinaryOp::Eq => "==",
        BinaryOp::Neq => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::Lte => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Gte => ">=",
        BinaryOp::RegexMatch => "=~",
        BinaryOp::RegexNotMatch => "!~",
    }
}

fn unit_name(u: DurationUnit) -> &'static str {
    match u {
        DurationUnit::Year => "y",
        DurationUnit::Month => "mo",
        DurationUnit::Week => "w",
        DurationUnit::Day => "d",
        DurationUnit::Hour => "h",
        DurationUnit::Minute => "m",
        DurationUnit::Second => "s",
        DurationUnit::Milli => "ms",
        DurationUnit::Micro => "us",
        DurationUnit::Nano => "ns",
    }
}

fn expr(src: &Source, e: &Expr) -> Json {
    let span = e.span;
    match &e.kind {
        ExprKind::Ident(name) => src.node(
            "Identifier",
            span,
            vec![("name", Json::from(name.as_str()))],
        ),
        ExprKind::Integer(v) => src.node(
            "IntegerLiteral",
            span,
            vec![("value", Json::from(v.to_string()))],
        ),
        ExprKind::Float(v) => src.node("FloatLiteral", span, vec![("value", json!(v))]),
        ExprKind::String(s) => src.node(
            "StringLiteral",
            span,
            vec![("value", Json::from(s.as_str()))],
        ),
        ExprKind::StringExpr(parts) => {
            let parts: Vec<Json> = parts
                .iter()
                .map(|p| match p {
                    StringPart::Text(t) => json!({"type": "TextPart", "value": t}),
                    StringPart::Expr(e) => {
                        json!({"type": "InterpolatedPart", "expression": expr(src, e)})
                    }
                })
                .collect();
            src.node(
                "StringExpression",
                span,
                vec![("parts", Json::Array(parts))],
            )
        }
        ExprKind::Dict(items) => {
            let elements: Vec<Json> = items
                .iter()
                .map(|(k, v)| json!({"type": "DictItem", "key": expr(src, k), "val": expr(src, v)}))
                .collect();
            src.node(
                "DictExpression",
                span,
                vec![("elements", Json::Array(elements))],
            )
        }
        ExprKind::Regex(r) => src.node(
            "RegexpLiteral",
            span,
            vec![("value", Json::from(r.as_str()))],
        ),
        ExprKind::Duration(parts) => {
            let values: Vec<Json> = parts
                .iter()
                .map(|p| json!({"magnitude": p.magnitude, "unit": unit_name(p.unit)}))
                .collect();
            src.node(
                "DurationLiteral",
                span,
                vec![("values", Json::Array(values))],
            )
        }
        ExprKind::DateTime(ns) => {
            let t = chrono::DateTime::from_timestamp_nanos(*ns)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            src.node("DateTimeLiteral", span, vec![("value", Json::from(t))])
        }
        ExprKind::Array(items) => src.node(
            "ArrayExpression",
            span,
            vec![(
                "elements",
                Json::Array(items.iter().map(|i| expr(src, i)).collect()),
            )],
        ),
        ExprKind::Record { with, properties } => {
            let mut fields = Vec::new();
            if let Some(w) = with {
                fields.push(("with", expr(src, w)));
            }
            fields.push((
                "properties",
                Json::Array(properties.iter().map(|p| property(src, p)).collect()),
            ));
            src.node("ObjectExpression", span, fields)
        }
        ExprKind::Function { params, body } => {
            let params = Json::Array(params.iter().map(|p| param(src, p)).collect());
            let body = match body {
                FunctionBody::Expr(b) => expr(src, b),
                FunctionBody::Block(stmts) => {
                    let bspan = stmts.first().map_or(span, |f| {
                        f.span().to(stmts.last().map_or(f.span(), Statement::span))
                    });
                    block(src, stmts, bspan)
                }
            };
            src.node(
                "FunctionExpression",
                span,
                vec![("params", params), ("body", body)],
            )
        }
        ExprKind::Call { callee, args } => {
            let mut fields = vec![("callee", expr(src, callee))];
            if let (Some(first), Some(last)) = (args.first(), args.last()) {
                let obj = src.node(
                    "ObjectExpression",
                    first.span.to(last.span),
                    vec![(
                        "properties",
                        Json::Array(args.iter().map(|p| property(src, p)).collect()),
                    )],
                );
                fields.push(("arguments", Json::Array(vec![obj])));
            }
            src.node("CallExpression", span, fields)
        }
        ExprKind::Pipe { arg, call } => src.node(
            "PipeExpression",
            span,
            vec![("argument", expr(src, arg)), ("call", expr(src, call))],
        ),
        ExprKind::Member { object, property } => src.node(
            "MemberExpression",
            span,
            vec![
                ("object", expr(src, object)),
                ("property", ident(src, property)),
            ],
        ),
        ExprKind::Index { object, index } => src.node(
            "IndexExpression",
            span,
            vec![("array", expr(src, object)), ("index", expr(src, index))],
        ),
        ExprKind::Unary { op, arg } => {
            let op = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Plus => "+",
                UnaryOp::Not => "not",
                UnaryOp::Exists => "exists",
            };
            src.node(
                "UnaryExpression",
                span,
                vec![("operator", Json::from(op)), ("argument", expr(src, arg))],
            )
        }
        ExprKind::Binary { op, left, right } => src.node(
            "BinaryExpression",
            span,
            vec![
                ("operator", Json::from(binary_op(*op))),
                ("left", expr(src, left)),
                ("right", expr(src, right)),
            ],
        ),
        ExprKind::Logical { op, left, right } => {
            let op = match op {
                LogicalOp::And => "and",
                LogicalOp::Or => "or",
            };
            src.node(
                "LogicalExpression",
                span,
                vec![
                    ("operator", Json::from(op)),
                    ("left", expr(src, left)),
                    ("right", expr(src, right)),
                ],
            )
        }
        ExprKind::Conditional {
            test,
            consequent,
            alternate,
        } => src.node(
            "ConditionalExpression",
            span,
            vec![
                ("test", expr(src, test)),
                ("consequent", expr(src, consequent)),
                ("alternate", expr(src, alternate)),
            ],
        ),
    }
}

/// The `option` statements of a JSON `extern` file (`Query.extern`, as the client libraries
/// send query parameters: one `option <name> = <literal>` per parameter), as AST statements to
/// run before the query. Literals, arrays, records, identifiers and negation are accepted;
/// other statements (e.g. profiler options) are skipped; anything malformed is an error.
pub fn extern_statements(file: &Json) -> Result<Vec<Statement>, String> {
    let mut out = Vec::new();
    let body = match file.get("body") {
        None | Some(Json::Null) => return Ok(out),
        Some(Json::Array(b)) => b,
        Some(_) => return Err("extern: body must be an array".into()),
    };
    for st in body {
        if st.get("type").and_then(Json::as_str) != Some("OptionStatement") {
            continue;
        }
        let Some(assign) = st.get("assignment") else {
            continue;
        };
        if assign.get("type").and_then(Json::as_str) != Some("VariableAssignment") {
            continue;
        }
        let name = assign
            .get("id")
            .and_then(|i| i.get("name"))
            .and_then(Json::as_str)
            .ok_or("extern: option without a name")?;
        let init = extern_expr(
            assign.get("init").ok_or("extern: option without a value")?,
            0,
        )?;
        out.push(Statement::Option {
            package: None,
            id: Ident {
                name: name.to_string(),
                span: Span::default(),
            },
            init,
            span: Span::default(),
        });
    }
    Ok(out)
}

fn extern_expr(v: &Json, depth: usize) -> Result<Expr, String> {
    if depth > 32 {
        return Err("extern: nested too deeply".into());
    }
    let ty = v.get("type").and_then(Json::as_str).unwrap_or("");
    let kind = match ty {
        "StringLiteral" => ExprKind::String(
            v.get("value")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
        ),
        "IntegerLiteral" | "UnsignedIntegerLiteral" => {
            let n = match v.get("value") {
                Some(Json::String(s)) => s.parse::<u64>().map_err(|e| format!("extern: {e}"))?,
                Some(Json::Number(n)) => n.as_u64().ok_or("extern: bad integer")?,
                _ => return Err("extern: integer without a value".into()),
            };
            ExprKind::Integer(n)
        }
        "FloatLiteral" => ExprKind::Float(
            v.get("value")
                .and_then(Json::as_f64)
                .ok_or("extern: bad float")?,
        ),
        "BooleanLiteral" => ExprKind::Ident(
            if v.get("value").and_then(Json::as_bool).unwrap_or(false) {
                "true"
            } else {
                "false"
            }
            .into(),
        ),
        "Identifier" => ExprKind::Ident(
            v.get("name")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
        ),
        "DateTimeLiteral" => {
            let s = v.get("value").and_then(Json::as_str).unwrap_or("");
            let t = chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .and_then(|t| t.timestamp_nanos_opt())
                .ok_or_else(|| format!("extern: bad time {s:?}"))?;
            ExprKind::DateTime(t)
        }
        "DurationLiteral" => {
            let mut parts = Vec::new();
            for d in v
                .get("values")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let magnitude = d
                    .get("magnitude")
                    .and_then(Json::as_i64)
                    .ok_or("extern: bad duration")?;
                let unit = match d.get("unit").and_then(Json::as_str).unwrap_or("") {
                    "y" => DurationUnit::Year,
                    "mo" => DurationUnit::Month,
                    "w" => DurationUnit::Week,
                    "d" => DurationUnit::Day,
                    "h" => DurationUnit::Hour,
                    "m" => DurationUnit::Minute,
                    "s" => DurationUnit::Second,
                    "ms" => DurationUnit::Milli,
                    "us" | "µs" => DurationUnit::Micro,
                    "ns" => DurationUnit::Nano,
                    u => return Err(format!("extern: bad duration unit {u:?}")),
                };
                parts.push(super::ast::DurationPart { magnitude, unit });
            }
            ExprKind::Duration(parts)
        }
        "UnaryExpression" => {
            let op = match v.get("operator").and_then(Json::as_str) {
                Some("-") => UnaryOp::Neg,
                Some("not") => UnaryOp::Not,
                _ => return Err("extern: unsupported unary operator".into()),
            };
            ExprKind::Unary {
                op,
                arg: Box::new(extern_expr(
                    v.get("argument").ok_or("extern: bad unary")?,
                    depth + 1,
                )?),
            }
        }
        "ArrayExpression" => ExprKind::Array(
            v.get("elements")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .map(|e| extern_expr(e, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        "ObjectExpression" => {
            let mut properties = Vec::new();
            for p in v
                .get("properties")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let key = p
                    .get("key")
                    .and_then(|k| k.get("name").or_else(|| k.get("value")))
                    .and_then(Json::as_str)
                    .ok_or("extern: property without a key")?;
                let value = match p.get("value") {
                    Some(Json::Null) | None => None,
                    Some(x) => Some(extern_expr(x, depth + 1)?),
                };
                properties.push(Property {
                    key: Ident {
                        name: key.to_string(),
                        span: Span::default(),
                    },
                    value,
                    span: Span::default(),
                });
            }
            ExprKind::Record {
                with: None,
                properties,
            }
        }
        other => return Err(format!("extern: unsupported expression type {other:?}")),
    };
    Ok(Expr {
        kind,
        span: Span::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ast(text: &str) -> Json {
        let file = crate::query::flux::parse(text).expect("parses");
        package_json(&file, text)
    }

    #[test]
    fn contract_example_shape() {
        let text = r#"from(bucket: "example-bucket") |> range(start: -5m)"#;
        let j = ast(text);
        assert_eq!(j["type"], "Package");
        assert_eq!(j["package"], "main");
        let file = &j["files"][0];
        assert_eq!(file["type"], "File");
        assert_eq!(file["metadata"], "parser-type=rust");
        assert_eq!(file["package"], Json::Null);
        assert_eq!(file["imports"], Json::Null);
        let pipe = &file["body"][0]["expression"];
        assert_eq!(file["body"][0]["type"], "ExpressionStatement");
        assert_eq!(pipe["type"], "PipeExpression");
        let from = &pipe["argument"];
        assert_eq!(from["type"], "CallExpression");
        assert_eq!(from["callee"]["name"], "from");
        assert_eq!(
            from["location"]["source"],
            r#"from(bucket: "example-bucket")"#
        );
        assert_eq!(from["location"]["start"], json!({"line": 1, "column": 1}));
        assert_eq!(from["location"]["end"], json!({"line": 1, "column": 31}));
        let prop = &from["arguments"][0]["properties"][0];
        assert_eq!(prop["type"], "Property");
        assert_eq!(prop["key"]["name"], "bucket");
        assert_eq!(prop["value"]["type"], "StringLiteral");
        assert_eq!(prop["value"]["value"], "example-bucket");
        assert_eq!(prop["location"]["source"], r#"bucket: "example-bucket""#);
        let start = &pipe["call"]["arguments"][0]["properties"][0]["value"];
        assert_eq!(start["type"], "UnaryExpression");
        assert_eq!(start["operator"], "-");
        assert_eq!(start["argument"]["type"], "DurationLiteral");
        assert_eq!(
            start["argument"]["values"],
            json!([{"magnitude": 5, "unit": "m"}])
        );
        assert_eq!(start["location"]["source"], "-5m");
    }

    #[test]
    fn functions_literals_and_statements() {
        let text = "import \"strings\"\noption now = () => 2030-01-01T00:00:00Z\nx = 12\nf = (r, tables=<-, n=3) => r.a == \"b\" and not exists r.c\nf(r: {x with a: 1.5}, n: [1, 2])[0]\n";
        let j = ast(text);
        let file = &j["files"][0];
        assert_eq!(file["imports"][0]["path"]["value"], "strings");
        let opt = &file["body"][0];
        assert_eq!(opt["type"], "OptionStatement");
        assert_eq!(opt["assignment"]["type"], "VariableAssignment");
        assert_eq!(opt["assignment"]["init"]["body"]["type"], "DateTimeLiteral");
        assert_eq!(
            opt["assignment"]["init"]["body"]["value"],
            "2030-01-01T00:00:00Z"
        );
        assert_eq!(file["body"][1]["init"]["type"], "IntegerLiteral");
        assert_eq!(file["body"][1]["init"]["value"], "12");
        let f = &file["body"][2]["init"];
        assert_eq!(f["type"], "FunctionExpression");
        assert_eq!(f["params"][1]["value"]["type"], "PipeLiteral");
        assert_eq!(f["params"][2]["value"]["value"], "3");
        assert_eq!(f["body"]["type"], "LogicalExpression");
        assert_eq!(f["body"]["operator"], "and");
        assert_eq!(f["body"]["right"]["operator"], "not");
        let idx = &file["body"][3]["expression"];
        assert_eq!(idx["type"], "IndexExpression");
        let call = &idx["array"];
        let rec = &call["arguments"][0]["properties"][0]["value"];
        assert_eq!(rec["with"]["name"], "x");
        assert_eq!(rec["properties"][0]["value"]["type"], "FloatLiteral");
        assert_eq!(file["location"]["end"]["line"], 6);
    }

    #[test]
    fn extern_options_from_the_client_libraries() {
        let ext = json!({"type": "File", "imports": [], "body": [
            {"type": "OptionStatement", "assignment": {"type": "VariableAssignment",
                "id": {"type": "Identifier", "name": "bucket"},
                "init": {"type": "StringLiteral", "value": "b"}}},
            {"type": "OptionStatement", "assignment": {"type": "VariableAssignment",
                "id": {"type": "Identifier", "name": "n"},
                "init": {"type": "IntegerLiteral", "value": "3"}}},
            {"type": "OptionStatement", "assignment": {"type": "VariableAssignment",
                "id": {"type": "Identifier", "name": "start"},
                "init": {"type": "UnaryExpression", "operator": "-",
                    "argument": {"type": "DurationLiteral", "values": [{"magnitude": 90, "unit": "us"}]}}}},
            {"type": "OptionStatement", "assignment": {"type": "MemberAssignment"}}
        ]});
        let st = extern_statements(&ext).unwrap();
        assert_eq!(st.len(), 3);
        let Statement::Option { id, init, .. } = &st[1] else {
            panic!()
        };
        assert_eq!(id.name, "n");
        assert_eq!(init.kind, ExprKind::Integer(3));
        assert!(extern_statements(&json!({"body": [{"type": "OptionStatement", "assignment": {
            "type": "VariableAssignment", "id": {"name": "x"}, "init": {"type": "CallExpression"}}}]})).is_err());
    }

    #[test]
    fn clamps_spans_outside_the_text() {
        let src = Source::new("ab\ncd");
        assert_eq!(src.offset(9, 9), 5);
        assert_eq!(src.offset(2, 99), 5);
        assert_eq!(src.offset(0, 0), 0);
    }
}
