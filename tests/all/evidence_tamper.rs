//! Verify catches every kind of tampering the issue names, at the right file and line, and
//! passes untouched logs of many records across rotations.

use crate::evidence_support;

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

fn refusal(active: &std::path::Path, opts: Options) -> String {
    match Log::open(active, opts) {
        Ok(_) => panic!("the writer opened a log it must refuse"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_writer_refuses_to_build_on_a_last_record_verify_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 5, 1 << 20, 5);
    let original = lines(&active);

    // One changed byte in the last record: the hash no longer matches.
    let mut changed = original.clone();
    changed[4] = changed[4].replacen("\"search\"", "\"searcH\"", 1);
    assert_ne!(changed, original);
    write_lines(&active, &changed);
    let before = std::fs::read(&active).unwrap();
    let e = refusal(&active, Options::default());
    assert!(
        e.contains("evidence.jsonl:5: the last record is not valid (hash does not match"),
        "{e}"
    );
    assert!(e.contains("move the damaged file aside"), "{e}");
    assert_eq!(std::fs::read(&active).unwrap(), before, "nothing appended");

    // Same meaning, other spacing: not canonical, so verify reports it and the writer stops.
    let mut spaced = original.clone();
    spaced[4] = spaced[4].replacen(",", ", ", 1);
    write_lines(&active, &spaced);
    let e = refusal(&active, Options::default());
    assert!(
        e.contains(":5: the last record is not valid (record is not in canonical form"),
        "{e}"
    );

    // A writer that is already open checks again once the file changed under it.
    write_lines(&active, &original);
    let mut log = Log::open(&active, Options::default()).unwrap();
    log.append(&event(5)).unwrap();
    let mut text = std::fs::read_to_string(&active).unwrap();
    text.push_str("{\"note\":\"added by hand\"}\n");
    std::fs::write(&active, &text).unwrap();
    let e = log.append(&event(6)).unwrap_err().to_string();
    assert!(
        e.contains("evidence.jsonl:7: the last record is not valid"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&active).unwrap(), text);
    assert!(log.append(&event(6)).is_err(), "refused again, not skipped");
}

#[test]
fn the_writer_keeps_the_sealing_a_log_started_with() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("evidence.jsonl");
    let key = b"k3y-material".to_vec();
    let keyed = Options {
        key: Some(key.clone()),
        ..Options::default()
    };
    Log::open(&active, keyed.clone())
        .unwrap()
        .append(&event(0))
        .unwrap();
    let e = refusal(&active, Options::default());
    assert!(
        e.contains("evidence.jsonl:1:") && e.contains("--evidence-key"),
        "{e}"
    );
    let e = refusal(
        &active,
        Options {
            key: Some(b"another key".to_vec()),
            ..Options::default()
        },
    );
    assert!(
        e.contains("check that the key is the one this log was sealed with"),
        "{e}"
    );

    let plain = dir.path().join("plain/evidence.jsonl");
    Log::open(&plain, Options::default())
        .unwrap()
        .append(&event(0))
        .unwrap();
    let e = refusal(&plain, keyed);
    assert!(
        e.contains("a log keeps the sealing it was started with"),
        "{e}"
    );
    assert!(check(&plain).ok() && check_keyed(&active, &key).ok());
}

/// Seals `event(i)` as the next record after the log's last line, as someone without perfassist's
/// writer would, and appends it.
fn append_forged(active: &std::path::Path, key: Option<Vec<u8>>) {
    let last: serde_json::Value = serde_json::from_str(lines(active).last().unwrap()).unwrap();
    let (line, _) = perfassist::evidence::record::Sealer::new(key)
        .seal(
            &event(99),
            last["seq"].as_u64().unwrap() + 1,
            last["hash"].as_str().unwrap(),
            "elsewhere",
        )
        .unwrap();
    let mut bytes = std::fs::read(active).unwrap();
    bytes.extend_from_slice(&line);
    std::fs::write(active, bytes).unwrap();
}

