//! Renderings of plans and assessments for people (Markdown, text) and tools (JSON, YAML).
//! Every renderer is a pure function from a value to a string.

mod assessment_md;
mod plan_md;

use serde::Serialize;

use crate::judge::Assessment;
use crate::plan::Plan;

pub use assessment_md::{assessment_markdown, assessment_text};
pub use plan_md::plan_markdown;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Yaml,
    Markdown,
    Text,
}

/// Pretty JSON with a trailing newline, the form written to files and stdout.
pub fn json<T: Serialize>(value: &T) -> String {
    // Our own types serialise without fail (no maps with non-string keys, no custom impls).
    let mut s =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
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
    }
}

pub fn assessment(a: &Assessment, f: Format) -> String {
    match f {
        Format::Json => json(a),
        Format::Yaml => yaml(a),
        Format::Markdown => assessment_markdown(a),
        Format::Text => assessment_text(a),
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
