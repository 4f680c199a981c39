//! The chain's end as a writer finds it before building on it: the last record checked as
//! `verify` checks a line, and the head note compared with it. A writer never appends after an
//! end that `verify` would report, since its own records would then seal the damage in.
//!
//! The head note is rewritten in place (one 256-byte write at offset 0) and never fsynced: an fsync
//! per append would halve the append rate. After a process crash it may lag the log by what the
//! writer announced, never lead it; after a power loss, a journalling filesystem that commits
//! metadata in order (ext4 with its default options) normally has the announcement on disk with
//! the records.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::files::{HEAD_SCHEMA, Head, Layout};
use super::record::{LineError, Sealer};
use super::{EvidenceError, tail};

/// The last record of the chain (seq 0 when there is none), and where it is.
pub(super) struct End {
    pub seq: u64,
    pub hash: String,
    /// The file holding it and the length up to its end, to name its line in messages.
    pub at: Option<(PathBuf, u64)>,
}

impl End {
    /// `file:line` of the last record, counted only when a message needs it.
    fn place(&self, layout: &Layout) -> String {
        match &self.at {
            Some((path, upto)) => {
                let line = File::open(path)
                    .and_then(|mut f| tail::count_lines(&mut f, *upto))
                    .unwrap_or(0);
                format!("{}:{line}", path.display())
            }
            None => layout.active().display().to_string(),
        }
    }
}

/// Opens the last complete line of `path` (which ends at `upto`) as `verify` would.
pub(super) fn last_record(
    sealer: &Sealer,
    path: &Path,
    line: &[u8],
    upto: u64,
) -> Result<End, EvidenceError> {
    match sealer.open(line) {
        Ok(record) => Ok(End {
            seq: record.seq,
            hash: record.hash.unwrap_or_default(),
            at: Some((path.to_path_buf(), upto)),
        }),
        Err(e) => {
            let line = File::open(path)
                .and_then(|mut f| tail::count_lines(&mut f, upto))
                .unwrap_or(0);
            Err(EvidenceError::Refused {
                place: format!("{}:{line}", path.display()),
                message: refusal(&e, sealer),
            })
        }
    }
}

/// Why the writer stops at an invalid last record, and what the operator can do.
fn refusal(e: &LineError, sealer: &Sealer) -> String {
    let keyed = sealer.alg() == super::record::Alg::HmacSha256;
    let advice = match e {
        LineError::NeedsKey => {
            "give this writer the log's key (--evidence-key, or evidence_key in the daemon's settings)"
        }
        LineError::NotKeyed => {
            "a log keeps the sealing it was started with: drop the key, or write keyed records to a new log in another folder"
        }
        LineError::HashMismatch if keyed => {
            "check that the key is the one this log was sealed with; if it is, the record was changed: run `perfassist evidence verify` and move the damaged file aside"
        }
        _ => "run `perfassist evidence verify` and move the damaged file aside",
    };
    format!("the last record is not valid ({e}), so nothing is appended after it; {advice}")
}

/// What the head note says about an end the writer accepts.
pub(super) enum HeadCheck {
    Agrees,
    /// No note (or an empty one): the writer writes it afresh from the end it found.
    Missing,
}

/// Compares the head note with the chain's end: records past what a writer announced were not
/// written by perfassist, and an end short of the note lost records.
pub(super) fn check_head(layout: &Layout, end: &End) -> Result<HeadCheck, EvidenceError> {
    let note = layout.head();
    let head = match layout.read_head() {
        Ok(Some(h)) => h,
        Ok(None) => return Ok(HeadCheck::Missing),
        Err(EvidenceError::Io { path, source }) => return Err(EvidenceError::Io { path, source }),
        Err(e) => {
            return Err(EvidenceError::Refused {
                place: note.display().to_string(),
                message: format!(
                    "the head note cannot be read ({e}), so the log's end cannot be checked; look at the newest records (`perfassist evidence show`), then delete the note and the next writer writes it afresh"
                ),
            });
        }
    };
    let delete_note = format!(
        "if the records are as they should be, delete {} and the next writer writes it afresh from the last record",
        note.display()
    );
    if head.seq > end.seq {
        return Err(EvidenceError::Refused {
            place: end.place(layout),
            message: format!(
                "the head note says the log reaches seq {} but its last record is seq {}: records were removed from the end; restore them, or {delete_note}",
                head.seq, end.seq
            ),
        });
    }
    if end.seq > head.reach() {
        return Err(EvidenceError::Refused {
            place: end.place(layout),
            message: format!(
                "the last record (seq {}) is past the head note's seq {}{}: it was not written by perfassist's writer, or the note was replaced by an older copy; check the newest records with `perfassist evidence verify` and `perfassist evidence show`, and {delete_note}",
                end.seq,
                head.seq,
                head.writing
                    .map(|w| format!(" and the records a writer announced (up to seq {w})"))
                    .unwrap_or_default()
            ),
        });
    }
    if end.seq == head.seq && end.hash != head.hash {
        return Err(EvidenceError::Refused {
            place: end.place(layout),
            message: format!(
                "the head note names hash {} for seq {}, but the last record's hash is {}: the record was replaced; {delete_note}",
                head.hash, head.seq, end.hash
            ),
        });
    }
    Ok(HeadCheck::Agrees)
}

/// The head note's size on disk: it is rewritten in place with one write at offset 0, padded
/// with spaces (which JSON allows), so it is never short or torn by a process dying and costs no
/// new file or rename per append. A note is about 160 bytes.
const HEAD_BYTES: usize = 256;

/// Rewrites the head note (not fsynced: see this file's header).
pub(super) fn put_head(
    layout: &Layout,
    seq: u64,
    hash: &str,
    writing: Option<u64>,
) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let head = Head {
        schema: HEAD_SCHEMA.into(),
        seq,
        hash: hash.to_string(),
        writing,
    };
    let path = layout.head();
    let mut json = serde_json::to_vec(&head).map_err(std::io::Error::other)?;
    if json.len() > HEAD_BYTES {
        // Only a hash of unusual length (from a hand-made anchor) gets here: replace the file.
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json)?;
        return std::fs::rename(&tmp, &path);
    }
    json.resize(HEAD_BYTES, b' ');
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    file.write_all_at(&json, 0)?;
    // A note left longer by another writer would keep its tail after ours.
    if file.metadata()?.len() > HEAD_BYTES as u64 {
        file.set_len(HEAD_BYTES as u64)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_note_is_rewritten_in_place_at_one_size() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::for_active(&dir.path().join("evidence.jsonl"));
        std::fs::write(layout.head(), vec![b'x'; 1000]).unwrap();
        put_head(&layout, 7, "abc", Some(9)).unwrap();
        assert_eq!(
            std::fs::metadata(layout.head()).unwrap().len(),
            HEAD_BYTES as u64
        );
        let head = layout.read_head().unwrap().unwrap();
        assert_eq!((head.seq, head.writing, head.reach()), (7, Some(9), 9));
        put_head(&layout, 9, "def", None).unwrap();
        let head = layout.read_head().unwrap().unwrap();
        assert_eq!(
            (head.seq, head.hash.as_str(), head.writing),
            (9, "def", None)
        );
        let long = "f".repeat(400);
        put_head(&layout, 10, &long, None).unwrap();
        assert_eq!(layout.read_head().unwrap().unwrap().hash, long);
    }
}
