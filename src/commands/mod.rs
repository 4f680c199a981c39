//! The one-shot commands (`plan`, `interpret`, `validate`): read inputs, call the pure core,
//! write outputs. Each returns the process exit code; diagnostics go to stderr.

pub mod evidence;
pub mod export;
pub mod history;
pub mod watch;

use std::path::Path;

use chrono::{SecondsFormat, Utc};

use crate::cli::{InterpretArgs, JudgeArgs, PlanArgs, ResultsArgs, ValidateArgs};
use perfassist::diag::Diagnostic;
use perfassist::evidence::{self as evlog, FileDigest, Outcome};
use perfassist::inputs;
use perfassist::judge::{self, Assessment, Status};
use perfassist::plan::{self, Plan};
use perfassist::profile::Loaded;
use perfassist::render::{self, Format};
use perfassist::results::{self, RunResults};
use perfassist::{exit, output};

/// Why a command stopped early, mapped to an exit code.
pub enum Failure {
    BadInput,
    Internal(String),
}

impl Failure {
    pub fn code(&self) -> i32 {
        match self {
            Failure::BadInput => exit::BAD_INPUT,
            Failure::Internal(msg) => {
                eprintln!("error: {msg}");
                exit::INTERNAL
            }
        }
    }
}

fn print_diagnostics(diags: &[Diagnostic]) {
    for d in diags {
        eprintln!("{d}");
    }
}

/// Reads and validates a profile, printing warnings; on errors prints them all.
pub(crate) fn load_profile(
    path: &Path,
    limits: &inputs::Limits,
) -> Result<(Loaded, Vec<u8>), Failure> {
    let name = path.display().to_string();
    match inputs::load_profile(path, &name, limits) {
        Ok((loaded, bytes)) => {
            print_diagnostics(&loaded.warnings);
            Ok((loaded, bytes))
        }
        Err(e) => {
            print_diagnostics(&e.diagnostics);
            Err(Failure::BadInput)
        }
    }
}

/// Reads a results file; the digest is of the whole file, hashed as it streams in the reader.
fn load_results(path: &Path, limits: &inputs::Limits) -> Result<(RunResults, FileDigest), Failure> {
    let name = path.display().to_string();
    // One pass over the file: a gigabyte JTL is read from disk once, hashed as it is parsed.
    match results::read_file_hashed(path, &name, limits.document_bytes) {
        Ok((r, sha256)) => Ok((r, FileDigest { path: name, sha256 })),
        Err(e) => {
            print_diagnostics(&e.diagnostics);
            Err(Failure::BadInput)
        }
    }
}

fn settings(args: &JudgeArgs) -> Result<judge::Settings, Failure> {
    if !(0.0..1.0).contains(&args.warn_band) {
        eprintln!(
            "error: --warn-band must be between 0 and 1 (e.g. 0.1 for 10 %), got {}",
            args.warn_band
        );
        return Err(Failure::BadInput);
    }
    if !(args.regression_share > 0.0 && args.regression_share < 10.0) {
        eprintln!(
            "error: --regression-share must be above 0 and below 10 (e.g. 0.1 for 10 %), got {}",
            args.regression_share
        );
        return Err(Failure::BadInput);
    }
    Ok(judge::Settings {
        warn_band: args.warn_band,
        regression_share: args.regression_share,
        ..judge::Settings::default()
    })
}

fn write_out(path: &Path, text: &str) -> Result<FileDigest, Failure> {
    output::write_atomic(path, text.as_bytes())
        .map_err(|e| Failure::Internal(format!("{}: cannot write: {e}", path.display())))?;
    Ok(FileDigest::of_bytes(
        path.display().to_string(),
        text.as_bytes(),
    ))
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn outcome_for(assessment: Option<&Assessment>) -> Outcome {
    match assessment {
        None => Outcome::PlanGenerated,
        Some(a) if a.verdict == judge::Verdict::Pass => Outcome::PlanAndInterpretationGenerated,
        Some(_) => Outcome::IssuesDetected,
    }
}

struct Record<'a> {
    profile_path: &'a Path,
    service: &'a str,
    scenarios: Vec<String>,
    inputs: Vec<FileDigest>,
    outputs: Vec<FileDigest>,
    assessment: Option<&'a Assessment>,
    /// The judged results, whose key figures the record keeps.
    results: Option<&'a RunResults>,
    plan_generated: bool,
}

