//! `verify`: every line is a sealed record in canonical form, sequence numbers are contiguous and
//! every `prev_hash` is the hash before it, across rotated files, the retention anchor and head;
//! the head note exists and no record lies past what it names or a writer announced.

use std::fmt;
use std::path::PathBuf;

use super::files::{Anchor, Layout};
use super::reader::snapshot;
use super::record::{GENESIS, Link, Sealer};
use super::{EvidenceError, Outcome};

/// One thing wrong, at a file and (where it is a line) a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// What verify found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub records: u64,
    pub files: usize,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Hash of the last record: quote it elsewhere to pin the log's end.
    pub head_hash: Option<String>,
    /// Set when old files were removed by retention: where the retained chain starts.
    pub anchor: Option<Anchor>,
    pub problems: Vec<Problem>,
    /// Findings that do not fail the check (records a crashed writer announced but did not
    /// name in the head note).
    pub warnings: Vec<Problem>,
    /// Every record was checked as an HMAC with the given key.
    pub keyed: bool,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the whole log; `key` for logs sealed with HMAC.
pub fn verify(layout: &Layout, key: Option<Vec<u8>>) -> Result<Report, EvidenceError> {
    let keyed = key.is_some();
    let sealer = Sealer::new(key);
    let mut snap = snapshot(layout)?;
    let anchor = snap.anchor.take();
    let mut report = Report {
        keyed,
        anchor: anchor.clone(),
        ..Report::default()
    };
    let head_path = snap.head_path.clone();
    let anchor_path = layout.anchor();
    let anchor_name = anchor_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let anchor_sha256 = snap.anchor_sha256.take();
    let mut anchor_confirmed = false;
    let (head, head_error) = match std::mem::replace(&mut snap.head, Ok(None)) {
        Ok(h) => (h, None),
        Err(e) => (None, Some(e)),
    };
    // Records past the head note's seq, within and beyond what its writer announced.
    let mut announced = Past::default();
    let mut unannounced = Past::default();
    // The chain so far: the expected next (seq, prev_hash), once a record has been seen.
    let mut expect: Option<(u64, String)> = None;
    let mut head_seen = false;
    let files = snap.for_each_line(|line| {
        let mut problem = |message: String| {
            report.problems.push(Problem {
                file: line.file.to_path_buf(),
                line: Some(line.number),
                message,
            })
        };
        if !line.complete {
            problem(format!(
                "incomplete last line ({} bytes): a write was cut short; opening the log for writing moves it to a .corrupt file",
                line.bytes.len()
            ));
            return;
        }
        if line.bytes.is_empty() {
            problem("empty line".into());
            return;
        }
        let link = match sealer.open(line.bytes) {
            Ok(record) => {
                if record.outcome == Outcome::LogPruned
                    && record.outputs.iter().any(|o| {
                        o.path == anchor_name && Some(&o.sha256) == anchor_sha256.as_ref()
                    })
                {
                    anchor_confirmed = true;
                }
                Some(Link {
                    seq: record.seq,
                    prev_hash: record.prev_hash,
                    hash: record.hash.unwrap_or_default(),
                })
            }
            Err(e) => {
                problem(e.to_string());
                // Keep following the chain through a damaged record when its links still read,
                // so one changed byte is reported once.
                serde_json::from_slice::<Link>(line.bytes).ok()
            }
        };
        let Some(link) = link else {
            expect = None;
            return;
        };
        report.records += 1;
        if line.first_in_file
            && let Some(named) = line.named_seq
            && named != link.seq
        {
            problem(format!(
                "the file name says it starts at seq {named} but its first record is seq {}",
                link.seq
            ));
        }
        match &expect {
            None if report.first_seq.is_none() => {
                report.first_seq = Some(link.seq);
                check_start(&link, anchor.as_ref(), &mut problem);
            }
            None => {}
            Some((seq, prev)) => {
                if link.seq != *seq {
                    problem(format!(
                        "sequence number {} where {seq} was expected (records missing, reordered or inserted)",
                        link.seq
                    ));
                } else if link.prev_hash != *prev {
                    problem(
                        "prev_hash does not match the hash of the record before it (a record before it was changed or removed)"
                            .into(),
                    );
                }
            }
        }
        if let Some(a) = &anchor
            && link.seq == a.first_seq
            && link.prev_hash != a.prev_hash
            && report.first_seq != Some(link.seq)
        {
            problem("prev_hash does not match the retention anchor's".into());
        }
        if let Some(h) = &head
            && link.seq > h.seq
        {
            let past = if link.seq <= h.reach() {
                &mut announced
            } else {
                &mut unannounced
            };
            past.add(line.file, line.number, link.seq);
        }
        if let Some(h) = &head
            && h.seq == link.seq
        {
            head_seen = true;
            if h.hash != link.hash {
                problem(format!(
                    "the head note {} names hash {} for seq {}, but this record's hash is {}",
                    head_path.display(),
                    h.hash,
                    h.seq,
                    link.hash
                ));
            }
        }
        report.last_seq = Some(link.seq);
        report.head_hash = Some(link.hash.clone());
        expect = Some((link.seq + 1, link.hash));
    })?;
    report.files = files.len();
    if anchor.is_some() && report.first_seq.is_some_and(|f| f > 1) && !anchor_confirmed {
        report.problems.push(Problem {
            file: anchor_path,
            line: None,
            message: "no log-pruned record in the chain names this anchor note: the oldest records were removed by something other than retention, or the note was edited".into(),
        });
    }
    if let Some(h) = &head
        && !head_seen
        && report.last_seq.is_none_or(|last| h.seq > last)
        && h.seq > 0
    {
        report.problems.push(Problem {
            file: head_path.clone(),
            line: None,
            message: format!(
                "the head note says the log reaches seq {} but the last record is seq {}: records were removed from the end",
                h.seq,
                report.last_seq.map_or("none".to_string(), |s| s.to_string())
            ),
        });
    }
    let past = [announced, unannounced];
    check_head_note(&mut report, head.as_ref(), head_error, past, head_path);
    Ok(report)
}

