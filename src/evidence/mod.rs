//! The evidence log: a hash-chained, rotating, crash-safe JSONL record of which inputs produced
//! which outputs and what was concluded. Writing goes through `Log`; reading through `verify`/`show`.

mod end;
mod figures;
mod files;
pub mod history;
mod reader;
pub mod record;
pub mod show;
mod tail;
pub mod verify;
mod writer;

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

pub use figures::Figures;
pub use files::Layout;
pub use writer::Log;

pub const EVIDENCE_SCHEMA: &str = "perfassist.evidence/v1";

/// What happened, in the prototype's vocabulary plus the daemon's and the log's own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    PlanGenerated,
    PlanAndInterpretationGenerated,
    IssuesDetected,
    /// A results file was judged and met its SLOs (the daemon's per-run record).
    InterpretationGenerated,
    InputRejected,
    InputRemoved,
    /// The writer found a torn last line (a crash mid-write) and moved it to a `.corrupt` file.
    TornLineRepaired,
    /// Retention removed old rotated files; the detail names them and where the chain now starts.
    LogPruned,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::PlanGenerated,
        Outcome::PlanAndInterpretationGenerated,
        Outcome::IssuesDetected,
        Outcome::InterpretationGenerated,
        Outcome::InputRejected,
        Outcome::InputRemoved,
        Outcome::TornLineRepaired,
        Outcome::LogPruned,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::PlanGenerated => "plan-generated",
            Outcome::PlanAndInterpretationGenerated => "plan-and-interpretation-generated",
            Outcome::IssuesDetected => "issues-detected",
            Outcome::InterpretationGenerated => "interpretation-generated",
            Outcome::InputRejected => "input-rejected",
            Outcome::InputRemoved => "input-removed",
            Outcome::TornLineRepaired => "torn-line-repaired",
            Outcome::LogPruned => "log-pruned",
        }
    }

    pub fn from_label(label: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.label() == label)
    }
}

/// A file and the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
}

impl FileDigest {
    pub fn of_bytes(path: impl Into<String>, bytes: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        FileDigest {
            path: path.into(),
            sha256: hex::encode(Sha256::digest(bytes)),
        }
    }

    /// Hashes a file as a stream, so large results files need no memory of their size.
    pub fn of_file(name: impl Into<String>, path: &Path) -> std::io::Result<Self> {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let mut file = File::open(path)?;
        std::io::copy(&mut file, &mut hasher)?;
        Ok(FileDigest {
            path: name.into(),
            sha256: hex::encode(hasher.finalize()),
        })
    }
}

/// One event to record. `ts` is given by the caller (the edges own the clock).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub ts: String,
    pub service: String,
    pub profile: String,
    pub scenarios: Vec<String>,
    pub interpretation: bool,
    pub outcome: Outcome,
    pub inputs: Vec<FileDigest>,
    pub outputs: Vec<FileDigest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_checks: Vec<String>,
    /// A judged run's key figures (see `Figures`); absent for plans and older records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Event {
    /// An event about one input (named in `profile` too), with no outputs or findings yet;
    /// callers fill in the rest with struct-update syntax.
    pub fn about(ts: String, outcome: Outcome, service: String, input: FileDigest) -> Event {
        Event {
            ts,
            service,
            profile: input.path.clone(),
            scenarios: Vec::new(),
            interpretation: false,
            outcome,
            inputs: vec![input],
            outputs: Vec::new(),
            verdict: None,
            failed_checks: Vec::new(),
            figures: None,
            detail: None,
        }
    }
}

/// How a log rotates, what it keeps and how its records are sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Options {
    /// Rotate before a record would take the active file past this size.
    pub max_bytes: Option<u64>,
    /// Rotate when the active file was last written on an earlier UTC day.
    pub daily: bool,
    /// Keep at most this many rotated files (the active file is always kept).
    pub keep_files: Option<usize>,
    /// Remove rotated files last written more than this many days ago.
    pub keep_days: Option<u32>,
    /// HMAC key: record hashes become HMAC-SHA-256, unforgeable without the key. Trailing
    /// whitespace is ignored (see `read_key`), so raw file bytes and `read_key` agree.
    pub key: Option<Vec<u8>>,
}

/// Never prints the key, so logging a configuration cannot leak it.
impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("max_bytes", &self.max_bytes)
            .field("daily", &self.daily)
            .field("keep_files", &self.keep_files)
            .field("keep_days", &self.keep_days)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

pub const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;

impl Default for Options {
    fn default() -> Self {
        Options {
            max_bytes: Some(DEFAULT_MAX_BYTES),
            daily: false,
            keep_files: None,
            keep_days: None,
            key: None,
        }
    }
}

/// Where a record went: its sequence number, its hash and the file it was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub hash: String,
    pub file: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("evidence log {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A complete line the writer must build on is not a record: not a crash, so not repaired.
    #[error(
        "evidence log {path}:{line}: {message}; run `perfassist evidence verify` and move the damaged file aside"
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The log's end is not one this writer may build on (an invalid last record, another key,
    /// records the head note does not cover): the operator must look, so nothing is appended.
    #[error("evidence log {place}: {message}")]
    Refused { place: String, message: String },
    #[error("evidence log {path}: {message}")]
    NotFound { path: PathBuf, message: String },
    #[error("evidence key: {0}")]
    Key(String),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EvidenceError + '_ {
    move |source| EvidenceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads an HMAC key file: its bytes with trailing whitespace trimmed, so `echo secret > key`
/// and a key written without a newline give the same key.
pub fn read_key(path: &Path) -> Result<Vec<u8>, EvidenceError> {
    let bytes = std::fs::read(path)
        .map_err(|e| EvidenceError::Key(format!("{}: cannot read: {e}", path.display())))?;
    let key = trim_key(&bytes);
    if key.is_empty() {
        return Err(EvidenceError::Key(format!(
            "{}: the key file is empty; put at least 32 random bytes in it (e.g. `head -c 32 /dev/urandom | base64 > {}`)",
            path.display(),
            path.display()
        )));
    }
    Ok(key.to_vec())
}

/// The key proper: without trailing whitespace, so a key file's final newline does not count.
pub(crate) fn trim_key(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}
