//! Shared helpers for tests that run the real daemon on temporary folders.
#![allow(dead_code)]

pub mod planned_run;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_perfassist");
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

pub struct Daemon {
    pub child: Child,
    pub root: PathBuf,
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

impl Daemon {
    /// Starts `perfassist watch` in `root` (inbox, outbox, evidence and state below it).
    pub fn start(root: &Path, extra: &[&str]) -> Daemon {
        Self::start_with_env(root, extra, &[])
    }

    pub fn start_with_env(root: &Path, extra: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut cmd = Command::new(BIN);
        cmd.arg("watch")
            .args(extra)
            .current_dir(root)
            .stdout(Stdio::null())
            // A file, not a pipe: nothing reads a pipe while the test runs, and a full one would
            // block the daemon's logging. The file is printed if the test fails.
            .stderr(log_file(root));
        // Only a test that asks for systemd's socket gets one.
        cmd.env_remove("NOTIFY_SOCKET");
        cmd.env("PERFASSIST_LOG", "perfassist=debug");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let d = Daemon {
            child,
            root: root.to_path_buf(),
        };
        // Ready once the status file exists (written after the first scan).
        assert!(
            wait_until(Duration::from_secs(10), || root
                .join("outbox/status.json")
                .exists()),
            "daemon did not start"
        );
        d
    }

    pub fn inbox(&self) -> PathBuf {
        self.root.join("inbox")
    }

    pub fn outbox(&self) -> PathBuf {
        self.root.join("outbox")
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// SIGTERM, then the exit code.
    pub fn stop(mut self) -> Option<i32> {
        self.signal(libc::SIGTERM);
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if start.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("daemon did not stop within 10 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill9(mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            print_daemon_log(&self.root);
        } else {
            let _ = std::fs::remove_file(log_path(&self.root));
        }
    }
}

/// Beside the test's folder, not in it: tests check what the daemon leaves there.
pub fn log_path(root: &Path) -> PathBuf {
    let mut name = root.as_os_str().to_owned();
    name.push(".daemon.log");
    PathBuf::from(name)
}

/// Where a test daemon's stderr goes, appended to across a restart within one test.
fn log_file(root: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(root))
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

/// The last part of a failed test's daemon log, so a failure in CI can be understood afterwards.
pub fn print_daemon_log(root: &Path) {
    let Ok(log) = std::fs::read_to_string(log_path(root)) else {
        return;
    };
    let lines: Vec<&str> = log.lines().collect();
    let from = lines.len().saturating_sub(200);
    eprintln!(
        "---- daemon log ({} lines, last {} shown) ----",
        lines.len(),
        lines.len() - from
    );
    for l in &lines[from..] {
        eprintln!("{l}");
    }
    eprintln!("---- end of daemon log ----");
}

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// Writes a file under a temporary name and renames it into place, as the inbox contract asks.
pub fn drop_file(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    let tmp = dir.join(format!("{name}.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// How many complete evidence records there are, cheaply enough to poll during a burst (parsing
/// thousands of records every few milliseconds would take a core from the daemon under test).
pub fn evidence_count(root: &Path) -> usize {
    std::fs::read_dir(root.join("evidence"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .map(|p| {
                    std::fs::read(p)
                        .map(|b| b.iter().filter(|c| **c == b'\n').count())
                        .unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0)
}

pub fn evidence(root: &Path) -> Vec<serde_json::Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("evidence"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out: Vec<serde_json::Value> = Vec::new();
    for f in files {
        // The daemon may be appending while a test polls: a line without its newline yet is
        // not a record yet.
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let complete = text.rfind('\n').map(|i| &text[..i]).unwrap_or("");
        for line in complete.lines() {
            out.push(serde_json::from_str(line).unwrap());
        }
    }
    out.sort_by_key(|v| v["seq"].as_u64().unwrap_or(0));
    out
}

pub fn profile_yaml(service: &str) -> String {
    std::fs::read_to_string(fixture("checkout-profile.yaml"))
        .unwrap()
        .replace("service: checkout-api", &format!("service: {service}"))
}

/// Runs `perfassist watch --once` in `root` (default folders below it).
pub fn run_once(root: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(["watch", "--once"])
        .current_dir(root)
        .output()
        .unwrap()
}
