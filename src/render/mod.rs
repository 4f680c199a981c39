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
mod report_charts;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub const ALL: [Format; 6] = [
        Format::Json,
        Format::Yaml,
        Format::Markdown,
        Format::Text,
        Format::Junit,
        Format::Html,
    ];

    /// The name the command line takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Junit => "junit",
            Format::Html => "html",
        }
    }

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

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown format `{s}`"))
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
    let mut s = pretty::to_string(value)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    s.push('\n');
    s
}

fn yaml<T: Serialize>(value: &T) -> String {
    crate::textdoc::to_yaml(value).unwrap_or_else(|e| format!("error: {e}\n"))
}

/// A rendering that does not apply: a plan has no pass or fail to report as JUnit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a plan renders as json, yaml, markdown, text or html; {0:?} is for judgements")]
pub struct NotForPlans(pub Format);

pub fn plan(p: &Plan, f: Format) -> Result<String, NotForPlans> {
    Ok(match f {
        Format::Json => json(p),
        Format::Yaml => yaml(p),
        Format::Markdown | Format::Text => plan_markdown(p),
        Format::Html => plan_html(p),
        Format::Junit => return Err(NotForPlans(f)),
    })
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

/// A check's interval for tables: `12.1 ms to 14.8 ms`, or `—` without one.
pub(crate) fn interval_text(c: &crate::judge::CheckResult) -> String {
    let Some(i) = &c.interval else {
        return "—".into();
    };
    let side = |v: Option<f64>| {
        v.map_or("unbounded".into(), |v| {
            crate::judge::show_value(&c.metric, v)
        })
    };
    format!("{} to {}", side(i.lo), side(i.hi))
}

/// The run's totals that the results report, in words, and the intervals' confidence.
pub(crate) fn run_facts(a: &crate::judge::Assessment) -> Vec<String> {
    let r = &a.run;
    let mut out = Vec::new();
    if let Some(n) = r.requests {
        out.push(format!("{n} requests"));
    }
    if let Some(f) = r.failures {
        out.push(format!("{f} failed"));
    }
    if let Some(d) = r.duration_s {
        out.push(format!("{} s", num(d)));
    }
    if let Some(t) = r.throughput_rps {
        out.push(format!("{} requests/s", num(t)));
    }
    out.push(format!(
        "intervals at {} % confidence",
        num(a.confidence * 100.0)
    ));
    out
}

/// The run's status codes with their counts, each code wrapped in `quote`; `None` when the
/// results report none.
pub(crate) fn status_code_counts(a: &Assessment, quote: &str) -> Option<String> {
    let codes = &a.run.status_codes;
    (!codes.is_empty()).then(|| {
        codes
            .iter()
            .map(|(c, n)| format!("{quote}{c}{quote} × {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// The plan's objectives in words, latency percentiles first.
pub(crate) fn slo_terms(p: &Plan) -> Vec<String> {
    p.slo
        .latency_ms
        .iter()
        .map(|(k, v)| format!("{} ≤ {} ms", k.key(), num(v)))
        .chain(
            p.slo
                .error_rate
                .map(|e| format!("error rate ≤ {} %", num(e * 100.0))),
        )
        .collect()
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
