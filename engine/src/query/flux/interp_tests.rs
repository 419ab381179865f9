//! Tests for the interpreter, the lazy table plans and the transformations.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use super::interp::Interp;
use super::tables::{execute, EmptySource, ExecCtx, NodeKind, TableSource};
use super::value::{Record, Value};
use super::{builtins, compile, evaluate, parse, run, Limits};
use crate::query::plan::{BucketRef, PlanError, ReadPlan};
use crate::query::table::{ColumnType, TableChunk, Value as Cell};

const NOW: i64 = 1_592_224_496_789_012_345; // 2020-06-15T12:34:56.789012345Z

/// Evaluates `x = <src>` and returns `x`.
fn eval(src: &str) -> Result<Value, PlanError> {
    eval_with(&format!("x = {src}"), Value::Null)
}

fn eval_with(program: &str, params: Value) -> Result<Value, PlanError> {
    let file = parse(program)?;
    let mut interp = Interp::new(builtins::registry(), NOW, params);
    let scope = interp.run_file(&file)?;
    Ok(scope.get("x").cloned().unwrap_or(Value::Null))
}

fn ok(src: &str) -> Value {
    eval(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn err(src: &str) -> String {
    match eval(src) {
        Ok(v) => panic!("{src}: expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn literals_and_arithmetic() {
    assert_eq!(ok("1 + 2 * 3"), Value::Int(7));
    assert_eq!(ok("7 / 2"), Value::Int(3));
    assert_eq!(ok("7.0 / 2.0"), Value::Float(3.5));
    assert_eq!(ok("2 ^ 10"), Value::Int(1024));
    assert_eq!(ok("-(3 % 2)"), Value::Int(-1));
    assert_eq!(ok("\"a\" + \"b\""), Value::str("ab"));
    assert_eq!(ok("uint(v: 3) + uint(v: 4)"), Value::UInt(7));
    assert_eq!(ok("1h30m"), ok("90m"));
    assert_eq!(
        ok("2020-01-01T00:00:00Z"),
        Value::Time(1_577_836_800_000_000_000)
    );
    assert_eq!(ok("[1, 2, 3][1]"), Value::Int(2));
    assert_eq!(ok("{a: 1, b: \"x\"}.b"), Value::str("x"));
    assert_eq!(ok("{a: 1}[\"a\"]"), Value::Int(1));
    assert_eq!(ok("{a: 1}.missing"), Value::Null);
}

#[test]
fn typing_errors_name_types_and_positions() {
    let e = err("1 + 2.0");
    assert!(e.contains("int + float"), "{e}");
    assert!(e.starts_with("error @1:5-1:12"), "{e}");
    let e = err("\"a\" * 2");
    assert!(e.contains("string * int"), "{e}");
    let e = err("1 / 0");
    assert!(e.contains("division by zero"), "{e}");
    let e = err("[1][5]");
    assert!(e.contains("out of bounds"), "{e}");
    let e = err("if 1 then 2 else 3");
    assert!(e.contains("expected a bool"), "{e}");
}

#[test]
fn comparisons_logic_and_regex() {
    assert_eq!(ok("1 < 2.5"), Value::Bool(true));
    assert_eq!(ok("uint(v: 3) == 3"), Value::Bool(true));
    assert_eq!(ok("\"abc\" =~ /^a.c$/"), Value::Bool(true));
    assert_eq!(ok("\"abc\" !~ /b/"), Value::Bool(false));
    assert_eq!(ok("not (1 == 1) or true"), Value::Bool(true));
    // `and` short-circuits: the right side would be a type error.
    assert_eq!(ok("false and (1 + 1.0 == 2)"), Value::Bool(false));
    assert_eq!(ok("exists {a: 1}.a"), Value::Bool(true));
    assert_eq!(ok("exists {a: 1}.b"), Value::Bool(false));
    assert_eq!(ok("if 2 > 1 then \"y\" else \"n\""), Value::str("y"));
    assert_eq!(ok("{a: 1}.b == 1"), Value::Null);
    assert!(err("1 < \"a\"").contains("int < string"));
}

#[test]
fn closures_defaults_pipes_and_blocks() {
    let v = eval_with(
        "k = 10\nf = (a, b=2) => a * b + k\nk2 = 100\nx = f(a: 3)",
        Value::Null,
    );
    assert_eq!(v.unwrap(), Value::Int(16));
    let v = eval_with("add = (v=<-, n) => v + n\nx = 1 |> add(n: 2)", Value::Null);
    assert_eq!(v.unwrap(), Value::Int(3));
    let v = eval_with(
        "f = (r) => {\n  y = r.a * 2\n  return {r with y: y}\n}\nx = f(r: {a: 1}).y",
        Value::Null,
    );
    assert_eq!(v.unwrap(), Value::Int(2));
    // Functions see the scope where they were written, not their own name.
    let e = eval_with("f = (n) => f(n: n)\nx = f(n: 1)", Value::Null).unwrap_err();
    assert!(e.message.contains("undefined identifier f"), "{e}");
    let e = eval_with("f = (a) => a\nx = f(b: 1)", Value::Null).unwrap_err();
    assert!(e.message.contains("unexpected argument"), "{e}");
    let e = eval_with("f = (a) => a\nx = f()", Value::Null).unwrap_err();
    assert!(e.message.contains("missing required argument \"a\""), "{e}");
}

#[test]
fn record_with_keeps_order_and_overrides() {
    let v = eval_with("r = {a: 1, b: 2}\nx = {r with b: 3, c: 4}", Value::Null).unwrap();
    let Value::Record(r) = v else { panic!() };
    let labels: Vec<&str> = r.fields.iter().map(|(k, _)| &**k).collect();
    assert_eq!(labels, ["a", "b", "c"]);
    assert_eq!(r.get("b"), Some(&Value::Int(3)));
}

#[test]
fn string_interpolation() {
    let v = eval_with(
        "h = \"web\"\nx = \"host ${h}: ${1 + 2} ${2.5}\"",
        Value::Null,
    );
    assert_eq!(v.unwrap(), Value::str("host web: 3 2.5"));
    assert_eq!(ok("\"${\"in${\"ner\"}\"}\""), Value::str("inner"));
    assert_eq!(ok("\"a\\${b}\""), Value::str("a${b}"));
    let e = err("\"${nope}\"");
    assert!(e.contains("undefined identifier nope"), "{e}");
    assert!(e.starts_with("error @1:8"), "{e}");
}

#[test]
fn undefined_identifiers_and_unsupported_members() {
    let e = err("frobnicate(x: 1)");
    assert_eq!(e, "error @1:5-1:15: undefined identifier frobnicate");
    let e = eval_with(
        "import \"strings\"\nx = strings.nope(v: \"a\")",
        Value::Null,
    )
    .unwrap_err();
    assert!(e.message.contains("strings.nope is not supported"), "{e}");
    assert_eq!(e.line, 2);
}

#[test]
fn options_params_and_now() {
    let v = eval_with(
        "option now = () => 2020-01-01T00:00:00Z\nx = now()",
        Value::Null,
    );
    assert_eq!(v.unwrap(), Value::Time(1_577_836_800_000_000_000));
    assert_eq!(ok("now()"), Value::Time(NOW));
    let params = Value::Record(Arc::new(Record {
        fields: vec![(Arc::from("n"), Value::Int(5))],
        package: None,
    }));
    assert_eq!(
        eval_with("x = params.n * 2", params).unwrap(),
        Value::Int(10)
    );
}

#[test]
fn packages() {
    let run = |body: &str| {
        eval_with(
            &format!("import \"strings\"\nimport \"math\"\nimport \"date\"\nx = {body}"),
            Value::Null,
        )
        .unwrap_or_else(|e| panic!("{body}: {e}"))
    };
    assert_eq!(run("strings.toUpper(v: \"ab\")"), Value::str("AB"));
    assert_eq!(
        run("strings.hasPrefix(v: \"abc\", prefix: \"ab\")"),
        Value::Bool(true)
    );
    assert_eq!(
        run("strings.replaceAll(v: \"a-b-c\", t: \"-\", u: \"+\")"),
        Value::str("a+b+c")
    );
    assert_eq!(
        run("length(arr: strings.split(v: \"a,b,c\", t: \",\"))"),
        Value::Int(3)
    );
    assert_eq!(run("strings.trimSpace(v: \"  x \")"), Value::str("x"));
    assert_eq!(run("math.floor(x: 2.7)"), Value::Float(2.0));
    assert_eq!(run("date.hour(t: 2020-01-01T13:04:05Z)"), Value::Int(13));
    assert_eq!(run("date.weekDay(t: 2020-01-01T13:04:05Z)"), Value::Int(3));
    assert_eq!(
        run("date.truncate(t: 2020-03-15T13:04:05Z, unit: 1mo)"),
        ok("2020-03-01T00:00:00Z")
    );
    assert_eq!(
        run("date.truncate(t: 2020-03-15T13:04:05Z, unit: 1h)"),
        ok("2020-03-15T13:00:00Z")
    );
    assert_eq!(run("string(v: 1.5)"), Value::str("1.5"));
    assert_eq!(run("int(v: \"42\")"), Value::Int(42));
    assert_eq!(run("float(v: 3)"), Value::Float(3.0));
    assert!(eval_with("x = int(v: \"x\")", Value::Null).is_err());
    assert_eq!(run("contains(value: 2, set: [1, 2])"), Value::Bool(true));
    assert_eq!(run("[\"a\": 1, \"b\": 2]"), ok("[\"a\": 1, \"b\": 2]"));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("x = {}1{}", "(".repeat(500), ")".repeat(500));
    assert!(eval_with(&deep, Value::Null).is_err());
    let deep = format!("x = \"{}\"", "${\"".repeat(20) + &"\"}".repeat(20));
    assert!(eval_with(&deep, Value::Null).is_err());
}

// ---------------------------------------------------------------------------------------------
// Tables

const DATA: &str = "
#datatype,string,long,dateTime:RFC3339,double,string,string,string
#group,false,false,false,false,true,true,true
#default,_result,,,,,,
,result,table,_time,_value,_field,_measurement,host
,,0,2020-01-01T00:00:00Z,1,f,m,a
,,0,2020-01-01T00:00:10Z,2,f,m,a
,,0,2020-01-01T00:00:20Z,,f,m,a
,,1,2020-01-01T00:00:00Z,10,f,m,b
,,1,2020-01-01T00:00:10Z,30,f,m,b
";

/// Runs `inp |> <pipeline>` over [`DATA`] and returns the `_result` tables.
fn tables(pipeline: &str) -> Vec<TableChunk> {
    match try_tables(pipeline) {
        Ok(t) => t,
        Err(e) => panic!("{pipeline}: {e}"),
    }
}

fn try_tables(pipeline: &str) -> Result<Vec<TableChunk>, PlanError> {
    let q = format!("import \"csv\"\ninp = csv.from(csv: data)\ninp {pipeline}");
    let file = parse(&q)?;
    let mut file = file;
    // Bind `data` first.
    let data = parse(&format!("data = \"{}\"", DATA.replace('"', "\\\"")))?;
    let mut body = data.body;
    body.append(&mut file.body);
    file.body = body;
    let mut results = super::run_file(&file, NOW, Value::Null, &EmptySource, Limits::default())?;
    Ok(results.pop().map(|(_, t)| t).unwrap_or_default())
}

fn labels(t: &TableChunk) -> Vec<String> {
    t.meta.columns.iter().map(|c| c.label.clone()).collect()
}

fn key_labels(t: &TableChunk) -> Vec<String> {
    t.meta
        .columns
        .iter()
        .filter(|c| c.group)
        .map(|c| c.label.clone())
        .collect()
}

fn col(t: &TableChunk, label: &str) -> Vec<Option<Cell>> {
    let i = t
        .meta
        .column_index(label)
        .unwrap_or_else(|| panic!("no {label}"));
    (0..t.rows()).map(|r| t.columns[i].get(r)).collect()
}

fn floats(v: &[f64]) -> Vec<Option<Cell>> {
    v.iter().map(|x| Some(Cell::Double(*x))).collect()
}

#[test]
fn csv_decoding() {
    let t = tables("");
    assert_eq!(t.len(), 2);
    assert_eq!(
        labels(&t[0]),
        ["_time", "_value", "_field", "_measurement", "host"]
    );
    assert_eq!(key_labels(&t[0]), ["_field", "_measurement", "host"]);
    assert_eq!(col(&t[0], "_value")[2], None);
    for x in &t {
        x.validate().unwrap();
    }
}

#[test]
fn range_adds_bounds_first_and_filters_rows() {
    let t = tables("|> range(start: 2020-01-01T00:00:05Z, stop: 2020-01-01T00:00:20Z)");
    assert_eq!(labels(&t[0])[..3], ["_start", "_stop", "_time"]);
    assert_eq!(key_labels(&t[0])[..2], ["_start", "_stop"]);
    assert_eq!(col(&t[0], "_value"), floats(&[2.0]));
    assert_eq!(col(&t[1], "_value"), floats(&[30.0]));
}

#[test]
fn filter_and_on_empty() {
    let t = tables("|> filter(fn: (r) => r._value > 5.0)");
    assert_eq!(t.len(), 1);
    assert_eq!(col(&t[0], "host")[0], Some(Cell::String("b".into())));
    let t = tables("|> filter(fn: (r) => r._value > 5.0, onEmpty: \"keep\")");
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].rows(), 0);
    let t = tables("|> filter(fn: (r) => r.host =~ /^a/)");
    assert_eq!(t.len(), 1);
    let e = try_tables("|> filter(fn: (r) => r._value)").unwrap_err();
    assert!(e.message.contains("must return a bool"), "{e}");
}

#[test]
fn map_with_and_new_schema() {
    let t = tables("|> map(fn: (r) => ({r with _value: r._value * 2.0, tag: \"${r.host}!\"}))");
    assert_eq!(
        labels(&t[0]),
        ["_time", "_value", "_field", "_measurement", "host", "tag"]
    );
    assert_eq!(
        col(&t[0], "_value"),
        vec![Some(Cell::Double(2.0)), Some(Cell::Double(4.0)), None]
    );
    assert_eq!(col(&t[1], "tag")[0], Some(Cell::String("b!".into())));
    // Dropping the key columns from the record drops them from the key and merges tables.
    let t = tables("|> map(fn: (r) => ({v: r._value}))");
    assert_eq!(t.len(), 1);
    assert_eq!(labels(&t[0]), ["v"]);
    assert_eq!(t[0].rows(), 5);
    let e = try_tables("|> map(fn: (r) => ({v: r._value + 1}))").unwrap_err();
    assert!(e.message.contains("float + int"), "{e}");
}

#[test]
fn keep_drop_rename() {
    let t = tables("|> keep(columns: [\"_value\", \"host\", \"nope\"])");
    assert_eq!(labels(&t[0]), ["_value", "host"]);
    assert_eq!(key_labels(&t[0]), ["host"]);
    let t = tables("|> drop(columns: [\"host\"])");
    assert_eq!(
        t.len(),
        1,
        "dropping a key column merges tables with equal keys"
    );
    assert_eq!(t[0].rows(), 5);
    let t = tables("|> drop(fn: (column) => column =~ /^_[tv]/)");
    assert_eq!(labels(&t[0]), ["_field", "_measurement", "host"]);
    let t = tables("|> rename(columns: {host: \"server\"})");
    assert_eq!(key_labels(&t[0]), ["_field", "_measurement", "server"]);
    let t = tables("|> rename(fn: (column) => \"x\" + column)");
    assert_eq!(labels(&t[0])[0], "x_time");
}

#[test]
fn group_modes() {
    let t = tables("|> group()");
    assert_eq!(t.len(), 1);
    assert!(key_labels(&t[0]).is_empty());
    assert_eq!(t[0].rows(), 5);
    let t = tables("|> group(columns: [\"_value\"])");
    assert_eq!(t.len(), 5);
    let t = tables("|> group(columns: [\"host\", \"_value\", \"_time\"], mode: \"except\")");
    assert_eq!(key_labels(&t[0]), ["_field", "_measurement"]);
    assert_eq!(t.len(), 1);
}

#[test]
fn sort_limit_tail() {
    let t = tables("|> sort(columns: [\"_value\"], desc: true)");
    assert_eq!(
        col(&t[0], "_value"),
        vec![Some(Cell::Double(2.0)), Some(Cell::Double(1.0)), None]
    );
    let t = tables("|> sort()");
    assert_eq!(col(&t[0], "_value")[0], None, "nulls sort first");
    let t = tables("|> limit(n: 1, offset: 1)");
    assert_eq!(col(&t[0], "_value"), floats(&[2.0]));
    assert_eq!(col(&t[1], "_value"), floats(&[30.0]));
    let t = tables("|> tail(n: 2)");
    assert_eq!(col(&t[0], "_value"), vec![Some(Cell::Double(2.0)), None]);
}

#[test]
fn set_duplicate_fill() {
    let t = tables("|> set(key: \"host\", value: \"z\")");
    assert_eq!(t.len(), 1, "set on a key column changes the key");
    let t = tables("|> set(key: \"new\", value: \"v\")");
    assert_eq!(labels(&t[0]).last().unwrap(), "new");
    let t = tables("|> duplicate(column: \"host\", as: \"h2\")");
    assert_eq!(col(&t[0], "h2")[0], Some(Cell::String("a".into())));
    assert!(!key_labels(&t[0]).contains(&"h2".to_string()));
    let t = tables("|> fill(value: 0.0)");
    assert_eq!(col(&t[0], "_value")[2], Some(Cell::Double(0.0)));
    let t = tables("|> fill(usePrevious: true)");
    assert_eq!(col(&t[0], "_value")[2], Some(Cell::Double(2.0)));
    assert!(try_tables("|> fill(value: 1)").is_err(), "type mismatch");
}

#[test]
fn pivot_fields() {
    let t = tables("|> pivot(rowKey: [\"_time\"], columnKey: [\"host\"], valueColumn: \"_value\")");
    assert_eq!(t.len(), 1);
    assert_eq!(labels(&t[0]), ["_field", "_measurement", "_time", "a", "b"]);
    assert_eq!(t[0].rows(), 3);
    assert_eq!(col(&t[0], "b")[2], None);
}

#[test]
fn conversions_union_and_yields() {
    let t = tables("|> toString()");
    assert_eq!(t[0].meta.columns[1].ty, ColumnType::String);
    assert_eq!(col(&t[0], "_value")[0], Some(Cell::String("1".into())));
    let t = tables("|> toInt()");
    assert_eq!(col(&t[1], "_value")[1], Some(Cell::Long(30)));
    let q = "import \"array\"\na = array.from(rows: [{v: 1}])\nb = array.from(rows: [{v: 2}])\n\
             union(tables: [a, b]) |> yield(name: \"u\")\na |> yield(name: \"first\")\nb";
    let r = run(q, NOW, Value::Null, &EmptySource, Limits::default()).unwrap();
    let names: Vec<&str> = r.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["u", "first", "_result"]);
    assert_eq!(r[0].1.len(), 2);
}

#[test]
fn array_from_and_diff() {
    let q = "import \"array\"\nimport \"testing\"\n\
             got = array.from(rows: [{a: 1.0, b: \"x\"}, {a: 2.0000001, b: \"y\"}])\n\
             want = array.from(rows: [{b: \"x\", a: 1.0}, {b: \"y\", a: 2.0}])\n\
             testing.diff(got, want)";
    let r = run(q, NOW, Value::Null, &EmptySource, Limits::default()).unwrap();
    assert_eq!(r[0].0, "errorOutput");
    assert!(r[0].1.iter().all(|t| t.rows() == 0));
    let q = "import \"array\"\nimport \"testing\"\n\
             got = array.from(rows: [{a: 1}])\nwant = array.from(rows: [{a: 2}])\n\
             testing.diff(got, want)";
    let r = run(q, NOW, Value::Null, &EmptySource, Limits::default()).unwrap();
    let t = &r[0].1[0];
    assert_eq!(labels(t), ["_diff", "a"]);
    assert_eq!(
        col(t, "_diff"),
        vec![
            Some(Cell::String("-".into())),
            Some(Cell::String("+".into()))
        ]
    );
}

/// Records the plans it is asked to read.
#[derive(Default)]
struct Recorder {
    plans: Mutex<Vec<(BucketRef, ReadPlan)>>,
}

impl TableSource for Recorder {
    fn read(&self, bucket: &BucketRef, plan: &ReadPlan) -> Result<Vec<TableChunk>, String> {
        self.plans
            .lock()
            .unwrap()
            .push((bucket.clone(), plan.clone()));
        Ok(Vec::new())
    }
}

#[test]
fn from_range_filter_pushes_down_the_same_read_plan() {
    for q in [
        "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r._measurement == \"cpu\" and r.host != \"a\")",
        "from(bucket: \"b\") |> filter(fn: (r) => r._field == \"f\" or r._field == \"g\") |> range(start: 2020-01-01T00:00:00Z, stop: 2020-02-01T00:00:00Z) |> range(start: -1y)",
        "m = \"cpu\"\nfrom(bucket: \"b\") |> range(start: -5m) |> filter(fn: (r) => r._measurement == m) |> yield(name: \"x\")",
    ] {
        let old = compile(q, NOW).unwrap();
        let rec = Recorder::default();
        let r = run(q, NOW, Value::Null, &rec, Limits::default()).unwrap();
        assert_eq!(r[0].0, old.result_name);
        let plans = rec.plans.lock().unwrap();
        assert_eq!(plans.len(), 1, "{q}");
        assert_eq!(plans[0].0, old.bucket);
        assert_eq!(plans[0].1, old.read, "{q}");
    }
    // A filter on _value is not pushed: it stays an operation over the read.
    let file = parse("from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r._value > 1)")
        .unwrap();
    let (_, results) = evaluate(&file, NOW, Value::Null).unwrap();
    let NodeKind::Op { name, inputs, .. } = &results[0].1.kind else {
        panic!()
    };
    assert_eq!(name, "filter");
    assert!(matches!(inputs[0].kind, NodeKind::Read { .. }));
    let e = run(
        "from(bucket: \"b\")",
        NOW,
        Value::Null,
        &EmptySource,
        Limits::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("unbounded read"), "{e}");
}

#[test]
fn memory_limit_deadline_and_cancel() {
    let q = "import \"array\"\narray.from(rows: [{v: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]) |> map(fn: (r) => r)";
    let limits = Limits {
        memory: 50,
        deadline: None,
    };
    let e = run(q, NOW, Value::Null, &EmptySource, limits).unwrap_err();
    assert!(
        e.message
            .contains("query exceeded memory limit of 50 bytes"),
        "{e}"
    );
    let file = parse(q).unwrap();
    let (mut interp, results) = evaluate(&file, NOW, Value::Null).unwrap();
    let cancel = AtomicBool::new(true);
    let mut ctx = ExecCtx::new(&EmptySource, &mut interp);
    ctx.cancel = Some(&cancel);
    let e = execute(&results[0].1, &mut ctx).unwrap_err();
    assert!(e.message.contains("canceled"), "{e}");
    let mut ctx = ExecCtx::new(&EmptySource, &mut interp);
    ctx.deadline = Some(std::time::Instant::now());
    assert!(execute(&results[0].1, &mut ctx)
        .unwrap_err()
        .message
        .contains("timed out"));
}

#[test]
fn join_inner_renames_shared_columns() {
    let q = "import \"array\"\n\
             a = array.from(rows: [{t: 1, v: 1.0, h: \"x\"}, {t: 2, v: 2.0, h: \"x\"}])\n\
             b = array.from(rows: [{t: 2, v: 20.0}, {t: 3, v: 30.0}])\n\
             join(tables: {a: a, b: b}, on: [\"t\"])";
    let r = run(q, NOW, Value::Null, &EmptySource, Limits::default()).unwrap();
    let t = &r[0].1[0];
    assert_eq!(labels(t), ["t", "v_a", "h", "v_b"]);
    assert_eq!(t.rows(), 1);
    assert_eq!(col(t, "v_b"), floats(&[20.0]));
    let e = run(
        "import \"array\"\na = array.from(rows: [{t: 1}])\njoin(tables: {a: a, b: a}, on: [\"t\"], method: \"left\")",
        NOW,
        Value::Null,
        &EmptySource,
        Limits::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("not supported"), "{e}");
}

#[test]
fn table_find_and_columns() {
    let v = eval_with(
        "import \"array\"\n\
         t = array.from(rows: [{k: \"a\", v: 1}, {k: \"b\", v: 2}]) |> group(columns: [\"k\"])\n\
         x = t |> findColumn(fn: (key) => key.k == \"b\", column: \"v\")",
        Value::Null,
    )
    .unwrap();
    assert_eq!(v, Value::Array(Arc::new(vec![Value::Int(2)])));
    let v = eval_with(
        "import \"array\"\n\
         t = array.from(rows: [{k: \"a\", v: 1}])\n\
         x = (t |> tableFind(fn: (key) => true) |> getRecord(idx: 0)).v",
        Value::Null,
    )
    .unwrap();
    assert_eq!(v, Value::Int(1));
    let e = eval_with(
        "x = from(bucket: \"b\") |> range(start: -1h) |> findRecord(fn: (key) => true, idx: 0)",
        Value::Null,
    )
    .unwrap_err();
    assert!(e.message.contains("not supported"), "{e}");
}

#[test]
fn group_output_is_ordered_by_key() {
    let q = "import \"array\"\n\
             array.from(rows: [{k: \"b\", v: 1}, {k: \"a\", v: 2}, {k: \"c\", v: 3}, {k: \"a\", v: 4}])\n\
             |> group(columns: [\"k\"])";
    let r = run(q, NOW, Value::Null, &EmptySource, Limits::default()).unwrap();
    let keys: Vec<Option<Cell>> = r[0].1.iter().map(|t| col(t, "k")[0].clone()).collect();
    let s = |x: &str| Some(Cell::String(x.into()));
    assert_eq!(keys, [s("a"), s("b"), s("c")]);
    assert_eq!(
        col(&r[0].1[0], "v"),
        [Some(Cell::Long(2)), Some(Cell::Long(4))]
    );
}

#[test]
fn long_pipe_chains_are_bounded() {
    // Runs on a small stack, like an executor thread would.
    let h = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for n in [900usize, 5000] {
                let q = format!(
                    "import \"array\"\narray.from(rows: [{{v: 1}}]){}",
                    " |> map(fn: (r) => r)".repeat(n)
                );
                let r = run(&q, NOW, Value::Null, &EmptySource, Limits::default());
                if n == 900 {
                    assert!(r.is_ok(), "{r:?}");
                } else {
                    let e = r.unwrap_err();
                    assert!(e.message.contains("longer than"), "{e}");
                }
            }
        })
        .unwrap();
    h.join().unwrap();
}

