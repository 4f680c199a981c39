//! Streaming aggregation of raw samples (one line per request) into HDR histograms: overall, per
//! endpoint and per time bucket, in memory bounded by caps on endpoints and buckets.

use std::collections::BTreeMap;

use foldhash::HashMap;

use super::distribution::{Bin, Distribution};
use super::model::{
    Bucket, BucketDetail, Cell, EndpointResults, Group, Latency, RunResults, SeriesDetail, Stats,
};

mod buckets;
mod measured;
mod merge;
mod recorder;

use buckets::{BucketAcc, cell_of};
use measured::{Measured, floor_i64, mean_ms, round3};
use recorder::Recorder;

/// Significant digits kept by the overall and per-endpoint histograms: a reported percentile is
/// within 0.1 % (1/1024) of the sample value it stands for.
pub const SIGFIG: u8 = 3;

/// The unit histograms count in. Whole-millisecond sources (JMeter) record milliseconds, so every
/// value below 2048 ms is exact; fractional sources (k6) record microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolution {
    Millis,
    Micros,
}

impl Resolution {
    fn per_ms(self) -> f64 {
        match self {
            Resolution::Millis => 1.0,
            Resolution::Micros => 1000.0,
        }
    }
}

/// The caps that keep memory bounded whatever the file size.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Distinct endpoints kept apart; samples of further endpoints count in the overall figures.
    pub max_endpoints: usize,
    /// Time buckets kept; past it, neighbouring buckets merge and the bucket width doubles. A
    /// run thus gets 150-300 buckets whatever its length: a second wide for a few minutes, a
    /// minute for a four-hour soak.
    pub max_buckets: usize,
    /// Initial time-bucket width.
    pub bucket_ms: i64,
    /// Distinct status codes counted per endpoint; further codes count as `other`.
    pub max_status_codes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_endpoints: 200,
            max_buckets: 300,
            bucket_ms: 1_000,
            max_status_codes: 50,
        }
    }
}

/// One request as a raw-sample format describes it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample<'a> {
    /// When the request started, in milliseconds since the Unix epoch (or any fixed origin).
    pub start_ms: Option<f64>,
    pub elapsed_ms: f64,
    pub name: Option<&'a str>,
    pub method: Option<&'a str>,
    /// `None` when the source does not say.
    pub success: Option<bool>,
    pub status: Option<&'a str>,
    /// Active users or threads when the sample was taken, where the source records it.
    pub users: Option<f64>,
}

/// Counts and latency distribution of one group of samples.
struct Acc {
    count: u64,
    errors: u64,
    /// Samples whose outcome the source did not state.
    unknown_outcome: u64,
    /// Failure flags given apart from the samples (k6's `http_req_failed` points).
    flag_count: u64,
    flag_errors: u64,
    /// Nanoseconds summed as integers: parts of a file summed apart add up to the same total
    /// whatever the order, as float sums would not.
    sum_ns: i128,
    min_ms: f64,
    max_ms: f64,
    hist: Recorder,
    /// Few distinct codes per run: a short list beats hashing every sample.
    codes: Vec<(String, u64)>,
    /// A code arrived after `max_codes` distinct ones: which codes were kept depends on order.
    codes_overflowed: bool,
    first_start: f64,
    last_end: f64,
    per_ms: f64,
}

impl Acc {
    fn new(sigfig: u8, per_ms: f64) -> Self {
        Acc {
            per_ms,
            count: 0,
            errors: 0,
            unknown_outcome: 0,
            flag_count: 0,
            flag_errors: 0,
            sum_ns: 0,
            min_ms: f64::INFINITY,
            max_ms: f64::NEG_INFINITY,
            hist: Recorder::new(sigfig),
            codes: Vec::new(),
            codes_overflowed: false,
            first_start: f64::INFINITY,
            last_end: f64::NEG_INFINITY,
        }
    }

