//! Renderings of plans and assessments for people (Markdown, text, HTML with inline SVG charts)
//! and tools (JSON, YAML, JUnit XML). Every renderer is a pure function from values to a string.

mod assessment_md;
mod dashboard;
mod history;
mod html;
mod junit;
mod plan_html;
mod plan_md;
mod pretty;
mod report_html;
mod svg;
mod trend_svg;

use serde::Serialize;

use crate::judge::Assessment;
use crate::plan::Plan;
use crate::results::RunResults;

pub use assessment_md::{assessment_markdown, assessment_text};
pub use dashboard::{DashboardInput, ServiceView, dashboard_html};
pub use history::{history_markdown, history_text};
pub use junit::assessment_junit;
pub use plan_html::plan_html;
pub use plan_md::plan_markdown;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Yaml,
    Markdown,
    Text,
    /// JUnit XML, for assessments only (each check a test case).
    Junit,
    /// A self-contained HTML page with inline SVG charts.
    Html,
}

impl Format {
    /// The file extension the daemon's outbox uses for this rendering.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Markdown => "md",
            Format::Text => "txt",
            Format::Junit => "junit.xml",
            Format::Html => "html",
        }
    }

    /// Whether a plan can be rendered this way (JUnit is for judgements).
    pub fn fits_plan(self) -> bool {
        self != Format::Junit
    }
}

/// Everything an assessment report can show. Only the assessment is needed for JSON, YAML,
/// Markdown, text and JUnit; HTML charts the results' numbers and time series and, with a plan,
/// the planned load shapes, and prints the evidence record's hash so a reader can find it in the
/// log.
pub struct ReportInput<'a> {
    pub assessment: &'a Assessment,
    pub results: &'a RunResults,
    pub plan: Option<&'a Plan>,
    pub evidence_hash: Option<&'a str>,
}

/// An assessment report in any format, e.g. for the outbox's `runs/<run>.{json,md,junit.xml,html}`.
pub fn assessment_report(input: &ReportInput, f: Format) -> String {
    match f {
        Format::Html => report_html::report_html(input),
        other => assessment(input.assessment, other),
    }
}

/// Pretty JSON with a trailing newline, the form written to files and stdout.
pub fn json<T: Serialize>(value: &T) -> String {
    // Our own types serialise without fail (no maps with non-string keys, no custom impls).
    let mut s = pretty::to_string(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

fn yaml<T: Serialize>(value: &T) -> String {
    crate::textdoc::to_yaml(value).unwrap_or_else(|e| format!("error: {e}\n"))
}

pub fn plan(p: &Plan, f: Format) -> String {
    match f {
        Format::Json => json(p),
        Format::Yaml => yaml(p),
        Format::Markdown | Format::Text => plan_markdown(p),
        Format::Html => plan_html(p),
        // A plan has no pass or fail to report; callers refuse JUnit for plans (`fits_plan`),
        // and a plan asked for anyway is shown as the Markdown a person can read.
        Format::Junit => plan_markdown(p),
    }
}

pub fn assessment(a: &Assessment, f: Format) -> String {
    match f {
        Format::Json => json(a),
        Format::Yaml => yaml(a),
        Format::Markdown => assessment_markdown(a),
        Format::Text => assessment_text(a),
        Format::Junit => assessment_junit(a),
        // Without the results there are no numbers to chart: the HTML holds the verdict, story
        // and tables. Use `assessment_report` to get the charts.
        Format::Html => report_html::report_html(&ReportInput {
            assessment: a,
            results: &RunResults::new(&a.results_format),
            plan: None,
            evidence_hash: None,
        }),
    }
}

/// A number without a trailing `.0`.
pub(crate) fn num(v: f64) -> String {
    let r = crate::units::round(v, 3);
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}