#[test]
fn deepest_accepted_nesting_fits_a_small_stack() {
    let h = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for depth in [20usize, 60, 100] {
                let q = format!(
                    "f = (x) => x\nx = {}1{}",
                    "f(x: (".repeat(depth),
                    "))".repeat(depth)
                );
                let _ = eval_with(&q, Value::Null);
                let q = format!("x = {}1{}", "-(".repeat(depth), ")".repeat(depth));
                let _ = eval_with(&q, Value::Null);
            }
        })
        .unwrap();
    h.join().unwrap();
}

/// Rough per-row cost of `filter` + `map` (run with `--ignored --nocapture`, ideally `--release`).
#[test]
#[ignore]
fn row_function_throughput() {
    let rows = 200_000;
    let meta = Arc::new(crate::query::table::TableMeta::new(
        vec![
            crate::query::table::ColumnMeta::new("_time", ColumnType::DateTime, false),
            crate::query::table::ColumnMeta::new("_value", ColumnType::Double, false),
            crate::query::table::ColumnMeta::new("host", ColumnType::String, true),
        ],
        vec![None, None, Some(Cell::String("h".into()))],
    ));
    let table = TableChunk {
        meta,
        columns: vec![
            crate::query::table::ColumnData::DateTime((0..rows).map(Some).collect()),
            crate::query::table::ColumnData::Double((0..rows).map(|i| Some(i as f64)).collect()),
            crate::query::table::ColumnData::String(vec![Some("h".into()); rows as usize]),
        ],
    };
    struct One(TableChunk);
    impl TableSource for One {
        fn read(&self, _: &BucketRef, _: &ReadPlan) -> Result<Vec<TableChunk>, String> {
            Ok(vec![self.0.clone()])
        }
    }
    let q = "from(bucket: \"b\") |> range(start: 0) \
             |> filter(fn: (r) => r._value > 10.0 and r.host == \"h\") \
             |> map(fn: (r) => ({r with _value: r._value * 2.0, x: \"${r.host}-1\"}))";
    let t0 = std::time::Instant::now();
    let r = run(
        q,
        NOW,
        Value::Null,
        &One(table),
        Limits {
            memory: 1 << 30,
            deadline: None,
        },
    )
    .unwrap();
    let el = t0.elapsed();
    println!(
        "{} rows filter+map: {el:?} ({:?}/row)",
        r[0].1[0].rows(),
        el / rows as u32
    );
}

