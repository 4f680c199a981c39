//! One check held against the requests it covers: the observed value, its confidence interval
//! where the data allow one, and the status the interval gives — pass when all of it meets the
//! objective, fail when all of it breaks it, inconclusive when it straddles the objective.

use serde::Serialize;

use super::groups::Group;
use super::{Settings, Status};
use crate::confidence::{self as interval, Interval};
use crate::plan::Comparator;
use crate::units::round;

/// A confidence interval as reported: a missing side means no bound exists at this confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bounds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lo: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hi: Option<f64>,
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub metric: String,
    /// `overall` or the endpoint (`POST /cart/submit`).
    pub scope: String,
    pub comparator: Comparator,
    pub threshold: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<f64>,
    /// Where the true value lies with the stated confidence; absent when the source gives no
    /// distribution to compute it from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Bounds>,
    /// Requests the check was judged on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// The stages judged; empty for the whole run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    /// How far the observation is inside (+) or outside (−) the threshold, in the metric's unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// The margin as a percentage of the threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_pct: Option<f64>,
    pub status: Status,
    /// For an inconclusive check: roughly how many requests, at the observed behaviour, would
    /// decide it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_needed: Option<u64>,
    /// The profile or plan field the threshold comes from.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CheckResult {
    pub fn new(
        id: &str,
        metric: &str,
        scope: &str,
        comparator: Comparator,
        threshold: f64,
    ) -> Self {
        CheckResult {
            id: id.to_string(),
            metric: metric.to_string(),
            scope: scope.to_string(),
            comparator,
            threshold,
            observed: None,
            interval: None,
            requests: None,
            stages: Vec::new(),
            margin: None,
            margin_pct: None,
            status: Status::NotEvaluated,
            requests_needed: None,
            source: String::new(),
            note: None,
        }
    }

    fn observe(&mut self, v: f64) {
        self.observed = Some(round(v, 6));
        let margin = match self.comparator {
            Comparator::AtMost => self.threshold - v,
            Comparator::AtLeast => v - self.threshold,
        };
        self.margin = Some(round(margin, 6));
        self.margin_pct = (self.threshold > 0.0).then(|| round(margin / self.threshold * 100.0, 1));
    }

    pub(super) fn note(&mut self, n: impl Into<String>) {
        let n = n.into();
        self.note = Some(match self.note.take() {
            Some(old) => format!("{old}; {n}"),
            None => n,
        });
    }
}

/// The quantile a `latency_pXX_ms` metric names (`latency_p99_9_ms` → 0.999).
pub fn quantile_of(metric: &str) -> Option<f64> {
    let p = metric.strip_prefix("latency_p")?.strip_suffix("_ms")?;
    let v: f64 = p.replace('_', ".").parse().ok()?;
    // Rounded, so that 99.9 / 100 compares equal to 0.999.
    (v > 0.0 && v < 100.0).then_some((v * 1e4).round() / 1e6)
}

