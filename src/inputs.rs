//! Reading inputs from disk, for the CLI and the daemon alike: sizes are checked before a byte is
//! read, text is decoded strictly, and a file's head is what classification looks at.

use std::io::Read;
use std::path::Path;

use crate::classify::HEAD_LEN;
use crate::diag::Diagnostic;
use crate::profile::{self, Loaded, ProfileErrors};
use crate::textdoc;
use crate::units::show_bytes;

/// How large an input read whole may be. Raw-sample results are streamed and bounded only by
/// the daemon's `max_input_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Real profiles are a few kilobytes; one with hundreds of endpoints stays under 100 KiB.
    pub profile_bytes: u64,
    /// Summaries and JSON reports (see `results::DEFAULT_MAX_DOCUMENT_BYTES`).
    pub document_bytes: u64,
}

pub const DEFAULT_MAX_PROFILE_BYTES: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            profile_bytes: DEFAULT_MAX_PROFILE_BYTES,
            document_bytes: crate::results::DEFAULT_MAX_DOCUMENT_BYTES,
        }
    }
}

/// The first `HEAD_LEN` bytes of a file and the file's size.
pub fn read_head(path: &Path) -> std::io::Result<(Vec<u8>, u64)> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut head = Vec::with_capacity(HEAD_LEN.min(size as usize));
    file.take(HEAD_LEN as u64).read_to_end(&mut head)?;
    Ok((head, size))
}

/// Whether `path` holds raw samples (JTL, k6 NDJSON, ...), judged from its first bytes, for the
/// daemon's wait for a runner that still appends to it.
pub fn is_raw_sample_stream(path: &Path) -> bool {
    use std::io::Read;
    // Only plain files are opened here: a FIFO would block, and links are checked by the engine.
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = Vec::with_capacity(8192);
    let read = std::fs::File::open(path).and_then(|f| f.take(8192).read_to_end(&mut head));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    read.is_ok() && crate::classify::is_raw_sample_stream(&name, &head)
}

fn one(file: &str, d: Diagnostic) -> ProfileErrors {
    let mut d = d;
    d.file = Some(file.to_string());
    ProfileErrors {
        file: file.to_string(),
        diagnostics: vec![d],
    }
}

/// Reads, decodes and validates the profile at `path` (`name` in diagnostics). A file over the
/// size limit is refused before it is read, and invalid UTF-8 is an error at its position.
/// Returns the profile and the file's bytes (for hashing).
pub fn load_profile(
    path: &Path,
    name: &str,
    limits: &Limits,
) -> Result<(Loaded, Vec<u8>), ProfileErrors> {
    let cannot = |e: std::io::Error| one(name, Diagnostic::error("", format!("cannot read: {e}")));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    let too_big = |size: u64| {
        one(
            name,
            Diagnostic::error(
                "",
                format!(
                    "the file is {}, larger than any profile: profiles are read up to {}",
                    show_bytes(size),
                    show_bytes(limits.profile_bytes)
                ),
            )
            .hint("is this the right file? Raise --max-profile-bytes if a profile really is this large"),
        )
    };
    if size > limits.profile_bytes {
        return Err(too_big(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // The file may grow between the check and the read: never read past the limit.
    file.take(limits.profile_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limits.profile_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    let loaded = load_profile_bytes(name, &bytes)?;
    Ok((loaded, bytes))
}

/// Decodes and validates profile bytes already read.
pub fn load_profile_bytes(name: &str, bytes: &[u8]) -> Result<Loaded, ProfileErrors> {
    let text = textdoc::decode(bytes).map_err(|e| {
        one(
            name,
            Diagnostic::error("", e.message)
                .at(e.line, e.column)
                .hint("save the file as UTF-8"),
        )
    })?;
    profile::load(name, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_and_badly_encoded_profiles_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, "service: a\n".repeat(200_000)).unwrap();
        let e = load_profile(&big, "big.yaml", &Limits::default()).unwrap_err();
        let d = &e.diagnostics[0];
        assert!(
            d.message.contains("2.1 MiB, larger than any profile"),
            "{d:?}"
        );
        assert_eq!(d.file.as_deref(), Some("big.yaml"));

        let latin1 = dir.path().join("latin1.yaml");
        std::fs::write(&latin1, b"service: caf\xe9\n").unwrap();
        let e = load_profile(&latin1, "latin1.yaml", &Limits::default()).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!((d.line, d.column), (Some(1), Some(13)), "{d:?}");
        assert!(d.message.contains("not UTF-8"), "{d:?}");
    }
}