#[test]
fn append_chunk_concatenates_one_table() {
    let mut t = tables("")[0].clone();
    let more = t.clone();
    super::tables::append_chunk(&mut t, more).unwrap();
    assert_eq!(t.rows(), 6);
    t.validate().unwrap();
    let other = tables("|> keep(columns: [\"_value\"])")[0].clone();
    assert!(super::tables::append_chunk(&mut t, other).is_err());
}

#[test]
fn option_now_applies_before_its_position() {
    let v = eval_with(
        "x = now()\noption now = () => 2020-01-01T00:00:00Z",
        Value::Null,
    );
    assert_eq!(v.unwrap(), Value::Time(1_577_836_800_000_000_000));
}

#[test]
fn exec_ctx_apply_runs_a_function_value_over_tables() {
    let file = parse(
        "f = (tables=<-, column) => tables |> map(fn: (r) => ({r with _value: r._value * 10.0}))\n\
         g = sort",
    )
    .unwrap();
    let mut interp = Interp::new(builtins::registry(), NOW, Value::Null);
    let scope = interp.run_file(&file).unwrap();
    let f = scope.get("f").cloned().unwrap();
    let g = scope.get("g").cloned().unwrap();
    let input = tables("|> limit(n: 1)");
    let mut ctx = ExecCtx::new(&EmptySource, &mut interp);
    let out = ctx
        .apply(
            &f,
            input.clone(),
            vec![(Arc::from("column"), Value::str("_value"))],
        )
        .unwrap();
    assert_eq!(col(&out[0], "_value"), floats(&[10.0]));
    let out = ctx
        .apply(&g, input, vec![(Arc::from("desc"), Value::Bool(true))])
        .unwrap();
    assert_eq!(out.len(), 2);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Arbitrary token soup never panics the lexer, parser, interpreter or executor.
        #[test]
        fn arbitrary_programs_do_not_panic(
            parts in proptest::collection::vec(
                prop::sample::select(vec![
                    "x", "=", "1", "2.5", "\"s\"", "\"${x}\"", "(", ")", "[", "]", "{", "}",
                    ",", ":", ".", "+", "-", "*", "/", "%", "^", "==", "<", "=~", "/a/",
                    "and", "or", "not", "exists", "if", "then", "else", "=>", "<-", "|>",
                    "r", "f", "map", "filter", "fn", "range", "start", "1h", "-1mo",
                    "2020-01-01T00:00:00Z", "array.from", "rows", "import \"array\"\n",
                    "\n", "return", "group", "columns", "with", "yield", "tables",
                ]),
                0..40,
            )
        ) {
            let q = parts.join(" ");
            let _ = run(&q, NOW, Value::Null, &EmptySource, Limits::default());
        }
    }
}

