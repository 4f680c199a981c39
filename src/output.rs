//! Atomic file output: a reader sees the old file or the new one, never a part, even after a crash
//! or power loss (temporary file in the same folder, fsync, rename, fsync of the folder).

use std::io::Write;
use std::path::Path;

use atomic_write_file::AtomicWriteFile;

/// Writes `bytes` to `path` atomically, creating missing parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = AtomicWriteFile::options().open(path)?;
    file.write_all(bytes)?;
    // commit() fsyncs the file, renames it into place and fsyncs the folder.
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}

/// A group of files written together: every file is written to a temporary name beside its
/// target, the filesystem is synced once, then all are renamed into place and their folders
/// synced. A burst of outputs costs two syncs instead of two per file, and readers still only
/// ever see whole files.
#[derive(Default)]
pub struct Batch {
    staged: Vec<(std::path::PathBuf, std::path::PathBuf)>,
    /// Index into `staged` by target path, so restaging a path replaces it in constant time.
    index: std::collections::HashMap<std::path::PathBuf, usize>,
    /// A set: a burst queues two removals per profile, and every write checks against them.
    removals: std::collections::HashSet<std::path::PathBuf>,
    /// Removals in the order they were first queued, so `rollback_to` can take back the newer.
    removal_order: Vec<std::path::PathBuf>,
}

/// A point in a batch to roll back to (see `Batch::mark`).
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    staged: usize,
    removals: usize,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.staged.is_empty() && self.removals.is_empty()
    }

    /// Writes `bytes` to a temporary file beside `path`; nothing is visible at `path` until commit.
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let tmp = write_temporary(path, bytes)?;
        self.adopt(tmp, path);
        Ok(())
    }

    /// Takes over a temporary file already written beside `path` (see `write_temporary`), to be
    /// renamed onto `path` at commit. Staging a path again replaces its earlier temporary file.
    pub fn adopt(&mut self, tmp: std::path::PathBuf, path: &Path) {
        // The last operation on a path wins: a write after a removal cancels the removal.
        self.removals.remove(path);
        match self.index.get(path) {
            Some(&i) => {
                let old = std::mem::replace(&mut self.staged[i].0, tmp);
                let _ = std::fs::remove_file(old);
            }
            None => {
                self.index.insert(path.to_path_buf(), self.staged.len());
                self.staged.push((tmp, path.to_path_buf()));
            }
        }
    }

    /// Deletes `path` at commit time if it exists (e.g. an error report once the input is fixed).
    /// A removal after a write of the same path in this batch cancels the write.
    pub fn remove(&mut self, path: &Path) {
        if let Some(i) = self.index.remove(path) {
            // Order is kept (rare, so the shift is cheap enough): `mark` points stay valid.
            let (tmp, _) = self.staged.remove(i);
            let _ = std::fs::remove_file(tmp);
            for (j, (_, p)) in self.staged.iter().enumerate().skip(i) {
                self.index.insert(p.clone(), j);
            }
        }
        if self.removals.insert(path.to_path_buf()) {
            self.removal_order.push(path.to_path_buf());
        }
    }

    /// A point to roll back to with `rollback_to`.
    pub fn mark(&self) -> Mark {
        Mark {
            staged: self.staged.len(),
            removals: self.removal_order.len(),
        }
    }

    /// Drops the files staged and the removals queued since `mark` (deleting the temporaries).
    pub fn rollback_to(&mut self, mark: Mark) {
        for (tmp, path) in self.staged.drain(mark.staged.min(self.staged.len())..) {
            self.index.remove(&path);
            let _ = std::fs::remove_file(tmp);
        }
        for path in self
            .removal_order
            .drain(mark.removals.min(self.removal_order.len())..)
        {
            self.removals.remove(&path);
        }
    }

    /// Drops everything staged: deletes the temporaries and forgets the removals.
    pub fn abort(&mut self) {
        for (tmp, _) in self.staged.drain(..) {
            let _ = std::fs::remove_file(tmp);
        }
        self.index.clear();
        self.removals.clear();
        self.removal_order.clear();
    }

    /// Makes every staged file durable and visible. On error the staged temporaries are removed.
    pub fn commit(&mut self) -> std::io::Result<()> {
        let staged = std::mem::take(&mut self.staged);
        self.index.clear();
        let removals = std::mem::take(&mut self.removals);
        self.removal_order.clear();
        let result = commit_all(&staged, &removals);
        if result.is_err() {
            for (tmp, _) in &staged {
                let _ = std::fs::remove_file(tmp);
            }
        }
        result
    }
}

/// Up to this many files, syncing each file and folder is cheaper than syncing the filesystem.
const SMALL_BATCH: usize = 4;

