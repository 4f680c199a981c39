//! A results file from the inbox: read it with the right runner reader, judge it against its
//! service's profile (or let it wait for one), and write the assessment renderings.

use std::path::Path;

use super::{Engine, Handled, PendingHtml, now};
use crate::daemon::inbox::{self, Candidate};
use crate::daemon::state::{Kind, Status};
use crate::diag::Diagnostic;
use crate::evidence::{self, FileDigest, Outcome};
use crate::judge::{self, Verdict};
use crate::plan;
use crate::profile;
use crate::render;
use crate::results;

/// Runs kept in memory to compare the next run of their service and scenario with.
const MAX_BASELINES: usize = 1024;

impl Engine {
    pub(super) fn results_input(
        &mut self,
        key: &str,
        c: &Candidate,
        path: &Path,
        known_digest: Option<&str>,
        allow_reject: bool,
    ) -> Handled {
        let name = path.display().to_string();
        let max = self.s.limits.document_bytes;
        // Not hashed yet (a new input): hashed in the same read as the parse.
        let (read, digest) = match known_digest {
            Some(d) => (
                crate::ingest::read_file(path, &name, max),
                Some(d.to_string()),
            ),
            None => match crate::ingest::read_file_hashed(path, &name, max) {
                Ok((r, d)) => (Ok(r), Some(d)),
                Err(e) => (Err(e), None),
            },
        };
        let digest = match digest {
            Some(d) => d,
            None => match self.digest_of(key, c, path) {
                Ok(d) => d,
                Err(handled) => return handled,
            },
        };
        let digest = digest.as_str();
        let service_from_folder = match &c.folder_service {
            Some(f) => match inbox::folder_service_problem(f) {
                None => Some(f.clone()),
                Some(why) => {
                    let d = Diagnostic::error(
                        "",
                        format!("the folder name {f:?} is not a usable service name: {why}"),
                    );
                    return self.reject_with_digest(
                        key,
                        digest,
                        None,
                        "results file",
                        vec![d],
                        None,
                    );
                }
            },
            None => None,
        };
        let run = self.run_name(key, c);
        let results = match read {
            Ok(r) => r,
            Err(e) => {
                if !allow_reject {
                    return Handled::Deferred;
                }
                return self.reject_with_digest(
                    key,
                    digest,
                    service_from_folder,
                    "results file",
                    e.diagnostics,
                    Some(&run),
                );
            }
        };
        let Some(service) = service_from_folder.or_else(|| {
            results
                .service
                .clone()
                .filter(|s| profile::check_service_name(s).is_ok())
        }) else {
            let d = Diagnostic::error("", "cannot tell which service these results belong to")
                .hint(format!(
                    "put results files in {}/<service>/ next to the service's profile",
                    self.s.inbox.display()
                ));
            return self.reject_with_digest(key, digest, None, "results file", vec![d], None);
        };
        let Some(lp) = self.profiles.get(&service) else {
            self.set_entry(
                key,
                digest,
                Kind::Results,
                Status::Waiting,
                Some(service),
                Some(run),
                None,
            );
            return Handled::Waiting;
        };
        let settings = judge::Settings {
            warn_band: self.s.warn_band,
            ..judge::Settings::default()
        };
        let plan = plan::generate(&lp.profile, &plan::Defaults::default());
        let (scenario, note) = scenario_of(c, &service, &plan);
        // The previous run of the same service and scenario, written by the same kind of runner:
        // two runners measure differently, and a summary gives no samples to test a change on.
        let baseline_key = (
            service.clone(),
            scenario.as_ref().map(|(s, _)| s.name.to_string()),
            results.format.clone(),
        );
        let baseline = self
            .baselines
            .get(&baseline_key)
            .filter(|(k, _)| k != key)
            .map(|(_, r)| r);
        let mut a = judge::assess_scenario(
            &lp.profile,
            scenario.as_ref().map(|(s, r)| (s, r.clone())),
            &results,
            baseline,
            &settings,
        );
        if let Some(n) = note {
            a.notes.push(n);
        }
        let profile_name = self.input_name(&lp.key);
        let profile_sha = lp.sha256.clone();
        let scenarios: Vec<String> = a.scenario.iter().map(|s| s.name.clone()).collect();
        let dir = self.s.outbox.join(&service).join("runs");
        let mut outputs = Vec::new();
        let want = self.s.outputs;
        for (on, ext, format) in [
            (want.json, "json", render::Format::Json),
            (want.markdown, "md", render::Format::Markdown),
            (want.junit, "junit.xml", render::Format::Junit),
        ] {
            if !on {
                continue;
            }
            let body = render::assessment(&a, format);
            if let Some(d) = self.stage(&dir.join(format!("{run}.{ext}")), body.as_bytes()) {
                outputs.push(d);
            }
        }
        self.batch.remove(&dir.join(format!("{run}.error.json")));
        self.batch.remove(&dir.join(format!("{run}.error.md")));
        if a.verdict.is_failure() {
            self.counters.slo_failed += 1;
        }
        self.events.push(evidence::Event {
            ts: now(),
            service: service.clone(),
            profile: profile_name.clone(),
            scenarios,
            interpretation: true,
            outcome: if a.verdict == Verdict::Pass {
                Outcome::InterpretationGenerated
            } else {
                Outcome::IssuesDetected
            },
            inputs: vec![
                FileDigest {
                    path: name,
                    sha256: digest.to_string(),
                },
                FileDigest {
                    path: profile_name,
                    sha256: profile_sha,
                },
            ],
            outputs,
            verdict: Some(a.verdict.label().to_string()),
            failed_checks: a
                .checks
                .iter()
                .filter(|c| c.status == judge::Status::Fail)
                .map(|c| c.id.clone())
                .collect(),
            figures: evidence::Figures::of(&results.overall),
            detail: None,
        });
        let verdict = a.verdict;
        // The next run of this service and scenario is compared with this one. The runs kept are
        // bounded: past the cap, one is forgotten (its next run is then judged on its own).
        if self.baselines.len() >= MAX_BASELINES
            && !self.baselines.contains_key(&baseline_key)
            && let Some(k) = self.baselines.keys().next().cloned()
        {
            self.baselines.remove(&k);
        }
        self.baselines
            .insert(baseline_key, (key.to_string(), baseline_of(&results)));
        // The HTML report shows its evidence record's hash, so it is written after the record.
        if want.html {
            self.pending_html.push(PendingHtml {
                event: self.events.len() - 1,
                path: dir.join(format!("{run}.html")),
                assessment: a,
                results,
                plan: Some(plan),
            });
        }
        self.set_entry(
            key,
            digest,
            Kind::Results,
            Status::Done,
            Some(service),
            Some(run),
            None,
        );
        if let Some(e) = self.state.inputs.get_mut(key) {
            e.verdict = Some(verdict.label().to_string());
        }
        self.counters.processed += 1;
        Handled::Done
    }

