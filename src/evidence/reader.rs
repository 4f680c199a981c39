//! Reading a whole log in chain order from a consistent snapshot: every file opened (and the
//! active file's length taken) under a shared lock, then read line by line without the lock.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::files::{Anchor, Head, Layout, Segment};
use super::{EvidenceError, FileDigest, io_err};

/// One line as stored, with where it is.
pub struct Line<'a> {
    pub file: &'a Path,
    /// 1-based.
    pub number: usize,
    /// Without the newline.
    pub bytes: &'a [u8],
    /// False for a last line with no newline: a write that did not finish.
    pub complete: bool,
    /// True for the first line of a file.
    pub first_in_file: bool,
    /// The first sequence number a rotated file's name promises.
    pub named_seq: Option<u64>,
}

struct Open {
    segment: Segment,
    file: File,
    len: u64,
}

/// The log's files, anchor and head as they were at one instant.
pub struct Snapshot {
    opened: Vec<Open>,
    pub anchor: Option<Anchor>,
    /// SHA-256 of the anchor file's bytes, which a `log-pruned` record must name.
    pub anchor_sha256: Option<String>,
    /// `Err` when the head note exists but cannot be read (it is advisory).
    pub head: Result<Option<Head>, EvidenceError>,
    pub head_path: PathBuf,
}

/// Opens every file of the log at one instant, so a writer rotating or appending meanwhile
/// cannot make the reader see a half-written line or miss a file.
pub fn snapshot(layout: &Layout) -> Result<Snapshot, EvidenceError> {
    // Read-only copies of a log have no lock file, and need none.
    let lock = File::open(layout.lock()).ok();
    if let Some(l) = &lock {
        l.lock_shared().map_err(io_err(&layout.lock()))?;
    }
    let anchor = layout.read_anchor()?;
    let anchor_sha256 = match anchor {
        Some(_) => Some(
            FileDigest::of_file("", &layout.anchor())
                .map_err(io_err(&layout.anchor()))?
                .sha256,
        ),
        None => None,
    };
    let head = layout.read_head();
    let mut opened = Vec::new();
    for segment in layout.segments()? {
        let file = File::open(&segment.path).map_err(io_err(&segment.path))?;
        let len = file.metadata().map_err(io_err(&segment.path))?.len();
        opened.push(Open { segment, file, len });
    }
    if let Some(l) = &lock {
        l.unlock().map_err(io_err(&layout.lock()))?;
    }
    Ok(Snapshot {
        opened,
        anchor,
        anchor_sha256,
        head,
        head_path: layout.head(),
    })
}

impl Snapshot {
    /// Calls `each` for every line of every file in chain order; returns the files read.
    pub fn for_each_line(
        self,
        mut each: impl FnMut(Line<'_>),
    ) -> Result<Vec<PathBuf>, EvidenceError> {
        let opened = self.opened;
        let mut files = Vec::with_capacity(opened.len());
        let mut buf = Vec::with_capacity(4096);
        for open in opened {
            let path = open.segment.path.clone();
            let mut reader = BufReader::with_capacity(1 << 20, open.file.take(open.len));
            let mut number = 0;
            loop {
                buf.clear();
                let n = reader.read_until(b'\n', &mut buf).map_err(io_err(&path))?;
                if n == 0 {
                    break;
                }
                number += 1;
                let complete = buf.last() == Some(&b'\n');
                let bytes = if complete { &buf[..n - 1] } else { &buf[..] };
                each(Line {
                    file: &path,
                    number,
                    bytes,
                    complete,
                    first_in_file: number == 1,
                    named_seq: open.segment.first_seq,
                });
            }
            files.push(path);
        }
        Ok(files)
    }
}
