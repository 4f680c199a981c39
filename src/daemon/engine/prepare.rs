//! Profiles of a burst prepared on every core before the engine applies them one by one: each
//! worker reads, hashes and validates a profile, plans it and writes every output to its own
//! temporary file. The engine adopts that work only for an input that still has the same bytes
//! and passes the checks that need the engine's state; whatever it does not adopt is deleted.

use std::path::{Path, PathBuf};

use super::profiles::plan_outputs;
use super::{Engine, MAX_PROFILE_BYTES, is_profile};
use crate::daemon::inbox::{self, Candidate};
use crate::daemon::settings::Outputs;
use crate::daemon::state;
use crate::evidence::FileDigest;
use crate::output;
use crate::plan::{self, Plan};
use crate::profile::{self, ServiceProfile};
use crate::results;

/// A plan and its outputs, written to temporary files beside their targets.
pub(super) struct Prepared {
    pub plan: Plan,
    /// (temporary file, target, digest of the target's future content)
    pub staged: Vec<(PathBuf, PathBuf, FileDigest)>,
}

impl Prepared {
    pub fn discard(self) {
        for (tmp, _, _) in self.staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// A valid profile read by a worker, with its prepared outputs.
pub(super) struct PreparedProfile {
    pub name: String,
    pub sha256: String,
    pub profile: ServiceProfile,
    pub outputs: Prepared,
}

/// Below this many candidates a batch is handled on the engine's thread alone: starting workers
/// would cost more than it saves, and a single drop keeps its short path.
const MIN_PARALLEL: usize = 8;

/// What a worker needs, borrowed from the engine while the workers run.
struct Context<'a> {
    inbox: &'a Path,
    inbox_canon: &'a Path,
    outbox: &'a Path,
    max_input_bytes: u64,
    outputs: Outputs,
    known: &'a std::collections::BTreeMap<String, state::Entry>,
}

impl Engine {
    /// Prepares, on every available core, the new or changed profiles among `batch`.
    pub fn prepare(&mut self, batch: &[&Candidate]) {
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8);
        if workers < 2 || batch.len() < MIN_PARALLEL {
            return;
        }
        let ctx = Context {
            inbox: &self.s.inbox,
            inbox_canon: &self.inbox_canon,
            outbox: &self.s.outbox,
            max_input_bytes: self.s.max_input_bytes,
            outputs: self.s.outputs,
            known: &self.state.inputs,
        };
        let chunk = batch.len().div_ceil(workers);
        let ready: Vec<(String, PreparedProfile)> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|part| {
                    let ctx = &ctx;
                    s.spawn(move || {
                        part.iter()
                            .filter_map(|c| {
                                let key = state::key(&c.rel);
                                prepare_one(ctx, &key, c).map(|p| (key, p))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (key, p) in ready {
            if let Some(old) = self.prepared.insert(key, p) {
                old.outputs.discard();
            }
        }
    }

    /// Deletes prepared work the batch did not use (an input that changed again, or whose
    /// service another profile already serves).
    pub fn discard_prepared(&mut self) {
        for (_, p) in self.prepared.drain() {
            p.outputs.discard();
        }
    }

    /// The prepared profile for `key` if it was prepared from exactly these bytes.
    pub(super) fn take_prepared(&mut self, key: &str, sha256: &str) -> Option<PreparedProfile> {
        let p = self.prepared.remove(key)?;
        if p.sha256 == sha256 {
            Some(p)
        } else {
            p.outputs.discard();
            None
        }
    }
}

/// One candidate on a worker: `None` for anything that is not a new, valid profile (the engine
/// handles those itself, with their error reports).
fn prepare_one(ctx: &Context, key: &str, c: &Candidate) -> Option<PreparedProfile> {
    let rel = &c.rel;
    let file_name = rel.file_name()?.to_string_lossy().into_owned();
    if results::companion_of(&file_name).is_some() {
        return None;
    }
    let path = ctx.inbox.join(rel);
    let size = inbox::check_file(ctx.inbox_canon, &path, ctx.max_input_bytes).ok()?;
    if size > MAX_PROFILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    let name = path.display().to_string();
    let sha256 = FileDigest::of_bytes(String::new(), &bytes).sha256;
    if ctx.known.get(key).is_some_and(|e| e.sha256 == sha256) {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes);
    if !is_profile(&file_name, &text) {
        return None;
    }
    let profile = profile::load(&name, &text).ok()?.profile;
    // A profile in another service's folder is rejected: create nothing for the named service.
    if c.folder_service
        .as_ref()
        .is_some_and(|f| f != &profile.service)
    {
        return None;
    }
    let plan = plan::generate(&profile, &plan::Defaults::default());
    let dir = ctx.outbox.join(&profile.service);
    let mut staged = Vec::new();
    for (rel, body) in plan_outputs(&plan, ctx.outputs) {
        let target = dir.join(rel);
        match output::write_temporary(&target, body.as_bytes()) {
            Ok(tmp) => {
                let digest = FileDigest::of_bytes(target.display().to_string(), body.as_bytes());
                staged.push((tmp, target, digest));
            }
            Err(_) => {
                // The engine's own attempt will report the error where the operator sees it.
                Prepared { plan, staged }.discard();
                return None;
            }
        }
    }
    Some(PreparedProfile {
        name,
        sha256,
        profile,
        outputs: Prepared { plan, staged },
    })
}
