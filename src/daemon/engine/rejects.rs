//! Rejected inputs: the error report where the output would have gone, and the evidence record.

use super::{Engine, Handled, UNSORTED, now};
use crate::daemon::inbox::{self, Candidate};
use crate::daemon::reports::{ERROR_SCHEMA, ErrorReport};
use crate::daemon::state::{Kind, Status};
use crate::diag::Diagnostic;
use crate::evidence::{self, FileDigest, Outcome};
use crate::profile;

impl Engine {
    pub(super) fn reject(
        &mut self,
        key: &str,
        c: &Candidate,
        digest: &str,
        kind: &str,
        diags: Vec<Diagnostic>,
        run: Option<&str>,
    ) -> Handled {
        let service = c
            .folder_service
            .clone()
            .filter(|s| profile::check_service_name(s).is_ok());
        self.reject_with_digest(key, digest, service, kind, diags, run)
    }

    /// Writes the error report where the output would have gone and records the rejection.
    /// `stem` is `plan` for profiles or the run name for results.
    pub(super) fn reject_with_digest(
        &mut self,
        key: &str,
        digest: &str,
        service: Option<String>,
        kind: &str,
        mut diags: Vec<Diagnostic>,
        stem: Option<&str>,
    ) -> Handled {
        let name = self.input_name(key);
        for d in &mut diags {
            d.file.get_or_insert_with(|| name.clone());
        }
        if self.state.inputs.get(key).is_some_and(|e| {
            e.status == Status::Rejected && e.sha256 == digest && !digest.is_empty()
        }) {
            return Handled::Unchanged;
        }
        let (dir, base) = match (&service, stem) {
            (Some(s), Some("plan")) => (self.s.outbox.join(s), "plan".to_string()),
            (Some(s), Some(run)) => (self.s.outbox.join(s).join("runs"), run.to_string()),
            _ => (
                self.s.outbox.join(UNSORTED),
                inbox::safe_component(&key.replace('/', "_")),
            ),
        };
        let report = ErrorReport {
            schema: ERROR_SCHEMA,
            input: &name,
            sha256: digest,
            kind,
            diagnostics: &diags,
        };
        let mut outputs = Vec::new();
        for (ext, body) in [
            ("error.json", report.json()),
            ("error.md", report.markdown()),
        ] {
            if let Some(d) = self.stage(&dir.join(format!("{base}.{ext}")), body.as_bytes()) {
                outputs.push(d);
            }
        }
        let first = diags
            .iter()
            .find(|d| d.is_error())
            .map(|d| d.to_string())
            .unwrap_or_default();
        // Said with the input's line when its batch is recorded (`observe`).
        tracing::debug!(input = %name, error = %first, "input rejected");
        let profile = self.record_profile(key, kind == "profile", service.as_deref());
        self.events.push(evidence::Event {
            profile,
            outputs,
            detail: Some(first.clone()),
            ..evidence::Event::about(
                now(),
                Outcome::InputRejected,
                service.clone().unwrap_or_default(),
                FileDigest {
                    path: name,
                    sha256: digest.to_string(),
                },
            )
        });
        let kind = if kind == "profile" {
            Kind::Profile
        } else {
            Kind::Rejected
        };
        self.set_entry(
            key,
            digest,
            kind,
            Status::Rejected,
            service,
            stem.map(String::from),
            Some(first),
        );
        self.counters.rejected += 1;
        Handled::Rejected
    }
}
