//! Allocation tests with a counting global allocator (so they live in their own test binary):
//! - the second `scan` + full iteration of the same body allocates nothing (zero-copy,
//!   reusable buffers);
//! - the coordinator's `Ingest::partition` makes a fixed number of allocations per request,
//!   however many points the request holds (nothing per point).
//!
//! Counting is per thread, so the tests can run in parallel.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use ringflux_engine::ingest::Ingest;
use ringflux_engine::line_protocol::{self, FieldValueRef, Precision};
use ringflux_engine::model::BucketId;
use ringflux_engine::placement::ShardMap;
use ringflux_engine::schema::FieldTypes;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc() {
    let _ = COUNTING.try_with(|c| {
        if c.get() {
            let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
        }
    });
}

/// Runs `f` and returns how many allocations it made on this thread.
fn count_allocs<T>(f: impl FnOnce() -> T) -> (T, usize) {
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (out, ALLOCS.with(Cell::get))
}

// SAFETY: delegates to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn pass(
    body: &[u8],
    lines: &mut Vec<line_protocol::LineSpan>,
    errors: &mut Vec<line_protocol::ScanError>,
    scratch: &mut Vec<(line_protocol::Span, line_protocol::Span)>,
    key: &mut Vec<u8>,
    unescaped: &mut Vec<u8>,
) -> f64 {
    line_protocol::scan(body, Precision::Nanoseconds, lines, errors);
    let mut sum = 0.0;
    for line in lines.iter() {
        line_protocol::write_series_key(body, line, scratch, key);
        for (k, v) in line_protocol::tags(body, line) {
            sum += (k.len() + v.len()) as f64;
        }
        for (k, v) in line_protocol::fields(body, line) {
            sum += k.len() as f64;
            match v {
                FieldValueRef::Float(f) => sum += f,
                FieldValueRef::Integer(i) => sum += i as f64,
                FieldValueRef::UInteger(u) => sum += u as f64,
                FieldValueRef::Boolean(b) => sum += f64::from(u8::from(b)),
                FieldValueRef::String(s) => {
                    unescaped.clear();
                    line_protocol::unescape_into(
                        s,
                        line_protocol::EscapeKind::StringValue,
                        unescaped,
                    );
                    sum += unescaped.len() as f64;
                }
            }
        }
    }
    sum
}

#[test]
fn second_pass_allocates_nothing() {
    let mut body = Vec::new();
    for i in 0..200 {
        body.extend_from_slice(
            format!(
                "cpu,z=1,host=h{i},re\\ gion=eu\\,w usage=0.{i},n={i}i,u={i}u,ok=t,s=\"a\\\"b\\nc\" {}\n",
                1_700_000_000_000_000_000i64 + i
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(b"bad line\n# comment\n\n");
    let (mut lines, mut errors, mut scratch, mut key, mut unesc) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let first = pass(
        &body,
        &mut lines,
        &mut errors,
        &mut scratch,
        &mut key,
        &mut unesc,
    );
    assert_eq!(lines.len(), 200);
    assert_eq!(errors.len(), 1);
    let (second, allocs) = count_allocs(|| {
        pass(
            &body,
            &mut lines,
            &mut errors,
            &mut scratch,
            &mut key,
            &mut unesc,
        )
    });
    assert_eq!(first, second);
    assert_eq!(allocs, 0, "allocations in the second pass");
}

fn tsbs_body(lines: usize) -> Bytes {
    let mut b = Vec::new();
    for i in 0..lines {
        b.extend_from_slice(
            format!(
                "cpu,hostname=host_{},region=eu-west-1,rack={} usage_user={}.5,usage_system={}i,ok=true {}\n",
                i % 100,
                i % 7,
                i % 97,
                i % 13,
                1_700_000_000_000_000_000i64 + i as i64
            )
            .as_bytes(),
        );
    }
    Bytes::from(b)
}

#[test]
fn partition_allocations_do_not_grow_with_points() {
    let mut ing = Ingest::new(ShardMap::new(2), FieldTypes::new());
    let small = tsbs_body(200);
    let large = tsbs_body(20_000);
    // Warm up: first sightings of series and fields fill the per-core caches.
    for _ in 0..2 {
        ing.partition(
            BucketId(1),
            Precision::Nanoseconds,
            large.clone(),
            0,
            i64::MIN,
        )
        .unwrap();
    }
    let (p_small, a_small) = count_allocs(|| {
        ing.partition(
            BucketId(1),
            Precision::Nanoseconds,
            small.clone(),
            0,
            i64::MIN,
        )
        .unwrap()
    });
    let (p_large, a_large) = count_allocs(|| {
        ing.partition(
            BucketId(1),
            Precision::Nanoseconds,
            large.clone(),
            0,
            i64::MIN,
        )
        .unwrap()
    });
    assert_eq!(p_small.accepted, 200);
    assert_eq!(p_large.accepted, 20_000);
    assert_eq!(
        a_small, a_large,
        "allocations per request must not depend on the number of points"
    );
    println!("allocations per request: {a_small} (200 lines), {a_large} (20000 lines)");
    assert!(a_large <= 16, "{a_large} allocations for one request");
}
