//! Exact-output tests for the annotated CSV encoder and the dialect parser.

use std::sync::Arc;

use ringflux_engine::query::table::{
    ColumnData, ColumnMeta, ColumnType, TableChunk, TableMeta, Value,
};
use serde_json::json;

use super::*;

fn float(f: f64) -> String {
    let mut out = Vec::new();
    format_float(&mut out, f);
    String::from_utf8(out).unwrap()
}

fn time(ns: i64) -> String {
    let mut out = Vec::new();
    format_time(&mut out, ns);
    String::from_utf8(out).unwrap()
}

#[test]
fn floats_match_go_format_float_f_minus_1() {
    assert_eq!(float(1.0), "1");
    assert_eq!(float(-0.0), "-0");
    assert_eq!(float(0.1), "0.1");
    assert_eq!(float(10.979094987144862), "10.979094987144862");
    assert_eq!(float(1e21), "1000000000000000000000");
    assert_eq!(float(1e-7), "0.0000001");
    assert_eq!(float(123456789.125), "123456789.125");
    assert_eq!(float(f64::MAX).len(), 309);
    assert_eq!(float(5e-324).len(), 326);
    assert_eq!(float(f64::NAN), "NaN");
    assert_eq!(float(f64::INFINITY), "+Inf");
    assert_eq!(float(f64::NEG_INFINITY), "-Inf");
}

#[test]
fn times_are_rfc3339_nano_trimmed() {
    assert_eq!(time(0), "1970-01-01T00:00:00Z");
    assert_eq!(time(1_545_171_065_000_000_000), "2018-12-18T22:11:05Z");
    assert_eq!(time(1_545_171_065_123_000_000), "2018-12-18T22:11:05.123Z");
    assert_eq!(
        time(1_545_171_065_000_000_001),
        "2018-12-18T22:11:05.000000001Z"
    );
    assert_eq!(time(-1), "1969-12-31T23:59:59.999999999Z");
    assert_eq!(time(-1_000_000_000), "1969-12-31T23:59:59Z");
    assert_eq!(time(951_782_400_000_000_000), "2000-02-29T00:00:00Z");
    assert_eq!(time(i64::MIN), "1677-09-21T00:12:43.145224192Z");
    assert_eq!(time(i64::MAX), "2262-04-11T23:47:16.854775807Z");
}

#[test]
fn dialect_defaults_and_validation() {
    assert_eq!(parse_dialect(None).unwrap(), Dialect::default());
    assert_eq!(
        parse_dialect(Some(&json!(null))).unwrap(),
        Dialect::default()
    );
    assert_eq!(parse_dialect(Some(&json!({}))).unwrap(), Dialect::default());
    let d = parse_dialect(Some(&json!({
        "header": false, "delimiter": ";", "annotations": ["group", "datatype", "default"],
        "commentPrefix": "#", "dateTimeFormat": "RFC3339Nano"
    })))
    .unwrap();
    assert!(!d.header);
    assert_eq!(d.delimiter, b';');
    assert_eq!(
        d.annotations,
        vec![Annotation::Group, Annotation::Datatype, Annotation::Default]
    );
    assert_eq!(
        parse_dialect(Some(&json!({"delimiter": ""})))
            .unwrap()
            .delimiter,
        b','
    );
    assert_eq!(
        parse_dialect(Some(&json!({"annotations": ["bogus"]}))).unwrap_err(),
        "unknown dialect annotation type: bogus"
    );
    assert_eq!(
        parse_dialect(Some(&json!({"delimiter": ",,"}))).unwrap_err(),
        "invalid dialect delimeter: must be length 1"
    );
    // 2.7 checks the byte length, so a multi-byte character is rejected too.
    assert!(parse_dialect(Some(&json!({"delimiter": "é"}))).is_err());
    assert_eq!(
        parse_dialect(Some(&json!({"commentPrefix": "//"}))).unwrap_err(),
        "invalid dialect comment prefix: must be length 0 or 1"
    );
    assert_eq!(
        parse_dialect(Some(&json!({"dateTimeFormat": "unix"}))).unwrap_err(),
        "unknown dialect date time format: unix"
    );
    assert!(parse_dialect(Some(&json!({"header": "yes"}))).is_err());
    assert!(parse_dialect(Some(&json!({"annotations": "group"}))).is_err());
    assert!(parse_dialect(Some(&json!([1]))).is_err());
}

fn cpu_meta(host: &str) -> Arc<TableMeta> {
    Arc::new(TableMeta::new(
        vec![
            ColumnMeta::new("_start", ColumnType::DateTime, true),
            ColumnMeta::new("_time", ColumnType::DateTime, false),
            ColumnMeta::new("_value", ColumnType::Double, false),
            ColumnMeta::new("host", ColumnType::String, true),
        ],
        vec![
            Some(Value::DateTime(0)),
            None,
            None,
            Some(Value::String(host.into())),
        ],
    ))
}

