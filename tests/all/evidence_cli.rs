//! `perfassist evidence verify|show` and `--log/--evidence-key` as a user runs them: the real
//! binary on temporary folders.

use std::path::Path;
use std::process::{Command, Output};

const PROFILE: &str = "fixtures/checkout-profile.yaml";
const FAILING: &str = "fixtures/metrics-failing.json";
const PASSING: &str = "fixtures/metrics-passing.json";

fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn run_in(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_perfassist"));
    c.args(args)
        .current_dir(dir)
        .env_remove("PERFASSIST_EVIDENCE");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Two plans and a failing and a passing interpretation into `evidence/evidence.jsonl`.
fn populate(dir: &Path, extra: &[&str]) {
    let profile = fixture(PROFILE);
    let runs: [Vec<String>; 4] = [
        vec![
            "plan".into(),
            "--profile".into(),
            profile.clone(),
            "--out".into(),
            "plan.json".into(),
        ],
        vec![
            "plan".into(),
            "--profile".into(),
            profile.clone(),
            "--out".into(),
            "plan.json".into(),
        ],
        vec![
            "interpret".into(),
            "--profile".into(),
            profile.clone(),
            "--metrics".into(),
            fixture(FAILING),
        ],
        vec![
            "interpret".into(),
            "--profile".into(),
            profile.clone(),
            "--metrics".into(),
            fixture(PASSING),
        ],
    ];
    for args in runs {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--log", "evidence/evidence.jsonl"]);
        args.extend(extra);
        let o = run_in(dir, &args, &[]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            err(&o)
        );
    }
}

#[test]
fn verify_reports_ok_with_a_summary_from_the_default_folder() {
    let dir = tempfile::tempdir().unwrap();
    populate(dir.path(), &[]);
    let o = run_in(dir.path(), &["evidence", "verify"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("OK: 4 record(s) (seq 1..4) in 1 file(s), head "),
        "{text}"
    );
    // The same log named by its file, and through the environment.
    let o = run_in(
        dir.path(),
        &["evidence", "verify", "evidence/evidence.jsonl"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    let elsewhere = tempfile::tempdir().unwrap();
    let folder = dir.path().join("evidence").display().to_string();
    let o = run_in(
        elsewhere.path(),
        &["evidence", "verify"],
        &[("PERFASSIST_EVIDENCE", &folder)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn verify_names_the_file_and_line_of_a_changed_record_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    populate(dir.path(), &[]);
    let path = dir.path().join("evidence/evidence.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = text.replacen("\"verdict\":\"fail\"", "\"verdict\":\"pass\"", 1);
    assert_ne!(text, changed);
    std::fs::write(&path, changed).unwrap();
    let o = run_in(dir.path(), &["evidence", "verify"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let report = out(&o);
    assert!(
        report.contains("evidence/evidence.jsonl:3: hash does not match"),
        "{report}"
    );
    assert!(report.contains("FAILED: 1 problem(s)"), "{report}");
}

#[test]
fn show_prints_a_table_or_json_lines_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    populate(dir.path(), &[]);
    let o = run_in(dir.path(), &["evidence", "show"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let table = out(&o);
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 5, "{table}");
    assert!(rows[0].contains("SEQ") && rows[0].contains("OUTCOME"));
    assert!(
        rows[3].contains("issues-detected") && rows[3].contains("failed: "),
        "{table}"
    );

    let o = run_in(
        dir.path(),
        &["evidence", "show", "--json", "--outcome", "issues-detected"],
        &[],
    );
    let lines: Vec<serde_json::Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["seq"], 3);
    assert_eq!(lines[0]["verdict"], "fail");
    assert!(!lines[0]["failed_checks"].as_array().unwrap().is_empty());
    assert_eq!(lines[0]["inputs"].as_array().unwrap().len(), 2);

    let o = run_in(
        dir.path(),
        &["evidence", "show", "--json", "--service", "checkout-api"],
        &[],
    );
    assert_eq!(out(&o).lines().count(), 4);
    let o = run_in(
        dir.path(),
        &["evidence", "show", "--json", "--service", "nope"],
        &[],
    );
    assert_eq!(out(&o).lines().count(), 0);
    let o = run_in(
        dir.path(),
        &["evidence", "show", "--json", "--since", "2999-01-01"],
        &[],
    );
    assert_eq!(out(&o).lines().count(), 0);
    let o = run_in(
        dir.path(),
        &[
            "evidence",
            "show",
            "--json",
            "--since",
            "2000-01-01T00:00:00Z",
        ],
        &[],
    );
    assert_eq!(out(&o).lines().count(), 4);
}

#[test]
fn bad_arguments_say_what_would_be_valid() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["evidence", "verify"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no such evidence log"), "{}", err(&o));
    populate(dir.path(), &[]);
    let o = run_in(dir.path(), &["evidence", "show", "--outcome", "fine"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("plan-generated, plan-and-interpretation-generated"),
        "{}",
        err(&o)
    );
    let o = run_in(
        dir.path(),
        &["evidence", "show", "--since", "last week"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("RFC 3339"), "{}", err(&o));
    std::fs::write(dir.path().join("empty.key"), "\n").unwrap();
    let o = run_in(
        dir.path(),
        &["evidence", "verify", "--evidence-key", "empty.key"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("empty.key: the key file is empty"),
        "{}",
        err(&o)
    );
}

#[test]
fn keyed_logs_verify_only_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("audit.key"), "s3cret-key-material\n").unwrap();
    populate(dir.path(), &["--evidence-key", "audit.key"]);
    let o = run_in(
        dir.path(),
        &["evidence", "verify", "--evidence-key", "audit.key"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = run_in(dir.path(), &["evidence", "verify"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("pass --evidence-key FILE"), "{}", out(&o));
    std::fs::write(dir.path().join("other.key"), "another key").unwrap();
    let o = run_in(
        dir.path(),
        &["evidence", "verify", "--evidence-key", "other.key"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    // A bad key file stops plan before it writes anything.
    let o = run_in(
        dir.path(),
        &[
            "plan",
            "--profile",
            &fixture(PROFILE),
            "--out",
            "new-plan.json",
            "--log",
            "evidence/evidence.jsonl",
            "--evidence-key",
            "missing.key",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("missing.key: cannot read"), "{}", err(&o));
    assert!(!dir.path().join("new-plan.json").exists());
}

#[test]
fn concurrent_cli_runs_on_one_log_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let d = dir.path().to_path_buf();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let o = run_in(
                        &d,
                        &[
                            "plan",
                            "--profile",
                            &fixture(PROFILE),
                            "--log",
                            "evidence/evidence.jsonl",
                        ],
                        &[],
                    );
                    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let o = run_in(dir.path(), &["evidence", "verify"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("OK: 20 record(s)"), "{}", out(&o));
}

#[test]
fn a_keyed_log_written_by_the_daemon_verifies_with_the_same_key_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    std::fs::copy(fixture(PROFILE), dir.path().join("inbox/checkout.yaml")).unwrap();
    // With its newline, as `base64 > file` writes it: the daemon and the CLI must agree.
    std::fs::write(dir.path().join("evidence.key"), "a2V5LW1hdGVyaWFs\n").unwrap();
    let o = run_in(
        dir.path(),
        &["watch", "--once", "--evidence-key", "evidence.key"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = run_in(
        dir.path(),
        &["evidence", "verify", "--evidence-key", "evidence.key"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("OK: 1 record(s) (seq 1..1) in 1 file(s), HMAC-keyed"),
        "{}",
        out(&o)
    );
    let o = run_in(dir.path(), &["evidence", "show", "--json"], &[]);
    let v: serde_json::Value = serde_json::from_str(out(&o).trim()).unwrap();
    assert_eq!(v["outcome"], "plan-generated");
    assert_eq!(v["alg"], "hmac-sha256");
}

#[test]
fn interpret_refuses_a_log_whose_last_record_is_damaged_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    populate(dir.path(), &[]);
    let path = dir.path().join("evidence/evidence.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let last = text.lines().last().unwrap();
    let damaged = text.replace(last, &last.replacen("\"pass\"", "\"fail\"", 1));
    assert_ne!(text, damaged);
    std::fs::write(&path, &damaged).unwrap();
    let o = run_in(
        dir.path(),
        &[
            "interpret",
            "--profile",
            &fixture(PROFILE),
            "--metrics",
            &fixture(PASSING),
            "--out",
            "assessment.json",
            "--log",
            "evidence",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert!(
        err(&o).contains(
            "evidence/evidence.jsonl:4: the last record is not valid (hash does not match"
        ),
        "{}",
        err(&o)
    );
    assert!(!dir.path().join("assessment.json").exists());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
}

#[test]
fn verify_fails_on_a_missing_head_note_and_warns_about_announced_records() {
    let dir = tempfile::tempdir().unwrap();
    populate(dir.path(), &[]);
    let head = dir.path().join("evidence/evidence.head.json");
    let note: serde_json::Value = serde_json::from_slice(&std::fs::read(&head).unwrap()).unwrap();
    std::fs::remove_file(&head).unwrap();
    let o = run_in(dir.path(), &["evidence", "verify"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("evidence/evidence.head.json: the head note is missing"),
        "{}",
        out(&o)
    );

    // As a writer that died before naming its last record leaves the note.
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(dir.path().join("evidence/evidence.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let lagging = serde_json::json!({
        "schema": note["schema"], "seq": 3, "hash": lines[2]["hash"], "writing": 4
    });
    std::fs::write(&head, lagging.to_string()).unwrap();
    let o = run_in(dir.path(), &["evidence", "verify"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains(
            "evidence/evidence.jsonl:4: warning: record(s) seq 4..4 follow the head note's seq 3"
        ),
        "{text}"
    );
    assert!(
        text.contains("OK: 4 record(s)") && text.contains("(1 warning(s) above)"),
        "{text}"
    );
}
