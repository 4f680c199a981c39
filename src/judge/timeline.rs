//! The plan's stages laid over a run's time series. The run starts at its first sample (a
//! runner's start-up lag is not part of the plan), each time bucket belongs to the stage its
//! middle falls in, and what the plan had but the run never reached, or the run did after the
//! plan ended, is said rather than guessed at.

use serde::Serialize;

use crate::plan::{Scenario, StageKind};
use crate::results::RunResults;
use crate::units::round;

/// A run shorter than this share of the plan, or longer than its inverse, earns a note: was it
/// the scenario or the time scale it was judged as?
const FAR_OFF_PLAN: f64 = 0.5;

/// One stage of the plan on the run's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub name: String,
    pub kind: StageKind,
    /// Planned seconds from the start of the run.
    pub start_s: f64,
    pub end_s: f64,
    pub start_rps: f64,
    pub target_rps: f64,
    /// The run's buckets (indexes into `timeseries`) that belong to it.
    pub buckets: std::ops::Range<usize>,
    /// Seconds of the run the buckets cover.
    pub covered_s: f64,
}

impl Span {
    pub fn reached(&self) -> bool {
        !self.buckets.is_empty()
    }

    /// The planned request rate over the stage: the target of a hold, the mean of a ramp.
    pub fn planned_rps(&self) -> f64 {
        match self.kind {
            StageKind::Hold => self.target_rps,
            StageKind::Ramp => (self.start_rps + self.target_rps) / 2.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub spans: Vec<Span>,
    /// Buckets after the plan's end.
    pub after: std::ops::Range<usize>,
    pub planned_s: f64,
    pub run_s: f64,
    pub notes: Vec<String>,
}

impl Timeline {
    pub fn span(&self, name: &str) -> Option<&Span> {
        self.spans.iter().find(|s| s.name == name)
    }
}

/// Lays `scenario`'s stages over `results`' time series; `None` when the results have none.
pub fn place(scenario: &Scenario, results: &RunResults) -> Option<Timeline> {
    let series = &results.timeseries;
    if series.is_empty() {
        return None;
    }
    let widths = bucket_widths(results);
    let offsets = scenario.stage_offsets();
    let planned_s = scenario.total_duration_s as f64;
    let run_s = series
        .iter()
        .zip(&widths)
        .map(|(b, w)| b.offset_s + w)
        .fold(0.0, f64::max);
    let mid = |i: usize| series[i].offset_s + widths[i] / 2.0;
    let mut spans = Vec::with_capacity(scenario.stages.len());
    let mut next = 0;
    for (stage, start) in scenario.stages.iter().zip(offsets) {
        let start_s = start as f64;
        let end_s = start_s + stage.duration_s as f64;
        let first = next;
        while next < series.len() && mid(next) < end_s {
            next += 1;
        }
        spans.push(Span {
            name: stage.name.clone(),
            kind: stage.kind,
            start_s,
            end_s,
            start_rps: stage.start_rps,
            target_rps: stage.target_rps,
            buckets: first..next,
            covered_s: widths[first..next].iter().sum(),
        });
    }
    let mut notes = Vec::new();
    let never: Vec<&str> = spans
        .iter()
        .filter(|s| !s.reached())
        .map(|s| s.name.as_str())
        .collect();
    if !never.is_empty() {
        notes.push(format!(
            "the run ended after {} s of the plan's {} s: stage{} {} never reached",
            round(run_s, 1),
            planned_s,
            if never.len() == 1 { " was" } else { "s were" },
            never.join(", ")
        ));
    }
    let after = next..series.len();
    if !after.is_empty() {
        notes.push(format!(
            "the run went on {} s past the plan's {} s; those requests belong to no stage",
            round(run_s - planned_s, 1),
            planned_s
        ));
    }
    if planned_s > 0.0 && (run_s < planned_s * FAR_OFF_PLAN || run_s > planned_s / FAR_OFF_PLAN) {
        notes.push(format!(
            "the run lasted {} s against the {} s the plan's {} scenario takes: judged on what was run; check the scenario and the time scale",
            round(run_s, 1),
            planned_s,
            scenario.name
        ));
    }
    Some(Timeline {
        spans,
        after,
        planned_s,
        run_s: round(run_s, 3),
        notes,
    })
}

/// Each bucket's width in seconds: from the per-request cells when the reader kept them, else
/// the distance to the next bucket (the last one as wide as the one before it).
pub fn bucket_widths(results: &RunResults) -> Vec<f64> {
    let series = &results.timeseries;
    if let Some(d) = &results.detail
        && d.buckets.len() == series.len()
    {
        return d.buckets.iter().map(|b| b.width_s).collect();
    }
    let mut out: Vec<f64> = series
        .windows(2)
        .map(|w| (w[1].offset_s - w[0].offset_s).max(0.0))
        .collect();
    if !series.is_empty() {
        out.push(out.last().copied().unwrap_or(1.0));
    }
    out
}

/// The planned and achieved figures of one stage, for the run summary of every rendering.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageSummary {
    pub name: String,
    pub kind: StageKind,
    pub planned_start_s: f64,
    pub planned_duration_s: f64,
    pub planned_rps: f64,
    pub reached: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub achieved_rps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Stage, StageKind};
    use crate::results::Bucket;

    fn scenario(stages: &[(&str, u64)]) -> Scenario {
        let plan = crate::plan::generate(
            &crate::profile::load(
                "p.yaml",
                include_str!("../../fixtures/checkout-profile.yaml"),
            )
            .unwrap()
            .profile,
            &crate::plan::Defaults::default(),
        );
        let mut s = plan.scenarios[0].clone();
        s.stages = stages
            .iter()
            .map(|(n, d)| Stage {
                name: n.to_string(),
                kind: StageKind::Hold,
                duration_s: *d,
                start_rps: 5.0,
                target_rps: 5.0,
            })
            .collect();
        s.total_duration_s = stages.iter().map(|s| s.1).sum();
        s
    }

    fn run(seconds: usize) -> RunResults {
        let mut r = RunResults::new("t");
        r.timeseries = (0..seconds)
            .map(|i| Bucket {
                offset_s: i as f64,
                throughput_rps: Some(5.0),
                ..Bucket::default()
            })
            .collect();
        r
    }

    #[test]
    fn buckets_go_to_the_stage_their_middle_falls_in() {
        let t = place(&scenario(&[("ramp", 10), ("hold", 50)]), &run(60)).unwrap();
        assert_eq!(t.spans[0].buckets, 0..10);
        assert_eq!(t.spans[1].buckets, 10..60);
        assert_eq!(t.spans[1].covered_s, 50.0);
        assert!(t.notes.is_empty(), "{:?}", t.notes);
    }

    #[test]
    fn a_run_cut_short_names_the_stages_it_never_reached_and_a_long_one_its_extra() {
        let t = place(&scenario(&[("a", 10), ("b", 50), ("c", 30)]), &run(25)).unwrap();
        assert!(t.spans[2].buckets.is_empty());
        assert!(
            t.notes[0].contains("stage was c never reached")
                || t.notes[0].contains("c never reached"),
            "{:?}",
            t.notes
        );
        assert!(t.notes.iter().any(|n| n.contains("judged on what was run")));
        let t = place(&scenario(&[("a", 10)]), &run(15)).unwrap();
        assert_eq!(t.after, 10..15);
        assert!(t.notes[0].contains("past the plan"), "{:?}", t.notes);
    }
}
