//! Why the daemon stops early: a message for the operator and the exit code it maps to. Most
//! reasons are perfassist's own trouble (exit 3); a setting that cannot be right, such as a state
//! folder that belongs to another inbox, is the operator's to fix (exit 2).

/// A reason to stop, with its exit code (see `crate::exit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub code: i32,
    pub message: String,
}

impl Stop {
    pub fn bad_setting(message: String) -> Stop {
        Stop {
            code: crate::exit::BAD_INPUT,
            message,
        }
    }
}

/// Plain messages are perfassist's own trouble: a folder it cannot use, a file it cannot write.
impl From<String> for Stop {
    fn from(message: String) -> Stop {
        Stop {
            code: crate::exit::INTERNAL,
            message,
        }
    }
}
