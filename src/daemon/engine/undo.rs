//! The batch's undo log. Every state entry is noted as it was before the batch first changed it,
//! with the counters at the batch's start, so a batch that cannot be made durable is taken back
//! whole and its inputs are retried. The same is kept, in order, for the input being handled, so
//! one input whose outputs cannot be written is taken back alone while the rest is recorded.

use std::collections::HashMap;

use crate::daemon::state::Entry;
use crate::daemon::status::Counters;

/// A state entry before a change: `None` when the input was not known.
pub(super) type Before = (String, Option<Entry>);

#[derive(Default)]
pub(super) struct UndoLog {
    batch: HashMap<String, Option<Entry>>,
    input: Vec<Before>,
    counters_before: Counters,
}

impl UndoLog {
    /// Starts the log of one input (the batch's log goes on).
    pub fn start_input(&mut self) {
        self.input.clear();
    }

    /// Notes the entry of `key` as it is before a change.
    pub fn remember(&mut self, key: &str, before: Option<&Entry>) {
        if !self.batch.contains_key(key) {
            self.batch.insert(key.to_string(), before.cloned());
        }
        self.input.push((key.to_string(), before.cloned()));
    }

    /// What puts the current input's entries back, the latest change first.
    pub fn take_input(&mut self) -> impl Iterator<Item = Before> {
        std::mem::take(&mut self.input).into_iter().rev()
    }

    /// How many inputs the batch changed.
    pub fn batch_len(&self) -> usize {
        self.batch.len()
    }

    /// What puts every entry the batch changed back, and the counters at its start.
    pub fn take_batch(&mut self) -> (Vec<Before>, Counters) {
        (
            std::mem::take(&mut self.batch).into_iter().collect(),
            self.counters_before.clone(),
        )
    }

    /// The batch is durable: nothing of it will be taken back, and the next one starts here.
    pub fn committed(&mut self, counters: &Counters) {
        self.batch.clear();
        self.counters_before = counters.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::state::{Kind, Status};

    fn entry(sha: &str) -> Entry {
        Entry {
            sha256: sha.into(),
            kind: Kind::Results,
            status: Status::Done,
            service: None,
            run: None,
            error: None,
            verdict: None,
        }
    }

    #[test]
    fn the_batch_keeps_the_first_value_and_the_input_every_change() {
        let mut u = UndoLog::default();
        u.remember("a", None);
        u.start_input();
        u.remember("a", Some(&entry("1")));
        u.remember("b", Some(&entry("2")));
        u.remember("b", Some(&entry("3")));
        let input: Vec<_> = u
            .take_input()
            .map(|(k, e)| (k, e.map(|e| e.sha256)))
            .collect();
        assert_eq!(
            input,
            [
                ("b".to_string(), Some("3".to_string())),
                ("b".to_string(), Some("2".to_string())),
                ("a".to_string(), Some("1".to_string())),
            ]
        );
        assert_eq!(u.batch_len(), 2);
        let (mut batch, _) = u.take_batch();
        batch.sort_by(|x, y| x.0.cmp(&y.0));
        let batch: Vec<_> = batch
            .into_iter()
            .map(|(k, e)| (k, e.map(|e| e.sha256)))
            .collect();
        assert_eq!(
            batch,
            [
                ("a".to_string(), None),
                ("b".to_string(), Some("2".to_string()))
            ]
        );
        assert_eq!(u.batch_len(), 0);
    }

    #[test]
    fn a_committed_batch_is_not_taken_back_and_its_counters_are_the_new_start() {
        let mut u = UndoLog::default();
        u.remember("a", None);
        let counters = Counters {
            processed: 4,
            ..Counters::default()
        };
        u.committed(&counters);
        let (batch, before) = u.take_batch();
        assert!(batch.is_empty());
        assert_eq!(before.processed, 4);
    }
}
