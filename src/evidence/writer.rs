//! The writer: appends sealed records under an exclusive lock, re-reads and checks the chain's
//! end when another writer moved it, repairs a torn last line, rotates by size or day and applies
//! retention. Before each write it announces in the head note how far it is about to go.
//!
//! An append: take the lock; if the active file's inode, length or modification time is not as
//! this writer left it, re-read its end backwards from the file's end (never the whole file),
//! repair a torn line and check the end (`end.rs`); announce the batch (`writing` in the head
//! note); write the batch with one `write` and `sync_data` it; name the new end in the head note.
//! Creating the active file also syncs the folder.
//! - Rotation: the active file is already durable; it is renamed to its rotated name and the
//!   folder synced, and the next record creates a new active file. A crash before the rename
//!   changes nothing; after it there is no active file, and the next writer continues from the
//!   newest rotated file.
//! - Torn-line repair: the torn bytes are copied to the `.corrupt` file (atomically), the
//!   `torn-line-repaired` record is written over them, then the file is cut after that record and
//!   synced. A crash before the cut leaves the record followed by torn bytes, which the next open
//!   repairs the same way.
//! - Retention: (1) append `log-pruned`, (2) write the anchor note atomically, (3) remove the
//!   files, oldest first, (4) sync the folder. A crash after (1) leaves every file and the next
//!   pruning records again; one during (3) leaves files older than the anchor, which `verify`
//!   accepts (their chain must still reach the anchor) and the next open removes.

use chrono::{DateTime, SecondsFormat, Utc};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::end::{End, HeadCheck, check_head, last_record, put_head};
use super::files::{ANCHOR_SCHEMA, Anchor, Layout, sync_dir};
use super::record::{GENESIS, Link, Sealer};
use super::{Appended, Event, EvidenceError, FileDigest, Options, Outcome, io_err, tail};
use crate::output::write_atomic;

/// An open evidence log. Cheap to keep open: the lock is taken only around each append.
pub struct Log {
    layout: Layout,
    opts: Options,
    sealer: Sealer,
    host: String,
    lock: File,
    state: State,
}

