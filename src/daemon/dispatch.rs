//! Handing ready inputs to the engine, in order. Profiles are prepared chunk by chunk on every
//! core, the next chunk while the engine applies the current one, so both cores stay busy in a
//! burst; and every input of a batch is noted before any is processed (see `inflight`), so one
//! that kills the process is set aside after the restart instead of killing it again.

use super::engine::{self, Engine, Handled};
use super::inbox::Candidate;
use super::queue::{Pending, modified_within};
use super::{events, state};

/// Profiles are prepared on every core this many at a time, which bounds the plans held in memory.
const PREPARE_CHUNK: usize = 256;

/// How a batch is handled.
#[derive(Clone, Copy)]
pub(super) struct Mode {
    /// Other cores may prepare profiles.
    pub workers: bool,
    /// The batch is a retry of an input in progress when the process died (see `inflight`).
    pub retry: bool,
    /// A file that fails to parse is rejected only once it has been quiet for `LIVE_SETTLE`
    /// (a writer may append again); otherwise it is deferred. `--once` judges everything now.
    pub patient: bool,
}

/// Handles `ready` items in order. Profiles are prepared chunk by chunk on every core, the next
/// chunk while the engine applies the current one, so both cores stay busy in a burst.
/// Returns every item with `Some` when it must be retried later.
pub(super) fn handle_all(
    engine: &mut Engine,
    ready: Vec<(Candidate, Pending)>,
    patient: bool,
) -> Vec<(Candidate, Option<Pending>)> {
    let mode = Mode {
        workers: true,
        retry: false,
        patient,
    };
    handle_batch(engine, ready, mode)
}

/// `handle_all` in a given mode. Every input is noted before any is processed (see
/// `inflight`), so one that kills the process is set aside after the restart instead of
/// killing it again.
pub(super) fn handle_batch(
    engine: &mut Engine,
    ready: Vec<(Candidate, Pending)>,
    mode: Mode,
) -> Vec<(Candidate, Option<Pending>)> {
    let Mode {
        workers,
        retry,
        patient,
    } = mode;
    let workers = workers && engine::workers_for(ready.len().min(PREPARE_CHUNK)).is_some();
    let inputs: Vec<&Candidate> = ready.iter().map(|(c, _)| c).collect();
    engine.begin_batch(&inputs, workers, retry);
    let mut chunks: Vec<Vec<(Candidate, Pending)>> = Vec::new();
    let mut ready = ready.into_iter().peekable();
    while ready.peek().is_some() {
        chunks.push(ready.by_ref().take(PREPARE_CHUNK).collect());
    }
    let job_for = |engine: &Engine, chunk: Option<&Vec<(Candidate, Pending)>>| {
        chunk
            .filter(|_| workers)
            .and_then(|c| engine.prepare_job(&c.iter().map(|(c, _)| c).collect::<Vec<_>>()))
    };
    let mut out = Vec::new();
    std::thread::scope(|s| {
        let mut next = job_for(engine, chunks.first()).map(|job| s.spawn(move || job.run()));
        for i in 0..chunks.len() {
            if let Some(ready) = next.take().and_then(|h| h.join().ok()) {
                engine.adopt_prepared(ready);
            }
            next = job_for(engine, chunks.get(i + 1)).map(|job| s.spawn(move || job.run()));
            for (c, p) in std::mem::take(&mut chunks[i]) {
                let _span = tracing::info_span!("job", input = %c.rel.display()).entered();
                let key = state::key(&c.rel);
                let mark = engine.input_mark(&key);
                let t0 = std::time::Instant::now();
                let allow_reject = !patient
                    || (!p.early
                        && !modified_within(
                            &engine.settings().inbox.join(&c.rel),
                            events::LIVE_SETTLE,
                        ));
                match engine.handle(&c, allow_reject) {
                    Handled::Deferred => out.push((c, Some(Pending { early: false, ..p }))),
                    outcome => {
                        tracing::debug!(?outcome, "handled");
                        engine.note_handled(&key, outcome, mark, p.seen.into_std(), t0.elapsed());
                        out.push((c, None));
                    }
                }
            }
            engine.discard_prepared();
        }
    });
    engine.end_batch();
    out
}
