//! Engine-level Flux conformance runner over `<workspace>/../shared/conformance/flux`.
//!
//! For every strict (S), lenient (L) and array-input (A) testcase listed in `index.json`, builds
//! the program the upstream harness would (file imports, options and top-level statements, then
//! the testcase body, with `super()` replaced by the `extends` base body), runs it with
//! `testing.load` as the identity and no storage, and passes it when it runs without error and
//! its `errorOutput` result (from `testing.diff`) has no rows.
//!
//! The pass counts must not fall below the floors below (a ratchet: raise them as the engine
//! grows). Without the shared directory the test prints a note and passes.

use std::path::{Path, PathBuf};

use ringflux_engine::query::flux::{self, ast, tables::EmptySource, value::Value, Limits};

/// Minimum passing strict testcases.
const STRICT_FLOOR: usize = 173;
/// Minimum passing lenient testcases.
const LENIENT_FLOOR: usize = 34;
/// Minimum passing array-input testcases.
const ARRAY_FLOOR: usize = 107;

fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("shared")
        .join("conformance")
        .join("flux")
}

fn find_testcase<'f>(
    file: &'f ast::File,
    name: &str,
) -> Option<(&'f [ast::Statement], Option<&'f str>)> {
    file.body.iter().find_map(|s| match s {
        ast::Statement::TestCase {
            id, body, extends, ..
        } if id.name == name => Some((body.as_slice(), extends.as_deref())),
        _ => None,
    })
}

fn is_super_call(s: &ast::Statement) -> bool {
    matches!(s, ast::Statement::Expr(e) if matches!(&e.kind, ast::ExprKind::Call { callee, .. }
        if matches!(&callee.kind, ast::ExprKind::Ident(n) if n == "super")))
}

/// Builds the program for one testcase.
fn program(root: &Path, file: &ast::File, name: &str, depth: usize) -> Result<ast::File, String> {
    if depth > 4 {
        return Err("extends chain too deep".to_string());
    }
    let (body, extends) =
        find_testcase(file, name).ok_or_else(|| format!("testcase {name} not found"))?;
    let mut out = ast::File {
        package: file.package.clone(),
        imports: file.imports.clone(),
        body: Vec::new(),
    };
    let mut base_body: Vec<ast::Statement> = Vec::new();
    if let Some(ext) = extends {
        // "flux/planner/group_min_test.group_min_bare" → stdlib/planner/group_min_test.flux
        let rest = ext
            .strip_prefix("flux/")
            .ok_or_else(|| format!("unsupported extends path {ext:?}"))?;
        let (path, base_name) = rest
            .rsplit_once('.')
            .ok_or_else(|| format!("bad extends path {ext:?}"))?;
        let base_path = root
            .join("flux-v0.196.1/stdlib")
            .join(format!("{path}.flux"));
        let text = std::fs::read_to_string(&base_path)
            .map_err(|e| format!("reading {}: {e}", base_path.display()))?;
        let base_file = flux::parse(&text).map_err(|e| format!("base: {e}"))?;
        let base = program(root, &base_file, base_name, depth + 1)?;
        for imp in base.imports {
            if !out.imports.iter().any(|i| i.path == imp.path) {
                out.imports.push(imp);
            }
        }
        base_body = base.body;
    }
    for s in &file.body {
        if !matches!(s, ast::Statement::TestCase { .. }) {
            out.body.push(s.clone());
        }
    }
    for s in body {
        if is_super_call(s) {
            out.body.extend(base_body.iter().cloned());
        } else {
            out.body.push(s.clone());
        }
    }
    Ok(out)
}

fn run_case(root: &Path, file: &ast::File, name: &str) -> Result<(), String> {
    let prog = program(root, file, name, 0)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let results = flux::run_file(&prog, now, Value::Null, &EmptySource, Limits::default())
        .map_err(|e| e.to_string())?;
    let mut saw_diff = false;
    for (rname, tables) in &results {
        if rname == "errorOutput" {
            saw_diff = true;
            let rows: usize = tables.iter().map(|t| t.rows()).sum();
            if rows > 0 {
                if std::env::var("FLUX_CONF_DEBUG").is_ok_and(|v| v == name) {
                    for t in tables {
                        let labels: Vec<&str> =
                            t.meta.columns.iter().map(|c| c.label.as_str()).collect();
                        println!("table {labels:?}");
                        for r in 0..t.rows() {
                            let cells: Vec<String> = t
                                .columns
                                .iter()
                                .map(|c| format!("{:?}", c.get(r)))
                                .collect();
                            println!("  {}", cells.join(" | "));
                        }
                    }
                }
                let groups: Vec<String> = tables
                    .iter()
                    .filter(|t| t.rows() > 0)
                    .take(2)
                    .map(|t| {
                        t.meta
                            .columns
                            .iter()
                            .filter(|c| c.group)
                            .map(|c| c.label.clone())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .collect();
                return Err(format!(
                    "diff: {rows} differing rows in {} table(s) (keys e.g. [{}])",
                    tables.iter().filter(|t| t.rows() > 0).count(),
                    groups.join("] [")
                ));
            }
        }
    }
    if !saw_diff {
        return Err("no errorOutput result (testing.diff not reached)".to_string());
    }
    Ok(())
}

#[test]
fn flux_conformance() {
    let root = shared_dir();
    let index_path = root.join("index.json");
    let Ok(index_text) = std::fs::read_to_string(&index_path) else {
        println!(
            "flux conformance: {} not found; skipping",
            index_path.display()
        );
        return;
    };
    let index: serde_json::Value = serde_json::from_str(&index_text).expect("index.json parses");
    let files = index["files"].as_array().cloned().unwrap_or_default();
    let (mut s, mut l, mut a) = ((0usize, 0usize), (0usize, 0usize), (0usize, 0usize));
    let mut failures = Vec::new();
    for f in files {
        let Some(stored) = f["stored_at"].as_str() else {
            continue;
        };
        let text = match std::fs::read_to_string(root.join(stored)) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{stored}: {e}"));
                continue;
            }
        };
        let parsed = flux::parse(&text);
        for tc in f["testcases"].as_array().cloned().unwrap_or_default() {
            let cat = tc["category"].as_str().unwrap_or("");
            let name = tc["testcase"].as_str().unwrap_or("");
            let counter = match cat {
                "strict" => &mut s,
                "lenient" => &mut l,
                "array_input" => &mut a,
                _ => continue,
            };
            counter.1 += 1;
            let r = match &parsed {
                Ok(file) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_case(&root, file, name)
                }))
                .unwrap_or_else(|_| Err("PANIC".to_string())),
                Err(e) => Err(format!("parse: {e}")),
            };
            match r {
                Ok(()) => counter.0 += 1,
                Err(e) => {
                    let short: String = e.chars().take(300).collect();
                    failures.push(format!(
                        "[{}] {stored}::{name}: {short}",
                        &cat[..1].to_uppercase()
                    ));
                }
            }
        }
    }
    println!(
        "flux conformance: strict {}/{}, lenient {}/{}, array {}/{}",
        s.0, s.1, l.0, l.1, a.0, a.1
    );
    for f in &failures {
        println!("  FAIL {f}");
    }
    assert!(
        s.0 >= STRICT_FLOOR,
        "strict passes {} < floor {STRICT_FLOOR}",
        s.0
    );
    assert!(
        l.0 >= LENIENT_FLOOR,
        "lenient passes {} < floor {LENIENT_FLOOR}",
        l.0
    );
    assert!(
        a.0 >= ARRAY_FLOOR,
        "array passes {} < floor {ARRAY_FLOOR}",
        a.0
    );
}