/// Reads the HMAC key before any work, so a bad key file stops the command before it writes.
fn read_evidence_key(path: Option<&Path>) -> Result<Option<Vec<u8>>, Failure> {
    path.map(evlog::read_key).transpose().map_err(|e| {
        eprintln!("error: {e}");
        Failure::BadInput
    })
}

/// Appends the record and returns its hash (shown by HTML reports to tie them to the log).
fn log_evidence(log: &Path, key: Option<Vec<u8>>, r: Record) -> Result<String, Failure> {
    let outcome = match (r.plan_generated, r.assessment) {
        (true, a) => outcome_for(a),
        (false, Some(a)) if a.verdict == judge::Verdict::Pass => {
            Outcome::PlanAndInterpretationGenerated
        }
        (false, _) => Outcome::IssuesDetected,
    };
    let event = evlog::Event {
        ts: now(),
        service: r.service.to_string(),
        profile: r.profile_path.display().to_string(),
        scenarios: r.scenarios,
        interpretation: r.assessment.is_some(),
        outcome,
        inputs: r.inputs,
        outputs: r.outputs,
        verdict: r.assessment.map(|a| a.verdict.label().to_string()),
        failed_checks: r
            .assessment
            .map(|a| {
                a.checks
                    .iter()
                    .filter(|c| c.status == Status::Fail)
                    .map(|c| c.id.clone())
                    .collect()
            })
            .unwrap_or_default(),
        figures: r.results.and_then(|res| evlog::Figures::of(&res.overall)),
        detail: None,
    };
    let opts = evlog::Options {
        key,
        ..evlog::Options::default()
    };
    // A folder means the log inside it, as the daemon and `evidence verify` name it.
    let active = if log.is_dir() {
        log.join("evidence.jsonl")
    } else {
        log.to_path_buf()
    };
    let mut log = evlog::Log::open(&active, opts).map_err(|e| Failure::Internal(e.to_string()))?;
    let appended = log
        .append(&event)
        .map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(appended.hash)
}

pub fn plan(args: &PlanArgs) -> Result<i32, Failure> {
    if !args.format.fits_plan() {
        eprintln!(
            "error: --format junit is for judgements; a plan renders as json, yaml, markdown, text or html"
        );
        return Err(Failure::BadInput);
    }
    let judge_settings = settings(&args.judge)?;
    let key = read_evidence_key(args.evidence_key.as_deref())?;
    let limits = args.limits.limits();
    let (loaded, profile_bytes) = load_profile(&args.profile, &limits)?;
    let profile = &loaded.profile;
    let metrics = args
        .metrics
        .as_deref()
        .map(|m| load_results(m, &limits))
        .transpose()?;
    let plan: Plan = plan::generate(profile, &plan::Defaults::default());
    let assessment = metrics
        .as_ref()
        .map(|(r, _)| judge::assess(profile, r, &judge_settings));

    let mut outputs = Vec::new();
    let plan_text = render::plan(&plan, args.format);
    match &args.out {
        Some(out) => {
            outputs.push(write_out(out, &plan_text)?);
            eprintln!("wrote plan for {} to {}", plan.service, out.display());
            if let Some(a) = &assessment {
                print!("{}", render::assessment(a, text_for(args.format)));
            }
        }
        None => match (&assessment, args.format) {
            (Some(a), Format::Json) => print!(
                "{}",
                render::json(&Combined {
                    plan: &plan,
                    assessment: a
                })
            ),
            (Some(a), Format::Yaml) => print!(
                "{}",
                render::plan(&plan, Format::Yaml) + &render::assessment(a, Format::Yaml)
            ),
            // One page: the report carries the plan's load shapes beside the judgement.
            (Some(a), Format::Html) => {
                if let Some((results, _)) = &metrics {
                    print!(
                        "{}",
                        render::assessment_report(
                            &render::ReportInput {
                                assessment: a,
                                results,
                                plan: Some(&plan),
                                evidence_hash: None,
                            },
                            Format::Html
                        )
                    )
                }
            }
            (Some(a), f) => print!("{}\n{}", plan_text, render::assessment(a, f)),
            (None, _) => print!("{plan_text}"),
        },
    }
    if let Some(log) = &args.log {
        let mut inputs = vec![FileDigest::of_bytes(
            args.profile.display().to_string(),
            &profile_bytes,
        )];
        if let Some((_, digest)) = &metrics {
            inputs.push(digest.clone());
        }
        log_evidence(
            log,
            key.clone(),
            Record {
                profile_path: &args.profile,
                service: &profile.service,
                scenarios: plan.scenarios.iter().map(|s| s.name.to_string()).collect(),
                inputs,
                outputs,
                assessment: assessment.as_ref(),
                results: metrics.as_ref().map(|(r, _)| r),
                plan_generated: true,
            },
        )?;
    }
    Ok(match &assessment {
        Some(a) if a.verdict.is_failure() => exit::SLO_FAILED,
        _ => exit::OK,
    })
}

