//! A Taurus artifacts folder read as the one run it holds: every execution writes its own
//! `kpi.jtl`, `kpi-1.jtl`, `kpi-2.jtl`, ... (Taurus numbers a name already taken), and the
//! executions ran side by side, so all their samples go into one aggregation.

use std::io::{BufReader, Read};

use sha2::{Digest, Sha256};

use super::aggregate::{Aggregator, Limits, Resolution};
use super::jtl_csv;
use super::model::{ResultsError, RunResults};
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
    ResultsError::cannot_read(name, e)
}

/// What a folder holds: its kpi file names in Taurus' order (kpi, kpi-1, ..., kpi-10), and the
/// other `kpi*` names, which are not read.
struct Listing {
    kpi: Vec<String>,
    other: Vec<String>,
}

fn kpi_files(names: Vec<String>) -> Listing {
    let mut found = Vec::new();
    let mut other = Vec::new();
    for file_name in names {
        match kpi_number(&file_name) {
            Some(n) => found.push((n, file_name)),
            None if file_name.starts_with("kpi") => other.push(file_name),
            None => {}
        }
    }
    found.sort();
    other.sort();
    Listing {
        kpi: found.into_iter().map(|(_, f)| f).collect(),
        other,
    }
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

/// Reads every kpi file of a folder (named `name` in messages, holding the files `names`) into one
/// result; `open` opens one of them by name, with its size. With `hash`, also returns the
/// folder's SHA-256 (hex): over each file read, in order, its name, a newline and its bytes.
pub fn read<R: Read>(
    name: &str,
    names: Vec<String>,
    mut open: impl FnMut(&str) -> std::io::Result<(R, u64)>,
    hash: bool,
) -> Result<(RunResults, Option<String>), ResultsError> {
    let Listing { kpi: files, other } = kpi_files(names);
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
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    )];
    for file_name in &files {
        let file_label = format!("{}/{file_name}", name.trim_end_matches('/'));
        let (file, size) = open(file_name).map_err(|e| cannot(&file_label, &e))?;
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
        if size == 0 {
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

    /// A folder held in memory: (file name, contents).
    fn read_folder(
        files: &[(&str, &str)],
        hash: bool,
    ) -> Result<(RunResults, Option<String>), ResultsError> {
        let names = files.iter().map(|(n, _)| n.to_string()).collect();
        let open = |n: &str| {
            let (_, text) = files.iter().find(|(f, _)| *f == n).unwrap();
            Ok((text.as_bytes(), text.len() as u64))
        };
        read("art", names, open, hash)
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
        let t0 = 1_700_000_000_000u64;
        let mut a = HEADER.to_string();
        let mut b = HEADER.to_string();
        for i in 0..10 {
            a.push_str(&row(t0 + i * 1000, "GET /a", 10 + i, true));
            b.push_str(&row(t0 + i * 1000 + 500, "GET /b", 100, i != 3));
        }
        // JMeter's error log repeats failed samples: counted, it would double the errors.
        let files = [
            ("kpi-1.jtl", b.as_str()),
            ("error.jtl", &b),
            ("kpi.jtl", &a),
        ];
        let (r, digest) = read_folder(&files, true).unwrap();
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
        let e = read_folder(&[("kpis.jtl", HEADER)], false).unwrap_err();
        assert!(
            e.diagnostics[0]
                .message
                .contains("not a Taurus artifacts folder")
        );
        let e = read_folder(&[("kpi.jtl", HEADER), ("kpi-1.jtl", "")], false).unwrap_err();
        assert!(e.diagnostics[0].message.contains("header but no samples"));
    }

    #[test]
    fn a_bad_row_names_its_file_and_line() {
        let good = format!("{HEADER}{}", row(1, "a", 1, true));
        let bad = format!("{HEADER}1,2,a,GET,slow,1,200,OK,true,0\n");
        let e = read_folder(&[("kpi.jtl", &good), ("kpi-1.jtl", &bad)], false).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(d.file.as_deref(), Some("art/kpi-1.jtl"));
        assert_eq!((d.line, d.field.as_str()), (Some(2), "elapsed"));
    }
}
