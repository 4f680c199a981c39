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
