//! The integration tests, in one binary: each module was a test binary of its own, and linking
//! 25 binaries against the library took most of the test build. The real binary
//! (`CARGO_BIN_EXE_perfassist`) is still what CLI and daemon tests spawn. Run one module with
//! `cargo test --test all MODULE::`. Proptest keeps the failing cases of `all/X.rs` in
//! `tests/proptest-regressions/X.txt` (beside the folder holding `main.rs`, by its rule).

#[path = "../common/mod.rs"]
mod common;
#[path = "../evidence_support/mod.rs"]
mod evidence_support;

mod baseline_significance;
mod cli;
mod cli_reports;
mod daemon;
mod daemon_guards;
mod daemon_observe;
mod evidence_cli;
mod evidence_crash;
mod evidence_tamper;
mod export_cli;
mod export_golden;
mod history_cli;
mod hostile_inputs;
mod profile_fuzz;
mod readme;
mod render_golden;
mod results_folder;
mod results_fuzz;
mod results_json_formats;
mod results_no_panic;
mod results_parallel;
mod results_parallel_k6;
mod results_quick_tools;
mod results_streams;
mod scenario_runs;
