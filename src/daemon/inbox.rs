//! The inbox's conventions: which paths are inputs, which service a path belongs to, and the
//! safety rules for a shared folder (no symlinks out of the inbox, no oversized inputs).

use std::path::{Component, Path, PathBuf};

use crate::profile::check_service_name;

/// Subfolders deeper than this below a service folder are not scanned.
const MAX_DEPTH: usize = 4;

/// An inbox path worth looking at: relative to the inbox, with the service its folder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub rel: PathBuf,
    /// `inbox/<service>/...` names the service; files in the inbox root carry it in their content.
    pub folder_service: Option<String>,
}

/// Why a path is skipped without any output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    OutsideInbox,
    /// Hidden or temporary: being written, to be renamed later.
    Temporary,
    TooDeep,
}

/// Names writers use while a file is incomplete; they are processed once renamed.
pub fn is_temporary_name(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || [".tmp", ".part", ".partial", ".swp", ".swx", ".crdownload"]
            .iter()
            .any(|ext| name.to_ascii_lowercase().ends_with(ext))
}

/// Classifies `path` (absolute or relative to the working folder) against `inbox`.
pub fn classify(inbox: &Path, path: &Path) -> Result<Candidate, Skip> {
    let rel = path.strip_prefix(inbox).map_err(|_| Skip::OutsideInbox)?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => Ok(s.to_string_lossy().into_owned()),
            _ => Err(Skip::OutsideInbox),
        })
        .collect::<Result<_, _>>()?;
    if parts.is_empty() {
        return Err(Skip::OutsideInbox);
    }
    if parts.iter().any(|p| is_temporary_name(p)) {
        return Err(Skip::Temporary);
    }
    if parts.len() > MAX_DEPTH + 1 {
        return Err(Skip::TooDeep);
    }
    Ok(Candidate {
        rel: rel.to_path_buf(),
        folder_service: (parts.len() > 1).then(|| parts[0].clone()),
    })
}

/// A service folder name that cannot be used as an output folder.
pub fn folder_service_problem(name: &str) -> Option<String> {
    check_service_name(name).err()
}

/// Why an inbox path is not read.
#[derive(Debug, PartialEq, Eq)]
pub enum NotRead {
    /// A folder, FIFO, socket or device: not an input at all, so nothing is reported.
    NotAFile,
    /// An input that is refused, with the reason its error report gives.
    Refused(String),
}

impl From<String> for NotRead {
    fn from(reason: String) -> Self {
        NotRead::Refused(reason)
    }
}

/// The size of an inbox file, or why it is not read: symlinks leading out of the inbox,
/// hard-linked files (unless `allow_hard_links`) and oversized files are refused before any
/// byte is read.
pub fn check_file(
    inbox_canon: &Path,
    path: &Path,
    max_bytes: u64,
    allow_hard_links: bool,
) -> Result<u64, NotRead> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    let meta = if meta.file_type().is_symlink() {
        let target =
            std::fs::canonicalize(path).map_err(|e| format!("symlink cannot be followed: {e}"))?;
        if !target.starts_with(inbox_canon) {
            return Err(NotRead::Refused(format!(
                "symlink points outside the inbox (to {}); links are only followed within the inbox",
                target.display()
            )));
        }
        std::fs::metadata(&target).map_err(|e| e.to_string())?
    } else {
        meta
    };
    if !meta.is_file() {
        return Err(NotRead::NotAFile);
    }
    // A hard link is indistinguishable from the file it links to: whoever can write to the
    // inbox could link a file they cannot read (on the same filesystem) and get its content
    // quoted back in an error report.
    if meta.nlink() > 1 && !allow_hard_links {
        return Err(NotRead::Refused(format!(
            "the file has {} hard links; inbox files with more than one are refused, since a link may lead to a file its author cannot read (copy the file instead, or start the daemon with --allow-hard-links)",
            meta.nlink()
        )));
    }
    if meta.len() > max_bytes {
        return Err(NotRead::Refused(format!(
            "file is {} bytes, over the input size limit of {} bytes (raise max_input_bytes if this is expected)",
            meta.len(),
            max_bytes
        )));
    }
    Ok(meta.len())
}

