//! A fast hasher for the per-shard maps on the write path (series index, type cache).
//!
//! SipHash (std's default) showed up at ~4 % of the ingest profile. This is the word-at-a-time
//! multiply-rotate hash used by rustc (`FxHasher`), seeded once per process so table layouts
//! differ between runs. It is not DoS-resistant against an attacker who can choose series keys
//! *and* observe timing; writers are authenticated, and the worst case is a slower shard, not
//! wrong data.
//!
//! Invariant: hashes are never persisted or used for placement (placement has its own pinned
//! hash in `placement`).

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

const K: u64 = 0xf135_7aea_2e62_a9c5;

fn process_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(rand::random)
}

/// Builds [`FastHasher`]s with the process seed.
#[derive(Debug, Clone, Copy)]
pub struct FastState {
    seed: u64,
}

impl Default for FastState {
    fn default() -> Self {
        FastState {
            seed: process_seed(),
        }
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher { h: self.seed }
    }
}

/// Word-at-a-time multiply-rotate hasher.
#[derive(Debug, Clone, Copy)]
pub struct FastHasher {
    h: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.h = (self.h.rotate_left(5) ^ w).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut a = [0u8; 8];
            a[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(a) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so the low bits (hashbrown's bucket index) depend on every input bit.
        let mut x = self.h;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
}

/// A `HashMap` using [`FastState`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_works_and_spreads() {
        let mut m: FastMap<Vec<u8>, u32> = FastMap::default();
        for i in 0..10_000u32 {
            m.insert(format!("cpu,host=host_{i}").into_bytes(), i);
        }
        for i in 0..10_000u32 {
            assert_eq!(m.get(format!("cpu,host=host_{i}").as_bytes()), Some(&i));
        }
        let s = FastState::default();
        let a = s.hash_one(b"abc".as_slice());
        let b = s.hash_one(b"abd".as_slice());
        assert_ne!(a, b);
    }
}
