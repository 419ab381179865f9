use super::*;

fn scan_all(body: &[u8], p: Precision) -> (Vec<LineSpan>, Vec<ScanError>) {
    let (mut out, mut errs) = (Vec::new(), Vec::new());
    scan(body, p, &mut out, &mut errs);
    (out, errs)
}

fn err_kind(body: &str) -> ScanErrorKind {
    let (out, errs) = scan_all(body.as_bytes(), Precision::Nanoseconds);
    assert!(out.is_empty(), "{body:?} unexpectedly accepted");
    assert_eq!(errs.len(), 1, "{body:?}: {errs:?}");
    errs[0].kind
}

fn one(body: &str) -> (LineSpan, Vec<(Vec<u8>, FieldValueRef<'_>)>) {
    let (out, errs) = scan_all(body.as_bytes(), Precision::Nanoseconds);
    assert!(errs.is_empty(), "{body:?}: {errs:?}");
    assert_eq!(out.len(), 1);
    let f = fields(body.as_bytes(), &out[0])
        .map(|(k, v)| (k.to_vec(), v))
        .collect();
    (out[0], f)
}

fn key_of(body: &str) -> String {
    let (out, errs) = scan_all(body.as_bytes(), Precision::Nanoseconds);
    assert!(errs.is_empty(), "{body:?}: {errs:?}");
    let (mut scratch, mut key) = (Vec::new(), Vec::new());
    write_series_key(body.as_bytes(), &out[0], &mut scratch, &mut key);
    String::from_utf8(key).unwrap()
}

#[test]
fn every_field_type() {
    let (l, f) = one("m f=1.5,i=-3i,u=7u,b=TRUE,s=\"a\\\"b\",e=-1.2e+78,d=.5,z=1. 42");
    assert_eq!(l.timestamp, Some(42));
    let vals: Vec<_> = f.iter().map(|(_, v)| *v).collect();
    assert_eq!(
        vals,
        vec![
            FieldValueRef::Float(1.5),
            FieldValueRef::Integer(-3),
            FieldValueRef::UInteger(7),
            FieldValueRef::Boolean(true),
            FieldValueRef::String(b"a\\\"b"),
            FieldValueRef::Float(-1.2e78),
            FieldValueRef::Float(0.5),
            FieldValueRef::Float(1.0),
        ]
    );
    assert_eq!(vals[2].field_type(), FieldType::UInteger);
    let mut s = Vec::new();
    unescape_into(b"a\\\"b\\\\c\\n", EscapeKind::StringValue, &mut s);
    assert_eq!(s, b"a\"b\\c\\n");
}

#[test]
fn integer_limits() {
    let (_, f) = one("m a=-9223372036854775808i,b=9223372036854775807i,c=18446744073709551615u");
    assert_eq!(f[0].1, FieldValueRef::Integer(i64::MIN));
    assert_eq!(f[1].1, FieldValueRef::Integer(i64::MAX));
    assert_eq!(f[2].1, FieldValueRef::UInteger(u64::MAX));
    assert_eq!(
        err_kind("m a=9223372036854775808i"),
        ScanErrorKind::IntegerOutOfRange
    );
    assert_eq!(
        err_kind("m a=18446744073709551616u"),
        ScanErrorKind::UnsignedOutOfRange
    );
    assert_eq!(err_kind("m a=-1u"), ScanErrorKind::InvalidNumber);
    assert_eq!(err_kind("m a=1.5i"), ScanErrorKind::InvalidNumber);
    assert_eq!(err_kind("m a=1e400"), ScanErrorKind::InvalidFloat);
}

#[test]
fn error_kinds() {
    use ScanErrorKind::*;
    let cases: &[(&str, ScanErrorKind)] = &[
        (",t=a v=1", MissingMeasurement),
        ("cpu", MissingFields),
        ("cpu ", MissingFields),
        ("cpu,t=a", MissingFields),
        ("cpu,=a v=1", MissingTagKey),
        ("cpu,t v=1", MissingTagValue),
        ("cpu,t= v=1", MissingTagValue),
        ("cpu,t=a=b v=1", InvalidTagFormat),
        ("cpu,b=1,a=2,b=3 v=1", DuplicateTags),
        ("cpu,a=1,a=2 v=1", DuplicateTags),
        ("cpu,time=1 v=1", ReservedTagKey),
        ("cpu,_field=1 v=1", ReservedTagKey),
        ("cpu,_measurement=1 v=1", ReservedTagKey),
        ("cpu =1", MissingFieldKey),
        ("cpu v=1,=2", MissingFieldKey),
        ("cpu v=", MissingFieldValue),
        ("cpu v=,w=1", MissingFieldValue),
        ("cpu v", InvalidFieldFormat),
        ("cpu v=1,", InvalidFieldFormat),
        ("cpu v=\"a\"x", InvalidFieldFormat),
        ("cpu v=\"abc", UnbalancedQuotes),
        ("cpu v=1.1.1", InvalidNumber),
        ("cpu v=NaN", InvalidNumber),
        ("cpu v=-", InvalidNumber),
        ("cpu v=1x", InvalidNumber),
        ("cpu v=Inf", InvalidBoolean),
        ("cpu v=tru", InvalidBoolean),
        ("cpu v=1 12a", BadTimestamp),
        ("cpu v=1 -", BadTimestamp),
        ("cpu v=1 99999999999999999999", BadTimestamp),
        ("cpu v=1 9223372036854775807", TimestampOutOfRange),
        ("cpu v=1 -9223372036854775807", TimestampOutOfRange),
        ("cpu v=1 1 x", InvalidPoint),
        ("cpu v=1 1\t", BadTimestamp),
    ];
    for (body, kind) in cases {
        assert_eq!(err_kind(body), *kind, "{body:?}");
        assert!(!kind.message().is_empty());
    }
    let (_, errs) = scan_all(b"m\xff v=1", Precision::Nanoseconds);
    assert_eq!(errs[0].kind, InvalidUtf8);
    let (_, errs) = scan_all(b"m v=\"\xff\"\nm v=1", Precision::Nanoseconds);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, InvalidUtf8);
}

