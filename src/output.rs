//! Atomic file output: a reader sees the old file or the new one, never a part, even after a crash
//! or power loss (temporary file in the same folder, fsync, rename, fsync of the folder).
//! A batch of up to `SMALL_BATCH` (4) files syncs each file and then each folder; a larger one syncs
//! the filesystem once (`syncfs`) before the renames and once after, which costs less than one
//! fsync per file.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use atomic_write_file::AtomicWriteFile;

use crate::confined::{Confined, Folder};

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

/// A group of files written together below one root folder (the daemon's outbox): every file is
/// written to a temporary name beside its target, the filesystem is synced once, then all are
/// renamed into place and their folders synced. A burst of outputs costs two syncs instead of two
/// per file, and readers still only ever see whole files. No link under the root is followed
/// (see `confined`): a planted one fails the write that would have gone through it.
pub struct Batch {
    root: Confined,
    staged: Vec<(PathBuf, PathBuf)>,
    /// Index into `staged` by target path, so restaging a path replaces it in constant time.
    index: HashMap<PathBuf, usize>,
    /// A set: a burst queues two removals per profile, and every write checks against them.
    removals: HashSet<PathBuf>,
    /// Removals in the order they were first queued, so `rollback_to` can take back the newer.
    removal_order: Vec<PathBuf>,
}

/// A point in a batch to roll back to (see `Batch::mark`).
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    staged: usize,
    removals: usize,
}

impl Batch {
    /// A batch of files below `root`.
    pub fn new(root: &Path) -> Batch {
        Batch {
            root: Confined::new(root),
            staged: Vec::new(),
            index: HashMap::new(),
            removals: HashSet::new(),
            removal_order: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.staged.is_empty() && self.removals.is_empty()
    }

    /// Writes `bytes` to a temporary file beside `path`; nothing is visible at `path` until commit.
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let tmp = self.root.write_temporary(path, bytes)?;
        self.adopt(tmp, path);
        Ok(())
    }

    /// Takes over a temporary file already written beside `path` (by `Confined::write_temporary`
    /// on the same root), to be renamed onto `path` at commit. Staging a path again replaces its
    /// earlier temporary file.
    pub fn adopt(&mut self, tmp: PathBuf, path: &Path) {
        // The last operation on a path wins: a write after a removal cancels the removal.
        self.removals.remove(path);
        match self.index.get(path) {
            Some(&i) => {
                let old = std::mem::replace(&mut self.staged[i].0, tmp);
                self.discard(&old);
            }
            None => {
                self.index.insert(path.to_path_buf(), self.staged.len());
                self.staged.push((tmp, path.to_path_buf()));
            }
        }
    }

    /// Deletes a temporary file, through the folders it was written in.
    fn discard(&self, tmp: &Path) {
        if let Ok((folder, name)) = self.root.folder_of(tmp, false) {
            let _ = folder.remove_if_present(name);
        }
    }

