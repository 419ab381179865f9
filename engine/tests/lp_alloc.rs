//! The second `scan` + full iteration of the same body allocates nothing (zero-copy,
//! reusable buffers). Uses a counting global allocator, so it lives in its own test binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use ringflux_engine::line_protocol::{self, FieldValueRef, Precision};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
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
    COUNTING.store(true, Ordering::SeqCst);
    let second = pass(
        &body,
        &mut lines,
        &mut errors,
        &mut scratch,
        &mut key,
        &mut unesc,
    );
    COUNTING.store(false, Ordering::SeqCst);
    assert_eq!(first, second);
    assert_eq!(
        ALLOCS.load(Ordering::SeqCst),
        0,
        "allocations in the second pass"
    );
}