#[test]
fn precision_and_range() {
    let (out, errs) = scan_all(b"m v=1 1700000000\nm v=1 -2", Precision::Seconds);
    assert!(errs.is_empty());
    assert_eq!(out[0].timestamp, Some(1_700_000_000_000_000_000));
    assert_eq!(out[1].timestamp, Some(-2_000_000_000));
    let (_, errs) = scan_all(b"m v=1 9223372037", Precision::Seconds);
    assert_eq!(errs[0].kind, ScanErrorKind::TimestampOutOfRange);
    let (out, _) = scan_all(b"m v=1 9223372036854775806", Precision::Nanoseconds);
    assert_eq!(out[0].timestamp, Some(crate::model::MAX_NANOS));
}

#[test]
fn lines_comments_crlf_and_line_numbers() {
    let body = b"# comment v=1\n\n  \t m v=1\r\nm s=\"a\nb\" 5\r\n\r\nbad\nm v=2 \n";
    let (out, errs) = scan_all(body, Precision::Nanoseconds);
    assert_eq!(out.len(), 3, "{errs:?}");
    assert_eq!(out[0].line_no, 3);
    assert_eq!(out[0].measurement.slice(body), b"m");
    assert_eq!(out[0].fields.slice(body), b"v=1");
    assert_eq!(out[1].line_no, 4);
    assert_eq!(out[1].timestamp, Some(5));
    assert_eq!(out[2].line_no, 8);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].line_no, 7);
    assert_eq!(errs[0].line.slice(body), b"bad");
    assert_eq!(errs[0].kind, ScanErrorKind::MissingFields);
}

#[test]
fn bad_line_with_open_quote_swallows_following_lines_like_2_7() {
    let body = b"m v=x,s=\"a\nm v=1\nm v=2\"\nm v=3";
    let (out, errs) = scan_all(body, Precision::Nanoseconds);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, ScanErrorKind::InvalidBoolean);
    assert_eq!(errs[0].line.slice(body), b"m v=x,s=\"a\nm v=1\nm v=2\"");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].line_no, 4);
}

#[test]
fn error_reporting_is_capped() {
    let body = "bad\n".repeat(100) + "m v=1";
    let (out, errs) = scan_all(body.as_bytes(), Precision::Nanoseconds);
    assert_eq!(errs.len(), MAX_REPORTED_ERRORS);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].line_no, 101);
}

#[test]
fn escapes_and_series_key() {
    assert_eq!(key_of("cpu,z=1,a=2 v=1"), "cpu,a=2,z=1");
    assert_eq!(
        key_of("c\\ p\\,u=x,t\\=k=v\\ 1 v=1"),
        "c\\ p\\,u=x,t\\=k=v\\ 1"
    );
    // `\a` stays literal; tags sorted by unescaped key (`\a` < `a b` < `a!`).
    assert_eq!(key_of("m,a!=1,a\\ b=2,\\a=3 v=1"), "m,\\a=3,a\\ b=2,a!=1");
    assert_eq!(key_of("m,two=a\\\\\\ b v=1"), "m,two=a\\\\\\ b");
    let body = b"m,k=x\\,y,host=a v=1";
    let (out, _) = scan_all(body, Precision::Nanoseconds);
    let t: Vec<_> = tags(body, &out[0]).collect();
    assert_eq!(
        t,
        vec![(&b"k"[..], &b"x\\,y"[..]), (&b"host"[..], &b"a"[..])]
    );
}

