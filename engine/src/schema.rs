//! Field types per (bucket, measurement, field): the registry that detects type conflicts.
//!
//! InfluxDB 2.7 keeps one type per field of a measurement (per shard group) and drops points
//! whose field has another type (a partial write, HTTP 422). ringflux spreads a measurement's
//! series over all shards, so the registry is global: a [`FieldTypes`] map shared by every core
//! (`dashmap`, touched only on a miss) fronted by a per-core [`TypeCache`] (a plain `HashMap`, no
//! lock). The first type registered for a field wins, whichever core registers it.
//!
//! Invariants:
//! - Steady state costs one hash lookup per field, no allocation and no lock; only the first
//!   sighting of a field on a core allocates a cache key and touches the shared map.
//! - Keys are `bucket id (8 bytes LE) ‖ unescaped measurement ‖ 0x00 ‖ unescaped field key`
//!   (line protocol names cannot contain NUL after validation, so the key is unambiguous).
//! - Types are rebuilt from the WAL on start-up, before any write is accepted.

use std::sync::Arc;

use dashmap::DashMap;

use crate::hash::FastMap;
use crate::model::{BucketId, FieldType};

/// The shared registry.
#[derive(Debug, Default, Clone)]
pub struct FieldTypes {
    map: Arc<DashMap<Box<[u8]>, FieldType>>,
}

/// Builds a registry key into `out`.
pub fn type_key(bucket: BucketId, measurement: &[u8], field: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&bucket.0.to_le_bytes());
    out.extend_from_slice(measurement);
    out.push(0);
    out.extend_from_slice(field);
}

impl FieldTypes {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `ty` for `key` unless a type is there; returns the type that holds.
    pub fn register(&self, key: &[u8], ty: FieldType) -> FieldType {
        if let Some(t) = self.map.get(key) {
            return *t;
        }
        *self.map.entry(key.into()).or_insert(ty)
    }

    /// Every field of `bucket` as `(measurement, field, type)`, sorted.
    pub fn fields(&self, bucket: BucketId) -> Vec<(Vec<u8>, Vec<u8>, FieldType)> {
        let prefix = bucket.0.to_le_bytes();
        let mut out: Vec<(Vec<u8>, Vec<u8>, FieldType)> = self
            .map
            .iter()
            .filter_map(|e| {
                let rest = e.key().strip_prefix(&prefix[..])?;
                let nul = rest.iter().position(|b| *b == 0)?;
                let (m, f) = rest.split_at(nul);
                Some((m.to_vec(), f.get(1..)?.to_vec(), *e.value()))
            })
            .collect();
        out.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out
    }

    /// Forgets every field of `bucket` (bucket deleted).
    pub fn forget_bucket(&self, bucket: BucketId) {
        let prefix = bucket.0.to_le_bytes();
        self.map.retain(|k, _| !k.starts_with(&prefix));
    }
}

/// A per-core cache in front of [`FieldTypes`].
#[derive(Debug)]
pub struct TypeCache {
    shared: FieldTypes,
    local: FastMap<Box<[u8]>, FieldType>,
}

impl TypeCache {
    /// A cache over `shared`.
    pub fn new(shared: FieldTypes) -> Self {
        TypeCache {
            shared,
            local: FastMap::default(),
        }
    }

    /// Checks (and on first sight registers) the type of `key`: `Ok` if `ty` matches the type
    /// that holds for the field, `Err(existing)` otherwise.
    #[inline]
    pub fn check(&mut self, key: &[u8], ty: FieldType) -> Result<(), FieldType> {
        let held = match self.local.get(key) {
            Some(t) => *t,
            None => {
                let t = self.shared.register(key, ty);
                self.local.insert(key.into(), t);
                t
            }
        };
        if held == ty {
            Ok(())
        } else {
            Err(held)
        }
    }

    /// Drops the local entries of `bucket`.
    pub fn forget_bucket(&mut self, bucket: BucketId) {
        let prefix = bucket.0.to_le_bytes();
        self.local.retain(|k, _| !k.starts_with(&prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_type_wins_across_caches() {
        let shared = FieldTypes::new();
        let mut a = TypeCache::new(shared.clone());
        let mut b = TypeCache::new(shared);
        let mut k = Vec::new();
        type_key(BucketId(1), b"cpu", b"v", &mut k);
        assert_eq!(a.check(&k, FieldType::Float), Ok(()));
        assert_eq!(b.check(&k, FieldType::Integer), Err(FieldType::Float));
        assert_eq!(b.check(&k, FieldType::Float), Ok(()));
        type_key(BucketId(2), b"cpu", b"v", &mut k);
        assert_eq!(b.check(&k, FieldType::Integer), Ok(()));
    }
}
