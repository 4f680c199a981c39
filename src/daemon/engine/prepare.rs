//! Profiles of a burst prepared on every core before the engine applies them one by one: each
//! worker reads, hashes and validates a profile, plans it and writes every output to its own
//! temporary file. The engine adopts that work only for an input that still has the same bytes
//! and passes the checks that need the engine's state; whatever it does not adopt is deleted.
//! The files a plan is rendered into (`plan_outputs`) are listed here, for workers and engine alike.
//! Used for batches of `MIN_PARALLEL` (8) inputs or more, `PREPARE_CHUNK` (256, in `dispatch`) at a
//! time; results files and single drops take the engine's own path.

use std::path::{Path, PathBuf};

use super::Engine;
use crate::classify::{self, HEAD_LEN};
use crate::confined::Confined;
use crate::daemon::inbox::{self, Candidate};
use crate::daemon::settings::Outputs;
use crate::daemon::state;
use crate::evidence::FileDigest;
use crate::plan::{self, Plan};
use crate::profile::ServiceProfile;
use crate::{export, render};

/// A plan's scenario names and its outputs, written to temporary files beside their targets. The
/// plan itself stays on (and is freed by) the worker that made it.
pub(super) struct Prepared {
    pub scenarios: Vec<String>,
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

/// How many workers would prepare a batch of `n` inputs; `None` when the engine's thread does
/// it all.
pub fn workers_for(n: usize) -> Option<usize> {
    // Asked only for a burst: the answer reads cgroup files, a cost a single drop need not pay.
    if n < MIN_PARALLEL {
        return None;
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    (workers >= 2).then_some(workers)
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

/// An owned snapshot of what the workers need, so they can prepare the next chunk of a burst
/// while the engine applies the current one.
pub struct Job {
    inbox: PathBuf,
    inbox_canon: PathBuf,
    outbox: PathBuf,
    max_input_bytes: u64,
    allow_hard_links: bool,
    limits: crate::inputs::Limits,
    outputs: Outputs,
    workers: usize,
    /// (input key, candidate, the content hash the engine knew for it when the job was made)
    items: Vec<(String, Candidate, Option<String>)>,
}

/// What `Job::run` hands back to `Engine::adopt_prepared`.
pub struct Ready(Vec<(String, PreparedProfile)>);

impl Job {
    /// Prepares every new or changed profile of the job, split across the workers.
    pub fn run(self) -> Ready {
        let chunk = self.items.len().div_ceil(self.workers).max(1);
        let ready = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .items
                .chunks(chunk)
                .map(|part| {
                    let job = &self;
                    s.spawn(move || {
                        part.iter()
                            .filter_map(|(key, c, known)| {
                                prepare_one(job, c, known.as_deref()).map(|p| (key.clone(), p))
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
        Ready(ready)
    }
}

impl Engine {
    /// A job preparing the profiles among `batch` on every available core, or `None` when the
    /// batch is too small or there is only one core.
    pub fn prepare_job(&self, batch: &[&Candidate]) -> Option<Job> {
        let workers = workers_for(batch.len())?;
        let items = batch
            .iter()
            .map(|c| {
                let key = state::key(&c.rel);
                let known = self.state.inputs.get(&key).map(|e| e.sha256.clone());
                (key, (*c).clone(), known)
            })
            .collect();
        Some(Job {
            inbox: self.s.inbox.clone(),
            inbox_canon: self.inbox_canon.clone(),
            outbox: self.s.outbox.clone(),
            max_input_bytes: self.s.max_input_bytes,
            allow_hard_links: self.s.allow_hard_links,
            limits: self.s.limits,
            outputs: self.s.outputs,
            workers,
            items,
        })
    }

    /// Makes a finished job's work available to `handle` for the inputs it covers.
    pub fn adopt_prepared(&mut self, ready: Ready) {
        for (key, p) in ready.0 {
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
fn prepare_one(ctx: &Job, c: &Candidate, known: Option<&str>) -> Option<PreparedProfile> {
    let rel = &c.rel;
    let file_name = rel.file_name()?.to_string_lossy().into_owned();
    let path = ctx.inbox.join(rel);
    let size = inbox::check_file(
        &ctx.inbox_canon,
        &path,
        ctx.max_input_bytes,
        ctx.allow_hard_links,
    )
    .ok()?;
    if size > ctx.limits.profile_bytes {
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    let head = &bytes[..bytes.len().min(HEAD_LEN)];
    if classify::classify(&file_name, head, bytes.len() <= HEAD_LEN) != classify::Kind::Profile {
        return None;
    }
    let name = path.display().to_string();
    let sha256 = FileDigest::of_bytes(String::new(), &bytes).sha256;
    if known == Some(sha256.as_str()) {
        return None;
    }
    let profile = crate::inputs::load_profile_bytes(&name, &bytes)
        .ok()?
        .profile;
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
        match Confined::new(&ctx.outbox).write_temporary(&target, body.as_bytes()) {
            Ok(tmp) => {
                let digest = FileDigest::of_bytes(target.display().to_string(), body.as_bytes());
                staged.push((tmp, target, digest));
            }
            Err(_) => {
                // The engine's own attempt will report the error where the operator sees it.
                Prepared {
                    scenarios: Vec::new(),
                    staged,
                }
                .discard();
                return None;
            }
        }
    }
    Some(PreparedProfile {
        name,
        sha256,
        profile,
        outputs: Prepared {
            scenarios: scenario_names(&plan),
            staged,
        },
    })
}

pub(super) fn scenario_names(plan: &plan::Plan) -> Vec<String> {
    plan.scenarios.iter().map(|s| s.name.to_string()).collect()
}

/// The files a plan is rendered into, relative to `outbox/<service>/`: the plan itself in the
/// chosen formats, and runner scripts for every scenario so a CI job can pick one up beside it.
pub(super) fn plan_outputs(plan: &Plan, want: Outputs) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for (on, file, format) in [
        (want.json, "plan.json", render::Format::Json),
        (want.markdown, "plan.md", render::Format::Markdown),
        (want.html, "plan.html", render::Format::Html),
    ] {
        if on && let Ok(text) = render::plan(plan, format) {
            out.push((PathBuf::from(file), text));
        }
    }
    if want.exports {
        for f in export::all(plan, None) {
            out.push((Path::new("exports").join(&f.file_name), f.contents));
        }
    }
    out
}
