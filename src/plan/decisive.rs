//! How long a stage must last for a healthy run of it to decide its checks: a percentile needs
//! enough samples for its confidence interval to have an upper bound, an error rate enough for a
//! run with no failure to clear its objective. The smoke scenario is sized with it, and a
//! rehearsal never shortens a stage below it.

use super::{Check, Scenario};
use crate::confidence;

/// The confidence plans are sized for: the judge's default.
pub const CONFIDENCE: f64 = 0.95;

/// A healthy run is not a perfect one: the stage is planned for this many times the samples a
/// flawless run would need, so a few slow requests or a rate a little short still decide.
const MARGIN: f64 = 1.5;

/// The samples a run with every latency far below the objective and no failure needs to decide
/// `c`; `None` for checks that samples do not decide (throughput, drift, recovery).
pub fn samples_for(c: &Check) -> Option<u64> {
    if let Some(q) = quantile(&c.metric) {
        return Some(confidence::fewest_for_upper_bound(q, CONFIDENCE));
    }
    (c.metric == "error_rate")
        .then(|| confidence::needed_for_proportion(0.0, c.threshold, CONFIDENCE))
        .flatten()
}

fn quantile(metric: &str) -> Option<f64> {
    let p = metric.strip_prefix("latency_p")?.strip_suffix("_ms")?;
    let v: f64 = p.replace('_', ".").parse().ok()?;
    (v > 0.0 && v < 100.0).then_some((v * 1e4).round() / 1e6)
}

/// Seconds hold stage `stage` of `s` must last, at its planned rate and each endpoint's share
/// of it, for its checks to be decided by a healthy run (with a margin); 0 for a ramp (checks
/// that span ramps get their samples from the holds beside them) or when no check needs samples.
pub fn stage_floor_s(s: &Scenario, stage: &str) -> u64 {
    let Some(st) = s.stages.iter().find(|st| st.name == stage) else {
        return 0;
    };
    let rate = st.target_rps;
    if st.kind != super::StageKind::Hold || rate <= 0.0 {
        return 0;
    }
    s.checks
        .iter()
        .filter(|c| c.stages.iter().any(|n| n == stage))
        .filter_map(|c| {
            let n = samples_for(c)? as f64;
            let share = match &c.endpoint {
                None => 1.0,
                Some(e) => s
                    .endpoint_rates
                    .iter()
                    .find(|r| &r.endpoint == e)
                    .map_or(1.0, |r| r.share),
            };
            (share > 0.0).then(|| (MARGIN * n / (rate * share)).ceil() as u64)
        })
        .max()
        .unwrap_or(0)
}
