//! Shared helpers for the evidence log tests: events, logs with rotations, and line surgery.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use perfassist::evidence::verify::{Report, verify};
use perfassist::evidence::{Event, Figures, FileDigest, Layout, Log, Options, Outcome};

pub fn event(i: usize) -> Event {
    Event {
        ts: format!("2026-11-{:02}T04:{:02}:00Z", 1 + i % 28, i % 60),
        service: if i.is_multiple_of(3) {
            "checkout"
        } else {
            "search"
        }
        .to_string(),
        profile: format!("profiles/p{i}.yaml"),
        scenarios: vec!["smoke".into(), "steady".into()],
        interpretation: i.is_multiple_of(2),
        outcome: if i.is_multiple_of(5) {
            Outcome::IssuesDetected
        } else {
            Outcome::PlanGenerated
        },
        inputs: vec![FileDigest::of_bytes(
            format!("profiles/p{i}.yaml"),
            i.to_string().as_bytes(),
        )],
        outputs: vec![FileDigest::of_bytes("out/plan.json", b"plan")],
        verdict: (i.is_multiple_of(5)).then(|| "fail".to_string()),
        failed_checks: if i.is_multiple_of(5) {
            vec!["latency_p95".into()]
        } else {
            Vec::new()
        },
        // Judged runs carry figures, with fractions that must read back to the bytes hashed.
        figures: i.is_multiple_of(2).then(|| Figures {
            requests: Some(1000 + i as u64),
            errors: Some(i as u64 % 7),
            error_rate: Some((i % 7) as f64 / (1000 + i) as f64),
            throughput_rps: Some(100.0 / 3.0 + i as f64),
            p95_ms: Some(0.1 + i as f64 * 1.7),
            ..Figures::default()
        }),
        detail: None,
    }
}

/// A log of `n` records in files of at most `max_bytes`, written in batches of `batch`.
pub fn build(dir: &Path, n: usize, max_bytes: u64, batch: usize) -> PathBuf {
    let active = dir.join("evidence.jsonl");
    let mut log = Log::open(
        &active,
        Options {
            max_bytes: Some(max_bytes),
            ..Options::default()
        },
    )
    .unwrap();
    let events: Vec<Event> = (0..n).map(event).collect();
    for chunk in events.chunks(batch) {
        log.append_batch(chunk).unwrap();
    }
    active
}

pub fn check(active: &Path) -> Report {
    verify(&Layout::for_active(active), None).unwrap()
}

pub fn check_keyed(active: &Path, key: &[u8]) -> Report {
    verify(&Layout::for_active(active), Some(key.to_vec())).unwrap()
}

/// The log's files in chain order (rotated, then active).
pub fn files(active: &Path) -> Vec<PathBuf> {
    let dir = active.parent().unwrap();
    let mut rotated: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("evidence.0") && n.ends_with(".jsonl")
        })
        .collect();
    rotated.sort();
    if active.exists() {
        rotated.push(active.to_path_buf());
    }
    rotated
}

pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

/// Problems as `file-name:line: message` strings, for assertions and failure messages.
pub fn problems(r: &Report) -> Vec<String> {
    r.problems
        .iter()
        .map(|p| {
            format!(
                "{}:{}: {}",
                p.file.file_name().unwrap().to_string_lossy(),
                p.line.map_or("-".into(), |l| l.to_string()),
                p.message
            )
        })
        .collect()
}
