//! Lazy table plans ([`Node`]) and their execution.
//!
//! A `Tables` value is an `Arc<Node>`: a storage read ([`NodeKind::Read`], bucket + range +
//! pushed-down predicate: exactly the [`ReadPlan`] the shards run), literal tables (csv.from,
//! array.from), an operation over input node(s), or a `yield` marker. Building a node never
//! reads or computes anything; [`execute`] walks the tree bottom-up.
//!
//! Invariants:
//! - `range` and pushable `filter`s applied directly to a `Read` node are folded into it, so
//!   `from |> range |> filter` is one `Read` whose plan equals what the old planner produced.
//!   Later pushdowns rewrite the tree the same way (match on `Op { name, .. }` over a `Read`).
//! - Execution materialises whole tables ([`TableChunk`]s with one chunk per table); the bytes
//!   held by live intermediate results are charged to [`ExecCtx`]'s memory budget, and the
//!   deadline and cancel flag are checked before every node.
//! - Operations see and produce tables that satisfy [`TableChunk::validate`].

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::ast::Span;
use super::interp::Interp;
use crate::query::plan::{BucketRef, PlanError, ReadPlan};
use crate::query::table::{
    ColumnData, ColumnMeta, ColumnType, TableChunk, TableMeta, Value as Cell,
};

/// A single-input table operation: input tables → output tables (errors are messages; the
/// executor adds the call's position).
pub type TableFn =
    Arc<dyn Fn(Vec<TableChunk>, &mut ExecCtx<'_>) -> Result<Vec<TableChunk>, String> + Send + Sync>;

/// A multi-input table operation (`union`, `join`, `testing.diff`).
pub type MultiFn = Arc<
    dyn Fn(Vec<Vec<TableChunk>>, &mut ExecCtx<'_>) -> Result<Vec<TableChunk>, String> + Send + Sync,
>;

/// Wraps a closure as a [`TableFn`].
pub fn table_fn(
    f: impl Fn(Vec<TableChunk>, &mut ExecCtx<'_>) -> Result<Vec<TableChunk>, String>
        + Send
        + Sync
        + 'static,
) -> TableFn {
    Arc::new(f)
}

/// A node of a lazy table plan.
#[derive(Debug)]
pub struct Node {
    /// What it computes.
    pub kind: NodeKind,
    /// The call that created it (for error positions).
    pub span: Span,
}

/// Node kinds.
pub enum NodeKind {
    /// A storage read; `bounds` is `None` until a `range` is applied.
    Read {
        /// The bucket.
        bucket: BucketRef,
        /// `[start, stop)` once ranged.
        bounds: Option<(i64, i64)>,
        /// The pushed-down read (its start/stop are the bounds).
        plan: ReadPlan,
    },
    /// Literal tables (csv.from, array.from).
    Literal(Arc<Vec<TableChunk>>),
    /// An operation over one input.
    Op {
        /// Function name (for pushdown rewrites and messages).
        name: String,
        /// The operation.
        op: TableFn,
        /// Its inputs (exactly one).
        inputs: Vec<Arc<Node>>,
        /// The `[start, stop)` bounds this operation gives its output stream (`range`), or
        /// `None` when it keeps its input's (see [`stream_bounds`]).
        bounds: Option<(i64, i64)>,
    },
    /// An operation over several inputs.
    Multi {
        /// Function name.
        name: String,
        /// The operation.
        op: MultiFn,
        /// Its inputs.
        inputs: Vec<Arc<Node>>,
    },
    /// `yield(name:)`: passes its input through.
    Yield {
        /// Result name.
        name: String,
        /// The input.
        input: Arc<Node>,
    },
}

impl fmt::Debug for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeKind::Read {
                bucket,
                bounds,
                plan,
            } => write!(f, "Read({bucket:?}, {bounds:?}, {:?})", plan.predicate),
            NodeKind::Literal(t) => write!(f, "Literal({} tables)", t.len()),
            NodeKind::Op { name, inputs, .. } | NodeKind::Multi { name, inputs, .. } => {
                write!(f, "{name}{inputs:?}")
            }
            NodeKind::Yield { name, input } => write!(f, "yield({name:?}, {input:?})"),
        }
    }
}

/// What `Read` nodes read from (the shards, or an in-memory source in tests).
pub trait TableSource {
    /// Runs one read; returns whole tables in storage order.
    fn read(&self, bucket: &BucketRef, plan: &ReadPlan) -> Result<Vec<TableChunk>, String>;
}

