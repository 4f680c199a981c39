//! What the engine tells operators: one log line (and metric) per input once its batch is
//! recorded, one line per problem however often it repeats, and the dashboard kept current
//! from the records each batch appends.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Engine, Handled};
use crate::daemon::dashboard::Dashboard;
use crate::daemon::metrics::Metrics;
use crate::daemon::problems::{self, Problems, Say};
use crate::daemon::state::Kind;
use crate::evidence::history::WHOLE_PROFILE;

/// Problems writing outputs or evidence, which make inputs wait for a retry.
const WRITE: &str = "write";

/// One input handled in the current batch, said once the batch is recorded.
struct Said {
    input: String,
    kind: &'static str,
    service: String,
    scenario: String,
    outcome: &'static str,
    verdict: String,
    error: Option<String>,
    rejudged: usize,
    took: Duration,
    seen: Instant,
}

/// Where the engine stood before an input was handled.
pub struct Mark {
    events: usize,
    kind: Option<Kind>,
}

pub struct Observer {
    said: Vec<Said>,
    /// (input, message) of each input whose outputs could not be written in this batch.
    failed: Vec<(String, String)>,
    problems: Problems,
    metrics: Option<Arc<Metrics>>,
    pub(super) dashboard: Dashboard,
}

impl Observer {
    pub fn new(evidence_dir: &Path) -> Observer {
        Observer {
            said: Vec::new(),
            failed: Vec::new(),
            problems: Problems::default(),
            metrics: None,
            dashboard: Dashboard::seed(evidence_dir),
        }
    }

    /// Logs `message` about `area` (`state`, `dashboard`, ...) unless the same problem was said
    /// recently.
    pub fn problem(&mut self, area: &str, message: &str, what: &str) {
        match self
            .problems
            .occurred(&problems::key(area, message), Instant::now())
        {
            Say::First => tracing::error!(error = %message, "{what}"),
            Say::Again { silent, for_secs } => tracing::error!(
                error = %message,
                repeats = silent,
                for_secs,
                "still: {what}"
            ),
            Say::Quiet => tracing::debug!(error = %message, "{what}"),
        }
    }

    /// The problems of `area` are over (the thing that failed worked).
    pub fn solved(&mut self, area: &str, what: &str) {
        for e in self.problems.ended(area, Instant::now()) {
            tracing::info!(
                problem = %e.key,
                occurrences = e.occurrences,
                lasted_s = e.lasted.as_secs(),
                "{what}"
            );
        }
    }

    /// The whole batch could not be made durable and was rolled back.
    pub fn batch_failed(&mut self, why: &str, inputs: usize) {
        if let Some(m) = &self.metrics {
            m.write_failed();
        }
        self.said.clear();
        self.failed.clear();
        let what = format!(
            "batch not recorded ({inputs} input(s)); it is retried after 2 s, then less often while this lasts"
        );
        self.problem(WRITE, why, &what);
    }
}

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Profile => "profile",
        Kind::Results => "results",
        Kind::Companion => "companion",
        Kind::Rejected => "input",
    }
}

impl Engine {
    pub fn set_metrics(&mut self, m: Arc<Metrics>) {
        self.obs.metrics = Some(m);
    }

    /// Where things stand before the input `key` is handled.
    pub fn queue_depth(&self, n: usize) {
        if let Some(m) = &self.obs.metrics {
            m.queue_depth(n);
        }
    }

    pub fn input_mark(&self, key: &str) -> Mark {
        Mark {
            events: self.events.len(),
            kind: self.state.inputs.get(key).map(|e| e.kind),
        }
    }

    /// Notes what handling `c` did, to be said when the batch is recorded. `seen` is when the
    /// daemon first saw the input, `took` how long handling it took.
    pub fn note_handled(
        &mut self,
        key: &str,
        handled: Handled,
        mark: Mark,
        seen: Instant,
        took: Duration,
    ) {
        let key = key.to_string();
        if handled == Handled::Failed {
            let why = self.last_failure.take().unwrap_or_default();
            if let Some(m) = &self.obs.metrics {
                m.write_failed();
            }
            self.obs.failed.push((key, why));
            return;
        }
        let entry = self.state.inputs.get(&key);
        let first = self.events.get(mark.events);
        let outcome = match (first, handled) {
            (Some(e), _) => e.outcome.label(),
            (None, Handled::Waiting) => "waiting",
            _ => return,
        };
        let kind = entry
            .map(|e| e.kind)
            .or(mark.kind)
            .map_or("input", kind_label);
        let scenario = match first {
            Some(e) if e.interpretation => match e.scenarios.as_slice() {
                [one] => one.clone(),
                _ => WHOLE_PROFILE.to_string(),
            },
            _ => String::new(),
        };
        let rejudged = self.events[(mark.events + 1).min(self.events.len())..]
            .iter()
            .filter(|e| e.interpretation)
            .count();
        self.obs.said.push(Said {
            input: key,
            kind,
            service: first
                .map(|e| e.service.clone())
                .or_else(|| entry.and_then(|e| e.service.clone()))
                .unwrap_or_default(),
            scenario,
            outcome,
            verdict: first.and_then(|e| e.verdict.clone()).unwrap_or_default(),
            error: entry.and_then(|e| e.error.clone()),
            rejudged,
            took,
            seen,
        });
    }

