//! Merging aggregators that each read one part of a file, into what one pass over the whole file
//! gives; parts whose merge would depend on an order they no longer remember refuse to merge.

use super::{Acc, Aggregator};

/// Why two aggregators cannot be merged exactly; the caller reads the file again in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotMergeable {
    #[error("the parts count their time buckets from different origins")]
    Origins,
    #[error("a part saw more distinct endpoints than the cap")]
    EndpointCap,
    #[error("more distinct status codes than the cap")]
    StatusCodeCap,
}

impl Acc {
    /// Adds `other`, which saw samples after this one's.
    fn merge(&mut self, other: &mut Acc, max_codes: usize) -> Result<(), NotMergeable> {
        if self.codes_overflowed || other.codes_overflowed {
            return Err(NotMergeable::StatusCodeCap);
        }
        let new_codes = other
            .codes
            .iter()
            .filter(|(c, _)| !self.codes.iter().any(|(s, _)| s == c))
            .count();
        if self.codes.len() + new_codes > max_codes {
            return Err(NotMergeable::StatusCodeCap);
        }
        self.absorb(other, max_codes);
        Ok(())
    }

    /// Adds `other` whatever its status codes: past the cap they count as `other`, as they do
    /// sample by sample. `merge` checks first; the overall figures, summed from disjoint groups
    /// of one pass, need no check.
    pub(super) fn absorb(&mut self, other: &mut Acc, max_codes: usize) {
        for (code, n) in &other.codes {
            self.count_code(code, *n, max_codes);
        }
        self.codes_overflowed |= other.codes_overflowed;
        self.count += other.count;
        self.errors += other.errors;
        self.unknown_outcome += other.unknown_outcome;
        self.flag_count += other.flag_count;
        self.flag_errors += other.flag_errors;
        self.sum_ns = self.sum_ns.saturating_add(other.sum_ns);
        self.min_ms = self.min_ms.min(other.min_ms);
        self.max_ms = self.max_ms.max(other.max_ms);
        self.hist.add(&mut other.hist);
        self.first_start = self.first_start.min(other.first_start);
        self.last_end = self.last_end.max(other.last_end);
    }
}

impl Aggregator {
    /// Adds `other`, which aggregated the part of the file that follows this one's. The result is
    /// what one aggregator reading both parts in order would hold, provided both parts were given the same origin (`set_origin`).
    /// On error `self` may be partly merged: the caller starts over.
    pub fn merge(&mut self, mut other: Aggregator) -> Result<(), NotMergeable> {
        self.settle();
        other.settle();
        if self.origin_ms != other.origin_ms && !other.buckets.is_empty() {
            return Err(NotMergeable::Origins);
        }
        // Endpoints a part dropped at its own cap might have been kept had it started earlier.
        if other.dropped_endpoint_samples > 0 {
            return Err(NotMergeable::EndpointCap);
        }
        let max_codes = self.limits.max_status_codes;
        self.rest.merge(&mut other.rest, max_codes)?;
        // The other part numbered its endpoints in the order it met them: its bucket cell j is
        // this part's cell remap[j] (cell 0 holds the rest in both).
        let mut remap = vec![0; other.endpoints.len() + 1];
        for (j, (name, method, acc)) in other.endpoints.iter_mut().enumerate() {
            match self.endpoint(name, method.as_deref()) {
                Some(i) => {
                    self.endpoints[i].2.merge(acc, max_codes)?;
                    remap[j + 1] = i + 1;
                }
                None => {
                    self.dropped_endpoint_samples += acc.count;
                    self.rest.merge(acc, max_codes)?;
                }
            }
        }
        self.unnamed += other.unnamed;
        // Both to the coarser width, then together, then coarser still while over the cap: the
        // width is then the narrowest that fits all samples, as a single pass finds it.
        while self.bucket_ms < other.bucket_ms {
            self.coarsen();
        }
        let mut other_buckets = other.buckets;
        let mut other_width = other.bucket_ms;
        while other_width < self.bucket_ms {
            other_width = other_width.saturating_mul(2);
            other_buckets = other_buckets
                .into_iter()
                .fold(Default::default(), |mut m, (k, b)| {
                    merge_bucket(&mut m, k.div_euclid(2), b, None);
                    m
                });
        }
        for (k, b) in other_buckets {
            merge_bucket(&mut self.buckets, k, b, Some(&remap));
        }
        self.fit_buckets();
        Ok(())
    }
}

fn merge_bucket(
    map: &mut std::collections::BTreeMap<i64, super::BucketAcc>,
    key: i64,
    b: super::BucketAcc,
    remap: Option<&[usize]>,
) {
    match map.entry(key) {
        std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(b, remap),
        std::collections::btree_map::Entry::Vacant(e) => {
            let mut fresh = super::BucketAcc::new();
            fresh.merge(b, remap);
            e.insert(fresh);
        }
    }
}
