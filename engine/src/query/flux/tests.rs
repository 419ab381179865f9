//! Tests for the lexer, parser and planner.

use super::ast::{DurationPart, DurationUnit, ExprKind, Statement};
use super::lexer::{tokenize, TokenKind};
use super::{compile, parse};
use crate::model::BucketId;
use crate::query::plan::{BucketRef, CmpOp, FluxQuery, PlanError, Predicate};

const NOW: i64 = 1_592_224_496_789_012_345; // 2020-06-15T12:34:56.789012345Z
const SEC: i64 = 1_000_000_000;
const T2020: i64 = 1_577_836_800 * SEC; // 2020-01-01T00:00:00Z

fn ok(q: &str) -> FluxQuery {
    match compile(q, NOW) {
        Ok(p) => p,
        Err(e) => panic!("{q}: {e}"),
    }
}

fn err(q: &str) -> PlanError {
    match compile(q, NOW) {
        Ok(p) => panic!("{q}: expected an error, got {p:?}"),
        Err(e) => e,
    }
}

fn kinds(q: &str) -> Vec<TokenKind> {
    tokenize(q).unwrap().into_iter().map(|t| t.kind).collect()
}

fn tag(key: &str, op: CmpOp, value: &str) -> Predicate {
    Predicate::Tag {
        key: key.into(),
        op,
        value: value.into(),
    }
}

#[test]
fn lexes_operators_and_literals() {
    assert_eq!(
        kinds("a |> b(c: 1.5) == != =~ !~ <= >= <- => //x\n"),
        vec![
            TokenKind::Ident("a".into()),
            TokenKind::PipeForward,
            TokenKind::Ident("b".into()),
            TokenKind::LParen,
            TokenKind::Ident("c".into()),
            TokenKind::Colon,
            TokenKind::Float(1.5),
            TokenKind::RParen,
            TokenKind::EqEq,
            TokenKind::NotEq,
            TokenKind::RegexEq,
            TokenKind::RegexNeq,
            TokenKind::Lte,
            TokenKind::Gte,
            TokenKind::PipeReceive,
            TokenKind::Arrow,
            TokenKind::Eof,
        ]
    );
}

#[test]
fn lexes_durations() {
    let d = |magnitude, unit| DurationPart { magnitude, unit };
    assert_eq!(
        kinds("1h30m 5mo 2y 3w 10ms 7us 8µs 9ns 1d"),
        vec![
            TokenKind::Duration(vec![d(1, DurationUnit::Hour), d(30, DurationUnit::Minute)]),
            TokenKind::Duration(vec![d(5, DurationUnit::Month)]),
            TokenKind::Duration(vec![d(2, DurationUnit::Year)]),
            TokenKind::Duration(vec![d(3, DurationUnit::Week)]),
            TokenKind::Duration(vec![d(10, DurationUnit::Milli)]),
            TokenKind::Duration(vec![d(7, DurationUnit::Micro)]),
            TokenKind::Duration(vec![d(8, DurationUnit::Micro)]),
            TokenKind::Duration(vec![d(9, DurationUnit::Nano)]),
            TokenKind::Duration(vec![d(1, DurationUnit::Day)]),
            TokenKind::Eof,
        ]
    );
    assert!(tokenize("5min").is_err());
}

#[test]
fn lexes_date_times() {
    assert_eq!(kinds("2020-01-01T00:00:00Z")[0], TokenKind::DateTime(T2020));
    assert_eq!(kinds("2020-01-01")[0], TokenKind::DateTime(T2020));
    assert_eq!(
        kinds("2020-01-01T00:00:00.5Z")[0],
        TokenKind::DateTime(T2020 + 500_000_000)
    );
    assert_eq!(
        kinds("2020-01-01T02:00:00+02:00")[0],
        TokenKind::DateTime(T2020)
    );
    assert_eq!(
        kinds("1969-12-31T23:59:59.999999999Z")[0],
        TokenKind::DateTime(-1)
    );
    assert!(tokenize("2020-13-01T00:00:00Z").is_err());
    assert!(tokenize("2020-01-01T00:00:00").is_err());
}