    #[inline]
    fn add(&mut self, s: &Sample, m: Measured, max_codes: usize) {
        self.count += 1;
        match s.success {
            Some(false) => self.errors += 1,
            Some(true) => {}
            None => self.unknown_outcome += 1,
        }
        // Each term is within SUM_BOUND_NS, so 1e20 samples would be needed to overflow.
        self.sum_ns = self.sum_ns.wrapping_add(m.ns);
        self.min_ms = self.min_ms.min(s.elapsed_ms);
        self.max_ms = self.max_ms.max(s.elapsed_ms);
        self.hist.record(m.units);
        if let Some(start) = s.start_ms {
            self.first_start = self.first_start.min(start);
            self.last_end = self.last_end.max(start + s.elapsed_ms);
        }
        if let Some(code) = s.status.filter(|c| !c.is_empty()) {
            self.count_code(code, 1, max_codes);
        }
    }

    /// Counts `n` responses with `code`; codes past the cap of distinct ones count as `other`.
    #[inline]
    fn count_code(&mut self, code: &str, n: u64, max_codes: usize) {
        if let Some((_, m)) = self.codes.iter_mut().find(|(c, _)| same_text(c, code)) {
            *m += n;
        } else if self.codes.len() < max_codes {
            self.codes.push((code.to_string(), n));
        } else if let Some((_, m)) = self.codes.iter_mut().find(|(c, _)| c == "other") {
            self.codes_overflowed = true;
            *m += n;
        } else {
            self.codes_overflowed = true;
            self.codes.push(("other".to_string(), n));
        }
    }

    fn errors(&self) -> Option<u64> {
        if self.unknown_outcome == 0 {
            Some(self.errors)
        } else if self.flag_count > 0 {
            Some(self.flag_errors)
        } else {
            None
        }
    }

    fn latency(&self) -> Latency {
        if self.count == 0 {
            return Latency::default();
        }
        let q = |q: f64| {
            let v = self.hist.flushed().value_at_quantile(q) as f64 / self.per_ms;
            // The bin's upper edge can pass the largest sample; the extremes are known exactly.
            Some(round3(v.clamp(self.min_ms, self.max_ms)))
        };
        Latency {
            mean: Some(round3(mean_ms(self.sum_ns, self.count))),
            min: Some(round3(self.min_ms)),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            max: Some(round3(self.max_ms)),
        }
    }

    fn span_s(&self) -> Option<f64> {
        (self.last_end > self.first_start).then(|| (self.last_end - self.first_start) / 1000.0)
    }

    fn stats(&self) -> Stats {
        let errors = self.errors();
        Stats {
            requests: Some(self.count),
            errors,
            error_rate: errors
                .filter(|_| self.count > 0)
                .map(|e| e as f64 / self.count as f64),
            throughput_rps: self.span_s().map(|s| self.count as f64 / s),
            latency_ms: self.latency(),
            status_codes: self.codes.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            distribution: (self.count > 0).then(|| self.distribution()),
        }
    }

    /// The histogram's bins with their edges, in milliseconds, within the exact extremes.
    fn distribution(&self) -> Distribution {
        let h = self.hist.flushed();
        let bins = h
            .iter_recorded()
            .map(|v| {
                let hi = v.value_iterated_to();
                Bin {
                    lo_ms: h.lowest_equivalent(hi) as f64 / self.per_ms,
                    hi_ms: h.highest_equivalent(hi) as f64 / self.per_ms,
                    count: v.count_at_value(),
                }
            })
            .collect();
        Distribution::from_bins(bins, Some(self.min_ms), Some(self.max_ms))
    }
}

/// Where a sample's per-endpoint figures go, found once per distinct name and method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    Endpoint(usize),
    /// Past the endpoint cap: counted overall only. The cap never lifts, so this stays true.
    Dropped,
    Unnamed,
}

/// Endpoint key: runner's name plus the method where the source has one.
type EndpointIndex = HashMap<String, Vec<(Option<String>, usize)>>;

