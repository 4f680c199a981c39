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
use perfassist::ingest;
use perfassist::inputs;
use perfassist::judge::{self, Assessment, Status};
use perfassist::plan::{self, Plan};
use perfassist::profile::Loaded;
use perfassist::render::{self, Format};
use perfassist::results::RunResults;
use perfassist::{exit, output};

/// Why a command stopped early, mapped to an exit code.
pub enum Failure {
    BadInput,
    Internal(String),
}

impl Failure {
    /// The exit code; a `BadInput` has had its diagnostics printed already, an `Internal` error
    /// is reported by the caller (`report`).
    pub fn code(&self) -> i32 {
        match self {
            Failure::BadInput => exit::BAD_INPUT,
            Failure::Internal(_) => exit::INTERNAL,
        }
    }

    /// The message to print for the failure, if it has not been printed already.
    pub fn message(&self) -> Option<&str> {
        match self {
            Failure::BadInput => None,
            Failure::Internal(msg) => Some(msg),
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

/// A `--time-scale` factor, checked (0 < f <= 1).
pub(crate) fn time_scale(f: f64) -> Result<f64, Failure> {
    plan::check_factor(f).map_err(|e| {
        eprintln!("error: --time-scale: {e}");
        Failure::BadInput
    })
}

/// Prints the plan's shape warnings, placed at the profile field's line where the profile set it.
pub(crate) fn warn_about_shape(path: &Path, profile_bytes: &[u8], plan: &Plan) {
    let mut warnings = plan::shape_warnings(plan);
    if warnings.is_empty() {
        return;
    }
    let text = String::from_utf8_lossy(profile_bytes);
    perfassist::diag::place(
        &mut warnings,
        &path.display().to_string(),
        &perfassist::locate::Positions::of(&text),
    );
    print_diagnostics(&warnings);
}

/// Reads a results file. With `hash`, also its digest, hashed as it streams in the reader (one
/// pass: a gigabyte JTL is read from disk once); without, nothing is logged and nothing hashed.
fn load_results(
    path: &Path,
    limits: &inputs::Limits,
    hash: bool,
) -> Result<(RunResults, Option<FileDigest>), Failure> {
    let name = path.display().to_string();
    let read = if hash {
        ingest::read_file_hashed(path, &name, limits.document_bytes).map(|(r, sha256)| {
            (
                r,
                Some(FileDigest {
                    path: name.clone(),
                    sha256,
                }),
            )
        })
    } else {
        ingest::read_file(path, &name, limits.document_bytes).map(|r| (r, None))
    };
    read.map_err(|e| {
        print_diagnostics(&e.diagnostics);
        Failure::BadInput
    })
}

/// The scenario a run is judged as (`--scenario`), time-scaled for a rehearsal; an unknown name
/// stops the command with the plan's scenario names.
fn chosen_scenario(
    plan: &Plan,
    name: Option<&str>,
    scale: Option<f64>,
) -> Result<Option<(plan::Scenario, judge::ScenarioRef)>, Failure> {
    let Some(name) = name else {
        return Ok(None);
    };
    let Some(sc) = plan.scenarios.iter().find(|s| s.name == name) else {
        let names: Vec<&str> = plan.scenarios.iter().map(|s| s.name).collect();
        eprintln!(
            "error: --scenario {name}: the plan has no such scenario; its scenarios are {}",
            names.join(", ")
        );
        return Err(Failure::BadInput);
    };
    let factor = scale.map(time_scale).transpose()?.unwrap_or(1.0);
    let scaled = plan::time_scaled(sc, factor, plan::STAGE_FLOOR_S);
    Ok(Some((
        scaled,
        judge::ScenarioRef {
            name: name.to_string(),
            from: "option".into(),
            time_scale: factor,
        },
    )))
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
    if !(args.confidence >= 0.5 && args.confidence < 1.0) {
        eprintln!(
            "error: --confidence must be at least 0.5 and below 1 (e.g. 0.95 for 95 %), got {}",
            args.confidence
        );
        return Err(Failure::BadInput);
    }
    Ok(judge::Settings {
        confidence: args.confidence,
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

/// Opens the `--log` before any output is written, so a log the writer refuses to continue (a
/// damaged last record, another key) stops the command before it leaves anything behind.
fn open_log(log: Option<&Path>, key: Option<Vec<u8>>) -> Result<Option<evlog::Log>, Failure> {
    let Some(log) = log else {
        return Ok(None);
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
    evlog::Log::open(&active, opts)
        .map(Some)
        .map_err(|e| Failure::Internal(e.to_string()))
}

/// Appends the record and returns its hash (shown by HTML reports to tie them to the log).
fn log_evidence(log: &mut evlog::Log, r: Record) -> Result<String, Failure> {
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
    if args.judge.scenario.is_some() && args.metrics.is_none() {
        eprintln!("error: --scenario judges results: give --metrics too");
        return Err(Failure::BadInput);
    }
    let metrics = args
        .metrics
        .as_deref()
        .map(|m| load_results(m, &limits, args.log.is_some()))
        .transpose()?;
    let full: Plan = plan::generate(profile, &plan::Defaults::default());
    let scenario = chosen_scenario(&full, args.judge.scenario.as_deref(), args.time_scale)?;
    let mut plan = full;
    if let Some(f) = args.time_scale {
        plan = plan.time_scaled(time_scale(f)?);
    }
    warn_about_shape(&args.profile, &profile_bytes, &plan);
    let assessment = metrics.as_ref().map(|(r, _)| {
        judge::assess_scenario(
            profile,
            scenario.as_ref().map(|(s, r)| (s, r.clone())),
            r,
            None,
            &judge_settings,
        )
    });
    let mut log = open_log(args.log.as_deref(), key)?;

    let mut outputs = Vec::new();
    let plan_text = render::plan(&plan, args.format).map_err(|e| {
        eprintln!("error: {e}");
        Failure::BadInput
    })?;
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
                plan_text.clone() + &render::assessment(a, Format::Yaml)
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
    if let Some(log) = &mut log {
        let mut inputs = vec![FileDigest::of_bytes(
            args.profile.display().to_string(),
            &profile_bytes,
        )];
        if let Some((_, Some(digest))) = &metrics {
            inputs.push(digest.clone());
        }
        log_evidence(
            log,
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
    let hash = args.log.is_some();
    let (results, results_digest) = load_results(&args.metrics, &limits, hash)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(|b| load_results(b, &limits, hash))
        .transpose()?;
    let full = plan::generate(&loaded.profile, &plan::Defaults::default());
    let scenario = chosen_scenario(&full, args.judge.scenario.as_deref(), args.time_scale)?;
    let a = judge::assess_scenario(
        &loaded.profile,
        scenario.as_ref().map(|(s, r)| (s, r.clone())),
        &results,
        baseline.as_ref().map(|(b, _)| b),
        &judge_settings,
    );
    let plan = (args.format == Format::Html).then_some(full);
    let mut log = open_log(args.log.as_deref(), key)?;
    let mut outputs = Vec::new();
    if let Some(out) = &args.out {
        outputs.push(write_out(out, &render::json(&a))?);
    }
    // The record is written first so an HTML report can show its hash.
    let evidence_hash = match &mut log {
        Some(log) => Some(log_evidence(
            log,
            Record {
                profile_path: &args.profile,
                service: &loaded.profile.service,
                scenarios: a.scenario.iter().map(|s| s.name.clone()).collect(),
                inputs: [
                    Some(FileDigest::of_bytes(
                        args.profile.display().to_string(),
                        &profile_bytes,
                    )),
                    results_digest,
                ]
                .into_iter()
                .chain(baseline.map(|(_, d)| d))
                .flatten()
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
    let results = ingest::read_file(&args.metrics, &name, limit).map_err(|e| {
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
