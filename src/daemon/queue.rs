//! Files waiting to settle before they are handed to the engine, with the deadline of each.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use super::inbox::Candidate;

#[derive(Debug, Clone, Copy)]
pub struct Pending {
    pub due: Instant,
    /// Seen closed after writing or renamed into place: try at once, but do not reject on a
    /// parse failure until the file has settled.
    pub early: bool,
    /// When the daemon first saw the file (for the drop-to-output time).
    pub seen: Instant,
}

/// Files waiting to be processed, keyed by their path relative to the inbox.
#[derive(Default)]
pub struct Queue {
    pub items: HashMap<PathBuf, (Candidate, Pending)>,
    /// Folders that appeared in the inbox since the last look, and whether they were moved in
    /// (complete) rather than created: each must be watched, then listed (see
    /// `events::follow_new_folders`).
    pub new_folders: Vec<(PathBuf, bool)>,
    /// Files some process has open for writing, as inotify tells (written to or created, not
    /// closed since), with the time of the last write: they are held until closed.
    writing: HashMap<PathBuf, Instant>,
    /// When each file was last closed after writing, to notice a writer that reopens it.
    closed: HashMap<PathBuf, Instant>,
    /// Files whose writer closes and reopens them between appends: a close does not mean they
    /// are complete, so they wait for the settle window like files written unseen.
    reopened: HashSet<PathBuf>,
    /// Only inotify reports writes and closes; a polling watcher sees neither.
    pub track_writers: bool,
}

/// A file still open for writing is released anyway after this long without a write: its
/// close may have been lost (an event queue overflow) and the settle window covers it then.
pub const WRITER_IDLE_LIMIT: Duration = Duration::from_secs(300);

impl Queue {
    pub fn schedule(&mut self, c: Candidate, due: Instant, early: bool) {
        let key = c.rel.clone();
        match self.items.get_mut(&key) {
            // A later plain write pushes the deadline out; an early signal pulls it in.
            Some((_, p)) => {
                if early {
                    p.due = p.due.min(due);
                    p.early = true;
                } else {
                    p.due = p.due.max(due);
                    p.early = false;
                }
            }
            None => {
                let seen = Instant::now();
                self.items.insert(key, (c, Pending { due, early, seen }));
            }
        }
    }

    /// Queues a file found by listing a folder, unless an event already queued it: the event
    /// knows better whether the file is complete.
    pub fn schedule_listed(&mut self, c: Candidate, due: Instant, early: bool) {
        if !self.items.contains_key(&c.rel) {
            self.schedule(c, due, early);
        }
    }

    /// Notes that a process wrote to (or created) `rel` and has it open.
    pub fn written(&mut self, rel: &Path, now: Instant, reopen_window: Duration) {
        if !self.track_writers {
            return;
        }
        if self
            .closed
            .get(rel)
            .is_some_and(|t| now.saturating_duration_since(*t) < reopen_window)
        {
            self.reopened.insert(rel.to_path_buf());
        }
        self.writing.insert(rel.to_path_buf(), now);
    }

    /// Notes that the writer of `rel` closed it. Returns whether the close can be trusted to
    /// mean the file is complete (its writer has not been seen to reopen it).
    pub fn closed(&mut self, rel: &Path, now: Instant) -> bool {
        self.writing.remove(rel);
        self.closed.insert(rel.to_path_buf(), now);
        if self.closed.len() > 4096 {
            self.closed
                .retain(|_, t| now.saturating_duration_since(*t) < Duration::from_secs(60));
        }
        !self.reopened.contains(rel)
    }

    /// Whether `rel` is held because a writer still has it open.
    pub fn held_open(&mut self, rel: &Path, now: Instant) -> bool {
        match self.writing.get(rel) {
            Some(t) if now.saturating_duration_since(*t) < WRITER_IDLE_LIMIT => true,
            Some(_) => {
                tracing::warn!(input = %rel.display(), "no write and no close seen for 5 minutes; taking the file as it is");
                self.writing.remove(rel);
                false
            }
            None => false,
        }
    }

    /// Forgets a file that was removed or renamed away.
    pub fn gone(&mut self, rel: &Path) {
        self.writing.remove(rel);
        self.closed.remove(rel);
        self.reopened.remove(rel);
    }

    /// After events were lost (an overflow), opens and closes seen so far cannot be trusted.
    pub fn forget_writers(&mut self) {
        self.writing.clear();
        self.closed.clear();
    }

    pub fn next_due(&self) -> Option<Instant> {
        self.items.values().map(|(_, p)| p.due).min()
    }

    pub fn take_due(&mut self, now: Instant) -> Vec<(Candidate, Pending)> {
        let keys: Vec<PathBuf> = self
            .items
            .iter()
            .filter(|(_, (_, p))| p.due <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out: Vec<(Candidate, Pending)> =
            keys.iter().filter_map(|k| self.items.remove(k)).collect();
        // Profiles in the inbox root first, then by path, so a service's profile usually
        // arrives before its results in the same batch.
        out.sort_by(|a, b| {
            (a.0.folder_service.is_some(), &a.0.rel).cmp(&(b.0.folder_service.is_some(), &b.0.rel))
        });
        out
    }
}

/// True when the file changed less than `window` ago (a writer may still be at work).
pub(super) fn modified_within(path: &Path, window: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < window)
}