/// Every candidate file currently in the inbox, in a stable order. Symlinked folders are not
/// descended into (a link could lead anywhere).
pub fn scan(inbox: &Path) -> Vec<Candidate> {
    let mut out = Vec::new();
    walk(inbox, inbox, 0, &mut out);
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// The candidate files in `dir`, a real folder (not a symlink) inside the inbox, and below it.
pub fn scan_under(inbox: &Path, dir: &Path) -> Vec<Candidate> {
    let mut out = Vec::new();
    let Ok(rel) = dir.strip_prefix(inbox) else {
        return out;
    };
    let is_real_folder = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
    let depth = rel.components().count();
    let hidden = rel
        .components()
        .any(|c| is_temporary_name(&c.as_os_str().to_string_lossy()));
    if is_real_folder && (1..=MAX_DEPTH).contains(&depth) && !hidden {
        walk(inbox, dir, depth, &mut out);
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

fn walk(inbox: &Path, dir: &Path, depth: usize, out: &mut Vec<Candidate>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if depth < MAX_DEPTH && !is_temporary_name(&entry.file_name().to_string_lossy()) {
                walk(inbox, &path, depth + 1, out);
            }
        } else if let Ok(c) = classify(inbox, &path) {
            out.push(c);
        }
    }
}

/// A file name made safe as one path component of an output: letters, digits, `-`, `_`, `.`.
pub fn safe_component(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while s.starts_with('.') {
        s.replace_range(0..1, "_");
    }
    if s.is_empty() { "_".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_and_hidden_names_are_skipped() {
        for n in [
            ".x.json", "a.tmp", "a.part", "a.json~", ".a.swp", "#a#", "a.PART",
        ] {
            assert!(is_temporary_name(n), "{n}");
        }
        assert!(!is_temporary_name("profile.yaml"));
        let inbox = Path::new("/in");
        assert_eq!(
            classify(inbox, Path::new("/in/svc/.hidden/a.json")),
            Err(Skip::Temporary)
        );
        assert_eq!(
            classify(inbox, Path::new("/elsewhere/a.json")),
            Err(Skip::OutsideInbox)
        );
    }

    #[test]
    fn listing_a_folder_skips_links_hidden_folders_and_the_outside() {
        let root = tempfile::tempdir().unwrap();
        let inbox = root.path().join("inbox");
        std::fs::create_dir_all(inbox.join("svc/.staging")).unwrap();
        std::fs::write(inbox.join("svc/run.json"), b"{}").unwrap();
        std::fs::write(inbox.join("svc/.staging/run.json"), b"{}").unwrap();
        std::fs::create_dir_all(root.path().join("elsewhere")).unwrap();
        std::fs::write(root.path().join("elsewhere/x.json"), b"{}").unwrap();
        std::os::unix::fs::symlink(root.path().join("elsewhere"), inbox.join("link")).unwrap();
        let rels = |dir: &Path| -> Vec<PathBuf> {
            scan_under(&inbox, dir).into_iter().map(|c| c.rel).collect()
        };
        assert_eq!(rels(&inbox.join("svc")), [PathBuf::from("svc/run.json")]);
        assert!(rels(&inbox.join("svc/.staging")).is_empty());
        assert!(rels(&inbox.join("link")).is_empty());
        assert!(rels(&root.path().join("elsewhere")).is_empty());
    }

    #[test]
    fn folder_names_the_service() {
        let inbox = Path::new("/in");
        let c = classify(inbox, Path::new("/in/checkout/run_stats.csv")).unwrap();
        assert_eq!(c.folder_service.as_deref(), Some("checkout"));
        let c = classify(inbox, Path::new("/in/profile.yaml")).unwrap();
        assert_eq!(c.folder_service, None);
    }

    #[test]
    fn safe_components_cannot_escape() {
        assert_eq!(safe_component("../../etc/passwd"), "_._.._etc_passwd");
        assert_eq!(safe_component("run 1\n"), "run_1_");
        assert_eq!(safe_component(".."), "_.");
    }

    #[test]
    fn symlinks_out_of_the_inbox_and_big_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("in");
        std::fs::create_dir(&inbox).unwrap();
        let outside = dir.path().join("secret.json");
        std::fs::write(&outside, "{}").unwrap();
        std::os::unix::fs::symlink(&outside, inbox.join("link.json")).unwrap();
        std::fs::write(inbox.join("inside.json"), "{}").unwrap();
        std::os::unix::fs::symlink(inbox.join("inside.json"), inbox.join("ok.json")).unwrap();
        let canon = std::fs::canonicalize(&inbox).unwrap();
        assert!(matches!(
            check_file(&canon, &inbox.join("link.json"), 100, false),
            Err(NotRead::Refused(e)) if e.contains("outside the inbox")
        ));
        assert_eq!(
            check_file(&canon, &inbox.join("ok.json"), 100, false),
            Ok(2)
        );
        assert!(matches!(
            check_file(&canon, &inbox.join("inside.json"), 1, false),
            Err(NotRead::Refused(e)) if e.contains("size limit")
        ));
        assert_eq!(
            check_file(&canon, &inbox, 100, false),
            Err(NotRead::NotAFile)
        );
    }

    #[test]
    fn hard_linked_files_are_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("in");
        std::fs::create_dir(&inbox).unwrap();
        let private = dir.path().join("shadow-copy");
        std::fs::write(&private, "root:x:0:0\n").unwrap();
        std::fs::hard_link(&private, inbox.join("run.csv")).unwrap();
        let canon = std::fs::canonicalize(&inbox).unwrap();
        let e = check_file(&canon, &inbox.join("run.csv"), 100, false);
        assert!(
            matches!(&e, Err(NotRead::Refused(e)) if e.contains("2 hard links")),
            "{e:?}"
        );
        assert_eq!(
            check_file(&canon, &inbox.join("run.csv"), 100, true),
            Ok(11)
        );
    }
}
