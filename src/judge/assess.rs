//! The judgement pipeline: which checks apply (a scenario's, from its plan, or the profile's SLOs
//! over the whole run), which requests each covers (its stages on the run's timeline, its
//! endpoint), the status each interval gives, the findings, and the verdict.

use super::check::{self, CheckResult};
use super::groups::{self, Group, Members};
use super::timeline::{self, StageSummary, Timeline};
use super::{
    ASSESSMENT_SCHEMA, Assessment, Issue, IssueSeverity, RunSummary, ScenarioRef, Settings, Status,
    baseline, count, from_slo, inconclusive_reasons, match_endpoint, narrative, obvious,
    scenario_stages, stages, verdict,
};
use crate::plan::{Check, Comparator, Scenario, StageKind};
use crate::profile::ServiceProfile;
use crate::results::RunResults;
use crate::units::round;

/// Holds `results` against the SLOs of `profile`, over the whole run.
pub fn assess(profile: &ServiceProfile, results: &RunResults, s: &Settings) -> Assessment {
    assess_scenario(profile, None, results, None, s)
}

/// As `assess`, and compares the run with `baseline` (an earlier run of the same service).
pub fn assess_with_baseline(
    profile: &ServiceProfile,
    results: &RunResults,
    baseline: Option<&RunResults>,
    s: &Settings,
) -> Assessment {
    assess_scenario(profile, None, results, baseline, s)
}

