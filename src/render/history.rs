//! `perfassist history` for people: per service, the latest verdict of each scenario, then every
//! run with its verdict, key figures and record hash, as a text table or as Markdown.

use std::fmt::Write;

use super::num;
use crate::evidence::Figures;
use crate::evidence::history::{Report, Run, ServiceReport, WHOLE_PROFILE};

/// A figure for a table cell; "—" when the run did not report it.
pub(crate) fn figure(v: Option<f64>) -> String {
    v.map(num).unwrap_or_else(|| "—".into())
}

/// An error rate (a share) as a percentage.
pub(crate) fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{} %", num(v * 100.0)))
        .unwrap_or_else(|| "—".into())
}

fn count(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
}

struct Cells {
    requests: String,
    error_rate: String,
    rps: String,
    p50: String,
    p95: String,
    p99: String,
}

fn cells(f: Option<&Figures>) -> Cells {
    let d = Figures::default();
    let f = f.unwrap_or(&d);
    Cells {
        requests: count(f.requests),
        error_rate: percent(f.error_rate),
        rps: figure(f.throughput_rps),
        p50: figure(f.p50_ms),
        p95: figure(f.p95_ms),
        p99: figure(f.p99_ms),
    }
}

fn latest_line(s: &ServiceReport) -> String {
    s.latest
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l.scenario.unwrap_or(WHOLE_PROFILE),
                l.verdict.unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn verdict(r: &Run) -> &str {
    r.verdict.as_deref().unwrap_or("-")
}

pub fn history_text(report: &Report) -> String {
    let mut out = String::new();
    if report.services.is_empty() {
        out.push_str("no runs recorded\n");
        return out;
    }
    for s in &report.services {
        let _ = writeln!(
            out,
            "{}: {} run(s){}",
            s.service,
            s.runs.len(),
            if s.latest.is_empty() {
                String::new()
            } else {
                format!("; latest: {}", latest_line(s))
            }
        );
        if let Some(p) = s.plan {
            let _ = writeln!(out, "  plan: record {} from {}", p.seq, p.profile);
        }
        if s.runs.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:>6}  {:<24}  {:<14}  {:<12}  {:>9}  {:>9}  {:>8}  {:>8}  {:>8}  {:>8}  RECORD",
            "SEQ",
            "TIME",
            "SCENARIO",
            "VERDICT",
            "REQUESTS",
            "ERRORS",
            "RPS",
            "P50 MS",
            "P95 MS",
            "P99 MS"
        );
        for r in &s.runs {
            let c = cells(r.figures.as_ref());
            let _ = writeln!(
                out,
                "  {:>6}  {:<24}  {:<14}  {:<12}  {:>9}  {:>9}  {:>8}  {:>8}  {:>8}  {:>8}  {}",
                r.seq,
                r.ts,
                r.scenario_label(),
                verdict(r),
                c.requests,
                c.error_rate,
                c.rps,
                c.p50,
                c.p95,
                c.p99,
                r.hash
            );
        }
    }
    out
}

/// Markdown text in cells: pipes and line breaks would end the cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub fn history_markdown(report: &Report) -> String {
    let mut out = String::from("# Run history\n");
    if report.services.is_empty() {
        out.push_str("\nNo runs recorded.\n");
        return out;
    }
    for s in &report.services {
        let _ = writeln!(out, "\n## {}\n", md(s.service));
        if !s.latest.is_empty() {
            let _ = writeln!(out, "Latest: {}\n", md(&latest_line(s)));
        }
        if s.runs.is_empty() {
            out.push_str("No runs recorded.\n");
            continue;
        }
        out.push_str(
            "| seq | time | scenario | verdict | requests | errors | rps | p50 ms | p95 ms | p99 ms | record |\n\
             |---:|---|---|---|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for r in &s.runs {
            let c = cells(r.figures.as_ref());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | `{}` |",
                r.seq,
                md(&r.ts),
                md(r.scenario_label()),
                md(verdict(r)),
                c.requests,
                c.error_rate,
                c.rps,
                c.p50,
                c.p95,
                c.p99,
                md(&r.hash)
            );
        }
    }
    out
}