fn cpu_chunk(meta: &Arc<TableMeta>, host: &str, values: &[f64]) -> TableChunk {
    let n = values.len();
    TableChunk {
        meta: meta.clone(),
        columns: vec![
            ColumnData::DateTime(vec![Some(0); n]),
            ColumnData::DateTime((0..n as i64).map(|i| Some(i * 1_000_000_000)).collect()),
            ColumnData::Double(values.iter().map(|v| Some(*v)).collect()),
            ColumnData::String(vec![Some(host.into()); n]),
        ],
    }
}

fn encode(dialect: Dialect, f: impl FnOnce(&mut CsvEncoder, &mut Vec<u8>)) -> String {
    let mut enc = CsvEncoder::new(dialect, "_result");
    let mut out = Vec::new();
    assert!(!enc.wrote_anything());
    f(&mut enc, &mut out);
    String::from_utf8(out).unwrap()
}

fn all_annotations() -> Dialect {
    Dialect {
        header: true,
        delimiter: b',',
        annotations: vec![Annotation::Datatype, Annotation::Group, Annotation::Default],
    }
}

#[test]
fn two_tables_same_schema_share_the_header() {
    let (a, b) = (cpu_meta("a"), cpu_meta("b"));
    let got = encode(Dialect::default(), |enc, out| {
        enc.begin_table(&a, out);
        enc.write_rows(&cpu_chunk(&a, "a", &[1.5]), out);
        enc.write_rows(&cpu_chunk(&a, "a", &[2.0]), out);
        enc.begin_table(&b, out);
        enc.write_rows(&cpu_chunk(&b, "b", &[3.25]), out);
        enc.end_result(out);
        assert!(enc.wrote_anything());
    });
    assert_eq!(
        got,
        ",result,table,_start,_time,_value,host\r\n\
         ,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1.5,a\r\n\
         ,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,2,a\r\n\
         ,_result,1,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,3.25,b\r\n\
         \r\n"
    );
}

#[test]
fn all_annotations_and_schema_change() {
    let a = cpu_meta("a");
    let other = Arc::new(TableMeta::new(
        vec![
            ColumnMeta::new("_field", ColumnType::String, true),
            ColumnMeta::new("_value", ColumnType::Long, false),
            ColumnMeta::new("ok", ColumnType::Boolean, false),
            ColumnMeta::new("n", ColumnType::UnsignedLong, false),
        ],
        vec![Some(Value::String("f".into()))],
    ));
    let got = encode(all_annotations(), |enc, out| {
        enc.begin_table(&a, out);
        enc.write_rows(&cpu_chunk(&a, "a", &[1.0]), out);
        enc.begin_table(&other, out);
        enc.write_rows(
            &TableChunk {
                meta: other.clone(),
                columns: vec![
                    ColumnData::String(vec![Some("f".into()), Some("f".into())]),
                    ColumnData::Long(vec![Some(-7), None]),
                    ColumnData::Boolean(vec![Some(true), Some(false)]),
                    ColumnData::UnsignedLong(vec![Some(u64::MAX), None]),
                ],
            },
            out,
        );
        enc.end_result(out);
    });
    assert_eq!(
        got,
        "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,double,string\r\n\
         #group,false,false,true,false,false,true\r\n\
         #default,_result,,,,,\r\n\
         ,result,table,_start,_time,_value,host\r\n\
         ,,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1,a\r\n\
         \r\n\
         #datatype,string,long,string,long,boolean,unsignedLong\r\n\
         #group,false,false,true,false,false,false\r\n\
         #default,_result,,,,,\r\n\
         ,result,table,_field,_value,ok,n\r\n\
         ,,1,f,-7,true,18446744073709551615\r\n\
         ,,1,f,,false,\r\n\
         \r\n"
    );
}

#[test]
fn empty_table_gets_key_defaults_and_forces_new_headers() {
    let (a, b, c) = (cpu_meta("a"), cpu_meta("b"), cpu_meta("c"));
    let got = encode(all_annotations(), |enc, out| {
        enc.begin_table(&a, out);
        enc.write_rows(&cpu_chunk(&a, "a", &[1.0]), out);
        enc.begin_table(&b, out); // empty
        enc.begin_table(&c, out);
        enc.write_rows(&cpu_chunk(&c, "c", &[]), out); // empty chunk: no effect
        enc.write_rows(&cpu_chunk(&c, "c", &[2.0]), out);
        enc.end_result(out);
    });
    let header = "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,double,string\r\n\
                  #group,false,false,true,false,false,true\r\n";
    assert_eq!(
        got,
        format!(
            "{header}#default,_result,,,,,\r\n\
             ,result,table,_start,_time,_value,host\r\n\
             ,,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1,a\r\n\
             \r\n\
             {header}#default,_result,1,1970-01-01T00:00:00Z,,,b\r\n\
             ,result,table,_start,_time,_value,host\r\n\
             \r\n\
             {header}#default,_result,,,,,\r\n\
             ,result,table,_start,_time,_value,host\r\n\
             ,,2,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,2,c\r\n\
             \r\n"
        )
    );
}

