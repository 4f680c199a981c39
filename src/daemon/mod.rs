//! The watcher daemon: filesystem events, the start-up scan and signals feed one loop that waits
//! for files to settle, hands them to the engine in batches and commits each batch durably.

mod dashboard;
mod dispatch;
pub mod engine;
mod error;
mod events;
pub mod inbox;
mod inflight;
mod instance;
pub mod metrics;
mod metrics_http;
mod problems;
mod queue;
mod reports;
pub mod settings;
pub mod state;
pub mod status;
mod systemd;
mod writers;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::Instant;

use dispatch::{Mode, handle_all, handle_batch};
use engine::Engine;
pub use error::DaemonError;
use events::{follow_new_folders, on_event};
use inbox::Candidate;
use inflight::Blame;
use queue::{Pending, Queue, modified_within};
pub use settings::Settings;

/// Runs the daemon until SIGTERM/SIGINT, or once over the inbox with `once`. Returns the exit code.
pub fn run(s: Settings, once: bool) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return crate::exit::INTERNAL;
        }
    };
    rt.block_on(async move {
        match main_loop(s, once).await {
            Ok(code) => code,
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("error: {e}");
                e.code()
            }
        }
    })
}

fn scan_into(engine: &mut Engine, queue: &mut Queue, now: Instant) {
    let inbox = engine.settings().inbox.clone();
    let present = inbox::scan(&inbox);
    for key in engine.vanished(&present) {
        engine.remove_key(&key);
    }
    for c in present {
        queue.schedule(c, now, true);
    }
}

/// Events arriving while a batch is processed join it, up to these limits, before the batch is
/// committed: a burst then shares its syncs, while a lone drop is committed at once.
const BATCH_MAX_ITEMS: usize = 1024;
const BATCH_MAX_TIME: Duration = Duration::from_millis(50);

type Events = tokio::sync::mpsc::UnboundedReceiver<notify::Result<notify::Event>>;

/// Processes every due item, folding in events that arrive meanwhile, then commits once.
/// A batch that cannot be made durable is rolled back and reported in `Batch::recorded`.
fn process_due(
    engine: &mut Engine,
    queue: &mut Queue,
    settle: Duration,
    mut events: Option<(&mut Events, &Path)>,
) -> Result<Batch, DaemonError> {
    let start = Instant::now();
    let failed_before = engine.counters.failed;
    let mut handled = 0;
    let mut rescan = false;
    loop {
        let now = Instant::now();
        let due = queue.take_due(now);
        if due.is_empty() {
            break;
        }
        let mut ready = Vec::with_capacity(due.len());
        for (c, p) in due {
            let path = engine.settings().inbox.join(&c.rel);
            if queue.held_open(&c.rel, now) {
                // A writer still has it open, however long it pauses: wait for its close.
                queue.schedule(c, now + settle, false);
            } else if p.early {
                ready.push((c, p));
            } else if modified_within(&path, settle) {
                queue.schedule(c, now + settle, false);
            } else if settle < events::LIVE_SETTLE
                && modified_within(&path, events::LIVE_SETTLE)
                && crate::inputs::is_raw_sample_stream(&path)
            {
                // A runner pausing between samples: wait for it to close the file, or to stay
                // quiet for longer than any runner's flush interval.
                queue.schedule(c, now + settle, false);
            } else {
                ready.push((c, p));
            }
        }
        let ready = hold_open_files(engine.settings().inbox.as_path(), ready, |c| {
            queue.schedule(c, now + settle, false)
        });
        for (c, p) in handle_all(engine, ready, true) {
            match p {
                // It looked incomplete right after a close or rename: its writer may append
                // again, so it must stay quiet for longer than a runner's pause to be rejected.
                Some(p) => queue.schedule(c, now + settle.max(events::LIVE_SETTLE), p.early),
                None => handled += 1,
            }
        }
        if handled >= BATCH_MAX_ITEMS || start.elapsed() >= BATCH_MAX_TIME {
            break;
        }
        let Some((rx, inbox)) = events.as_mut() else {
            break;
        };
        let mut more = false;
        while let Ok(ev) = rx.try_recv() {
            rescan |= on_event(ev, inbox, queue, settle);
            more = true;
        }
        if !more {
            break;
        }
    }
    let handling = start.elapsed();
    // Also commits records queued outside this batch (removals found by a rescan).
    let committed = engine.commit();
    stop_if_refused(&committed)?;
    let committed = committed.is_ok();
    engine.finish_batch(committed);
    let recorded = committed && engine.counters.failed == failed_before;
    let committed = start.elapsed();
    save_meta(engine, queue);
    tracing::debug!(
        inputs = handled,
        handle_ms = handling.as_secs_f64() * 1e3,
        commit_ms = (committed - handling).as_secs_f64() * 1e3,
        meta_ms = (start.elapsed() - committed).as_secs_f64() * 1e3,
        queued = queue.items.len(),
        "batch done"
    );
    Ok(Batch {
        handled,
        rescan,
        recorded,
    })
}

