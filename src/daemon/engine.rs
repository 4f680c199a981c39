//! Processing one inbox input: read it safely, tell a profile from a results file by content,
//! call the pure core, stage every output, and queue the evidence record. Outputs, evidence and
//! state are made durable together in `commit`, in that order, so a crash never loses a result
//! and a restart never records one twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use sha2::{Digest, Sha256};

use super::inbox::{self, Candidate};
use super::reports::{ERROR_SCHEMA, ErrorReport};
use super::settings::Settings;
use super::state::{self, Entry, Kind, State, Status};
use crate::diag::Diagnostic;
use crate::evidence::{self, FileDigest, Outcome};
use crate::judge::{self, Verdict};
use crate::plan::{self, Plan};
use crate::profile::{self, ServiceProfile};
use crate::textdoc::{self, Syntax};
use crate::{output, render, results};

/// Outputs for inputs whose service is unknown go here (a name no valid service can have
/// because service names cannot start with `_`... they can, so it is documented as reserved).
pub const UNSORTED: &str = "_unsorted";

/// What happened to one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Unchanged,
    Done,
    Waiting,
    Rejected,
    /// Looked incomplete right after a close or rename: try again after the settle window.
    Deferred,
    Removed,
    Ignored,
}

/// Counters for the current run of the daemon (and for `--once`'s exit code).
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub processed: u64,
    pub rejected: u64,
    pub slo_failed: u64,
    pub removed: u64,
}

struct LoadedProfile {
    key: String,
    sha256: String,
    profile: ServiceProfile,
    plan: Plan,
}

