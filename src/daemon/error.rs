//! The daemon's errors, split by what the daemon must do about them. A fatal error stops it with
//! an exit code: a folder it cannot use, the inbox gone, the watcher refused, an evidence log
//! that must be repaired first. A `Retry` concerns one batch or input: nothing of it was
//! recorded and the daemon tries again later; only where nothing would retry (`--once`, the last
//! commit at shutdown) does it end the run, as perfassist's own trouble (exit 3).

use crate::exit;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaemonError {
    /// A setting that cannot be right, such as a state folder that belongs to another inbox:
    /// the operator's to fix (exit 2).
    #[error("{0}")]
    BadSetting(String),
    /// perfassist cannot go on: a folder, lock, watcher, signal or listener it cannot use (exit 3).
    #[error("{0}")]
    Fatal(String),
    /// The evidence writer refuses the log's end: a retry would be refused again and skipping the
    /// record would lose a result, so the operator must repair the log (exit 3).
    #[error("{0}")]
    LogRefused(String),
    /// Outputs, evidence or the state of a batch could not be written (a full disk, a folder
    /// turned read-only): the batch was taken back, and its inputs are processed again later.
    #[error("{0}")]
    Retry(String),
}

impl DaemonError {
    pub fn fatal(message: impl Into<String>) -> DaemonError {
        DaemonError::Fatal(message.into())
    }

    /// Whether the daemon must stop; otherwise the batch or input is tried again later.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, DaemonError::Retry(_))
    }

    /// The exit code when this error ends the run (see `crate::exit`).
    pub fn code(&self) -> i32 {
        match self {
            DaemonError::BadSetting(_) => exit::BAD_INPUT,
            DaemonError::Fatal(_) | DaemonError::LogRefused(_) | DaemonError::Retry(_) => {
                exit::INTERNAL
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_setting_is_the_operators_input_error() {
        assert_eq!(DaemonError::BadSetting("x".into()).code(), exit::BAD_INPUT);
        for e in [
            DaemonError::fatal("x"),
            DaemonError::LogRefused("x".into()),
            DaemonError::Retry("x".into()),
        ] {
            assert_eq!(e.code(), exit::INTERNAL);
        }
    }

    #[test]
    fn a_batch_that_was_not_written_is_retried_not_fatal() {
        assert!(!DaemonError::Retry("disk full".into()).is_fatal());
        assert!(DaemonError::LogRefused("x".into()).is_fatal());
        assert!(DaemonError::fatal("x").is_fatal());
        assert!(DaemonError::BadSetting("x".into()).is_fatal());
    }

    #[test]
    fn the_message_is_shown_as_given() {
        assert_eq!(
            DaemonError::LogRefused("cannot append to the evidence log: x".into()).to_string(),
            "cannot append to the evidence log: x"
        );
    }
}