/// Stops the daemon once the evidence writer refused the log's end: a retry would be refused
/// again, and skipping the record would lose a result. Any other failed commit is retried.
fn stop_if_refused(commit: &Result<(), DaemonError>) -> Result<(), DaemonError> {
    match commit {
        Err(DaemonError::LogRefused(msg)) => Err(DaemonError::LogRefused(format!(
            "{msg}. Stopping: nothing can be recorded until the log is repaired; the inputs not recorded are processed at the next start"
        ))),
        Err(e) if e.is_fatal() => Err(e.clone()),
        _ => Ok(()),
    }
}

/// What one pass over the due items did.
struct Batch {
    handled: usize,
    rescan: bool,
    /// False when the batch could not be made durable: it was rolled back, retry later.
    recorded: bool,
}

impl Batch {
    /// For the retry backoff: whether the batch recorded inputs, failed, or did nothing.
    fn outcome(&self) -> Option<bool> {
        if !self.recorded {
            Some(false)
        } else {
            (self.handled > 0).then_some(true)
        }
    }
}

/// Saves the state and status files; a failure is logged and retried with the next batch (the
/// evidence log, already durable, covers the state in between).
fn save_meta(engine: &mut Engine, queue: &Queue) {
    if let Err(e) = engine.flush_meta(queue.items.len(), queue.items.is_empty(), false) {
        engine.meta_failed(&e.to_string());
    }
    engine.queue_depth(queue.items.len());
}

/// The first retry after a failed batch comes this soon, then twice as late each time.
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// Deals with the input that killed the previous process, if its note blames one. An input in
/// progress at a death is tried again alone; one that was being retried alone when the process
/// died again is set aside (when it is still the same file), and everything else carries on.
fn recover_from_crash(engine: &mut Engine) -> Result<(), DaemonError> {
    let inbox = engine.settings().inbox.clone();
    match engine.take_blame() {
        Blame::Nobody => return Ok(()),
        Blame::Culprit { key, noted } => {
            if noted.is_none_or(|s| s.unchanged(&inbox.join(&key))) {
                engine.quarantine(&key);
            }
        }
        Blame::Retry(suspects) => {
            tracing::warn!(
                inputs = suspects.len(),
                "the previous run stopped while processing; trying its inputs again one at a time"
            );
            for s in suspects {
                let path = inbox.join(&s.key);
                let Ok(c) = inbox::classify(&inbox, &path) else {
                    continue;
                };
                let pending = Pending {
                    due: Instant::now(),
                    early: false,
                    seen: Instant::now(),
                };
                let mode = Mode {
                    workers: false,
                    retry: true,
                    patient: false,
                };
                handle_batch(engine, vec![(c, pending)], mode);
                // Each retry is recorded on its own: a later death must not undo it.
                let committed = engine.commit();
                engine.finish_batch(committed.is_ok());
                committed?;
            }
        }
    }
    let committed = engine.commit();
    engine.finish_batch(committed.is_ok());
    committed
}

/// Takes out of `ready` the files that settled by time alone (no close or rename was seen) but
/// that a process on this machine still holds open for writing, and hands them to `hold`.
fn hold_open_files(
    inbox: &Path,
    ready: Vec<(Candidate, Pending)>,
    mut hold: impl FnMut(Candidate),
) -> Vec<(Candidate, Pending)> {
    let ids: Vec<Option<writers::FileId>> = ready
        .iter()
        .map(|(c, p)| {
            (!p.early)
                .then(|| writers::id_of(&inbox.join(&c.rel)))
                .flatten()
        })
        .collect();
    let wanted: std::collections::HashSet<writers::FileId> =
        ids.iter().flatten().copied().collect();
    let open = writers::open_for_writing(&wanted);
    if open.is_empty() {
        return ready;
    }
    let mut out = Vec::with_capacity(ready.len());
    for ((c, p), id) in ready.into_iter().zip(ids) {
        if id.is_some_and(|id| open.contains(&id)) {
            tracing::debug!(input = %c.rel.display(), "still open for writing; waiting for its writer");
            hold(c);
        } else {
            out.push((c, p));
        }
    }
    out
}

