//! Coordinator side of a read: k-way merge of the shards' chunk streams into one stream
//! ordered by (series key, field key), table after table.
//!
//! Invariants:
//! - A series lives on exactly one shard, so merging never interleaves the rows of one table:
//!   once a table starts, all of its chunks come from the same stream and are passed through.
//! - At most one chunk per shard is buffered here (plus the bounded streams), so memory stays
//!   bounded however large the result.

use crate::error::Result;
use crate::mesh::reply::StreamReceiver;
use crate::shard::query::ReadChunk;

/// The merged read.
#[derive(Debug)]
pub struct MergedRead {
    streams: Vec<StreamReceiver<Result<ReadChunk>>>,
    heads: Vec<Option<Result<ReadChunk>>>,
    primed: bool,
    current: Option<usize>,
}

impl MergedRead {
    /// Merges `streams` (one per shard).
    pub fn new(streams: Vec<StreamReceiver<Result<ReadChunk>>>) -> Self {
        let heads = streams.iter().map(|_| None).collect();
        MergedRead {
            streams,
            heads,
            primed: false,
            current: None,
        }
    }

    async fn refill(&mut self, i: usize) {
        if let (Some(s), Some(h)) = (self.streams.get_mut(i), self.heads.get_mut(i)) {
            *h = s.recv().await;
        }
    }

    /// The next chunk in global order; `None` at the end.
    pub async fn next(&mut self) -> Option<Result<ReadChunk>> {
        if !self.primed {
            self.primed = true;
            for i in 0..self.streams.len() {
                self.refill(i).await;
            }
        }
        // Continue the current table while its stream has more of it.
        if let Some(c) = self.current {
            let continues = matches!(self.heads.get(c), Some(Some(Ok(ch))) if !ch.first);
            if continues {
                let out = self.heads.get_mut(c).and_then(Option::take);
                self.refill(c).await;
                return out;
            }
            self.current = None;
        }
        // Errors first, then the smallest (key, field) head.
        let mut best: Option<usize> = None;
        for (i, h) in self.heads.iter().enumerate() {
            match h {
                Some(Err(_)) => {
                    best = Some(i);
                    break;
                }
                Some(Ok(ch)) => {
                    let better = match best.and_then(|b| self.heads.get(b)) {
                        Some(Some(Ok(bc))) => (&*ch.key, &*ch.field) < (&*bc.key, &*bc.field),
                        _ => true,
                    };
                    if better {
                        best = Some(i);
                    }
                }
                None => {}
            }
        }
        let b = best?;
        let out = self.heads.get_mut(b).and_then(Option::take);
        self.current = Some(b);
        self.refill(b).await;
        out
    }
}
