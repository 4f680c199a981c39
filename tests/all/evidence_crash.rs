//! Crash safety and concurrency of the writer: torn lines from a writer that died, every
//! interrupted state of rotation, repair and retention, and several writer processes at once.

use crate::evidence_support;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use evidence_support::*;
use perfassist::evidence::record::{GENESIS, Sealer};
use perfassist::evidence::show::{Filter, show};
use perfassist::evidence::{Layout, Log, Options, Outcome};

/// Runs this test binary again as a child playing the writer named by `mode`.
fn spawn_child(mode: &str, log: &Path, extra: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "evidence_crash::child_writer",
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("EVIDENCE_CHILD", mode)
        .env("EVIDENCE_LOG", log)
        .env("EVIDENCE_EXTRA", extra)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Not a test of its own: the body of the child processes above, hence ignored in plain runs.
#[test]
#[ignore = "helper run only as a child process by the tests in this file"]
fn child_writer() {
    let Ok(mode) = std::env::var("EVIDENCE_CHILD") else {
        return;
    };
    let log_path = std::path::PathBuf::from(std::env::var("EVIDENCE_LOG").unwrap());
    let extra = std::env::var("EVIDENCE_EXTRA").unwrap();
    match mode.as_str() {
        // Three good records, then half a record, then death without any cleanup.
        "torn" => {
            let mut log = Log::open(&log_path, Options::default()).unwrap();
            let mut last = None;
            for i in 0..3 {
                last = Some(log.append(&event(i)).unwrap());
            }
            let last = last.unwrap();
            let (line, _) = Sealer::new(None)
                .seal(&event(3), last.seq + 1, &last.hash, "host")
                .unwrap();
            let mut f = OpenOptions::new().append(true).open(&log_path).unwrap();
            f.write_all(&line[..line.len() / 2]).unwrap();
            f.sync_all().unwrap();
            std::process::abort();
        }
        // Appends records one at a time, each naming this writer and its count.
        "writer" => {
            let opts = Options {
                max_bytes: Some(16 * 1024),
                ..Options::default()
            };
            let mut log = Log::open(&log_path, opts).unwrap();
            for i in 0..150 {
                let mut e = event(i);
                e.profile = format!("{extra}/{i}");
                log.append(&e).unwrap();
            }
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn a_writer_that_died_mid_line_is_repaired_at_start_up_and_on_record() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("evidence.jsonl");
    let status = spawn_child("torn", &active, "").wait().unwrap();
    assert!(!status.success(), "the child should have died");
    let torn_tail = {
        let bytes = std::fs::read(&active).unwrap();
        let cut = bytes.iter().rposition(|b| *b == b'\n').unwrap() + 1;
        bytes[cut..].to_vec()
    };
    assert!(!torn_tail.is_empty());
    assert!(!check(&active).ok(), "verify must see the torn line");

    let mut log = Log::open(&active, Options::default()).unwrap();
    let next = log.append(&event(9)).unwrap();
    assert_eq!(next.seq, 5, "3 records, the repair record, then this one");
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert_eq!(r.records, 5);
    let corrupt = Layout::for_active(&active).corrupt(4);
    assert_eq!(std::fs::read(&corrupt).unwrap(), torn_tail);
    let mut repairs = Vec::new();
    show(
        &Layout::for_active(&active),
        &Filter {
            outcome: Some(Outcome::TornLineRepaired),
            ..Filter::default()
        },
        |rec, _| repairs.push(rec.clone()),
    )
    .unwrap();
    assert_eq!(repairs.len(), 1);
    assert_eq!(repairs[0].inputs[0].path, "evidence.000000000004.corrupt");
    assert!(repairs[0].detail.as_deref().unwrap().contains("moved to"));
}

#[test]
fn a_repair_interrupted_before_the_cut_is_finished_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 3, 1 << 20, 1);
    let torn = vec![b'x'; 3000];
    OpenOptions::new()
        .append(true)
        .open(&active)
        .unwrap()
        .write_all(&torn)
        .unwrap();
    drop(Log::open(&active, Options::default()).unwrap());
    // The repair record overwrote the start of the torn bytes; had the cut not happened, the
    // rest would still follow it.
    let len = std::fs::metadata(&active).unwrap().len() as usize;
    let repair_len = len
        - lines(&active)[..3]
            .iter()
            .map(|l| l.len() + 1)
            .sum::<usize>();
    OpenOptions::new()
        .append(true)
        .open(&active)
        .unwrap()
        .write_all(&torn[repair_len..])
        .unwrap();
    drop(Log::open(&active, Options::default()).unwrap());
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert_eq!(r.records, 5, "3 records and two repairs");
}

#[test]
fn a_crash_between_rename_and_new_file_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 7, 1 << 20, 2);
    let layout = Layout::for_active(&active);
    // The state right after the rotation's rename: no active file.
    std::fs::rename(&active, layout.rotated(1)).unwrap();
    let mut log = Log::open(&active, Options::default()).unwrap();
    assert_eq!(log.append(&event(7)).unwrap().seq, 8);
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert_eq!((r.records, r.files), (8, 2));
}

#[test]
fn rotation_by_size_links_files_and_reports_where_records_went() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("evidence.jsonl");
    let mut log = Log::open(
        &active,
        Options {
            max_bytes: Some(4096),
            ..Options::default()
        },
    )
    .unwrap();
    let events: Vec<_> = (0..30).map(event).collect();
    let done = log.append_batch(&events).unwrap();
    let seqs: Vec<u64> = done.iter().map(|a| a.seq).collect();
    assert_eq!(seqs, (1..=30).collect::<Vec<_>>());
    for a in &done {
        let text = std::fs::read_to_string(&a.file).unwrap();
        assert!(
            text.contains(&a.hash),
            "record {} is not in {}",
            a.seq,
            a.file.display()
        );
    }
    for f in files(&active) {
        assert!(std::fs::metadata(&f).unwrap().len() <= 4096, "{f:?}");
    }
    assert!(check(&active).ok());
}

