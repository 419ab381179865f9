//! Coordinator side of a write: validate the whole body, check field types, and split the lines
//! by owning shard. Runs on whichever core accepted the connection.
//!
//! Invariants:
//! - A body with any malformed line is rejected before any shard sees it (no partial write
//!   from a syntax error).
//! - Only offsets travel: each shard gets the shared `Bytes` body and a `Vec<LineSpan>` of its
//!   lines, with every timestamp resolved (missing ones get the request's server time,
//!   truncated to the precision).
//! - Points dropped for a field type conflict or a field named `time` are counted and never sent;
//!   the first reason is kept for the 422 message.
//! - Scratch buffers live in [`Ingest`] (one per core) and are reused: no allocation per line.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::hash::FastMap;
use crate::line_protocol::{self as lp, EscapeKind, LineSpan, ScanError, Span};
use crate::model::{BucketId, Precision, ShardId};
use crate::placement::ShardMap;
use crate::schema::{type_key, FieldTypes, TypeCache};
use crate::shard::SeriesKeys;

/// Longest line text quoted back in an error message.
const MAX_QUOTED_LINE: usize = 1024;

/// A validated write split by shard.
#[derive(Debug)]
pub struct Partitioned {
    /// Target bucket.
    pub bucket: BucketId,
    /// The request body all spans point into.
    pub body: Bytes,
    /// Lines per shard (index = shard id); empty vectors for shards not involved.
    pub per_shard: Vec<Vec<LineSpan>>,
    /// Series keys per shard, parallel to `per_shard`.
    pub keys: Vec<SeriesKeys>,
    /// Points accepted.
    pub accepted: u64,
    /// Points dropped (type conflicts, fields named `time`).
    pub dropped: u64,
    /// Why the first dropped point was dropped.
    pub drop_reason: Option<String>,
}

/// Per-core ingest state and scratch buffers.
#[derive(Debug)]
pub struct Ingest {
    map: ShardMap,
    types: TypeCache,
    lines: Vec<LineSpan>,
    errors: Vec<ScanError>,
    placement: PlacementCache,
    tkey: Vec<u8>,
    meas: Vec<u8>,
    fkey: Vec<u8>,
    sig: Vec<u8>,
    last_ok_sig: Vec<u8>,
}

impl Ingest {
    /// Ingest state for one core.
    pub fn new(map: ShardMap, types: FieldTypes) -> Self {
        Ingest {
            map,
            types: TypeCache::new(types),
            lines: Vec::new(),
            errors: Vec::new(),
            placement: PlacementCache::default(),
            tkey: Vec::new(),
            meas: Vec::new(),
            fkey: Vec::new(),
            sig: Vec::new(),
            last_ok_sig: Vec::new(),
        }
    }

    /// The per-core type cache (bucket deletion clears it).
    pub fn types_mut(&mut self) -> &mut TypeCache {
        self.last_ok_sig.clear();
        &mut self.types
    }

    /// Checks the field types of `line` (whose shape is in `self.sig`) against the registry.
    /// Returns false if the point must be dropped (counted, first reason kept).
    fn check_types(
        &mut self,
        bucket: BucketId,
        body: &[u8],
        line: &LineSpan,
        dropped: &mut u64,
        drop_reason: &mut Option<String>,
    ) -> bool {
        let raw_meas = line.measurement.slice(body);
        let mut saw_time = false;
        self.meas.clear();
        lp::unescape_into(raw_meas, EscapeKind::Measurement, &mut self.meas);
        let mut ok_fields = 0usize;
        let mut conflict: Option<String> = None;
        for (fk, ty) in lp::field_types(body, line) {
            self.fkey.clear();
            lp::unescape_into(fk, EscapeKind::Key, &mut self.fkey);
            if self.fkey == b"time" {
                saw_time = true;
                if conflict.is_none() {
                    conflict = Some(format!(
                        "invalid field name: input field \"time\" on measurement \"{}\" is invalid",
                        String::from_utf8_lossy(&self.meas)
                    ));
                }
                continue;
            }
            type_key(bucket, &self.meas, &self.fkey, &mut self.tkey);
            match self.types.check(&self.tkey, ty) {
                Ok(()) => ok_fields += 1,
                Err(existing) => {
                    conflict = Some(format!(
                        "field type conflict: input field \"{}\" on measurement \"{}\" is type {}, already exists as type {}",
                        String::from_utf8_lossy(&self.fkey),
                        String::from_utf8_lossy(&self.meas),
                        ty.influx_name(),
                        existing.influx_name()
                    ));
                    ok_fields = 0;
                    break;
                }
            }
        }
        if ok_fields == 0 {
            *dropped += 1;
            if drop_reason.is_none() {
                *drop_reason = conflict;
            }
            return false;
        }
        if !saw_time {
            std::mem::swap(&mut self.sig, &mut self.last_ok_sig);
        }
        true
    }

