//! One daemon per state folder: an exclusive lock held for the process's life, and the clean-up
//! of temporary output files that a killed earlier instance left in the outbox.

use std::io::{Read, Seek, Write};
use std::path::Path;

use super::error::DaemonError;

const LOCK_FILE: &str = "perfassist.lock";

/// Holds the state folder for this process; dropping it (or the process ending in any way)
/// releases the lock.
#[derive(Debug)]
pub struct InstanceLock {
    _file: std::fs::File,
}

/// Takes the state folder's lock, or says which process holds it. Two daemons on the same
/// state would process every input twice and overwrite each other's state file.
pub fn lock(state_dir: &Path) -> Result<InstanceLock, DaemonError> {
    let path = state_dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| {
            DaemonError::fatal(format!(
                "{}: cannot open the lock file: {e}",
                path.display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(DaemonError::fatal(format!(
                "another perfassist daemon{} is already using the state folder {}; stop it first, or give this one its own --state (and inbox and outbox)",
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {holder})")
                },
                state_dir.display()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(DaemonError::fatal(format!(
                "{}: cannot lock: {e}",
                path.display()
            )));
        }
    }
    // Only a hint for the message above; the lock itself is what counts.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}", std::process::id());
    Ok(InstanceLock { _file: file })
}

/// Deletes hidden temporaries (`.NAME.PID.SEQ.tmp`, see `confined::temporary_name`) of processes
/// that no longer run, below `outbox` down to `depth` folders. Returns how many were deleted.
pub fn sweep_temporaries(outbox: &Path, depth: usize) -> usize {
    let Ok(entries) = std::fs::read_dir(outbox) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth > 0 {
                removed += sweep_temporaries(&entry.path(), depth - 1);
            }
        } else if kind.is_file()
            && let Some(pid) = temporary_owner(&entry.file_name().to_string_lossy())
            && pid != std::process::id()
            && !process_runs(pid)
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// The process id in a temporary's name `.NAME.PID.SEQ.tmp`.
fn temporary_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = rest.rsplitn(3, '.');
    let seq = parts.next()?;
    let pid = parts.next()?;
    let stem = parts.next()?;
    if stem.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) || seq.is_empty() {
        return None;
    }
    pid.parse().ok()
}

fn process_runs(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Without a cheap way to tell, leave the file: a stray hidden file is harmless.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised_and_nothing_else() {
        assert_eq!(temporary_owner(".plan.json.4242.17.tmp"), Some(4242));
        assert_eq!(temporary_owner(".k6-script-burst.js.7.0.tmp"), Some(7));
        for other in [
            "plan.json",
            ".plan.json.tmp",
            ".keep",
            ".x.abc.1.tmp",
            ".x.1.y.tmp",
            "..1.2.tmp",
            "plan.json.1.2.tmp",
        ] {
            assert_eq!(temporary_owner(other), None, "{other}");
        }
    }

    #[test]
    fn a_second_lock_on_the_same_folder_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err();
        assert!(err.is_fatal(), "{err:?}");
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        lock(dir.path()).unwrap();
    }

    #[test]
    fn sweep_removes_only_dead_processes_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let svc = dir.path().join("svc/exports");
        std::fs::create_dir_all(&svc).unwrap();
        // No process has an id this large (Linux caps them at 2^22).
        let dead = svc.join(".k6-script-smoke.js.99999999.3.tmp");
        let mine = svc.join(format!(".plan.json.{}.1.tmp", std::process::id()));
        let other = svc.join(".keep");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(sweep_temporaries(dir.path(), 3), 1);
        assert!(!dead.exists() && mine.exists() && other.exists());
    }
}
