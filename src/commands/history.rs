//! `perfassist history`: every run of each service, read from the evidence log, as text,
//! Markdown or JSON.

use std::io::Write;

use crate::cli::{HistoryArgs, HistoryFormat};
use crate::commands::Failure;
use perfassist::evidence::history::{self, WHOLE_PROFILE};
use perfassist::evidence::{EvidenceError, Layout};
use perfassist::{exit, render};

pub fn run(args: &HistoryArgs) -> Result<i32, Failure> {
    let read = Layout::discover(&args.log.path).and_then(|l| history::read(&l));
    let (h, problems) = match read {
        Ok(r) => r,
        Err(e @ EvidenceError::Io { .. }) => return Err(Failure::Internal(e.to_string())),
        Err(e) => {
            eprintln!("error: {e}");
            return Err(Failure::BadInput);
        }
    };
    if let Some(want) = &args.service
        && h.service(want).is_none()
    {
        let known: Vec<&str> = h.services().map(|s| s.service.as_str()).collect();
        eprintln!(
            "error: --service {want:?}: no records of this service in the log; {}",
            if known.is_empty() {
                "the log names no service".to_string()
            } else {
                format!("services in the log: {}", known.join(", "))
            }
        );
        return Err(Failure::BadInput);
    }
    let report = history::select(&h, args.service.as_deref(), args.scenario.as_deref());
    let text = match args.format {
        HistoryFormat::Text => render::history_text(&report),
        HistoryFormat::Markdown => render::history_markdown(&report),
        HistoryFormat::Json => render::json(&report),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Failure::Internal(format!(
            "cannot write to standard output: {e}"
        )));
    }
    for p in &problems {
        eprintln!("{p}");
    }
    if args.scenario.as_deref() == Some("") {
        eprintln!("note: --scenario \"\" matches nothing; use --scenario {WHOLE_PROFILE}");
    }
    Ok(if problems.is_empty() {
        exit::OK
    } else {
        exit::SLO_FAILED
    })
}
