//! Every run of every service as the evidence log tells it: a pure fold over records, used by
//! `perfassist history` (over the whole log) and by the daemon's dashboard (seeded from the log
//! at start-up, then fed each batch's records), so both show the same thing.
//!
//! A run is one results file (its path and SHA-256) judged for one service. Judging the same
//! file again (a changed profile re-judges every run) updates that run's verdict and record in
//! place; a file with new content is a new run. A record's scenario is the one scenario it names
//! when it is a judgement of a single scenario; a judgement against the whole profile names
//! none (older records list every scenario of the plan, and are read as whole-profile too).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::files::Layout;
use super::record::Record;
use super::show::{Filter, show};
use super::verify::Problem;
use super::{Event, EvidenceError, Figures, FileDigest, Outcome};

pub const HISTORY_SCHEMA: &str = "perfassist.history/v1";

/// How text and Markdown name the runs judged against the whole profile.
pub const WHOLE_PROFILE: &str = "whole-profile";

/// The fields of a record that history reads, borrowed from a stored record or from an event
/// just appended.
pub struct Entry<'a> {
    pub seq: u64,
    pub ts: &'a str,
    pub outcome: Outcome,
    pub service: &'a str,
    pub profile: &'a str,
    pub scenarios: &'a [String],
    pub interpretation: bool,
    pub inputs: &'a [FileDigest],
    pub outputs: &'a [FileDigest],
    pub verdict: Option<&'a str>,
    pub failed_checks: &'a [String],
    pub figures: Option<&'a Figures>,
    pub hash: &'a str,
}

impl<'a> Entry<'a> {
    pub fn of_record(r: &'a Record) -> Entry<'a> {
        Entry {
            seq: r.seq,
            ts: &r.ts,
            outcome: r.outcome,
            service: &r.service,
            profile: &r.profile,
            scenarios: &r.scenarios,
            interpretation: r.interpretation,
            inputs: &r.inputs,
            outputs: &r.outputs,
            verdict: r.verdict.as_deref(),
            failed_checks: &r.failed_checks,
            figures: r.figures.as_ref(),
            hash: r.hash.as_deref().unwrap_or_default(),
        }
    }

    pub fn of_event(e: &'a Event, seq: u64, hash: &'a str) -> Entry<'a> {
        Entry {
            seq,
            ts: &e.ts,
            outcome: e.outcome,
            service: &e.service,
            profile: &e.profile,
            scenarios: &e.scenarios,
            interpretation: e.interpretation,
            inputs: &e.inputs,
            outputs: &e.outputs,
            verdict: e.verdict.as_deref(),
            failed_checks: &e.failed_checks,
            figures: e.figures.as_ref(),
            hash,
        }
    }
}

/// One run: the latest judgement of one results file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// When the run was first recorded.
    pub ts: String,
    /// The scenario it was judged as; `None` for a judgement against the whole profile.
    pub scenario: Option<String>,
    pub verdict: Option<String>,
    pub outcome: Outcome,
    /// The results file.
    pub results: FileDigest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_checks: Vec<String>,
    /// The renderings the record names (the daemon's `runs/<run>.{json,md,junit.xml}`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    /// Sequence number and hash of the record holding the current verdict.
    pub seq: u64,
    pub hash: String,
    /// How many times this file was judged (more than once after profile changes).
    pub judgements: u32,
}

impl Run {
    pub fn scenario_label(&self) -> &str {
        self.scenario.as_deref().unwrap_or(WHOLE_PROFILE)
    }
}

/// The newest plan record of a service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanRef {
    pub ts: String,
    pub profile: String,
    pub scenarios: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    pub seq: u64,
    pub hash: String,
}

/// A service's plan and runs, oldest run first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceHistory {
    pub service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanRef>,
    pub runs: Vec<Run>,
}

impl ServiceHistory {
    /// The newest run of each scenario, in scenario order (whole-profile runs last).
    pub fn latest_by_scenario(&self) -> Vec<&Run> {
        latest_of(self.runs.iter())
    }
}

fn latest_of<'r>(runs: impl Iterator<Item = &'r Run>) -> Vec<&'r Run> {
    let mut latest: BTreeMap<(bool, &str), &Run> = BTreeMap::new();
    for r in runs {
        latest.insert((r.scenario.is_none(), r.scenario_label()), r);
    }
    latest.into_values().collect()
}

/// Every service's history. Feed it records in log order with `add`.
#[derive(Debug, Default)]
pub struct History {
    services: BTreeMap<String, ServiceHistory>,
    /// (service, results path, results SHA-256) → index of the run in its service's list.
    runs: HashMap<(String, String, String), usize>,
}

