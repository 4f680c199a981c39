//! Which inbox files some process on this machine still holds open for writing, read from
//! `/proc` (what `lsof` does, without running it). inotify tells of writers it saw open a file;
//! this finds the ones it could not see: a file already open when its folder was first watched,
//! or any writer in poll mode. Only processes this user may inspect are seen (all of them for
//! root); writers on other hosts of a network folder never are, and the settle window covers
//! those.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A file's identity: device and inode, the same through any name or link.
pub type FileId = (u64, u64);

pub fn id_of(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The files among `wanted` that a process other than this one has open for writing.
pub fn open_for_writing(wanted: &HashSet<FileId>) -> HashSet<FileId> {
    let mut found = HashSet::new();
    if wanted.is_empty() {
        return found;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    let me = std::process::id().to_string();
    for p in procs.flatten() {
        let pid = p.file_name();
        let Some(pid) = pid.to_str() else { continue };
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        let fd_dir = p.path().join("fd");
        let Ok(fds) = std::fs::read_dir(&fd_dir) else {
            continue;
        };
        for fd in fds.flatten() {
            // The link's target, followed: stat gives the open file's device and inode.
            let Some(id) = id_of(&fd.path()) else {
                continue;
            };
            if wanted.contains(&id) && !found.contains(&id) && writable(&p.path(), &fd.file_name())
            {
                found.insert(id);
            }
        }
    }
    found
}

/// Whether descriptor `fd` of the process at `proc_dir` was opened for writing: the access mode
/// in the low bits of fdinfo's octal `flags` is O_WRONLY (1) or O_RDWR (2).
fn writable(proc_dir: &Path, fd: &std::ffi::OsStr) -> bool {
    let Ok(info) = std::fs::read_to_string(proc_dir.join("fdinfo").join(fd)) else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 8).ok())
        .is_some_and(|flags| flags & 3 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_open_for_writing_in_another_process_is_found_and_not_once_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jtl");
        std::fs::write(&path, "x").unwrap();
        let id = id_of(&path).unwrap();
        let wanted: HashSet<FileId> = [id].into();
        // A shell holding the file open for appending while it sleeps.
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec 3>>'{}'; exec sleep 5", path.display()))
            .spawn()
            .unwrap();
        let seen = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            open_for_writing(&wanted).contains(&id)
        });
        let _ = child.kill();
        let _ = child.wait();
        assert!(seen);
        assert!(!open_for_writing(&wanted).contains(&id));
        // Open for reading only is no writer.
        let mut reader = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec 3<'{}'; exec sleep 5", path.display()))
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let found = open_for_writing(&wanted);
        let _ = reader.kill();
        let _ = reader.wait();
        assert!(found.is_empty());
    }
}