    /// Validates `body` and splits it by shard. `now` is the server time in ns.
    pub fn partition(
        &mut self,
        bucket: BucketId,
        precision: Precision,
        body: Bytes,
        now: i64,
        min_time: i64,
    ) -> Result<Partitioned> {
        lp::scan(&body, precision, &mut self.lines, &mut self.errors);
        if !self.errors.is_empty() {
            return Err(scan_error(&body, &self.errors));
        }
        let default_ts = precision.truncate(now);
        let n = self.map.shards();
        let guess = self.lines.len() / n + 1;
        let mut per_shard: Vec<Vec<LineSpan>> = (0..n).map(|_| Vec::with_capacity(guess)).collect();
        // Sized so that a request allocates a fixed number of buffers whatever its line count
        // (keys are never longer than the lines they come from, escapes aside).
        let key_bytes = body.len() / n + 1024;
        let mut keys: Vec<SeriesKeys> = (0..n)
            .map(|_| SeriesKeys::with_capacity(guess, key_bytes))
            .collect();
        let mut accepted = 0u64;
        let mut dropped = 0u64;
        let mut drop_reason = None;
        let mut lines = std::mem::take(&mut self.lines);
        for line in lines.iter_mut() {
            let ts = *line.timestamp.get_or_insert(default_ts);
            // Points older than the bucket's retention are dropped (InfluxDB 2.7: 422
            // "partial write: points beyond retention policy dropped=N").
            if ts < min_time {
                dropped += 1;
                drop_reason.get_or_insert_with(|| "points beyond retention policy".to_string());
                continue;
            }
            // Field type checks against the registry. Fast path: a line with exactly the same
            // bucket, measurement, field keys and types as the last line that passed needs no
            // lookups (the registry only ever adds types, so a passing shape keeps passing).
            let raw_meas = line.measurement.slice(&body);
            self.sig.clear();
            self.sig.extend_from_slice(&bucket.0.to_le_bytes());
            self.sig
                .extend_from_slice(&(raw_meas.len() as u32).to_le_bytes());
            self.sig.extend_from_slice(raw_meas);
            for (fk, ty) in lp::field_types(&body, line) {
                self.sig.push(ty as u8);
                self.sig.extend_from_slice(&(fk.len() as u32).to_le_bytes());
                self.sig.extend_from_slice(fk);
            }
            if self.sig != self.last_ok_sig
                && !self.check_types(bucket, &body, line, &mut dropped, &mut drop_reason)
            {
                continue;
            }
            let (key, shard) = self.placement.place(&self.map, bucket, &body, line);
            if let (Some(v), Some(k)) = (per_shard.get_mut(shard), keys.get_mut(shard)) {
                v.push(*line);
                k.push(key);
                accepted += 1;
            }
        }
        self.lines = lines;
        Ok(Partitioned {
            bucket,
            body,
            per_shard,
            keys,
            accepted,
            dropped,
            drop_reason,
        })
    }
}

/// Most raw series spellings remembered per core before the cache is cleared.
const PLACEMENT_CACHE_ENTRIES: usize = 1 << 18;

/// Per-core cache: raw series text as written (`measurement,tags`) → canonical key and owning
/// shard. Building the canonical key (unescape, sort tags, re-escape) and hashing it for
/// placement was ~17 % of ingest CPU; writers repeat the same series text line after line, so
/// one hash + compare of the raw bytes replaces it. Bounded: cleared when it reaches
/// `PLACEMENT_CACHE_ENTRIES` entries.
#[derive(Debug, Default)]
struct PlacementCache {
    by_bucket: FastMap<BucketId, FastMap<Box<[u8]>, u32>>,
    slots: Vec<(Box<[u8]>, ShardId)>,
    tag_scratch: Vec<(Span, Span)>,
    key: Vec<u8>,
}