    /// Deletes `path` at commit time if it exists (e.g. an error report once the input is fixed).
    /// A removal after a write of the same path in this batch cancels the write.
    pub fn remove(&mut self, path: &Path) {
        if let Some(i) = self.index.remove(path) {
            // Order is kept (rare, so the shift is cheap enough): `mark` points stay valid.
            let (tmp, _) = self.staged.remove(i);
            self.discard(&tmp);
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
        let dropped: Vec<_> = self
            .staged
            .drain(mark.staged.min(self.staged.len())..)
            .collect();
        for (tmp, path) in dropped {
            self.index.remove(&path);
            self.discard(&tmp);
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
        for (tmp, _) in std::mem::take(&mut self.staged) {
            self.discard(&tmp);
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
        let result = commit_all(&self.root, &staged, &removals);
        if result.is_err() {
            for (tmp, _) in &staged {
                self.discard(tmp);
            }
        }
        result
    }
}

/// Up to this many files, syncing each file and folder is cheaper than syncing the filesystem.
const SMALL_BATCH: usize = 4;

fn commit_all(
    root: &Confined,
    staged: &[(PathBuf, PathBuf)],
    removals: &HashSet<PathBuf>,
) -> std::io::Result<()> {
    let small = staged.len() <= SMALL_BATCH;
    if small {
        for (tmp, _) in staged {
            let (folder, name) = root.folder_of(tmp, false)?;
            folder.sync_file(name)?;
        }
    } else if !staged.is_empty() {
        root.open_root()?.sync_filesystem()?;
    }
    // Folders to sync after small batches; each opened once per run of files that share it.
    let mut touched: Vec<Folder> = Vec::new();
    let mut current: Option<Folder> = None;
    for (tmp, path) in staged {
        if tmp.parent() != path.parent() {
            return Err(std::io::Error::other(format!(
                "{}: its temporary file {} is in another folder",
                path.display(),
                tmp.display()
            )));
        }
        let (folder, name) = match current.take() {
            Some(f) if Some(f.path()) == path.parent() => (f, path.file_name().unwrap_or_default()),
            other => {
                if let Some(f) = other {
                    keep_for_sync(&mut touched, f, small);
                }
                root.folder_of(path, false)?
            }
        };
        folder.rename_into_place(tmp.file_name().unwrap_or_default(), name)?;
        current = Some(folder);
    }
    if let Some(f) = current {
        keep_for_sync(&mut touched, f, small);
    }
    for path in removals {
        match root.folder_of(path, false) {
            Ok((folder, name)) => {
                folder.remove_if_present(name)?;
                keep_for_sync(&mut touched, folder, small || staged.is_empty());
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
        for folder in &touched {
            folder.sync()?;
        }
    } else {
        // One more filesystem sync makes every rename durable, however many folders they touched.
        root.open_root()?.sync_filesystem()?;
    }
    Ok(())
}

/// Keeps `folder` for the final folder syncs of a small batch (once per folder).
fn keep_for_sync(touched: &mut Vec<Folder>, folder: Folder, small: bool) {
    if small && !touched.iter().any(|f| f.path() == folder.path()) {
        touched.push(folder);
    }
}

/// Replaces `path` atomically (temporary file and rename) without waiting for the disk: readers
/// never see a partial file, but a power loss may bring back the previous version. For files
/// that can be rebuilt, such as the state file between durable saves.
pub fn replace_quickly(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temporary(path, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Writes `bytes` to a new temporary file in `path`'s folder (created if missing), where a
/// rename onto `path` is atomic. Outside the outbox only: the outbox goes through `Confined`.
fn write_temporary(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(crate::confined::temporary_name(
        path.file_name().unwrap_or_default(),
    ));
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
        let mut batch = Batch::new(dir.path());
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
        let mut batch = Batch::new(dir.path());
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
        let mut batch = Batch::new(dir.path());
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

    #[test]
    fn a_link_swapped_in_before_commit_is_refused_and_nothing_leaves_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path().join("outbox");
        let mut batch = Batch::new(&root);
        batch.stage(&root.join("svc/plan.json"), b"plan").unwrap();
        // The folder is replaced by a link between staging and commit.
        std::fs::rename(root.join("svc"), root.join("svc-moved")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("svc")).unwrap();
        let e = batch.commit().unwrap_err();
        assert!(
            e.to_string().contains("outbox/svc is a symbolic link"),
            "{e}"
        );
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);

        // An output planted as a link to a file elsewhere is neither written through nor replaced,
        // whether it was there before staging or came after.
        let target = outside.path().join("victim");
        std::fs::write(&target, "keep").unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::os::unix::fs::symlink(&target, root.join("other/plan.json")).unwrap();
        let mut batch = Batch::new(&root);
        let e = batch
            .stage(&root.join("other/plan.json"), b"plan")
            .unwrap_err();
        assert!(
            e.to_string().contains("other/plan.json is a symbolic link"),
            "{e}"
        );
        std::fs::remove_file(root.join("other/plan.json")).unwrap();
        batch.stage(&root.join("other/plan.json"), b"plan").unwrap();
        std::os::unix::fs::symlink(&target, root.join("other/plan.json")).unwrap();
        let e = batch.commit().unwrap_err();
        assert!(
            e.to_string().contains("other/plan.json is a symbolic link"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(root.join("other/plan.json").is_symlink());
        assert_eq!(
            std::fs::read_dir(root.join("other")).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
