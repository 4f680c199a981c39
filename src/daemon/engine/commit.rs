//! Making a batch durable, or taking it back whole. Outputs are committed first, then the
//! evidence records; the HTML reports, which show their record's hash, follow the records. The
//! state and status files are rewritten after (`flush_meta`): the evidence log covers the state
//! between its saves, so a crash never loses a result and a restart never records one twice.

use std::path::PathBuf;

use super::Engine;
use crate::daemon::error::DaemonError;
use crate::daemon::settings::Settings;
use crate::evidence;
use crate::judge;
use crate::plan::Plan;
use crate::{render, results};

/// An HTML report waiting for the hash of its evidence record.
pub(super) struct PendingHtml {
    pub event: usize,
    pub path: PathBuf,
    pub assessment: judge::Assessment,
    pub results: results::RunResults,
    pub plan: Option<Plan>,
}

/// How often the state and status files are rewritten during a burst.
const META_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// The evidence log's options from the daemon's settings.
pub(super) fn log_options(s: &Settings) -> Result<evidence::Options, DaemonError> {
    let key = match &s.evidence_key {
        Some(p) => Some(std::fs::read(p).map_err(|e| {
            DaemonError::fatal(format!("{}: cannot read evidence key: {e}", p.display()))
        })?),
        None => None,
    };
    Ok(evidence::Options {
        max_bytes: Some(s.evidence_max_bytes),
        daily: s.evidence_daily,
        keep_files: s.evidence_keep_files,
        keep_days: s.evidence_keep_days,
        key,
    })
}

impl Engine {
    /// Makes this batch durable: outputs, then evidence. The state and status files follow in
    /// `flush_meta`; the evidence log covers the state between its saves. When an output cannot
    /// be written (a full disk, a folder turned read-only) or the evidence cannot be appended,
    /// nothing of the batch is recorded: its temporaries are deleted, the state is put back as
    /// it was, and the error says so; a later rescan then processes the same inputs again.
    pub fn commit(&mut self) -> Result<(), DaemonError> {
        let result = self.commit_outputs_and_evidence();
        if let Err(e) = &result {
            self.abort(&e.to_string());
        } else {
            self.undo.committed(&self.counters);
        }
        result
    }

    fn commit_outputs_and_evidence(&mut self) -> Result<(), DaemonError> {
        if let Some(e) = self.write_error.take() {
            return Err(DaemonError::Retry(format!("cannot write outputs: {e}")));
        }
        if !self.batch.is_empty() {
            self.batch
                .commit()
                .map_err(|e| DaemonError::Retry(format!("cannot write outputs: {e}")))?;
        }
        if self.events.is_empty() {
            return Ok(());
        }
        let appended = match self.log.append_batch(&self.events) {
            Ok(a) => a,
            Err(e) => {
                let msg = format!("cannot append to the evidence log: {e}");
                return Err(match e {
                    evidence::EvidenceError::Refused { .. } => DaemonError::LogRefused(msg),
                    _ => DaemonError::Retry(msg),
                });
            }
        };
        if let Some(last) = appended.last() {
            self.state.evidence_seq = last.seq;
        }
        self.observe_appended(&appended);
        self.events.clear();
        self.dirty = true;
        for p in std::mem::take(&mut self.pending_html) {
            let hash = appended
                .get(p.event)
                .map(|a| a.hash.as_str())
                .filter(|h| !h.is_empty());
            let input = render::ReportInput {
                assessment: &p.assessment,
                results: &p.results,
                plan: p.plan.as_ref(),
                evidence_hash: hash,
            };
            let html = render::assessment_report(&input, render::Format::Html);
            self.stage(&p.path, html.as_bytes());
        }
        // The records are in the log now: a report that fails here is logged, not retried.
        self.write_error = None;
        if !self.batch.is_empty()
            && let Err(e) = self.batch.commit()
        {
            tracing::error!(error = %e, "cannot write HTML reports");
        }
        Ok(())
    }

    /// Forgets a batch that could not be made durable (see `commit`).
    fn abort(&mut self, why: &str) {
        self.obs.batch_failed(why, self.undo.batch_len());
        self.batch.abort();
        self.events.clear();
        self.pending_html.clear();
        self.write_error = None;
        let (entries, counters_before) = self.undo.take_batch();
        for (key, before) in entries {
            self.restore(key, before);
        }
        let failed = self.counters.failed;
        self.counters = counters_before;
        self.counters.failed = failed + 1;
        self.dirty = true;
    }

    /// Writes the state and status files if they changed, at most about once a second unless
    /// `force` (when the queue is empty, or on shutdown, where `durable` is also set).
    pub fn flush_meta(
        &mut self,
        queue_depth: usize,
        force: bool,
        durable: bool,
    ) -> Result<(), DaemonError> {
        if !self.dirty || (!force && self.last_meta.elapsed() < META_INTERVAL) {
            return Ok(());
        }
        self.state
            .save(&self.s.state_dir, durable)
            .map_err(|e| DaemonError::Retry(format!("cannot save state: {e}")))?;
        crate::daemon::status::write(&self.s, &self.state, &self.counters, queue_depth)
            .map_err(|e| DaemonError::Retry(format!("cannot write status: {e}")))?;
        self.dirty = false;
        self.last_meta = std::time::Instant::now();
        self.meta_saved();
        Ok(())
    }

    /// Reopens the evidence log (after SIGHUP, e.g. when an operator moved files aside).
    pub fn reopen_log(&mut self) -> Result<(), DaemonError> {
        let opts = log_options(&self.s)?;
        self.log = evidence::Log::open(&self.s.evidence_dir.join("evidence.jsonl"), opts)
            .map_err(|e| DaemonError::fatal(e.to_string()))?;
        Ok(())
    }
}