/// Records found past the head note's seq: where the first is, the seq range and the count.
#[derive(Default)]
struct Past {
    first: Option<(PathBuf, usize, u64)>,
    last_seq: u64,
    count: u64,
}

impl Past {
    fn add(&mut self, file: &std::path::Path, line: usize, seq: u64) {
        if self.first.is_none() {
            self.first = Some((file.to_path_buf(), line, seq));
        }
        self.last_seq = seq;
        self.count += 1;
    }
}

/// The head note must exist once the log holds records, and records past its seq are a failure
/// unless a writer announced them (it then stopped before naming them: a crash).
fn check_head_note(
    report: &mut Report,
    head: Option<&super::files::Head>,
    error: Option<EvidenceError>,
    [announced, unannounced]: [Past; 2],
    head_path: PathBuf,
) {
    if let Some(e) = error {
        report.problems.push(Problem {
            file: head_path,
            line: None,
            message: format!(
                "the head note cannot be read ({e}): records removed from or added at the end cannot be detected"
            ),
        });
        return;
    }
    let Some(h) = head else {
        if report.records > 0 {
            report.problems.push(Problem {
                file: head_path,
                line: None,
                message: "the head note is missing: records removed from or added at the end cannot be detected (copy the note with the log; the next write recreates it)".into(),
            });
        }
        return;
    };
    if let Some((file, line, first)) = announced.first {
        report.warnings.push(Problem {
            file,
            line: Some(line),
            message: format!(
                "record(s) seq {first}..{} follow the head note's seq {} but were announced by their writer (up to seq {}): it stopped before naming them in the note (a crash); the next write updates the note",
                announced.last_seq,
                h.seq,
                h.reach()
            ),
        });
    }
    if let Some((file, line, first)) = unannounced.first {
        let writer = h
            .writing
            .map(|w| format!(" and past what a writer announced (up to seq {w})"))
            .unwrap_or_default();
        report.problems.push(Problem {
            file,
            line: Some(line),
            message: format!(
                "{} record(s) (seq {first}..{}) follow the head note's seq {}{writer}: appended by something other than perfassist's writer, or the note was replaced by an older copy",
                unannounced.count, unannounced.last_seq, h.seq
            ),
        });
    }
}

/// The first record present must start the chain, or meet the anchor retention left.
fn check_start(link: &Link, anchor: Option<&Anchor>, problem: &mut impl FnMut(String)) {
    match anchor {
        _ if link.seq == 1 => {
            if link.prev_hash != GENESIS {
                problem("the first record (seq 1) must have the all-zero prev_hash".into());
            }
        }
        None => problem(format!(
            "the log starts at seq {} and there is no anchor note from retention: records 1..{} are missing",
            link.seq,
            link.seq - 1
        )),
        Some(a) if link.seq > a.first_seq => problem(format!(
            "records {}..{} are missing (retention's anchor says the retained chain starts at seq {})",
            a.first_seq,
            link.seq - 1,
            a.first_seq
        )),
        Some(a) if link.seq == a.first_seq && link.prev_hash != a.prev_hash => {
            problem("prev_hash does not match the retention anchor's".into())
        }
        // Earlier than the anchor: files an interrupted pruning had not yet removed.
        Some(_) => {}
    }
}
