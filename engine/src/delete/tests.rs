#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::testing::Rng;

fn cond(key: &str, op: DeleteOp, value: &str) -> DeleteCondition {
    DeleteCondition {
        key: key.as_bytes().into(),
        op,
        value: value.as_bytes().into(),
    }
}

fn parse(s: &str) -> Vec<DeleteCondition> {
    DeletePredicate::parse(s)
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        .conditions
}

fn err(s: &str) -> Error {
    match DeletePredicate::parse(s) {
        Ok(p) => panic!("{s:?} parsed as {p:?}"),
        Err(e) => e,
    }
}

fn invalid_msg(s: &str) -> String {
    let e = err(s);
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{s:?}: {e}");
    e.message().to_string()
}

use DeleteOp::{Eq, Ne};

#[test]
fn empty_and_whitespace_match_everything() {
    assert!(parse("").is_empty());
    assert!(parse("   \t\n").is_empty());
    let p = DeletePredicate::parse("").unwrap();
    assert!(p.matches_series_key(b"cpu,host=a"));
    assert!(p.matches(b"x", &mut |_| None));
}

#[test]
fn measurement_and_tags_with_and() {
    assert_eq!(
        parse(r#"_measurement="cpu" AND host="a""#),
        vec![cond("_measurement", Eq, "cpu"), cond("host", Eq, "a")]
    );
    // AND is case-insensitive, whitespace optional around operators.
    assert_eq!(
        parse(r#"  a = "1" and b="2" AnD c  =  "3"  "#),
        vec![cond("a", Eq, "1"), cond("b", Eq, "2"), cond("c", Eq, "3")]
    );
}

#[test]
fn not_equal_and_its_influxql_spelling() {
    assert_eq!(parse(r#"host!="a""#), vec![cond("host", Ne, "a")]);
    assert_eq!(parse(r#"host <> "a""#), vec![cond("host", Ne, "a")]);
}

#[test]
fn quoted_keys_and_escapes() {
    assert_eq!(
        parse(r#""my key"="va\"l\\ue""#),
        vec![cond("my key", Eq, r#"va"l\ue"#)]
    );
    assert_eq!(parse(r#""host"="a\nb""#), vec![cond("host", Eq, "a\nb")]);
    // Commas, spaces, `=` are plain characters inside quotes.
    assert_eq!(parse(r#"t="a, b=c""#), vec![cond("t", Eq, "a, b=c")]);
    assert_eq!(parse(r#"t="ünï""#), vec![cond("t", Eq, "ünï")]);
}

#[test]
fn bare_values_numbers_and_booleans() {
    assert_eq!(parse("abc=opq"), vec![cond("abc", Eq, "opq")]);
    assert_eq!(parse("temp=1123"), vec![cond("temp", Eq, "1123")]);
    assert_eq!(parse("abc= -1221"), vec![cond("abc", Eq, "-1221")]);
    assert_eq!(parse("abc=1.5"), vec![cond("abc", Eq, "1.5")]);
    assert_eq!(parse("abc=2d"), vec![cond("abc", Eq, "2d")]);
    assert_eq!(parse("abc=true"), vec![cond("abc", Eq, "true")]);
    assert_eq!(parse("abc=FALSE"), vec![cond("abc", Eq, "false")]);
    // NAME is a keyword that 2.7 accepts as the key "name".
    assert_eq!(parse(r#"name="x""#), vec![cond("name", Eq, "x")]);
}

#[test]
fn parentheses_flatten() {
    assert_eq!(
        parse(r#" (t1="v1" and t2="v2") and (t3=v3 and (t4=v4 and t5=v5 and t6=v6))"#),
        vec![
            cond("t1", Eq, "v1"),
            cond("t2", Eq, "v2"),
            cond("t3", Eq, "v3"),
            cond("t4", Eq, "v4"),
            cond("t5", Eq, "v5"),
            cond("t6", Eq, "v6"),
        ]
    );
    assert_eq!(
        parse(r#"tag1="value1" and (tag2="value2" and tag3!="value3")"#),
        vec![
            cond("tag1", Eq, "value1"),
            cond("tag2", Eq, "value2"),
            cond("tag3", Ne, "value3"),
        ]
    );
}

#[test]
fn stray_and_is_ignored_as_in_2_7() {
    assert_eq!(parse(r#"a="1" AND"#), vec![cond("a", Eq, "1")]);
    assert_eq!(parse(r#"AND a="1""#), vec![cond("a", Eq, "1")]);
    assert_eq!(
        parse(r#"a="1" AND AND b="2""#),
        vec![cond("a", Eq, "1"), cond("b", Eq, "2")]
    );
}

#[test]
fn or_is_refused_with_its_position() {
    assert_eq!(
        invalid_msg(r#" abc="opq" Or gender="male" OR temp=1123"#),
        "the logical operator OR is not supported yet at position 11"
    );
    assert_eq!(
        invalid_msg(r#"tag1="v1" and (tag2="v2" or tag3="v3")"#),
        "the logical operator OR is not supported yet at position 25"
    );
}

#[test]
fn regex_and_other_operators() {
    assert_eq!(
        invalid_msg(r"abc=~/^payments\./"),
        r#"operator: "=~" at position: 3 is not supported yet"#
    );
    assert_eq!(
        invalid_msg(r"abc!~/^payments\./"),
        r#"operator: "!~" at position: 3 is not supported yet"#
    );
    assert_eq!(
        invalid_msg("abc>1000"),
        r#"invalid operator ">" at position: 3"#
    );
    assert_eq!(
        invalid_msg("abc<=1"),
        r#"invalid operator "<=" at position: 3"#
    );
    assert_eq!(
        invalid_msg("abc"),
        r#"invalid operator "EOF" at position: 3"#
    );
    assert_eq!(
        invalid_msg(r#"abc "x""#),
        r#"invalid operator "IDENT" at position: 4"#
    );
    assert_eq!(
        invalid_msg("abc!x"),
        r#"invalid operator "ILLEGAL" at position: 3"#
    );
}

#[test]
fn bad_keys() {
    assert_eq!(invalid_msg(r#"123="x""#), "bad tag key, at position 0");
    assert_eq!(
        invalid_msg(r#"a=1 AND 1.5="x""#),
        "bad tag key, at position 8"
    );
    // An InfluxQL keyword is not an identifier unless quoted.
    assert_eq!(
        invalid_msg(r#"a="1" and user="x""#),
        "bad logical expression, at position 10"
    );
    assert_eq!(parse(r#""user"="x""#), vec![cond("user", Eq, "x")]);
    assert_eq!(
        invalid_msg(r#"a=select"#),
        r#"bad tag value: "select", at position 2"#
    );
}

#[test]
fn bad_values() {
    // Single quotes make an InfluxQL string, which 2.7 refuses as a tag value.
    assert_eq!(
        invalid_msg("host='a'"),
        r#"bad tag value: "a", at position 5"#
    );
    assert_eq!(invalid_msg("host="), r#"bad tag value: "", at position 5"#);
    assert_eq!(
        invalid_msg(r#"host="unterminated"#),
        r#"bad tag value: "unterminated", at position 5"#
    );
    assert_eq!(
        invalid_msg(r#"host="a\qb""#),
        r#"bad tag value: "\\q", at position 5"#
    );
    assert_eq!(invalid_msg("host=)"), r#"bad tag value: "", at position 5"#);
    // A bare value stops at the first non-identifier character.
    assert_eq!(
        invalid_msg("host=server-1"),
        "bad logical expression, at position 11"
    );
}

#[test]
fn parentheses_must_balance() {
    assert_eq!(
        invalid_msg(r#" (t1="v1" and t2="v2") and ("#),
        "extra ( seen"
    );
    assert_eq!(invalid_msg(r#" (t1="v1" and t2="v2"))"#), "extra ) seen");
    assert_eq!(invalid_msg(r#"(a="1""#), "extra ( seen");
}

#[test]
fn departures_refused_instead_of_misread() {
    // 2.7 reads `()` as "no predicate" and deletes everything in range.
    assert_eq!(invalid_msg("()"), "bad logical expression, at position 0");
    assert_eq!(
        invalid_msg(r#"a="1" b="2""#),
        "bad logical expression, at position 6"
    );
    assert_eq!(
        invalid_msg(r#"a="1" (b="2")"#),
        "bad logical expression, at position 6"
    );
    assert_eq!(
        invalid_msg(r#"'a'="1""#),
        "bad logical expression, at position 0"
    );
    assert_eq!(invalid_msg(","), "bad logical expression, at position 0");
}

#[test]
fn field_equality_is_not_implemented() {
    for s in [
        r#"_field="usage""#,
        r#"_measurement="cpu" AND _field="usage""#,
        r#"_measurement="cpu" AND ("_field"="usage")"#,
    ] {
        let e = err(s);
        assert_eq!(e.kind(), ErrorKind::NotImplemented, "{s}");
        assert_eq!(e.message(), "delete by field is not supported");
    }
    // Syntax errors are reported first.
    assert_eq!(
        err(r#"_field="x" OR a="b""#).kind(),
        ErrorKind::InvalidInput
    );
    // `!=` on _field is accepted (as in 2.7) and, _field never being a tag, matches nothing.
    let p = DeletePredicate::parse(r#"_field!="x""#).unwrap();
    assert!(!p.matches_series_key(b"cpu,host=a"));
}

#[test]
fn positions_count_characters_not_bytes() {
    assert_eq!(
        invalid_msg(r#"t="ü" OR a="b""#),
        "the logical operator OR is not supported yet at position 6"
    );
}

#[test]
fn matches_measurement_and_tags() {
    let p = DeletePredicate::parse(r#"_measurement="cpu" AND host="a""#).unwrap();
    assert!(p.matches_series_key(b"cpu,host=a"));
    assert!(p.matches_series_key(b"cpu,host=a,region=x"));
    assert!(!p.matches_series_key(b"cpu,host=b"));
    assert!(!p.matches_series_key(b"mem,host=a"));
    assert!(!p.matches_series_key(b"cpu"));
    assert!(!p.matches_series_key(b"cpu,region=a"));

    let tags = [(&b"host"[..], &b"a"[..])];
    let mut look = |k: &[u8]| tags.iter().find(|(tk, _)| *tk == k).map(|(_, v)| *v);
    assert!(p.matches(b"cpu", &mut look));
    assert!(!p.matches(b"mem", &mut look));
}

#[test]
fn not_equal_on_a_missing_tag_is_false_as_in_2_7() {
    let p = DeletePredicate::parse(r#"host!="a""#).unwrap();
    assert!(p.matches_series_key(b"cpu,host=b"));
    assert!(!p.matches_series_key(b"cpu,host=a"));
    assert!(!p.matches_series_key(b"cpu,region=b"));
    assert!(!p.matches(b"cpu", &mut |_| None));
    let p = DeletePredicate::parse(r#"_measurement!="cpu""#).unwrap();
    assert!(p.matches_series_key(b"mem"));
    assert!(!p.matches_series_key(b"cpu,host=a"));
}

#[test]
fn matches_escaped_series_keys() {
    let p = DeletePredicate::parse(r#"_measurement="c p,u" AND "ta g"="v,a=l""#).unwrap();
    assert!(p.matches_series_key(br"c\ p\,u,ta\ g=v\,a\=l"));
    assert!(!p.matches_series_key(br"c\ p\,u,ta\ g=v"));
}

#[test]
fn time_range_is_inclusive() {
    let r = DeleteRequest {
        start: 10,
        stop: 20,
        predicate: DeletePredicate::default(),
    };
    assert!(!r.matches_time(9));
    assert!(r.matches_time(10));
    assert!(r.matches_time(20));
    assert!(!r.matches_time(21));
}

#[test]
fn encode_layout_is_stable() {
    let r = DeleteRequest {
        start: 1,
        stop: -1,
        predicate: DeletePredicate {
            conditions: vec![cond("k", Ne, "vv")],
        },
    };
    let mut b = Vec::new();
    r.encode(&mut b);
    let mut want = Vec::new();
    want.extend_from_slice(&1i64.to_le_bytes());
    want.extend_from_slice(&(-1i64).to_le_bytes());
    want.extend_from_slice(&[1, 1, 0, 0, 0, 1, 1, 0, 0, 0, b'k', 2, 0, 0, 0, b'v', b'v']);
    assert_eq!(b, want);
    assert_eq!(DeleteRequest::decode(&b).unwrap(), r);
}

#[test]
fn decode_rejects_truncation_trailing_bytes_and_bad_tags() {
    let r = DeleteRequest {
        start: 5,
        stop: 6,
        predicate: DeletePredicate::parse(r#"_measurement="m" AND host!="a""#).unwrap(),
    };
    let mut b = Vec::new();
    r.encode(&mut b);
    for n in 0..b.len() {
        assert!(DeleteRequest::decode(&b[..n]).is_err(), "prefix {n}");
    }
    let mut long = b.clone();
    long.push(0);
    assert!(DeleteRequest::decode(&long).is_err());
    let mut bad_version = b.clone();
    bad_version[16] = 9;
    assert!(DeleteRequest::decode(&bad_version).is_err());
    let mut bad_op = b.clone();
    bad_op[21] = 7;
    assert!(DeleteRequest::decode(&bad_op).is_err());
    // A huge declared count does not allocate.
    let huge = [1u8, 0xff, 0xff, 0xff, 0xff];
    let e = DeletePredicate::decode(&huge).unwrap_err();
    assert!(e.message().starts_with("corrupt delete record"), "{e}");
}

#[test]
fn decode_never_panics_on_garbage() {
    let mut rng = Rng(0xde1e7e);
    let mut good = Vec::new();
    DeleteRequest {
        start: 0,
        stop: 100,
        predicate: DeletePredicate::parse(r#"a="b" AND c!="d""#).unwrap(),
    }
    .encode(&mut good);
    for _ in 0..20_000 {
        let len = (rng.next() % 64) as usize;
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = DeleteRequest::decode(&b);
        let _ = DeletePredicate::decode(&b);
        // Mutations of a valid record, too.
        b.clone_from(&good);
        let i = (rng.next() as usize) % b.len();
        b[i] = rng.next() as u8;
        let _ = DeleteRequest::decode(&b);
    }
}

#[test]
fn serde_json_uses_strings_and_round_trips() {
    let r = DeleteRequest {
        start: 1,
        stop: 2,
        predicate: DeletePredicate::parse(r#"_measurement="cpu" AND host!="a""#).unwrap(),
    };
    let j = serde_json::to_string(&r).unwrap();
    assert_eq!(
        j,
        r#"{"start":1,"stop":2,"predicate":{"conditions":[{"key":"_measurement","op":"Eq","value":"cpu"},{"key":"host","op":"Ne","value":"a"}]}}"#
    );
    assert_eq!(serde_json::from_str::<DeleteRequest>(&j).unwrap(), r);
    // Non-UTF-8 bytes survive as a number array.
    let c = cond("k", Eq, "v");
    let c = DeleteCondition {
        value: vec![0xff, 0x00].into(),
        ..c
    };
    let j = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<DeleteCondition>(&j).unwrap(), c);
}

fn arb_bytes() -> impl Strategy<Value = Box<[u8]>> {
    proptest::collection::vec(any::<u8>(), 0..20).prop_map(Vec::into_boxed_slice)
}

fn arb_request() -> impl Strategy<Value = DeleteRequest> {
    let c =
        (arb_bytes(), any::<bool>(), arb_bytes()).prop_map(|(key, ne, value)| DeleteCondition {
            key,
            op: if ne { Ne } else { Eq },
            value,
        });
    (
        any::<i64>(),
        any::<i64>(),
        proptest::collection::vec(c, 0..6),
    )
        .prop_map(|(start, stop, conditions)| DeleteRequest {
            start,
            stop,
            predicate: DeletePredicate { conditions },
        })
}

proptest! {
    #[test]
    fn binary_round_trip(r in arb_request()) {
        let mut b = Vec::new();
        r.encode(&mut b);
        prop_assert_eq!(DeleteRequest::decode(&b).unwrap(), r.clone());
        let mut p = Vec::new();
        r.predicate.encode(&mut p);
        prop_assert_eq!(DeletePredicate::decode(&p).unwrap(), r.predicate);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = DeletePredicate::parse(&s);
    }

    #[test]
    fn printed_predicates_parse_back(pairs in proptest::collection::vec(
        ("[a-z_][a-z0-9_]{0,6}", any::<bool>(), "[ -~]{0,8}"), 0..5)
    ) {
        // Quote both sides so keywords and any printable value are allowed.
        let text: Vec<String> = pairs
            .iter()
            .map(|(k, ne, v)| {
                let esc = v.replace('\\', "\\\\").replace('"', "\\\"");
                format!("\"{k}\" {} \"{esc}\"", if *ne { "!=" } else { "=" })
            })
            .collect();
        let text = text.join(" AND ");
        match DeletePredicate::parse(&text) {
            Ok(p) => {
                let want: Vec<DeleteCondition> = pairs
                    .iter()
                    .map(|(k, ne, v)| cond(k, if *ne { Ne } else { Eq }, v))
                    .collect();
                prop_assert_eq!(p.conditions, want);
            }
            Err(e) => {
                // Only `_field = …` may be refused.
                prop_assert_eq!(e.kind(), ErrorKind::NotImplemented);
            }
        }
    }
}
