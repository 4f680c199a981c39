//! The time buckets of a raw-sample run: each holds the run's figures for its stretch of time
//! and one cell per endpoint (plus one for samples of no kept endpoint) with a histogram, so the
//! judge can lay the plan's stages over the run and merge exactly the samples of each stage.

use crate::results::hist::Hist;

use super::{Measured, Sample, Slot};

/// Where a slot's cell sits in a bucket: 0 for samples of no kept endpoint, `i + 1` for
/// endpoint `i`.
#[inline]
pub(super) fn cell_of(slot: Slot) -> usize {
    match slot {
        Slot::Endpoint(i) => i + 1,
        Slot::Dropped | Slot::Unnamed => 0,
    }
}

#[derive(Default)]
pub(super) struct Cell {
    pub count: u64,
    pub errors: u64,
    /// Samples whose outcome the source stated.
    pub known: u64,
    pub hist: Hist,
}

impl Cell {
    fn absorb(&mut self, other: &Cell) {
        self.count += other.count;
        self.errors += other.errors;
        self.known += other.known;
        self.hist.merge(&other.hist);
    }
}

pub(super) struct BucketAcc {
    pub count: u64,
    pub errors: u64,
    pub known: u64,
    pub sum_ns: i128,
    pub min_ms: f64,
    pub max_ms: f64,
    pub users_max: Option<f64>,
    /// By `cell_of` the slot.
    pub cells: Vec<Cell>,
}

impl BucketAcc {
    pub fn new() -> Self {
        BucketAcc {
            count: 0,
            errors: 0,
            known: 0,
            sum_ns: 0,
            min_ms: f64::INFINITY,
            max_ms: f64::NEG_INFINITY,
            users_max: None,
            cells: Vec::new(),
        }
    }

    #[inline]
    pub fn add(&mut self, cell: usize, s: &Sample, m: Measured) {
        self.count += 1;
        if let Some(ok) = s.success {
            self.known += 1;
            self.errors += u64::from(!ok);
        }
        self.sum_ns = self.sum_ns.wrapping_add(m.ns);
        self.min_ms = self.min_ms.min(s.elapsed_ms);
        self.max_ms = self.max_ms.max(s.elapsed_ms);
        if let Some(u) = s.users {
            self.users_max = Some(self.users_max.map_or(u, |m: f64| m.max(u)));
        }
        if cell >= self.cells.len() {
            self.cells.resize_with(cell + 1, Cell::default);
        }
        let c = &mut self.cells[cell];
        c.count += 1;
        if let Some(ok) = s.success {
            c.known += 1;
            c.errors += u64::from(!ok);
        }
        c.hist.record(m.units);
    }

    /// Adds `other`, whose cell `j` is this bucket's cell `remap[j]` (the endpoints of two parts
    /// of a file are numbered in the order each part met them).
    pub fn merge(&mut self, other: BucketAcc, remap: Option<&[usize]>) {
        self.count += other.count;
        self.errors += other.errors;
        self.known += other.known;
        self.sum_ns = self.sum_ns.saturating_add(other.sum_ns);
        self.min_ms = self.min_ms.min(other.min_ms);
        self.max_ms = self.max_ms.max(other.max_ms);
        self.users_max = match (self.users_max, other.users_max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (j, cell) in other.cells.iter().enumerate() {
            if cell.count == 0 {
                continue;
            }
            let to = remap.map_or(j, |r| r.get(j).copied().unwrap_or(0));
            if to >= self.cells.len() {
                self.cells.resize_with(to + 1, Cell::default);
            }
            self.cells[to].absorb(cell);
        }
    }

    /// Every sample of the bucket in one histogram.
    pub fn merged_hist(&self) -> Hist {
        let mut h = Hist::default();
        for c in &self.cells {
            h.merge(&c.hist);
        }
        h
    }
}
