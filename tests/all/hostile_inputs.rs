//! The daemon and the CLI under hostile inputs: files built to crash, stall or trick them. A
//! poison input is rejected with its reason, every valid input beside it is still processed, and
//! an input that kills the process is set aside after the restart.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

/// The nested block sequence from the issue: 30,000 levels in 60 KB of YAML.
fn deep_yaml(service: &str, levels: usize) -> String {
    format!("service: {service}\nsummary:\n{}x\n", "- ".repeat(levels))
}

fn error_report(root: &Path, name: &str) -> serde_json::Value {
    let path = root
        .join("outbox/_unsorted")
        .join(format!("{name}.error.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn first_message(report: &serde_json::Value) -> String {
    report["diagnostics"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_mixed_batch_of_hostile_and_valid_drops_rejects_each_poison_and_keeps_the_rest() {
    let root = tempfile::tempdir().unwrap();
    let inbox = root.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(inbox.join(name), bytes).unwrap();
    // Eight or more in a batch: profiles are then prepared on worker threads, where the stack
    // is smallest. Each poison shape of the issue, beside valid profiles.
    put("deep.yaml", deep_yaml("deep", 30_000).as_bytes());
    for i in 0..8 {
        put(&format!("deep-{i}.yaml"), deep_yaml("d", 6_000).as_bytes());
    }
    put(
        "dup.yaml",
        profile_yaml("dup")
            .replace(
                "  error_rate: 0.01\n",
                "  error_rate: 0.01\n  error_rate: 0.5\n",
            )
            .as_bytes(),
    );
    put(
        "nan.yaml",
        profile_yaml("nan")
            .replace("peak_rps: 200", "peak_rps: .nan")
            .as_bytes(),
    );
    put(
        "latin1.yaml",
        &[profile_yaml("latin").as_bytes(), b"# caf\xe9\n"].concat(),
    );
    put("empty.yaml", b"");
    put(
        "bomb.json",
        format!("{}1{}", "[".repeat(200_000), "]".repeat(200_000)).as_bytes(),
    );
    let valid: Vec<String> = (0..10).map(|i| format!("svc-{i}")).collect();
    for s in &valid {
        put(&format!("{s}.yaml"), profile_yaml(s).as_bytes());
    }
    let o = run_once(root.path());
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for s in &valid {
        assert!(
            root.path()
                .join("outbox")
                .join(s)
                .join("plan.json")
                .exists(),
            "{s}"
        );
    }
    let deep = error_report(root.path(), "deep.yaml");
    assert_eq!(deep["diagnostics"][0]["line"], 3);
    assert!(first_message(&deep).contains("nested deeper than 64 levels"));
    let dup = error_report(root.path(), "dup.yaml");
    assert!(
        first_message(&dup).contains("duplicate key `error_rate` in `slo`"),
        "{dup}"
    );
    assert_eq!(dup["diagnostics"][0]["line"], 12);
    let nan = error_report(root.path(), "nan.yaml");
    assert!(first_message(&nan).contains("not a finite number"), "{nan}");
    let latin = error_report(root.path(), "latin1.yaml");
    assert!(first_message(&latin).contains("not UTF-8"), "{latin}");
    assert!(latin["diagnostics"][0]["line"].as_u64().is_some());
    assert!(first_message(&error_report(root.path(), "empty.yaml")).contains("empty"));
    assert!(first_message(&error_report(root.path(), "bomb.json")).contains("nested deeper"));
    let rejected = evidence(root.path())
        .iter()
        .filter(|r| r["outcome"] == "input-rejected")
        .count();
    assert_eq!(rejected, 9 + 5, "every poison is on the record, once");
}

#[test]
fn validate_and_plan_reject_a_deep_file_quickly_and_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.yaml");
    std::fs::write(&path, deep_yaml("x", 30_000)).unwrap();
    for cmd in ["validate", "plan"] {
        let o = Command::new(BIN)
            .args([cmd, "--profile", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let text =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(text.contains("deep.yaml:3:"), "{cmd}: {text}");
    }
}

/// The size limits apply before a byte is read, and size never changes what a file is.
#[test]
fn oversized_profiles_and_summaries_are_refused_as_what_they_are() {
    let root = tempfile::tempdir().unwrap();
    let inbox = root.path().join("inbox");
    std::fs::create_dir_all(inbox.join("big")).unwrap();
    let mut big_profile = profile_yaml("big");
    while big_profile.len() < (1 << 20) + 10 {
        big_profile.push_str("# padding to pass the profile size limit\n");
    }
    std::fs::write(inbox.join("big/profile.yaml"), &big_profile).unwrap();
    // A JSON profile with a byte-order mark is a profile too.
    let json = "\u{feff}{\"service\": \"bom\", \"traffic\": {\"baseline_rps\": 5, \"peak_rps\": 10}, \"slo\": {\"error_rate\": 0.01}, \"endpoints\": [{\"path\": \"/x\", \"method\": \"GET\"}]}";
    std::fs::write(inbox.join("bom.json"), json).unwrap();
    let o = Command::new(BIN)
        .args(["watch", "--once", "--max-document-bytes", "1000"])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = std::fs::read_to_string(root.path().join("outbox/big/plan.error.json")).unwrap();
    assert!(err.contains("larger than any profile"), "{err}");
    assert!(root.path().join("outbox/bom/plan.json").exists());

    // A summary over the document limit is refused by the CLI before it is read.
    let summary = root.path().join("huge.json");
    let mut text = String::from("{\"p95_ms\": 300, \"pad\": \"");
    text.push_str(&"x".repeat(2_000_000));
    text.push_str("\"}");
    std::fs::write(&summary, text).unwrap();
    let o = Command::new(BIN)
        .args([
            "results",
            "--metrics",
            summary.to_str().unwrap(),
            "--max-document-bytes",
            "1000000",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("summaries are read whole, up to 976.6 KiB")
    );
}

fn jtl(rows: usize) -> Vec<u8> {
    let mut out = b"timeStamp,elapsed,label,responseCode,success\n".to_vec();
    for i in 0..rows {
        out.extend_from_slice(
            format!(
                "{},{},GET /cart/view,200,true\n",
                1_732_700_000_000u64 + i as u64 / 7,
                1 + i % 300
            )
            .as_bytes(),
        );
    }
    out
}

/// Starts `watch --once` and kills it with SIGKILL while it is processing `key`, as the OOM
/// killer or a crash would. Returns whether the kill landed during that input.
fn kill_while_processing(root: &Path, key: &str) -> bool {
    let note = root.join("state/inflight.jsonl");
    // What the last process left: a new note must replace it before the kill.
    let before = std::fs::read_to_string(&note).unwrap_or_default();
    let mut child = Command::new(BIN)
        .args(["watch", "--once"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let needle = format!("{{\"now\":\"{key}\"}}");
    let caught = wait_until(Duration::from_secs(30), || {
        std::fs::read_to_string(&note).is_ok_and(|t| t != before && t.contains(&needle))
    });
    let _ = child.kill();
    let status = child.wait().unwrap();
    caught && status.code().is_none()
}

#[test]
fn an_input_that_kills_the_daemon_twice_is_set_aside_and_the_rest_goes_on() {
    let root = tempfile::tempdir().unwrap();
    let inbox = root.path().join("inbox");
    std::fs::create_dir_all(inbox.join("checkout-api")).unwrap();
    std::fs::write(
        inbox.join("checkout-api.yaml"),
        profile_yaml("checkout-api"),
    )
    .unwrap();
    assert_eq!(run_once(root.path()).status.code(), Some(0));
    // Big enough to be read for a while: the kill lands during it.
    std::fs::write(inbox.join("checkout-api/run.jtl"), jtl(400_000)).unwrap();
    assert!(kill_while_processing(root.path(), "checkout-api/run.jtl"));
    // A single death is not enough to blame an input (the OOM killer may have had its own
    // reasons): it is tried again alone, and dies again.
    assert!(kill_while_processing(root.path(), "checkout-api/run.jtl"));

    std::fs::write(inbox.join("later.yaml"), profile_yaml("later")).unwrap();
    let o = run_once(root.path());
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report =
        std::fs::read_to_string(root.path().join("outbox/checkout-api/runs/run.error.json"))
            .or_else(|_| {
                std::fs::read_to_string(
                    root.path()
                        .join("outbox/_unsorted/checkout-api_run.jtl.error.json"),
                )
            })
            .expect("an error report for the input that crashed");
    assert!(report.contains("crashed the previous run"), "{report}");
    assert!(root.path().join("outbox/later/plan.json").exists());
    let rejected: Vec<serde_json::Value> = evidence(root.path())
        .into_iter()
        .filter(|r| r["outcome"] == "input-rejected")
        .collect();
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0]["detail"]
            .as_str()
            .unwrap()
            .contains("crashed the previous run")
    );

    // Set aside until it changes: another pass leaves it alone and exits cleanly.
    let o = run_once(root.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut changed = jtl(1_000);
    changed.extend_from_slice(b"1732700001000,5,GET /cart/view,200,true\n");
    std::fs::write(inbox.join("checkout-api/run.jtl"), changed).unwrap();
    let o = run_once(root.path());
    assert!(
        o.status.code() != Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        root.path()
            .join("outbox/checkout-api/runs/run.json")
            .exists()
    );
}

#[test]
fn a_single_death_is_forgiven_the_input_is_retried_alone() {
    let root = tempfile::tempdir().unwrap();
    let inbox = root.path().join("inbox");
    std::fs::create_dir_all(inbox.join("checkout-api")).unwrap();
    std::fs::write(
        inbox.join("checkout-api.yaml"),
        profile_yaml("checkout-api"),
    )
    .unwrap();
    std::fs::write(inbox.join("checkout-api/run.jtl"), jtl(400_000)).unwrap();
    assert!(kill_while_processing(root.path(), "checkout-api/run.jtl"));
    let o = run_once(root.path());
    assert!(
        o.status.code() != Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        root.path()
            .join("outbox/checkout-api/runs/run.json")
            .exists()
    );
    assert!(
        evidence(root.path())
            .iter()
            .all(|r| r["outcome"] != "input-rejected")
    );
}

/// A writer that keeps the file open and pauses longer than the settle window between writes:
/// nothing is judged until it closes the file, so no half file leaves a record.
#[test]
fn a_file_held_open_by_a_pausing_writer_is_judged_once_when_closed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--settle", "200ms"]);
    let profile = profile_yaml("slow-writer");
    let summary = std::fs::read(fixture("metrics-passing.json")).unwrap();
    let profile_path = d.inbox().join("slow-writer.yaml");
    let run_path = d.inbox().join("slow-writer/run.json");
    std::fs::create_dir_all(run_path.parent().unwrap()).unwrap();
    {
        let mut p = std::fs::File::create(&profile_path).unwrap();
        let mut r = std::fs::File::create(&run_path).unwrap();
        let pb = profile.as_bytes();
        for i in 0..3 {
            p.write_all(&pb[i * pb.len() / 3..(i + 1) * pb.len() / 3])
                .unwrap();
            r.write_all(&summary[i * summary.len() / 3..(i + 1) * summary.len() / 3])
                .unwrap();
            p.flush().unwrap();
            r.flush().unwrap();
            // Four settle windows without a write, the files still open.
            std::thread::sleep(Duration::from_millis(800));
        }
    }
    let out = d.outbox().join("slow-writer/runs/run.json");
    assert!(wait_until(Duration::from_secs(20), || out.exists()));
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(d.stop(), Some(0));
    let records = evidence(dir.path());
    assert!(
        records.iter().all(|r| r["outcome"] != "input-rejected"),
        "{records:#?}"
    );
    let about = |name: &str| {
        records
            .iter()
            .filter(|r| r["inputs"][0]["path"].as_str().unwrap().ends_with(name))
            .count()
    };
    assert_eq!(about("slow-writer.yaml"), 1, "{records:#?}");
    assert_eq!(about("run.json"), 1, "{records:#?}");
}

/// A writer that closes the file and reopens it for each append: after the first reopen the
/// daemon stops trusting its closes and waits for the file to be quiet, so the appends are not
/// each judged as they land.
#[test]
fn a_writer_that_reopens_between_appends_is_judged_on_the_whole_file() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--settle", "200ms"]);
    serve_profile_quietly(&d, "reopen");
    let summary = std::fs::read(fixture("metrics-passing.json")).unwrap();
    let path = d.inbox().join("reopen/run.json");
    let parts = 4;
    for i in 0..parts {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(&summary[i * summary.len() / parts..(i + 1) * summary.len() / parts])
            .unwrap();
        drop(f);
        std::thread::sleep(Duration::from_millis(700));
    }
    let out = d.outbox().join("reopen/runs/run.json");
    assert!(wait_until(Duration::from_secs(20), || out.exists()));
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(d.stop(), Some(0));
    let runs: Vec<serde_json::Value> = evidence(dir.path())
        .into_iter()
        .filter(|r| r["inputs"][0]["path"] == "inbox/reopen/run.json")
        .collect();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_ne!(runs[0]["outcome"], "input-rejected");
}

fn serve_profile_quietly(d: &Daemon, service: &str) {
    drop_file(
        &d.inbox(),
        &format!("{service}.yaml"),
        profile_yaml(service).as_bytes(),
    );
    let plan = d.outbox().join(service).join("plan.json");
    assert!(wait_until(Duration::from_secs(20), || plan.exists()));
    std::fs::create_dir_all(d.inbox().join(service)).unwrap();
}
