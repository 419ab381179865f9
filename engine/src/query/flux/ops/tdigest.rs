//! A merging t-digest (Dunning), matching the estimator Flux's `quantile(method:
//! "estimate_tdigest")` uses: centroids are merged under the arcsine scale function with the
//! given compression; buffered points are merged when the buffer holds `8 * ceil(compression)`
//! of them.
//!
//! Invariants:
//! - After [`TDigest::flush`], `merged` is sorted by mean and `merged_weight` is the total
//!   weight of all points added.
//! - NaN values and non-positive weights are ignored.

#[derive(Clone, Copy, Debug)]
struct Centroid {
    mean: f64,
    weight: f64,
}

/// The digest.
#[derive(Debug)]
pub(crate) struct TDigest {
    compression: f64,
    max_merged: usize,
    max_buffered: usize,
    merged: Vec<Centroid>,
    buffer: Vec<Centroid>,
    merged_weight: f64,
    buffered_weight: f64,
    min: f64,
    max: f64,
}

impl TDigest {
    /// An empty digest with this compression.
    pub(crate) fn new(compression: f64) -> Self {
        let c = compression.ceil().max(1.0);
        TDigest {
            compression,
            max_merged: (2.0 * c) as usize,
            max_buffered: (8.0 * c) as usize,
            merged: Vec::new(),
            buffer: Vec::new(),
            merged_weight: 0.0,
            buffered_weight: 0.0,
            min: f64::MAX,
            max: -f64::MAX,
        }
    }

    /// Adds one point of weight 1.
    pub(crate) fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.buffer.push(Centroid {
            mean: x,
            weight: 1.0,
        });
        self.buffered_weight += 1.0;
        if self.merged.len() > self.max_merged || self.buffer.len() > self.max_buffered {
            self.flush();
        }
    }

    fn k_to_q(&self, k: f64) -> f64 {
        let c = self.compression;
        ((k.min(c) * std::f64::consts::PI / c - std::f64::consts::FRAC_PI_2).sin() + 1.0) / 2.0
    }

    fn q_to_k(&self, q: f64) -> f64 {
        self.compression * ((2.0 * q - 1.0).asin() + std::f64::consts::FRAC_PI_2)
            / std::f64::consts::PI
    }

    fn flush(&mut self) {
        if self.buffer.is_empty() && self.merged.len() <= self.max_merged {
            return;
        }
        let mut all = std::mem::take(&mut self.buffer);
        all.append(&mut self.merged);
        all.sort_by(|a, b| a.mean.total_cmp(&b.mean));
        self.merged_weight += self.buffered_weight;
        self.buffered_weight = 0.0;
        let mut iter = all.iter();
        let Some(first) = iter.next() else {
            return;
        };
        let mut out = Vec::with_capacity(self.max_merged + 1);
        out.push(*first);
        let mut so_far = first.weight;
        let mut limit = self.merged_weight * self.k_to_q(1.0);
        for c in iter {
            let projected = so_far + c.weight;
            if projected <= limit {
                so_far = projected;
                if let Some(last) = out.last_mut() {
                    last.weight += c.weight;
                    last.mean += c.weight * (c.mean - last.mean) / last.weight;
                }
            } else {
                let k1 = self.q_to_k(so_far / self.merged_weight);
                limit = self.merged_weight * self.k_to_q(k1 + 1.0);
                so_far += c.weight;
                out.push(*c);
            }
        }
        if let (Some(f), Some(l)) = (out.first(), out.last()) {
            self.min = self.min.min(f.mean);
            self.max = self.max.max(l.mean);
        }
        self.merged = out;
        self.buffer = all;
        self.buffer.clear();
    }

    /// The estimated `q` quantile; `None` when empty or `q` is outside `[0, 1]`.
    pub(crate) fn quantile(&mut self, q: f64) -> Option<f64> {
        self.flush();
        if !(0.0..=1.0).contains(&q) || self.merged.is_empty() {
            return None;
        }
        let n = self.merged.len();
        let first = self.merged[0];
        if n == 1 {
            return Some(first.mean);
        }
        let total = self.merged_weight;
        let index = q * total;
        if index <= first.weight / 2.0 {
            return Some(self.min + 2.0 * index / first.weight * (first.mean - self.min));
        }
        // Midpoint cumulative weights: mid[i] = weight before i + weight_i / 2, mid[n] = total.
        let mut before = 0.0;
        for i in 0..n {
            let c = self.merged[i];
            let mid = before + c.weight / 2.0;
            if mid >= index {
                // i >= 1 because index > first.weight / 2.
                let prev = self.merged[i - 1];
                let prev_mid = before - prev.weight / 2.0;
                let z1 = index - prev_mid;
                let z2 = mid - index;
                return Some(weighted_average(prev.mean, z2, c.mean, z1));
            }
            before += c.weight;
        }
        let last = self.merged[n - 1];
        let z1 = index - total - last.weight / 2.0;
        let z2 = last.weight / 2.0 - z1;
        Some(weighted_average(last.mean, z1, self.max, z2))
    }
}

fn weighted_average(x1: f64, w1: f64, x2: f64, w2: f64) -> f64 {
    let (x1, w1, x2, w2) = if x1 <= x2 {
        (x1, w1, x2, w2)
    } else {
        (x2, w2, x1, w1)
    };
    let x = (x1 * w1 + x2 * w2) / (w1 + w2);
    x.min(x2).max(x1)
}