#[test]
fn daily_rotation_starts_a_new_file_on_a_new_day() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("evidence.jsonl");
    let opts = Options {
        max_bytes: None,
        daily: true,
        ..Options::default()
    };
    let mut log = Log::open(&active, opts.clone()).unwrap();
    for i in 0..3 {
        log.append(&event(i)).unwrap();
    }
    log.append(&event(3)).unwrap();
    assert_eq!(files(&active).len(), 1, "same day, same file");
    let yesterday = SystemTime::now() - Duration::from_secs(86_400);
    File::options()
        .write(true)
        .open(&active)
        .unwrap()
        .set_modified(yesterday)
        .unwrap();
    let a = log.append(&event(4)).unwrap();
    assert_eq!(a.seq, 5);
    let all = files(&active);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(lines(&all[0]).len(), 4);
    assert!(check(&active).ok());
}

#[test]
fn retention_keeps_n_files_and_verify_starts_at_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("evidence.jsonl");
    let opts = Options {
        max_bytes: Some(4096),
        keep_files: Some(2),
        ..Options::default()
    };
    let mut log = Log::open(&active, opts).unwrap();
    for i in 0..60 {
        log.append(&event(i)).unwrap();
    }
    let all = files(&active);
    assert_eq!(
        all.len(),
        3,
        "two rotated files and the active one: {all:?}"
    );
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    let anchor = r.anchor.clone().unwrap();
    assert_eq!(r.first_seq, Some(anchor.first_seq));
    assert!(anchor.first_seq > 1);
    let mut pruned = 0;
    show(
        &Layout::for_active(&active),
        &Filter::default(),
        |rec, _| pruned += usize::from(rec.outcome == Outcome::LogPruned),
    )
    .unwrap();
    assert!(pruned >= 1);
    // Removing the oldest retained file is still caught.
    std::fs::remove_file(&all[0]).unwrap();
    let p = problems(&check(&active));
    assert!(p.iter().any(|p| p.contains("are missing")), "{p:?}");
}

#[test]
fn retention_by_age_runs_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 40, 4096, 1);
    let before = files(&active);
    assert!(before.len() >= 3);
    let old = SystemTime::now() - Duration::from_secs(10 * 86_400);
    for f in &before[..2] {
        File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let opts = Options {
        max_bytes: Some(4096),
        keep_days: Some(3),
        ..Options::default()
    };
    drop(Log::open(&active, opts).unwrap());
    let after = files(&active);
    assert!(!after.contains(&before[0]) && !after.contains(&before[1]));
    assert!(after.contains(&before[2]));
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
}

#[test]
fn a_pruning_interrupted_after_the_anchor_still_verifies_and_is_finished_later() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 60, 4096, 1);
    let before = files(&active);
    let rotated = &before[..before.len() - 1];
    assert!(rotated.len() >= 4);
    let saved: Vec<Vec<u8>> = rotated.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let opts = Options {
        max_bytes: Some(4096),
        keep_files: Some(1),
        ..Options::default()
    };
    drop(Log::open(&active, opts).unwrap());
    // Oldest first: an interruption leaves the newest of the removed files behind.
    let leftover = rotated.len() - 2;
    std::fs::write(&rotated[leftover], &saved[leftover]).unwrap();
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert!(r.anchor.as_ref().unwrap().first_seq > r.first_seq.unwrap());
    drop(Log::open(&active, Options::default()).unwrap());
    assert!(
        !rotated[leftover].exists(),
        "the next open finishes the pruning"
    );
    assert!(check(&active).ok());
}

#[test]
fn several_writer_processes_at_once_make_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("evidence.jsonl");
    let children: Vec<_> = ["w1", "w2", "w3"]
        .iter()
        .map(|id| spawn_child("writer", &active, id))
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert_eq!(r.records, 450);
    assert!(r.files > 3, "the writers also rotated");
    // Each writer's own records appear in the order it wrote them.
    let mut next = std::collections::HashMap::new();
    show(
        &Layout::for_active(&active),
        &Filter::default(),
        |rec, _| {
            let (id, i) = rec.profile.split_once('/').unwrap();
            let expected = next.entry(id.to_string()).or_insert(0usize);
            assert_eq!(i.parse::<usize>().unwrap(), *expected);
            *expected += 1;
        },
    )
    .unwrap();
    assert_eq!(next.values().sum::<usize>(), 450);
    assert_eq!(r.first_seq, Some(1));
    let first = lines(&files(&active)[0])[0].clone();
    assert!(first.contains(GENESIS));
}

#[test]
fn a_pruning_interrupted_before_the_anchor_keeps_everything_and_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 40, 4096, 1);
    let rotated: Vec<_> = files(&active)
        .into_iter()
        .filter(|f| f != &active)
        .collect();
    let saved: Vec<Vec<u8>> = rotated.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let opts = Options {
        max_bytes: Some(4096),
        keep_files: Some(1),
        ..Options::default()
    };
    drop(Log::open(&active, opts.clone()).unwrap());
    // Back to the moment after the log-pruned record: no anchor yet, no file removed.
    let layout = Layout::for_active(&active);
    std::fs::remove_file(layout.anchor()).unwrap();
    for (f, bytes) in rotated.iter().zip(&saved) {
        std::fs::write(f, bytes).unwrap();
    }
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert_eq!(r.first_seq, Some(1));
    drop(Log::open(&active, opts).unwrap());
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert!(r.first_seq.unwrap() > 1);
    assert_eq!(files(&active).len(), 2);
}
