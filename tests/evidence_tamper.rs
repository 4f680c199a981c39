//! Verify catches every kind of tampering the issue names, at the right file and line, and
//! passes untouched logs of many records across rotations.

mod evidence_support;

use evidence_support::*;
use perfassist::evidence::show::{Filter, show};
use perfassist::evidence::{Event, Layout, Log, Options};

#[test]
fn ten_thousand_records_over_rotations_verify_and_show_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 10_000, 1 << 20, 250);
    let all = files(&active);
    assert!(all.len() >= 4, "expected several rotations, got {all:?}");
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert_eq!((r.records, r.files), (10_000, all.len()));
    assert_eq!((r.first_seq, r.last_seq), (Some(1), Some(10_000)));
    let mut seqs = Vec::new();
    let bad = show(
        &Layout::for_active(&active),
        &Filter::default(),
        |rec, _| seqs.push(rec.seq),
    )
    .unwrap();
    assert!(bad.is_empty());
    assert_eq!(seqs, (1..=10_000).collect::<Vec<u64>>());
}

#[test]
fn one_changed_byte_anywhere_is_reported_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 60, 8 * 1024, 7);
    let all = files(&active);
    assert!(all.len() >= 3);
    for file in &all {
        let original = std::fs::read(file).unwrap();
        let n_lines = lines(file).len();
        for line_no in [1, n_lines / 2 + 1, n_lines] {
            // Walk several byte positions of the line: a value, a key, a hash, punctuation.
            let start: usize = original
                .split(|b| *b == b'\n')
                .take(line_no - 1)
                .map(|l| l.len() + 1)
                .sum();
            let len = original[start..].iter().position(|b| *b == b'\n').unwrap();
            for offset in [0, 1, 15, len / 3, len / 2, len - 70, len - 2, len - 1] {
                let mut bytes = original.clone();
                bytes[start + offset] = if bytes[start + offset] == b'a' {
                    b'b'
                } else {
                    b'a'
                };
                std::fs::write(file, &bytes).unwrap();
                let r = check(&active);
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                let want = format!("{name}:{line_no}:");
                assert!(
                    problems(&r).iter().any(|p| p.starts_with(&want)),
                    "byte {offset} of {want} changed, got {:?}",
                    problems(&r)
                );
            }
            std::fs::write(file, &original).unwrap();
        }
    }
    assert!(check(&active).ok());
}

#[test]
fn deleted_swapped_and_inserted_lines_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 20, 1 << 20, 20);
    let original = lines(&active);

    let mut deleted = original.clone();
    deleted.remove(9);
    write_lines(&active, &deleted);
    let p = problems(&check(&active));
    assert!(
        p.iter()
            .any(|p| p.starts_with("evidence.jsonl:10: sequence number 11 where 10")),
        "{p:?}"
    );

    let mut swapped = original.clone();
    swapped.swap(4, 5);
    write_lines(&active, &swapped);
    let p = problems(&check(&active));
    assert!(
        p.iter().any(|p| p.starts_with("evidence.jsonl:5:")),
        "{p:?}"
    );

    let mut doubled = original.clone();
    doubled.insert(3, original[3].clone());
    write_lines(&active, &doubled);
    let p = problems(&check(&active));
    assert!(
        p.iter().any(|p| p.starts_with("evidence.jsonl:5:")),
        "{p:?}"
    );

    // Removing the newest record: only the head note can tell.
    let mut shortened = original.clone();
    shortened.pop();
    write_lines(&active, &shortened);
    let p = problems(&check(&active));
    assert!(
        p.iter()
            .any(|p| p.contains("records were removed from the end")),
        "{p:?}"
    );

    write_lines(&active, &original);
    assert!(check(&active).ok());
}