#[test]
fn lexes_strings_and_regex() {
    assert_eq!(
        kinds(r#""a\"b\\c\nd""#)[0],
        TokenKind::Str("a\"b\\c\nd".into())
    );
    assert_eq!(kinds("=~ /a\\/b/")[1], TokenKind::Regex("a/b".into()));
    // After an operand, `/` is division.
    assert_eq!(kinds("a / b")[1], TokenKind::Slash);
    let e = tokenize("x = \"abc").unwrap_err();
    assert_eq!((e.line, e.column), (1, 5));
    assert!(matches!(kinds("x = \"${a}\"")[2], TokenKind::StrInterp(_)));
    let e = tokenize("x = \"${a\"").unwrap_err();
    assert!(e.message.contains("unterminated"), "{e}");
}

#[test]
fn token_positions() {
    let toks = tokenize("a\n  |> b()").unwrap();
    assert_eq!((toks[1].span.start.line, toks[1].span.start.column), (2, 3));
    assert_eq!((toks[1].span.end.line, toks[1].span.end.column), (2, 5));
    assert_eq!((toks[2].span.start.line, toks[2].span.start.column), (2, 6));
    let e = tokenize("a\n ~").unwrap_err();
    assert_eq!((e.line, e.column), (2, 2));
}

#[test]
fn parses_program_structure() {
    let f = parse(
        "package main\nimport \"strings\"\nimport s2 \"strings\"\noption now = () => 2020-01-01T00:00:00Z\n\
         option planner.disable = true\nx = 1\nx |> f()\n",
    )
    .unwrap();
    assert_eq!(f.package.as_ref().map(|p| p.name.as_str()), Some("main"));
    assert_eq!(f.imports.len(), 2);
    assert_eq!(
        f.imports[1].alias.as_ref().map(|a| a.name.as_str()),
        Some("s2")
    );
    assert_eq!(f.body.len(), 4);
    assert!(matches!(f.body[0], Statement::Option { .. }));
    assert!(matches!(f.body[2], Statement::Variable { .. }));
    let Statement::Expr(e) = &f.body[3] else {
        panic!()
    };
    assert!(matches!(e.kind, ExprKind::Pipe { .. }));
    assert_eq!((e.span.start.line, e.span.start.column), (7, 1));
    assert_eq!((e.span.end.line, e.span.end.column), (7, 9));
}

#[test]
fn parses_general_expressions() {
    for q in [
        "a = (r) => ({r with x: r._value * 2.0 + 1})",
        "f = (tables=<-, n=1) => tables |> limit(n)",
        "a = if x then 1 else 2",
        "a = [1, 2, 3][0]",
        "a = {a: 1, \"b c\": 2, d}",
        "a = not exists r.x or r.y =~ /^a.*$/ and r.z !~ /b/",
        "a = -1h |> f()",
        "f = () => { b = 1\n return b }",
        "testcase t extends \"x\" { a = 1 }",
        "@edition(\"2022.1\")\nimport \"x\"",
        "f(got, want)",
    ] {
        if let Err(e) = parse(q) {
            panic!("{q}: {e}");
        }
    }
}

#[test]
fn precedence_and_binds_tighter_than_or() {
    let f = parse("a or b and c").unwrap();
    let Statement::Expr(e) = &f.body[0] else {
        panic!()
    };
    let ExprKind::Logical { op, right, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(*op, super::ast::LogicalOp::Or);
    assert!(matches!(
        right.kind,
        ExprKind::Logical {
            op: super::ast::LogicalOp::And,
            ..
        }
    ));
}

#[test]
fn parse_errors_have_positions() {
    // The pipe binds to the string argument, so the missing `)` is found at EOF.
    let e = err("from(bucket: \"b\"\n|> range(start: -1h)");
    assert_eq!((e.line, e.column), (2, 21));
    assert!(e.message.contains("expected )"), "{}", e.message);
    let e = err("from(bucket: \"b\") |> range(start: )");
    assert_eq!((e.line, e.column), (1, 35));
    let e = err("a |> 1");
    assert!(e.message.contains("pipe destination"));
    assert_eq!(
        err("from(bucket:").to_string(),
        "error @1:13-1:13: expected expression, got EOF"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let q = format!("x = {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(parse(&q).is_err());
    let q = format!("x = {}1", "-".repeat(5000));
    assert!(parse(&q).is_err());
}

#[test]
fn python_client_query() {
    let p = ok("from(bucket:\"my-bucket\") |> range(start: -10m) |> filter(fn: (r) => r[\"_measurement\"] == \"cpu\")");
    assert_eq!(p.bucket, BucketRef::Name("my-bucket".into()));
    assert_eq!(p.read.start, NOW - 600 * SEC);
    assert_eq!(p.read.stop, NOW);
    assert_eq!(
        p.read.predicate,
        Predicate::Measurement(CmpOp::Eq, "cpu".into())
    );
    assert_eq!(p.result_name, "_result");
}

#[test]
fn range_value_forms() {
    let r = |args: &str| {
        let p = ok(&format!("from(bucket: \"b\") |> range({args})"));
        (p.read.start, p.read.stop)
    };
    assert_eq!(
        r("start: 2020-01-01T00:00:00Z, stop: 2020-01-02"),
        (T2020, T2020 + 86_400 * SEC)
    );
    assert_eq!(r("start: -1h30m"), (NOW - 5400 * SEC, NOW));
    assert_eq!(r("start: -1h, stop: now()"), (NOW - 3600 * SEC, NOW));
    assert_eq!(r("start: 1577836800, stop: -1s"), (T2020, NOW - SEC));
    assert_eq!(r("start: 0"), (0, NOW));
    assert_eq!(r("start: -1, stop: 2"), (-SEC, 2 * SEC));
    assert_eq!(
        r("stop: 1h, start: -2d"),
        (NOW - 2 * 86_400 * SEC, NOW + 3600 * SEC)
    );
    assert_eq!(r("start: -1w"), (NOW - 7 * 86_400 * SEC, NOW));
    assert_eq!(r("start: -1000ms"), (NOW - SEC, NOW));
    // Calendar units: 2020-06-15 minus one month is 2020-05-15, minus 1y is 2019-06-15.
    assert_eq!(r("start: -1mo").0, NOW - 31 * 86_400 * SEC);
    assert_eq!(r("start: -1y").0, NOW - 366 * 86_400 * SEC);
    assert!(err("from(bucket: \"b\") |> range(start: \"-1h\")")
        .message
        .contains("must be a time"));
    assert!(err("from(bucket: \"b\") |> range(stop: -1h)")
        .message
        .contains("missing required argument"));
    assert!(err("from(bucket: \"b\") |> range(start: -1h, foo: 1)")
        .message
        .contains("\"foo\""));
}

#[test]
fn calendar_months_clamp_to_month_end() {
    let now = 1_585_612_800 * SEC; // 2020-03-31T00:00:00Z
    let p = compile("from(bucket: \"b\") |> range(start: -1mo)", now).unwrap();
    assert_eq!(p.read.start, 1_582_934_400 * SEC); // 2020-02-29
}

#[test]
fn bucket_id_and_errors() {
    let p = ok("from(bucketID: \"0123456789abcdef\") |> range(start: -1h)");
    assert_eq!(p.bucket, BucketRef::Id(BucketId(0x0123_4567_89ab_cdef)));
    assert!(err("from(bucketID: \"xyz\") |> range(start: -1h)")
        .message
        .contains("invalid bucket id"));
    assert!(
        err("from(bucket: \"a\", bucketID: \"0123456789abcdef\") |> range(start: -1h)")
            .message
            .contains("only one")
    );
    assert!(err("from() |> range(start: -1h)")
        .message
        .contains("one of"));
    let e = err("from(bucket: \"b\")");
    assert!(e.message.contains("unbounded"), "{e}");
}

#[test]
fn filters_combine() {
    let p = ok(r#"
        // leading comment
        from(bucket: "b")
            |> range(start: -1h)
            |> filter(fn: (r) => r._measurement == "cpu" and (r.host == "a" or "b" == r["host"]))
            |> filter(fn: (r) => r._field != "usage", onEmpty: "drop")
    "#);
    assert_eq!(
        p.read.predicate,
        Predicate::And(
            Box::new(Predicate::And(
                Box::new(Predicate::Measurement(CmpOp::Eq, "cpu".into())),
                Box::new(Predicate::Or(
                    Box::new(tag("host", CmpOp::Eq, "a")),
                    Box::new(tag("host", CmpOp::Eq, "b")),
                )),
            )),
            Box::new(Predicate::Field(CmpOp::Neq, "usage".into())),
        )
    );
}

#[test]
fn filter_before_range_and_multiple_ranges() {
    let p = ok("from(bucket: \"b\") |> filter(fn: (x) => x.t == \"1\") |> range(start: -2h) |> range(start: -3h, stop: -1h)");
    assert_eq!(p.read.start, NOW - 2 * 3600 * SEC);
    assert_eq!(p.read.stop, NOW - 3600 * SEC);
    assert_eq!(p.read.predicate, tag("t", CmpOp::Eq, "1"));
}

#[test]
fn yield_and_variables() {
    let p = ok("import \"influxdata/influxdb/v1\"\nm = \"cpu\"\ndata = from(bucket: \"b\")\n  |> range(start: -1h)\n  |> filter(fn: (r) => r._measurement == m)\ndata |> yield(name: \"mine\")");
    assert_eq!(p.result_name, "mine");
    assert_eq!(
        p.read.predicate,
        Predicate::Measurement(CmpOp::Eq, "cpu".into())
    );
    let p = ok("from(bucket: \"b\") |> range(start: -1h) |> yield()");
    assert_eq!(p.result_name, "_result");
    let p = ok("start = -5m\nfrom(bucket: \"b\") |> range(start)");
    assert_eq!(p.read.start, NOW - 300 * SEC);
}

#[test]
fn option_now_overrides_clock() {
    let p = ok("option now = () => 2020-01-01T00:00:00Z\nfrom(bucket: \"b\") |> range(start: -1h)");
    assert_eq!((p.read.start, p.read.stop), (T2020 - 3600 * SEC, T2020));
}

#[test]
fn unsupported_things_are_errors_with_positions() {
    let e = err("from(bucket: \"b\")\n  |> range(start: -1h)\n  |> map(fn: (r) => r)");
    assert_eq!(e.message, "function \"map\" is not supported");
    assert_eq!((e.line, e.column, e.end_line, e.end_column), (3, 6, 3, 9));
    assert_eq!(
        e.to_string(),
        "error @3:6-3:9: function \"map\" is not supported"
    );
    let e = err("from(bucket: \"b\") |> range(start: -1h) |> v1.fieldsAsCols()");
    assert_eq!(e.message, "function \"v1.fieldsAsCols\" is not supported");
    for q in [
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r._value > 1)",
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r._value == \"x\")",
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r.host =~ /a/)",
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => not r.host == \"a\")",
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r.host == r.dc)",
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r.host == 1)",
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => exists r.host)",
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r, s) => true)",
        "from(bucket: \"b\") |> range(start: -1h) |> yield(name: \"a\") |> filter(fn: (r) => true)",
        "from(bucket: \"b\") |> range(start: -1h)\nfrom(bucket: \"c\") |> range(start: -1h)",
        "x = 1",
        "1 + 1",
        "csv.from(csv: \"\") |> range(start: -1h)",
        "from(bucket: \"b\") |> range(start: undefinedVar)",
        "a = 1\na = 2\nfrom(bucket: \"b\") |> range(start: -1h)",
    ] {
        let e = err(q);
        assert!(e.line >= 1 && e.column >= 1, "{q}: {e:?}");
    }
    let p = ok("from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => true)");
    assert_eq!(p.read.predicate, Predicate::True);
}