    /// Says what the batch did once `commit` returned (`committed`: its records are durable).
    pub fn finish_batch(&mut self, committed: bool) {
        let now = Instant::now();
        let said = std::mem::take(&mut self.obs.said);
        let failed = std::mem::take(&mut self.obs.failed);
        if !committed {
            // `abort` said why; the inputs are handled again, and said, when a retry records them.
            return;
        }
        let recorded = !said.is_empty();
        for s in said {
            let latency = now.saturating_duration_since(s.seen);
            if let Some(m) = &self.obs.metrics {
                m.handled(s.kind, s.outcome, latency.as_secs_f64());
            }
            let took_ms = (s.took.as_secs_f64() * 1e4).round() / 10.0;
            let latency_ms = (latency.as_secs_f64() * 1e4).round() / 10.0;
            match &s.error {
                Some(error) if s.outcome == "input-rejected" => tracing::warn!(
                    input = %s.input,
                    kind = %s.kind,
                    service = %s.service,
                    outcome = %s.outcome,
                    error = %error,
                    duration_ms = took_ms,
                    latency_ms,
                    "input rejected"
                ),
                _ => tracing::info!(
                    input = %s.input,
                    kind = %s.kind,
                    service = %s.service,
                    scenario = %s.scenario,
                    outcome = %s.outcome,
                    verdict = %s.verdict,
                    rejudged = s.rejudged,
                    duration_ms = took_ms,
                    latency_ms,
                    "handled"
                ),
            }
        }
        // One line per cause, however many inputs (and retries) it hits.
        let mut causes: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for (input, why) in failed.iter().cloned() {
            let k = problems::key(WRITE, &why);
            match causes.iter_mut().find(|(c, _)| *c == k) {
                Some((_, list)) => list.push((input, why)),
                None => causes.push((k, vec![(input, why)])),
            }
        }
        for (_, list) in &causes {
            let (input, why) = &list[0];
            let what = format!(
                "outputs not written for {} input(s) (first: {input}); they are retried after 2 s, then less often while this lasts",
                list.len()
            );
            self.obs.problem(WRITE, why, &what);
        }
        if failed.is_empty() {
            if recorded {
                self.obs
                    .solved(WRITE, "outputs and evidence are written again");
            }
            if let Some(m) = &self.obs.metrics {
                let unix = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(0.0);
                m.batch_succeeded(unix);
            }
        }
    }

    /// Counts records a commit appended and hands them to the dashboard.
    pub(super) fn observe_appended(&mut self, appended: &[crate::evidence::Appended]) {
        if let Some(m) = &self.obs.metrics {
            m.records_written(appended.len() as u64);
        }
        self.obs.dashboard.recorded(&self.events, appended);
    }

    /// Whether the dashboard's history changed since it was last written.
    pub fn dashboard_changed(&self) -> bool {
        self.obs.dashboard.changed()
    }

    /// Rewrites the dashboard if its history changed; a failure is said once and tried again
    /// after the next batch.
    pub fn write_dashboard(&mut self) {
        let profiles = &self.profiles;
        let inputs = &self.state.inputs;
        let inbox = format!("{}/", self.s.inbox.display());
        let written = self.obs.dashboard.write_if_changed(
            &self.s,
            |svc| profiles.get(svc).map(|lp| &lp.profile),
            |path| {
                let key = path.strip_prefix(&inbox)?;
                inputs.get(key).and_then(|e| e.run.clone())
            },
        );
        match written {
            Ok(()) => self.obs.solved("dashboard", "the dashboard is written again"),
            Err(e) => self.obs.problem(
                "dashboard",
                &e.to_string(),
                "cannot write the outbox dashboard (index.html); it is tried again after the next batch",
            ),
        }
    }

    /// A state or status file could not be saved (said once while it lasts).
    pub fn meta_failed(&mut self, why: &str) {
        self.obs.problem(
            "state",
            why,
            "cannot save the state or status file; will try again",
        );
    }

    pub fn meta_saved(&mut self) {
        self.obs
            .solved("state", "the state and status files are saved again");
    }
}
