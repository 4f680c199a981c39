//! The command-line interface: the clap command tree and nothing else.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

use perfassist::export::Runner;
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
    /// Write a profile's plan as a script for a load-test runner (k6, Locust, Artillery, Taurus).
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Service profile (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,
    /// The runner to write a script for.
    #[arg(long = "to", value_enum, value_name = "RUNNER")]
    pub to: Runner,
    /// One scenario (smoke, steady, burst, soak, stress), or `all` to run them one after another.
    #[arg(long, default_value = "all", value_name = "NAME")]
    pub scenario: String,
    /// Base URL of the system under test; overrides the profile's target.base_url.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Write the script (atomically) into this folder instead of standard output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
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
    /// Rendering of the plan.
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
    /// Rendering of the assessment.
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
