//! Executing InfluxQL statements against the shards: `SELECT` (raw and aggregate, `GROUP BY`
//! time and tags, `fill`, limits, ordering, transformations) and the `SHOW` statements.
//!
//! Flow of a `SELECT`: bind parameters → split `WHERE` into a time range and a remainder →
//! per source measurement: resolve the bucket (DBRP, via [`QlEnv::resolve`]), classify names as
//! fields or tags (field-type registry, series index) → one shard read per measurement
//! (`ReadPlan` with the measurement and field predicate pushed down, the same reads Flux
//! uses) → series filtered by their tags (three-valued evaluation) → grouped by the `GROUP BY`
//! tags → rows (raw) or windows (aggregates) → `Series` results.
//!
//! Invariants:
//! - A statement's failure is its own `error` (HTTP 200), never a panic; other statements of
//!   the query still run, as in InfluxDB.
//! - Output order: measurements by name, then groups by their tag values; rows by time
//!   (descending with `ORDER BY time DESC`), ties in series-key order.
//! - Column names: `time`, then each projection's alias or derived name (`mean`, `mean_1` for
//!   a repeated name, `a_b` for `a * b`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::ast::*;
use super::eval::{self, Scope, Val, MAX_TIME, MIN_TIME};
use super::funcs::{self, Point};
use super::result::{Cell, Series, StatementResult};
use crate::line_protocol as lp;
use crate::model::{BucketId, FieldType};
use crate::query::plan::{CmpOp as PCmp, Predicate, ReadPlan};
use crate::query::pushdown::{AggKind, AggShape, Aggregation};
use crate::runtime::ShardContext;
use crate::shard::query::ChunkValues;
use crate::shard::schema::{NameFilter, SchemaKind, SchemaRequest};

/// Resolves `(db, rp)` to a bucket, or InfluxDB's error text.
pub type ResolveFn<'a> = dyn Fn(&str, Option<&str>) -> Result<BucketId, String> + 'a;
/// `SHOW RETENTION POLICIES ON db` rows: `(name, default)`, or an error text.
pub type RetentionPoliciesFn<'a> = dyn Fn(&str) -> Result<Vec<(String, bool)>, String> + 'a;

/// What a query runs against.
pub struct QlEnv<'a> {
    /// The engine handle of this core.
    pub engine: &'a ShardContext,
    /// The `db` query parameter.
    pub db: Option<String>,
    /// The `rp` query parameter.
    pub rp: Option<String>,
    /// `now()`, ns.
    pub now: i64,
    /// Bound parameters (`params`).
    pub params: HashMap<String, Literal>,
    /// Resolves `(db, rp)` to a bucket, or InfluxDB's error text.
    pub resolve: &'a ResolveFn<'a>,
    /// `SHOW DATABASES` rows.
    pub databases: &'a dyn Fn() -> Vec<String>,
    /// `SHOW RETENTION POLICIES ON db` rows: `(name, default)`.
    pub retention_policies: &'a RetentionPoliciesFn<'a>,
}

impl std::fmt::Debug for QlEnv<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QlEnv")
            .field("db", &self.db)
            .field("rp", &self.rp)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Runs every statement of `query`; one result per statement.
pub async fn execute(query: &Query, env: &QlEnv<'_>) -> Vec<StatementResult> {
    let mut out = Vec::with_capacity(query.statements.len());
    for (id, stmt) in query.statements.iter().enumerate() {
        let r = match run_statement(stmt, env).await {
            Ok(series) => StatementResult {
                statement_id: id,
                series,
                ..Default::default()
            },
            Err(e) => StatementResult::error(id, e),
        };
        out.push(r);
    }
    out
}

async fn run_statement(stmt: &Statement, env: &QlEnv<'_>) -> Result<Vec<Series>, String> {
    match stmt {
        Statement::Select(s) => select(s, env).await,
        Statement::ShowDatabases => Ok(vec![Series {
            name: "databases".into(),
            columns: vec!["name".into()],
            values: (env.databases)()
                .into_iter()
                .map(|d| vec![Cell::Str(d)])
                .collect(),
            ..Default::default()
        }]),
        Statement::ShowRetentionPolicies { database } => {
            let db = database
                .clone()
                .or_else(|| env.db.clone())
                .ok_or("database name required")?;
            let rps = (env.retention_policies)(&db)?;
            Ok(vec![Series {
                columns: [
                    "name",
                    "duration",
                    "shardGroupDuration",
                    "replicaN",
                    "default",
                ]
                .map(String::from)
                .to_vec(),
                values: rps
                    .into_iter()
                    .map(|(name, default)| {
                        vec![
                            Cell::Str(name),
                            Cell::Str("0s".into()),
                            Cell::Str("168h0m0s".into()),
                            Cell::Int(1),
                            Cell::Bool(default),
                        ]
                    })
                    .collect(),
                ..Default::default()
            }])
        }
        Statement::ShowMeasurements(m) => show_measurements(m, env).await,
        Statement::ShowTagKeys(f) => show_tags(f, None, env).await,
        Statement::ShowTagValues { filter, key } => show_tags(filter, Some(key), env).await,
        Statement::ShowFieldKeys(f) => show_field_keys(f, env).await,
        Statement::ShowSeries(f) => show_series(f, env).await,
        Statement::ShowCardinality {
            what, filter, key, ..
        } => show_cardinality(*what, filter, key.as_ref(), env).await,
        Statement::Explain { select, .. } => Ok(vec![Series {
            columns: vec!["QUERY PLAN".into()],
            values: explain(select, env)
                .into_iter()
                .map(|l| vec![Cell::Str(l)])
                .collect(),
            ..Default::default()
        }]),
        Statement::Delete { .. } | Statement::DropSeries { .. } | Statement::DropMeasurement(_) => {
            Err("not implemented: use POST /api/v2/delete".into())
        }
        Statement::Unsupported(what) => Err(format!("not implemented: {what}")),
    }
}

