//! Rehearsal runs: a scenario with every stage shortened by one factor and its rates unchanged, so
//! a tester can try a twelve-minute scenario in about two before running it for real. Pure: the
//! exporter scales before writing a script, the judge scales the same way to judge that run.

use super::{Plan, Scenario};

/// No stage (nor an abort condition's sustained time) is scaled below this many seconds: the judge
/// reads time series in 10-second buckets and Locust reports percentiles over a 10-second window,
/// so a shorter stage could not be told apart in the results. A stage already shorter keeps its
/// length: scaling never lengthens anything.
pub const STAGE_FLOOR_S: u64 = 10;

/// Steps per unit of factor: factors are rounded to a hundredth of a percent, so the file-name
/// token (`scale2p5pct`) gives back exactly the factor the stages were scaled by.
const STEPS: f64 = 10_000.0;

/// `factor` to the nearest step (dividing by an exact integer gives the double nearest n / 10000,
/// the same value the literal `0.1` is).
fn to_step(factor: f64) -> f64 {
    (factor * STEPS).round() / STEPS
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScaleError {
    #[error(
        "must be a number above 0 and at most 1 (0.1 runs every stage at a tenth of its length), got {0}"
    )]
    OutOfRange(String),
}

/// Checks a time-scale factor and rounds it to a hundredth of a percent.
pub fn check_factor(factor: f64) -> Result<f64, ScaleError> {
    let rounded = to_step(factor);
    if factor.is_finite() && factor <= 1.0 && rounded > 0.0 {
        Ok(rounded)
    } else {
        Err(ScaleError::OutOfRange(format!("{factor}")))
    }
}

/// A stage length scaled: proportional, rounded to whole seconds, at least `floor_s` unless the
/// stage was shorter to begin with.
fn scaled_s(d: u64, factor: f64, floor_s: u64) -> u64 {
    if d <= floor_s {
        return d;
    }
    ((d as f64 * factor).round() as u64).clamp(floor_s, d)
}

/// The scenario with every stage, and every abort condition's sustained time, shortened by
/// `factor` (see `scaled_s`); rates, checks and thresholds unchanged. A factor of 1 (or one
/// outside (0, 1]) gives the scenario back as it is. Scaling a scaled scenario scales its
/// already-scaled stages, and `time_scale` records the product.
pub fn time_scaled(scenario: &Scenario, factor: f64, floor_s: u64) -> Scenario {
    let mut s = scenario.clone();
    if !(factor > 0.0 && factor < 1.0) {
        return s;
    }
    for st in &mut s.stages {
        // A stage with checks keeps what a healthy run needs to decide them.
        let floor = floor_s.max(super::decisive::stage_floor_s(scenario, &st.name));
        st.duration_s = scaled_s(st.duration_s, factor, floor);
    }
    for a in &mut s.abort_conditions {
        a.sustained_s = scaled_s(a.sustained_s, factor, floor_s);
    }
    s.total_duration_s = s.stages.iter().map(|st| st.duration_s).sum();
    let total = scenario.time_scale.unwrap_or(1.0) * factor;
    s.time_scale = Some(to_step(total));
    s.purpose = format!(
        "{} Rehearsal: stages at {} % of their planned length (at least {floor_s} s each, and holds long enough for a healthy run to decide their checks), rates as planned.",
        scenario.purpose,
        percent(total)
    );
    s
}

impl Plan {
    /// The plan with every scenario time-scaled (`time_scaled` with `STAGE_FLOOR_S`).
    pub fn time_scaled(&self, factor: f64) -> Plan {
        let mut p = self.clone();
        p.scenarios = self
            .scenarios
            .iter()
            .map(|s| time_scaled(s, factor, STAGE_FLOOR_S))
            .collect();
        p
    }
}

/// The factor as a percentage, to a hundredth: `10`, `2.5`, `0.01`.
fn percent(factor: f64) -> String {
    let p = (factor * 100.0 * 100.0).round() / 100.0;
    let s = format!("{p:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The file-name token of a scaled run: `scale10pct` for 0.1, `scale2p5pct` for 0.025 (the
/// decimal point written `p`, so the token is one word to a file-name matcher).
pub fn scale_token(factor: f64) -> String {
    format!("scale{}pct", percent(factor).replace('.', "p"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Defaults, generate};
    use crate::profile;

    fn steady() -> Scenario {
        let text = std::fs::read_to_string("fixtures/checkout-profile.yaml").unwrap();
        let p = profile::load("c.yaml", &text).unwrap().profile;
        let plan = generate(&p, &Defaults::default());
        plan.scenarios
            .into_iter()
            .find(|s| s.name == "steady")
            .unwrap()
    }

    #[test]
    fn stages_shrink_proportionally_with_a_floor_and_rates_stay() {
        let s = steady();
        let r = time_scaled(&s, 0.1, STAGE_FLOOR_S);
        let lengths: Vec<u64> = r.stages.iter().map(|st| st.duration_s).collect();
        // 60, 120, 300, 180, 900, 60 s: a tenth each, but never under 10 s.
        assert_eq!(lengths, [10, 12, 30, 18, 90, 10]);
        assert_eq!(r.total_duration_s, 170);
        for (a, b) in s.stages.iter().zip(&r.stages) {
            assert_eq!((a.start_rps, a.target_rps), (b.start_rps, b.target_rps));
            assert_eq!(a.name, b.name);
        }
        assert_eq!(r.checks, s.checks);
        assert_eq!(r.abort_conditions[0].sustained_s, 10);
        assert_eq!(r.time_scale, Some(0.1));
        assert!(r.purpose.ends_with("Rehearsal: stages at 10 % of their planned length (at least 10 s each, and holds long enough for a healthy run to decide their checks), rates as planned."));
    }

    #[test]
    fn short_stages_are_never_lengthened_and_one_changes_nothing() {
        assert_eq!(scaled_s(5, 0.1, 10), 5);
        assert_eq!(scaled_s(10, 0.1, 10), 10);
        assert_eq!(scaled_s(11, 0.1, 10), 10);
        assert_eq!(scaled_s(900, 0.5, 10), 450);
        let s = steady();
        assert_eq!(time_scaled(&s, 1.0, STAGE_FLOOR_S), s);
    }

    #[test]
    fn factors_are_checked_and_rounded() {
        assert_eq!(check_factor(0.1), Ok(0.1));
        assert_eq!(check_factor(1.0), Ok(1.0));
        assert_eq!(check_factor(0.123456), Ok(0.1235));
        for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY, 0.00001] {
            assert!(check_factor(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_factor(2.0).unwrap_err().to_string(),
            "must be a number above 0 and at most 1 (0.1 runs every stage at a tenth of its length), got 2"
        );
    }

    #[test]
    fn tokens_name_the_percentage() {
        assert_eq!(scale_token(0.1), "scale10pct");
        assert_eq!(scale_token(0.025), "scale2p5pct");
        assert_eq!(scale_token(0.0001), "scale0p01pct");
        assert_eq!(scale_token(0.5), "scale50pct");
        assert_eq!(scale_token(0.3333), "scale33p33pct");
    }

    #[test]
    fn scaling_twice_records_the_product() {
        let s = steady();
        let twice = time_scaled(&time_scaled(&s, 0.5, 10), 0.2, 10);
        assert_eq!(twice.time_scale, Some(0.1));
    }
}