impl History {
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a Record>) -> History {
        let mut h = History::default();
        for r in records {
            h.add(&Entry::of_record(r));
        }
        h
    }

    /// Takes one record into account; returns whether the history changed.
    pub fn add(&mut self, e: &Entry) -> bool {
        if e.service.is_empty() {
            return false;
        }
        if e.interpretation {
            return self.add_run(e);
        }
        if matches!(e.outcome, Outcome::PlanGenerated) {
            let svc = service_mut(&mut self.services, e.service);
            svc.plan = Some(PlanRef {
                ts: e.ts.to_string(),
                profile: e.profile.to_string(),
                scenarios: e.scenarios.to_vec(),
                outputs: e.outputs.iter().map(|o| o.path.clone()).collect(),
                seq: e.seq,
                hash: e.hash.to_string(),
            });
            return true;
        }
        false
    }

    fn add_run(&mut self, e: &Entry) -> bool {
        // The results file is the input that is not the profile (a baseline, when given, comes
        // after it).
        let Some(results) = e.inputs.iter().find(|i| i.path != e.profile) else {
            return false;
        };
        let scenario = match e.scenarios {
            [one] => Some(one.clone()),
            _ => None,
        };
        let key = (
            e.service.to_string(),
            results.path.clone(),
            results.sha256.clone(),
        );
        let known = self.runs.get(&key).copied();
        let svc = service_mut(&mut self.services, e.service);
        let run = Run {
            ts: e.ts.to_string(),
            scenario,
            verdict: e.verdict.map(String::from),
            outcome: e.outcome,
            results: results.clone(),
            figures: e.figures.cloned(),
            failed_checks: e.failed_checks.to_vec(),
            outputs: e.outputs.iter().map(|o| o.path.clone()).collect(),
            seq: e.seq,
            hash: e.hash.to_string(),
            judgements: 1,
        };
        match known.and_then(|i| svc.runs.get_mut(i)) {
            Some(old) => {
                let first_ts = std::mem::take(&mut old.ts);
                let judgements = old.judgements + 1;
                *old = Run {
                    ts: first_ts,
                    judgements,
                    ..run
                };
            }
            None => {
                self.runs.insert(key, svc.runs.len());
                svc.runs.push(run);
            }
        }
        true
    }

    pub fn services(&self) -> impl Iterator<Item = &ServiceHistory> {
        self.services.values()
    }

    pub fn service(&self, name: &str) -> Option<&ServiceHistory> {
        self.services.get(name)
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }
}

fn service_mut<'s>(
    services: &'s mut BTreeMap<String, ServiceHistory>,
    name: &str,
) -> &'s mut ServiceHistory {
    services
        .entry(name.to_string())
        .or_insert_with(|| ServiceHistory {
            service: name.to_string(),
            plan: None,
            runs: Vec::new(),
        })
}

/// Reads a whole log into a history, one record at a time; returns lines that are not records.
/// Seals are not checked here: `evidence verify` does that.
pub fn read(layout: &Layout) -> Result<(History, Vec<Problem>), EvidenceError> {
    let mut h = History::default();
    let problems = show(layout, &Filter::default(), |r, _| {
        h.add(&Entry::of_record(r));
    })?;
    Ok((h, problems))
}

/// `perfassist history --format json`: the selected services and runs.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub services: Vec<ServiceReport<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ServiceReport<'a> {
    pub service: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<&'a PlanRef>,
    /// The newest run of each scenario among the selected runs.
    pub latest: Vec<Latest<'a>>,
    pub runs: Vec<&'a Run>,
}

#[derive(Debug, Serialize)]
pub struct Latest<'a> {
    pub scenario: Option<&'a str>,
    pub verdict: Option<&'a str>,
    pub seq: u64,
}

