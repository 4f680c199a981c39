//! Watcher events turned into queue entries: which events mean "look now", which mean "wait for
//! the file to settle", and how a folder that appears in the inbox is followed without a gap.
//! notify announces a new folder before it adds its watch, so a file renamed into the folder in
//! that gap raises no event: the folder is listed after the watch is in place, which finds it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher};
use tokio::time::Instant;

use super::inbox;
use super::queue::Queue;

/// Runners write some files while a run is going: Locust rewrites its CSVs every second (they are
/// settled only after this long without a change, whatever closes or renames are seen), and k6
/// and JMeter append raw samples (written in place, they wait this long unless closed).
pub(super) const LIVE_SETTLE: Duration = Duration::from_secs(3);

fn is_live_csv(rel: &Path) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with("_stats.csv") || name.ends_with("_stats_history.csv")
}

/// Turns one watcher event into queue entries. Returns true when a full rescan is needed
/// (the kernel dropped events, or the watcher says so).
pub fn on_event(
    ev: notify::Result<notify::Event>,
    inbox: &Path,
    queue: &mut Queue,
    settle: Duration,
) -> bool {
    let ev = match ev {
        Ok(ev) => ev,
        Err(e) => {
            tracing::warn!(error = %e, "watcher error; rescanning");
            queue.forget_writers();
            return true;
        }
    };
    tracing::debug!(kind = ?ev.kind, paths = ?ev.paths, "event");
    // Checked per event and before the paths: an overflow event carries no paths at all.
    if ev.need_rescan() {
        // Closes may be among the lost events: files then wait for the settle window instead.
        queue.forget_writers();
        return true;
    }
    if matches!(
        ev.kind,
        EventKind::Access(
            AccessKind::Open(_) | AccessKind::Read | AccessKind::Close(AccessMode::Read)
        )
    ) {
        return false;
    }
    let now = Instant::now();
    let closed = matches!(
        ev.kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
    );
    let gone = matches!(
        ev.kind,
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From))
    );
    let mut early = closed
        || gone
        || matches!(
            ev.kind,
            EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
        );
    // A write: some process holds the file open for writing until the close event. (A create
    // alone proves nothing: links and symlinks are created without any open.) Opens for reading,
    // our own included, come with no write.
    let writes = matches!(
        ev.kind,
        EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any)
    );
    let moved_in = matches!(
        ev.kind,
        EventKind::Modify(ModifyKind::Name(
            RenameMode::To | RenameMode::Both | RenameMode::Any
        ))
    );
    let appeared = moved_in || matches!(ev.kind, EventKind::Create(_));
    // For a rename within the inbox both paths matter: one disappears, one appears.
    for path in &ev.paths {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            if appeared {
                queue.new_folders.push((path.clone(), moved_in));
            }
            continue;
        }
        let Ok(c) = inbox::classify(inbox, path) else {
            continue;
        };
        if writes {
            queue.written(&c.rel, now, LIVE_SETTLE);
        } else if closed {
            // A writer seen to close and reopen the file: its close is no sign of completeness.
            early = queue.closed(&c.rel, now);
        } else if gone {
            queue.gone(&c.rel);
        }
        let live = is_live_csv(&c.rel);
        if early && !live {
            queue.schedule(c, now, true);
        } else {
            let wait = if live {
                settle.max(LIVE_SETTLE)
            } else if closed {
                // Closed by a writer that reopens it: wait until it has been quiet a while.
                settle.max(LIVE_SETTLE)
            } else {
                settle
            };
            queue.schedule(c, now + wait, false);
        }
    }
    false
}

