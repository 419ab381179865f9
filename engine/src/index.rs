//! Per-shard series index: (bucket, canonical series key) → [`SeriesId`].
//!
//! Invariants:
//! - Owned by one shard and used from its executor only, so it needs no locks or atomics
//!   (the "lock-free series index" holds by ownership).
//! - Series ids are dense (`0..len`) and never reused, so storage can index a `Vec` by them.
//! - A lookup of an existing series allocates nothing (the probe key is built in a reused
//!   scratch buffer); only a *new* series allocates its key.

use crate::hash::FastMap;
use crate::model::BucketId;

/// Dense id of a series within one shard.
pub type SeriesId = u32;

/// One series known to the shard.
#[derive(Debug)]
pub struct SeriesEntry {
    /// Bucket the series belongs to.
    pub bucket: BucketId,
    /// Canonical series key (measurement + sorted tags, escaped).
    pub key: Box<[u8]>,
}

/// The series index of one shard.
#[derive(Debug, Default)]
pub struct SeriesIndex {
    by_key: FastMap<Box<[u8]>, SeriesId>,
    series: Vec<SeriesEntry>,
    by_bucket: FastMap<BucketId, Vec<SeriesId>>,
    probe: Vec<u8>,
}

impl SeriesIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    fn build_probe(&mut self, bucket: BucketId, key: &[u8]) {
        self.probe.clear();
        self.probe.extend_from_slice(&bucket.0.to_le_bytes());
        self.probe.extend_from_slice(key);
    }

    /// Returns the id of the series, creating it if new. The flag is true for a new series.
    pub fn resolve_or_insert(&mut self, bucket: BucketId, key: &[u8]) -> (SeriesId, bool) {
        self.build_probe(bucket, key);
        if let Some(id) = self.by_key.get(self.probe.as_slice()) {
            return (*id, false);
        }
        let id = self.series.len() as SeriesId;
        self.by_key
            .insert(self.probe.clone().into_boxed_slice(), id);
        self.series.push(SeriesEntry {
            bucket,
            key: key.into(),
        });
        self.by_bucket.entry(bucket).or_default().push(id);
        (id, true)
    }

    /// Looks a series up without creating it.
    pub fn get(&mut self, bucket: BucketId, key: &[u8]) -> Option<SeriesId> {
        self.build_probe(bucket, key);
        self.by_key.get(self.probe.as_slice()).copied()
    }

    /// The entry of series `id`.
    pub fn entry(&self, id: SeriesId) -> Option<&SeriesEntry> {
        self.series.get(id as usize)
    }

    /// Every series of `bucket`, in insertion order.
    pub fn bucket_series(&self, bucket: BucketId) -> &[SeriesId] {
        self.by_bucket
            .get(&bucket)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Number of series in the shard.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// True if the shard has no series.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_and_stable() {
        let mut ix = SeriesIndex::new();
        let (a, new_a) = ix.resolve_or_insert(BucketId(1), b"cpu,host=a");
        let (b, new_b) = ix.resolve_or_insert(BucketId(1), b"cpu,host=b");
        let (a2, new_a2) = ix.resolve_or_insert(BucketId(1), b"cpu,host=a");
        let (c, _) = ix.resolve_or_insert(BucketId(2), b"cpu,host=a");
        assert_eq!((a, b, a2, c), (0, 1, 0, 2));
        assert!(new_a && new_b && !new_a2);
        assert_eq!(ix.bucket_series(BucketId(1)), &[0, 1]);
        assert_eq!(ix.get(BucketId(2), b"cpu,host=a"), Some(2));
        assert_eq!(ix.get(BucketId(3), b"cpu,host=a"), None);
    }
}
