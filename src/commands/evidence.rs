//! `perfassist evidence verify|show`: check the evidence log's chain, or print its records as a
//! table for people or JSON lines for tools.

use std::io::Write;

use crate::cli::{EvidenceCommand, EvidenceShowArgs, EvidenceVerifyArgs};
use crate::commands::Failure;
use perfassist::evidence::show::{self, Filter};
use perfassist::evidence::verify;
use perfassist::evidence::{EvidenceError, Layout, Outcome, read_key};
use perfassist::exit;

/// At most this many problems are printed; the count of the rest follows.
const MAX_PROBLEMS: usize = 50;

pub fn run(cmd: &EvidenceCommand) -> Result<i32, Failure> {
    match cmd {
        EvidenceCommand::Verify(a) => verify_log(a),
        EvidenceCommand::Show(a) => show_log(a),
    }
}

fn input_error(e: EvidenceError) -> Failure {
    match e {
        EvidenceError::Io { .. } => Failure::Internal(e.to_string()),
        _ => {
            eprintln!("error: {e}");
            Failure::BadInput
        }
    }
}

fn verify_log(args: &EvidenceVerifyArgs) -> Result<i32, Failure> {
    let key = args
        .evidence_key
        .as_deref()
        .map(read_key)
        .transpose()
        .map_err(input_error)?;
    let layout = Layout::discover(&args.log.path).map_err(input_error)?;
    let report = verify::verify(&layout, key).map_err(input_error)?;
    let active = layout.active();
    for w in &report.warnings {
        match w.line {
            Some(l) => println!("{}:{l}: warning: {}", w.file.display(), w.message),
            None => println!("{}: warning: {}", w.file.display(), w.message),
        }
    }
    if !report.ok() {
        for p in report.problems.iter().take(MAX_PROBLEMS) {
            println!("{p}");
        }
        if report.problems.len() > MAX_PROBLEMS {
            println!(
                "… and {} more problem(s)",
                report.problems.len() - MAX_PROBLEMS
            );
        }
        println!(
            "{}: FAILED: {} problem(s) in {} record(s) across {} file(s)",
            active.display(),
            report.problems.len(),
            report.records,
            report.files
        );
        return Ok(exit::SLO_FAILED);
    }
    let range = match (report.first_seq, report.last_seq) {
        (Some(a), Some(b)) => format!(" (seq {a}..{b})"),
        _ => String::new(),
    };
    let anchored = match &report.anchor {
        Some(a) if report.first_seq.is_some_and(|f| f > 1) => format!(
            "; records before seq {} were removed by retention, the chain is proven from there",
            a.first_seq
        ),
        _ => String::new(),
    };
    let sealed = if report.keyed { ", HMAC-keyed" } else { "" };
    let warned = match report.warnings.len() {
        0 => String::new(),
        n => format!(" ({n} warning(s) above)"),
    };
    println!(
        "{}: OK: {} record(s){range} in {} file(s){sealed}, head {}{anchored}{warned}",
        active.display(),
        report.records,
        report.files,
        report.head_hash.as_deref().unwrap_or("(empty log)"),
    );
    Ok(exit::OK)
}

fn show_log(args: &EvidenceShowArgs) -> Result<i32, Failure> {
    let outcome = match &args.outcome {
        None => None,
        Some(label) => Some(Outcome::from_label(label).ok_or_else(|| {
            let valid: Vec<_> = Outcome::ALL.iter().map(|o| o.label()).collect();
            eprintln!(
                "error: --outcome {label:?} is not an outcome; use one of: {}",
                valid.join(", ")
            );
            Failure::BadInput
        })?),
    };
    let since = args
        .since
        .as_deref()
        .map(show::parse_since)
        .transpose()
        .map_err(|e| {
            eprintln!("error: --since {e}");
            Failure::BadInput
        })?;
    let filter = Filter {
        service: args.service.clone(),
        outcome,
        since,
    };
    let layout = Layout::discover(&args.log.path).map_err(input_error)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write_failed = None;
    if !args.json {
        let _ = writeln!(
            out,
            "{:>8}  {:<24}  {:<33}  {:<16}  {:<12}  DETAIL",
            "SEQ", "TIME", "OUTCOME", "SERVICE", "VERDICT"
        );
    }
    let problems = show::show(&layout, &filter, |record, line| {
        if write_failed.is_some() {
            return;
        }
        let written = if args.json {
            out.write_all(line).and_then(|_| out.write_all(b"\n"))
        } else {
            let detail = if record.failed_checks.is_empty() {
                record.detail.clone().unwrap_or_default()
            } else {
                format!("failed: {}", record.failed_checks.join(", "))
            };
            let row = format!(
                "{:>8}  {:<24}  {:<33}  {:<16}  {:<12}  {}",
                record.seq,
                record.ts,
                record.outcome.label(),
                if record.service.is_empty() {
                    "-"
                } else {
                    &record.service
                },
                record.verdict.as_deref().unwrap_or("-"),
                detail
            );
            writeln!(out, "{}", row.trim_end())
        };
        if let Err(e) = written {
            write_failed = Some(e);
        }
    })
    .map_err(input_error)?;
    if let Some(e) = write_failed.or_else(|| out.flush().err())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Failure::Internal(format!(
            "cannot write to standard output: {e}"
        )));
    }
    for p in &problems {
        eprintln!("{p}");
    }
    Ok(if problems.is_empty() {
        exit::OK
    } else {
        exit::SLO_FAILED
    })
}
