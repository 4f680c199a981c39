//! The results edge: opening a results file (or a Taurus artifacts folder), finding a Locust
//! file's companions beside it, `PERFASSIST_THREADS`, and running a large file's parts on
//! threads. Everything it reads goes to the pure readers in `crate::results`.

mod hash_apart;
mod open;
mod parts;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use open::{read_folder, read_opened};

use crate::results::{ResultsError, RunResults};

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
