//! `watch` and `status`: resolve the daemon's settings, set up its logging, run it.

use tracing_appender::non_blocking::WorkerGuard;

use super::Failure;
use crate::cli::{StatusArgs, WatchArgs};
use perfassist::daemon::settings::{self, LogFormat, Overrides};
use perfassist::daemon::{self, status};
use perfassist::exit;

pub fn watch(args: &WatchArgs) -> Result<i32, Failure> {
    let overrides = Overrides {
        inbox: args.inbox.clone(),
        outbox: args.outbox.clone(),
        evidence: args.evidence.clone(),
        state: args.state.clone(),
        settle: args.settle.clone(),
        poll: args.poll.clone(),
        max_input_bytes: args.max_input_bytes,
        max_profile_bytes: args.max_profile_bytes,
        max_document_bytes: args.max_document_bytes,
        allow_hard_links: args.allow_hard_links,
        log_format: args.log_format.clone(),
        log_dir: args.log_dir.clone(),
        warn_band: args.warn_band,
        evidence_max_bytes: args.evidence_max_bytes,
        evidence_key: args.evidence_key.clone(),
        evidence_daily: args.evidence_daily,
        evidence_keep_files: args.evidence_keep_files,
        evidence_keep_days: args.evidence_keep_days,
        outputs: args.outputs.clone(),
        metrics_listen: args.metrics_listen.clone(),
    };
    let s = match settings::resolve(overrides, args.config.as_deref()) {
        Ok(s) => s,
        Err(diags) => {
            for d in diags {
                eprintln!("{d}");
            }
            return Err(Failure::BadInput);
        }
    };
    let _guard = init_logging(s.log_format, s.log_dir.as_deref());
    Ok(daemon::run(s, args.once))
}

/// Logs go to stderr (journald reads it under systemd), and also to daily files with --log-dir.
fn init_logging(format: LogFormat, dir: Option<&std::path::Path>) -> Option<WorkerGuard> {
    use tracing_subscriber::prelude::*;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("PERFASSIST_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
    };
    // journald stamps each line itself.
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let (file_writer, guard) = match dir {
        Some(d) => {
            let appender = tracing_appender::rolling::daily(d, "perfassist.log");
            let (w, g) = tracing_appender::non_blocking(appender);
            (Some(w), Some(g))
        }
        None => (None, None),
    };
    let json = format == LogFormat::Json;
    use std::io::IsTerminal;
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let registry = tracing_subscriber::registry().with(filter());
    let result = match (json, under_journald) {
        (true, _) => registry
            .with(stderr_layer.json())
            .with(file_writer.map(|w| tracing_subscriber::fmt::layer().json().with_writer(w)))
            .try_init(),
        (false, true) => registry
            .with(stderr_layer.without_time())
            .with(file_writer.map(|w| {
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(w)
            }))
            .try_init(),
        (false, false) => registry
            .with(stderr_layer)
            .with(file_writer.map(|w| {
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(w)
            }))
            .try_init(),
    };
    if let Err(e) = result {
        eprintln!("warning: logging not set up: {e}");
    }
    guard
}

pub fn status(args: &StatusArgs) -> Result<i32, Failure> {
    let (text, report) = status::read(&args.outbox).map_err(|e| {
        eprintln!("error: {e}");
        Failure::BadInput
    })?;
    if args.json {
        print!("{text}");
    } else {
        print!("{}", status::render_text(&report));
    }
    Ok(exit::OK)
}
