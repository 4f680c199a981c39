//! Errors said once. A problem that repeats (a full disk fails every input at every retry) is
//! logged when it starts, counted while it lasts, recalled every ten minutes, and logged again
//! when it ends, so the journal gets a line per problem, not one per file per retry.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A problem still going on is recalled this often.
pub const REMIND_EVERY: Duration = Duration::from_secs(600);

struct Open {
    since: Instant,
    last_said: Instant,
    /// Occurrences since it was last said.
    silent: u64,
    total: u64,
}

/// Problems going on, by key: an area and the cause without the path (`outputs: No space left
/// on device (os error 28)`), so the same cause on many files is one problem.
#[derive(Default)]
pub struct Problems {
    open: BTreeMap<String, Open>,
}

/// What to say about an occurrence.
#[derive(Debug, PartialEq, Eq)]
pub enum Say {
    /// A new problem: log it.
    First,
    /// Still going on after `REMIND_EVERY`: log it again with how often it recurred meanwhile.
    Again { silent: u64, for_secs: u64 },
    /// Said recently: log nothing above debug.
    Quiet,
}

/// A problem that ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Ended {
    pub key: String,
    pub occurrences: u64,
    pub lasted: Duration,
}

/// The key of a problem: its area and its message without the path it starts with (an I/O
/// error names the file first), so one cause on many files is one problem, while causes that
/// name their own culprit (a link planted at `outbox/x`) stay apart.
pub fn key(area: &str, message: &str) -> String {
    let cause = message
        .split_once(": ")
        .filter(|(head, _)| head.contains('/') && !head.contains(' '))
        .map_or(message, |(_, rest)| rest);
    format!("{area}: {cause}")
}

impl Problems {
    pub fn occurred(&mut self, key: &str, now: Instant) -> Say {
        match self.open.get_mut(key) {
            None => {
                self.open.insert(
                    key.to_string(),
                    Open {
                        since: now,
                        last_said: now,
                        silent: 0,
                        total: 1,
                    },
                );
                Say::First
            }
            Some(o) => {
                o.total += 1;
                if now.saturating_duration_since(o.last_said) >= REMIND_EVERY {
                    let silent = std::mem::take(&mut o.silent);
                    o.last_said = now;
                    Say::Again {
                        silent,
                        for_secs: now.saturating_duration_since(o.since).as_secs(),
                    }
                } else {
                    o.silent += 1;
                    Say::Quiet
                }
            }
        }
    }

    /// Ends every problem of `area` (something of it worked again).
    pub fn ended(&mut self, area: &str, now: Instant) -> Vec<Ended> {
        let prefix = format!("{area}: ");
        let keys: Vec<String> = self
            .open
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|k| {
                let o = self.open.remove(&k)?;
                Some(Ended {
                    key: k,
                    occurrences: o.total,
                    lasted: now.saturating_duration_since(o.since),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_problem_is_said_once_then_recalled_then_ended() {
        let t0 = Instant::now();
        let mut p = Problems::default();
        let k = key(
            "outputs",
            "outbox/a/plan.json: No space left on device (os error 28)",
        );
        assert_eq!(k, "outputs: No space left on device (os error 28)");
        assert_eq!(
            key(
                "outputs",
                "outbox/b/plan.json: No space left on device (os error 28)"
            ),
            k,
            "the same cause on another file is the same problem"
        );
        assert_eq!(p.occurred(&k, t0), Say::First);
        for i in 1..=50 {
            assert_eq!(p.occurred(&k, t0 + Duration::from_secs(i)), Say::Quiet);
        }
        assert_eq!(
            p.occurred(&k, t0 + REMIND_EVERY + Duration::from_secs(1)),
            Say::Again {
                silent: 50,
                for_secs: 601
            }
        );
        assert!(p.ended("state", t0).is_empty());
        let ended = p.ended("outputs", t0 + Duration::from_secs(700));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].occurrences, 52);
        assert_eq!(p.occurred(&k, t0 + Duration::from_secs(701)), Say::First);
    }
}