/// A source with no data: every read returns no tables.
#[derive(Debug, Default)]
pub struct EmptySource;

impl TableSource for EmptySource {
    fn read(&self, _: &BucketRef, _: &ReadPlan) -> Result<Vec<TableChunk>, String> {
        Ok(Vec::new())
    }
}

/// Execution context: data source, interpreter (for row functions), limits.
pub struct ExecCtx<'a> {
    /// Where `Read` nodes read from.
    pub source: &'a dyn TableSource,
    /// The interpreter (row functions such as `map`'s `fn` are called through it).
    pub interp: &'a mut Interp,
    /// Memory budget for live intermediate tables, bytes.
    pub memory_limit: usize,
    used: usize,
    /// Deadline, checked before every node.
    pub deadline: Option<Instant>,
    /// Cancel flag, checked before every node.
    pub cancel: Option<&'a AtomicBool>,
}

impl fmt::Debug for ExecCtx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecCtx")
            .field("memory_limit", &self.memory_limit)
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

/// Default memory budget (256 MiB).
pub const DEFAULT_MEMORY_LIMIT: usize = 256 << 20;

impl<'a> ExecCtx<'a> {
    /// A context with the default budget and no deadline.
    pub fn new(source: &'a dyn TableSource, interp: &'a mut Interp) -> Self {
        ExecCtx {
            source,
            interp,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            used: 0,
            deadline: None,
            cancel: None,
        }
    }

    /// Applies a Flux function value that transforms tables (a builtin such as `mean`, or a
    /// closure `(tables=<-, column) => tables |> ...`) to already-computed tables, at execution
    /// time: the tables are piped in as a literal stream and the resulting plan is executed.
    /// `args` are extra named arguments (e.g. `column`). This is how `aggregateWindow(fn:)`
    /// can run an arbitrary aggregate per window.
    pub fn apply(
        &mut self,
        f: &super::value::Value,
        tables: Vec<TableChunk>,
        args: Vec<(Arc<str>, super::value::Value)>,
    ) -> Result<Vec<TableChunk>, String> {
        use super::value::Value;
        let input = Value::Tables(Arc::new(Node {
            kind: NodeKind::Literal(Arc::new(tables)),
            span: Span::default(),
        }));
        let out = self
            .interp
            .call(f, args, Some(input), Span::default())
            .map_err(|e| e.to_string())?;
        match out {
            Value::Tables(node) => execute(&node, self).map_err(|e| e.to_string()),
            other => Err(format!(
                "function must return a stream of tables, got {}",
                other.type_name()
            )),
        }
    }

    fn charge(&mut self, bytes: usize) -> Result<(), String> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.memory_limit {
            return Err(format!(
                "query exceeded memory limit of {} bytes",
                self.memory_limit
            ));
        }
        Ok(())
    }

    fn release(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
    }

    fn check_time(&self) -> Result<(), String> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err("query canceled".to_string());
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err("query timed out".to_string());
        }
        Ok(())
    }
}

/// Approximate heap bytes of tables.
pub fn tables_bytes(tables: &[TableChunk]) -> usize {
    tables
        .iter()
        .map(|t| {
            t.columns
                .iter()
                .map(|c| match c {
                    ColumnData::String(v) => v
                        .iter()
                        .map(|s| 24 + s.as_ref().map_or(0, String::len))
                        .sum::<usize>(),
                    other => other.len() * 16,
                })
                .sum::<usize>()
                + 64
        })
        .sum()
}

/// Maximum plan depth executed (bounds recursion).
const MAX_NODE_DEPTH: usize = 256;

/// Executes a plan node to whole tables.
pub fn execute(node: &Arc<Node>, ctx: &mut ExecCtx<'_>) -> Result<Vec<TableChunk>, PlanError> {
    exec_depth(node, ctx, 0)
}

