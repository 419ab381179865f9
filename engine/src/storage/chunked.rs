//! `Chunked<T>`: an append-only vector stored in fixed-size chunks.
//!
//! A column that grows by doubling copies all of its data at every doubling and touches fresh
//! pages for the whole new buffer: with millions of points per column that was ~28 % of ingest
//! CPU (memcpy + page zeroing). Here only the first chunk grows by doubling (up to
//! `CHUNK` elements); every later chunk is allocated once at exactly `CHUNK` elements and never
//! moves, so appending never copies old data.
//!
//! Invariants: every chunk except the last holds exactly `CHUNK` elements; element `i` lives in
//! chunk `i / CHUNK` at `i % CHUNK`.

/// Elements per full chunk.
pub const CHUNK: usize = 4096;

/// An append-only chunked vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy> Chunked<T> {
    /// An empty vector.
    pub fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// Builds from a `Vec`.
    pub fn from_vec(v: Vec<T>) -> Self {
        let mut c = Chunked::new();
        for x in v {
            c.push(x);
        }
        c
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends.
    #[inline]
    pub fn push(&mut self, v: T) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(v),
            _ => {
                let cap = if self.chunks.is_empty() { 8 } else { CHUNK };
                let mut c = Vec::with_capacity(cap);
                c.push(v);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    /// Removes and returns the last element.
    pub fn pop(&mut self) -> Option<T> {
        let last = self.chunks.last_mut()?;
        let v = last.pop()?;
        if last.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        Some(v)
    }

    /// The last element.
    #[inline]
    pub fn last(&self) -> Option<T> {
        self.chunks.last().and_then(|c| c.last()).copied()
    }

    /// The last element, mutably.
    #[inline]
    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.chunks.last_mut().and_then(|c| c.last_mut())
    }

    /// Element `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK).copied()
    }

    /// Iterates in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter().copied())
    }

    /// First index whose element does not satisfy `pred` (the elements must be partitioned:
    /// all `true` before all `false`).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        // Find the first chunk whose last element fails the predicate.
        let ci = self
            .chunks
            .partition_point(|c| c.last().is_some_and(&mut pred));
        match self.chunks.get(ci) {
            Some(c) => ci * CHUNK + c.partition_point(pred),
            None => self.len,
        }
    }

    /// Appends elements `start..end` to `out`.
    pub fn extend_range_into(&self, start: usize, end: usize, out: &mut Vec<T>) {
        let end = end.min(self.len);
        let mut i = start;
        while i < end {
            let (ci, off) = (i / CHUNK, i % CHUNK);
            let Some(c) = self.chunks.get(ci) else { break };
            let take = (end - i).min(c.len().saturating_sub(off));
            if take == 0 {
                break;
            }
            out.extend_from_slice(c.get(off..off + take).unwrap_or(&[]));
            i += take;
        }
    }

    /// Copies elements `start..end` into a new `Vec`.
    pub fn to_vec_range(&self, start: usize, end: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        self.extend_range_into(start, end, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec() {
        let mut c = Chunked::new();
        let mut v = Vec::new();
        for i in 0..(3 * CHUNK as i64 + 17) {
            c.push(i * 2);
            v.push(i * 2);
        }
        assert_eq!(c.len(), v.len());
        assert_eq!(c.iter().collect::<Vec<_>>(), v);
        for probe in [-1, 0, 1, 2, 8190, 8191, 8192, 24_000, 1 << 40] {
            assert_eq!(
                c.partition_point(|x| *x < probe),
                v.partition_point(|x| *x < probe),
                "{probe}"
            );
        }
        assert_eq!(c.to_vec_range(4090, 8200), v[4090..8200].to_vec());
        assert_eq!(c.get(CHUNK), Some(v[CHUNK]));
        assert_eq!(c.last(), v.last().copied());
        for _ in 0..(CHUNK + 20) {
            assert_eq!(c.pop(), v.pop());
        }
        assert_eq!(c.iter().collect::<Vec<_>>(), v);
        c.push(-5);
        v.push(-5);
        assert_eq!(c.iter().collect::<Vec<_>>(), v);
    }
}