async fn main_loop(s: Settings, once: bool) -> Result<i32, DaemonError> {
    let settle = s.settle;
    let poll = s.poll;
    let mut engine = Engine::open(s)?;
    // The watcher reports absolute paths; compare them with the inbox's canonical path.
    let inbox = std::fs::canonicalize(&engine.settings().inbox)
        .map_err(|e| DaemonError::fatal(format!("{}: {e}", engine.settings().inbox.display())))?;
    let mut queue = Queue::default();
    recover_from_crash(&mut engine)?;

    if once {
        scan_into(&mut engine, &mut queue, Instant::now());
        let items = queue.take_due(Instant::now() + Duration::from_secs(1));
        // Nothing is retried in a single pass: an incomplete-looking file is judged as it is,
        // unless a process here still writes to it; that one is left for the next pass.
        let items = items
            .into_iter()
            .map(|(c, p)| (c, Pending { early: false, ..p }))
            .collect();
        let inbox = engine.settings().inbox.clone();
        let items = hold_open_files(&inbox, items, |c| {
            tracing::warn!(input = %c.rel.display(), "still open for writing; left for the next pass");
        });
        handle_all(&mut engine, items, false);
        let committed = engine.commit();
        engine.finish_batch(committed.is_ok());
        committed?;
        engine.flush_meta(0, true, true)?;
        engine.write_dashboard();
        let c = &engine.counters;
        eprintln!(
            "perfassist: {} processed, {} rejected, {} with failed or inconclusive SLOs, {} removed",
            c.processed, c.rejected, c.slo_failed, c.removed
        );
        if c.failed > 0 {
            return Err(DaemonError::Retry(format!(
                "{} input(s) could not be recorded because outputs or evidence could not be written; see the errors above",
                c.failed
            )));
        }
        return Ok(if c.rejected > 0 {
            crate::exit::BAD_INPUT
        } else if c.slo_failed > 0 {
            crate::exit::SLO_FAILED
        } else {
            crate::exit::OK
        });
    }

    if let Some(addr) = engine.settings().metrics_listen {
        let listener = metrics_http::bind(addr).await?;
        let m = Arc::new(metrics::Metrics::new());
        engine.set_metrics(Arc::clone(&m));
        if !addr.ip().is_loopback() {
            tracing::warn!(listen = %addr, "metrics are served beyond this machine; put them behind a firewall");
        }
        let bound = listener.local_addr().map_or(addr, |a| a);
        tracing::info!(listen = %bound, "serving metrics at /metrics");
        tokio::spawn(metrics_http::serve(listener, m));
    }
    queue.track_writers = poll.is_none();
    // Start watching before the first scan, so nothing written during the scan is missed.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<notify::Result<notify::Event>>();
    let handler = move |ev: notify::Result<notify::Event>| {
        let _ = tx.send(ev);
    };
    let mut watcher: Box<dyn Watcher> = match poll {
        Some(interval) => Box::new(
            notify::PollWatcher::new(
                handler,
                notify::Config::default().with_poll_interval(interval),
            )
            .map_err(|e| DaemonError::fatal(format!("cannot start the poll watcher: {e}")))?,
        ),
        None => Box::new(notify::recommended_watcher(handler).map_err(|e| watch_error(&e))?),
    };
    watcher
        .watch(&inbox, RecursiveMode::Recursive)
        .map_err(|e| watch_error(&e))?;
    tracing::info!(inbox = %inbox.display(), mode = if poll.is_some() { "poll" } else { "events" }, "watching");

    let signal_error = |e: std::io::Error| DaemonError::fatal(e.to_string());
    let mut term = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut int = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let mut hup = signal(SignalKind::hangup()).map_err(signal_error)?;
    // A second SIGTERM or SIGINT while shutting down ends the process at once.
    let stopping = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stopping));
    }

    // After a batch could not be recorded (disk full, outbox read-only), the inbox is rescanned
    // after a growing pause, which processes its rolled-back inputs again.
    let mut retry_at: Option<Instant> = None;
    let mut backoff = RETRY_FIRST;
    // `recorded` is None when there was nothing to record: that proves nothing, so it keeps the
    // backoff growing while a failure lasts (a rescan's empty commit used to reset it to 2 s).
    let mut after_batch = |recorded: Option<bool>, retry_at: &mut Option<Instant>| {
        if recorded == Some(true) {
            backoff = RETRY_FIRST;
        } else if recorded == Some(false) && retry_at.is_none() {
            // The failure itself was logged once, with when it is retried (`engine::observe`).
            tracing::debug!(
                in_seconds = backoff.as_secs(),
                "retrying the inbox after a failed batch"
            );
            *retry_at = Some(Instant::now() + backoff);
            backoff = (backoff * 2).min(RETRY_MAX);
        }
    };
    scan_into(&mut engine, &mut queue, Instant::now());
    let first = process_due(&mut engine, &mut queue, settle, None)?;
    after_batch(first.outcome(), &mut retry_at);
    save_meta(&mut engine, &queue);
    engine.write_dashboard();
    systemd::ready(&status::one_line(
        &engine.state,
        &engine.counters,
        queue.items.len(),
    ));
    // The dashboard is rewritten `dashboard::DELAY` after a batch changed it (one timer, armed
    // only while a change waits: an idle daemon does not wake up).
    let mut dashboard_at: Option<Instant> = None;
    let watchdog = systemd::watchdog_interval();
    let mut watchdog_tick = tokio::time::interval(watchdog.unwrap_or(Duration::from_secs(3600)));

    loop {
        let next = queue.next_due();
        let mut rescan = false;
        tokio::select! {
            ev = rx.recv() => {
                let Some(ev) = ev else { break };
                rescan |= on_event(ev, &inbox, &mut queue, settle);
                while let Ok(ev) = rx.try_recv() {
                    rescan |= on_event(ev, &inbox, &mut queue, settle);
                }
                engine.queue_depth(queue.items.len());
            }
            _ = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {
                let b = process_due(&mut engine, &mut queue, settle, Some((&mut rx, &inbox)))?;
                rescan |= b.rescan;
                after_batch(b.outcome(), &mut retry_at);
                if b.handled > 0 {
                    systemd::status(&status::one_line(&engine.state, &engine.counters, queue.items.len()));
                }
            }
            _ = tokio::time::sleep_until(retry_at.unwrap_or_else(Instant::now)), if retry_at.is_some() => {
                retry_at = None;
                rescan = true;
            }
            _ = tokio::time::sleep_until(dashboard_at.unwrap_or_else(Instant::now)), if dashboard_at.is_some() => {
                dashboard_at = None;
                engine.write_dashboard();
            }
            _ = watchdog_tick.tick(), if watchdog.is_some() => systemd::watchdog(),
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reopening the evidence log and rescanning the inbox");
                engine.reopen_log()?;
                rescan = true;
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
        if dashboard_at.is_none() && engine.dashboard_changed() {
            dashboard_at = Some(Instant::now() + dashboard::DELAY);
        }
        let events_watcher = poll.is_none().then_some(watcher.as_mut());
        follow_new_folders(events_watcher, &inbox, &mut queue, settle);
        if rescan {
            tracing::info!("rescanning the inbox");
            scan_into(&mut engine, &mut queue, Instant::now());
            // Removals found by the scan are recorded now, even if nothing else is due.
            let committed = engine.commit();
            stop_if_refused(&committed)?;
            let committed = committed.is_ok();
            engine.finish_batch(committed);
            after_batch((!committed).then_some(false), &mut retry_at);
            save_meta(&mut engine, &queue);
        }
    }
    stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    systemd::stopping();
    tracing::info!("stopping: flushing evidence and state");
    let committed = engine.commit();
    engine.finish_batch(committed.is_ok());
    committed?;
    engine.flush_meta(queue.items.len(), true, true)?;
    engine.write_dashboard();
    drop(watcher);
    Ok(crate::exit::OK)
}

fn watch_error(e: &notify::Error) -> DaemonError {
    DaemonError::Fatal(match &e.kind {
        notify::ErrorKind::MaxFilesWatch => {
            "the inotify watch limit is reached: raise fs.inotify.max_user_watches (sysctl) or use --poll".into()
        }
        _ => format!("cannot watch the inbox: {e}"),
    })
}
