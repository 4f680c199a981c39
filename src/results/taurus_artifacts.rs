//! A Taurus artifacts folder read as the one run it holds: every execution writes its own
//! `kpi.jtl`, `kpi-1.jtl`, `kpi-2.jtl`, ... (Taurus numbers a name already taken), and the
//! executions ran side by side, so all their samples go into one aggregation.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::aggregate::{Aggregator, Limits, Resolution};
use super::{ResultsError, RunResults, jtl_csv};
use crate::diag::Diagnostic;

pub const FORMAT: &str = "taurus-artifacts-jtl";

/// Taurus' number for a kpi file name: 0 for `kpi.jtl`, N for `kpi-N.jtl`; `None` for any other
/// name (JMeter's `error.jtl`, for one, repeats failed samples and must not count twice).
fn kpi_number(file_name: &str) -> Option<u64> {
    let stem = file_name.strip_suffix(".jtl")?.strip_prefix("kpi")?;
    if stem.is_empty() {
        return Some(0);
    }
    let n = stem.strip_prefix('-')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

fn cannot(name: &str, e: &std::io::Error) -> ResultsError {
    ResultsError::one(name, Diagnostic::error("", format!("cannot read: {e}")))
}

/// What a folder holds: its kpi files (name and path) in Taurus' order (kpi, kpi-1, ..., kpi-10),
/// and the other `kpi*` names, which are not read.
struct Listing {
    kpi: Vec<(String, PathBuf)>,
    other: Vec<String>,
}

fn kpi_files(dir: &Path, name: &str) -> Result<Listing, ResultsError> {
    let mut found = Vec::new();
    let mut other = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| cannot(name, &e))? {
        let entry = entry.map_err(|e| cannot(name, &e))?;
        let file_name = entry.file_name().to_string_lossy().to_string();
        match kpi_number(&file_name) {
            Some(n) => found.push((n, file_name, entry.path())),
            None if file_name.starts_with("kpi") => other.push(file_name),
            None => {}
        }
    }
    found.sort();
    other.sort();
    Ok(Listing {
        kpi: found.into_iter().map(|(_, f, p)| (f, p)).collect(),
        other,
    })
}

/// Passes bytes through and hashes them.
struct Hashed<'h, R> {
    inner: R,
    hasher: Option<&'h mut Sha256>,
}