fn explain(s: &SelectStatement, env: &QlEnv<'_>) -> Vec<String> {
    let mut out = vec![format!("QUERY: {s}")];
    let range = eval::split_time(s.condition.as_ref(), env.now)
        .map(|((a, b), _)| (a.unwrap_or(MIN_TIME), b.unwrap_or(MAX_TIME)));
    if let Ok((a, b)) = range {
        out.push(format!("TIME RANGE: [{a}, {b})"));
    }
    for src in &s.sources {
        out.push(format!(
            "SHARD READ: {src} (every shard, measurement and fields pushed down)"
        ));
    }
    if !s.dimensions.is_empty() {
        out.push("GROUP: by tags on the coordinator, windows by time".into());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Sources, schema

/// A resolved source measurement.
struct Target {
    bucket: BucketId,
    measurement: String,
    /// A subquery's result for this measurement: its schema and series (instead of a read).
    sub: Option<(Schema, Vec<SeriesData>)>,
}

fn bucket_of(env: &QlEnv<'_>, db: Option<&str>, rp: Option<&str>) -> Result<BucketId, String> {
    let db = db
        .map(str::to_string)
        .or_else(|| env.db.clone())
        .ok_or("database name required")?;
    let rp = rp.map(str::to_string).or_else(|| env.rp.clone());
    (env.resolve)(&db, rp.as_deref())
}

async fn measurements_of(
    env: &QlEnv<'_>,
    bucket: BucketId,
    filter: NameFilter,
    predicate: Predicate,
) -> Result<Vec<String>, String> {
    let rows = env
        .engine
        .schema(
            bucket,
            SchemaRequest {
                kind: SchemaKind::Measurements,
                measurement: filter,
                tag_key: NameFilter::Any,
                predicate,
            },
        )
        .await
        .map_err(|e| e.message().to_string())?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .map(|m| String::from_utf8_lossy(&m).into_owned())
        .collect())
}

fn regex_filter(re: &str) -> Result<NameFilter, String> {
    Ok(NameFilter::Regex {
        re: regex::Regex::new(re).map_err(|e| format!("invalid regex: {e}"))?,
        negate: false,
    })
}

async fn targets(
    sources: &[Source],
    env: &QlEnv<'_>,
    bounds: eval::TimeBounds,
) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for src in sources {
        match src {
            Source::Subquery(inner) => {
                // The outer time range bounds the inner query too (as in InfluxDB).
                let mut inner = (**inner).clone();
                for (op, t) in [(BinaryOp::Gte, bounds.0), (BinaryOp::Lt, bounds.1)] {
                    let Some(t) = t else { continue };
                    let term = Expr::Binary {
                        op,
                        lhs: Box::new(Expr::VarRef {
                            name: "time".into(),
                            ty: None,
                        }),
                        rhs: Box::new(Expr::Literal(Literal::Integer(t))),
                    };
                    inner.condition = Some(match inner.condition.take() {
                        None => term,
                        Some(c) => Expr::Binary {
                            op: BinaryOp::And,
                            lhs: Box::new(Expr::Paren(Box::new(c))),
                            rhs: Box::new(term),
                        },
                    });
                }
                let series = select(&inner, env).await?;
                let mut by_name: BTreeMap<String, Vec<Series>> = BTreeMap::new();
                for sr in series {
                    by_name.entry(sr.name.clone()).or_default().push(sr);
                }
                for (name, list) in by_name {
                    out.push(Target {
                        bucket: BucketId(0),
                        measurement: name,
                        sub: Some(subquery_data(list)),
                    });
                }
            }
            Source::Measurement { database, rp, name } => {
                let bucket = bucket_of(env, database.as_deref(), rp.as_deref())?;
                match name {
                    MeasurementName::Name(n) => out.push(Target {
                        bucket,
                        measurement: n.clone(),
                        sub: None,
                    }),
                    MeasurementName::Regex(re) => {
                        for m in
                            measurements_of(env, bucket, regex_filter(re)?, Predicate::True).await?
                        {
                            out.push(Target {
                                bucket,
                                measurement: m,
                                sub: None,
                            });
                        }
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| a.measurement.cmp(&b.measurement));
    out.dedup_by(|a, b| a.measurement == b.measurement && a.bucket == b.bucket);
    Ok(out)
}

/// A subquery's series as the outer query's input: its group-by tags are tags, its columns
/// (other than `time`) are fields; null cells are absent points.
fn subquery_data(list: Vec<Series>) -> (Schema, Vec<SeriesData>) {
    let mut schema = Schema {
        fields: BTreeMap::new(),
        tags: Vec::new(),
    };
    let mut data = Vec::new();
    for sr in list {
        for k in sr.tags.keys() {
            if !schema.tags.contains(k) {
                schema.tags.push(k.clone());
            }
        }
        let mut fields: HashMap<String, Vec<Point>> = HashMap::new();
        for row in &sr.values {
            let Some(Cell::Time(t)) = row.first() else {
                continue;
            };
            for (col, cell) in sr.columns.iter().zip(row).skip(1) {
                let v = match cell {
                    Cell::Float(x) => Val::F(*x),
                    Cell::Int(x) => Val::I(*x),
                    Cell::UInt(x) => Val::U(*x),
                    Cell::Str(x) => Val::S(x.clone()),
                    Cell::Bool(x) => Val::B(*x),
                    Cell::Time(x) => Val::I(*x),
                    Cell::Null => continue,
                };
                let ty = match &v {
                    Val::F(_) => FieldType::Float,
                    Val::I(_) => FieldType::Integer,
                    Val::U(_) => FieldType::UInteger,
                    Val::S(_) => FieldType::String,
                    Val::B(_) => FieldType::Boolean,
                };
                schema.fields.entry(col.clone()).or_insert(ty);
                fields.entry(col.clone()).or_default().push((*t, v));
            }
        }
        for pts in fields.values_mut() {
            pts.sort_by_key(|p| p.0);
        }
        data.push(SeriesData {
            tags: sr.tags.into_iter().collect(),
            fields,
        });
    }
    schema.tags.sort();
    (schema, data)
}

/// Fields (with types) and tag keys of one measurement.
struct Schema {
    fields: BTreeMap<String, FieldType>,
    tags: Vec<String>,
}

async fn schema_of(env: &QlEnv<'_>, t: &Target) -> Result<Schema, String> {
    let fields = env
        .engine
        .field_keys(t.bucket)
        .into_iter()
        .filter(|(m, _, _)| m.as_slice() == t.measurement.as_bytes())
        .map(|(_, f, ty)| (String::from_utf8_lossy(&f).into_owned(), ty))
        .collect();
    let rows = env
        .engine
        .schema(
            t.bucket,
            SchemaRequest {
                kind: SchemaKind::TagKeys,
                measurement: NameFilter::Eq(t.measurement.as_bytes().to_vec()),
                tag_key: NameFilter::Any,
                predicate: Predicate::True,
            },
        )
        .await
        .map_err(|e| e.message().to_string())?;
    let tags = rows
        .into_iter()
        .filter_map(|r| r.get(1).map(|k| String::from_utf8_lossy(k).into_owned()))
        .collect();
    Ok(Schema { fields, tags })
}

// ---------------------------------------------------------------------------------------------
// Reading series

/// One series' points, per field.
struct SeriesData {
    tags: Vec<(String, String)>,
    fields: HashMap<String, Vec<Point>>,
}

async fn read_series(
    env: &QlEnv<'_>,
    t: &Target,
    tags: &Predicate,
    fields: &[String],
    start: i64,
    stop: i64,
) -> Result<Vec<SeriesData>, String> {
    if fields.is_empty() || start >= stop {
        return Ok(Vec::new());
    }
    let field_pred = fields
        .iter()
        .map(|f| Predicate::Field(PCmp::Eq, f.clone()))
        .reduce(|a, b| Predicate::Or(Box::new(a), Box::new(b)))
        .unwrap_or(Predicate::True);
    let plan = ReadPlan {
        start,
        stop,
        predicate: Predicate::and(
            Predicate::and(
                Predicate::Measurement(PCmp::Eq, t.measurement.clone()),
                field_pred,
            ),
            tags.clone(),
        ),
        agg: None,
    };
    let mut merged = env
        .engine
        .read(t.bucket, plan)
        .await
        .map_err(|e| e.message().to_string())?;
    let mut out: Vec<SeriesData> = Vec::new();
    let mut cur_key: Option<Arc<[u8]>> = None;
    while let Some(chunk) = merged.next().await {
        let chunk = chunk.map_err(|e| e.message().to_string())?;
        if cur_key.as_deref() != Some(&*chunk.key) {
            out.push(SeriesData {
                tags: key_tags(&chunk.key),
                fields: HashMap::new(),
            });
            cur_key = Some(chunk.key.clone());
        }
        let Some(s) = out.last_mut() else { continue };
        let pts = s
            .fields
            .entry(String::from_utf8_lossy(&chunk.field).into_owned())
            .or_default();
        let vals = chunk_vals(chunk.values);
        pts.extend(chunk.times.into_iter().zip(vals));
    }
    Ok(out)
}

/// Tags of a series (+ optionally the field values of one row) as an evaluation scope.
struct RowScope<'a> {
    tags: &'a [(String, String)],
    schema: &'a Schema,
    /// `None` while filtering series (fields unknown).
    row: Option<&'a HashMap<&'a str, Val>>,
    time: Option<i64>,
}

impl Scope for RowScope<'_> {
    fn lookup(&self, name: &str, is_tag: Option<bool>) -> Option<Option<Val>> {
        if name.eq_ignore_ascii_case("time") {
            return Some(self.time.map(Val::I));
        }
        let as_tag = match is_tag {
            Some(t) => t,
            None => !self.schema.fields.contains_key(name),
        };
        if as_tag {
            return Some(
                self.tags
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| Val::S(v.clone())),
            );
        }
        let row = self.row?;
        Some(row.get(name).cloned())
    }
}

// ---------------------------------------------------------------------------------------------
// SELECT

/// A projection after wildcard/regex expansion.
#[derive(Clone, Debug)]
struct Proj {
    expr: Expr,
    name: String,
}

fn field_names(e: &Expr, schema: &Schema, out: &mut Vec<String>) {
    match e {
        Expr::VarRef { name, ty }
            if !matches!(ty, Some(DataType::Tag))
                && schema.fields.contains_key(name)
                && !out.contains(name) =>
        {
            out.push(name.clone());
        }
        Expr::Call { args, .. } => args.iter().for_each(|a| field_names(a, schema, out)),
        Expr::Binary { lhs, rhs, .. } => {
            field_names(lhs, schema, out);
            field_names(rhs, schema, out);
        }
        Expr::Paren(e) => field_names(e, schema, out),
        _ => {}
    }
}

fn derived_name(e: &Expr) -> String {
    match e {
        Expr::VarRef { name, .. } => name.clone(),
        Expr::Call { name, args } => {
            // `derivative(mean(x))` is named `derivative`; `top(x, 2)` is `top`.
            let _ = args;
            name.clone()
        }
        Expr::Binary { lhs, rhs, .. } => {
            let (a, b) = (derived_name(lhs), derived_name(rhs));
            match (a.is_empty(), b.is_empty()) {
                (true, _) => b,
                (_, true) => a,
                _ => format!("{a}_{b}"),
            }
        }
        Expr::Paren(e) => derived_name(e),
        _ => String::new(),
    }
}

/// Expands `*`, `/regex/` and `::field`/`::tag` wildcards against the schema.
fn expand(fields: &[Field], schema: &Schema, group_tags: &[String]) -> Result<Vec<Proj>, String> {
    let mut out: Vec<Proj> = Vec::new();
    let mut aliased: Vec<bool> = Vec::new();
    let all_names = |ty: Option<DataType>| -> Vec<(String, bool)> {
        let mut v: Vec<(String, bool)> = Vec::new();
        if !matches!(ty, Some(DataType::Tag)) {
            v.extend(schema.fields.keys().map(|k| (k.clone(), false)));
        }
        if !matches!(ty, Some(DataType::Field)) {
            v.extend(
                schema
                    .tags
                    .iter()
                    .filter(|t| !group_tags.contains(t))
                    .map(|t| (t.clone(), true)),
            );
        }
        v.sort();
        v
    };
    for f in fields {
        match &f.expr {
            Expr::Wildcard(ty) => {
                for (n, is_tag) in all_names(*ty) {
                    out.push(Proj {
                        expr: Expr::VarRef {
                            name: n.clone(),
                            ty: is_tag.then_some(DataType::Tag),
                        },
                        name: n,
                    });
                }
            }
            Expr::Literal(Literal::Regex(re)) => {
                let re = regex::Regex::new(re).map_err(|e| format!("invalid regex: {e}"))?;
                for (n, is_tag) in all_names(None) {
                    if re.is_match(&n) {
                        out.push(Proj {
                            expr: Expr::VarRef {
                                name: n.clone(),
                                ty: is_tag.then_some(DataType::Tag),
                            },
                            name: n,
                        });
                    }
                }
            }
            Expr::Call { name, args }
                if matches!(
                    args.first(),
                    Some(Expr::Wildcard(_) | Expr::Literal(Literal::Regex(_)))
                ) =>
            {
                let re = match args.first() {
                    Some(Expr::Literal(Literal::Regex(r))) => {
                        Some(regex::Regex::new(r).map_err(|e| format!("invalid regex: {e}"))?)
                    }
                    _ => None,
                };
                for (field, _) in schema.fields.iter() {
                    if re.as_ref().is_some_and(|r| !r.is_match(field)) {
                        continue;
                    }
                    let mut a = args.clone();
                    a[0] = Expr::VarRef {
                        name: field.clone(),
                        ty: None,
                    };
                    out.push(Proj {
                        expr: Expr::Call {
                            name: name.clone(),
                            args: a,
                        },
                        name: f.alias.clone().unwrap_or_else(|| format!("{name}_{field}")),
                    });
                }
            }
            e => {
                aliased.resize(out.len(), false);
                aliased.push(f.alias.is_some());
                out.push(Proj {
                    expr: e.clone(),
                    name: f.alias.clone().unwrap_or_else(|| derived_name(e)),
                })
            }
        }
    }
    // Repeated derived names get `_1`, `_2` … suffixes; explicit aliases stay as written.
    aliased.resize(out.len(), false);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (p, explicit) in out.iter_mut().zip(&aliased) {
        let n = seen.entry(p.name.clone()).or_insert(0);
        if *n > 0 && !explicit {
            p.name = format!("{}_{}", p.name, n);
        }
        *n += 1;
    }
    Ok(out)
}

fn has_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Call { name, args } => {
            funcs::AGGREGATES.contains(&name.as_str()) || args.iter().any(has_aggregate)
        }
        Expr::Binary { lhs, rhs, .. } => has_aggregate(lhs) || has_aggregate(rhs),
        Expr::Paren(e) => has_aggregate(e),
        _ => false,
    }
}

