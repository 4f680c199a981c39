//! Runs the README's examples, so the documentation cannot drift from what the binary does.
//! Every line of every ```bash block is run in a scratch copy of the repository's fixtures, with
//! the daemon from "Start here" running; `# exits N` at the end of a line sets its expected exit
//! code. Lines that need root, cargo or systemd are skipped (they are checked by tests/e2e/).

use crate::common;

use common::*;
use std::process::Command;
use std::time::Duration;

fn bash_lines(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_bash = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_bash = line.trim() == "```bash";
            continue;
        }
        if in_bash && !line.trim().is_empty() {
            out.push(line.trim().to_string());
        }
    }
    out
}

fn expected_exit(line: &str) -> i32 {
    line.rsplit_once("# exits ")
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or(0)
}

fn skipped(cmd: &str) -> bool {
    ["cargo ", "sudo ", "systemctl ", "journalctl ", "bash "]
        .iter()
        .any(|p| cmd.starts_with(p))
        || cmd.starts_with("perfassist watch")
}

#[test]
fn readme_examples_run_as_documented() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = Command::new("cp")
        .args(["-r", FIXTURES, dir.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(copy.success());
    let daemon = Daemon::start(dir.path(), &[]);
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for line in bash_lines(&readme) {
        let cmd = line.split(" #").next().unwrap().trim().to_string();
        if skipped(&cmd) {
            continue;
        }
        let expect = expected_exit(&line);
        // Outputs of the daemon appear shortly after a drop: wait for them.
        let retry = cmd.starts_with("ls ") || cmd.starts_with("cat ");
        let mut last = None;
        let ok = wait_until(Duration::from_secs(if retry { 10 } else { 0 }), || {
            let o = Command::new("bash")
                .args(["-c", &cmd])
                .env("PATH", &path)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let code = o.status.code();
            last = Some(o);
            code == Some(expect)
        });
        let o = last.unwrap();
        assert!(
            ok,
            "README line `{line}` exited {:?}, expected {expect}\nstdout: {}\nstderr: {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 20, "only {ran} README lines ran");
    assert_eq!(daemon.stop(), Some(0));
}