/// Selects services and runs: `service` exactly, `scenario` by name (`whole-profile` for the
/// runs judged against the whole profile).
pub fn select<'a>(h: &'a History, service: Option<&str>, scenario: Option<&str>) -> Report<'a> {
    let services = h
        .services()
        .filter(|s| service.is_none_or(|want| want == s.service))
        .map(|s| {
            let runs: Vec<&Run> = s
                .runs
                .iter()
                .filter(|r| scenario.is_none_or(|want| want == r.scenario_label()))
                .collect();
            let latest = latest_of(runs.iter().copied())
                .into_iter()
                .map(|r| Latest {
                    scenario: r.scenario.as_deref(),
                    verdict: r.verdict.as_deref(),
                    seq: r.seq,
                })
                .collect();
            ServiceReport {
                service: &s.service,
                plan: s.plan.as_ref(),
                latest,
                runs,
            }
        })
        .collect();
    Report {
        schema: HISTORY_SCHEMA,
        services,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(service: &str, results: &str, sha: &str, scenarios: &[&str], verdict: &str) -> Event {
        Event {
            ts: format!("2026-12-01T00:00:{sha}Z"),
            service: service.into(),
            profile: "inbox/p.yaml".into(),
            scenarios: scenarios.iter().map(|s| s.to_string()).collect(),
            interpretation: true,
            outcome: if verdict == "pass" {
                Outcome::InterpretationGenerated
            } else {
                Outcome::IssuesDetected
            },
            inputs: vec![
                FileDigest {
                    path: results.into(),
                    sha256: sha.into(),
                },
                FileDigest {
                    path: "inbox/p.yaml".into(),
                    sha256: "p".into(),
                },
            ],
            outputs: vec![],
            verdict: Some(verdict.into()),
            failed_checks: vec![],
            figures: None,
            detail: None,
        }
    }

    fn fold(events: &[Event]) -> History {
        let mut h = History::default();
        for (i, e) in events.iter().enumerate() {
            let hash = format!("h{}", i + 1);
            h.add(&Entry::of_event(e, i as u64 + 1, &hash));
        }
        h
    }

    #[test]
    fn a_rejudged_file_updates_its_run_and_new_content_is_a_new_run() {
        let h = fold(&[
            event("a", "r1.json", "01", &["smoke"], "pass"),
            event("a", "r1.json", "01", &["smoke"], "fail"),
            event("a", "r1.json", "02", &["smoke"], "warn"),
            event("b", "r1.json", "01", &[], "pass"),
        ]);
        let a = h.service("a").unwrap();
        assert_eq!(a.runs.len(), 2);
        assert_eq!(a.runs[0].verdict.as_deref(), Some("fail"));
        assert_eq!((a.runs[0].seq, a.runs[0].judgements), (2, 2));
        assert_eq!(a.runs[0].hash, "h2");
        assert_eq!(a.runs[0].ts, "2026-12-01T00:00:01Z", "first recorded");
        assert_eq!(h.service("b").unwrap().runs.len(), 1);
    }

    #[test]
    fn latest_verdict_per_scenario_with_whole_profile_runs_last() {
        let h = fold(&[
            event("a", "1.json", "01", &["stress"], "fail"),
            event("a", "2.json", "02", &["smoke"], "pass"),
            event("a", "3.json", "03", &["smoke", "steady"], "warn"),
            event("a", "4.json", "04", &["stress"], "pass"),
        ]);
        let latest: Vec<(String, String)> = h
            .service("a")
            .unwrap()
            .latest_by_scenario()
            .iter()
            .map(|r| (r.scenario_label().into(), r.verdict.clone().unwrap()))
            .collect();
        assert_eq!(
            latest,
            [
                ("smoke".into(), "pass".into()),
                ("stress".into(), "pass".into()),
                (WHOLE_PROFILE.into(), "warn".into())
            ]
        );
        let r = select(&h, Some("a"), Some("stress"));
        assert_eq!(r.services[0].runs.len(), 2);
        assert_eq!(r.services[0].latest.len(), 1);
        assert_eq!(r.services[0].latest[0].seq, 4);
        assert!(select(&h, Some("zzz"), None).services.is_empty());
    }

    #[test]
    fn plans_are_not_runs_and_rejections_change_nothing() {
        let plan = Event {
            scenarios: vec!["smoke".into(), "steady".into()],
            ..Event::about(
                "t".into(),
                Outcome::PlanGenerated,
                "a".into(),
                FileDigest {
                    path: "inbox/p.yaml".into(),
                    sha256: "p".into(),
                },
            )
        };
        let rejected = Event::about(
            "t".into(),
            Outcome::InputRejected,
            "a".into(),
            FileDigest {
                path: "inbox/a/bad.json".into(),
                sha256: "x".into(),
            },
        );
        let mut h = History::default();
        assert!(h.add(&Entry::of_event(&plan, 1, "h1")));
        assert!(!h.add(&Entry::of_event(&rejected, 2, "h2")));
        let a = h.service("a").unwrap();
        assert!(a.runs.is_empty());
        assert_eq!(a.plan.as_ref().unwrap().scenarios.len(), 2);
    }
}