#[test]
fn predicate_eval() {
    let p = ok(r#"from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "cpu" and (r.host != "a" or r._field == "f"))"#)
        .read
        .predicate;
    let mut host_a =
        |k: &[u8]| -> Option<&'static [u8]> { (k == b"host").then_some(b"a".as_slice()) };
    assert!(!p.eval(b"cpu", &mut host_a, b"g"));
    assert!(p.eval(b"cpu", &mut host_a, b"f"));
    assert!(!p.eval(b"mem", &mut host_a, b"f"));
    let mut none = |_: &[u8]| -> Option<&'static [u8]> { None };
    assert!(p.eval(b"cpu", &mut none, b"g"));
    // A missing tag compares as "".
    let empty = tag("host", CmpOp::Eq, "");
    assert!(empty.eval(b"cpu", &mut none, b"g"));
    assert!(!empty.eval(b"cpu", &mut host_a, b"g"));
    assert!(Predicate::True.eval(b"", &mut none, b""));
}

#[test]
fn never_panics_on_garbage() {
    for q in [
        "",
        " ",
        "(",
        ")",
        "|>",
        "from(",
        "=>",
        "{",
        "[",
        "\"",
        "/",
        "1h",
        "2020-",
        "2020-01-01T",
        "from(bucket: \"b\") |> range(start: -9999999999999999999h)",
        "from(bucket: \"b\") |> range(start: 99999999999999999)",
        "from(bucket: \"b\") |> range(start: -99999999mo)",
        "a = b\nb = a\na |> yield()",
        "a = a |> range(start: -1h)\na",
        "µ",
        "\u{0}",
        "option now = 1\nfrom(bucket: \"b\") |> range(start: -1h)",
    ] {
        let _ = compile(q, NOW);
    }
}
