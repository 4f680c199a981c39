//! perfassist: service profiles to load test plans, runners' results to SLO verdicts, and a
//! tamper-evident evidence log, as a library used by the CLI and the watcher daemon.

pub mod classify;
pub mod confidence;
pub mod confined;
pub mod daemon;
pub mod diag;
pub mod evidence;
pub mod exit;
pub mod export;
pub mod ingest;
pub mod inputs;
pub mod judge;
pub mod locate;
pub mod output;
pub mod plan;
pub mod profile;
pub mod render;
pub mod results;
pub mod textdoc;
pub mod units;

/// For `benches/fast_paths.rs` only, not an API: the hand-written fast paths of the JTL CSV and
/// k6 NDJSON readers, part by part, so a bench can time each against a library alternative.
#[doc(hidden)]
pub use results::bench_api;