impl PlacementCache {
    /// The canonical key and shard of `line`.
    fn place(
        &mut self,
        map: &ShardMap,
        bucket: BucketId,
        body: &[u8],
        line: &LineSpan,
    ) -> (&[u8], ShardId) {
        let end = if line.tags.is_empty() {
            line.measurement.end
        } else {
            line.tags.end
        };
        let raw = body
            .get(line.measurement.start as usize..end as usize)
            .unwrap_or_default();
        let cached = self
            .by_bucket
            .get(&bucket)
            .and_then(|m| m.get(raw))
            .copied();
        let slot = match cached {
            Some(i) => i as usize,
            None => {
                if self.slots.len() >= PLACEMENT_CACHE_ENTRIES {
                    self.by_bucket.clear();
                    self.slots.clear();
                }
                lp::write_series_key(body, line, &mut self.tag_scratch, &mut self.key);
                let shard = map.shard_for(bucket, &self.key);
                let i = self.slots.len();
                self.slots.push((self.key.as_slice().into(), shard));
                self.by_bucket
                    .entry(bucket)
                    .or_default()
                    .insert(raw.into(), i as u32);
                i
            }
        };
        match self.slots.get(slot) {
            Some((k, s)) => (k, *s),
            None => (&[], 0),
        }
    }
}

/// Builds InfluxDB 2.7's 400 message: `unable to parse '<line>': <reason>`, one per bad line,
/// joined by newlines; `line` is the first bad line's number.
fn scan_error(body: &[u8], errors: &[ScanError]) -> Error {
    let mut msg = String::new();
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            msg.push('\n');
        }
        let mut text = e.line.slice(body);
        // A line that spans lines (a quoted string with a newline) is quoted without its final
        // line break, as InfluxDB 2.7 does.
        while let Some((b'\n' | b'\r', rest)) = text.split_last() {
            text = rest;
        }
        let shown = text.get(..MAX_QUOTED_LINE).unwrap_or(text);
        msg.push_str("unable to parse '");
        msg.push_str(&String::from_utf8_lossy(shown));
        if shown.len() < text.len() {
            msg.push_str("...");
        }
        msg.push_str("': ");
        msg.push_str(e.kind.message());
    }
    let line = errors.first().map(|e| e.line_no).unwrap_or(1);
    Error::invalid_at_line(msg, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingest(shards: usize) -> Ingest {
        Ingest::new(ShardMap::new(shards), FieldTypes::new())
    }

    fn keys_of(p: &Partitioned) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (s, k) in p.keys.iter().enumerate() {
            for i in 0..k.len() {
                out.push((s, String::from_utf8_lossy(k.get(i).unwrap()).into_owned()));
            }
        }
        out
    }

    #[test]
    fn spellings_of_one_series_share_key_and_shard_through_the_cache() {
        let mut ing = ingest(4);
        let body = Bytes::from_static(
            b"cpu,b=2,a=1 v=1 1\ncpu,a=1,b=2 v=2 2\ncpu,b=2,a=1 v=3 3\ncpu,a=1,b=3 v=4 4\n",
        );
        let p = ing
            .partition(BucketId(9), Precision::Nanoseconds, body, 0, i64::MIN)
            .unwrap();
        let keys = keys_of(&p);
        assert_eq!(keys.len(), 4);
        let same: Vec<_> = keys.iter().filter(|(_, k)| k == "cpu,a=1,b=2").collect();
        assert_eq!(same.len(), 3, "{keys:?}");
        assert!(same.iter().all(|(s, _)| *s == same[0].0));
        let expect = ShardMap::new(4).shard_for(BucketId(9), b"cpu,a=1,b=2");
        assert_eq!(same[0].0, expect);
    }

    #[test]
    fn type_conflicts_are_caught_after_the_shape_fast_path() {
        let mut ing = ingest(2);
        let body = Bytes::from_static(b"m f=1 1\nm f=2 2\nm f=3i 3\nm f=4 4\nm g=1i,f=5i 5\n");
        let p = ing
            .partition(BucketId(1), Precision::Nanoseconds, body, 0, i64::MIN)
            .unwrap();
        assert_eq!((p.accepted, p.dropped), (3, 2));
        let reason = p.drop_reason.unwrap();
        assert!(
            reason.contains("is type integer, already exists as type float"),
            "{reason}"
        );
    }

    #[test]
    fn points_older_than_retention_are_dropped() {
        let mut ing = ingest(2);
        let body = Bytes::from_static(
            b"m f=1 10
m f=2 99
m f=3 100
m f=4 200
",
        );
        let p = ing
            .partition(BucketId(1), Precision::Nanoseconds, body, 0, 100)
            .unwrap();
        assert_eq!((p.accepted, p.dropped), (2, 2));
        assert_eq!(
            p.drop_reason.as_deref(),
            Some("points beyond retention policy")
        );
    }
}
