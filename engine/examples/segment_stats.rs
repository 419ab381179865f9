//! Where the bytes of segment files go: `cargo run --release -p ringflux-engine --example
//! segment_stats -- FILE.seg...`. Prints, over all given files, the bytes of headers and
//! footers, of the index (and the logical length of the keys it holds), of timestamp blocks
//! (tag `none`: evenly spaced, not stored) and of value blocks by codec tag, and the bytes per
//! value of each part.

use std::collections::BTreeMap;

use ringflux_engine::storage::segment_file::{SegmentIndex, FOOTER_LEN, HEADER_LEN};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = 0u64;
    let mut total = 0u64;
    let mut index = 0u64;
    let mut key_bytes = 0u64;
    let mut columns = 0u64;
    let mut blocks = 0u64;
    let mut points = 0u64;
    let mut ts_bytes = 0u64;
    // tag -> (blocks, bytes)
    let mut ts_tags: BTreeMap<Option<u8>, (u64, u64)> = BTreeMap::new();
    let mut value_tags: BTreeMap<u8, (u64, u64)> = BTreeMap::new();
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        let idx = SegmentIndex::parse(&bytes)?;
        files += 1;
        total += bytes.len() as u64;
        index += u64::from(idx.footer().index_len);
        for c in idx.columns() {
            columns += 1;
            key_bytes += (c.series_key().len() + c.field().len()) as u64;
            for b in c.blocks() {
                blocks += 1;
                points += u64::from(b.count);
                let start = b.offset as usize;
                let ts_end = start + b.ts_len as usize;
                let end = start + b.len as usize;
                let v_tag = bytes.get(ts_end).copied().unwrap_or(0);
                ts_bytes += u64::from(b.ts_len);
                // A block without a timestamps block (evenly spaced times) counts as "none".
                let ts_key = if b.ts_len == 0 {
                    None
                } else {
                    bytes.get(start).copied()
                };
                let e = ts_tags.entry(ts_key).or_default();
                e.0 += 1;
                e.1 += u64::from(b.ts_len);
                let e = value_tags.entry(v_tag).or_default();
                e.0 += 1;
                e.1 += (end - ts_end) as u64;
            }
        }
    }
    let per = |b: u64| b as f64 / points.max(1) as f64;
    println!("files {files}, columns {columns}, blocks {blocks}, points {points}");
    println!("total            {total:>10}  {:.4} B/point", per(total));
    let frame = files * (HEADER_LEN + FOOTER_LEN) as u64;
    println!("header+footer    {frame:>10}  {:.4}", per(frame));
    println!("index            {index:>10}  {:.4}", per(index));
    println!("  keys (logical) {key_bytes:>10}  {:.4}", per(key_bytes));
    println!("timestamps       {ts_bytes:>10}  {:.4}", per(ts_bytes));
    for (tag, (n, b)) in &ts_tags {
        let tag = tag.map_or("none".to_string(), |t| format!("{t:#04x}"));
        println!("  tag {tag:>4} {n:>7} blocks {b:>10}  {:.4}", per(*b));
    }
    let vb: u64 = value_tags.values().map(|v| v.1).sum();
    println!("values           {vb:>10}  {:.4}", per(vb));
    for (tag, (n, b)) in &value_tags {
        println!("  tag {tag:#04x} {n:>7} blocks {b:>10}  {:.4}", per(*b));
    }
    Ok(())
}
