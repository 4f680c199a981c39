//! Where a log's files live: the active file, rotated files named by their first sequence number,
//! the lock, anchor and head notes, and `.corrupt` files; finding a log from a file or folder.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::{EvidenceError, io_err};

/// The files of one log, all in one folder and named after the active file's stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    dir: PathBuf,
    stem: String,
    /// The extension with its dot (".jsonl"), or empty.
    ext: String,
}

/// One file of the log, in chain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub path: PathBuf,
    /// From a rotated file's name; `None` for the active file.
    pub first_seq: Option<u64>,
}

/// Written by retention before it removes files: where the retained chain starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub schema: String,
    pub first_seq: u64,
    pub prev_hash: String,
    pub removed: Vec<String>,
}

pub const ANCHOR_SCHEMA: &str = "perfassist.evidence-anchor/v1";

/// Rewritten after every durable append: the newest record, so removing records from the end
/// is detectable. Before a write the writer also announces how far it is about to go
/// (`writing`), so records a crash left beyond `seq` can be told from records someone appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub schema: String,
    pub seq: u64,
    pub hash: String,
    /// The highest sequence number a writer announced and may have written past `seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writing: Option<u64>,
}

impl Head {
    /// The highest sequence number the writer may have written.
    pub fn reach(&self) -> u64 {
        self.writing.map_or(self.seq, |w| w.max(self.seq))
    }
}

pub const HEAD_SCHEMA: &str = "perfassist.evidence-head/v1";

/// Sequence numbers in rotated names are zero-padded to this width so names sort in chain order
/// (longer numbers still parse; the reader sorts by the number, not the name).
const SEQ_DIGITS: usize = 12;

fn is_seq(digits: &str) -> bool {
    digits.len() >= SEQ_DIGITS && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Layout {
    /// The log whose active file is `path` (which need not exist yet).
    pub fn for_active(path: &Path) -> Layout {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let stem = path.file_stem().map_or_else(
            || "evidence".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let ext = path
            .extension()
            .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
        Layout { dir, stem, ext }
    }

    /// Finds the log named by a user: an active file, a rotated file, or a folder holding one log.
    pub fn discover(path: &Path) -> Result<Layout, EvidenceError> {
        if path.is_dir() {
            return Self::in_folder(path);
        }
        let mut layout = Layout::for_active(path);
        // A rotated file names its log too: `evidence.000000000001.jsonl` → `evidence.jsonl`.
        if let Some((stem, digits)) = layout.stem.rsplit_once('.')
            && is_seq(digits)
        {
            layout.stem = stem.to_string();
        }
        if layout.segments()?.is_empty() {
            return Err(EvidenceError::NotFound {
                path: path.to_path_buf(),
                message: "no such evidence log (neither the active file nor rotated files exist)"
                    .into(),
            });
        }
        Ok(layout)
    }

    fn in_folder(dir: &Path) -> Result<Layout, EvidenceError> {
        let default = Layout::for_active(&dir.join("evidence.jsonl"));
        if !default.segments()?.is_empty() {
            return Ok(default);
        }
        let mut stems: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
            let entry = entry.map_err(io_err(dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(base) = name.strip_suffix(".jsonl") {
                let stem = match base.rsplit_once('.') {
                    Some((s, d)) if is_seq(d) => s,
                    _ => base,
                };
                if !stems.iter().any(|s| s == stem) {
                    stems.push(stem.to_string());
                }
            }
        }
        match stems.as_slice() {
            [one] => Ok(Layout::for_active(&dir.join(format!("{one}.jsonl")))),
            [] => Err(EvidenceError::NotFound {
                path: dir.to_path_buf(),
                message: "no evidence log in this folder (no *.jsonl file)".into(),
            }),
            many => Err(EvidenceError::NotFound {
                path: dir.to_path_buf(),
                message: format!(
                    "this folder holds several logs ({}); name the active file",
                    many.join(", ")
                ),
            }),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn active(&self) -> PathBuf {
        self.dir.join(format!("{}{}", self.stem, self.ext))
    }

    pub fn rotated(&self, first_seq: u64) -> PathBuf {
        self.dir.join(format!(
            "{}.{first_seq:0SEQ_DIGITS$}{}",
            self.stem, self.ext
        ))
    }

    pub fn lock(&self) -> PathBuf {
        self.dir.join(format!("{}.lock", self.stem))
    }

    pub fn anchor(&self) -> PathBuf {
        self.dir.join(format!("{}.anchor.json", self.stem))
    }

    pub fn head(&self) -> PathBuf {
        self.dir.join(format!("{}.head.json", self.stem))
    }

    pub fn corrupt(&self, seq: u64) -> PathBuf {
        self.dir
            .join(format!("{}.{seq:0SEQ_DIGITS$}.corrupt", self.stem))
    }

    /// Rotated files by first sequence number, then the active file if it exists.
    pub fn segments(&self) -> Result<Vec<Segment>, EvidenceError> {
        let mut rotated = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.dir)(e)),
        };
        let prefix = format!("{}.", self.stem);
        for entry in entries {
            let entry = entry.map_err(io_err(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let middle = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(self.ext.as_str()));
            if let Some(digits) = middle
                && is_seq(digits)
                && let Ok(seq) = digits.parse::<u64>()
            {
                rotated.push(Segment {
                    path: entry.path(),
                    first_seq: Some(seq),
                });
            }
        }
        rotated.sort_by_key(|s| s.first_seq);
        let active = self.active();
        if active.is_file() {
            rotated.push(Segment {
                path: active,
                first_seq: None,
            });
        }
        Ok(rotated)
    }

    pub fn read_anchor(&self) -> Result<Option<Anchor>, EvidenceError> {
        read_note(&self.anchor())
    }

    /// The head note; an empty file counts as missing (a power loss can leave one where the
    /// note's replacement was not yet on disk).
    pub fn read_head(&self) -> Result<Option<Head>, EvidenceError> {
        read_note(&self.head())
    }
}

fn read_note<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, EvidenceError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| EvidenceError::Corrupt {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("unreadable note: {e}"),
        })
}

/// Makes a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), EvidenceError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_in_chain_order_and_are_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::for_active(&dir.path().join("evidence.jsonl"));
        for seq in [1001, 1, 20] {
            std::fs::write(layout.rotated(seq), b"").unwrap();
        }
        std::fs::write(layout.active(), b"").unwrap();
        std::fs::write(dir.path().join("other.txt"), b"").unwrap();
        let seqs: Vec<_> = layout
            .segments()
            .unwrap()
            .iter()
            .map(|s| s.first_seq)
            .collect();
        assert_eq!(seqs, [Some(1), Some(20), Some(1001), None]);
        assert_eq!(Layout::discover(dir.path()).unwrap(), layout);
        assert_eq!(Layout::discover(&layout.rotated(20)).unwrap(), layout);
        assert!(layout.rotated(20).ends_with("evidence.000000000020.jsonl"));
    }
}