#[test]
fn a_record_appended_past_the_head_note_fails_verify_and_stops_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 5, 1 << 20, 5);
    // A correct chain and a correct hash: without a key only the head note can tell.
    append_forged(&active, None);
    let p = problems(&check(&active));
    assert!(
        p.iter().any(|p| p
            .starts_with("evidence.jsonl:6: 1 record(s) (seq 6..6) follow the head note's seq 5")),
        "{p:?}"
    );
    let e = refusal(&active, Options::default());
    assert!(
        e.contains("evidence.jsonl:6: the last record (seq 6) is past the head note's seq 5"),
        "{e}"
    );

    // With a key the forged record itself is caught, whatever the head note says.
    let keyed_dir = tempfile::tempdir().unwrap();
    let keyed = keyed_dir.path().join("evidence.jsonl");
    let key = b"0123456789abcdef".to_vec();
    let mut log = Log::open(
        &keyed,
        Options {
            key: Some(key.clone()),
            ..Options::default()
        },
    )
    .unwrap();
    log.append_batch(&(0..3).map(event).collect::<Vec<_>>())
        .unwrap();
    drop(log);
    append_forged(&keyed, Some(b"a guessed key".to_vec()));
    let p = problems(&check_keyed(&keyed, &key));
    assert!(
        p.iter()
            .any(|p| p.starts_with("evidence.jsonl:4: hash does not match")),
        "{p:?}"
    );
}

#[test]
fn a_missing_head_note_fails_verify_until_a_writer_writes_it_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 5, 1 << 20, 5);
    let head = Layout::for_active(&active).head();
    std::fs::remove_file(&head).unwrap();
    let p = problems(&check(&active));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("evidence.head.json:-: the head note is missing"),
        "{p:?}"
    );
    // The operator's repair: any writer recreates it from the last record.
    drop(Log::open(&active, Options::default()).unwrap());
    let r = check(&active);
    assert!(r.ok() && r.warnings.is_empty(), "{:?}", problems(&r));

    // An empty or unreadable note.
    std::fs::write(&head, "").unwrap();
    assert!(problems(&check(&active))[0].contains("the head note is missing"));
    std::fs::write(&head, "{not json").unwrap();
    let p = problems(&check(&active));
    assert!(p[0].contains("the head note cannot be read"), "{p:?}");
    let e = refusal(&active, Options::default());
    assert!(e.contains("the head note cannot be read"), "{e}");

    // An empty log needs no note.
    let empty = tempfile::tempdir().unwrap();
    let fresh = empty.path().join("evidence.jsonl");
    drop(Log::open(&fresh, Options::default()).unwrap());
    assert!(check(&fresh).ok());
}

#[test]
fn records_a_crashed_writer_announced_are_a_warning_and_the_next_write_settles_them() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 5, 1 << 20, 5);
    let head = Layout::for_active(&active).head();
    let before: serde_json::Value = serde_json::from_slice(&std::fs::read(&head).unwrap()).unwrap();
    let mut log = Log::open(&active, Options::default()).unwrap();
    log.append_batch(&[event(5), event(6)]).unwrap();
    drop(log);
    // The note as a writer leaves it when it dies after writing its batch, before naming it.
    let crashed = serde_json::json!({
        "schema": before["schema"], "seq": 5, "hash": before["hash"], "writing": 7
    });
    std::fs::write(&head, crashed.to_string()).unwrap();
    let r = check(&active);
    assert!(r.ok(), "{:?}", problems(&r));
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0]
            .message
            .contains("seq 6..7 follow the head note's seq 5")
    );
    assert_eq!(r.warnings[0].line, Some(6));
    // One more record past what was announced is a failure again.
    append_forged(&active, None);
    let p = problems(&check(&active));
    assert!(
        p.iter().any(
            |p| p.starts_with("evidence.jsonl:8: 1 record(s) (seq 8..8)")
                && p.contains("past what a writer announced (up to seq 7)")
        ),
        "{p:?}"
    );
    let mut lines_now = lines(&active);
    lines_now.pop();
    write_lines(&active, &lines_now);
    // The next writer accepts the announced records and names them.
    let mut log = Log::open(&active, Options::default()).unwrap();
    assert_eq!(log.append(&event(7)).unwrap().seq, 8);
    let r = check(&active);
    assert!(
        r.ok() && r.warnings.is_empty(),
        "{:?} {:?}",
        problems(&r),
        r.warnings
    );
}

#[test]
fn a_log_cut_back_from_its_end_stops_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let active = build(dir.path(), 5, 1 << 20, 5);
    let mut kept = lines(&active);
    kept.pop();
    write_lines(&active, &kept);
    let e = refusal(&active, Options::default());
    assert!(
        e.contains("evidence.jsonl:4: the head note says the log reaches seq 5 but its last record is seq 4"),
        "{e}"
    );
}