#[test]
fn read_requests_and_memory_source() {
    let q = "a = from(bucket: \"b\") |> range(start: -1h)\n\
             a |> filter(fn: (r) => r._value > 0) |> map(fn: (r) => r) |> yield(name: \"x\")\n\
             a |> yield(name: \"y\")\n\
             from(bucket: \"c\") |> range(start: -2h) |> filter(fn: (r) => r._field == \"f\")";
    let file = parse(q).unwrap();
    let (mut interp, results) = evaluate(&file, NOW, Value::Null).unwrap();
    let reqs = super::tables::read_requests(results.iter().map(|(_, n)| n));
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].0, BucketRef::Name("b".into()));
    assert_eq!(reqs[1].0, BucketRef::Name("c".into()));
    let mut mem = super::tables::MemorySource::new();
    for (b, p) in reqs {
        mem.insert(b, p, tables(""));
    }
    let mut ctx = ExecCtx::new(&mem, &mut interp);
    for (_, n) in &results {
        assert_eq!(execute(n, &mut ctx).unwrap().len(), 2);
    }
}

#[test]
fn regexp_package() {
    let v = eval_with(
        "import \"regexp\"\nx = regexp.quoteMeta(v: \"a.b-c#(d)\")",
        Value::Null,
    );
    assert_eq!(v.unwrap(), Value::str("a\\.b-c#\\(d\\)"));
    let v = eval_with(
        "import \"regexp\"\nre = regexp.compile(v: \"^h[0-9]$\")\nx = \"h1\" =~ re",
        Value::Null,
    );
    assert_eq!(v.unwrap(), Value::Bool(true));
    let e = eval_with(
        "import \"regexp\"\nx = regexp.compile(v: \"(\")",
        Value::Null,
    )
    .unwrap_err();
    assert!(e.message.contains("invalid regex"), "{e}");
}

#[test]
fn map_regroups_rows_whose_key_changes() {
    let t = tables("|> map(fn: (r) => ({r with host: if r._value > 1.5 then \"x\" else \"y\"}))");
    assert_eq!(t.len(), 2);
    let rows: Vec<(Option<Cell>, usize)> = t
        .iter()
        .map(|x| (col(x, "host")[0].clone(), x.rows()))
        .collect();
    assert_eq!(
        rows,
        [
            (Some(Cell::String("y".into())), 2),
            (Some(Cell::String("x".into())), 3)
        ]
    );
    for x in &t {
        assert!(col(x, "host").iter().all(|h| *h == col(x, "host")[0]));
    }
}