/// Looks into the folders that appeared since the last call. notify reports a new folder before
/// it watches it, so a file renamed into the folder in between raises no event: the folder is
/// watched here first (the call returns once the watch is in place), then listed, so every file
/// is seen either by the listing or by an event. `watcher` is None in poll mode, where each poll
/// walks the whole tree anyway.
pub fn follow_new_folders(
    watcher: Option<&mut (dyn Watcher + '_)>,
    inbox: &Path,
    queue: &mut Queue,
    settle: Duration,
) {
    if queue.new_folders.is_empty() {
        return;
    }
    let mut folders: Vec<(PathBuf, bool)> = std::mem::take(&mut queue.new_folders);
    folders.sort();
    // A folder inside another new folder is covered by that one's watch and listing; a folder
    // both created and moved in counts as created (it may still be being filled).
    let mut outer: Vec<(PathBuf, bool)> = Vec::with_capacity(folders.len());
    for (f, moved) in folders {
        match outer.last_mut() {
            Some((o, m)) if f.starts_with(&*o) => {
                if f == *o {
                    *m &= moved;
                }
            }
            _ => outer.push((f, moved)),
        }
    }
    let mut watcher = watcher;
    for (dir, moved) in outer {
        if let Some(w) = watcher.as_deref_mut()
            && let Err(e) = w.watch(&dir, RecursiveMode::Recursive)
        {
            // Gone again, or the watch limit: the listing below still finds what is there, and a
            // limit error also arrives as a watcher error, which triggers a rescan.
            tracing::debug!(folder = %dir.display(), error = %e, "cannot watch a new folder");
        }
        let now = Instant::now();
        // A folder moved in was filled before the move: its files are taken at once (and, like
        // a renamed file, retried after the settle window if one does not parse). In a folder
        // created here a listed file may still be written to, so it waits for the settle window.
        for c in inbox::scan_under(inbox, &dir) {
            if moved {
                queue.schedule_listed(c, now, true);
            } else {
                queue.schedule_listed(c, now + settle, false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands for notify at its worst: a file lands in the new folder while the watch is being
    /// added, so no event will ever tell of it.
    struct LateWatch {
        arrives: Option<(PathBuf, PathBuf)>,
    }

    impl Watcher for LateWatch {
        fn new<F: notify::EventHandler>(_: F, _: notify::Config) -> notify::Result<Self> {
            Ok(LateWatch { arrives: None })
        }
        fn watch(&mut self, _: &Path, _: RecursiveMode) -> notify::Result<()> {
            if let Some((from, to)) = self.arrives.take() {
                std::fs::rename(from, to).map_err(notify::Error::io)?;
            }
            Ok(())
        }
        fn unwatch(&mut self, _: &Path) -> notify::Result<()> {
            Ok(())
        }
        fn kind() -> notify::WatcherKind {
            notify::WatcherKind::NullWatcher
        }
    }

    #[tokio::test]
    async fn a_file_arriving_while_a_new_folder_is_watched_is_listed() {
        let root = tempfile::tempdir().unwrap();
        let inbox = root.path().join("inbox");
        let folder = inbox.join("svc");
        std::fs::create_dir_all(&folder).unwrap();
        let staged = root.path().join("run.json");
        std::fs::write(&staged, b"{}").unwrap();
        let mut w = LateWatch {
            arrives: Some((staged, folder.join("run.json"))),
        };
        let mut queue = Queue::default();
        queue.new_folders.push((folder.clone(), false));
        queue.new_folders.push((folder.join("deeper"), true));
        follow_new_folders(Some(&mut w), &inbox, &mut queue, Duration::from_millis(300));
        let queued: Vec<&PathBuf> = queue.items.keys().collect();
        assert_eq!(queued, [&PathBuf::from("svc/run.json")]);
        assert!(queue.new_folders.is_empty());
    }

    #[tokio::test]
    async fn files_of_a_folder_moved_in_are_taken_at_once_of_a_created_one_after_settling() {
        let root = tempfile::tempdir().unwrap();
        let inbox = root.path().join("inbox");
        for svc in ["moved", "created", "both"] {
            std::fs::create_dir_all(inbox.join(svc)).unwrap();
            std::fs::write(inbox.join(svc).join("run.json"), b"{}").unwrap();
        }
        let mut queue = Queue::default();
        let settle = Duration::from_millis(300);
        let event =
            |kind: EventKind, svc: &str| Ok(notify::Event::new(kind).add_path(inbox.join(svc)));
        let moved = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        let created = EventKind::Create(notify::event::CreateKind::Folder);
        for (kind, svc) in [
            (moved, "moved"),
            (created, "created"),
            (moved, "both"),
            (created, "both"),
        ] {
            assert!(!on_event(event(kind, svc), &inbox, &mut queue, settle));
        }
        let before = Instant::now();
        follow_new_folders(None, &inbox, &mut queue, settle);
        let early = |svc: &str| queue.items[&PathBuf::from(svc).join("run.json")].1.early;
        assert!(early("moved"));
        assert!(!early("created"));
        assert!(
            !early("both"),
            "a folder also seen created may still be filled"
        );
        let (_, p) = &queue.items[&PathBuf::from("created/run.json")];
        assert!(p.due >= before + settle);
    }

    #[tokio::test]
    async fn an_event_already_queued_is_not_delayed_by_the_listing() {
        let root = tempfile::tempdir().unwrap();
        let inbox = root.path().join("inbox");
        let folder = inbox.join("svc");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("run.json"), b"{}").unwrap();
        let mut queue = Queue::default();
        let renamed = notify::Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::To)))
            .add_path(folder.join("run.json"));
        let created = notify::Event::new(EventKind::Create(notify::event::CreateKind::Folder))
            .add_path(folder.clone());
        let settle = Duration::from_millis(300);
        assert!(!on_event(Ok(created), &inbox, &mut queue, settle));
        assert!(!on_event(Ok(renamed), &inbox, &mut queue, settle));
        follow_new_folders(None, &inbox, &mut queue, settle);
        let (_, p) = &queue.items[&PathBuf::from("svc/run.json")];
        assert!(p.early, "the rename said the file is complete");
        assert!(p.due <= Instant::now());
    }
}
