//! Keeps `outbox/index.html` current. The history of every service is held in memory, read from
//! the evidence log once at start-up and then fed the records each batch appends, so a burst of
//! thousands of drops never re-reads the log. The page is rewritten only when the history
//! changed, at most once per `DELAY` (see the daemon's loop): a page lists every service, so
//! writing it after each of a stream of single drops would cost each drop time in proportion to
//! the number of services. It is written atomically, without waiting for the disk: it is rebuilt
//! from the log at the next start.
//! That delay is the only timer event mode arms, and only while a change waits.

use std::path::Path;

use crate::evidence::history::{self, Entry, History, Run};
use crate::evidence::{Appended, Event, Layout};
use crate::profile::ServiceProfile;
use crate::render::{self, DashboardInput, ServiceView};

use super::settings::Settings;

pub const FILE_NAME: &str = "index.html";

/// How long after a change the page is rewritten: changes meanwhile share the write.
pub const DELAY: std::time::Duration = std::time::Duration::from_secs(1);

pub struct Dashboard {
    history: History,
    changed: bool,
}

impl Dashboard {
    /// Reads the history from the log in `evidence_dir` (nothing when there is no log yet).
    pub fn seed(evidence_dir: &Path) -> Dashboard {
        let mut history = History::default();
        let active = evidence_dir.join("evidence.jsonl");
        if let Ok(layout) = Layout::discover(&active) {
            match history::read(&layout) {
                Ok((h, problems)) => {
                    if let Some(p) = problems.first() {
                        tracing::warn!(
                            problem = %p,
                            lines = problems.len(),
                            "the dashboard skips evidence lines that are not records; run `perfassist evidence verify`"
                        );
                    }
                    history = h;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the evidence log for the dashboard")
                }
            }
        }
        Dashboard {
            history,
            changed: true,
        }
    }

    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Takes in the records a commit appended (`appended[i]` is `events[i]`'s place in the log).
    pub fn recorded(&mut self, events: &[Event], appended: &[Appended]) {
        for (e, a) in events.iter().zip(appended) {
            self.changed |= self.history.add(&Entry::of_event(e, a.seq, &a.hash));
        }
    }

    /// Rewrites the page when the history changed since it was last written. `profile` gives a
    /// service's current profile (for its SLO lines) and `run_name` the outbox name of the run
    /// read from an inbox path, when the daemon still knows it.
    pub fn write_if_changed<'p>(
        &mut self,
        s: &Settings,
        profile: impl Fn(&str) -> Option<&'p ServiceProfile>,
        run_name: impl Fn(&str) -> Option<String>,
    ) -> std::io::Result<()> {
        if !self.changed {
            return Ok(());
        }
        let outbox = format!("{}/", s.outbox.display());
        let rel = |p: &str| p.strip_prefix(&outbox).map(String::from);
        let services: Vec<ServiceView> = self
            .history
            .services()
            .map(|h| {
                let p = profile(&h.service);
                let plan_outputs: Vec<String> = h
                    .plan
                    .iter()
                    .flat_map(|p| p.outputs.iter())
                    .filter_map(|o| rel(o))
                    .collect();
                let plan = ["plan.html", "plan.md", "plan.json"].iter().find_map(|f| {
                    let want = format!("{}/{f}", h.service);
                    plan_outputs.iter().find(|o| **o == want).cloned()
                });
                let exports_dir = format!("{}/exports/", h.service);
                let exports = plan_outputs
                    .iter()
                    .filter_map(|o| {
                        let name = o.strip_prefix(&exports_dir)?;
                        Some((name.to_string(), o.clone()))
                    })
                    .collect();
                let reports = h
                    .runs
                    .iter()
                    .map(|r| report_link(s, &h.service, r, &rel, &run_name))
                    .collect();
                ServiceView {
                    history: h,
                    slo: p.map(|p| &p.slo),
                    peak_rps: p.map(|p| p.traffic.peak_rps),
                    plan,
                    exports,
                    reports,
                }
            })
            .collect();
        let updated = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let html = render::dashboard_html(&DashboardInput {
            updated: &updated,
            services,
        });
        crate::output::replace_quickly(&s.outbox.join(FILE_NAME), html.as_bytes())?;
        self.changed = false;
        Ok(())
    }
}

/// Where a run's report is, relative to the outbox: its HTML report when the daemon writes
/// those, else the first rendering its record names.
fn report_link(
    s: &Settings,
    service: &str,
    r: &Run,
    rel: &impl Fn(&str) -> Option<String>,
    run_name: &impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let runs_dir = format!("{service}/runs/");
    let recorded = r
        .outputs
        .iter()
        .filter_map(|o| rel(o))
        .find(|o| o.starts_with(&runs_dir));
    if !s.outputs.html {
        return recorded;
    }
    let stem = recorded
        .as_deref()
        .and_then(|o| {
            [".junit.xml", ".json", ".md"]
                .iter()
                .find_map(|ext| o.strip_prefix(&runs_dir)?.strip_suffix(ext))
                .map(String::from)
        })
        .or_else(|| run_name(&r.results.path))?;
    Some(format!("{runs_dir}{stem}.html"))
}