fn exec_depth(
    node: &Arc<Node>,
    ctx: &mut ExecCtx<'_>,
    depth: usize,
) -> Result<Vec<TableChunk>, PlanError> {
    let at = |m: String| PlanError::new(node.span, m);
    if depth > MAX_NODE_DEPTH {
        return Err(at("query plan nested too deeply".to_string()));
    }
    ctx.check_time().map_err(at)?;
    let out = match &node.kind {
        NodeKind::Read {
            bucket,
            bounds,
            plan,
        } => {
            if bounds.is_none() {
                let name = match bucket {
                    BucketRef::Name(n) => n.clone(),
                    BucketRef::Id(id) => id.to_string(),
                };
                return Err(at(format!(
                    "cannot submit unbounded read to {name:?}; try bounding 'from' with a call to 'range'"
                )));
            }
            ctx.source.read(bucket, plan).map_err(at)?
        }
        NodeKind::Literal(t) => t.as_ref().clone(),
        NodeKind::Yield { input, .. } => return exec_depth(input, ctx, depth + 1),
        NodeKind::Op { .. } => {
            // Iterative over a chain of single-input operations (the common pipeline shape),
            // so long pipelines cost no stack depth.
            let mut chain: Vec<&Node> = Vec::new();
            let mut cur: &Arc<Node> = node;
            loop {
                match &cur.kind {
                    NodeKind::Op { inputs, .. } => {
                        chain.push(cur);
                        match inputs.first() {
                            Some(i) => cur = i,
                            None => break,
                        }
                    }
                    NodeKind::Yield { input, .. } => cur = input,
                    _ => break,
                }
            }
            let mut tables = match chain.last().map(|n| &n.kind) {
                Some(NodeKind::Op { inputs, .. }) if inputs.is_empty() => Vec::new(),
                _ => exec_depth(cur, ctx, depth + 1)?,
            };
            for n in chain.into_iter().rev() {
                let NodeKind::Op { name, op, .. } = &n.kind else {
                    continue;
                };
                let at = |m: String| PlanError::new(n.span, m);
                ctx.check_time().map_err(at)?;
                let in_bytes = tables_bytes(&tables);
                ctx.charge(in_bytes).map_err(at)?;
                let r = op(tables, ctx).map_err(|e| at(format!("{name}: {e}")));
                ctx.release(in_bytes);
                tables = r?;
            }
            tables
        }
        NodeKind::Multi { name, op, inputs } => {
            let mut all = Vec::with_capacity(inputs.len());
            let mut bytes = 0usize;
            for i in inputs {
                let t = exec_depth(i, ctx, depth + 1)?;
                let b = tables_bytes(&t);
                if let Err(e) = ctx.charge(b) {
                    ctx.release(bytes);
                    return Err(at(e));
                }
                bytes += b;
                all.push(t);
            }
            let r = op(all, ctx).map_err(|e| at(format!("{name}: {e}")));
            ctx.release(bytes);
            r?
        }
    };
    let b = tables_bytes(&out);
    if b > ctx.memory_limit.saturating_sub(ctx.used) {
        return Err(at(format!(
            "query exceeded memory limit of {} bytes",
            ctx.memory_limit
        )));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Table helpers shared by the transformations.

/// A group key: `(label, value)` of each key column.
pub type GroupKey = Vec<(String, Option<Cell>)>;

/// The group key of a table: `(label, value)` of each key column, in column order.
pub fn group_key(t: &TableChunk) -> Vec<(String, Option<Cell>)> {
    t.meta
        .columns
        .iter()
        .zip(&t.meta.key_values)
        .filter(|(c, _)| c.group)
        .map(|(c, v)| (c.label.clone(), v.clone()))
        .collect()
}

/// Key values as a comparable string-ish key (for grouping lookups).
pub fn key_string(key: &[(String, Option<Cell>)]) -> String {
    let mut s = String::new();
    let mut sorted: Vec<&(String, Option<Cell>)> = key.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in sorted {
        s.push_str(k);
        s.push('\u{1}');
        s.push_str(&format!("{v:?}"));
        s.push('\u{2}');
    }
    s
}

/// Builds whole tables row by row from dynamically typed cells, merging rows with equal group
/// keys into one table (first-appearance order of keys and of columns).
#[derive(Debug, Default)]
pub struct Builder {
    tables: Vec<BTable>,
    index: HashMap<String, usize>,
}

#[derive(Debug)]
struct BTable {
    /// Columns: label, type (None until a non-null value is seen), group flag.
    cols: Vec<(String, Option<ColumnType>, bool)>,
    key: Vec<(String, Option<Cell>)>,
    /// Rows as cells per column (columns may be added later: shorter rows are null-padded).
    data: Vec<Vec<Option<Cell>>>,
    rows: usize,
}

impl Builder {
    /// A new builder.
    pub fn new() -> Self {
        Builder::default()
    }

    /// The table for a group key (created with the key's columns if new); returns its index.
    pub fn table(&mut self, key: &[(String, Option<Cell>)]) -> usize {
        let ks = key_string(key);
        if let Some(&i) = self.index.get(&ks) {
            return i;
        }
        let i = self.tables.len();
        self.tables.push(BTable {
            cols: Vec::new(),
            key: key.to_vec(),
            data: Vec::new(),
            rows: 0,
        });
        self.index.insert(ks, i);
        i
    }

    /// Declares a column of table `t` (label, type if known); returns its index.
    pub fn column(
        &mut self,
        t: usize,
        label: &str,
        ty: Option<ColumnType>,
    ) -> Result<usize, String> {
        let Some(tb) = self.tables.get_mut(t) else {
            return Err("internal: no such table".to_string());
        };
        if let Some(i) = tb.cols.iter().position(|(l, _, _)| l == label) {
            if let (Some(new), Some((_, slot, _))) = (ty, tb.cols.get_mut(i)) {
                match slot {
                    None => *slot = Some(new),
                    Some(old) if *old != new => {
                        return Err(format!(
                            "column {label:?} has conflicting types {} and {}",
                            old.datatype_name(),
                            new.datatype_name()
                        ))
                    }
                    Some(_) => {}
                }
            }
            return Ok(i);
        }
        let group = tb.key.iter().any(|(k, _)| k == label);
        tb.cols.push((label.to_string(), ty, group));
        tb.data.push(vec![None; tb.rows]);
        Ok(tb.cols.len() - 1)
    }

    /// Appends a row to table `t`: `(column index, cell)` pairs; unset columns are null.
    pub fn push_row(&mut self, t: usize, cells: Vec<(usize, Option<Cell>)>) -> Result<(), String> {
        let Some(tb) = self.tables.get_mut(t) else {
            return Err("internal: no such table".to_string());
        };
        for col in &mut tb.data {
            col.push(None);
        }
        let row = tb.rows;
        tb.rows += 1;
        for (c, v) in cells {
            if let Some(v) = &v {
                let ty = v.column_type();
                if let Some((label, slot, _)) = tb.cols.get_mut(c) {
                    match slot {
                        None => *slot = Some(ty),
                        Some(old) if *old != ty => {
                            return Err(format!(
                                "column {label:?} has conflicting types {} and {}",
                                old.datatype_name(),
                                ty.datatype_name()
                            ))
                        }
                        Some(_) => {}
                    }
                }
            }
            if let Some(cell) = tb.data.get_mut(c).and_then(|col| col.get_mut(row)) {
                *cell = v;
            }
        }
        Ok(())
    }

    /// Finishes: columns whose type never became known are dropped (all-null columns of unknown
    /// type, e.g. `map` returning a missing `r.x`) unless they are key columns (then string).
    pub fn finish(self) -> Vec<TableChunk> {
        self.finish_inner(false)
    }

    /// [`finish`](Self::finish), with tables ordered by group key as Flux's group lookup
    /// orders them (fewer key columns first, then per key column: label, type, value with
    /// nulls first).
    pub fn finish_sorted(self) -> Vec<TableChunk> {
        self.finish_inner(true)
    }

    fn finish_inner(mut self, sorted: bool) -> Vec<TableChunk> {
        if sorted {
            self.tables.sort_by(|a, b| key_cmp(&a.key, &b.key));
        }
        self.tables
            .into_iter()
            .map(|tb| {
                let mut metas = Vec::new();
                let mut keys = Vec::new();
                let mut cols = Vec::new();
                for ((label, ty, group), data) in tb.cols.into_iter().zip(tb.data) {
                    let ty = match ty {
                        Some(t) => t,
                        None if group => ColumnType::String,
                        None => continue,
                    };
                    let kv = if group {
                        tb.key
                            .iter()
                            .find(|(k, _)| *k == label)
                            .and_then(|(_, v)| v.clone())
                    } else {
                        None
                    };
                    cols.push(column_from_cells(ty, data));
                    metas.push(ColumnMeta::new(label, ty, group));
                    keys.push(kv);
                }
                TableChunk {
                    meta: Arc::new(TableMeta::new(metas, keys)),
                    columns: cols,
                }
            })
            .collect()
    }
}

/// Flux's group-key order: fewer columns first, then per column label, type, value (nulls
/// first).
pub fn key_cmp(a: &[(String, Option<Cell>)], b: &[(String, Option<Cell>)]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if a.len() != b.len() {
        return a.len().cmp(&b.len());
    }
    for ((la, va), (lb, vb)) in a.iter().zip(b) {
        let o = la.cmp(lb);
        if o != Ordering::Equal {
            return o;
        }
        let (ta, tb) = (
            va.as_ref().map(|v| v.column_type() as u8),
            vb.as_ref().map(|v| v.column_type() as u8),
        );
        if let (Some(x), Some(y)) = (ta, tb) {
            if x != y {
                return x.cmp(&y);
            }
        }
        let o = super::transforms::cmp_cells(va.as_ref(), vb.as_ref());
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// A column of the given type from cells (cells of another type become null; callers check
/// types first).
pub fn column_from_cells(ty: ColumnType, cells: Vec<Option<Cell>>) -> ColumnData {
    match ty {
        ColumnType::String => ColumnData::String(
            cells
                .into_iter()
                .map(|c| match c {
                    Some(Cell::String(s)) => Some(s),
                    _ => None,
                })
                .collect(),
        ),
        ColumnType::Long => ColumnData::Long(
            cells
                .into_iter()
                .map(|c| match c {
                    Some(Cell::Long(v)) => Some(v),
                    _ => None,
                })
                .collect(),
        ),
        ColumnType::UnsignedLong => ColumnData::UnsignedLong(
            cells
                .into_iter()
                .map(|c| match c {
                    Some(Cell::UnsignedLong(v)) => Some(v),
                    _ => None,
                })
                .collect(),
        ),
        ColumnType::Double => ColumnData::Double(
            cells
                .into_iter()
                .map(|c| match c {
                    Some(Cell::Double(v)) => Some(v),
                    _ => None,
                })
                .collect(),
        ),
        ColumnType::Boolean => ColumnData::Boolean(
            cells
                .into_iter()
                .map(|c| match c {
                    Some(Cell::Boolean(v)) => Some(v),
                    _ => None,
                })
                .collect(),
        ),
        ColumnType::DateTime => ColumnData::DateTime(
            cells
                .into_iter()
                .map(|c| match c {
                    Some(Cell::DateTime(v)) => Some(v),
                    _ => None,
                })
                .collect(),
        ),
    }
}

/// Selects rows `idx` of a column.
pub fn take_rows(c: &ColumnData, idx: &[usize]) -> ColumnData {
    fn pick<T: Clone>(v: &[Option<T>], idx: &[usize]) -> Vec<Option<T>> {
        idx.iter().map(|&i| v.get(i).cloned().flatten()).collect()
    }
    match c {
        ColumnData::String(v) => ColumnData::String(pick(v, idx)),
        ColumnData::Long(v) => ColumnData::Long(pick(v, idx)),
        ColumnData::UnsignedLong(v) => ColumnData::UnsignedLong(pick(v, idx)),
        ColumnData::Double(v) => ColumnData::Double(pick(v, idx)),
        ColumnData::Boolean(v) => ColumnData::Boolean(pick(v, idx)),
        ColumnData::DateTime(v) => ColumnData::DateTime(pick(v, idx)),
    }
}

/// A table with only the rows `idx` (in that order).
pub fn select_rows(t: &TableChunk, idx: &[usize]) -> TableChunk {
    TableChunk {
        meta: t.meta.clone(),
        columns: t.columns.iter().map(|c| take_rows(c, idx)).collect(),
    }
}

/// A column of `rows` copies of a cell.
pub fn constant_column(ty: ColumnType, v: Option<&Cell>, rows: usize) -> ColumnData {
    column_from_cells(ty, vec![v.cloned(); rows])
}

/// Appends the rows of `src` to `dst` (same schema: the chunks of one table, e.g. what the
/// shard read path streams). Errors if the schemas differ.
pub fn append_chunk(dst: &mut TableChunk, src: TableChunk) -> Result<(), String> {
    if !dst.meta.same_columns(&src.meta) {
        return Err("cannot append a chunk with a different schema".to_string());
    }
    for (d, s) in dst.columns.iter_mut().zip(src.columns) {
        match (d, s) {
            (ColumnData::String(a), ColumnData::String(b)) => a.extend(b),
            (ColumnData::Long(a), ColumnData::Long(b)) => a.extend(b),
            (ColumnData::UnsignedLong(a), ColumnData::UnsignedLong(b)) => a.extend(b),
            (ColumnData::Double(a), ColumnData::Double(b)) => a.extend(b),
            (ColumnData::Boolean(a), ColumnData::Boolean(b)) => a.extend(b),
            (ColumnData::DateTime(a), ColumnData::DateTime(b)) => a.extend(b),
            _ => return Err("column types differ".to_string()),
        }
    }
    Ok(())
}

/// The storage reads a set of plans needs, deduplicated, in first-use order: what an async
/// caller (the HTTP layer) fetches from the shards before executing synchronously over a
/// [`MemorySource`]. Reads without a `range` are skipped (executing them is an error).
pub fn read_requests<'n>(
    roots: impl IntoIterator<Item = &'n Arc<Node>>,
) -> Vec<(BucketRef, ReadPlan)> {
    fn walk(n: &Node, out: &mut Vec<(BucketRef, ReadPlan)>, depth: usize) {
        if depth > MAX_NODE_DEPTH {
            return;
        }
        match &n.kind {
            NodeKind::Read {
                bucket,
                bounds: Some(_),
                plan,
            } => {
                if !out.iter().any(|(b, p)| b == bucket && p == plan) {
                    out.push((bucket.clone(), plan.clone()));
                }
            }
            NodeKind::Read { .. } | NodeKind::Literal(_) => {}
            NodeKind::Yield { input, .. } => walk(input, out, depth + 1),
            NodeKind::Op { inputs, .. } | NodeKind::Multi { inputs, .. } => {
                // Single-input chains are walked iteratively so long pipelines cost no depth.
                let mut cur = inputs;
                loop {
                    match cur.as_slice() {
                        [one] => match &one.kind {
                            NodeKind::Op { inputs, .. } => cur = inputs,
                            _ => {
                                walk(one, out, depth + 1);
                                break;
                            }
                        },
                        many => {
                            for i in many {
                                walk(i, out, depth + 1);
                            }
                            break;
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for r in roots {
        walk(r, &mut out, 0);
    }
    out
}

/// A [`TableSource`] over pre-fetched reads (see [`read_requests`]).
#[derive(Debug, Default)]
pub struct MemorySource {
    reads: Vec<((BucketRef, ReadPlan), Vec<TableChunk>)>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> Self {
        MemorySource::default()
    }

    /// Adds the result of one read.
    pub fn insert(&mut self, bucket: BucketRef, plan: ReadPlan, tables: Vec<TableChunk>) {
        self.reads.push(((bucket, plan), tables));
    }
}

impl TableSource for MemorySource {
    fn read(&self, bucket: &BucketRef, plan: &ReadPlan) -> Result<Vec<TableChunk>, String> {
        self.reads
            .iter()
            .find(|((b, p), _)| b == bucket && p == plan)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| "internal: read was not prefetched".to_string())
    }
}

/// The time bounds of a stream at plan time, as Flux propagates them from the nearest
/// upstream `range` through single-input operations: what `window()` clips windows to and what
/// `window(every: inf)` uses as its one window. `None` without a `range` (or across a
/// multi-input operation).
pub fn stream_bounds(node: &Node) -> Option<(i64, i64)> {
    let mut cur = node;
    for _ in 0..=MAX_PIPE_WALK {
        match &cur.kind {
            NodeKind::Read { bounds, .. } => return *bounds,
            NodeKind::Op {
                bounds: Some(b), ..
            } => return Some(*b),
            NodeKind::Op { inputs, .. } => match inputs.as_slice() {
                [one] => cur = one,
                _ => return None,
            },
            NodeKind::Yield { input, .. } => cur = input,
            NodeKind::Literal(_) | NodeKind::Multi { .. } => return None,
        }
    }
    None
}

/// Longest chain [`stream_bounds`] walks.
const MAX_PIPE_WALK: usize = 4096;

/// Pushes an aggregate into a ranged storage read: `Read |> aggregateWindow(...)` (or a plain
/// `count()`, `first()` …) becomes one `Read` whose plan carries `agg`, so the shards send one
/// value per (series, field, window) instead of points. `None` when `input` is not a ranged
/// read without an aggregate yet (the caller then applies the operation to the tables).
///
/// Only aggregates the shards compute exactly as Flux would may be pushed: the caller checks
/// the function (count/sum/mean/min/max/first/last on `_value`), fixed-length windows
/// (no calendar months, `period == every`), the default time columns and `timeDst`.
pub fn push_aggregate(
    input: &Arc<Node>,
    agg: crate::query::pushdown::Aggregation,
) -> Option<Arc<Node>> {
    let NodeKind::Read {
        bucket,
        bounds: Some(bounds),
        plan,
    } = &input.kind
    else {
        return None;
    };
    if plan.agg.is_some() || agg.every.is_some_and(|e| e <= 0) {
        return None;
    }
    let mut plan = plan.clone();
    plan.agg = Some(agg);
    Some(Arc::new(Node {
        kind: NodeKind::Read {
            bucket: bucket.clone(),
            bounds: Some(*bounds),
            plan,
        },
        span: input.span,
    }))
}