fn commit_all(
    staged: &[(std::path::PathBuf, std::path::PathBuf)],
    removals: &std::collections::HashSet<std::path::PathBuf>,
) -> std::io::Result<()> {
    let mut dirs: std::collections::BTreeSet<std::path::PathBuf> = Default::default();
    let small = staged.len() <= SMALL_BATCH;
    if small {
        for (tmp, _) in staged {
            std::fs::File::open(tmp)?.sync_data()?;
        }
    } else if let Some((tmp, _)) = staged.first() {
        sync_filesystem(tmp)?;
    }
    for (tmp, path) in staged {
        std::fs::rename(tmp, path)?;
        if small && let Some(d) = path.parent() {
            dirs.insert(d.to_path_buf());
        }
    }
    for path in removals {
        match std::fs::remove_file(path) {
            Ok(()) => {
                if let Some(d) = path.parent() {
                    dirs.insert(d.to_path_buf());
                }
            }
            // Nothing to remove where the folder itself is missing or is not a folder.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) => {}
            Err(e) => return Err(e),
        }
    }
    if small || staged.is_empty() {
        for d in dirs {
            std::fs::File::open(&d)?.sync_all()?;
        }
    } else if let Some((_, path)) = staged.first() {
        // One more filesystem sync makes every rename durable, however many folders they touched.
        sync_filesystem(path)?;
    }
    Ok(())
}

/// Replaces `path` atomically (temporary file and rename) without waiting for the disk: readers
/// never see a partial file, but a power loss may bring back the previous version. For files
/// that can be rebuilt, such as the status file.
pub fn replace_quickly(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temporary(path, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Writes `bytes` to a new hidden temporary file in `path`'s folder (created if missing), where a
/// rename onto `path` is atomic; the inbox ignores such names, and so do readers of the outbox.
/// Every call gets its own name, so threads preparing outputs for the same path never collide.
pub fn write_temporary(path: &Path, bytes: &[u8]) -> std::io::Result<std::path::PathBuf> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{seq}.tmp", std::process::id()));
    let written = match std::fs::write(&tmp, bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Only a missing folder costs the extra syscalls; the common case is one open.
            std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&tmp, bytes))
        }
        other => other,
    };
    if let Err(e) = written {
        // A full disk can create the file and then refuse its bytes: leave nothing behind.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// Flushes every dirty page of the filesystem holding `path` (one syscall for the whole batch).
fn sync_filesystem(path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: syncfs takes a valid open descriptor, which `file` holds for the call.
        let rc = unsafe { libc::syncfs(file.as_raw_fd()) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        file.sync_all()
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[test]
    fn batch_is_invisible_until_commit_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("x/a.json");
        let b = dir.path().join("x/b.md");
        std::fs::create_dir_all(dir.path().join("x")).unwrap();
        std::fs::write(dir.path().join("x/old.error.json"), "e").unwrap();
        let mut batch = Batch::default();
        batch.stage(&a, b"A").unwrap();
        batch.stage(&b, b"B").unwrap();
        batch.stage(&a, b"A2").unwrap();
        batch.remove(&dir.path().join("x/old.error.json"));
        assert!(!a.exists());
        batch.commit().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"A2");
        assert_eq!(std::fs::read(&b).unwrap(), b"B");
        let mut names: Vec<_> = std::fs::read_dir(dir.path().join("x"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.json", "b.md"]);
    }

    #[test]
    fn rollback_takes_back_only_what_came_after_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p("old-error.json"), "e").unwrap();
        std::fs::write(p("kept-error.json"), "e").unwrap();
        let mut batch = Batch::default();
        batch.stage(&p("first.json"), b"1").unwrap();
        batch.remove(&p("old-error.json"));
        let mark = batch.mark();
        batch.stage(&p("second.json"), b"2").unwrap();
        batch.remove(&p("kept-error.json"));
        batch.rollback_to(mark);
        batch.commit().unwrap();
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["first.json", "kept-error.json"]);
    }

    #[test]
    fn the_last_write_or_removal_of_a_path_in_a_batch_wins() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.error.json");
        let gone = dir.path().join("gone.error.json");
        let other = dir.path().join("other.json");
        std::fs::write(&gone, "old").unwrap();
        let mut batch = Batch::default();
        batch.remove(&kept);
        batch.stage(&kept, b"new error").unwrap();
        batch.stage(&gone, b"staged").unwrap();
        batch.stage(&other, b"other").unwrap();
        batch.remove(&gone);
        batch.commit().unwrap();
        assert_eq!(std::fs::read(&kept).unwrap(), b"new error");
        assert!(!gone.exists());
        assert_eq!(std::fs::read(&other).unwrap(), b"other");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temporaries left");
    }
}
