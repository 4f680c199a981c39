//! Process exit codes, in one place (documented in SPEC.md, "Exit codes").

/// Everything worked and every SLO was met (warnings allowed).
pub const OK: i32 = 0;
/// An SLO failed, or the run was inconclusive; for `evidence verify`, the log does not verify.
pub const SLO_FAILED: i32 = 1;
/// Bad input or bad usage: an invalid profile or results file, an unknown flag.
pub const BAD_INPUT: i32 = 2;
/// perfassist could not do its own work: an output could not be written, a folder is unusable.
pub const INTERNAL: i32 = 3;