/// Aggregates raw samples in one pass.
pub struct Aggregator {
    limits: Limits,
    per_ms: f64,
    /// Samples of no kept endpoint (unnamed, or past the cap). Each sample joins exactly one
    /// group, this or its endpoint's; the overall figures are their sum, made by `finish`.
    rest: Acc,
    index: EndpointIndex,
    endpoints: Vec<(String, Option<String>, Acc)>,
    dropped_endpoint_samples: u64,
    origin_ms: Option<f64>,
    bucket_ms: i64,
    buckets: BTreeMap<i64, BucketAcc>,
    /// The bucket samples went to last, held out of `buckets` (see `settle`): samples come
    /// roughly in time order, so most find it here without a map lookup.
    hot: Option<(i64, BucketAcc)>,
    /// Samples that carried no name (counted overall only).
    unnamed: u64,
}

impl Aggregator {
    pub fn new(limits: Limits, resolution: Resolution) -> Self {
        let per_ms = resolution.per_ms();
        Aggregator {
            limits,
            per_ms,
            rest: Acc::new(SIGFIG, per_ms),
            index: HashMap::default(),
            endpoints: Vec::new(),
            dropped_endpoint_samples: 0,
            origin_ms: None,
            bucket_ms: limits.bucket_ms.max(1),
            buckets: BTreeMap::new(),
            hot: None,
            unnamed: 0,
        }
    }

    /// Samples added so far, all groups together.
    pub fn count(&self) -> u64 {
        self.rest.count + self.endpoints.iter().map(|(_, _, e)| e.count).sum::<u64>()
    }

    /// Finds or creates an endpoint; `None` when the cap is reached.
    fn endpoint(&mut self, name: &str, method: Option<&str>) -> Option<usize> {
        if let Some(list) = self.index.get(name)
            && let Some((_, i)) = list.iter().find(|(m, _)| m.as_deref() == method)
        {
            return Some(*i);
        }
        if self.endpoints.len() >= self.limits.max_endpoints {
            return None;
        }
        let i = self.endpoints.len();
        self.endpoints.push((
            name.to_string(),
            method.map(str::to_string),
            Acc::new(SIGFIG, self.per_ms),
        ));
        self.index
            .entry(name.to_string())
            .or_default()
            .push((method.map(str::to_string), i));
        Some(i)
    }

    pub fn add(&mut self, s: &Sample) {
        let slot = self.slot(s.name, s.method);
        self.add_at(slot, s);
    }

    /// The slot of a name and method, creating the endpoint if the cap allows. A reader that
    /// sees the same names again and again keeps the slot and calls `add_at`, skipping the lookup;
    /// the slot must then be used at once, as `add` would.
    pub fn slot(&mut self, name: Option<&str>, method: Option<&str>) -> Slot {
        match name {
            Some(name) => match self.endpoint(name, method) {
                Some(i) => Slot::Endpoint(i),
                None => Slot::Dropped,
            },
            None => Slot::Unnamed,
        }
    }

    /// `add` for a sample whose slot is known (its `name` and `method` are not looked at).
    pub fn add_at(&mut self, slot: Slot, s: &Sample) {
        self.add_measured(slot, s, Measured::of(s.elapsed_ms, self.per_ms));
    }

    /// `add_at` for a latency of `ms` whole milliseconds (`s.elapsed_ms` is the same), which
    /// skips a round trip through floating point.
    pub fn add_whole_ms_at(&mut self, slot: Slot, s: &Sample, ms: u64) {
        debug_assert_eq!(s.elapsed_ms, ms as f64);
        self.add_measured(slot, s, Measured::of_whole(ms, self.per_ms));
    }

    #[inline]
    fn add_measured(&mut self, slot: Slot, s: &Sample, m: Measured) {
        let max_codes = self.limits.max_status_codes;
        let acc = match slot {
            Slot::Endpoint(i) => &mut self.endpoints[i].2,
            Slot::Dropped => {
                self.dropped_endpoint_samples += 1;
                &mut self.rest
            }
            Slot::Unnamed => {
                self.unnamed += 1;
                &mut self.rest
            }
        };
        acc.add(s, m, max_codes);
        if let Some(start) = s.start_ms {
            self.add_to_bucket(start, cell_of(slot), s, m);
        }
    }