#[test]
fn no_tables_is_a_single_crlf_and_header_false() {
    assert_eq!(
        encode(Dialect::default(), |enc, out| enc.end_result(out)),
        "\r\n"
    );
    let a = cpu_meta("a");
    let d = Dialect {
        header: false,
        ..Dialect::default()
    };
    let got = encode(d, |enc, out| {
        enc.write_rows(&cpu_chunk(&a, "a", &[1.0]), out);
        enc.end_result(out);
    });
    assert_eq!(
        got,
        ",_result,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1,a\r\n\r\n"
    );
}

#[test]
fn strings_are_quoted_like_go_encoding_csv() {
    let meta = Arc::new(TableMeta::new(
        vec![ColumnMeta::new("s", ColumnType::String, false)],
        vec![],
    ));
    let values = [
        "plain",
        "a,b",
        "say \"hi\"",
        "line\nbreak",
        "cr\rx",
        " lead",
        "\tx",
        "\u{a0}nb",
        "trail ",
        "",
        "\\.",
        "é",
    ];
    let got = encode(Dialect::default(), |enc, out| {
        enc.write_rows(
            &TableChunk {
                meta: meta.clone(),
                columns: vec![ColumnData::String(
                    values
                        .iter()
                        .map(|s| Some(s.to_string()))
                        .chain([None])
                        .collect(),
                )],
            },
            out,
        );
        enc.end_result(out);
    });
    assert_eq!(
        got,
        ",result,table,s\r\n\
         ,_result,0,plain\r\n\
         ,_result,0,\"a,b\"\r\n\
         ,_result,0,\"say \"\"hi\"\"\"\r\n\
         ,_result,0,\"line\r\nbreak\"\r\n\
         ,_result,0,\"crx\"\r\n\
         ,_result,0,\" lead\"\r\n\
         ,_result,0,\"\tx\"\r\n\
         ,_result,0,\"\u{a0}nb\"\r\n\
         ,_result,0,trail \r\n\
         ,_result,0,\r\n\
         ,_result,0,\"\\.\"\r\n\
         ,_result,0,é\r\n\
         ,_result,0,\r\n\
         \r\n"
    );
}

#[test]
fn odd_delimiter_quotes_numbers_and_yield_name() {
    let meta = Arc::new(TableMeta::new(
        vec![ColumnMeta::new("_value", ColumnType::Double, false)],
        vec![],
    ));
    let d = Dialect {
        header: true,
        delimiter: b'.',
        annotations: vec![],
    };
    let mut enc = CsvEncoder::new(d, "my.result");
    let mut out = Vec::new();
    enc.write_rows(
        &TableChunk {
            meta,
            columns: vec![ColumnData::Double(vec![Some(1.5), Some(2.0)])],
        },
        &mut out,
    );
    enc.end_result(&mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        ".result.table._value\r\n.\"my.result\".0.\"1.5\"\r\n.\"my.result\".0.2\r\n\r\n"
    );
}

#[test]
fn error_table_after_output() {
    let a = cpu_meta("a");
    let got = encode(all_annotations(), |enc, out| {
        enc.begin_table(&a, out);
        enc.write_rows(&cpu_chunk(&a, "a", &[1.0]), out);
        enc.write_error("boom, \"bad\"", out);
    });
    assert!(got.ends_with(
        ",,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1,a\r\n\
         \r\n\
         #datatype,string,string\r\n\
         #group,true,true\r\n\
         #default,,\r\n\
         ,error,reference\r\n\
         ,\"boom, \"\"bad\"\"\",\r\n"
    ));
    let plain = encode(Dialect::default(), |enc, out| enc.write_error("x", out));
    assert_eq!(plain, ",error,reference\r\n,x,\r\n");
}

#[test]
fn multiple_results_restart_table_ids() {
    let a = cpu_meta("a");
    let got = encode(Dialect::default(), |enc, out| {
        enc.write_rows(&cpu_chunk(&a, "a", &[1.0]), out);
        enc.end_result(out);
        enc.begin_result("second");
        enc.write_rows(&cpu_chunk(&a, "a", &[2.0]), out);
        enc.end_result(out);
    });
    assert_eq!(
        got,
        ",result,table,_start,_time,_value,host\r\n\
         ,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1,a\r\n\
         \r\n\
         ,result,table,_start,_time,_value,host\r\n\
         ,second,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,2,a\r\n\
         \r\n"
    );
}
