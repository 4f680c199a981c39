//! Evidence log throughput: appends per second with an fsync per record and with group commit,
//! and `verify` in records per second over a large log, each against a baseline of the same run.
//!
//! Run: `cargo bench --bench evidence` (sizes: EVIDENCE_BENCH_APPENDS, default 1000;
//! EVIDENCE_BENCH_VERIFY_RECORDS, default 1000000; EVIDENCE_BENCH_DIR, default the system temp).

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use perfassist::evidence::verify::verify;
use perfassist::evidence::{Event, Figures, FileDigest, Layout, Log, Options, Outcome};

fn event(i: usize) -> Event {
    Event {
        ts: "2026-11-27T04:00:00Z".into(),
        service: format!("service-{}", i % 7),
        profile: format!("inbox/profile-{i}.yaml"),
        scenarios: vec!["smoke".into(), "steady".into(), "burst".into()],
        interpretation: true,
        outcome: Outcome::PlanAndInterpretationGenerated,
        inputs: vec![
            FileDigest::of_bytes(format!("inbox/profile-{i}.yaml"), b"profile"),
            FileDigest::of_bytes(format!("inbox/results-{i}.json"), b"results"),
        ],
        outputs: vec![FileDigest::of_bytes(
            format!("outbox/plan-{i}.json"),
            b"plan",
        )],
        verdict: Some("pass".into()),
        failed_checks: Vec::new(),
        figures: Some(Figures {
            requests: Some(120_000 + i as u64),
            errors: Some(12),
            error_rate: Some(12.0 / (120_000 + i) as f64),
            throughput_rps: Some(199.87),
            p50_ms: Some(41.2),
            p95_ms: Some(187.6),
            p99_ms: Some(402.25),
        }),
        detail: None,
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Appends `events` in batches of `batch` (1 = an fsync per record); returns records per second.
fn appends(dir: &Path, events: &[Event], batch: usize) -> f64 {
    let mut log = Log::open(&dir.join("evidence.jsonl"), Options::default()).expect("open log");
    let start = Instant::now();
    for chunk in events.chunks(batch) {
        log.append_batch(chunk).expect("append");
    }
    events.len() as f64 / start.elapsed().as_secs_f64()
}

/// The floor under verify: read every byte of the log and SHA-256 it once.
fn read_and_hash(layout: &Layout) -> (u64, f64) {
    use sha2::{Digest, Sha256};
    let start = Instant::now();
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for entry in std::fs::read_dir(layout.dir()).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let mut hasher = Sha256::new();
            let mut f = std::fs::File::open(&path).expect("open");
            loop {
                let n = f.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                bytes += n as u64;
                hasher.update(&buf[..n]);
            }
            std::hint::black_box(hasher.finalize());
        }
    }
    (bytes, start.elapsed().as_secs_f64())
}

fn main() {
    let base = std::env::var_os("EVIDENCE_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let n = env_usize("EVIDENCE_BENCH_APPENDS", 1000);
    let events: Vec<Event> = (0..n).map(event).collect();

    println!("evidence log benchmark ({n} appends per mode)");
    let per_record = {
        let dir = tempfile::tempdir_in(&base).expect("temp dir");
        appends(dir.path(), &events, 1)
    };
    println!("  append, fsync per record      {per_record:>12.0} records/s   (baseline)");
    for batch in [10, 100] {
        let dir = tempfile::tempdir_in(&base).expect("temp dir");
        let rate = appends(dir.path(), &events, batch);
        println!(
            "  append, group commit of {batch:<5} {rate:>12.0} records/s   {:.1}x the per-record rate",
            rate / per_record
        );
    }

    let total = env_usize("EVIDENCE_BENCH_VERIFY_RECORDS", 1_000_000);
    let dir = tempfile::tempdir_in(&base).expect("temp dir");
    let active = dir.path().join("evidence.jsonl");
    let start = Instant::now();
    {
        let mut log = Log::open(&active, Options::default()).expect("open log");
        let mut batch = Vec::with_capacity(10_000);
        for i in 0..total {
            batch.push(event(i));
            if batch.len() == 10_000 || i + 1 == total {
                log.append_batch(&batch).expect("append");
                batch.clear();
            }
        }
    }
    let build = start.elapsed().as_secs_f64();
    let layout = Layout::for_active(&active);
    let (bytes, floor) = read_and_hash(&layout);
    let start = Instant::now();
    let report = verify(&layout, None).expect("verify");
    let secs = start.elapsed().as_secs_f64();
    assert!(
        report.ok(),
        "the benchmark log must verify: {:?}",
        report.problems.first()
    );
    assert_eq!(report.records, total as u64);
    println!(
        "  wrote {total} records ({:.0} MiB, {} files) in {build:.1} s with group commits of 10000",
        bytes as f64 / (1024.0 * 1024.0),
        report.files
    );
    println!(
        "  read + SHA-256 of the files    {:>12.0} records/s   (baseline, {:.0} MiB/s)",
        total as f64 / floor,
        bytes as f64 / (1024.0 * 1024.0) / floor
    );
    println!(
        "  verify                         {:>12.0} records/s   {:.2}x the baseline's time ({secs:.2} s)",
        total as f64 / secs,
        secs / floor
    );
}