    /// `outbox/<service>/runs/<run>.*`: the file's stem, made safe; the full name when another
    /// input of the service already uses that stem.
    pub(super) fn run_name(&self, key: &str, c: &Candidate) -> String {
        if let Some(existing) = self.state.inputs.get(key).and_then(|e| e.run.clone()) {
            return existing;
        }
        let parts: Vec<String> = c
            .rel
            .components()
            .map(|p| p.as_os_str().to_string_lossy().into_owned())
            .collect();
        let inner = if c.folder_service.is_some() {
            &parts[1..]
        } else {
            &parts[..]
        };
        let file = inner.last().cloned().unwrap_or_default();
        let stem = Path::new(&file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(file.clone());
        let mut pieces: Vec<String> = inner[..inner.len().saturating_sub(1)].to_vec();
        pieces.push(stem);
        let candidate = inbox::safe_component(&pieces.join("_"));
        let taken = self.state.inputs.iter().any(|(k, e)| {
            k != key
                && e.run.as_deref() == Some(candidate.as_str())
                && e.service == c.folder_service
        });
        if taken {
            let joined = format!("{}_{}", pieces[..pieces.len() - 1].join("_"), file);
            inbox::safe_component(joined.trim_start_matches('_'))
        } else {
            candidate
        }
    }
}

/// The scenario a results file is a run of (its folder, or a whole word of its name), time-scaled
/// when its name says it was a rehearsal; with a note for the report when none could be told.
fn scenario_of(
    c: &Candidate,
    service: &str,
    plan: &plan::Plan,
) -> (Option<(plan::Scenario, judge::ScenarioRef)>, Option<String>) {
    let parts: Vec<String> = c
        .rel
        .components()
        .map(|p| p.as_os_str().to_string_lossy().into_owned())
        .collect();
    let below = if c.folder_service.is_some() {
        &parts[1..]
    } else {
        &parts[..]
    };
    let names: Vec<&str> = plan.scenarios.iter().map(|s| s.name).collect();
    let r = plan::recognise(below, service, &names);
    let Some((name, from)) = r.scenario else {
        let note = if r.ambiguous.is_empty() {
            format!(
                "no scenario of the plan ({}) is in this file's name or folder: judged against the whole profile (name results <service>-<scenario>-..., as the exported scripts do, or put them in <service>/<scenario>/)",
                names.join(", ")
            )
        } else {
            format!(
                "this file's name names several scenarios ({}): judged against the whole profile",
                r.ambiguous.join(", ")
            )
        };
        return (None, Some(note));
    };
    let Some(sc) = plan.scenarios.iter().find(|s| s.name == name) else {
        return (None, None);
    };
    let scaled = plan::time_scaled(sc, r.time_scale, plan::STAGE_FLOOR_S);
    (
        Some((
            scaled,
            judge::ScenarioRef {
                name,
                from: from.to_string(),
                time_scale: r.time_scale,
            },
        )),
        None,
    )
}

/// What a later run is compared with: the results without their per-bucket cells (the
/// comparison reads whole-run distributions), to keep the daemon's memory small.
fn baseline_of(r: &results::RunResults) -> results::RunResults {
    results::RunResults {
        detail: None,
        ..r.clone()
    }
}