/// With `--out`, the assessment printed beside the plan is for a person.
fn text_for(f: Format) -> Format {
    match f {
        Format::Json | Format::Yaml | Format::Html | Format::Junit => Format::Text,
        other => other,
    }
}

#[derive(serde::Serialize)]
struct Combined<'a> {
    plan: &'a Plan,
    assessment: &'a Assessment,
}

pub fn interpret(args: &InterpretArgs) -> Result<i32, Failure> {
    let judge_settings = settings(&args.judge)?;
    let key = read_evidence_key(args.evidence_key.as_deref())?;
    let limits = args.limits.limits();
    let (loaded, profile_bytes) = load_profile(&args.profile, &limits)?;
    let (results, results_digest) = load_results(&args.metrics, &limits)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(|b| load_results(b, &limits))
        .transpose()?;
    let a = judge::assess_with_baseline(
        &loaded.profile,
        &results,
        baseline.as_ref().map(|(b, _)| b),
        &judge_settings,
    );
    let plan = (args.format == Format::Html)
        .then(|| plan::generate(&loaded.profile, &plan::Defaults::default()));
    let mut outputs = Vec::new();
    if let Some(out) = &args.out {
        outputs.push(write_out(out, &render::json(&a))?);
    }
    // The record is written first so an HTML report can show its hash.
    let evidence_hash = match &args.log {
        Some(log) => Some(log_evidence(
            log,
            key.clone(),
            Record {
                profile_path: &args.profile,
                service: &loaded.profile.service,
                scenarios: Vec::new(),
                inputs: [
                    FileDigest::of_bytes(args.profile.display().to_string(), &profile_bytes),
                    results_digest,
                ]
                .into_iter()
                .chain(baseline.map(|(_, d)| d))
                .collect(),
                outputs,
                assessment: Some(&a),
                results: Some(&results),
                plan_generated: false,
            },
        )?),
        None => None,
    };
    print!(
        "{}",
        render::assessment_report(
            &render::ReportInput {
                assessment: &a,
                results: &results,
                plan: plan.as_ref(),
                evidence_hash: evidence_hash.as_deref(),
            },
            args.format
        )
    );
    Ok(if a.verdict.is_failure() {
        exit::SLO_FAILED
    } else {
        exit::OK
    })
}

pub fn validate(args: &ValidateArgs) -> Result<i32, Failure> {
    let name = args.profile.display().to_string();
    let (ok, diags, service) =
        match inputs::load_profile(&args.profile, &name, &args.limits.limits()) {
            Ok((l, _)) => (true, l.warnings, Some(l.profile.service)),
            Err(e) => (false, e.diagnostics, None),
        };
    if args.format == Format::Json {
        #[derive(serde::Serialize)]
        struct Report<'a> {
            file: &'a str,
            valid: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            service: Option<String>,
            diagnostics: &'a [Diagnostic],
        }
        print!(
            "{}",
            render::json(&Report {
                file: &name,
                valid: ok,
                service,
                diagnostics: &diags
            })
        );
    } else {
        for d in &diags {
            println!("{d}");
        }
        let errors = diags.iter().filter(|d| d.is_error()).count();
        let warnings = diags.len() - errors;
        if ok {
            println!(
                "{name}: valid profile for {} ({warnings} warning(s))",
                service.unwrap_or_default()
            );
        } else {
            println!("{name}: invalid profile: {errors} error(s), {warnings} warning(s)");
        }
    }
    Ok(if ok { exit::OK } else { exit::BAD_INPUT })
}

pub fn show_results(args: &ResultsArgs) -> Result<i32, Failure> {
    // Nothing is logged here, so the file is not hashed: a gigabyte JTL is parsed only.
    let name = args.metrics.display().to_string();
    let limit = args.limits.limits().document_bytes;
    let results = results::read_file(&args.metrics, &name, limit).map_err(|e| {
        print_diagnostics(&e.diagnostics);
        Failure::BadInput
    })?;
    match args.format {
        Format::Yaml => print!(
            "{}",
            perfassist::textdoc::to_yaml(&results).map_err(Failure::Internal)?
        ),
        _ => print!("{}", render::json(&results)),
    }
    Ok(exit::OK)
}
