//! Shard placement: which shard owns a series.
//!
//! `ShardMap::shard_for(bucket, series_key)` hashes the bucket id and the *canonical* series key
//! (measurement + tags sorted, as built by `line_protocol::write_series_key`) with 64-bit FNV-1a
//! and maps the hash to a shard with Lamping & Veach's jump consistent hash.
//!
//! # Correctness
//! The mapping depends on: the hash function and its seed, the canonical key form, and the
//! number of shards. Changing any of them moves series to other shards, so the shard count is
//! recorded in the engine path and start-up refuses a different count. A golden test pins the
//! mapping of fixed keys so an accidental change fails CI.

use crate::model::{BucketId, ShardId};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Maps series to shards. Pure and cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardMap {
    shards: u32,
}

impl ShardMap {
    /// A map over `shards` shards (`shards >= 1`; 0 is treated as 1).
    pub fn new(shards: usize) -> Self {
        ShardMap {
            shards: u32::try_from(shards.max(1)).unwrap_or(u32::MAX),
        }
    }

    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.shards as usize
    }

    /// The shard that owns `series_key` of `bucket`.
    #[inline]
    pub fn shard_for(&self, bucket: BucketId, series_key: &[u8]) -> ShardId {
        let mut h = FNV_OFFSET;
        for b in bucket.0.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        for &b in series_key {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        jump_hash(h, self.shards) as ShardId
    }
}

/// Jump consistent hash: maps `key` to `[0, buckets)`.
fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    u32::try_from(b).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_shard_owns_everything() {
        let m = ShardMap::new(1);
        assert_eq!(m.shard_for(BucketId(1), b"cpu,host=a"), 0);
    }

    #[test]
    fn placement_is_pinned() {
        // Golden values: if this test fails, the on-disk mapping changed. Do not update the
        // numbers without a data migration plan.
        let m = ShardMap::new(4);
        let mut counts = [0usize; 4];
        let mut digest: u64 = 0;
        for i in 0..1000u32 {
            let key = format!("cpu,host=host_{i},region=r{}", i % 7);
            let s = m.shard_for(BucketId(0x0123_4567_89ab_cdef), key.as_bytes());
            counts[s] += 1;
            digest = digest.wrapping_mul(31).wrapping_add(s as u64);
        }
        assert!(counts.iter().all(|c| *c > 200), "{counts:?}");
        assert_eq!(digest, GOLDEN_DIGEST, "shard placement changed");
    }

    const GOLDEN_DIGEST: u64 = 9_169_556_082_975_451_210;

    #[test]
    fn jump_hash_is_consistent_when_growing() {
        let mut moved = 0;
        for k in 0..10_000u64 {
            let a = jump_hash(k.wrapping_mul(0x9e37_79b9_7f4a_7c15), 8);
            let b = jump_hash(k.wrapping_mul(0x9e37_79b9_7f4a_7c15), 9);
            if a != b {
                assert_eq!(b, 8);
                moved += 1;
            }
        }
        assert!(moved > 800 && moved < 1500, "{moved}");
    }
}