pub struct Engine {
    s: Settings,
    inbox_canon: PathBuf,
    pub state: State,
    profiles: BTreeMap<String, LoadedProfile>,
    log: evidence::Log,
    batch: output::Batch,
    events: Vec<evidence::Event>,
    pub counters: Counters,
    dirty: bool,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Engine {
    pub fn open(s: Settings) -> Result<Engine, String> {
        for dir in [&s.inbox, &s.outbox, &s.evidence_dir, &s.state_dir] {
            if !dir.exists() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("{}: cannot create folder: {e}", dir.display()))?;
            }
        }
        let inbox_canon =
            std::fs::canonicalize(&s.inbox).map_err(|e| format!("{}: {e}", s.inbox.display()))?;
        let mut state = State::load(&s.state_dir)?;
        let key = match &s.evidence_key {
            Some(p) => Some(
                std::fs::read(p)
                    .map_err(|e| format!("{}: cannot read evidence key: {e}", p.display()))?,
            ),
            None => None,
        };
        let opts = evidence::Options {
            max_bytes: Some(s.evidence_max_bytes),
            key,
            ..Default::default()
        };
        let log = evidence::Log::open(&s.evidence_dir.join("evidence.jsonl"), opts)
            .map_err(|e| e.to_string())?;
        let prefix = format!("{}/", s.inbox.display());
        for r in state::replay(&s.evidence_dir, state.evidence_seq) {
            state.evidence_seq = state.evidence_seq.max(r.seq);
            let Some(k) = r.input.strip_prefix(&prefix) else {
                continue;
            };
            match r.outcome.as_str() {
                "input-removed" => {
                    state.inputs.remove(k);
                }
                outcome => {
                    let status = if outcome == "input-rejected" {
                        Status::Rejected
                    } else {
                        Status::Done
                    };
                    let entry = state.inputs.entry(k.to_string()).or_insert(Entry {
                        sha256: String::new(),
                        kind: Kind::Results,
                        status,
                        service: None,
                        run: None,
                        error: None,
                        verdict: None,
                    });
                    entry.sha256 = r.sha256;
                    entry.status = status;
                }
            }
        }
        Ok(Engine {
            s,
            inbox_canon,
            state,
            profiles: BTreeMap::new(),
            log,
            batch: output::Batch::default(),
            events: Vec::new(),
            counters: Counters::default(),
            dirty: true,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.s
    }

    fn input_name(&self, key: &str) -> String {
        format!("{}/{key}", self.s.inbox.display())
    }

    /// Handles one candidate path. `allow_reject` is false on the first attempt after a close or
    /// rename, so a file that turns out incomplete is retried after the settle window instead.
    pub fn handle(&mut self, c: &Candidate, allow_reject: bool) -> Handled {
        self.handle_inner(c, allow_reject, false)
    }

    fn handle_inner(&mut self, c: &Candidate, allow_reject: bool, force: bool) -> Handled {
        let key = state::key(&c.rel);
        let path = self.s.inbox.join(&c.rel);
        if std::fs::symlink_metadata(&path).is_err() {
            return self.removed(&key);
        }
        let bytes = match inbox::check_file(&self.inbox_canon, &path, self.s.max_input_bytes) {
            Ok(_) => std::fs::read(&path),
            Err(msg) if msg == "not a regular file" => return Handled::Ignored,
            Err(msg) => {
                let d = Diagnostic::error("", msg);
                return self.reject(&key, c, "", "input", vec![d], None);
            }
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return self.removed(&key),
            Err(e) => {
                return self.reject(
                    &key,
                    c,
                    "",
                    "input",
                    vec![Diagnostic::error("", format!("cannot read: {e}"))],
                    None,
                );
            }
        };
        let digest = sha256(&bytes);
        let known = self.state.inputs.get(&key).cloned();
        let unchanged = known.as_ref().is_some_and(|e| e.sha256 == digest);
        if unchanged && !force {
            let e = known.as_ref().map(|e| (e.kind, e.status));
            match e {
                // After a restart the profile is not in memory yet: load it without new outputs.
                Some((Kind::Profile, Status::Done)) => {
                    self.load_quietly(&key, &path, &bytes, &digest);
                    return Handled::Unchanged;
                }
                Some((_, Status::Waiting)) => {}
                _ => return Handled::Unchanged,
            }
        }
        let file_name = c
            .rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(main) = results::companion_of(&file_name) {
            return self.companion(&key, c, &digest, &main);
        }
        let text = String::from_utf8_lossy(&bytes);
        if is_profile(&file_name, &text) {
            self.profile_input(&key, c, &path, &text, &digest, allow_reject)
        } else {
            self.results_input(&key, c, &path, &digest, allow_reject)
        }
    }

    fn load_quietly(&mut self, key: &str, path: &Path, bytes: &[u8], digest: &str) {
        let text = String::from_utf8_lossy(bytes);
        if let Ok(l) = profile::load(&path.display().to_string(), &text)
            && !self.profiles.contains_key(&l.profile.service)
        {
            let plan = plan::generate(&l.profile, &plan::Defaults::default());
            self.profiles.insert(
                l.profile.service.clone(),
                LoadedProfile {
                    key: key.to_string(),
                    sha256: digest.to_string(),
                    profile: l.profile,
                    plan,
                },
            );
        }
    }

    fn companion(&mut self, key: &str, c: &Candidate, digest: &str, main: &str) -> Handled {
        self.set_entry(
            key,
            digest,
            Kind::Companion,
            Status::Done,
            c.folder_service.clone(),
            None,
            None,
        );
        let main_rel = c.rel.with_file_name(main);
        let main_key = state::key(&main_rel);
        if self.state.inputs.contains_key(&main_key) {
            let mc = Candidate {
                rel: main_rel,
                folder_service: c.folder_service.clone(),
            };
            self.handle_inner(&mc, true, true);
        }
        Handled::Done
    }

    #[allow(clippy::too_many_arguments)]
    fn set_entry(
        &mut self,
        key: &str,
        digest: &str,
        kind: Kind,
        status: Status,
        service: Option<String>,
        run: Option<String>,
        error: Option<String>,
    ) {
        self.state.inputs.insert(
            key.to_string(),
            Entry {
                sha256: digest.to_string(),
                kind,
                status,
                service,
                run,
                error,
                verdict: None,
            },
        );
        self.dirty = true;
    }

    fn profile_input(
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
        for (file, body) in [
            ("plan.json", render::plan(&plan, render::Format::Json)),
            ("plan.md", render::plan(&plan, render::Format::Markdown)),
        ] {
            if let Some(d) = self.stage(&dir.join(file), body.as_bytes()) {
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

    fn results_input(
        &mut self,
        key: &str,
        c: &Candidate,
        path: &Path,
        digest: &str,
        allow_reject: bool,
    ) -> Handled {
        let name = path.display().to_string();
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
        let results = match results::read_file(path, &name) {
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
        let a = judge::assess(&lp.profile, &results, &settings);
        let profile_name = self.input_name(&lp.key);
        let profile_sha = lp.sha256.clone();
        let scenarios: Vec<String> = lp
            .plan
            .scenarios
            .iter()
            .map(|s| s.name.to_string())
            .collect();
        let dir = self.s.outbox.join(&service).join("runs");
        let mut outputs = Vec::new();
        for (ext, body) in [
            ("json", render::json(&a)),
            ("md", render::assessment(&a, render::Format::Markdown)),
        ] {
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
            detail: None,
        });
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
            e.verdict = Some(a.verdict.label().to_string());
        }
        self.counters.processed += 1;
        Handled::Done
    }

    /// `outbox/<service>/runs/<run>.*`: the file's stem, made safe; the full name when another
    /// input of the service already uses that stem.
    fn run_name(&self, key: &str, c: &Candidate) -> String {
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

    fn stage(&mut self, path: &Path, bytes: &[u8]) -> Option<FileDigest> {
        match self.batch.stage(path, bytes) {
            Ok(()) => Some(FileDigest::of_bytes(path.display().to_string(), bytes)),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot write output");
                None
            }
        }
    }

    fn reject(
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
    fn reject_with_digest(
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
        tracing::warn!(input = %name, error = %first, "input rejected");
        self.events.push(evidence::Event {
            ts: now(),
            service: service.clone().unwrap_or_default(),
            profile: name.clone(),
            scenarios: Vec::new(),
            interpretation: false,
            outcome: Outcome::InputRejected,
            inputs: vec![FileDigest {
                path: name,
                sha256: digest.to_string(),
            }],
            outputs,
            verdict: None,
            failed_checks: Vec::new(),
            detail: Some(first.clone()),
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

    fn removed(&mut self, key: &str) -> Handled {
        let Some(entry) = self.state.inputs.remove(key) else {
            return Handled::Ignored;
        };
        self.dirty = true;
        let name = self.input_name(key);
        if entry.kind == Kind::Profile
            && let Some(s) = &entry.service
            && self.profiles.get(s).is_some_and(|p| p.key == key)
        {
            self.profiles.remove(s);
        }
        self.events.push(evidence::Event {
            ts: now(),
            service: entry.service.clone().unwrap_or_default(),
            profile: name.clone(),
            scenarios: Vec::new(),
            interpretation: false,
            outcome: Outcome::InputRemoved,
            inputs: vec![FileDigest {
                path: name,
                sha256: entry.sha256,
            }],
            outputs: Vec::new(),
            verdict: None,
            failed_checks: Vec::new(),
            detail: Some("input deleted from the inbox; its outputs are kept".into()),
        });
        self.counters.removed += 1;
        Handled::Removed
    }

    /// Inputs the state knows that are no longer in the inbox.
    pub fn vanished(&self, present: &[Candidate]) -> Vec<String> {
        let keys: std::collections::BTreeSet<String> =
            present.iter().map(|c| state::key(&c.rel)).collect();
        self.state
            .inputs
            .keys()
            .filter(|k| !keys.contains(*k))
            .cloned()
            .collect()
    }

    pub fn remove_key(&mut self, key: &str) {
        self.removed(key);
    }

    /// Makes this batch durable: outputs, then evidence, then state, then the status file.
    pub fn commit(&mut self, queue_depth: usize) -> Result<(), String> {
        if !self.batch.is_empty() {
            self.batch
                .commit()
                .map_err(|e| format!("cannot write outputs: {e}"))?;
        }
        if !self.events.is_empty() {
            let appended = self
                .log
                .append_batch(&self.events)
                .map_err(|e| e.to_string())?;
            if let Some(last) = appended.last() {
                self.state.evidence_seq = last.seq;
            }
            self.events.clear();
            self.dirty = true;
        }
        if self.dirty {
            self.state
                .save(&self.s.state_dir)
                .map_err(|e| format!("cannot save state: {e}"))?;
            super::status::write(&self.s, &self.state, &self.counters, queue_depth)
                .map_err(|e| format!("cannot write status: {e}"))?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Reopens the evidence log (after SIGHUP, e.g. when an operator moved files aside).
    pub fn reopen_log(&mut self) -> Result<(), String> {
        let key = match &self.s.evidence_key {
            Some(p) => Some(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?),
            None => None,
        };
        let opts = evidence::Options {
            max_bytes: Some(self.s.evidence_max_bytes),
            key,
            ..Default::default()
        };
        self.log = evidence::Log::open(&self.s.evidence_dir.join("evidence.jsonl"), opts)
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// A profile is YAML, or JSON with a `service` name and a profile section; everything else is
/// offered to the results readers.
fn is_profile(file_name: &str, text: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return true;
    }
    let looks_json = lower.ends_with(".json") || text.trim_start().starts_with('{');
    looks_json
        && serde_json::from_str::<serde_json::Value>(text)
            .map(|v| profile::looks_like_profile(&v) && !results::looks_like_results(&v))
            .unwrap_or(false)
}
