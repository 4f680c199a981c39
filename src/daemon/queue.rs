//! Files waiting to settle before they are handed to the engine, with the deadline of each.

use std::collections::HashMap;
use std::path::PathBuf;

use tokio::time::Instant;

use super::inbox::Candidate;

#[derive(Debug, Clone, Copy)]
pub struct Pending {
    pub due: Instant,
    /// Seen closed after writing or renamed into place: try at once, but do not reject on a
    /// parse failure until the file has settled.
    pub early: bool,
}

/// Files waiting to be processed, keyed by their path relative to the inbox.
#[derive(Default)]
pub struct Queue {
    pub items: HashMap<PathBuf, (Candidate, Pending)>,
    /// Folders that appeared in the inbox since the last look, and whether they were moved in
    /// (complete) rather than created: each must be watched, then listed (see
    /// `events::follow_new_folders`).
    pub new_folders: Vec<(PathBuf, bool)>,
}

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
                self.items.insert(key, (c, Pending { due, early }));
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
