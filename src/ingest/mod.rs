//! The results edge: opening a results file (or a Taurus artifacts folder), finding a Locust
//! file's companions beside it, `PERFASSIST_THREADS`, and running a large file's parts on
//! threads. Everything it reads goes to the pure readers in `crate::results`.

mod hash_apart;
mod parts;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::results::{self, Opened, ResultsError, RunResults};

/// Reads a results file from disk (or a Taurus artifacts folder: its kpi*.jtl as one run).
/// Raw-sample formats (JMeter JTL, k6 NDJSON, gzip or not) are read as a stream in constant
/// memory; summaries are read whole, and a summary larger than `max_document_bytes` is refused
/// before it is read. A Locust `X_stats.csv` picks up `X_stats_history.csv` and
/// `X_failures.csv` from the same folder. `name` is used in errors.
pub fn read_file(
    path: &Path,
    name: &str,
    max_document_bytes: u64,
) -> Result<RunResults, ResultsError> {
    if path.is_dir() {
        return read_folder(path, name, false).map(|(r, _)| r);
    }
    let mut file = File::open(path).map_err(|e| ResultsError::cannot_read(name, &e))?;
    let meta = file.metadata().ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    // A large plain JTL or k6 NDJSON is read on every core; anything else, or a file the parts
    // cannot agree on, in one pass from the start.
    if meta.is_some_and(|m| m.is_file())
        && let Some(r) = parts::read(name, &file, size, parallelism())
    {
        return r;
    }
    read_opened(path, name, &mut file, size, max_document_bytes)
}

/// `read_file`, also returning the SHA-256 (hex) of the file's bytes, hashed in the same pass so
/// a gigabyte file is read from disk once (a large one on a thread of its own, alongside).
pub fn read_file_hashed(
    path: &Path,
    name: &str,
    max_document_bytes: u64,
) -> Result<(RunResults, String), ResultsError> {
    if path.is_dir() {
        let (r, digest) = read_folder(path, name, true)?;
        return Ok((r, digest.unwrap_or_default()));
    }
    let cannot = |e: std::io::Error| ResultsError::cannot_read(name, &e);
    let file = File::open(path).map_err(cannot)?;
    let meta = file.metadata().ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    let threads = parallelism();
    if threads > 1 && size >= hash_apart::MIN_SIZE && meta.is_some_and(|m| m.is_file()) {
        return hash_apart::read(path, name, &file, size, threads, max_document_bytes);
    }
    let mut hashing = Hashing {
        inner: file,
        hasher: Sha256::new(),
    };
    let results = read_opened(path, name, &mut hashing, size, max_document_bytes)?;
    // A reader may stop before the end (a summary's limit, a Locust file read whole stays
    // complete): the digest covers every byte of the file all the same.
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(cannot)?;
    Ok((results, hex::encode(hashing.hasher.finalize())))
}

/// Threads a large file may be read with: the cores available, or `PERFASSIST_THREADS`.
fn parallelism() -> usize {
    std::env::var("PERFASSIST_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The file at `path`, open as `file`, read in one pass from where `file` stands.
fn read_opened(
    path: &Path,
    name: &str,
    file: &mut dyn Read,
    size: u64,
    max_document_bytes: u64,
) -> Result<RunResults, ResultsError> {
    match results::read_input(name, file, size, max_document_bytes)? {
        Opened::Read(r) => Ok(*r),
        Opened::LocustStats(text) => read_locust_with_companions(path, name, &text),
    }
}

/// A Taurus artifacts folder: its files listed and opened here, read by the results core.
fn read_folder(
    dir: &Path,
    name: &str,
    hash: bool,
) -> Result<(RunResults, Option<String>), ResultsError> {
    let cannot = |e: std::io::Error| ResultsError::cannot_read(name, &e);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(cannot)? {
        names.push(
            entry
                .map_err(cannot)?
                .file_name()
                .to_string_lossy()
                .to_string(),
        );
    }
    let open = |file_name: &str| {
        let file = File::open(dir.join(file_name))?;
        let size = file.metadata().map_or(0, |m| m.len());
        Ok((file, size))
    };
    results::taurus_artifacts::read(name, names, open, hash)
}

fn read_locust_with_companions(
    path: &Path,
    name: &str,
    text: &str,
) -> Result<RunResults, ResultsError> {
    let sibling = |suffix: &str| -> Result<Option<(String, String)>, ResultsError> {
        let Some(file_name) = path.file_name().and_then(|f| f.to_str()) else {
            return Ok(None);
        };
        let Some(prefix) = file_name.strip_suffix("_stats.csv") else {
            return Ok(None);
        };
        let p = path.with_file_name(format!("{prefix}{suffix}"));
        match std::fs::read(&p) {
            Ok(b) => {
                let n = name
                    .strip_suffix("_stats.csv")
                    .map_or_else(|| p.display().to_string(), |pre| format!("{pre}{suffix}"));
                let t = results::utf8(&n, &b)?.to_string();
                Ok(Some((n, t)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ResultsError::cannot_read(&p.display().to_string(), &e)),
        }
    };
    let history = sibling("_stats_history.csv")?;
    let failures = sibling("_failures.csv")?;
    results::read_locust_stats(
        name,
        text,
        history.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
        failures.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
    )
}