    /// Fixes the time origin of the buckets (otherwise the first sample's start), so that parts
    /// of one file aggregated apart share their bucket boundaries and can be merged.
    pub fn set_origin(&mut self, origin_ms: f64) {
        self.origin_ms = Some(origin_ms);
    }

    /// Records a failure flag given apart from the sample (k6 `http_req_failed`), used when the
    /// samples themselves do not say whether they failed.
    pub fn add_failure_flag(&mut self, name: Option<&str>, method: Option<&str>, failed: bool) {
        let acc = match name.and_then(|name| self.endpoint(name, method)) {
            Some(i) => &mut self.endpoints[i].2,
            None => &mut self.rest,
        };
        acc.flag_count += 1;
        acc.flag_errors += u64::from(failed);
    }

    fn add_to_bucket(&mut self, start: f64, cell: usize, s: &Sample, m: Measured) {
        let origin = *self.origin_ms.get_or_insert(start);
        let key = floor_i64((start - origin) / self.bucket_ms as f64);
        let mut new_key = false;
        let b = match &mut self.hot {
            Some((k, b)) if *k == key => b,
            _ => {
                self.settle();
                let b = self.buckets.remove(&key).unwrap_or_else(|| {
                    new_key = true;
                    BucketAcc::new()
                });
                &mut self.hot.insert((key, b)).1
            }
        };
        b.add(cell, s, m);
        // Only a new bucket can take the count over the cap.
        if new_key {
            self.fit_buckets();
        }
    }

    /// Puts the hot bucket back among the others; whatever looks at `buckets` calls this first.
    fn settle(&mut self) {
        if let Some((k, b)) = self.hot.take() {
            self.buckets.insert(k, b);
        }
    }

    /// Coarsens until the buckets fit the cap. The width reached is then the narrowest that fits
    /// every sample so far, whatever their order: parts of a file aggregated apart agree on it.
    fn fit_buckets(&mut self) {
        self.settle();
        // After 64 halvings every key is 0 or -1; the bound only matters for a cap below 2.
        for _ in 0..64 {
            if self.buckets.len() <= self.limits.max_buckets {
                break;
            }
            self.coarsen();
        }
    }

