//! The command-line interface: the clap command tree and nothing else.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

use perfassist::render::Format;

#[derive(Debug, Parser)]
#[command(
    name = "perfassist",
    version,
    about = "Service profiles → load test plans → SLO verdicts, with a tamper-evident evidence log"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a load test plan from a service profile (optionally interpret results too).
    Plan(PlanArgs),
    /// Judge a results file against a profile's SLOs.
    #[command(alias = "interpret-cmd")]
    Interpret(InterpretArgs),
    /// Check a profile and report every problem in it.
    Validate(ValidateArgs),
    /// Read a results file of any supported runner format and print it normalised.
    Results(ResultsArgs),
}

#[derive(Debug, Args)]
pub struct ResultsArgs {
    /// Results file (any supported runner format).
    #[arg(long, value_name = "FILE")]
    pub metrics: PathBuf,
    /// `json` or `yaml`.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// A met objective within this share of its threshold is reported as a warning.
    #[arg(long, default_value_t = 0.1, value_name = "SHARE")]
    pub warn_band: f64,
    /// With --baseline, a metric moving by more than this share (and beyond the runs' own
    /// spread) is a regression or an improvement.
    #[arg(long, default_value_t = 0.1, value_name = "SHARE")]
    pub regression_share: f64,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Service profile (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,
    /// Write the plan to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Append an evidence record to this log file.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Also interpret this results file against the profile's SLOs.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Rendering of the plan (`html` draws each scenario's load shape; not `junit`).
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

#[derive(Debug, Args)]
pub struct InterpretArgs {
    /// Service profile (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,
    /// Results file: a metrics summary (JSON or CSV).
    #[arg(long, value_name = "FILE")]
    pub metrics: PathBuf,
    /// An earlier run's results file to compare with: regressions are flagged even when the SLO
    /// still passes, and improvements are named.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Rendering of the assessment (`html` charts the results; `junit` makes each check a test case).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write the assessment to this file (atomically), as JSON.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Append an evidence record to this log file.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Service profile (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,
    /// `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}