/// Judges `results` as a run of `scenario` (already time-scaled for a rehearsal): each of the
/// scenario's checks on the stages it names, the load from the hold stages, the scenario's own
/// analysis (a stress run's knee, a burst's recovery, a soak's drift). Without a scenario, the
/// profile's SLOs over the whole run.
pub fn assess_scenario(
    profile: &ServiceProfile,
    scenario: Option<(&Scenario, ScenarioRef)>,
    results: &RunResults,
    baseline_run: Option<&RunResults>,
    s: &Settings,
) -> Assessment {
    let (scenario, scenario_ref) = match scenario {
        Some((sc, r)) => (Some(sc), Some(r)),
        None => (None, None),
    };
    let mut issues = Vec::new();
    let mut notes = Vec::new();
    // Which profile endpoint each runner endpoint is.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); profile.endpoints.len()];
    let mut unmatched = Vec::new();
    for (i, r) in results.endpoints.iter().enumerate() {
        match match_endpoint(&profile.endpoints, r) {
            Some(p) => members[p].push(i),
            None => unmatched.push(r.name.clone()),
        }
    }
    let timeline = scenario.and_then(|sc| timeline::place(sc, results));
    if let Some(t) = &timeline {
        notes.extend(t.notes.iter().cloned());
    }
    let plan_checks = match scenario {
        Some(sc) => sc.checks.clone(),
        None => whole_profile_checks(profile, &members),
    };
    if let Some(sc) = scenario {
        if timeline.is_none() {
            notes.push(format!(
                "these results carry no time series, so the {} scenario's stages could not be placed on the run: every check was judged on the whole run",
                sc.name
            ));
        } else if results.detail.is_none() {
            notes.push(
                "these results' time series has rates but not each request: latency and error checks were judged on the whole run, the load stage by stage"
                    .into(),
            );
        }
    }
    let analysis = match (scenario, &timeline) {
        (Some(sc), Some(t)) => {
            scenario_stages::for_scenario(profile, sc, t, results, s, &mut issues)
        }
        (Some(_), None) => None,
        (None, _) => stages::analyse(profile, &results.timeseries, s, &mut issues),
    };
    let mut checks = Vec::with_capacity(plan_checks.len());
    for c in &plan_checks {
        checks.push(judge_check(
            c,
            profile,
            results,
            &members,
            timeline.as_ref(),
            analysis.as_ref(),
            s,
        ));
    }
    for (i, e) in profile.endpoints.iter().enumerate() {
        let checked = plan_checks
            .iter()
            .any(|c| c.endpoint.as_deref() == Some(&e.label()));
        if e.critical && checked && members[i].is_empty() && !results.endpoints.is_empty() {
            issues.push(Issue {
                kind: "critical-endpoint-missing".into(),
                severity: IssueSeverity::Critical,
                message: format!(
                    "critical endpoint {} has no results: the run did not exercise it, or the runner named it differently (names seen: {})",
                    e.label(),
                    results.endpoints.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    if !unmatched.is_empty() {
        issues.push(Issue {
            kind: "unmatched-endpoints".into(),
            severity: IssueSeverity::Info,
            message: format!(
                "results name endpoints the profile does not list: {} (set an endpoint's `name` to the runner's label to match them)",
                unmatched.join(", ")
            ),
        });
    }
    let unreported: Vec<&str> = checks
        .iter()
        .filter(|c| c.status == Status::NotEvaluated && from_slo(c))
        .map(|c| c.id.as_str())
        .collect();
    if !unreported.is_empty() {
        issues.push(Issue {
            kind: "objective-not-reported".into(),
            severity: IssueSeverity::Warning,
            message: format!(
                "{} not reported by these results, so the run cannot pass on {}: {}",
                if unreported.len() == 1 {
                    "1 objective is".to_string()
                } else {
                    format!("{} objectives are", unreported.len())
                },
                if unreported.len() == 1 { "it" } else { "them" },
                unreported.join(", ")
            ),
        });
    }
    for n in results
        .notes
        .iter()
        .filter(|n| n.starts_with("ignored unknown field"))
    {
        issues.push(Issue {
            kind: "unknown-field".into(),
            severity: IssueSeverity::Warning,
            message: format!("the results file has a field perfassist does not read: {n}"),
        });
    }
    obvious::obvious_issues(
        &mut issues,
        profile,
        results,
        scenario,
        timeline.as_ref(),
        s,
    );
    let baseline_cmp = baseline_run.map(|b| baseline::compare(profile, results, b, s, &mut issues));
    let run = summary(results, scenario, timeline.as_ref());
    let counts = count(&checks);
    let verdict = verdict(&checks, &issues);
    let inconclusive_reasons = if verdict == super::Verdict::Inconclusive {
        inconclusive_reasons(&checks, &issues)
    } else {
        Vec::new()
    };
    let error_budget_used_pct = match (results.overall.error_rate(), profile.slo.error_rate) {
        (Some(obs), Some(budget)) if budget > 0.0 => Some(round(obs / budget * 100.0, 1)),
        _ => None,
    };
    let mut a = Assessment {
        schema: ASSESSMENT_SCHEMA,
        service: profile.service.clone(),
        scenario: scenario_ref,
        results_format: results.format.clone(),
        verdict,
        confidence: s.confidence,
        counts,
        run,
        error_budget_used_pct,
        inconclusive_reasons,
        checks,
        issues,
        unmatched_endpoints: unmatched,
        stages: analysis,
        baseline: baseline_cmp,
        notes,
        narrative: Vec::new(),
    };
    a.narrative = narrative::write(&a, profile);
    a
}

/// The profile's SLOs as checks over the whole run: the service's, and, as in the plan's
/// scenarios, those of each endpoint that must meet them on its own: the critical ones, and any
/// with objectives of its own (a non-critical endpoint's misses are warnings). A critical
/// endpoint that only inherits the service's objectives is not checked apart when the results
/// break down no endpoint at all: the service's checks already hold those objectives.
fn whole_profile_checks(profile: &ServiceProfile, members: &[Vec<usize>]) -> Vec<Check> {
    let mut out = Vec::new();
    let mut push = |slo: &crate::profile::Slo, src: &str, endpoint: Option<String>| {
        let suffix = endpoint
            .as_ref()
            .map(|e| format!("[{e}]"))
            .unwrap_or_default();
        for (p, v) in slo.latency_ms.iter() {
            out.push(Check {
                id: format!("latency_{}{suffix}", p.key()),
                metric: format!("latency_{}_ms", p.key().replace('.', "_")),
                comparator: Comparator::AtMost,
                threshold: v,
                source: format!("{src}.latency_ms.{}", p.key()),
                endpoint: endpoint.clone(),
                stages: Vec::new(),
            });
        }
        if let Some(e) = slo.error_rate {
            out.push(Check {
                id: format!("error_rate{suffix}"),
                metric: "error_rate".into(),
                comparator: Comparator::AtMost,
                threshold: e,
                source: format!("{src}.error_rate"),
                endpoint: endpoint.clone(),
                stages: Vec::new(),
            });
        }
    };
    push(&profile.slo, "slo", None);
    for (i, e) in profile.endpoints.iter().enumerate() {
        if !e.critical && e.slo.is_none() {
            continue;
        }
        if members[i].is_empty() && e.slo.is_none() && members.iter().all(Vec::is_empty) {
            continue;
        }
        let src = if e.slo.is_some() {
            format!("endpoints[{i}].slo")
        } else {
            "slo".to_string()
        };
        push(&e.effective_slo(&profile.slo), &src, Some(e.label()));
    }
    out
}

fn judge_check(
    c: &Check,
    profile: &ServiceProfile,
    results: &RunResults,
    members: &[Vec<usize>],
    timeline: Option<&Timeline>,
    analysis: Option<&stages::StageAnalysis>,
    s: &Settings,
) -> CheckResult {
    let scope = c.endpoint.clone().unwrap_or_else(|| "overall".into());
    let mut out = CheckResult::new(&c.id, &c.metric, &scope, c.comparator, c.threshold);
    out.source = c.source.clone();
    let endpoint = c
        .endpoint
        .as_ref()
        .and_then(|label| profile.endpoints.iter().position(|e| &e.label() == label));
    let critical = endpoint.is_none_or(|i| profile.endpoints[i].critical);
    let ix: &[usize] = endpoint.map_or(&[], |i| members[i].as_slice());
    let who = match endpoint {
        Some(_) => Members::Endpoints(ix),
        None => Members::All,
    };
    // The stages this check can be judged on: those the run reached.
    let placed: Option<Vec<String>> = timeline.filter(|_| !c.stages.is_empty()).map(|t| {
        c.stages
            .iter()
            .filter(|n| t.span(n).is_some_and(|sp| sp.reached()))
            .cloned()
            .collect()
    });
    if let Some(p) = &placed {
        out.stages = p.clone();
        if p.is_empty() {
            out.status = Status::Inconclusive;
            out.note = Some(format!("the run never reached {}", c.stages.join(", ")));
            return out;
        }
    }
    let whole = || -> Option<Group> {
        match endpoint {
            None => Some(Group::whole(&results.overall)),
            Some(_) => Group::combine(
                &ix.iter()
                    .map(|&i| Group::whole(&results.endpoints[i].stats))
                    .collect::<Vec<_>>(),
            ),
        }
    };
    let stage_group = || -> Option<Group> {
        let (t, names) = (timeline?, placed.as_ref()?);
        groups::of_stages(results, t, names, who)
    };
    match c.metric.as_str() {
        "throughput_rps" => {
            let planned = timeline
                .and_then(|t| {
                    c.stages
                        .iter()
                        .filter_map(|n| t.span(n))
                        .map(|sp| sp.planned_rps())
                        .reduce(f64::max)
                })
                .unwrap_or(c.threshold);
            let achieved = match (timeline, &placed) {
                (Some(t), Some(names)) => stage_group()
                    .and_then(|g| g.throughput_rps)
                    .or_else(|| groups::rate_of_stages(results, t, names)),
                _ => whole().and_then(|g| g.throughput_rps),
            };
            check::throughput(&mut out, achieved, planned, s);
        }
        "recovery_time_s" => {
            let r = analysis.and_then(|a| a.recovery.as_ref());
            check::derived(
                &mut out,
                r.and_then(|r| r.recovery_s),
                s,
                match r {
                    Some(r) if !r.recovered => {
                        "the service did not return within its SLO before the run ended"
                    }
                    _ => "recovery needs a time series reaching past the spike",
                },
            );
            if r.is_some_and(|r| !r.recovered && r.burst_end_s.is_some()) {
                out.status = Status::Fail;
            }
        }
        m if m.contains("drift") || m.starts_with("memory_growth") => {
            let d = analysis.and_then(|a| a.drift.as_ref());
            let v = d.and_then(|d| match m {
                "latency_p95_drift_pct_per_hour" => d.latency_pct_per_h,
                "error_rate_drift_per_hour" => d.error_rate_per_h,
                "memory_growth_pct_per_hour" => d.memory_points_per_h,
                _ => None,
            });
            let why = if m.starts_with("memory") {
                "memory use is not in these results (record the service's metrics beside the run)"
            } else {
                "drift needs a time series of at least 30 minutes at steady load"
            };
            check::derived(&mut out, v, s, why);
        }
        _ => {
            let mut stage = stage_group();
            // A series that counts requests but keeps no latencies (Locust's report): the
            // stage's own counts for errors, the whole run's distribution for latency.
            if let Some(g) = &mut stage
                && g.distribution.is_none()
                && check::quantile_of(&c.metric).is_some()
                && let Some(w) = whole()
            {
                g.latency = w.latency;
                g.distribution = w.distribution;
                g.requests = w.requests;
                out.note = Some(
                    "latency judged on the whole run: this file's time series counts requests but keeps no latencies"
                        .into(),
                );
            }
            let group = stage.or_else(|| {
                if placed.is_some() && results.detail.is_some() {
                    // Placed, with per-request cells, yet nothing of this endpoint there.
                    Some(Group {
                        requests: Some(0),
                        ..Group::default()
                    })
                } else {
                    whole()
                }
            });
            match group {
                Some(g) if g.requests == Some(0) => {
                    out.note = Some("no requests of this scope in the stages judged".into());
                    out.requests = Some(0);
                }
                Some(g) => check::slo(&mut out, &g, s),
                None => {
                    out.note = Some("the results have no requests for this endpoint".into());
                }
            }
        }
    }
    if !critical {
        match out.status {
            Status::Fail => {
                out.status = Status::Warn;
                out.note = Some(join_note(
                    out.note.take(),
                    "non-critical endpoint: a missed objective is a warning",
                ));
            }
            Status::Inconclusive => {
                out.status = Status::Warn;
                out.note = Some(join_note(
                    out.note.take(),
                    "non-critical endpoint: undecided, so a warning",
                ));
            }
            _ => {}
        }
    }
    out
}

fn join_note(old: Option<String>, new: &str) -> String {
    match old {
        Some(o) => format!("{o}; {new}"),
        None => new.to_string(),
    }
}

/// The run summary: totals, then planned against achieved per stage.
fn summary(
    results: &RunResults,
    scenario: Option<&Scenario>,
    timeline: Option<&Timeline>,
) -> RunSummary {
    let o = &results.overall;
    let mut out = RunSummary {
        requests: o.requests,
        failures: o.errors,
        error_rate: o.error_rate().map(|r| round(r, 6)),
        duration_s: results.duration_s.map(|d| round(d, 3)),
        throughput_rps: o.throughput_rps.map(|t| round(t, 2)),
        status_codes: o.status_codes.clone(),
        stages: Vec::new(),
    };
    let (Some(sc), Some(t)) = (scenario, timeline) else {
        if let Some(sc) = scenario {
            out.stages = sc
                .stages
                .iter()
                .zip(sc.stage_offsets())
                .map(|(st, at)| StageSummary {
                    name: st.name.clone(),
                    kind: st.kind,
                    planned_start_s: at as f64,
                    planned_duration_s: st.duration_s as f64,
                    planned_rps: match st.kind {
                        StageKind::Hold => st.target_rps,
                        StageKind::Ramp => (st.start_rps + st.target_rps) / 2.0,
                    },
                    reached: false,
                    achieved_rps: None,
                    requests: None,
                    errors: None,
                    p95_ms: None,
                })
                .collect();
        }
        return out;
    };
    let _ = sc;
    for span in &t.spans {
        let names = [span.name.clone()];
        let g = groups::of_stages(results, t, &names, Members::All);
        let achieved = g
            .as_ref()
            .and_then(|g| g.throughput_rps)
            .or_else(|| groups::rate_of_stages(results, t, &names));
        out.stages.push(StageSummary {
            name: span.name.clone(),
            kind: span.kind,
            planned_start_s: span.start_s,
            planned_duration_s: span.end_s - span.start_s,
            planned_rps: round(span.planned_rps(), 2),
            reached: span.reached(),
            achieved_rps: span
                .reached()
                .then_some(achieved)
                .flatten()
                .map(|a| round(a, 2)),
            requests: g.as_ref().and_then(|g| g.requests),
            errors: g.as_ref().and_then(|g| g.errors),
            p95_ms: g.as_ref().and_then(|g| g.latency.p95),
        });
    }
    out
}