    /// Halves the number of buckets: floor(k / 2) merges neighbours, as if the width had been
    /// doubled from the start.
    fn coarsen(&mut self) {
        self.settle();
        self.bucket_ms = self.bucket_ms.saturating_mul(2);
        let old = std::mem::take(&mut self.buckets);
        for (k, b) in old {
            match self.buckets.entry(k.div_euclid(2)) {
                std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(b, None),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(b);
                }
            }
        }
    }

    /// The aggregated results, under the given format name.
    pub fn finish(mut self, format: &str) -> RunResults {
        self.settle();
        let mut overall = Acc::new(SIGFIG, self.per_ms);
        let max_codes = self.limits.max_status_codes;
        overall.absorb(&mut self.rest, max_codes);
        for (_, _, acc) in &mut self.endpoints {
            overall.absorb(acc, max_codes);
        }
        overall.hist.flush();
        let mut r = RunResults::new(format);
        r.overall = overall.stats();
        r.duration_s = overall.span_s();
        let mut order: Vec<usize> = (0..self.endpoints.len()).collect();
        order.sort_by(|&a, &b| {
            let (ea, eb) = (&self.endpoints[a], &self.endpoints[b]);
            (&ea.0, &ea.1).cmp(&(&eb.0, &eb.1))
        });
        // Where each endpoint's cell goes among the sorted endpoints (cell 0: the rest).
        let mut sorted_at = vec![0; self.endpoints.len()];
        for (pos, &i) in order.iter().enumerate() {
            sorted_at[i] = pos;
        }
        r.endpoints = order
            .iter()
            .map(|&i| {
                let (name, method, acc) = &mut self.endpoints[i];
                acc.hist.flush();
                EndpointResults {
                    name: name.clone(),
                    method: method.clone(),
                    stats: acc.stats(),
                }
            })
            .collect();
        let run_start = overall.first_start;
        let run_end = overall.last_end;
        let width = self.bucket_ms as f64;
        let mut buckets = std::mem::take(&mut self.buckets);
        // Samples are stamped when they start but written when they end, so a few early ones come
        // after the first line and land before the origin: they belong to the first bucket.
        if let Some(origin) = self.origin_ms
            && origin - run_start < width
        {
            let early: Vec<i64> = buckets.range(..0).map(|(k, _)| *k).collect();
            for k in early {
                if let Some(b) = buckets.remove(&k) {
                    match buckets.get_mut(&0) {
                        Some(first) => first.merge(b, None),
                        None => {
                            buckets.insert(0, b);
                        }
                    }
                }
            }
        }
        let first_key = buckets.keys().next().copied();
        let mut detail = SeriesDetail {
            per_ms: self.per_ms,
            buckets: Vec::with_capacity(buckets.len()),
        };
        if let Some(origin) = self.origin_ms {
            for (k, b) in buckets {
                let start = if Some(k) == first_key {
                    run_start
                } else {
                    origin + (k as f64) * width
                };
                let end = (origin + (k as f64 + 1.0) * width).min(run_end);
                let width_s = ((end - start) / 1000.0).max(0.0);
                let lat = if b.count > 0 {
                    let d = Distribution::from_hist(
                        &b.merged_hist(),
                        self.per_ms,
                        Some(b.min_ms),
                        Some(b.max_ms),
                    );
                    let q = |q: f64| d.point(q).map(round3);
                    Latency {
                        mean: Some(round3(mean_ms(b.sum_ns, b.count))),
                        min: Some(round3(b.min_ms)),
                        p50: q(0.50),
                        p90: q(0.90),
                        p95: q(0.95),
                        p99: q(0.99),
                        p999: None,
                        max: Some(round3(b.max_ms)),
                    }
                } else {
                    Latency::default()
                };
                r.timeseries.push(Bucket {
                    offset_s: round3((start - run_start) / 1000.0),
                    throughput_rps: (width_s > 0.0).then(|| round3(b.count as f64 / width_s)),
                    error_rate: (b.known > 0).then(|| b.errors as f64 / b.known as f64),
                    latency_ms: lat,
                    users: b.users_max,
                    memory_percent: None,
                });
                let cells = b
                    .cells
                    .into_iter()
                    .enumerate()
                    .filter(|(_, c)| c.count > 0)
                    .map(|(i, c)| Cell {
                        group: match i {
                            0 => Group::Other,
                            i => Group::Endpoint(sorted_at[i - 1]),
                        },
                        requests: c.count,
                        errors: c.errors,
                        known: c.known,
                        hist: Some(c.hist),
                    })
                    .collect();
                detail.buckets.push(BucketDetail { width_s, cells });
            }
        }
        if !detail.buckets.is_empty() {
            r.detail = Some(detail);
        }
        r.notes.push(format!(
            "percentiles from histograms: nearest rank, within 0.1 % overall and per endpoint, \
             within 1.6 % per {} s time bucket; counts, min, max and mean are exact",
            self.bucket_ms as f64 / 1000.0
        ));
        if self.dropped_endpoint_samples > 0 {
            r.notes.push(format!(
                "more than {} distinct endpoints: {} samples of further endpoints count only in \
                 the overall figures",
                self.limits.max_endpoints, self.dropped_endpoint_samples
            ));
        }
        if self.unnamed > 0 {
            r.notes.push(format!(
                "{} samples carried no endpoint name and count only in the overall figures",
                self.unnamed
            ));
        }
        if r.overall.errors.is_none() && r.overall.requests.unwrap_or(0) > 0 {
            r.notes
                .push("the file does not say which requests failed: error rate unknown".into());
        }
        r
    }
}

/// String equality without a library call: status codes are a few bytes long, and a call into
/// memcmp per sample showed in profiles.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests;
