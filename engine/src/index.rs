//! Per-shard series index: (bucket, canonical series key) → [`SeriesId`], plus tag postings.
//!
//! Layout: everything about a bucket lives in one `BucketIndex` — an `arena::Arena` holding
//! each series key **once** (plus the interned measurement names, tag keys and tag values), a
//! `hashbrown::HashTable<SeriesId>` that hashes keys and compares them against the arena, the
//! bucket's series ids, and the postings. The shard-wide part is one packed `u64` per series id
//! (bucket slot · arena location), so `entry(id)` is two array lookups.
//!
//! Postings, per bucket: measurement → sorted ids, and measurement → tag key → tag value →
//! sorted ids (measurement-scoped like InfluxDB's TSI; a bucket-wide `(key, value)` lookup
//! unions the few measurements that have the pair). Names and values are interned per bucket,
//! so a posting costs a 4-byte symbol, never a string copy. A posting list of one series is the
//! id itself (no allocation); longer lists live in the bucket's `many` vector.
//!
//! Invariants:
//! - Owned by one shard and used from its executor only, so it needs no locks or atomics.
//! - Series ids are dense (`0..len`), assigned in increasing order and never reused, even after
//!   [`SeriesIndex::drop_bucket`]; storage can index a `Vec` by them. Because ids only grow,
//!   appending to a posting list keeps it sorted.
//! - A dropped bucket's keys, strings and postings are freed; its ids keep one dead `u64` slot
//!   each (`entry` returns `None` for them).
//! - A lookup of an existing series allocates nothing.
//! - Keys are canonical (escaped measurement + sorted `,k=v` tags, as written by
//!   `line_protocol::write_series_key`); the strings the postings return are unescaped.

mod arena;
pub mod persist;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::hash::{FastMap, FastState};
use crate::line_protocol as lp;
use crate::model::BucketId;
use arena::{push_lean, table_bytes, Arena, Interner, Loc, Sym, LOC_BITS};

/// Dense id of a series within one shard.
pub type SeriesId = u32;

/// A live series: its bucket and canonical key (borrowed from the index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesEntry<'a> {
    /// Bucket the series belongs to.
    pub bucket: BucketId,
    /// Canonical series key (measurement + sorted tags, escaped).
    pub key: &'a [u8],
}

/// Packed per-series slot value of a series whose bucket was dropped.
const DEAD: u64 = u64::MAX;
const LOC_MASK: u64 = (1 << LOC_BITS) - 1;
/// Bucket slots must stay below this (the packed slot's top bits; `DEAD` is all ones).
const MAX_SLOTS: u32 = (1 << (64 - LOC_BITS)) - 1;
/// Posting tag: the low 31 bits index `BucketIndex::many`; clear means "this single id".
const MANY: u32 = 1 << 31;

/// The series index of one shard.
#[derive(Debug, Default)]
pub struct SeriesIndex {
    hasher: FastState,
    /// Per series id: `slot << LOC_BITS | key loc`, or `DEAD`.
    series: Vec<u64>,
    slots: Vec<Option<BucketIndex>>,
    free_slots: Vec<u32>,
    slot_of: FastMap<BucketId, u32>,
    /// Every bucket drop so far: (bucket, first id assigned after the drop). The persistence log
    /// writes the ones it has not written yet.
    drops: Vec<(BucketId, SeriesId)>,
}

#[derive(Debug)]
struct BucketIndex {
    bucket: BucketId,
    arena: Arena,
    ids: Vec<SeriesId>,
    by_key: HashTable<SeriesId>,
    strings: Interner,
    measurements: Vec<Measurement>,
    meas_of: FastMap<Sym, u32>,
    many: Vec<Vec<SeriesId>>,
}

#[derive(Debug)]
struct Measurement {
    name: Sym,
    series: Vec<SeriesId>,
    keys: Vec<TagKey>,
    key_of: FastMap<Sym, u32>,
}

