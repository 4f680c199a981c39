//! Processing one inbox input: read it safely, tell a profile from a results file by content,
//! call the pure core, stage every output, and queue the evidence record. Outputs, evidence and
//! state are made durable together in `commit`, in that order, so a crash never loses a result
//! and a restart never records one twice.

mod prepare;
pub use prepare::workers_for;
mod commit;
mod observe;
pub use observe::Mark;
mod profiles;
mod rejects;
mod runs;
mod undo;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};

use super::error::DaemonError;
use super::inbox::{self, Candidate};
use super::inflight::{Blame, Inflight, Suspect};
use super::settings::Settings;
use super::state::{self, Entry, Kind, State, Status};
use super::status::Counters;
use crate::classify::{self, HEAD_LEN};
use crate::diag::Diagnostic;
use crate::evidence::{self, FileDigest, Outcome};
use crate::profile::ServiceProfile;
use crate::{output, results};
use commit::{PendingHtml, log_options};

/// Error reports for inputs whose service cannot be told go here; no service can have this name
/// (service names start with a letter or digit).
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
    /// Its outputs could not be written (disk full, ...): nothing was recorded, retry later.
    Failed,
}

/// A service's current profile. Its plan is not kept: plans are large (tens of kilobytes each,
/// hundreds of megabytes for 10,000 services) and regenerating one costs microseconds.
struct LoadedProfile {
    key: String,
    sha256: String,
    profile: ServiceProfile,
}

