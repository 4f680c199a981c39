//! The evidence log: one JSON line per result, recording which inputs produced which outputs and
//! what was concluded. All writing goes through `Log`, so callers never touch the file format.

use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const EVIDENCE_SCHEMA: &str = "perfassist.evidence/v1";

/// What happened, in the prototype's vocabulary plus the daemon's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    PlanGenerated,
    PlanAndInterpretationGenerated,
    IssuesDetected,
    /// A results file was judged and met its SLOs (the daemon's per-run record).
    InterpretationGenerated,
    InputRejected,
    InputRemoved,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::PlanGenerated => "plan-generated",
            Outcome::PlanAndInterpretationGenerated => "plan-and-interpretation-generated",
            Outcome::IssuesDetected => "issues-detected",
            Outcome::InterpretationGenerated => "interpretation-generated",
            Outcome::InputRejected => "input-rejected",
            Outcome::InputRemoved => "input-removed",
        }
    }
}

/// A file and the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
}

impl FileDigest {
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How the log is kept (rotation and keying arrive with the hash-chained writer).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub max_bytes: Option<u64>,
    pub daily: bool,
    pub keep_files: Option<usize>,
    pub keep_days: Option<u32>,
    pub key: Option<Vec<u8>>,
}

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub hash: String,
    pub file: PathBuf,
}

#[derive(Serialize)]
struct Line<'a> {
    schema: &'static str,
    seq: u64,
    #[serde(flatten)]
    event: &'a Event,
    version: &'static str,
    host: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("evidence log {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An open evidence log.
pub struct Log {
    path: PathBuf,
    file: File,
    host: String,
    next_seq: u64,
}

impl Log {
    pub fn open(path: &Path, _opts: Options) -> Result<Log, EvidenceError> {
        let io = |source| EvidenceError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let existing = std::fs::read(path).map_err(io)?;
        let next_seq = existing.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        Ok(Log {
            path: path.to_path_buf(),
            file,
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            next_seq,
        })
    }

    /// Appends one record and makes it durable before returning.
    pub fn append(&mut self, event: &Event) -> Result<Appended, EvidenceError> {
        let mut v = self.append_batch(std::slice::from_ref(event))?;
        v.pop().ok_or_else(|| EvidenceError::Io {
            path: self.path.clone(),
            source: std::io::Error::other("nothing appended"),
        })
    }

    /// Appends several records with one sync (group commit); none is reported before all are durable.
    pub fn append_batch(&mut self, events: &[Event]) -> Result<Vec<Appended>, EvidenceError> {
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for event in events {
            let seq = self.next_seq + out.len() as u64;
            let line = serde_json::to_vec(&Line {
                schema: EVIDENCE_SCHEMA,
                seq,
                event,
                version: env!("CARGO_PKG_VERSION"),
                host: &self.host,
            })
            .map_err(|e| EvidenceError::Io {
                path: self.path.clone(),
                source: std::io::Error::other(e),
            })?;
            buf.extend_from_slice(&line);
            buf.push(b'\n');
            out.push(Appended {
                seq,
                hash: String::new(),
                file: self.path.clone(),
            });
        }
        if buf.is_empty() {
            return Ok(out);
        }
        let io = |source| EvidenceError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(&buf).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.next_seq += out.len() as u64;
        Ok(out)
    }
}