/// Judges an `observed <= threshold` latency percentile or error rate on `g`.
pub fn slo(c: &mut CheckResult, g: &Group, s: &Settings) {
    c.requests = g.requests;
    let conf = s.confidence;
    if let Some(q) = quantile_of(&c.metric) {
        let reported = crate::profile::Percentile::ALL
            .into_iter()
            .find(|p| (p.value() / 100.0 - q).abs() < 1e-9)
            .map(|p| g.latency.percentile(p));
        let point = match reported {
            Some(v) => v,
            None => g.distribution.as_ref().and_then(|d| d.point(q)),
        };
        let Some(point) = point else {
            c.note(format!("{} not reported by these results", key(q)));
            return;
        };
        c.observe(point);
        match &g.distribution {
            Some(d) if d.total() > 0 => {
                let i = interval::percentile(d, q, conf);
                let share = d.share_at_or_below(c.threshold);
                decide(c, i, s, || interval::needed_for_percentile(share, q, conf));
            }
            _ => {
                let fewest = interval::fewest_for_upper_bound(q, conf);
                match g.requests {
                    Some(n) if n < fewest => {
                        c.status = Status::Inconclusive;
                        c.requests_needed = Some(fewest);
                        c.note(format!(
                            "{n} requests cannot bound {} at {}: even with every latency known, {fewest} are needed",
                            key(q),
                            pct(conf)
                        ));
                    }
                    _ => {
                        point_status(c, s);
                        c.note("no interval: the file reports the percentile, not the latencies behind it");
                    }
                }
            }
        }
        return;
    }
    // The error rate.
    match (g.errors, g.requests) {
        (Some(e), Some(n)) if n > 0 => {
            c.observe(e as f64 / n as f64);
            let i = interval::proportion(e, n, conf);
            let p = e as f64 / n as f64;
            let t = c.threshold;
            decide(c, i, s, || interval::needed_for_proportion(p, t, conf));
        }
        _ => match g.error_rate() {
            Some(r) => {
                c.observe(r);
                point_status(c, s);
                c.note("no interval: the file reports the rate, not the requests and failures behind it");
            }
            None => c.note("error rate not reported by these results"),
        },
    }
}

fn key(q: f64) -> String {
    format!("p{}", round(q * 100.0, 1))
}

fn pct(conf: f64) -> String {
    format!("{} % confidence", round(conf * 100.0, 1))
}

/// The status an interval gives an `observed <= threshold` objective.
fn decide(c: &mut CheckResult, i: Interval, s: &Settings, needed: impl Fn() -> Option<u64>) {
    c.interval = Some(Bounds {
        lo: i.lo.map(|v| round(v, 6)),
        hi: i.hi.map(|v| round(v, 6)),
        confidence: s.confidence,
    });
    let t = c.threshold;
    if i.hi.is_some_and(|hi| hi <= t) {
        c.status = if c.observed.is_some_and(|o| o >= t * (1.0 - s.warn_band)) && t > 0.0 {
            Status::Warn
        } else {
            Status::Pass
        };
    } else if i.lo.is_some_and(|lo| lo > t) {
        c.status = Status::Fail;
    } else {
        c.status = Status::Inconclusive;
        c.requests_needed = needed();
        c.note(match (i.hi, c.requests_needed) {
            (None, Some(n)) => format!(
                "too few requests to bound it from above at {}; about {n} would decide it",
                pct(s.confidence)
            ),
            (_, Some(n)) => format!(
                "the interval straddles the objective; about {n} requests at this behaviour would decide it"
            ),
            (_, None) => "the observed value sits on the objective; no run length decides it".into(),
        });
    }
}

/// The status of a point value with no interval: over the objective fails, within the warn band
/// warns.
fn point_status(c: &mut CheckResult, s: &Settings) {
    let (Some(o), t) = (c.observed, c.threshold) else {
        return;
    };
    let broken = match c.comparator {
        Comparator::AtMost => o > t,
        Comparator::AtLeast => o < t,
    };
    c.status = if broken {
        Status::Fail
    } else if c.comparator == Comparator::AtMost && t > 0.0 && o >= t * (1.0 - s.warn_band) {
        Status::Warn
    } else {
        Status::Pass
    };
}

/// Judges a value the judge derived itself (a recovery time, a drift slope): a point, no
/// interval. `None` leaves the check not evaluated, with `why`.
pub fn derived(c: &mut CheckResult, v: Option<f64>, s: &Settings, why: &str) {
    match v {
        Some(v) => {
            c.observe(v);
            point_status(c, s);
        }
        None => c.note(why),
    }
}

