//! A profile from the inbox: validate it, write its plan renderings, record the evidence, and
//! re-judge every run of its service.

use std::path::{Path, PathBuf};

use super::prepare::{Prepared, plan_outputs, scenario_names};
use super::{Engine, Handled, LoadedProfile, now};
use crate::daemon::inbox::{self, Candidate};
use crate::daemon::state::{Kind, Status};
use crate::diag::Diagnostic;
use crate::evidence::{self, FileDigest, Outcome};
use crate::plan;
use crate::profile;
use crate::profile::ServiceProfile;
use crate::textdoc::{self, Syntax};

impl Engine {
    pub(super) fn profile_input(
        &mut self,
        key: &str,
        c: &Candidate,
        path: &Path,
        digest: &str,
        allow_reject: bool,
    ) -> Handled {
        let name = path.display().to_string();
        let loaded = match crate::inputs::load_profile(path, &name, &self.s.limits) {
            Ok((l, _)) => l,
            Err(e) => {
                if !allow_reject {
                    return Handled::Deferred;
                }
                let service = c
                    .folder_service
                    .clone()
                    .or_else(|| self.named_service(path))
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
        self.accept_profile(key, c, name, digest, loaded.profile, None)
    }

    /// The `service` an invalid profile names, when it parses that far, so its error report
    /// lands beside the service's other outputs.
    fn named_service(&self, path: &Path) -> Option<String> {
        let size = std::fs::metadata(path).ok()?.len();
        if size > self.s.limits.profile_bytes {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        let text = textdoc::decode(&bytes).ok()?;
        let value = textdoc::parse(text, Syntax::detect(&path.display().to_string(), text)).ok()?;
        value.get("service")?.as_str().map(String::from)
    }

    /// A valid profile: unless another profile already serves its service, write its plan's
    /// outputs (or adopt those prepared on another core) and re-judge its service's runs.
    pub(super) fn accept_profile(
        &mut self,
        key: &str,
        c: &Candidate,
        name: String,
        digest: &str,
        profile: ServiceProfile,
        prepared: Option<Prepared>,
    ) -> Handled {
        let service = profile.service.clone();
        if let Some(reason) = self.conflict(key, c, &service) {
            if let Some(p) = prepared {
                p.discard();
            }
            return self.reject_with_digest(
                key,
                digest,
                Some(reason.0),
                "profile",
                vec![reason.1],
                Some("plan"),
            );
        }
        let dir = self.s.outbox.join(&service);
        let (scenarios, outputs) = match prepared {
            Some(p) => {
                let mut outputs = Vec::with_capacity(p.staged.len());
                for (tmp, target, digest) in p.staged {
                    self.batch.adopt(tmp, &target);
                    outputs.push(digest);
                }
                (p.scenarios, outputs)
            }
            None => {
                let plan = plan::generate(&profile, &plan::Defaults::default());
                let outputs = plan_outputs(&plan, self.s.outputs)
                    .into_iter()
                    .filter_map(|(rel, body)| self.stage(&dir.join(rel), body.as_bytes()))
                    .collect();
                (scenario_names(&plan), outputs)
            }
        };
        self.batch.remove(&dir.join("plan.error.json"));
        self.batch.remove(&dir.join("plan.error.md"));
        self.events.push(evidence::Event {
            scenarios,
            outputs,
            ..evidence::Event::about(
                now(),
                Outcome::PlanGenerated,
                service.clone(),
                FileDigest {
                    path: name,
                    sha256: digest.to_string(),
                },
            )
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
                profile,
            },
        );
        // A new or changed profile re-judges every results file of its service.
        let runs: Vec<String> = self
            .runs_of
            .get(&service)
            .into_iter()
            .flatten()
            .filter(|k| {
                self.state.inputs.get(*k).is_some_and(|e| {
                    e.kind == Kind::Results
                        && e.service.as_deref() == Some(service.as_str())
                        && e.status != Status::Rejected
                })
            })
            .cloned()
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

    /// Why this profile cannot serve `service`: its folder names another service, or another
    /// profile in the inbox already serves it. Returns the service to file the error under.
    fn conflict(&self, key: &str, c: &Candidate, service: &str) -> Option<(String, Diagnostic)> {
        if let Some(folder) = &c.folder_service
            && folder != service
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
            return Some((folder.clone(), d));
        }
        if let Some(other) = self.profiles.get(service)
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
            return Some((service.to_string(), d));
        }
        None
    }
}