#[test]
fn duplicate_detection_uses_unescaped_keys() {
    assert_eq!(
        err_kind("m,b=1,a\\b=2,a\\b=3 v=1"),
        ScanErrorKind::DuplicateTags
    );
    assert_eq!(
        err_kind("m,a\\ b=1,x=1,a\\ b=3 v=1"),
        ScanErrorKind::DuplicateTags
    );
    let (_, f) = one("m,a\\=b=1,a=1 v=1");
    assert_eq!(f.len(), 1);
}

#[test]
fn series_key_round_trip() {
    for body in [
        "cpu,host=a,region=b v=1",
        "c\\ p\\,u,t\\ k\\=x=v\\,1\\=2,zz=\\\\x v=1",
        "m=x,a=\\\\\\,b v=1",
        "m v=1",
    ] {
        let b = body.as_bytes();
        let (out, errs) = scan_all(b, Precision::Nanoseconds);
        assert!(errs.is_empty(), "{body}: {errs:?}");
        let (mut scratch, mut key) = (Vec::new(), Vec::new());
        write_series_key(b, &out[0], &mut scratch, &mut key);
        let parts = parse_series_key(&key);
        let mut m = Vec::new();
        unescape_into(out[0].measurement.slice(b), EscapeKind::Measurement, &mut m);
        assert_eq!(parts.measurement().as_ref(), &m[..], "{body}");
        let mut want: Vec<(Vec<u8>, Vec<u8>)> = tags(b, &out[0])
            .map(|(k, v)| {
                let (mut uk, mut uv) = (Vec::new(), Vec::new());
                unescape_into(k, EscapeKind::Key, &mut uk);
                unescape_into(v, EscapeKind::Key, &mut uv);
                (uk, uv)
            })
            .collect();
        want.sort();
        let got: Vec<(Vec<u8>, Vec<u8>)> = parts
            .tags()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(got, want, "{body}");
    }
}

#[test]
fn size_limits() {
    let long_tag = format!("m,t={} v=1", "x".repeat(65_535));
    assert_eq!(err_kind(&long_tag), ScanErrorKind::MaxKeyLengthExceeded);
    let near = format!("m,t={} {}=1", "x".repeat(65_000), "f".repeat(600));
    assert_eq!(err_kind(&near), ScanErrorKind::MaxKeyLengthExceeded);
    let ok = format!("m s=\"{}\"", "y".repeat(1 << 20));
    let (out, errs) = scan_all(ok.as_bytes(), Precision::Nanoseconds);
    assert!(errs.is_empty() && out.len() == 1);
    let big = format!("m s=\"{}\"", "y".repeat((1 << 20) + 1));
    assert_eq!(err_kind(&big), ScanErrorKind::FieldValueTooLong);
    // Escapes count once: 2 raw bytes per `"`.
    let escaped = format!("m s=\"{}\"", "\\\"".repeat(1 << 19));
    let (_, errs) = scan_all(escaped.as_bytes(), Precision::Nanoseconds);
    assert!(errs.is_empty());
}

#[test]
fn iterators_do_not_panic_on_garbage_spans() {
    let body = b"m,a v=\"";
    let line = LineSpan {
        line_no: 1,
        measurement: Span { start: 0, end: 1 },
        tags: Span { start: 2, end: 99 },
        fields: Span { start: 4, end: 7 },
        timestamp: None,
    };
    let _ = tags(body, &line).count();
    let mut f = fields(body, &line);
    assert_eq!(f.by_ref().count(), 0);
    assert!(f.is_malformed());
    let (mut scratch, mut key) = (Vec::new(), Vec::new());
    write_series_key(body, &line, &mut scratch, &mut key);
    let _ = parse_series_key(b"\\").tags().count();
    let _ = parse_series_key(b",=,=\\").tags().count();
}

#[test]
fn duplicates_among_many_tags() {
    let tags: String = (0..80).rev().map(|i| format!(",t{i}=v")).collect();
    let ok = format!("m{tags} v=1");
    let (out, errs) = scan_all(ok.as_bytes(), Precision::Nanoseconds);
    assert!(errs.is_empty() && out.len() == 1);
    assert_eq!(
        err_kind(&format!("m{tags},t3=x v=1")),
        ScanErrorKind::DuplicateTags
    );
    let few: String = (0..10).rev().map(|i| format!(",t{i}=v")).collect();
    assert_eq!(
        err_kind(&format!("m{few},t3=x v=1")),
        ScanErrorKind::DuplicateTags
    );
}
