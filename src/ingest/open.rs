//! One results file (or Taurus artifacts folder) read in one pass: the file as a reader for the
//! results core, and the files beside it that a Locust stats file or a folder needs.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::results::{self, Opened, ResultsError, RunResults};

/// The file at `path`, open as `file`, read in one pass from where `file` stands.
pub fn read_opened(
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
pub fn read_folder(
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
