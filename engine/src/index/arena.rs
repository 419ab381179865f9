//! Byte storage for the series index: a chunked, append-only [`Arena`] and an [`Interner`] on
//! top of it.
//!
//! Invariants:
//! - Bytes once stored never move: chunks are allocated with their final capacity and never
//!   grow past it, so a [`Loc`] stays valid for the life of the arena (there is no removal; a
//!   dropped bucket frees its whole arena at once).
//! - Every entry is stored as a LEB128 length followed by the bytes, inside one chunk.
//! - Chunks start small (so a bucket with a handful of series costs little) and double up to
//!   [`MAX_CHUNK`]; the unused tail of the current chunk is the only slack. An entry larger than
//!   the chunk size gets a chunk of its own.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::hash::FastState;

/// Location of an entry: `chunk << OFFSET_BITS | offset`.
pub(crate) type Loc = u64;

const OFFSET_BITS: u32 = 20;
/// Largest regular chunk (an oversized entry gets its own chunk, at offset 0).
pub(crate) const MAX_CHUNK: usize = 1 << OFFSET_BITS;
const FIRST_CHUNK: usize = 1024;
/// Bits a [`Loc`] needs at most: chunk numbers stay below 2^24 (16 TiB of entries).
pub(crate) const LOC_BITS: u32 = 44;

/// Append-only byte arena of length-prefixed entries.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    chunks: Vec<Vec<u8>>,
}

fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

impl Arena {
    /// Stores `bytes` and returns where.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Loc {
        let need = varint_len(bytes.len()) + bytes.len();
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= need);
        if !fits {
            let next = match self.chunks.last() {
                Some(c) => (c.capacity() * 2).min(MAX_CHUNK),
                None => FIRST_CHUNK,
            };
            self.chunks.push(Vec::with_capacity(next.max(need)));
        }
        let chunk_no = self.chunks.len() - 1;
        let mut loc = 0;
        if let Some(c) = self.chunks.last_mut() {
            loc = ((chunk_no as u64) << OFFSET_BITS) | c.len() as u64;
            let mut n = bytes.len();
            while n >= 0x80 {
                c.push((n as u8) | 0x80);
                n >>= 7;
            }
            c.push(n as u8);
            c.extend_from_slice(bytes);
        }
        loc
    }

    /// The entry at `loc` (empty for a location this arena never returned).
    pub(crate) fn get(&self, loc: Loc) -> &[u8] {
        let chunk = (loc >> OFFSET_BITS) as usize;
        let mut at = (loc & ((1 << OFFSET_BITS) - 1)) as usize;
        let Some(c) = self.chunks.get(chunk) else {
            return &[];
        };
        let mut n = 0usize;
        let mut shift = 0;
        while let Some(&b) = c.get(at) {
            n |= usize::from(b & 0x7f) << shift;
            shift += 7;
            at += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        c.get(at..at + n).unwrap_or(&[])
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Vec<u8>>()
            + self.chunks.iter().map(Vec::capacity).sum::<usize>()
    }
}

/// Interned-string id within one [`Interner`].
pub(crate) type Sym = u32;

/// Deduplicating string store: each distinct byte string is stored once.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    locs: Vec<Loc>,
    table: HashTable<Sym>,
}

impl Interner {
    /// The symbol of `s`, storing it in `arena` if new.
    pub(crate) fn intern(&mut self, arena: &mut Arena, hasher: &FastState, s: &[u8]) -> Sym {
        let h = hasher.hash_one(s);
        let locs = &self.locs;
        if let Some(&sym) = self.table.find(h, |&y| {
            locs.get(y as usize).is_some_and(|&l| arena.get(l) == s)
        }) {
            return sym;
        }
        let sym = self.locs.len() as Sym;
        push_lean(&mut self.locs, arena.push(s));
        let locs = &self.locs;
        let arena = &*arena;
        self.table.insert_unique(h, sym, |&y| {
            hasher.hash_one(locs.get(y as usize).map_or(&[][..], |&l| arena.get(l)))
        });
        sym
    }

    /// The symbol of `s` if it was interned.
    pub(crate) fn lookup(&self, arena: &Arena, hasher: &FastState, s: &[u8]) -> Option<Sym> {
        let h = hasher.hash_one(s);
        self.table
            .find(h, |&y| {
                self.locs
                    .get(y as usize)
                    .is_some_and(|&l| arena.get(l) == s)
            })
            .copied()
    }

    /// The bytes of `sym`.
    pub(crate) fn resolve<'a>(&self, arena: &'a Arena, sym: Sym) -> &'a [u8] {
        self.locs
            .get(sym as usize)
            .map_or(&[][..], |&l| arena.get(l))
    }

    /// Heap bytes held (not counting the arena).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.locs.capacity() * 8 + table_bytes(&self.table)
    }
}

/// Approximate heap bytes of a `HashTable<T>` (buckets + control bytes).
pub(crate) fn table_bytes<T>(t: &HashTable<T>) -> usize {
    if t.capacity() == 0 {
        return 0;
    }
    // hashbrown keeps capacity = buckets * 7/8 (or buckets - 1 for tiny tables).
    let buckets = if t.capacity() < 8 {
        (t.capacity() + 1).next_power_of_two()
    } else {
        (t.capacity() * 8 / 7).next_power_of_two()
    };
    buckets * (std::mem::size_of::<T>() + 1) + 16
}

/// `Vec::push` with gentler growth for large vectors: +1/8 instead of doubling once past 4096
/// elements, so the slack of the index's big per-series vectors stays ≤ 12.5 % (a large
/// `realloc` is an `mremap`, not a copy). Amortised O(1) still (geometric growth).
pub(crate) fn push_lean<T>(v: &mut Vec<T>, x: T) {
    if v.len() == v.capacity() && v.len() >= 4096 {
        v.reserve_exact(v.len() / 8);
    }
    v.push(x);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arena_round_trips_small_and_huge_entries() {
        let mut a = Arena::default();
        let mut locs = Vec::new();
        for i in 0..20_000usize {
            let s = vec![(i % 251) as u8; i % 300];
            locs.push((a.push(&s), s));
        }
        let huge = vec![7u8; MAX_CHUNK + 10];
        let lh = a.push(&huge);
        let after = a.push(b"x");
        for (l, s) in &locs {
            assert_eq!(a.get(*l), &s[..]);
        }
        assert_eq!(a.get(lh), &huge[..]);
        assert_eq!(a.get(after), b"x");
        assert_eq!(a.get(u64::MAX >> 1), b"");
    }

    #[test]
    fn interner_dedups() {
        let mut a = Arena::default();
        let mut i = Interner::default();
        let h = FastState::default();
        let x = i.intern(&mut a, &h, b"host_1");
        let y = i.intern(&mut a, &h, b"host_2");
        assert_eq!(i.intern(&mut a, &h, b"host_1"), x);
        assert_ne!(x, y);
        assert_eq!(i.resolve(&a, y), b"host_2");
        assert_eq!(i.lookup(&a, &h, b"host_2"), Some(y));
        assert_eq!(i.lookup(&a, &h, b"host_3"), None);
    }
}