impl<R: Read> Read for Hashed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_deref_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Reads every kpi file of the folder `dir` (named `name` in messages) into one result. With
/// `hash`, also returns the folder's SHA-256 (hex): over each file read, in order, its name, a
/// newline and its bytes.
pub fn read(
    dir: &Path,
    name: &str,
    hash: bool,
) -> Result<(RunResults, Option<String>), ResultsError> {
    let Listing { kpi: files, other } = kpi_files(dir, name)?;
    if files.is_empty() {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("", "a folder without kpi.jtl: not a Taurus artifacts folder")
                .hint("give a results file, or the artifacts folder of a Taurus run (it holds kpi.jtl, one kpi-N.jtl per further execution)"),
        ));
    }
    let mut hasher = hash.then(Sha256::new);
    let mut agg = Aggregator::new(Limits::default(), Resolution::Millis);
    let mut notes = vec![format!(
        "Taurus artifacts folder: {} read as one run",
        files
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )];
    for (file_name, path) in &files {
        let file_label = format!("{}/{file_name}", name.trim_end_matches('/'));
        let file = std::fs::File::open(path).map_err(|e| cannot(&file_label, &e))?;
        if let Some(h) = hasher.as_mut() {
            h.update(file_name.as_bytes());
            h.update(b"\n");
        }
        let mut input = BufReader::with_capacity(
            1 << 16,
            Hashed {
                inner: file,
                hasher: hasher.as_mut(),
            },
        );
        if input.get_ref().inner.metadata().map_or(0, |m| m.len()) == 0 {
            notes.push(format!(
                "{file_name} is empty: did its execution start? (Taurus' log in the folder says)"
            ));
            continue;
        }
        let before = agg.count();
        let problems = jtl_csv::add_samples(&file_label, &mut input, &mut agg, true)?;
        // A reader may stop early (too many errors); the digest still covers every byte.
        std::io::copy(&mut input, &mut std::io::sink()).map_err(|e| cannot(&file_label, &e))?;
        if problems.has_errors() {
            return problems.finish(RunResults::default()).map(|r| (r, None));
        }
        notes.extend(
            problems
                .notes
                .into_iter()
                .map(|n| format!("{file_name}: {n}")),
        );
        if agg.count() == before {
            notes.push(format!("{file_name} has a header but no samples"));
        }
    }
    if agg.count() == 0 {
        return Err(ResultsError::one(name, jtl_csv::no_samples()));
    }
    if !other.is_empty() {
        notes.push(format!(
            "not read (not a Taurus kpi file name): {}",
            other.join(", ")
        ));
    }
    let mut r = agg.finish(FORMAT);
    r.notes.splice(0..0, notes);
    Ok((r, hasher.map(|h| hex::encode(h.finalize()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "allThreads,timeStamp,label,method,elapsed,bytes,responseCode,responseMessage,success,Latency\n";

    fn row(t: u64, label: &str, ms: u64, ok: bool) -> String {
        let (code, msg) = if ok { (200, "OK") } else { (500, "err") };
        format!("1,{t},{label},GET,{ms},12,{code},{msg},{ok},0\n")
    }

    #[test]
    fn kpi_names_follow_taurus_numbering() {
        assert_eq!(kpi_number("kpi.jtl"), Some(0));
        assert_eq!(kpi_number("kpi-1.jtl"), Some(1));
        assert_eq!(kpi_number("kpi-12.jtl"), Some(12));
        for other in ["error.jtl", "kpi-.jtl", "kpi-a.jtl", "kpi.csv", "kpis.jtl"] {
            assert_eq!(kpi_number(other), None, "{other}");
        }
    }

    #[test]
    fn every_kpi_file_is_one_run_and_error_jtl_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = 1_700_000_000_000u64;
        let mut a = HEADER.to_string();
        let mut b = HEADER.to_string();
        for i in 0..10 {
            a.push_str(&row(t0 + i * 1000, "GET /a", 10 + i, true));
            b.push_str(&row(t0 + i * 1000 + 500, "GET /b", 100, i != 3));
        }
        std::fs::write(dir.path().join("kpi.jtl"), &a).unwrap();
        std::fs::write(dir.path().join("kpi-1.jtl"), &b).unwrap();
        // JMeter's error log repeats failed samples: counted, it would double the errors.
        std::fs::write(dir.path().join("error.jtl"), &b).unwrap();
        let (r, digest) = read(dir.path(), "art", true).unwrap();
        assert_eq!(r.format, FORMAT);
        assert_eq!(r.overall.requests, Some(20));
        assert_eq!(r.overall.errors, Some(1));
        let names: Vec<&str> = r.endpoints.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["GET /a", "GET /b"]);
        assert!(
            r.notes[0].contains("kpi.jtl, kpi-1.jtl read as one run"),
            "{:?}",
            r.notes
        );
        // The digest covers both files, in order, with their names.
        let mut h = Sha256::new();
        for (n, t) in [("kpi.jtl", &a), ("kpi-1.jtl", &b)] {
            h.update(n.as_bytes());
            h.update(b"\n");
            h.update(t.as_bytes());
        }
        assert_eq!(digest, Some(hex::encode(h.finalize())));
    }

    #[test]
    fn a_folder_without_kpi_files_or_samples_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(dir.path(), "art", false).unwrap_err();
        assert!(
            e.diagnostics[0]
                .message
                .contains("not a Taurus artifacts folder")
        );
        std::fs::write(dir.path().join("kpi.jtl"), HEADER).unwrap();
        std::fs::write(dir.path().join("kpi-1.jtl"), "").unwrap();
        let e = read(dir.path(), "art", false).unwrap_err();
        assert!(e.diagnostics[0].message.contains("header but no samples"));
    }

    #[test]
    fn a_bad_row_names_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kpi.jtl"),
            format!("{HEADER}{}", row(1, "a", 1, true)),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("kpi-1.jtl"),
            format!("{HEADER}1,2,a,GET,slow,1,200,OK,true,0\n"),
        )
        .unwrap();
        let e = read(dir.path(), "art", false).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(d.file.as_deref(), Some("art/kpi-1.jtl"));
        assert_eq!((d.line, d.field.as_str()), (Some(2), "elapsed"));
    }
}