fn has_bare_field(e: &Expr, schema: &Schema) -> bool {
    match e {
        Expr::VarRef { name, ty } => {
            !matches!(ty, Some(DataType::Tag)) && schema.fields.contains_key(name)
        }
        Expr::Binary { lhs, rhs, .. } => has_bare_field(lhs, schema) || has_bare_field(rhs, schema),
        Expr::Paren(e) => has_bare_field(e, schema),
        _ => false,
    }
}

/// Runs a `SELECT` (boxed: subqueries recurse).
fn select<'a>(
    stmt: &'a SelectStatement,
    env: &'a QlEnv<'a>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<Series>, String>> + 'a>> {
    Box::pin(select_inner(stmt, env))
}

async fn select_inner(stmt: &SelectStatement, env: &QlEnv<'_>) -> Result<Vec<Series>, String> {
    if stmt.into.is_some() {
        return Err("SELECT INTO is not supported".into());
    }
    let mut s = stmt.clone();
    for f in &mut s.fields {
        eval::bind(&mut f.expr, &env.params)?;
    }
    if let Some(c) = &mut s.condition {
        eval::bind(c, &env.params)?;
    }
    let interval = s.dimensions.iter().find_map(|d| match d {
        Dimension::Time { interval, offset } => Some((*interval, offset.flatten().unwrap_or(0))),
        _ => None,
    });
    let aggregate = s.fields.iter().any(|f| has_aggregate(&f.expr));
    let ((start_bound, stop_bound), rest) = eval::split_time(s.condition.as_ref(), env.now)?;
    let start = start_bound.unwrap_or(MIN_TIME);
    let stop = stop_bound.unwrap_or(if interval.is_some() {
        env.now.saturating_add(1)
    } else {
        MAX_TIME
    });
    if interval.is_some() && !aggregate {
        return Err("GROUP BY requires at least one aggregate function".into());
    }
    let mut out = Vec::new();
    let targets = targets(&s.sources, env, (start_bound, stop_bound)).await?;
    // With several sources, `*` expands to the union of their fields and tags.
    let mut union: Option<Schema> = None;
    if targets.len() > 1 {
        let mut u = Schema {
            fields: BTreeMap::new(),
            tags: Vec::new(),
        };
        for t in &targets {
            let sc = match &t.sub {
                Some((sc, _)) => Schema {
                    fields: sc.fields.clone(),
                    tags: sc.tags.clone(),
                },
                None => schema_of(env, t).await?,
            };
            for (k, v) in sc.fields {
                u.fields.entry(k).or_insert(v);
            }
            for tag in sc.tags {
                if !u.tags.contains(&tag) {
                    u.tags.push(tag);
                }
            }
        }
        union = Some(u);
    }
    for mut t in targets {
        let sub = t.sub.take();
        let own = match &sub {
            Some((sc, _)) => Schema {
                fields: sc.fields.clone(),
                tags: sc.tags.clone(),
            },
            None => schema_of(env, &t).await?,
        };
        let schema = match &union {
            Some(u) => Schema {
                fields: u.fields.clone(),
                tags: u.tags.clone(),
            },
            None => own,
        };
        let group_tags: Vec<String> = group_tag_keys(&s.dimensions, &schema)?;
        let mut projs = expand(&s.fields, &schema, &group_tags)?;
        // `time` is the implicit first column; selecting it adds nothing.
        projs.retain(
            |p| !matches!(&p.expr, Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time")),
        );
        for p in &projs {
            check_call(&p.expr, &s)?;
        }
        // One selector with bare fields/tags: the fields come from the selected point's row.
        let selector_aux = aggregate
            && projs
                .iter()
                .filter(|p| matches!(&p.expr, Expr::Call { .. }))
                .count()
                == 1
            && projs.iter().all(|p| match &p.expr {
                Expr::Call { name, .. } => funcs::is_selector(name),
                Expr::VarRef { .. } => true,
                _ => false,
            });
        if aggregate && !selector_aux && projs.iter().any(|p| has_bare_field(&p.expr, &schema)) {
            return Err("mixing aggregate and non-aggregate queries is not supported".into());
        }
        let mut needed = Vec::new();
        for p in &projs {
            field_names(&p.expr, &schema, &mut needed);
        }
        if let Some(c) = &rest {
            field_names(c, &schema, &mut needed);
        }
        if projs.iter().all(|p| {
            let mut v = Vec::new();
            field_names(&p.expr, &schema, &mut v);
            v.is_empty()
        }) {
            // Only tags selected: InfluxDB returns nothing.
            continue;
        }
        // Transformations over windows look back: the first output window needs the windows
        // before it (InfluxDB extends the range the same way).
        let lookback = match interval {
            Some((every, _)) if aggregate => max_lookback(&projs).saturating_mul(every),
            _ => 0,
        };
        if sub.is_none() {
            if let Some(calls) = pushable_calls(&projs, &schema, rest.as_ref()) {
                if start < stop {
                    out.extend(
                        pushed_select(
                            &s,
                            env,
                            &t,
                            &calls,
                            &projs,
                            &schema,
                            &group_tags,
                            rest.as_ref(),
                            (start, stop, start_bound),
                            interval,
                        )
                        .await?,
                    );
                }
                continue;
            }
        }
        let data = match sub {
            Some((_, data)) => data
                .into_iter()
                .map(|mut sd| {
                    let lo = start.saturating_sub(lookback);
                    for pts in sd.fields.values_mut() {
                        pts.retain(|p| p.0 >= lo && p.0 < stop);
                    }
                    sd
                })
                .collect(),
            None => {
                // Tag-only parts of the condition go to the shards; the whole condition is
                // still evaluated here (fields, regexes).
                let tags = rest
                    .as_ref()
                    .and_then(|c| {
                        let mut f = Vec::new();
                        field_names(c, &schema, &mut f);
                        if f.is_empty() {
                            tag_predicate(c)
                        } else {
                            split_and(c)
                                .into_iter()
                                .filter_map(|part| {
                                    let mut f = Vec::new();
                                    field_names(part, &schema, &mut f);
                                    if f.is_empty() {
                                        tag_predicate(part)
                                    } else {
                                        None
                                    }
                                })
                                .reduce(Predicate::and)
                        }
                    })
                    .unwrap_or(Predicate::True);
                read_series(
                    env,
                    &t,
                    &tags,
                    &needed,
                    start.saturating_sub(lookback),
                    stop,
                )
                .await?
            }
        };
        // Without a lower time bound, windows start at the earliest point read (InfluxDB
        // does not fill empty windows back to the beginning of time).
        let start = match (start_bound, interval) {
            (None, Some(_)) => data
                .iter()
                .flat_map(|sd| sd.fields.values().filter_map(|p| p.first().map(|x| x.0)))
                .min()
                .unwrap_or(start),
            _ => start,
        };
        if let Some((every, _)) = interval {
            let n = (stop.saturating_sub(start.saturating_sub(lookback)) / every.max(1)) as u64;
            if n > MAX_WINDOWS as u64 {
                return Err(format!(
                    "too many GROUP BY time() windows ({n} > {MAX_WINDOWS}): narrow the time range or widen the interval"
                ));
            }
        }
        // Series-level filter on tags.
        let data: Vec<SeriesData> = data
            .into_iter()
            .filter(|sd| {
                rest.as_ref().is_none_or(|c| {
                    let scope = RowScope {
                        tags: &sd.tags,
                        schema: &schema,
                        row: None,
                        time: None,
                    };
                    eval::eval_cond(c, &scope) != Some(false)
                })
            })
            .collect();
        // Group by tag values.
        let mut groups: BTreeMap<Vec<(String, String)>, Vec<SeriesData>> = BTreeMap::new();
        for sd in data {
            let key: Vec<(String, String)> = group_tags
                .iter()
                .map(|k| {
                    let v = sd
                        .tags
                        .iter()
                        .find(|(tk, _)| tk == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    (k.clone(), v)
                })
                .collect();
            groups.entry(key).or_default().push(sd);
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        if s.order_desc {
            groups.reverse();
        }
        let groups = groups
            .into_iter()
            .skip(s.soffset as usize)
            .take(if s.slimit > 0 {
                s.slimit as usize
            } else {
                usize::MAX
            });
        for (key, members) in groups {
            let top = projs.first().and_then(|p| match &p.expr {
                Expr::Call { name, args } if name == "top" || name == "bottom" => {
                    Some((name.as_str(), args.as_slice()))
                }
                _ => None,
            });
            let distinct_only = matches!(projs.as_slice(), [p] if matches!(&p.expr, Expr::Call { name, .. } if name == "distinct"));
            let rows = if distinct_only {
                distinct_rows(
                    &projs[0].expr,
                    &schema,
                    rest.as_ref(),
                    &members,
                    (start, stop),
                    interval,
                )?
            } else if let Some((name, args)) = top {
                top_bottom_rows(
                    name,
                    args,
                    &projs[1..],
                    &schema,
                    rest.as_ref(),
                    &members,
                    (start, stop),
                    interval,
                )?
            } else if selector_aux && projs.len() > 1 {
                selector_aux_rows(
                    &projs,
                    &schema,
                    rest.as_ref(),
                    &members,
                    (start, stop),
                    interval,
                )?
            } else if aggregate {
                aggregate_rows(
                    &s,
                    &projs,
                    &schema,
                    rest.as_ref(),
                    &members,
                    (start, stop, lookback),
                    interval,
                )?
            } else if projs.iter().any(|p| is_transform(&p.expr)) {
                raw_transform_rows(&projs, &schema, rest.as_ref(), &members)?
            } else {
                raw_rows(&projs, &schema, rest.as_ref(), &members)
            };
            let mut columns = vec!["time".to_string()];
            for (i, p) in projs.iter().enumerate() {
                columns.push(p.name.clone());
                if let (0, Some((_, args))) = (i, top) {
                    for a in args.iter().skip(1).take(args.len().saturating_sub(2)) {
                        if let Expr::VarRef { name, .. } = a {
                            columns.push(name.clone());
                        }
                    }
                }
            }
            out.extend(group_series(&s, &t.measurement, key, columns, rows));
        }
    }
    Ok(out)
}

/// One group's output series: rows ordered (`ORDER BY time DESC` reverses them), then
/// `OFFSET`/`LIMIT`; the group's tags are reported when the query groups by tags. `None`
/// when no row is left.
fn group_series(
    s: &SelectStatement,
    measurement: &str,
    key: GroupKey,
    columns: Vec<String>,
    mut rows: Vec<Vec<Cell>>,
) -> Option<Series> {
    if s.order_desc {
        rows.reverse();
    }
    let limit = if s.limit > 0 {
        s.limit as usize
    } else {
        usize::MAX
    };
    let rows: Vec<Vec<Cell>> = rows
        .into_iter()
        .skip(s.offset as usize)
        .take(limit)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let by_tags = s
        .dimensions
        .iter()
        .any(|d| !matches!(d, Dimension::Time { .. }));
    Some(Series {
        name: measurement.to_string(),
        tags: if by_tags {
            key.into_iter().collect()
        } else {
            BTreeMap::new()
        },
        columns,
        values: rows,
        partial: false,
    })
}

fn check_call(e: &Expr, s: &SelectStatement) -> Result<(), String> {
    if let Expr::Call { name, args } = e {
        let field_arg = matches!(args.first(), Some(Expr::VarRef { .. } | Expr::Call { .. }));
        if funcs::AGGREGATES.contains(&name.as_str()) && !field_arg {
            return Err(format!("expected field argument in {name}()"));
        }
        if matches!(name.as_str(), "top" | "bottom") {
            if let Some(Expr::Literal(Literal::Integer(n))) = args.last() {
                if s.limit > 0 && *n as u64 > s.limit {
                    return Err(format!(
                        "limit ({n}) in {name} function can not be larger than the LIMIT ({}) in the select statement",
                        s.limit
                    ));
                }
            }
        }
        if name == "distinct" && s.fields.len() > 1 {
            return Err(
                "aggregate function distinct() cannot be combined with other functions or fields"
                    .into(),
            );
        }
        for a in args {
            check_call(a, s)?;
        }
    }
    Ok(())
}

fn group_tag_keys(dims: &[Dimension], schema: &Schema) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for d in dims {
        match d {
            Dimension::Time { .. } => {}
            Dimension::Tag(t) => {
                if !out.contains(t) {
                    out.push(t.clone());
                }
            }
            Dimension::Wildcard => {
                for t in &schema.tags {
                    if !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
            Dimension::Regex(re) => {
                let re = regex::Regex::new(re).map_err(|e| format!("invalid regex: {e}"))?;
                for t in &schema.tags {
                    if re.is_match(t) && !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Rows of one series as `time → {field: value}`, in time order.
fn series_rows(sd: &SeriesData) -> BTreeMap<i64, HashMap<&str, Val>> {
    let mut rows: BTreeMap<i64, HashMap<&str, Val>> = BTreeMap::new();
    for (f, pts) in &sd.fields {
        for (t, v) in pts {
            rows.entry(*t).or_default().insert(f.as_str(), v.clone());
        }
    }
    rows
}

fn to_cell(v: Option<Val>) -> Cell {
    match v {
        None => Cell::Null,
        Some(Val::F(x)) if !x.is_finite() => Cell::Null,
        Some(Val::F(x)) => Cell::Float(x),
        Some(Val::I(x)) => Cell::Int(x),
        Some(Val::U(x)) => Cell::UInt(x),
        Some(Val::S(x)) => Cell::Str(x),
        Some(Val::B(x)) => Cell::Bool(x),
    }
}

fn raw_rows(
    projs: &[Proj],
    schema: &Schema,
    cond: Option<&Expr>,
    members: &[SeriesData],
) -> Vec<Vec<Cell>> {
    let mut rows: Vec<(i64, usize, Vec<Cell>)> = Vec::new();
    for (si, sd) in members.iter().enumerate() {
        for (t, row) in series_rows(sd) {
            let scope = RowScope {
                tags: &sd.tags,
                schema,
                row: Some(&row),
                time: Some(t),
            };
            if let Some(c) = cond {
                if eval::eval_cond(c, &scope) != Some(true) {
                    continue;
                }
            }
            let mut cells = vec![Cell::Time(t)];
            let mut any_field = false;
            for p in projs {
                let v = eval::eval_value(&p.expr, &scope).flatten();
                let mut names = Vec::new();
                field_names(&p.expr, schema, &mut names);
                if !names.is_empty() && v.is_some() {
                    any_field = true;
                }
                cells.push(to_cell(v));
            }
            if any_field {
                rows.push((t, si, cells));
            }
        }
    }
    rows.sort_by_key(|r| (r.0, r.1));
    rows.into_iter().map(|r| r.2).collect()
}

/// Points of `expr` (a field reference) across the group's series, after the row filter.
fn group_points(
    field: &str,
    schema: &Schema,
    cond: Option<&Expr>,
    members: &[SeriesData],
) -> Vec<Point> {
    let mut pts: Vec<(i64, usize, Val)> = Vec::new();
    for (si, sd) in members.iter().enumerate() {
        match cond {
            None => {
                if let Some(p) = sd.fields.get(field) {
                    pts.extend(p.iter().map(|(t, v)| (*t, si, v.clone())));
                }
            }
            Some(c) => {
                for (t, row) in series_rows(sd) {
                    let scope = RowScope {
                        tags: &sd.tags,
                        schema,
                        row: Some(&row),
                        time: Some(t),
                    };
                    if eval::eval_cond(c, &scope) != Some(true) {
                        continue;
                    }
                    if let Some(v) = row.get(field) {
                        pts.push((t, si, v.clone()));
                    }
                }
            }
        }
    }
    pts.sort_by_key(|p| (p.0, p.1));
    pts.into_iter().map(|(t, _, v)| (t, v)).collect()
}

/// Most `GROUP BY time()` windows one query may produce (like InfluxDB's
/// `max-select-buckets`, which a query with millions of empty windows would otherwise need).
pub const MAX_WINDOWS: usize = 1_000_000;

/// The windows `[ws, ws + every)` covering `[start, stop)`, or one window without `GROUP BY
/// time`.
fn windows(start: i64, stop: i64, interval: Option<(i64, i64)>) -> Vec<(i64, i64)> {
    match interval {
        None => vec![(start, stop)],
        Some((every, offset)) if every > 0 => {
            let off = offset.rem_euclid(every);
            let first = start - (start - off).rem_euclid(every);
            let mut out = Vec::new();
            let mut ws = first;
            while ws < stop && out.len() <= MAX_WINDOWS {
                out.push((ws, ws.saturating_add(every)));
                ws = ws.saturating_add(every);
            }
            out
        }
        Some(_) => vec![(start, stop)],
    }
}

/// One projection's value per window: `(selected time, value)`.
fn eval_agg(
    e: &Expr,
    schema: &Schema,
    cond: Option<&Expr>,
    members: &[SeriesData],
    wins: &[(i64, i64)],
) -> Result<Vec<funcs::Reduced>, String> {
    match e {
        Expr::Call { name, args } if funcs::AGGREGATES.contains(&name.as_str()) => {
            let pts = match args.first() {
                Some(Expr::VarRef { name: f, .. }) => group_points(f, schema, cond, members),
                Some(Expr::Call {
                    name: inner,
                    args: iargs,
                }) if inner == "distinct" => {
                    // count(distinct(x)).
                    let f = match iargs.first() {
                        Some(Expr::VarRef { name, .. }) => name.clone(),
                        _ => return Err("expected field argument in distinct()".into()),
                    };
                    let pts = group_points(&f, schema, cond, members);
                    return per_window(&pts, wins, |w| {
                        let d = funcs::distinct(w);
                        if name == "count" {
                            Ok((!d.is_empty()).then_some((None, Val::I(d.len() as i64))))
                        } else {
                            Err(format!("unsupported call: {name}(distinct())"))
                        }
                    });
                }
                _ => return Err(format!("expected field argument in {name}()")),
            };
            let arg = match args.get(1) {
                Some(Expr::Literal(Literal::Integer(v))) => Some(*v as f64),
                Some(Expr::Literal(Literal::Float(v))) => Some(*v),
                Some(Expr::Literal(Literal::Duration(v))) => Some(*v as f64),
                _ => None,
            };
            per_window(&pts, wins, |w| funcs::reduce(name, w, arg))
        }
        Expr::Binary { op, lhs, rhs } => {
            let a = eval_agg(lhs, schema, cond, members, wins)?;
            let b = eval_agg(rhs, schema, cond, members, wins)?;
            Ok(a.into_iter()
                .zip(b)
                .map(|(x, y)| match (x, y) {
                    (Some((tx, x)), Some((ty, y))) => {
                        eval::arith(*op, &x, &y).map(|v| (tx.or(ty), v))
                    }
                    _ => None,
                })
                .collect())
        }
        Expr::Paren(inner) => eval_agg(inner, schema, cond, members, wins),
        Expr::Literal(l) => {
            let v = eval::eval_value(&Expr::Literal(l.clone()), &NoScope).flatten();
            Ok(wins.iter().map(|_| v.clone().map(|v| (None, v))).collect())
        }
        other => Err(format!(
            "unsupported expression in an aggregate query: {other}"
        )),
    }
}

struct NoScope;
impl Scope for NoScope {
    fn lookup(&self, _: &str, _: Option<bool>) -> Option<Option<Val>> {
        Some(None)
    }
}

fn per_window(
    pts: &[Point],
    wins: &[(i64, i64)],
    mut f: impl FnMut(&[Point]) -> Result<funcs::Reduced, String>,
) -> Result<Vec<funcs::Reduced>, String> {
    let mut out = Vec::with_capacity(wins.len());
    let mut i = 0;
    for (ws, we) in wins {
        while i < pts.len() && pts[i].0 < *ws {
            i += 1;
        }
        let mut j = i;
        while j < pts.len() && pts[j].0 < *we {
            j += 1;
        }
        out.push(f(&pts[i..j])?);
        i = j;
    }
    Ok(out)
}

fn is_transform(e: &Expr) -> bool {
    matches!(e, Expr::Call { name, .. } if funcs::TRANSFORMS.contains(&name.as_str()))
}

/// How many windows before the first output window a projection's transformation needs.
fn max_lookback(projs: &[Proj]) -> i64 {
    projs
        .iter()
        .map(|p| match &p.expr {
            Expr::Call { name, args } => match name.as_str() {
                "derivative"
                | "non_negative_derivative"
                | "difference"
                | "non_negative_difference"
                | "elapsed" => 1,
                "moving_average" => match args.get(1) {
                    Some(Expr::Literal(Literal::Integer(n))) => (*n - 1).clamp(0, 10_000),
                    _ => 0,
                },
                _ => 0,
            },
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// The unit (ns) and window length argument of a transformation call.
fn transform_args(args: &[Expr], default_unit: i64) -> (i64, usize) {
    let unit = match args.get(1) {
        Some(Expr::Literal(Literal::Duration(d))) => *d,
        _ => default_unit,
    };
    let n = match args.get(1) {
        Some(Expr::Literal(Literal::Integer(n))) => (*n).max(0) as usize,
        _ => 0,
    };
    (unit, n)
}

/// Fills one column's empty windows per the statement's `fill` (count's empty windows are
/// 0 under the default `fill(null)`, as in InfluxDB).
fn fill_column(col: &mut [funcs::Reduced], fill: &Fill, is_count: bool) {
    let mut prev: Option<Val> = None;
    let linear_src: Vec<funcs::Reduced> = col.to_vec();
    for (wi, cell) in col.iter_mut().enumerate() {
        if cell.is_none() {
            let v = match fill {
                Fill::Null if is_count => Some(Val::I(0)),
                Fill::Null | Fill::None => None,
                Fill::Previous => prev.clone(),
                Fill::Number(Literal::Integer(n)) => Some(Val::I(*n)),
                Fill::Number(Literal::Float(f)) => Some(Val::F(*f)),
                Fill::Number(_) => None,
                Fill::Linear => linear(&linear_src, wi),
            };
            *cell = v.map(|v| (None, v));
        }
        if let Some((_, v)) = cell {
            prev = Some(v.clone());
        }
    }
}

/// Names of the aggregate calls in an expression (not descending into their arguments).
fn collect_calls<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    match e {
        Expr::Call { name, .. } => out.push(name),
        Expr::Binary { lhs, rhs, .. } => {
            collect_calls(lhs, out);
            collect_calls(rhs, out);
        }
        Expr::Paren(inner) => collect_calls(inner, out),
        _ => {}
    }
}

fn is_count(e: &Expr) -> bool {
    matches!(e, Expr::Call { name, .. } if name == "count")
}

fn aggregate_rows(
    s: &SelectStatement,
    projs: &[Proj],
    schema: &Schema,
    cond: Option<&Expr>,
    members: &[SeriesData],
    (start, stop, lookback): (i64, i64, i64),
    interval: Option<(i64, i64)>,
) -> Result<Vec<Vec<Cell>>, String> {
    let mut used = Vec::new();
    for p in projs {
        field_names(&p.expr, schema, &mut used);
    }
    let has_input = used.iter().any(|f| {
        group_points(f, schema, cond, members)
            .iter()
            .any(|(t, _)| *t >= start && *t < stop)
    });
    if !has_input {
        return Ok(Vec::new());
    }
    let wins = windows(start.saturating_sub(lookback), stop, interval);
    let first_out = windows(start, stop, interval)
        .first()
        .map_or(start, |w| w.0);
    // Per projection: a column of window values, or transformed points.
    let mut cols: Vec<Vec<funcs::Reduced>> = Vec::new();
    let mut transformed: Vec<Option<Vec<Point>>> = Vec::new();
    for p in projs {
        match &p.expr {
            Expr::Call { name, args } if funcs::TRANSFORMS.contains(&name.as_str()) => {
                let inner = args
                    .first()
                    .ok_or_else(|| format!("{name} requires an argument"))?;
                let mut v = eval_agg(inner, schema, cond, members, &wins)?;
                if interval.is_some() {
                    fill_column(&mut v, &s.fill, is_count(inner));
                }
                let rows: Vec<Point> = wins
                    .iter()
                    .zip(&v)
                    .filter_map(|((ws, _), r)| r.as_ref().map(|(_, val)| (*ws, val.clone())))
                    .collect();
                let default_unit = match name.as_str() {
                    "elapsed" => 1,
                    _ => interval.map_or(1_000_000_000, |(e, _)| e),
                };
                let (unit, n) = transform_args(args, default_unit);
                let mut out = funcs::transform(name, &rows, unit, n)?;
                out.retain(|p| p.0 >= first_out);
                transformed.push(Some(out));
                cols.push(Vec::new());
            }
            e => {
                let mut c = eval_agg(e, schema, cond, members, &wins)?;
                if interval.is_some() {
                    fill_column(&mut c, &s.fill, is_count(e));
                }
                cols.push(c);
                transformed.push(None);
            }
        }
    }
    if transformed.iter().any(Option::is_some) {
        let mut times: Vec<i64> = transformed
            .iter()
            .flatten()
            .flat_map(|v| v.iter().map(|p| p.0))
            .collect();
        times.sort_unstable();
        times.dedup();
        let mut rows = Vec::new();
        for t in times {
            let mut row = vec![Cell::Time(t)];
            for (i, tr) in transformed.iter().enumerate() {
                match tr {
                    Some(v) => row.push(to_cell(v.iter().find(|p| p.0 == t).map(|p| p.1.clone()))),
                    None => {
                        let idx = wins.iter().position(|w| w.0 == t);
                        row.push(to_cell(
                            idx.and_then(|k| cols[i].get(k).cloned().flatten())
                                .map(|x| x.1),
                        ));
                    }
                }
            }
            rows.push(row);
        }
        return Ok(rows);
    }
    Ok(finish_rows(
        s, projs, &cols, &wins, first_out, start, interval,
    ))
}

/// Rows from per-window columns (already filled): `fill(none)` drops empty windows; a lone
/// selector without `GROUP BY time` reports its point's time, otherwise a row's time is its
/// window start (or 0 for an unbounded query without windows).
fn finish_rows(
    s: &SelectStatement,
    projs: &[Proj],
    cols: &[Vec<funcs::Reduced>],
    wins: &[(i64, i64)],
    first_out: i64,
    start: i64,
    interval: Option<(i64, i64)>,
) -> Vec<Vec<Cell>> {
    let mut calls = Vec::new();
    for p in projs {
        collect_calls(&p.expr, &mut calls);
    }
    let lone_selector =
        interval.is_none() && matches!(calls.as_slice(), [name] if funcs::is_selector(name));
    let mut rows = Vec::with_capacity(wins.len());
    for (wi, (ws, _)) in wins.iter().enumerate() {
        if *ws < first_out {
            continue;
        }
        let empty = cols.iter().all(|c| c.get(wi).is_none_or(Option::is_none));
        if empty && interval.is_some() && s.fill == Fill::None {
            continue;
        }
        let mut time = match interval {
            None if start == MIN_TIME => 0,
            _ => *ws,
        };
        let mut row = Vec::with_capacity(projs.len() + 1);
        row.push(Cell::Null);
        for c in cols {
            let v = c.get(wi).cloned().flatten();
            if lone_selector {
                if let Some((Some(t), _)) = &v {
                    time = *t;
                }
            }
            row.push(to_cell(v.map(|x| x.1)));
        }
        row[0] = Cell::Time(time);
        rows.push(row);
    }
    rows
}

// ---------------------------------------------------------------------------------------------
// Pushdown: aggregates the shards compute per series

/// The pushable calls of a statement: `(function, field)` per projection, when every
/// projection is `count|sum|mean|min|max|first|last(field)` and the remaining condition only
/// mentions tags. The shards then fold each series' windows and the coordinator combines the
/// series of a group (counts and sums add up, means are sums over counts, selectors pick among
/// the series' picks) — no points cross cores.
fn pushable_calls(
    projs: &[Proj],
    schema: &Schema,
    cond: Option<&Expr>,
) -> Option<Vec<(String, String)>> {
    if let Some(c) = cond {
        let mut f = Vec::new();
        field_names(c, schema, &mut f);
        if !f.is_empty() || eval::mentions_time(c) {
            return None;
        }
    }
    let mut out = Vec::new();
    for p in projs {
        let Expr::Call { name, args } = &p.expr else {
            return None;
        };
        if !matches!(
            name.as_str(),
            "count" | "sum" | "mean" | "min" | "max" | "first" | "last"
        ) {
            return None;
        }
        let [Expr::VarRef { name: field, ty }] = args.as_slice() else {
            return None;
        };
        if matches!(ty, Some(DataType::Tag)) || !schema.fields.contains_key(field) {
            return None;
        }
        out.push((name.clone(), field.clone()));
    }
    (!out.is_empty()).then_some(out)
}

fn push_kinds(call: &str) -> &'static [AggKind] {
    match call {
        "count" => &[AggKind::Count],
        "sum" => &[AggKind::Sum],
        "mean" => &[AggKind::Sum, AggKind::Count],
        "min" => &[AggKind::Min],
        "max" => &[AggKind::Max],
        "first" => &[AggKind::First],
        _ => &[AggKind::Last],
    }
}

/// A group's tag values, `(key, value)` by key.
type GroupKey = Vec<(String, String)>;

/// Per-series partial results of one pushed read: series key → `(time, value)` rows.
type Partials = HashMap<Arc<[u8]>, Vec<Point>>;

async fn read_pushed(
    env: &QlEnv<'_>,
    t: &Target,
    tags: &Predicate,
    field: &str,
    kind: AggKind,
    (start, stop): (i64, i64),
    interval: Option<(i64, i64)>,
) -> Result<Partials, String> {
    let plan = ReadPlan {
        start,
        stop,
        predicate: Predicate::and(
            Predicate::and(
                Predicate::Measurement(PCmp::Eq, t.measurement.clone()),
                Predicate::Field(PCmp::Eq, field.to_string()),
            ),
            tags.clone(),
        ),
        agg: Some(Aggregation {
            kind,
            every: interval.map(|(e, _)| e),
            offset: interval.map_or(0, |(_, o)| o),
            shape: AggShape::Aggregate,
        }),
    };
    let mut merged = env
        .engine
        .read(t.bucket, plan)
        .await
        .map_err(|e| e.message().to_string())?;
    let mut out: Partials = HashMap::new();
    while let Some(chunk) = merged.next().await {
        let chunk = chunk.map_err(|e| e.message().to_string())?;
        let vals = chunk_vals(chunk.values);
        out.entry(chunk.key.clone())
            .or_default()
            .extend(chunk.times.into_iter().zip(vals));
    }
    Ok(out)
}

/// A read chunk's values as InfluxQL values.
fn chunk_vals(values: ChunkValues) -> Vec<Val> {
    match values {
        ChunkValues::Float(v) => v.into_iter().map(Val::F).collect(),
        ChunkValues::Integer(v) => v.into_iter().map(Val::I).collect(),
        ChunkValues::UInteger(v) => v.into_iter().map(Val::U).collect(),
        ChunkValues::Boolean(v) => v.into_iter().map(Val::B).collect(),
        ChunkValues::String(v) => v.into_iter().map(Val::S).collect(),
    }
}

/// The tags of a series key, unescaped and sorted by key.
fn key_tags(key: &[u8]) -> Vec<(String, String)> {
    let parts = lp::parse_series_key(key);
    let mut tags: Vec<(String, String)> = parts
        .tags()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    tags.sort();
    tags
}

/// Answers a pushable aggregate `SELECT` for one measurement: `Some(series)` or `None` when
/// nothing matched.
#[allow(clippy::too_many_arguments)]
async fn pushed_select(
    s: &SelectStatement,
    env: &QlEnv<'_>,
    t: &Target,
    calls: &[(String, String)],
    projs: &[Proj],
    schema: &Schema,
    group_tags: &[String],
    cond: Option<&Expr>,
    (start, stop, start_bound): (i64, i64, Option<i64>),
    interval: Option<(i64, i64)>,
) -> Result<Vec<Series>, String> {
    // One shard read per distinct (field, kind); tag conditions the index can evaluate go
    // along, so the shards skip other series entirely.
    let tag_pred = cond.and_then(tag_predicate).unwrap_or(Predicate::True);
    let mut partials: HashMap<(String, AggKind), Partials> = HashMap::new();
    for (call, field) in calls {
        for kind in push_kinds(call) {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                partials.entry((field.clone(), *kind))
            {
                slot.insert(
                    read_pushed(env, t, &tag_pred, field, *kind, (start, stop), interval).await?,
                );
            }
        }
    }
    // Series (by key), filtered on tags, grouped.
    let mut keys: Vec<Arc<[u8]>> = partials.values().flat_map(|p| p.keys().cloned()).collect();
    keys.sort();
    keys.dedup();
    let mut groups: BTreeMap<GroupKey, Vec<Arc<[u8]>>> = BTreeMap::new();
    for key in keys {
        let tags = key_tags(&key);
        if let Some(c) = cond {
            let scope = RowScope {
                tags: &tags,
                schema,
                row: None,
                time: None,
            };
            if eval::eval_cond(c, &scope) == Some(false) {
                continue;
            }
        }
        let gk: Vec<(String, String)> = group_tags
            .iter()
            .map(|k| {
                let v = tags.iter().find(|(tk, _)| tk == k).map(|(_, v)| v.clone());
                (k.clone(), v.unwrap_or_default())
            })
            .collect();
        groups.entry(gk).or_default().push(key);
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    if s.order_desc {
        groups.reverse();
    }
    let window_of = |t: i64| -> i64 {
        match interval {
            Some((every, off)) if every > 0 => t - (t - off.rem_euclid(every)).rem_euclid(every),
            _ => start,
        }
    };
    let mut out = Vec::new();
    let groups = groups
        .into_iter()
        .skip(s.soffset as usize)
        .take(if s.slimit > 0 {
            s.slimit as usize
        } else {
            usize::MAX
        });
    for (gk, members) in groups {
        // Earliest partial of the group (the first window without a lower time bound).
        let first_t = members
            .iter()
            .flat_map(|k| {
                partials
                    .values()
                    .filter_map(move |p| p.get(k))
                    .flatten()
                    .map(|p| p.0)
            })
            .min();
        let Some(first_t) = first_t else { continue };
        let wstart = match (start_bound, interval) {
            (None, Some(_)) => window_of(first_t),
            _ => start,
        };
        let wins = windows(wstart, stop, interval);
        let idx = |t: i64| -> Option<usize> {
            let w = window_of(t);
            wins.binary_search_by(|(ws, _)| ws.cmp(&w)).ok()
        };
        let gather = |field: &str, kind: AggKind| -> Vec<Vec<Point>> {
            let mut per: Vec<Vec<Point>> = vec![Vec::new(); wins.len()];
            if let Some(p) = partials.get(&(field.to_string(), kind)) {
                for k in &members {
                    for (t, v) in p.get(k).into_iter().flatten() {
                        if let Some(i) = idx(*t) {
                            per[i].push((*t, v.clone()));
                        }
                    }
                }
            }
            for w in &mut per {
                w.sort_by_key(|p| p.0);
            }
            per
        };
        let mut cols: Vec<Vec<funcs::Reduced>> = Vec::new();
        for (call, field) in calls {
            let col: Vec<funcs::Reduced> = match call.as_str() {
                "count" => gather(field, AggKind::Count)
                    .into_iter()
                    .map(|w| {
                        (!w.is_empty()).then(|| {
                            (
                                None,
                                Val::I(w.iter().filter_map(|p| p.1.as_f64()).sum::<f64>() as i64),
                            )
                        })
                    })
                    .collect(),
                "sum" => gather(field, AggKind::Sum)
                    .iter()
                    .map(|w| funcs::reduce("sum", w, None).ok().flatten())
                    .collect(),
                "mean" => {
                    let sums = gather(field, AggKind::Sum);
                    let counts = gather(field, AggKind::Count);
                    sums.iter()
                        .zip(&counts)
                        .map(|(sw, cw)| {
                            let n: f64 = cw.iter().filter_map(|p| p.1.as_f64()).sum();
                            (n > 0.0).then(|| {
                                let total: f64 = sw.iter().filter_map(|p| p.1.as_f64()).sum();
                                (None, Val::F(total / n))
                            })
                        })
                        .collect()
                }
                sel => {
                    let kind = push_kinds(sel)[0];
                    gather(field, kind)
                        .iter()
                        .map(|w| funcs::reduce(sel, w, None).ok().flatten())
                        .collect()
                }
            };
            cols.push(col);
        }
        if interval.is_some() {
            for (c, (call, _)) in cols.iter_mut().zip(calls) {
                fill_column(c, &s.fill, call == "count");
            }
        }
        let first_out = wins.first().map_or(wstart, |w| w.0);
        let rows = finish_rows(s, projs, &cols, &wins, first_out, start, interval);
        let mut columns = vec!["time".to_string()];
        columns.extend(projs.iter().map(|p| p.name.clone()));
        out.extend(group_series(s, &t.measurement, gk, columns, rows));
    }
    Ok(out)
}

/// `distinct(field)`: every distinct value of each window, in first-seen order, one row each
/// (time = the window start).
fn distinct_rows(
    e: &Expr,
    schema: &Schema,
    cond: Option<&Expr>,
    members: &[SeriesData],
    (start, stop): (i64, i64),
    interval: Option<(i64, i64)>,
) -> Result<Vec<Vec<Cell>>, String> {
    let Expr::Call { args, .. } = e else {
        return Ok(Vec::new());
    };
    let Some(Expr::VarRef { name: f, .. }) = args.first() else {
        return Err("expected field argument in distinct()".into());
    };
    let pts = group_points(f, schema, cond, members);
    let mut rows = Vec::new();
    for (ws, we) in windows(start, stop, interval) {
        let win: Vec<Point> = pts
            .iter()
            .filter(|p| p.0 >= ws && p.0 < we)
            .cloned()
            .collect();
        let time = match interval {
            None if start == MIN_TIME => 0,
            _ => ws,
        };
        for v in funcs::distinct(&win) {
            rows.push(vec![Cell::Time(time), to_cell(Some(v))]);
        }
    }
    Ok(rows)
}

/// One selector plus bare fields/tags (`SELECT tx, max(rx)`): per window, the selected point;
/// the other columns are that point's fields and tags. Time is the window start with `GROUP
/// BY time`, else the point's time.
fn selector_aux_rows(
    projs: &[Proj],
    schema: &Schema,
    cond: Option<&Expr>,
    members: &[SeriesData],
    (start, stop): (i64, i64),
    interval: Option<(i64, i64)>,
) -> Result<Vec<Vec<Cell>>, String> {
    let Some((ci, name, args)) = projs.iter().enumerate().find_map(|(i, p)| match &p.expr {
        Expr::Call { name, args } => Some((i, name.as_str(), args.as_slice())),
        _ => None,
    }) else {
        return Ok(Vec::new());
    };
    let Some(Expr::VarRef { name: f, .. }) = args.first() else {
        return Err(format!("expected field argument in {name}()"));
    };
    let arg = match args.get(1) {
        Some(Expr::Literal(Literal::Integer(v))) => Some(*v as f64),
        Some(Expr::Literal(Literal::Float(v))) => Some(*v),
        _ => None,
    };
    // Per series: rows by time, to look the selected point's other fields up.
    let series: Vec<BTreeMap<i64, HashMap<&str, Val>>> = members.iter().map(series_rows).collect();
    let mut pts: Vec<(i64, usize, Val)> = Vec::new();
    for (si, sd) in members.iter().enumerate() {
        for (t, v) in group_points(f, schema, cond, std::slice::from_ref(sd)) {
            pts.push((t, si, v));
        }
    }
    pts.sort_by_key(|p| (p.0, p.1));
    let mut rows = Vec::new();
    for (ws, we) in windows(start, stop, interval) {
        let win: Vec<&(i64, usize, Val)> = pts.iter().filter(|p| p.0 >= ws && p.0 < we).collect();
        let plain: Vec<Point> = win.iter().map(|p| (p.0, p.2.clone())).collect();
        let Some((Some(t), v)) = funcs::reduce(name, &plain, arg)? else {
            continue;
        };
        let si = win.iter().find(|p| p.0 == t && p.2 == v).map_or(0, |p| p.1);
        let time = if interval.is_some() { ws } else { t };
        let mut row = vec![Cell::Time(time)];
        for (i, p) in projs.iter().enumerate() {
            if i == ci {
                row.push(to_cell(Some(v.clone())));
                continue;
            }
            let Expr::VarRef { name: aux, .. } = &p.expr else {
                row.push(Cell::Null);
                continue;
            };
            let field = series
                .get(si)
                .and_then(|r| r.get(&t))
                .and_then(|r| r.get(aux.as_str()))
                .cloned();
            let val = field.or_else(|| {
                members
                    .get(si)
                    .and_then(|m| m.tags.iter().find(|(k, _)| k == aux))
                    .map(|(_, v)| Val::S(v.clone()))
            });
            row.push(to_cell(val));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// `top(field[, tag …], N)` / `bottom(…)`: the N largest (smallest) points per window, or —
/// with tags — the best point of each tag combination, then the N best of those. Each row
/// keeps its point's time; rows are ordered by time, then by value (best first). `aux` are
/// the other projections (tags of the selected point's series).
#[allow(clippy::too_many_arguments)]
fn top_bottom_rows(
    name: &str,
    args: &[Expr],
    aux: &[Proj],
    schema: &Schema,
    cond: Option<&Expr>,
    members: &[SeriesData],
    (start, stop): (i64, i64),
    interval: Option<(i64, i64)>,
) -> Result<Vec<Vec<Cell>>, String> {
    let Some(Expr::VarRef { name: field, .. }) = args.first() else {
        return Err(format!("expected field argument in {name}()"));
    };
    let n = match args.last() {
        Some(Expr::Literal(Literal::Integer(n))) if *n > 0 => *n as usize,
        _ => {
            return Err(format!(
                "expected integer as last argument in {name}(), found {}",
                args.last().map_or(String::new(), |a| a.to_string())
            ))
        }
    };
    let tag_args: Vec<&str> = args[1..args.len() - 1]
        .iter()
        .filter_map(|a| match a {
            Expr::VarRef { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let top = name == "top";
    // (time, series index, value) of the group, in time order.
    let mut pts: Vec<(i64, usize, Val)> = Vec::new();
    for (si, sd) in members.iter().enumerate() {
        let one = std::slice::from_ref(sd);
        for (t, v) in group_points(field, schema, cond, one) {
            pts.push((t, si, v));
        }
    }
    pts.sort_by_key(|p| (p.0, p.1));
    let better = |a: &(i64, usize, Val), b: &(i64, usize, Val)| {
        let o = funcs::cmp_val(&a.2, &b.2);
        let o = if top { o.reverse() } else { o };
        o.then(a.0.cmp(&b.0))
    };
    let tag_of = |si: usize, k: &str| -> String {
        members[si]
            .tags
            .iter()
            .find(|(tk, _)| tk == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for (ws, we) in windows(start, stop, interval) {
        let win: Vec<&(i64, usize, Val)> = pts.iter().filter(|p| p.0 >= ws && p.0 < we).collect();
        let mut chosen: Vec<&(i64, usize, Val)> = if tag_args.is_empty() {
            win
        } else {
            let mut best: BTreeMap<Vec<String>, &(i64, usize, Val)> = BTreeMap::new();
            for p in win {
                let key: Vec<String> = tag_args.iter().map(|k| tag_of(p.1, k)).collect();
                match best.get(&key) {
                    Some(b) if better(b, p) != std::cmp::Ordering::Greater => {}
                    _ => {
                        best.insert(key, p);
                    }
                }
            }
            best.into_values().collect()
        };
        chosen.sort_by(|a, b| better(a, b));
        chosen.truncate(n);
        chosen.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| better(a, b)));
        for p in chosen {
            let mut row = vec![Cell::Time(p.0), to_cell(Some(p.2.clone()))];
            for k in &tag_args {
                row.push(Cell::Str(tag_of(p.1, k)));
            }
            for a in aux {
                match &a.expr {
                    Expr::VarRef { name, .. } => row.push(
                        members[p.1]
                            .tags
                            .iter()
                            .find(|(k, _)| k == name)
                            .map_or(Cell::Null, |(_, v)| Cell::Str(v.clone())),
                    ),
                    other => return Err(format!("unsupported projection with {name}(): {other}")),
                }
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Transformations of raw points (`derivative(value)`): per projection, the group's points
/// transformed; rows are the union of their times.
fn raw_transform_rows(
    projs: &[Proj],
    schema: &Schema,
    cond: Option<&Expr>,
    members: &[SeriesData],
) -> Result<Vec<Vec<Cell>>, String> {
    let mut cols: Vec<Vec<Point>> = Vec::new();
    for p in projs {
        match &p.expr {
            Expr::Call { name, args } if funcs::TRANSFORMS.contains(&name.as_str()) => {
                let Some(Expr::VarRef { name: f, .. }) = args.first() else {
                    return Err(format!("expected field argument in {name}()"));
                };
                let pts = group_points(f, schema, cond, members);
                let default_unit = if name == "elapsed" { 1 } else { 1_000_000_000 };
                let (unit, n) = transform_args(args, default_unit);
                cols.push(funcs::transform(name, &pts, unit, n)?);
            }
            other => {
                return Err(format!(
                    "mixing aggregate and non-aggregate queries is not supported: {other}"
                ))
            }
        }
    }
    let mut times: Vec<i64> = cols.iter().flat_map(|c| c.iter().map(|p| p.0)).collect();
    times.sort_unstable();
    times.dedup();
    Ok(times
        .into_iter()
        .map(|t| {
            let mut row = vec![Cell::Time(t)];
            for c in &cols {
                row.push(to_cell(c.iter().find(|p| p.0 == t).map(|p| p.1.clone())));
            }
            row
        })
        .collect())
}

/// Linear interpolation for an empty window between two non-empty ones.
fn linear(col: &[funcs::Reduced], wi: usize) -> Option<Val> {
    let before = (0..wi)
        .rev()
        .find_map(|k| col[k].as_ref().map(|v| (k, v.1.as_f64())))?;
    let after = (wi + 1..col.len()).find_map(|k| col[k].as_ref().map(|v| (k, v.1.as_f64())))?;
    let (k0, Some(v0)) = before else { return None };
    let (k1, Some(v1)) = after else { return None };
    let frac = (wi - k0) as f64 / (k1 - k0) as f64;
    let v = v0 + (v1 - v0) * frac;
    let int = matches!(col[k0].as_ref().map(|x| &x.1), Some(Val::I(_)));
    Some(if int { Val::I(v as i64) } else { Val::F(v) })
}

// ---------------------------------------------------------------------------------------------
// SHOW

/// The top-level `AND` terms of a condition.
fn split_and(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Paren(inner) => split_and(inner),
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            let mut v = split_and(lhs);
            v.extend(split_and(rhs));
            v
        }
        other => vec![other],
    }
}

/// A tag-only predicate for the series index from a SHOW's `WHERE` (`=`/`!=` on tags, `AND`,
/// `OR`); `None` when the condition needs the coordinator (regexes).
fn tag_predicate(e: &Expr) -> Option<Predicate> {
    match e {
        Expr::Paren(inner) => tag_predicate(inner),
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => Some(Predicate::And(
            Box::new(tag_predicate(lhs)?),
            Box::new(tag_predicate(rhs)?),
        )),
        Expr::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => Some(Predicate::Or(
            Box::new(tag_predicate(lhs)?),
            Box::new(tag_predicate(rhs)?),
        )),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::Eq | BinaryOp::Neq) => {
            let (Expr::VarRef { name, .. }, Expr::Literal(Literal::String(v))) =
                (lhs.as_ref(), rhs.as_ref())
            else {
                return None;
            };
            let op = if *op == BinaryOp::Eq {
                PCmp::Eq
            } else {
                PCmp::Neq
            };
            Some(if name == "_name" {
                Predicate::Measurement(op, v.clone())
            } else {
                Predicate::Tag {
                    key: name.clone(),
                    op,
                    value: v.clone(),
                }
            })
        }
        _ => None,
    }
}

/// Series keys of a bucket matching a SHOW's sources and condition, grouped per measurement:
/// `(measurement, tags)`. Regex conditions are evaluated here.
async fn matching_series(
    env: &QlEnv<'_>,
    bucket: BucketId,
    sources: &[Source],
    cond: Option<&Expr>,
) -> Result<Vec<(String, Vec<(String, String)>, Vec<u8>)>, String> {
    let measurement = source_filter(sources)?;
    let pushed = cond.and_then(tag_predicate);
    let rows = env
        .engine
        .schema(
            bucket,
            SchemaRequest {
                kind: SchemaKind::SeriesKeys,
                measurement,
                tag_key: NameFilter::Any,
                predicate: pushed.clone().unwrap_or(Predicate::True),
            },
        )
        .await
        .map_err(|e| e.message().to_string())?;
    let empty = Schema {
        fields: BTreeMap::new(),
        tags: Vec::new(),
    };
    let mut out = Vec::new();
    for r in rows {
        let Some(key) = r.into_iter().next() else {
            continue;
        };
        let parts = lp::parse_series_key(&key);
        let m = String::from_utf8_lossy(&parts.measurement()).into_owned();
        let tags: Vec<(String, String)> = parts
            .tags()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect();
        if pushed.is_none() {
            if let Some(c) = cond {
                let mut with_name = tags.clone();
                with_name.push(("_name".into(), m.clone()));
                let scope = RowScope {
                    tags: &with_name,
                    schema: &empty,
                    row: None,
                    time: None,
                };
                if eval::eval_cond(c, &scope) == Some(false) {
                    continue;
                }
            }
        }
        out.push((m, tags, key));
    }
    Ok(out)
}

fn source_filter(sources: &[Source]) -> Result<NameFilter, String> {
    let mut names = Vec::new();
    for s in sources {
        match s {
            Source::Measurement {
                name: MeasurementName::Name(n),
                ..
            } => names.push(n.as_bytes().to_vec()),
            Source::Measurement {
                name: MeasurementName::Regex(r),
                ..
            } => {
                if sources.len() == 1 {
                    return regex_filter(r);
                }
                return Err("multiple sources with a regex are not supported in SHOW".into());
            }
            Source::Subquery(_) => return Err("subqueries are not supported in SHOW".into()),
        }
    }
    Ok(match names.len() {
        0 => NameFilter::Any,
        1 => NameFilter::Eq(names.remove(0)),
        _ => NameFilter::In(names),
    })
}

fn show_bucket(env: &QlEnv<'_>, db: Option<&str>) -> Result<BucketId, String> {
    bucket_of(env, db, None)
}

fn limit_offset<T>(v: Vec<T>, limit: u64, offset: u64) -> Vec<T> {
    v.into_iter()
        .skip(offset as usize)
        .take(if limit > 0 {
            limit as usize
        } else {
            usize::MAX
        })
        .collect()
}

async fn show_measurements(m: &ShowMeasurements, env: &QlEnv<'_>) -> Result<Vec<Series>, String> {
    match (m.database.as_deref(), m.rp.as_deref()) {
        (Some("*"), None) => {
            return Err(
                "query 'SHOW MEASUREMENTS ON *' not supported. use 'ON *.*' or specify a database"
                    .into(),
            )
        }
        (Some("*"), Some(rp)) if rp != "*" => return Err(
            "query 'SHOW MEASUREMENTS ON *.rp' not supported. use 'ON *.*' or specify a database"
                .into(),
        ),
        _ => {}
    }
    if m.condition.as_ref().is_some_and(eval::mentions_time) {
        return Err("SHOW MEASUREMENTS doesn't support time in WHERE clause".into());
    }
    let bucket = show_bucket(env, m.database.as_deref().filter(|d| *d != "*"))?;
    let filter = match &m.with {
        None => Vec::new(),
        Some((CmpOp::Eq, MeasurementName::Name(n))) => vec![Source::Measurement {
            database: None,
            rp: None,
            name: MeasurementName::Name(n.clone()),
        }],
        Some((_, MeasurementName::Regex(r))) => vec![Source::Measurement {
            database: None,
            rp: None,
            name: MeasurementName::Regex(r.clone()),
        }],
        Some((CmpOp::Neq, MeasurementName::Name(_))) => Vec::new(),
    };
    let series = matching_series(env, bucket, &filter, m.condition.as_ref()).await?;
    let mut names: Vec<String> = series.into_iter().map(|s| s.0).collect();
    if let Some((CmpOp::Neq, MeasurementName::Name(n))) = &m.with {
        names.retain(|x| x != n);
    }
    if let Some((CmpOp::Neq, MeasurementName::Regex(r))) = &m.with {
        let re = regex::Regex::new(r).map_err(|e| format!("invalid regex: {e}"))?;
        names.retain(|x| !re.is_match(x));
    }
    names.sort();
    names.dedup();
    let names = limit_offset(names, m.limit, m.offset);
    if names.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Series {
        name: "measurements".into(),
        columns: vec!["name".into()],
        values: names.into_iter().map(|n| vec![Cell::Str(n)]).collect(),
        ..Default::default()
    }])
}

fn key_matches(key: &TagKeyMatch, k: &str) -> Result<bool, String> {
    Ok(match key {
        TagKeyMatch::Cmp(CmpOp::Eq, n) => k == n,
        TagKeyMatch::Cmp(CmpOp::Neq, n) => k != n,
        TagKeyMatch::In(ns) => ns.iter().any(|n| n == k),
        TagKeyMatch::Regex(op, r) => {
            let re = regex::Regex::new(r).map_err(|e| format!("invalid regex: {e}"))?;
            re.is_match(k) == (*op == CmpOp::Eq)
        }
    })
}

async fn show_tags(
    f: &ShowFilter,
    key: Option<&TagKeyMatch>,
    env: &QlEnv<'_>,
) -> Result<Vec<Series>, String> {
    let bucket = show_bucket(env, f.database.as_deref())?;
    let cond = match &f.condition {
        Some(c) => eval::split_time(Some(c), env.now)?.1,
        None => None,
    };
    let series = matching_series(env, bucket, &f.sources, cond.as_ref()).await?;
    let mut per: BTreeMap<String, Vec<Vec<Cell>>> = BTreeMap::new();
    let mut seen: BTreeMap<String, std::collections::BTreeSet<(String, String)>> = BTreeMap::new();
    for (m, tags, _) in series {
        let set = seen.entry(m).or_default();
        for (k, v) in tags {
            match key {
                None => {
                    set.insert((k, String::new()));
                }
                Some(km) => {
                    if key_matches(km, &k)? {
                        set.insert((k, v));
                    }
                }
            }
        }
    }
    for (m, set) in seen {
        let rows: Vec<Vec<Cell>> = set
            .into_iter()
            .map(|(k, v)| {
                if key.is_some() {
                    vec![Cell::Str(k), Cell::Str(v)]
                } else {
                    vec![Cell::Str(k)]
                }
            })
            .collect();
        let rows = limit_offset(rows, f.limit, f.offset);
        if !rows.is_empty() {
            per.insert(m, rows);
        }
    }
    let per: Vec<(String, Vec<Vec<Cell>>)> =
        limit_offset(per.into_iter().collect(), f.slimit, f.soffset);
    Ok(per
        .into_iter()
        .map(|(m, values)| Series {
            name: m,
            columns: if key.is_some() {
                vec!["key".into(), "value".into()]
            } else {
                vec!["tagKey".into()]
            },
            values,
            ..Default::default()
        })
        .collect())
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::Float => "float",
        FieldType::Integer => "integer",
        FieldType::UInteger => "unsigned",
        FieldType::Boolean => "boolean",
        FieldType::String => "string",
    }
}

async fn show_field_keys(f: &ShowFilter, env: &QlEnv<'_>) -> Result<Vec<Series>, String> {
    let bucket = show_bucket(env, f.database.as_deref())?;
    let filter = source_filter(&f.sources)?;
    let mut per: BTreeMap<String, Vec<Vec<Cell>>> = BTreeMap::new();
    for (m, field, ty) in env.engine.field_keys(bucket) {
        if !filter.matches(&m) {
            continue;
        }
        per.entry(String::from_utf8_lossy(&m).into_owned())
            .or_default()
            .push(vec![
                Cell::Str(String::from_utf8_lossy(&field).into_owned()),
                Cell::Str(type_name(ty).into()),
            ]);
    }
    Ok(per
        .into_iter()
        .filter_map(|(m, rows)| {
            let values = limit_offset(rows, f.limit, f.offset);
            (!values.is_empty()).then(|| Series {
                name: m,
                columns: vec!["fieldKey".into(), "fieldType".into()],
                values,
                ..Default::default()
            })
        })
        .collect())
}

async fn show_series(f: &ShowFilter, env: &QlEnv<'_>) -> Result<Vec<Series>, String> {
    let bucket = show_bucket(env, f.database.as_deref())?;
    let cond = match &f.condition {
        Some(c) => eval::split_time(Some(c), env.now)?.1,
        None => None,
    };
    let series = matching_series(env, bucket, &f.sources, cond.as_ref()).await?;
    let keys: Vec<Vec<Cell>> = series
        .into_iter()
        .map(|(m, tags, _)| {
            let mut k = lp_escape(&m, true);
            for (tk, tv) in tags {
                k.push(',');
                k.push_str(&lp_escape(&tk, false));
                k.push('=');
                k.push_str(&lp_escape(&tv, false));
            }
            vec![Cell::Str(k)]
        })
        .collect();
    let keys = limit_offset(keys, f.limit, f.offset);
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Series {
        columns: vec!["key".into()],
        values: keys,
        ..Default::default()
    }])
}

fn lp_escape(s: &str, measurement: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ',' || c == ' ' || (!measurement && c == '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

async fn show_cardinality(
    what: CardinalityOf,
    f: &ShowFilter,
    key: Option<&TagKeyMatch>,
    env: &QlEnv<'_>,
) -> Result<Vec<Series>, String> {
    let bucket = show_bucket(env, f.database.as_deref())?;
    let cond = match &f.condition {
        Some(c) => eval::split_time(Some(c), env.now)?.1,
        None => None,
    };
    let count_series = |n: usize, name: &str| Series {
        name: name.to_string(),
        columns: vec!["count".into()],
        values: vec![vec![Cell::Int(n as i64)]],
        ..Default::default()
    };
    match what {
        CardinalityOf::FieldKeys => {
            let filter = source_filter(&f.sources)?;
            let mut per: BTreeMap<String, usize> = BTreeMap::new();
            for (m, _, _) in env.engine.field_keys(bucket) {
                if filter.matches(&m) {
                    *per.entry(String::from_utf8_lossy(&m).into_owned())
                        .or_default() += 1;
                }
            }
            Ok(per.into_iter().map(|(m, n)| count_series(n, &m)).collect())
        }
        _ => {
            let series = matching_series(env, bucket, &f.sources, cond.as_ref()).await?;
            match what {
                CardinalityOf::Measurements => {
                    let mut ms: Vec<&String> = series.iter().map(|s| &s.0).collect();
                    ms.dedup();
                    Ok(if ms.is_empty() {
                        Vec::new()
                    } else {
                        vec![count_series(ms.len(), "")]
                    })
                }
                CardinalityOf::Series => {
                    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
                    for s in &series {
                        *per.entry(&s.0).or_default() += 1;
                    }
                    Ok(per.into_iter().map(|(m, n)| count_series(n, m)).collect())
                }
                _ => {
                    let mut per: BTreeMap<&str, std::collections::BTreeSet<(String, String)>> =
                        BTreeMap::new();
                    for (m, tags, _) in &series {
                        let set = per.entry(m).or_default();
                        for (k, v) in tags {
                            let hit = match key {
                                Some(km) => key_matches(km, k)?,
                                None => true,
                            };
                            if hit {
                                set.insert((
                                    k.clone(),
                                    if what == CardinalityOf::TagValues {
                                        v.clone()
                                    } else {
                                        String::new()
                                    },
                                ));
                            }
                        }
                    }
                    Ok(per
                        .into_iter()
                        .filter(|(_, s)| !s.is_empty())
                        .map(|(m, s)| count_series(s.len(), m))
                        .collect())
                }
            }
        }
    }
}
