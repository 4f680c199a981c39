//! A profile from the inbox: validate it, write its plan renderings, record the evidence, and
//! re-judge every run of its service.

use std::path::{Path, PathBuf};

use super::{Engine, Handled, LoadedProfile, now};
use crate::daemon::inbox::{self, Candidate};
use crate::daemon::state::{Kind, Status};
use crate::diag::Diagnostic;
use crate::evidence::{self, FileDigest, Outcome};
use crate::export;
use crate::plan;
use crate::profile;
use crate::render;
use crate::textdoc::{self, Syntax};

impl Engine {
    pub(super) fn profile_input(
        &mut self,
        key: &str,
        c: &Candidate,
        path: &Path,
        text: &str,
        digest: &str,
        allow_reject: bool,
    ) -> Handled {
        let name = path.display().to_string();
        let loaded = match profile::load(&name, text) {
            Ok(l) => l,
            Err(e) => {
                if !allow_reject {
                    return Handled::Deferred;
                }
                let named = textdoc::parse(text, Syntax::detect(&name, text))
                    .ok()
                    .and_then(|v| v.get("service").and_then(|s| s.as_str()).map(String::from));
                let service = c
                    .folder_service
                    .clone()
                    .or(named)
                    .filter(|s| profile::check_service_name(s).is_ok());
                return self.reject_with_digest(
                    key,
                    digest,
                    service,
                    "profile",
                    e.diagnostics,
                    Some("plan"),
                );
            }
        };
        let service = loaded.profile.service.clone();
        if let Some(folder) = &c.folder_service
            && folder != &service
        {
            let d = Diagnostic::error(
                "service",
                format!(
                    "this profile is in the folder {folder}/ but names the service {service:?}"
                ),
            )
            .hint(format!(
                "move it to {}/{service}/ or set service: {folder}",
                self.s.inbox.display()
            ));
            return self.reject_with_digest(
                key,
                digest,
                Some(folder.clone()),
                "profile",
                vec![d],
                Some("plan"),
            );
        }
        if let Some(other) = self.profiles.get(&service)
            && other.key != key
            && self.s.inbox.join(&other.key).exists()
        {
            let d = Diagnostic::error(
                "service",
                format!(
                    "{service} already has a profile at {}",
                    self.input_name(&other.key)
                ),
            )
            .hint("keep one profile per service; delete or rename one of them");
            return self.reject_with_digest(
                key,
                digest,
                Some(service),
                "profile",
                vec![d],
                Some("plan"),
            );
        }
        let plan = plan::generate(&loaded.profile, &plan::Defaults::default());
        let dir = self.s.outbox.join(&service);
        let mut outputs = Vec::new();
        let want = self.s.outputs;
        for (on, file, format) in [
            (want.json, "plan.json", render::Format::Json),
            (want.markdown, "plan.md", render::Format::Markdown),
            (want.html, "plan.html", render::Format::Html),
        ] {
            if !on {
                continue;
            }
            let body = render::plan(&plan, format);
            if let Some(d) = self.stage(&dir.join(file), body.as_bytes()) {
                outputs.push(d);
            }
        }
        // Runner scripts for every scenario, so a CI job can pick one up beside the plan.
        let exports = if want.exports {
            export::all(&plan, None)
        } else {
            Vec::new()
        };
        for f in exports {
            if let Some(d) = self.stage(
                &dir.join("exports").join(&f.file_name),
                f.contents.as_bytes(),
            ) {
                outputs.push(d);
            }
        }
        self.batch.remove(&dir.join("plan.error.json"));
        self.batch.remove(&dir.join("plan.error.md"));
        self.events.push(evidence::Event {
            ts: now(),
            service: service.clone(),
            profile: name.clone(),
            scenarios: plan.scenarios.iter().map(|s| s.name.to_string()).collect(),
            interpretation: false,
            outcome: Outcome::PlanGenerated,
            inputs: vec![FileDigest {
                path: name,
                sha256: digest.to_string(),
            }],
            outputs,
            verdict: None,
            failed_checks: Vec::new(),
            detail: None,
        });
        self.set_entry(
            key,
            digest,
            Kind::Profile,
            Status::Done,
            Some(service.clone()),
            None,
            None,
        );
        self.counters.processed += 1;
        self.profiles.insert(
            service.clone(),
            LoadedProfile {
                key: key.to_string(),
                sha256: digest.to_string(),
                profile: loaded.profile,
                plan,
            },
        );
        // A new or changed profile re-judges every results file of its service.
        let runs: Vec<String> = self
            .state
            .inputs
            .iter()
            .filter(|(_, e)| {
                e.kind == Kind::Results
                    && e.service.as_deref() == Some(service.as_str())
                    && e.status != Status::Rejected
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in runs {
            let rel = PathBuf::from(&k);
            let folder_service = inbox::classify(Path::new(""), &rel)
                .ok()
                .and_then(|c| c.folder_service);
            self.handle_inner(
                &Candidate {
                    rel,
                    folder_service,
                },
                true,
                true,
            );
        }
        Handled::Done
    }
}
