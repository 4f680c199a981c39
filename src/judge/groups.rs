//! The requests a check is judged on: the whole run, or exactly the samples of the stages it
//! names (the cells of those stages' buckets merged, never their percentiles averaged), for the
//! whole service or one endpoint.

use crate::results::{Distribution, Group as CellGroup, Latency, RunResults, Stats, hist::Hist};

use super::timeline::Timeline;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub requests: Option<u64>,
    /// Failed requests, when the source says which failed.
    pub errors: Option<u64>,
    /// The error rate a summary reports without its counts.
    pub error_rate: Option<f64>,
    pub distribution: Option<Distribution>,
    /// Point percentiles: the source's own for a whole run, read from `distribution` for stages.
    pub latency: Latency,
    pub throughput_rps: Option<f64>,
}

impl Group {
    /// A whole-run group from the reader's figures.
    pub fn whole(stats: &Stats) -> Group {
        Group {
            requests: stats.requests,
            errors: stats.errors,
            error_rate: stats.error_rate(),
            distribution: stats.distribution.clone(),
            latency: stats.latency_ms.clone(),
            throughput_rps: stats.throughput_rps,
        }
    }

    /// Several whole-run groups as one (two runner names for one profile endpoint).
    pub fn combine(parts: &[Group]) -> Option<Group> {
        match parts {
            [] => None,
            [one] => Some(one.clone()),
            _ => {
                let sum = |f: fn(&Group) -> Option<u64>| {
                    parts.iter().map(f).try_fold(0u64, |a, v| v.map(|v| a + v))
                };
                let requests = sum(|g| g.requests);
                let errors = sum(|g| g.errors);
                let distribution = parts
                    .iter()
                    .map(|g| g.distribution.clone())
                    .try_fold(Distribution::default(), |a, d| d.map(|d| a.merged(&d)));
                Some(Group {
                    requests,
                    errors,
                    error_rate: match (errors, requests) {
                        (Some(e), Some(n)) if n > 0 => Some(e as f64 / n as f64),
                        _ => None,
                    },
                    latency: distribution.as_ref().map(points).unwrap_or_default(),
                    distribution,
                    throughput_rps: parts
                        .iter()
                        .map(|g| g.throughput_rps)
                        .try_fold(0.0, |a, v| v.map(|v| a + v)),
                })
            }
        }
    }

    pub fn error_rate(&self) -> Option<f64> {
        match (self.errors, self.requests) {
            (Some(e), Some(n)) if n > 0 => Some(e as f64 / n as f64),
            _ => self.error_rate,
        }
    }
}

/// Nearest-rank percentiles read from a distribution.
fn points(d: &Distribution) -> Latency {
    let q = |q: f64| d.point(q).map(|v| crate::units::round(v, 3));
    Latency {
        p50: q(0.5),
        p90: q(0.9),
        p95: q(0.95),
        p99: q(0.99),
        p999: q(0.999),
        min: d.bins().first().map(|b| b.lo_ms),
        max: d.bins().last().map(|b| b.hi_ms),
        mean: None,
    }
}

/// Which of the run's requests a check covers.
#[derive(Debug, Clone, Copy)]
pub enum Members<'a> {
    All,
    /// These indexes of `RunResults::endpoints`.
    Endpoints(&'a [usize]),
}

/// The samples of the named stages, for `members`; `None` when the results carry no per-request
/// cells to merge (a summary's time series), when no named stage is on the timeline, or when
/// none of its buckets holds a request of `members`.
pub fn of_stages(
    results: &RunResults,
    timeline: &Timeline,
    stages: &[String],
    members: Members,
) -> Option<Group> {
    let detail = results.detail.as_ref()?;
    let mut requests = 0u64;
    let mut errors = 0u64;
    let mut known = 0u64;
    let mut covered = 0.0;
    let mut hist = Hist::default();
    let mut all_hist = true;
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut any_span = false;
    for name in stages {
        let Some(span) = timeline.span(name) else {
            continue;
        };
        any_span = true;
        covered += span.covered_s;
        for bucket in detail.buckets.get(span.buckets.clone()).unwrap_or(&[]) {
            for cell in &bucket.cells {
                let member = match (members, cell.group) {
                    (Members::All, _) => true,
                    (Members::Endpoints(ix), CellGroup::Endpoint(i)) => ix.contains(&i),
                    (Members::Endpoints(_), CellGroup::Other) => false,
                };
                if !member {
                    continue;
                }
                requests += cell.requests;
                errors += cell.errors;
                known += cell.known;
                match &cell.hist {
                    Some(h) => hist.merge(h),
                    None => all_hist = false,
                }
            }
        }
        for i in span.buckets.clone() {
            if let Some(b) = results.timeseries.get(i)
                && matches!(members, Members::All)
            {
                min = b.latency_ms.min.map_or(min, |m| min.min(m));
                max = b.latency_ms.max.map_or(max, |m| max.max(m));
            }
        }
    }
    if !any_span {
        return None;
    }
    let distribution = (all_hist && !hist.is_empty()).then(|| {
        Distribution::from_hist(
            &hist,
            detail.per_ms,
            min.is_finite().then_some(min),
            max.is_finite().then_some(max),
        )
    });
    Some(Group {
        requests: Some(requests),
        // Every outcome known, or none: a partial count would understate the rate.
        errors: (known == requests).then_some(errors),
        error_rate: (known > 0).then(|| errors as f64 / known as f64),
        latency: distribution.as_ref().map(points).unwrap_or_default(),
        distribution,
        throughput_rps: (covered > 0.0).then(|| requests as f64 / covered),
    })
}

/// The achieved request rate over the named stages from the series alone (for sources whose
/// time series has rates but no per-request cells).
pub fn rate_of_stages(results: &RunResults, timeline: &Timeline, stages: &[String]) -> Option<f64> {
    let widths = super::timeline::bucket_widths(results);
    let (mut total, mut covered) = (0.0, 0.0);
    for name in stages {
        let span = timeline.span(name)?;
        for i in span.buckets.clone() {
            let (b, w) = (results.timeseries.get(i)?, widths.get(i)?);
            total += b.throughput_rps? * w;
            covered += w;
        }
    }
    (covered > 0.0).then(|| total / covered)
}
