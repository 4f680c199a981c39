//! The command-line interface: the clap command tree and nothing else.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
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
    /// Watch an inbox folder and keep plans and assessments in an outbox up to date (the daemon).
    Watch(WatchArgs),
    /// Show what a running (or the last) daemon processed, what waits and what was rejected.
    Status(StatusArgs),
    /// Check or read the evidence log.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Every run of each service from the evidence log: verdict, key figures and record hash.
    History(HistoryArgs),
}

/// Where the evidence log is, for the commands that read it.
#[derive(Debug, Args)]
pub struct LogPath {
    /// The log's active file or its folder.
    #[arg(
        env = "PERFASSIST_EVIDENCE",
        default_value = "evidence",
        value_name = "PATH"
    )]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub log: LogPath,
    /// Only this service.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Only runs judged as this scenario (`whole-profile`: judged against the whole profile).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// `text` for people, `markdown` for pull requests, `json` for tools.
    #[arg(long, value_enum, default_value = "text")]
    pub format: HistoryFormat,
}

/// `--format`: the library's renderings, by name, with their help; the library knows no clap.
fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.map(|f| {
        let v = PossibleValue::new(f.name());
        match f {
            Format::Junit => v.help("JUnit XML, for assessments only (each check a test case)"),
            Format::Html => v.help("A self-contained HTML page with inline SVG charts"),
            _ => v,
        }
    }))
    .map(|s| s.parse::<Format>().unwrap_or(Format::Text))
}

/// `--to`: the runners a plan exports to.
fn runner_parser() -> impl TypedValueParser<Value = Runner> {
    PossibleValuesParser::new(Runner::ALL.map(Runner::name))
        .map(|s| Runner::parse(&s).unwrap_or(Runner::K6))
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Service profile (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,
    /// The runner to write a script for.
    #[arg(long = "to", value_parser = runner_parser(), value_name = "RUNNER")]
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
    /// Rehearsal: shorten every stage to this share of its length (0.1 = a tenth; at least 10 s
    /// per stage), rates unchanged. The script and its result files say the run is scaled.
    #[arg(long, value_name = "FACTOR", allow_negative_numbers = true)]
    pub time_scale: Option<f64>,
}

/// Settings come from these flags, then the environment variables named below, then the config
/// file, then the defaults.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Folder to watch for profiles and results files [default: ./inbox]
    #[arg(long, env = "PERFASSIST_INBOX", value_name = "DIR")]
    pub inbox: Option<PathBuf>,
    /// Folder for plans, assessments and error reports [default: ./outbox]
    #[arg(long, env = "PERFASSIST_OUTBOX", value_name = "DIR")]
    pub outbox: Option<PathBuf>,
    /// Folder of the evidence log [default: ./evidence]
    #[arg(long, env = "PERFASSIST_EVIDENCE", value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// Folder of the daemon's state file [default: ./state]
    #[arg(long, env = "PERFASSIST_STATE", value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Config file (YAML or JSON) with the same settings as these flags.
    #[arg(long, env = "PERFASSIST_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A plainly written file is processed once unchanged for this long [default: 300ms]
    #[arg(long, env = "PERFASSIST_SETTLE", value_name = "DURATION")]
    pub settle: Option<String>,
    /// Poll the inbox every INTERVAL instead of using inotify (NFS/SMB/container mounts) [default interval: 2s]
    #[arg(long, env = "PERFASSIST_POLL", value_name = "INTERVAL", num_args = 0..=1, default_missing_value = "on")]
    pub poll: Option<String>,
    /// Process everything pending, then exit: 0 all good, 1 an SLO failed, 2 an input was rejected.
    #[arg(long)]
    pub once: bool,
    /// Inputs larger than this are rejected [default: 8589934592 (8 GiB)]
    #[arg(long, env = "PERFASSIST_MAX_INPUT_BYTES", value_name = "BYTES")]
    pub max_input_bytes: Option<u64>,
    /// A profile larger than this is rejected before it is read [default: 1048576 (1 MiB)]
    #[arg(long, env = "PERFASSIST_MAX_PROFILE_BYTES", value_name = "BYTES")]
    pub max_profile_bytes: Option<u64>,
    /// A summary or JSON report larger than this is rejected before it is read [default: 33554432 (32 MiB)]
    #[arg(long, env = "PERFASSIST_MAX_DOCUMENT_BYTES", value_name = "BYTES")]
    pub max_document_bytes: Option<u64>,
    /// Accept inbox files that have more than one hard link (refused by default).
    #[arg(long, env = "PERFASSIST_ALLOW_HARD_LINKS", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub allow_hard_links: Option<bool>,
    /// Log format on stderr or in --log-dir: text or json [default: text]
    #[arg(long, env = "PERFASSIST_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Also write logs to daily-rotated files in this folder.
    #[arg(long, env = "PERFASSIST_LOG_DIR", value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// A met objective within this share of its threshold is a warning [default: 0.1]
    #[arg(long, env = "PERFASSIST_WARN_BAND", value_name = "SHARE")]
    pub warn_band: Option<f64>,
    /// Rotate the evidence log when the active file reaches this size [default: 16777216]
    #[arg(long, env = "PERFASSIST_EVIDENCE_MAX_BYTES", value_name = "BYTES")]
    pub evidence_max_bytes: Option<u64>,
    /// Key file for an HMAC-keyed evidence chain.
    #[arg(long, env = "PERFASSIST_EVIDENCE_KEY", value_name = "FILE")]
    pub evidence_key: Option<PathBuf>,
    /// Also start a new evidence file every UTC day.
    #[arg(long, env = "PERFASSIST_EVIDENCE_DAILY", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub evidence_daily: Option<bool>,
    /// Keep at most this many rotated evidence files (pruning is itself recorded).
    #[arg(long, env = "PERFASSIST_EVIDENCE_KEEP_FILES", value_name = "N")]
    pub evidence_keep_files: Option<usize>,
    /// Prune rotated evidence files older than this many days.
    #[arg(long, env = "PERFASSIST_EVIDENCE_KEEP_DAYS", value_name = "DAYS")]
    pub evidence_keep_days: Option<u32>,
    /// Renderings to write: a comma-separated list of json, md, html, junit, exports [default: all]
    #[arg(long, env = "PERFASSIST_OUTPUTS", value_name = "LIST")]
    pub outputs: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464 (a bare port means 127.0.0.1) [default: off]
    #[arg(long, env = "PERFASSIST_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The daemon's outbox [default: ./outbox]
    #[arg(
        long,
        env = "PERFASSIST_OUTBOX",
        value_name = "DIR",
        default_value = "outbox"
    )]
    pub outbox: PathBuf,
    /// Print the status file as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check every record's seal and the hash chain across rotated files (exit 1 if broken).
    Verify(EvidenceVerifyArgs),
    /// Print records in order across rotated files: a table, or JSON lines with --json.
    Show(EvidenceShowArgs),
}

