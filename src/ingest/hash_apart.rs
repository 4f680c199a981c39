//! A large results file hashed on a thread of its own while it is parsed (in parts where the
//! format allows), so that `interpret` pays for the evidence digest with a spare core, not time.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use super::open::read_opened;
use crate::results::{ResultsError, RunResults};

/// Smaller files are hashed as they are parsed, in the same pass.
pub const MIN_SIZE: u64 = 8 << 20;

/// Parses `file` and hashes every byte of it, at the same time on different threads.
pub fn read(
    path: &Path,
    name: &str,
    file: &File,
    size: u64,
    threads: usize,
    max_document_bytes: u64,
) -> Result<(RunResults, String), ResultsError> {
    let cannot = |e: std::io::Error| ResultsError::cannot_read(name, &e);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let hasher = std::thread::Builder::new().spawn_scoped(scope, || sha256_at(file, &stop));
        let results = match super::parts::read(name, file, size, threads) {
            Some(r) => r,
            None => {
                // The hasher reads with pread, so this reader's position starts at 0 still.
                let mut reader = file;
                read_opened(path, name, &mut reader, size, max_document_bytes)
            }
        };
        if results.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let digest = match hasher {
            Ok(h) => h
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the hashing thread failed"))),
            // No thread to be had: hash here, after the parse.
            Err(_) => sha256_at(file, &stop),
        };
        let results = results?;
        Ok((results, digest.map_err(cannot)?))
    })
}

/// SHA-256 (hex) of every byte of `file`, read with pread from the start to the end; stops early
/// (with a digest nobody uses) when told to.
fn sha256_at(file: &File, stop: &AtomicBool) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 18];
    let mut at = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let n = match file.read_at(&mut buf, at) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use sha2::{Digest, Sha256};

    #[test]
    fn digest_and_results_match_the_single_pass() {
        let mut text = String::from("timeStamp,elapsed,label,responseCode,success\n");
        let mut i = 0u64;
        while text.len() < super::MIN_SIZE as usize + 1000 {
            text.push_str(&format!(
                "{},{},GET /p{},200,true\n",
                1_700_000_000_000 + i,
                i % 997,
                i % 9
            ));
            i += 1;
        }
        for variant in [text.clone(), text.replacen("GET /p3", "\"GET /p3, q\"", 1)] {
            let mut f = tempfile::NamedTempFile::new().unwrap();
            f.write_all(variant.as_bytes()).unwrap();
            let (r, digest) = crate::ingest::read_file_hashed(
                f.path(),
                "big.jtl",
                crate::results::DEFAULT_MAX_DOCUMENT_BYTES,
            )
            .unwrap();
            assert_eq!(digest, hex::encode(Sha256::digest(variant.as_bytes())));
            let one = crate::results::read("big.jtl", variant.as_bytes()).unwrap();
            assert_eq!(r, one);
        }
    }
}