/// What this writer knows of the log's end; trusted only while the active file is unchanged.
#[derive(Default)]
struct State {
    /// The active file, open for appending, once it exists.
    file: Option<File>,
    /// Inode, length and modification time of the active file after this writer's last write.
    ident: Option<Ident>,
    next_seq: u64,
    prev_hash: String,
    /// The highest sequence number announced in the head note that it does not yet name as
    /// written (0 when none is outstanding).
    announced: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ident {
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

fn ident_of(meta: &std::fs::Metadata) -> Ident {
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let ino = 0;
    // The time too, so a last line changed in place (same length) is checked again.
    Ident {
        ino,
        len: meta.len(),
        modified: meta.modified().ok(),
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

impl Log {
    /// Opens (creating if needed) the log whose active file is `path`; repairs a torn last line
    /// and applies retention before returning.
    pub fn open(path: &Path, opts: Options) -> Result<Log, EvidenceError> {
        let layout = Layout::for_active(path);
        std::fs::create_dir_all(layout.dir()).map_err(io_err(layout.dir()))?;
        let lock_path = layout.lock();
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        let mut log = Log {
            layout,
            sealer: Sealer::new(opts.key.clone()),
            opts,
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            lock,
            state: State::default(),
        };
        log.locked(|l| {
            l.refresh()?;
            l.prune()
        })?;
        Ok(log)
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Appends one record; it is on disk (fsync) when this returns.
    pub fn append(&mut self, event: &Event) -> Result<Appended, EvidenceError> {
        let mut done = self.append_batch(std::slice::from_ref(event))?;
        done.pop().ok_or_else(|| EvidenceError::Io {
            path: self.layout.active(),
            source: std::io::Error::other("no record was written"),
        })
    }

    /// Appends several records with one fsync (group commit); all are on disk when this returns.
    pub fn append_batch(&mut self, events: &[Event]) -> Result<Vec<Appended>, EvidenceError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.locked(|l| {
            l.refresh()?;
            l.write_events(events)
        })
    }

    fn locked<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, EvidenceError>,
    ) -> Result<T, EvidenceError> {
        let lock_path = self.layout.lock();
        self.lock.lock().map_err(io_err(&lock_path))?;
        let result = f(self);
        if result.is_err() {
            // What this writer believed about the log's end may be wrong now (a write that
            // failed part-way, a rotation cut short): re-read it from disk next time.
            self.state = State::default();
        }
        let unlocked = self.lock.unlock().map_err(io_err(&lock_path));
        let value = result?;
        unlocked?;
        Ok(value)
    }

    /// Under the lock: if the active file is not as this writer left it, re-read the chain's end,
    /// check it as `verify` would (refusing to build on anything it would report) and repair a
    /// torn last line.
    fn refresh(&mut self) -> Result<(), EvidenceError> {
        let active = self.layout.active();
        let meta = match std::fs::metadata(&active) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(&active)(e)),
        };
        if let (Some(m), Some(known)) = (&meta, self.state.ident)
            && ident_of(m) == known
            && self.state.file.is_some()
        {
            return Ok(());
        }
        self.state = State::default();
        let mut opened = None;
        let end = match meta {
            None => self.end_before_active()?,
            Some(_) => {
                let mut file = OpenOptions::new()
                    .read(true)
                    .append(true)
                    .open(&active)
                    .map_err(io_err(&active))?;
                let tail = tail::scan(&mut file).map_err(io_err(&active))?;
                let end = match &tail.last_line {
                    Some(line) => last_record(&self.sealer, &active, line, tail.good_len)?,
                    None => self.end_before_active()?,
                };
                opened = Some((file, tail));
                end
            }
        };
        let head = check_head(&self.layout, &end)?;
        self.state.next_seq = end.seq + 1;
        self.state.prev_hash = end.hash;
        if matches!(head, HeadCheck::Missing) && end.seq > 0 {
            tracing::warn!(
                file = %self.layout.head().display(),
                seq = end.seq,
                "evidence log: no head note; writing it afresh from the last record"
            );
            self.write_head();
        }
        let Some((mut file, tail)) = opened else {
            return Ok(());
        };
        if let Some(torn) = tail.torn {
            drop(file);
            self.repair(tail.good_len, &torn)?;
            file = OpenOptions::new()
                .read(true)
                .append(true)
                .open(&active)
                .map_err(io_err(&active))?;
        }
        let meta = file.metadata().map_err(io_err(&active))?;
        self.state.ident = Some(ident_of(&meta));
        self.state.file = Some(file);
        Ok(())
    }

    /// Where the chain continues when the active file holds no record: after the newest rotated
    /// file, else where retention's anchor says, else at the start.
    fn end_before_active(&self) -> Result<End, EvidenceError> {
        let segments = self.layout.segments()?;
        if let Some(last) = segments.iter().rev().find(|s| s.first_seq.is_some()) {
            let mut file = File::open(&last.path).map_err(io_err(&last.path))?;
            let end = tail::scan(&mut file).map_err(io_err(&last.path))?;
            if end.torn.is_some() {
                return Err(EvidenceError::Corrupt {
                    path: last.path.clone(),
                    line: tail::count_lines(&mut file, end.good_len).unwrap_or(0) + 1,
                    message: "a rotated file ends in an incomplete line".into(),
                });
            }
            let Some(line) = end.last_line else {
                return Err(EvidenceError::Corrupt {
                    path: last.path.clone(),
                    line: 1,
                    message: "a rotated file is empty".into(),
                });
            };
            return last_record(&self.sealer, &last.path, &line, end.good_len);
        }
        let (seq, hash) = match self.layout.read_anchor()? {
            Some(anchor) => (anchor.first_seq.saturating_sub(1), anchor.prev_hash),
            None => (0, GENESIS.to_string()),
        };
        Ok(End {
            seq,
            hash,
            at: None,
        })
    }

    /// Moves a torn last line to a `.corrupt` file and records that in its place. The record
    /// overwrites the torn bytes before the file is cut, so a crash in between leaves either the
    /// torn line (repaired again next time) or the record, never a silent loss.
    fn repair(&mut self, good_len: u64, torn: &[u8]) -> Result<(), EvidenceError> {
        let active = self.layout.active();
        let seq = self.state.next_seq;
        let corrupt = self.layout.corrupt(seq);
        write_atomic(&corrupt, torn).map_err(io_err(&corrupt))?;
        let event = Event {
            ts: now(),
            service: String::new(),
            profile: String::new(),
            scenarios: Vec::new(),
            interpretation: false,
            outcome: Outcome::TornLineRepaired,
            inputs: vec![FileDigest::of_bytes(name_of(&corrupt), torn)],
            outputs: Vec::new(),
            verdict: None,
            failed_checks: Vec::new(),
            figures: None,
            detail: Some(format!(
                "{}: {} byte(s) after the last complete record (a write cut short) moved to {}",
                name_of(&active),
                torn.len(),
                name_of(&corrupt)
            )),
        };
        let (line, hash) = self.seal(&event, seq)?;
        self.announce(1)?;
        let mut file = OpenOptions::new()
            .write(true)
            .open(&active)
            .map_err(io_err(&active))?;
        file.seek(SeekFrom::Start(good_len))
            .and_then(|_| file.write_all(&line))
            .and_then(|_| file.set_len(good_len + line.len() as u64))
            .and_then(|_| file.sync_data())
            .map_err(io_err(&active))?;
        tracing::warn!(
            file = %active.display(),
            bytes = torn.len(),
            corrupt = %corrupt.display(),
            "evidence log: torn last line moved aside"
        );
        self.state.next_seq = seq + 1;
        self.state.prev_hash = hash;
        self.write_head();
        Ok(())
    }

    fn seal(&self, event: &Event, seq: u64) -> Result<(Vec<u8>, String), EvidenceError> {
        self.sealer
            .seal(event, seq, &self.state.prev_hash, &self.host)
            .map_err(|e| EvidenceError::Io {
                path: self.layout.active(),
                source: std::io::Error::other(e),
            })
    }

    fn active_len(&self) -> u64 {
        self.state.ident.map_or(0, |i| i.len)
    }

    fn write_events(&mut self, events: &[Event]) -> Result<Vec<Appended>, EvidenceError> {
        if self.opts.daily && self.active_len() > 0 && self.written_before_today()? {
            self.rotate()?;
        }
        let active = self.layout.active();
        self.announce(events.len() as u64)?;
        let mut done: Vec<Appended> = Vec::with_capacity(events.len());
        let mut in_active = 0;
        let mut pending: Vec<u8> = Vec::new();
        for event in events {
            let (mut line, mut hash) = self.seal(event, self.state.next_seq)?;
            let used = self.active_len() + pending.len() as u64;
            if let Some(max) = self.opts.max_bytes
                && used > 0
                && used + line.len() as u64 > max
            {
                self.flush(&mut pending)?;
                let rotated = self.rotate()?;
                for a in &mut done[in_active..] {
                    a.file = rotated.clone();
                }
                in_active = done.len();
                // Retention may have recorded a pruning, so the chain's end moved.
                (line, hash) = self.seal(event, self.state.next_seq)?;
            }
            pending.extend_from_slice(&line);
            done.push(Appended {
                seq: self.state.next_seq,
                hash: hash.clone(),
                file: active.clone(),
            });
            self.state.next_seq += 1;
            self.state.prev_hash = hash;
        }
        self.flush(&mut pending)?;
        self.write_head();
        Ok(done)
    }

    /// Writes complete lines in one write and makes them durable.
    fn flush(&mut self, pending: &mut Vec<u8>) -> Result<(), EvidenceError> {
        if pending.is_empty() {
            return Ok(());
        }
        let active = self.layout.active();
        let created = self.state.file.is_none();
        if created {
            let file = OpenOptions::new()
                .read(true)
                .create(true)
                .append(true)
                .open(&active)
                .map_err(io_err(&active))?;
            self.state.file = Some(file);
        }
        let Some(file) = self.state.file.as_mut() else {
            return Err(io_err(&active)(std::io::Error::other(
                "active file not open",
            )));
        };
        let expected = self.state.ident.map_or(0, |i| i.len) + pending.len() as u64;
        file.write_all(pending)
            .and_then(|_| file.sync_data())
            .map_err(io_err(&active))?;
        let meta = file.metadata().map_err(io_err(&active))?;
        // Another length means someone else wrote too: the next append reads and checks the end
        // again instead of taking their bytes for this writer's.
        self.state.ident = (meta.len() == expected).then(|| ident_of(&meta));
        if created {
            sync_dir(self.layout.dir())?;
        }
        pending.clear();
        Ok(())
    }

    fn written_before_today(&self) -> Result<bool, EvidenceError> {
        let active = self.layout.active();
        let modified = std::fs::metadata(&active)
            .and_then(|m| m.modified())
            .map_err(io_err(&active))?;
        Ok(DateTime::<Utc>::from(modified).date_naive() < Utc::now().date_naive())
    }

    /// Renames the active file to its rotated name (atomic), then lets the next write create a
    /// new one. A crash before the rename changes nothing; after it, the next writer finds no
    /// active file and continues from the rotated one.
    fn rotate(&mut self) -> Result<PathBuf, EvidenceError> {
        let active = self.layout.active();
        let first = first_link(&active)?;
        let target = self.layout.rotated(first.seq);
        if target.exists() {
            return Err(EvidenceError::Corrupt {
                path: target,
                line: 1,
                message: format!(
                    "cannot rotate {}: a rotated file for seq {} already exists",
                    active.display(),
                    first.seq
                ),
            });
        }
        std::fs::rename(&active, &target).map_err(io_err(&active))?;
        sync_dir(self.layout.dir())?;
        self.state.file = None;
        self.state.ident = None;
        self.prune()?;
        Ok(target)
    }

    /// Retention: removes the oldest rotated files beyond `keep_files` or older than `keep_days`,
    /// after recording it and writing the anchor that says where the retained chain starts.
    fn prune(&mut self) -> Result<(), EvidenceError> {
        let anchor = self.layout.read_anchor()?;
        let rotated: Vec<_> = self
            .layout
            .segments()?
            .into_iter()
            .filter_map(|s| s.first_seq.map(|seq| (seq, s.path)))
            .collect();
        // Files an interrupted pruning had already given up.
        let mut remove = anchor.as_ref().map_or(0, |a| {
            rotated
                .iter()
                .take_while(|(seq, _)| *seq < a.first_seq)
                .count()
        });
        if let Some(keep) = self.opts.keep_files {
            remove = remove.max(rotated.len().saturating_sub(keep));
        }
        if let Some(days) = self.opts.keep_days {
            let cutoff = SystemTime::now() - Duration::from_secs(u64::from(days) * 86_400);
            let old = rotated
                .iter()
                .take_while(|(_, p)| {
                    std::fs::metadata(p)
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t < cutoff)
                })
                .count();
            remove = remove.max(old);
        }
        if remove == 0 {
            return Ok(());
        }
        let (first_seq, prev_hash) = match rotated.get(remove) {
            Some((_, path)) => {
                let l = first_link(path)?;
                (l.seq, l.prev_hash)
            }
            None => match first_link(&self.layout.active()) {
                Ok(l) => (l.seq, l.prev_hash),
                Err(_) => (self.state.next_seq, self.state.prev_hash.clone()),
            },
        };
        let removed: Vec<String> = rotated[..remove].iter().map(|(_, p)| name_of(p)).collect();
        let note = Anchor {
            schema: ANCHOR_SCHEMA.into(),
            first_seq,
            prev_hash,
            removed: removed.clone(),
        };
        if anchor.as_ref().map(|a| a.first_seq) != Some(first_seq) {
            // The sealed record comes first and names the anchor's digest, so an anchor nobody
            // recorded (someone deleting old files to hide them) fails verify. A crash before the
            // anchor is written leaves every file in place; the next pruning records again.
            let path = self.layout.anchor();
            let json = serde_json::to_vec_pretty(&note).map_err(|e| EvidenceError::Io {
                path: path.clone(),
                source: std::io::Error::other(e),
            })?;
            let event = Event {
                ts: now(),
                service: String::new(),
                profile: String::new(),
                scenarios: Vec::new(),
                interpretation: false,
                outcome: Outcome::LogPruned,
                inputs: Vec::new(),
                outputs: vec![FileDigest::of_bytes(name_of(&path), &json)],
                verdict: None,
                failed_checks: Vec::new(),
                figures: None,
                detail: Some(format!(
                    "retention removes {} rotated file(s): {}; the retained chain starts at seq {first_seq}",
                    removed.len(),
                    removed.join(", ")
                )),
            };
            let (line, hash) = self.seal(&event, self.state.next_seq)?;
            self.announce(1)?;
            let mut pending = line;
            self.flush(&mut pending)?;
            self.state.next_seq += 1;
            self.state.prev_hash = hash;
            self.write_head();
            write_atomic(&path, &json).map_err(io_err(&path))?;
        }
        // Oldest first, so an interruption leaves a contiguous chain that still meets the anchor.
        for (_, path) in &rotated[..remove] {
            std::fs::remove_file(path).map_err(io_err(path))?;
        }
        sync_dir(self.layout.dir())
    }

