//! Series index at scale (own test binary: it installs a counting global allocator).
//!
//! - memory: 1,000,000 TSBS-like series (163-byte keys, 10 tags) and 1,000,000 ~85-byte keys;
//!   prints bytes of live heap per series (keys, hash tables and postings included);
//! - load time: persists 1,000,000 series to `series.idx` and times `persist::open`.
//!
//! Run with output: `cargo test --release -p ringflux-engine --test index_scale -- --nocapture`
//! (1,000,000 series; a debug build defaults to 100,000; `RINGFLUX_INDEX_SERIES` overrides).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use ringflux_engine::index::{persist, SeriesIndex};
use ringflux_engine::model::BucketId;

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(n: isize) {
    let _ = LIVE.try_with(|l| l.set(l.get() + n));
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

// SAFETY: delegates to the system allocator; only counts bytes (per thread).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count() -> u32 {
    std::env::var("RINGFLUX_INDEX_SERIES")
        .ok()
        .and_then(|s| s.parse().ok())
        // Unoptimised builds are ~100x slower per series; keep the default test run short.
        .unwrap_or(if cfg!(debug_assertions) {
            100_000
        } else {
            1_000_000
        })
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const REGIONS: &[(&str, &[&str])] = &[
    (
        "us-east-1",
        &["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"],
    ),
    ("us-west-1", &["us-west-1a", "us-west-1b"]),
    ("us-west-2", &["us-west-2a", "us-west-2b", "us-west-2c"]),
    ("eu-west-1", &["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("eu-central-1", &["eu-central-1a", "eu-central-1b"]),
    ("ap-southeast-1", &["ap-southeast-1a", "ap-southeast-1b"]),
    ("ap-southeast-2", &["ap-southeast-2a", "ap-southeast-2b"]),
    ("ap-northeast-1", &["ap-northeast-1a", "ap-northeast-1c"]),
    ("sa-east-1", &["sa-east-1a", "sa-east-1b", "sa-east-1c"]),
];

/// A TSBS devops `cpu` series key for host `i` (canonical: tags sorted), e.g.
/// `cpu,arch=x64,datacenter=us-east-1a,hostname=host_123456,os=Ubuntu16.10,rack=67,
/// region=us-east-1,service=18,service_environment=production,service_version=0,team=SF`.
fn tsbs_key(i: u32, out: &mut Vec<u8>) {
    use std::io::Write;
    let r = mix(u64::from(i));
    let (region, dcs) = REGIONS[(r % 9) as usize];
    let dc = dcs[((r >> 8) as usize) % dcs.len()];
    let arch = ["x64", "x86"][((r >> 16) % 2) as usize];
    let os = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"][((r >> 18) % 3) as usize];
    let env = ["production", "staging", "test"][((r >> 22) % 3) as usize];
    let team = ["SF", "NYC", "LON", "CHI"][((r >> 26) % 4) as usize];
    out.clear();
    let _ = write!(
        out,
        "cpu,arch={arch},datacenter={dc},hostname=host_{i},os={os},rack={},region={region},service={},service_environment={env},service_version={},team={team}",
        (r >> 30) % 100,
        (r >> 40) % 20,
        (r >> 50) % 2,
    );
}

/// A shorter (~85-byte) key for host `i`: 5 tags.
fn short_key(i: u32, out: &mut Vec<u8>) {
    use std::io::Write;
    let r = mix(u64::from(i));
    let (region, dcs) = REGIONS[(r % 9) as usize];
    let dc = dcs[((r >> 8) as usize) % dcs.len()];
    out.clear();
    let _ = write!(
        out,
        "cpu,datacenter={dc},hostname=host_{i},os=Ubuntu16.10,rack={},region={region}",
        (r >> 30) % 100
    );
}

fn measure(name: &str, n: u32, gen: fn(u32, &mut Vec<u8>)) -> f64 {
    let mut key = Vec::with_capacity(256);
    let mut key_bytes = 0usize;
    let before = live();
    let mut ix = SeriesIndex::new();
    let t = Instant::now();
    for i in 0..n {
        gen(i, &mut key);
        key_bytes += key.len();
        let (id, new) = ix.resolve_or_insert(BucketId(1), &key);
        assert!(new && id == i);
    }
    let took = t.elapsed();
    let bytes = (live() - before) as f64;
    let per = bytes / f64::from(n);
    let avg_key = key_bytes as f64 / f64::from(n);
    println!(
        "{name}: {n} series, avg key {avg_key:.1} B: {per:.1} B/series of live heap \
         ({:.1} B/series beyond the key bytes; heap_bytes() estimate {:.1} B/series); insert {:.0} ns/series",
        per - avg_key,
        ix.heap_bytes() as f64 / f64::from(n),
        took.as_nanos() as f64 / f64::from(n),
    );
    // Lookups of existing keys still work.
    gen(n / 2, &mut key);
    assert_eq!(ix.get(BucketId(1), &key), Some(n / 2));
    assert_eq!(
        ix.series_with_measurement(BucketId(1), b"cpu").len(),
        n as usize
    );
    per - avg_key
}

#[test]
fn memory_per_series() {
    let n = count();
    let tsbs_overhead = measure("tsbs keys", n, tsbs_key);
    let short_overhead = measure("short keys", n, short_key);
    // Generous bounds on the overhead beyond the key bytes themselves.
    assert!(tsbs_overhead < 200.0, "{tsbs_overhead}");
    assert!(short_overhead < 150.0, "{short_overhead}");
}

#[test]
fn load_time() {
    let n = count();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().to_path_buf();
    let handle = glommio::LocalExecutorBuilder::default()
        .spawn(move || async move {
            let (mut log, mut ix) = persist::open(&path, 0)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let mut key = Vec::with_capacity(256);
            for i in 0..n {
                tsbs_key(i, &mut key);
                ix.resolve_or_insert(BucketId(1), &key);
            }
            let t = Instant::now();
            log.persist(&ix).await.unwrap_or_else(|e| panic!("{e}"));
            let persist_took = t.elapsed();
            let size = std::fs::metadata(log.path()).map(|m| m.len()).unwrap_or(0);
            log.close().await;
            drop(ix);
            let t = Instant::now();
            let (log, ix) = persist::open(&path, 0)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let load_took = t.elapsed();
            assert_eq!(ix.len(), n as usize);
            tsbs_key(n - 1, &mut key);
            assert_eq!(ix.get(BucketId(1), &key), Some(n - 1));
            log.close().await;
            println!(
                "series.idx: {n} series, {:.1} MiB; persist {persist_took:?}; load {load_took:?} ({:.0} ns/series)",
                size as f64 / (1 << 20) as f64,
                load_took.as_nanos() as f64 / f64::from(n)
            );
            load_took
        })
        .unwrap_or_else(|e| panic!("executor: {e}"));
    let took = handle.join().unwrap_or_else(|e| panic!("join: {e:?}"));
    // Generous: debug builds are ~10x slower than release.
    assert!(took.as_secs() < 60, "{took:?}");
}