#[derive(Debug)]
struct TagKey {
    key: Sym,
    /// (value, posting) in first-seen order.
    values: Vec<(Sym, u32)>,
    /// Index into `values`, hashed by value symbol.
    by_value: HashTable<u32>,
}

impl BucketIndex {
    fn new(bucket: BucketId) -> Self {
        BucketIndex {
            bucket,
            arena: Arena::default(),
            ids: Vec::new(),
            by_key: HashTable::new(),
            strings: Interner::default(),
            measurements: Vec::new(),
            meas_of: FastMap::default(),
            many: Vec::new(),
        }
    }

    fn posting<'a>(&'a self, p: &'a u32) -> &'a [SeriesId] {
        if *p & MANY == 0 {
            std::slice::from_ref(p)
        } else {
            self.many
                .get((*p & !MANY) as usize)
                .map_or(&[][..], Vec::as_slice)
        }
    }

    fn measurement(&self, hasher: &FastState, m: &[u8]) -> Option<&Measurement> {
        let sym = self.strings.lookup(&self.arena, hasher, m)?;
        let i = *self.meas_of.get(&sym)?;
        self.measurements.get(i as usize)
    }

    fn tag_key<'s>(&self, hasher: &FastState, m: &'s Measurement, k: &[u8]) -> Option<&'s TagKey> {
        let sym = self.strings.lookup(&self.arena, hasher, k)?;
        let i = *m.key_of.get(&sym)?;
        m.keys.get(i as usize)
    }

    fn value_posting<'a>(
        &'a self,
        hasher: &FastState,
        tk: &'a TagKey,
        v: &[u8],
    ) -> Option<&'a [SeriesId]> {
        let sym = self.strings.lookup(&self.arena, hasher, v)?;
        let i = tk.by_value.find(hasher.hash_one(sym), |&i| {
            tk.values.get(i as usize).is_some_and(|e| e.0 == sym)
        })?;
        let (_, p) = tk.values.get(*i as usize)?;
        Some(self.posting(p))
    }

    /// Adds series `id` (key `key`) to the postings.
    fn index_postings(&mut self, hasher: &FastState, id: SeriesId, key: &[u8]) {
        let parts = lp::parse_series_key(key);
        let m = self
            .strings
            .intern(&mut self.arena, hasher, &parts.measurement());
        let mi = match self.meas_of.get(&m) {
            Some(&i) => i as usize,
            None => {
                let i = self.measurements.len();
                self.measurements.push(Measurement {
                    name: m,
                    series: Vec::new(),
                    keys: Vec::new(),
                    key_of: FastMap::default(),
                });
                self.meas_of.insert(m, i as u32);
                i
            }
        };
        let Some(meas) = self.measurements.get_mut(mi) else {
            return;
        };
        push_lean(&mut meas.series, id);
        for (k, v) in parts.tags() {
            let ks = self.strings.intern(&mut self.arena, hasher, &k);
            let vs = self.strings.intern(&mut self.arena, hasher, &v);
            let ki = match meas.key_of.get(&ks) {
                Some(&i) => i as usize,
                None => {
                    let i = meas.keys.len();
                    meas.keys.push(TagKey {
                        key: ks,
                        values: Vec::new(),
                        by_value: HashTable::new(),
                    });
                    meas.key_of.insert(ks, i as u32);
                    i
                }
            };
            let Some(tk) = meas.keys.get_mut(ki) else {
                continue;
            };
            let h = hasher.hash_one(vs);
            let values = &tk.values;
            let found = tk
                .by_value
                .find(h, |&i| values.get(i as usize).is_some_and(|e| e.0 == vs))
                .copied();
            match found.and_then(|i| tk.values.get_mut(i as usize)) {
                Some((_, p)) if *p & MANY == 0 => {
                    let list = vec![*p, id];
                    *p = MANY | self.many.len() as u32;
                    self.many.push(list);
                }
                Some((_, p)) => {
                    if let Some(list) = self.many.get_mut((*p & !MANY) as usize) {
                        push_lean(list, id);
                    }
                }
                None => {
                    let p = if id & MANY == 0 {
                        id
                    } else {
                        self.many.push(vec![id]);
                        MANY | (self.many.len() - 1) as u32
                    };
                    let i = tk.values.len() as u32;
                    push_lean(&mut tk.values, (vs, p));
                    let values = &tk.values;
                    tk.by_value.insert_unique(h, i, |&i| {
                        hasher.hash_one(values.get(i as usize).map_or(0, |e| e.0))
                    });
                }
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        let meas: usize = self
            .measurements
            .iter()
            .map(|m| {
                m.series.capacity() * 4
                    + m.key_of.capacity() * 9
                    + m.keys.capacity() * std::mem::size_of::<TagKey>()
                    + m.keys
                        .iter()
                        .map(|k| k.values.capacity() * 8 + table_bytes(&k.by_value))
                        .sum::<usize>()
            })
            .sum();
        self.arena.heap_bytes()
            + self.ids.capacity() * 4
            + table_bytes(&self.by_key)
            + self.strings.heap_bytes()
            + self.measurements.capacity() * std::mem::size_of::<Measurement>()
            + self.meas_of.capacity() * 9
            + meas
            + self.many.capacity() * 24
            + self.many.iter().map(|v| v.capacity() * 4).sum::<usize>()
    }
}

impl SeriesIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    fn bucket(&self, bucket: BucketId) -> Option<&BucketIndex> {
        let slot = *self.slot_of.get(&bucket)?;
        self.slots.get(slot as usize)?.as_ref()
    }

    fn find_in(&self, b: &BucketIndex, key: &[u8]) -> Option<SeriesId> {
        let series = &self.series;
        b.by_key
            .find(self.hasher.hash_one(key), |&id| {
                series
                    .get(id as usize)
                    .is_some_and(|&p| b.arena.get(p & LOC_MASK) == key)
            })
            .copied()
    }

    /// Returns the id of the series, creating it if new. The flag is true for a new series.
    pub fn resolve_or_insert(&mut self, bucket: BucketId, key: &[u8]) -> (SeriesId, bool) {
        if let Some(id) = self.get(bucket, key) {
            return (id, false);
        }
        let id = self.series.len() as SeriesId;
        self.insert_new(bucket, key, id);
        (id, true)
    }

    /// Defines series `id` while loading the persisted log: `id` must be above every id seen so
    /// far (ids skipped in between belonged to dropped buckets and stay dead), and the key must
    /// be new in its bucket.
    pub(crate) fn define(
        &mut self,
        id: SeriesId,
        bucket: BucketId,
        key: &[u8],
    ) -> Result<(), String> {
        if (id as usize) < self.series.len() {
            return Err(format!(
                "series id {id} defined out of order (next id is {})",
                self.series.len()
            ));
        }
        if let Some(old) = self.get(bucket, key) {
            return Err(format!(
                "series id {id} redefines the key of series {old} in bucket {}",
                bucket.0
            ));
        }
        self.reserve_ids(id);
        self.insert_new(bucket, key, id);
        Ok(())
    }

    /// Marks every id below `next` as assigned (dead if never defined).
    fn reserve_ids(&mut self, next: SeriesId) {
        if self.series.len() < next as usize {
            self.series.resize(next as usize, DEAD);
        }
    }

    fn slot_for(&mut self, bucket: BucketId) -> u32 {
        if let Some(&s) = self.slot_of.get(&bucket) {
            return s;
        }
        let s = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        // Unreachable: the catalog holds at most `catalog::MAX_BUCKETS` (100 k) buckets.
        assert!(
            s < MAX_SLOTS,
            "more than {MAX_SLOTS} live buckets in one shard"
        );
        if let Some(slot) = self.slots.get_mut(s as usize) {
            *slot = Some(BucketIndex::new(bucket));
        }
        self.slot_of.insert(bucket, s);
        s
    }

    /// Inserts a key known to be absent under id `id == self.series.len()`.
    fn insert_new(&mut self, bucket: BucketId, key: &[u8], id: SeriesId) {
        let slot = self.slot_for(bucket);
        let Some(Some(b)) = self.slots.get_mut(slot as usize) else {
            return;
        };
        let loc: Loc = b.arena.push(key);
        push_lean(&mut self.series, (u64::from(slot) << LOC_BITS) | loc);
        push_lean(&mut b.ids, id);
        let hasher = &self.hasher;
        let series = &self.series;
        let arena = &b.arena;
        b.by_key.insert_unique(hasher.hash_one(key), id, |&i| {
            let key = series
                .get(i as usize)
                .map_or(&[][..], |&p| arena.get(p & LOC_MASK));
            hasher.hash_one(key)
        });
        b.index_postings(hasher, id, key);
    }

    /// Looks a series up without creating it.
    pub fn get(&self, bucket: BucketId, key: &[u8]) -> Option<SeriesId> {
        let b = self.bucket(bucket)?;
        self.find_in(b, key)
    }

    /// The bucket and key of series `id`; `None` if unknown or its bucket was dropped.
    pub fn entry(&self, id: SeriesId) -> Option<SeriesEntry<'_>> {
        let packed = *self.series.get(id as usize)?;
        if packed == DEAD {
            return None;
        }
        let b = self.slots.get((packed >> LOC_BITS) as usize)?.as_ref()?;
        Some(SeriesEntry {
            bucket: b.bucket,
            key: b.arena.get(packed & LOC_MASK),
        })
    }

    /// Buckets that have series in this shard.
    pub fn buckets(&self) -> Vec<BucketId> {
        self.slot_of.keys().copied().collect()
    }

    /// Every series of `bucket`, ascending.
    pub fn bucket_series(&self, bucket: BucketId) -> &[SeriesId] {
        self.bucket(bucket).map_or(&[], |b| b.ids.as_slice())
    }

    /// Number of series ids assigned in the shard (dropped ones included: ids are not reused).
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// True if no series id was ever assigned.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Forgets every series of `bucket` and frees its keys and postings. Their ids stay
    /// assigned (never reused); `entry` returns `None` for them. Returns how many were dropped.
    pub fn drop_bucket(&mut self, bucket: BucketId) -> usize {
        let n = self.forget_bucket(bucket);
        if n > 0 {
            self.drops.push((bucket, self.series.len() as SeriesId));
        }
        n
    }

    /// Applies a persisted drop: ids below `next` are assigned, `bucket` is forgotten.
    pub(crate) fn apply_drop(&mut self, bucket: BucketId, next: SeriesId) {
        self.reserve_ids(next);
        self.forget_bucket(bucket);
    }

    fn forget_bucket(&mut self, bucket: BucketId) -> usize {
        let Some(slot) = self.slot_of.remove(&bucket) else {
            return 0;
        };
        let Some(b) = self.slots.get_mut(slot as usize).and_then(Option::take) else {
            return 0;
        };
        for &id in &b.ids {
            if let Some(p) = self.series.get_mut(id as usize) {
                *p = DEAD;
            }
        }
        self.free_slots.push(slot);
        b.ids.len()
    }

    /// Bucket drops so far, in order: (bucket, first id assigned after the drop).
    pub(crate) fn drops(&self) -> &[(BucketId, SeriesId)] {
        &self.drops
    }

    /// Measurement names (unescaped) of `bucket`, sorted.
    pub fn measurements(&self, bucket: BucketId) -> Vec<&[u8]> {
        let Some(b) = self.bucket(bucket) else {
            return Vec::new();
        };
        let mut out: Vec<&[u8]> = b
            .measurements
            .iter()
            .map(|m| b.strings.resolve(&b.arena, m.name))
            .collect();
        out.sort_unstable();
        out
    }

    /// Series of `bucket` with measurement `m` (unescaped), ascending.
    pub fn series_with_measurement(&self, bucket: BucketId, m: &[u8]) -> &[SeriesId] {
        self.bucket(bucket)
            .and_then(|b| b.measurement(&self.hasher, m))
            .map_or(&[], |m| m.series.as_slice())
    }

    /// Tag keys (unescaped) used by measurement `m` of `bucket`, sorted.
    pub fn tag_keys(&self, bucket: BucketId, m: &[u8]) -> Vec<&[u8]> {
        let Some(b) = self.bucket(bucket) else {
            return Vec::new();
        };
        let Some(meas) = b.measurement(&self.hasher, m) else {
            return Vec::new();
        };
        let mut out: Vec<&[u8]> = meas
            .keys
            .iter()
            .map(|k| b.strings.resolve(&b.arena, k.key))
            .collect();
        out.sort_unstable();
        out
    }

    /// Values (unescaped) of tag `k` in measurement `m` of `bucket`, sorted.
    pub fn tag_values(&self, bucket: BucketId, m: &[u8], k: &[u8]) -> Vec<&[u8]> {
        let Some(b) = self.bucket(bucket) else {
            return Vec::new();
        };
        let Some(tk) = b
            .measurement(&self.hasher, m)
            .and_then(|meas| b.tag_key(&self.hasher, meas, k))
        else {
            return Vec::new();
        };
        let mut out: Vec<&[u8]> = tk
            .values
            .iter()
            .map(|(v, _)| b.strings.resolve(&b.arena, *v))
            .collect();
        out.sort_unstable();
        out
    }

    /// Series of measurement `m` in `bucket` whose tag `k` equals `v` (all unescaped), ascending.
    pub fn series_with_measurement_tag(
        &self,
        bucket: BucketId,
        m: &[u8],
        k: &[u8],
        v: &[u8],
    ) -> &[SeriesId] {
        let Some(b) = self.bucket(bucket) else {
            return &[];
        };
        b.measurement(&self.hasher, m)
            .and_then(|meas| b.tag_key(&self.hasher, meas, k))
            .and_then(|tk| b.value_posting(&self.hasher, tk, v))
            .unwrap_or(&[])
    }

    /// Series of `bucket` (any measurement) whose tag `k` equals `v`, ascending. Borrowed when
    /// one measurement has the pair (the usual case); otherwise the per-measurement lists are
    /// merged (a series has one measurement, so they are disjoint).
    pub fn series_with_tag(&self, bucket: BucketId, k: &[u8], v: &[u8]) -> Cow<'_, [SeriesId]> {
        let Some(b) = self.bucket(bucket) else {
            return Cow::Borrowed(&[]);
        };
        let (Some(ks), Some(vs)) = (
            b.strings.lookup(&b.arena, &self.hasher, k),
            b.strings.lookup(&b.arena, &self.hasher, v),
        ) else {
            return Cow::Borrowed(&[]);
        };
        let mut hits: Vec<&[SeriesId]> = Vec::new();
        for meas in &b.measurements {
            let Some(tk) = meas
                .key_of
                .get(&ks)
                .and_then(|&i| meas.keys.get(i as usize))
            else {
                continue;
            };
            let found = tk.by_value.find(self.hasher.hash_one(vs), |&i| {
                tk.values.get(i as usize).is_some_and(|e| e.0 == vs)
            });
            if let Some((_, p)) = found.and_then(|&i| tk.values.get(i as usize)) {
                hits.push(b.posting(p));
            }
        }
        match hits.as_slice() {
            [] => Cow::Borrowed(&[]),
            [one] => Cow::Borrowed(one),
            many => {
                let mut all: Vec<SeriesId> = many.concat();
                all.sort_unstable();
                Cow::Owned(all)
            }
        }
    }

    /// Approximate heap bytes held by the index (capacities, hash tables included).
    pub fn heap_bytes(&self) -> usize {
        self.series.capacity() * 8
            + self.slots.capacity() * std::mem::size_of::<Option<BucketIndex>>()
            + self
                .slots
                .iter()
                .flatten()
                .map(BucketIndex::heap_bytes)
                .sum::<usize>()
            + self.slot_of.capacity() * 13
            + self.drops.capacity() * 16
    }
}