    /// Announces in the head note that records up to `more` past the current end (or past an
    /// announcement still outstanding) may follow. Called only where every record this writer
    /// sealed is on disk. Without the announcement nothing is written: `verify` and the next
    /// writer would take the records for someone else's.
    fn announce(&mut self, more: u64) -> Result<(), EvidenceError> {
        let seq = self.state.next_seq.saturating_sub(1);
        let upto = self.state.announced.max(seq) + more;
        put_head(&self.layout, seq, &self.state.prev_hash, Some(upto))
            .map_err(io_err(&self.layout.head()))?;
        self.state.announced = upto;
        Ok(())
    }

    /// Names the newest durable record in the head note, keeping an announcement that is still
    /// outstanding (a rotation's pruning record in the middle of a batch). Not fsynced: after a
    /// crash the note may lag the log, within what was announced, never lead it.
    fn write_head(&mut self) {
        let seq = self.state.next_seq.saturating_sub(1);
        let writing = (self.state.announced > seq).then_some(self.state.announced);
        if writing.is_none() {
            self.state.announced = 0;
        }
        if let Err(e) = put_head(&self.layout, seq, &self.state.prev_hash, writing) {
            tracing::warn!(file = %self.layout.head().display(), "evidence log: cannot update head note: {e}");
        }
    }
}

fn first_link(path: &Path) -> Result<Link, EvidenceError> {
    let mut file = File::open(path).map_err(io_err(path))?;
    let line = tail::first_line(&mut file).map_err(io_err(path))?;
    let line = line.ok_or_else(|| EvidenceError::Corrupt {
        path: path.to_path_buf(),
        line: 1,
        message: "no complete first record".into(),
    })?;
    serde_json::from_slice::<Link>(&line).map_err(|e| EvidenceError::Corrupt {
        path: path.to_path_buf(),
        line: 1,
        message: format!("the first record cannot be read ({e})"),
    })
}