/// Judges achieved throughput against a planned rate: short of the check's threshold it warns,
/// and below `min_load_share` of the plan the load was not applied, which no verdict can rest on.
pub fn throughput(c: &mut CheckResult, achieved: Option<f64>, planned: f64, s: &Settings) {
    let Some(a) = achieved else {
        c.note("the results give no request rate for this stage");
        return;
    };
    c.observe(a);
    c.status = if a >= c.threshold {
        Status::Pass
    } else if a >= planned * s.min_load_share {
        c.note(format!(
            "the load fell short of the plan: {} of {} requests/s",
            round(a, 2),
            round(planned, 2)
        ));
        Status::Warn
    } else {
        c.note(format!(
            "the planned load was not applied: {} of {} requests/s ({} %)",
            round(a, 2),
            round(planned, 2),
            round(a / planned * 100.0, 1)
        ));
        Status::Inconclusive
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Distribution, hist::Hist};

    fn group(latencies_ms: &[u64], errors: u64) -> Group {
        let mut h = Hist::default();
        for v in latencies_ms {
            h.record(*v);
        }
        let d = Distribution::from_hist(&h, 1.0, None, None);
        Group {
            requests: Some(latencies_ms.len() as u64),
            errors: Some(errors),
            latency: crate::results::Latency {
                p95: d.point(0.95),
                p99: d.point(0.99),
                ..Default::default()
            },
            distribution: Some(d),
            ..Group::default()
        }
    }

    fn check(metric: &str, threshold: f64) -> CheckResult {
        CheckResult::new("c", metric, "overall", Comparator::AtMost, threshold)
    }

    #[test]
    fn quantiles_come_from_metric_names() {
        assert_eq!(quantile_of("latency_p95_ms"), Some(0.95));
        assert_eq!(quantile_of("latency_p99_9_ms"), Some(0.999));
        assert_eq!(quantile_of("error_rate"), None);
    }

    #[test]
    fn a_smoke_sized_healthy_run_passes_and_a_borderline_one_is_inconclusive() {
        let s = Settings::default();
        // 300 requests between 5 and 34 ms against 400 ms.
        let fast: Vec<u64> = (0..300).map(|i| 5 + i % 30).collect();
        let mut c = check("latency_p95_ms", 400.0);
        slo(&mut c, &group(&fast, 0), &s);
        assert_eq!(c.status, Status::Pass, "{c:?}");
        // p95 within a few percent of its objective on 200 requests.
        let close: Vec<u64> = (0..200).map(|i| 300 + i / 2).collect(); // 300..399
        let mut c = check("latency_p95_ms", 392.0);
        slo(&mut c, &group(&close, 0), &s);
        assert_eq!(c.status, Status::Inconclusive, "{c:?}");
        assert!(c.requests_needed.is_some_and(|n| n > 200), "{c:?}");
        assert!(c.note.as_deref().unwrap().contains("would decide it"));
    }

    #[test]
    fn the_issues_error_rate_example_is_inconclusive_not_a_certain_fail() {
        let s = Settings::default();
        let lat: Vec<u64> = vec![10; 325];
        let mut c = check("error_rate", 0.005);
        slo(&mut c, &group(&lat, 3), &s);
        assert_eq!(c.status, Status::Inconclusive, "{c:?}");
        let mut c = check("error_rate", 0.005);
        slo(&mut c, &group(&lat, 30), &s);
        assert_eq!(c.status, Status::Fail, "{c:?}");
    }

    #[test]
    fn without_a_distribution_the_point_is_judged_unless_no_interval_could_ever_exist() {
        let s = Settings::default();
        let g = Group {
            requests: Some(100),
            latency: crate::results::Latency {
                p99: Some(80.0),
                p95: Some(60.0),
                ..Default::default()
            },
            ..Group::default()
        };
        let mut c = check("latency_p99_ms", 200.0);
        slo(&mut c, &g, &s);
        assert_eq!(c.status, Status::Inconclusive);
        assert_eq!(c.requests_needed, Some(368));
        let mut c = check("latency_p95_ms", 200.0);
        slo(&mut c, &g, &s);
        assert_eq!(c.status, Status::Pass);
        assert!(c.note.as_deref().unwrap().starts_with("no interval"));
    }
}