#[test]
fn truncated_and_removed_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 80, 8 * 1024, 10);
    let all = files(&active);
    assert!(all.len() >= 4, "{all:?}");
    let middle = &all[1];
    let next_name = all[2].file_name().unwrap().to_string_lossy().into_owned();
    let original = std::fs::read(middle).unwrap();

    // Cut at a line boundary: the next file's first record no longer follows.
    let kept = lines(middle)[..3].to_vec();
    write_lines(middle, &kept);
    let p = problems(&check(&active));
    assert!(
        p.iter()
            .any(|p| p.starts_with(&format!("{next_name}:1: sequence number"))),
        "{p:?}"
    );

    // Cut mid-line.
    std::fs::write(middle, &original[..original.len() / 2 + 7]).unwrap();
    let p = problems(&check(&active));
    assert!(
        p.iter().any(|p| p.contains("incomplete last line")),
        "{p:?}"
    );

    // A whole middle file removed.
    std::fs::remove_file(middle).unwrap();
    let p = problems(&check(&active));
    assert!(
        p.iter()
            .any(|p| p.starts_with(&format!("{next_name}:1: sequence number"))),
        "{p:?}"
    );

    // Restored, the log verifies again.
    std::fs::write(middle, &original).unwrap();
    assert!(check(&active).ok());
}

#[test]
fn a_keyed_log_cannot_be_rebuilt_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("evidence.jsonl");
    let key = b"0123456789abcdef0123456789abcdef".to_vec();
    let mut log = Log::open(
        &active,
        Options {
            key: Some(key.clone()),
            ..Options::default()
        },
    )
    .unwrap();
    let events: Vec<Event> = (0..5).map(event).collect();
    log.append_batch(&events).unwrap();
    assert!(check_keyed(&active, &key).ok());
    let p = problems(&check(&active));
    assert!(p[0].contains("--evidence-key"), "{p:?}");
    let p = problems(&check_keyed(&active, b"wrong key"));
    assert!(p.iter().all(|p| p.contains("hash does not match")), "{p:?}");

    // Someone without the key rewrites the whole log as an unkeyed chain: consistent in itself,
    // but the keyed check rejects every record.
    let forged = dir.path().join("forged/evidence.jsonl");
    let mut plain = Log::open(&forged, Options::default()).unwrap();
    plain.append_batch(&events).unwrap();
    assert!(check(&forged).ok());
    let p = problems(&check_keyed(&forged, &key));
    assert_eq!(p.len(), 5, "{p:?}");
    assert!(p[0].contains("not keyed"), "{p:?}");
}

#[test]
fn old_files_removed_with_a_hand_written_anchor_are_caught_in_a_keyed_log() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("evidence.jsonl");
    let key = b"retention-key".to_vec();
    let keyed = |keep_files| Options {
        max_bytes: Some(4096),
        keep_files,
        key: Some(key.clone()),
        ..Options::default()
    };
    let mut log = Log::open(&active, keyed(None)).unwrap();
    let events: Vec<Event> = (0..40).map(event).collect();
    for e in &events {
        log.append(e).unwrap();
    }
    drop(log);
    let all = files(&active);
    assert!(all.len() >= 4);

    // Genuine retention: recorded in the chain, so it verifies.
    let copy = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, copy.path().join(f.file_name().unwrap())).unwrap();
    }
    drop(Log::open(&active, keyed(Some(2))).unwrap());
    let r = check_keyed(&active, &key);
    assert!(r.ok(), "{:?}", problems(&r));
    assert!(r.first_seq.unwrap() > 1);

    // Someone without the key deletes the oldest file of the copy and writes an anchor that
    // makes the rest look like a retained chain.
    let forged = copy.path().join("evidence.jsonl");
    let oldest = files(&forged)[0].clone();
    std::fs::remove_file(&oldest).unwrap();
    let next = lines(&files(&forged)[0])[0].clone();
    let v: serde_json::Value = serde_json::from_str(&next).unwrap();
    let anchor = serde_json::json!({
        "schema": "perfassist.evidence-anchor/v1",
        "first_seq": v["seq"],
        "prev_hash": v["prev_hash"],
        "removed": [oldest.file_name().unwrap().to_string_lossy()],
    });
    std::fs::write(
        copy.path().join("evidence.anchor.json"),
        serde_json::to_vec_pretty(&anchor).unwrap(),
    )
    .unwrap();
    let p = problems(&check_keyed(&forged, &key));
    assert!(
        p.iter()
            .any(|p| p.starts_with("evidence.anchor.json:-: no log-pruned record")),
        "{p:?}"
    );
}