#[derive(Debug, Args)]
pub struct EvidenceVerifyArgs {
    #[command(flatten)]
    pub log: LogPath,
    /// HMAC key file the log was written with.
    #[arg(long, value_name = "FILE")]
    pub evidence_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvidenceShowArgs {
    #[command(flatten)]
    pub log: LogPath,
    /// Only records of this service.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Only records with this outcome (e.g. issues-detected).
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: Option<String>,
    /// Only records at or after this time (RFC 3339, or a date meaning its midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// One JSON record per line, exactly as stored, for tools.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ResultsArgs {
    /// Results file (any supported runner format).
    #[arg(long, value_name = "FILE")]
    pub metrics: PathBuf,
    /// `json` or `yaml`.
    #[arg(long, value_parser = format_parser(), default_value = "json")]
    pub format: Format,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Sizes of inputs read whole; raw-sample results (JTL, k6 NDJSON) are streamed and unbounded.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// A profile larger than this is refused before it is read [default: 1048576 (1 MiB)]
    #[arg(long, env = "PERFASSIST_MAX_PROFILE_BYTES", value_name = "BYTES")]
    pub max_profile_bytes: Option<u64>,
    /// A summary or JSON report larger than this is refused before it is read [default: 33554432 (32 MiB)]
    #[arg(long, env = "PERFASSIST_MAX_DOCUMENT_BYTES", value_name = "BYTES")]
    pub max_document_bytes: Option<u64>,
}

impl LimitArgs {
    pub fn limits(&self) -> perfassist::inputs::Limits {
        let d = perfassist::inputs::Limits::default();
        perfassist::inputs::Limits {
            profile_bytes: self.max_profile_bytes.unwrap_or(d.profile_bytes),
            document_bytes: self.max_document_bytes.unwrap_or(d.document_bytes),
        }
    }
}

#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// Confidence of every check's interval: a check passes only when its whole interval meets
    /// the objective, fails only when all of it breaks it.
    #[arg(long, default_value_t = 0.95, value_name = "SHARE")]
    pub confidence: f64,
    /// Judge the run as this scenario of the plan (smoke, steady, burst, soak, stress): its
    /// checks on their stages, its load on its hold stages.
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
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
    /// Append an evidence record to this log file (or to evidence.jsonl in this folder).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Seal evidence records with an HMAC keyed by this file's content.
    #[arg(long, value_name = "FILE", requires = "log")]
    pub evidence_key: Option<PathBuf>,
    /// Also interpret this results file against the profile's SLOs.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// The rehearsal plan: every stage at this share of its length (at least 10 s), rates
    /// unchanged, as `export --time-scale` writes it; with --metrics and --scenario, the run is
    /// judged against the shortened stages.
    #[arg(long, value_name = "FACTOR", allow_negative_numbers = true)]
    pub time_scale: Option<f64>,
    /// Rendering of the plan (`html` draws each scenario's load shape; not `junit`).
    #[arg(long, value_parser = format_parser(), default_value = "json")]
    pub format: Format,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct InterpretArgs {
    /// Service profile (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,
    /// Results file: a metrics summary or any supported runner file (see `perfassist results`).
    #[arg(long, value_name = "FILE")]
    pub metrics: PathBuf,
    /// An earlier run's results file to compare with: regressions are flagged even when the SLO
    /// still passes, and improvements are named.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Rendering of the assessment (`html` charts the results; `junit` makes each check a test case).
    #[arg(long, value_parser = format_parser(), default_value = "text")]
    pub format: Format,
    /// Also write the assessment to this file (atomically), as JSON.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Append an evidence record to this log file (or to evidence.jsonl in this folder).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Seal evidence records with an HMAC keyed by this file's content.
    #[arg(long, value_name = "FILE", requires = "log")]
    pub evidence_key: Option<PathBuf>,
    /// The run was a rehearsal exported with `--time-scale FACTOR`: judge it against the
    /// shortened stages (needs --scenario).
    #[arg(
        long,
        value_name = "FACTOR",
        allow_negative_numbers = true,
        requires = "scenario"
    )]
    pub time_scale: Option<f64>,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Service profile (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,
    /// `text` for people, `json` for tools.
    #[arg(long, value_parser = format_parser(), default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub limits: LimitArgs,
}