pub struct Engine {
    s: Settings,
    /// Held for the engine's life: one daemon per state folder.
    _instance: super::instance::InstanceLock,
    inbox_canon: PathBuf,
    pub state: State,
    profiles: BTreeMap<String, LoadedProfile>,
    /// Results inputs by service, so a changed profile finds its runs without scanning every
    /// input the daemon knows (a burst of 10,000 profiles would otherwise be quadratic).
    runs_of: HashMap<String, BTreeSet<String>>,
    /// Profiles of the current batch already prepared on other cores, by input key.
    prepared: HashMap<String, prepare::PreparedProfile>,
    log: evidence::Log,
    batch: output::Batch,
    events: Vec<evidence::Event>,
    pending_html: Vec<PendingHtml>,
    /// What the batch, and the input being handled, changed in the state (see `undo`).
    undo: undo::UndoLog,
    /// The last run judged of each service, scenario (`None`: judged against the whole profile)
    /// and results format, with its input key: the next one is compared with it.
    baselines: HashMap<(String, Option<String>, String), (String, results::RunResults)>,
    /// The note of the inputs being processed, and what the previous process's note blamed.
    inflight: Inflight,
    blame: Blame,
    /// The first output of the current batch that could not be written (disk full, ...).
    write_error: Option<String>,
    pub counters: Counters,
    dirty: bool,
    last_meta: std::time::Instant,
    /// Logs, metrics and the dashboard (see `observe`).
    obs: observe::Observer,
    /// Why the last input that failed could not be written (for `note_handled`).
    last_failure: Option<String>,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Engine {
    pub fn open(s: Settings) -> Result<Engine, DaemonError> {
        for dir in [&s.inbox, &s.outbox, &s.evidence_dir, &s.state_dir] {
            if !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    DaemonError::fatal(format!("{}: cannot create folder: {e}", dir.display()))
                })?;
            }
        }
        let instance = super::instance::lock(&s.state_dir)?;
        let inbox_canon = std::fs::canonicalize(&s.inbox)
            .map_err(|e| DaemonError::fatal(format!("{}: {e}", s.inbox.display())))?;
        let mut state = State::load(&s.state_dir)?;
        state.bind_inbox(&inbox_canon, &s.state_dir)?;
        // Safe now that no other daemon writes here: a killed instance's temporaries go.
        let swept = super::instance::sweep_temporaries(&s.outbox, 6);
        if swept > 0 {
            tracing::info!(
                files = swept,
                "deleted temporary files left by an earlier run"
            );
        }
        let (inflight, blame) = Inflight::open(&s.state_dir);
        let opts = log_options(&s)?;
        let log = evidence::Log::open(&s.evidence_dir.join("evidence.jsonl"), opts)
            .map_err(|e| DaemonError::fatal(e.to_string()))?;
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
        let batch = output::Batch::new(&s.outbox);
        let obs = observe::Observer::new(&s.evidence_dir);
        let mut runs_of: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (k, e) in &state.inputs {
            if e.kind == Kind::Results
                && let Some(svc) = &e.service
            {
                runs_of.entry(svc.clone()).or_default().insert(k.clone());
            }
        }
        Ok(Engine {
            _instance: instance,
            s,
            inbox_canon,
            state,
            profiles: BTreeMap::new(),
            runs_of,
            prepared: HashMap::new(),
            log,
            batch,
            events: Vec::new(),
            pending_html: Vec::new(),
            undo: undo::UndoLog::default(),
            baselines: HashMap::new(),
            inflight,
            blame,
            write_error: None,
            counters: Counters::default(),
            dirty: true,
            last_meta: std::time::Instant::now(),
            obs,
            last_failure: None,
        })
    }

    /// Notes the inputs of a batch before any of them is processed (see `inflight`).
    pub fn begin_batch(&mut self, inputs: &[&Candidate], workers: bool, retry: bool) {
        let noted: Vec<Suspect> = inputs
            .iter()
            .filter_map(|c| Suspect::of(&state::key(&c.rel), &self.s.inbox.join(&c.rel)))
            .collect();
        self.inflight.begin(&noted, workers, retry);
    }

    pub fn end_batch(&mut self) {
        self.inflight.clear();
    }

    /// What the note left by the previous process blames for its death (once).
    pub fn take_blame(&mut self) -> Blame {
        std::mem::replace(&mut self.blame, Blame::Nobody)
    }

    /// Sets aside the input `key`, which killed the previous process: an error report, an
    /// `input-rejected` record, and no further attempt until its content changes.
    pub fn quarantine(&mut self, key: &str) -> Handled {
        let path = self.s.inbox.join(key);
        let Ok(c) = inbox::classify(&self.s.inbox, &path) else {
            return Handled::Ignored;
        };
        let digest = match FileDigest::of_file("", &path) {
            Ok(d) => d.sha256,
            Err(_) => return Handled::Ignored,
        };
        tracing::error!(input = %path.display(), "this input crashed the previous run; it is set aside until it changes");
        let d = Diagnostic::error(
            "",
            "crashed the previous run: perfassist stopped while processing this input, so it is set aside and skipped until it changes",
        )
        .hint("please report this as a bug and attach the file; the rest of the inbox is processed as usual");
        self.reject(key, &c, &digest, "input", vec![d], None)
    }

    pub fn settings(&self) -> &Settings {
        &self.s
    }

    fn input_name(&self, key: &str) -> String {
        format!("{}/{key}", self.s.inbox.display())
    }

    /// The `profile` of a record about the input `key`: the input itself when it is a profile,
    /// else its service's profile, else nothing (a results file is never named as a profile).
    fn record_profile(&self, key: &str, is_profile: bool, service: Option<&str>) -> String {
        if is_profile {
            return self.input_name(key);
        }
        service
            .and_then(|s| self.profiles.get(s))
            .map(|lp| self.input_name(&lp.key))
            .unwrap_or_default()
    }

    /// Handles one candidate path. `allow_reject` is false on the first attempt after a close or
    /// rename, so a file that turns out incomplete is retried after the settle window instead.
    pub fn handle(&mut self, c: &Candidate, allow_reject: bool) -> Handled {
        let events = self.events.len();
        let html = self.pending_html.len();
        let staged = self.batch.mark();
        let counters = self.counters.clone();
        self.undo.start_input();
        let handled = self.handle_inner(c, allow_reject, false);
        let Some(why) = self.write_error.take() else {
            return handled;
        };
        // Some output of this input could not be written: take back everything it did, so the
        // rest of the batch is still recorded and this input is tried again later. The batch
        // says so once per cause (`finish_batch`), not once per input and retry.
        tracing::debug!(input = %c.rel.display(), error = %why, "outputs not written; the input will be retried");
        self.last_failure = Some(why);
        self.events.truncate(events);
        self.pending_html.truncate(html);
        self.batch.rollback_to(staged);
        self.counters = counters;
        let entries: Vec<_> = self.undo.take_input().collect();
        for (key, before) in entries {
            self.restore(key, before);
        }
        self.counters.failed += 1;
        Handled::Failed
    }

    /// Puts a state entry back to an earlier value, keeping the index of runs in step.
    fn restore(&mut self, key: String, before: Option<Entry>) {
        if let Some(now) = self.state.inputs.remove(&key) {
            self.forget_run(&key, &now);
        }
        if let Some(before) = before {
            if before.kind == Kind::Results
                && let Some(svc) = &before.service
            {
                self.runs_of
                    .entry(svc.clone())
                    .or_default()
                    .insert(key.clone());
            }
            self.state.inputs.insert(key, before);
        }
        self.dirty = true;
    }

    fn handle_inner(&mut self, c: &Candidate, allow_reject: bool, force: bool) -> Handled {
        let key = state::key(&c.rel);
        self.inflight.now(&key);
        let path = self.s.inbox.join(&c.rel);
        if std::fs::symlink_metadata(&path).is_err() {
            return self.removed(&key);
        }
        let size = match inbox::check_file(
            &self.inbox_canon,
            &path,
            self.s.max_input_bytes,
            self.s.allow_hard_links,
        ) {
            Ok(size) => size,
            Err(inbox::NotRead::NotAFile) => return Handled::Ignored,
            Err(inbox::NotRead::Refused(msg)) => {
                let d = Diagnostic::error("", msg);
                return self.reject(&key, c, "", "input", vec![d], None);
            }
        };
        let known = self.state.inputs.get(&key).cloned();
        // An input seen before is hashed first, so an unchanged one is skipped unread. A new one
        // has nothing to compare with: results are hashed while they are parsed (one read of a
        // file that may be gigabytes), anything else just before it is used.
        let mut digest = None;
        if known.is_some() || force {
            let d = match self.digest_of(&key, c, &path) {
                Ok(d) => d,
                Err(handled) => return handled,
            };
            let unchanged = known.as_ref().is_some_and(|e| e.sha256 == d);
            if unchanged && !force {
                match known.as_ref().map(|e| (e.kind, e.status)) {
                    // After a restart the profile is not in memory yet: load it without new outputs.
                    Some((Kind::Profile, Status::Done)) => {
                        self.load_quietly(&key, &path, &d);
                        return Handled::Unchanged;
                    }
                    Some((_, Status::Waiting)) => {}
                    _ => return Handled::Unchanged,
                }
            }
            digest = Some(d);
        }
        let file_name = c
            .rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let head = match crate::inputs::read_head(&path) {
            Ok((head, _)) => head,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return self.removed(&key),
            Err(e) => {
                let d = Diagnostic::error("", format!("cannot read: {e}"));
                return self.reject(&key, c, "", "input", vec![d], None);
            }
        };
        // The head alone decides, so a profile is told from results whatever its size.
        let kind = classify::classify(&file_name, &head, size <= HEAD_LEN as u64);
        if kind == classify::Kind::Results {
            return self.results_input(&key, c, &path, digest.as_deref(), allow_reject);
        }
        let digest = match digest {
            Some(d) => d,
            None => match self.digest_of(&key, c, &path) {
                Ok(d) => d,
                Err(handled) => return handled,
            },
        };
        if let classify::Kind::Companion { main } = kind {
            return self.companion(&key, c, &digest, &main);
        }
        // Results were handed over above: this is a profile.
        match self.take_prepared(&key, &digest) {
            Some(p) => self.accept_profile(&key, c, p.name, &digest, p.profile, Some(p.outputs)),
            None => self.profile_input(&key, c, &path, &digest, allow_reject),
        }
    }

    /// The SHA-256 of an input, hashed as a stream (raw-sample results can be gigabytes and are
    /// never held in memory), or how the input was handled when it cannot be read.
    pub(super) fn digest_of(
        &mut self,
        key: &str,
        c: &Candidate,
        path: &Path,
    ) -> Result<String, Handled> {
        match FileDigest::of_file("", path) {
            Ok(d) => Ok(d.sha256),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(self.removed(key)),
            Err(e) => {
                let d = Diagnostic::error("", format!("cannot read: {e}"));
                Err(self.reject(key, c, "", "input", vec![d], None))
            }
        }
    }

    fn load_quietly(&mut self, key: &str, path: &Path, digest: &str) {
        let name = path.display().to_string();
        if let Ok((l, _)) = crate::inputs::load_profile(path, &name, &self.s.limits)
            && !self.profiles.contains_key(&l.profile.service)
        {
            self.profiles.insert(
                l.profile.service.clone(),
                LoadedProfile {
                    key: key.to_string(),
                    sha256: digest.to_string(),
                    profile: l.profile,
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
        self.remember(key);
        if kind == Kind::Results
            && let Some(svc) = &service
        {
            self.runs_of
                .entry(svc.clone())
                .or_default()
                .insert(key.to_string());
        }
        let old = self.state.inputs.insert(
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
        if let Some(old) = old {
            let new = self.state.inputs.get(key);
            let same_run = new.is_some_and(|n| n.kind == Kind::Results && n.service == old.service);
            if !same_run {
                self.forget_run(key, &old);
            }
        }
        self.dirty = true;
    }

    /// Notes a state entry's value before the current batch first changes it.
    fn remember(&mut self, key: &str) {
        self.undo.remember(key, self.state.inputs.get(key));
    }

    fn forget_run(&mut self, key: &str, old: &Entry) {
        if old.kind == Kind::Results
            && let Some(svc) = &old.service
            && let Some(keys) = self.runs_of.get_mut(svc)
        {
            keys.remove(key);
            if keys.is_empty() {
                self.runs_of.remove(svc);
            }
        }
    }

    fn stage(&mut self, path: &Path, bytes: &[u8]) -> Option<FileDigest> {
        match self.batch.stage(path, bytes) {
            Ok(()) => Some(FileDigest::of_bytes(path.display().to_string(), bytes)),
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "cannot write output");
                if self.write_error.is_none() {
                    self.write_error = Some(format!("{}: {e}", path.display()));
                }
                None
            }
        }
    }

    fn removed(&mut self, key: &str) -> Handled {
        if !self.state.inputs.contains_key(key) {
            return Handled::Ignored;
        }
        self.remember(key);
        let Some(entry) = self.state.inputs.remove(key) else {
            return Handled::Ignored;
        };
        self.forget_run(key, &entry);
        self.dirty = true;
        let name = self.input_name(key);
        let profile =
            self.record_profile(key, entry.kind == Kind::Profile, entry.service.as_deref());
        if entry.kind == Kind::Profile
            && let Some(s) = &entry.service
            && self.profiles.get(s).is_some_and(|p| p.key == key)
        {
            self.profiles.remove(s);
        }
        self.events.push(evidence::Event {
            profile,
            detail: Some("input deleted from the inbox; its outputs are kept".into()),
            ..evidence::Event::about(
                now(),
                Outcome::InputRemoved,
                entry.service.clone().unwrap_or_default(),
                FileDigest {
                    path: name,
                    sha256: entry.sha256,
                },
            )
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
        let mark = self.input_mark(key);
        let handled = self.removed(key);
        let now = std::time::Instant::now();
        self.note_handled(key, handled, mark, now, std::time::Duration::ZERO);
    }
}
