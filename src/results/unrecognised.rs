//! The answer for a file no reader recognises: "not a results format perfassist reads", what the
//! file looks like when that can be told (another output of a known tool, an HTML page, a
//! report cut short), what to give instead, and the formats that are read. No reader's own
//! complaint is shown for a file that reader was never meant for.

use super::model::ResultsError;
use super::{sniff_quick, summary};
use crate::diag::Diagnostic;

/// Every format `results::read` reads, for messages.
pub const READ_FORMATS: &str = "perfassist reads: a metrics summary (JSON or CSV with p95_ms, error_rate, ...); \
     JMeter JTL (CSV or XML) and its dashboard statistics.json; k6 --summary-export or handleSummary JSON, \
     --out json and --out csv; Locust --csv and --json-file; Gatling js/stats.js, js/stats.json, \
     js/global_stats.json and the text simulation.log (before 3.13); Artillery --output JSON; \
     vegeta report -type=json; hey's text report and -o csv; wrk's text report; ApacheBench's text \
     report, -e CSV and -g TSV; Taurus final-stats dump-xml and dump-csv";

/// The refusal for `text` when no reader should have it: it looks like something perfassist
/// does not read, or it is not shaped like the prototype's summary either. `None` leaves it to
/// the summary reader, whose complaints then concern a file meant for it.
pub fn refusal(name: &str, text: &str) -> Option<ResultsError> {
    (looks_like(text).is_some() || !is_summary_shaped(name, text)).then(|| refuse(name, text))
}

/// The refusal for `text`, with what it looks like when that can be told.
pub fn refuse(name: &str, text: &str) -> ResultsError {
    let (message, hint) = match looks_like(text) {
        Some((what, advice)) => (
            format!("not a results format perfassist reads: this looks like {what}"),
            format!("{advice}. {READ_FORMATS}"),
        ),
        None => (
            "not a results format perfassist reads".to_string(),
            READ_FORMATS.to_string(),
        ),
    };
    ResultsError::one(name, Diagnostic::error("", message).hint(hint))
}

/// Whether the prototype's summary reader could have `text`: JSON (whose syntax errors it
/// reports), or a CSV whose header names a summary metric (`p95_ms`, `error_rate`, ...) or is the
/// two-column `metric,value` form. Anything else is not a summary, whatever it is.
fn is_summary_shaped(name: &str, text: &str) -> bool {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{')
        || body.starts_with('[')
        || name.to_ascii_lowercase().ends_with(".json")
    {
        return true;
    }
    let header = body.lines().next().unwrap_or("");
    let cells: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let long = cells.len() == 2 && matches!(cells[0].as_str(), "metric" | "name" | "key");
    long || cells.iter().any(|c| summary::is_metric_key(c))
}

/// What `text` looks like, and what to give perfassist instead.
fn looks_like(text: &str) -> Option<(&'static str, &'static str)> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let head = &body[..floor_boundary(body, 8192)];
    let lower = head.to_ascii_lowercase();
    let has = |s: &str| head.contains(s);
    let line_starts = |s: &str| head.lines().any(|l| l.trim_start().starts_with(s));
    if has("This is ApacheBench") && lower.contains("<table") {
        return Some((
            "ApacheBench's HTML output (ab -w)",
            "run ab without -w and give perfassist its text report, or add -e FILE or -g FILE",
        ));
    }
    for tool in ["hey", "wrk", "ab"] {
        if line_starts(&format!("Usage: {tool} ")) {
            return Some((
                match tool {
                    "hey" => "hey's usage message",
                    "wrk" => "wrk's usage message",
                    _ => "ApacheBench's usage message",
                },
                "the tool did not run: check its arguments, then give perfassist the report it prints",
            ));
        }
    }
    if has("This is ApacheBench") {
        return Some((
            "ApacheBench's output without its report",
            "ab stopped before the end of its run (see the error it printed, such as apr_socket_recv or \"Test aborted after 10 failures\"); give perfassist the report of a run that finished",
        ));
    }
    if sniff_quick::wrk_banner(head.as_bytes()) {
        return Some((
            "the start of wrk's text report, cut before its summary",
            "wrk prints its summary when the run ends: keep its whole output, and run it with --latency for percentiles",
        ));
    }
    if lower.starts_with("<!doctype html") || lower.contains("<html") {
        return Some((
            "an HTML page, such as a runner's HTML report",
            "give perfassist the data file the runner wrote beside its report: Gatling's js/stats.js, JMeter's statistics.json, k6's --summary-export JSON or Artillery's --output JSON",
        ));
    }
    if lower.contains("<testsuite") {
        return Some((
            "a JUnit XML report (such as Taurus' junit-xml)",
            "JUnit reports carry pass or fail, not measurements: give perfassist the runner's results file",
        ));
    }
    if body.starts_with('<') {
        return Some((
            "an XML document without <testResults> or <FinalStatus>, so neither a JMeter JTL nor a Taurus final-stats dump",
            "give perfassist a JTL with <testResults>, or Taurus final-stats dump-xml",
        ));
    }
    if has("http_req_duration") && (has("....:") || has("...:")) {
        return Some((
            "k6's end-of-test text summary",
            "give perfassist what k6 writes to a file: --summary-export=FILE, a handleSummary JSON, --out json=FILE or --out csv=FILE",
        ));
    }
    if has("---- Global Information") {
        return Some((
            "Gatling's console summary",
            "give perfassist the report's js/stats.js (js/stats.json up to 3.13.4) or, before 3.13, its simulation.log",
        ));
    }
    if head
        .lines()
        .any(|l| l.contains("# reqs") && l.contains("# fails"))
    {
        return Some((
            "Locust's console statistics",
            "run Locust with --csv PREFIX (give perfassist PREFIX_stats.csv) or --json-file FILE",
        ));
    }
    if has("Requests      [total, rate, throughput]") {
        return Some(("vegeta's text report", "run vegeta report -type=json"));
    }
    if has("Samples count:") && has("Average times:") {
        return Some((
            "Taurus' console summary",
            "add dump-xml or dump-csv to Taurus' final-stats reporter, or give perfassist its kpi.jtl",
        ));
    }
    None
}

fn floor_boundary(s: &str, max: usize) -> usize {
    let mut i = max.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        let e = refuse("f", text);
        format!(
            "{} | {}",
            e.diagnostics[0].message,
            e.diagnostics[0].hint.as_deref().unwrap_or("")
        )
    }

    #[test]
    fn tells_what_a_file_looks_like() {
        assert!(
            message("Running 10s test @ http://127.0.0.1:8080/\n  2 threads and 10 connections\n")
                .contains("wrk's text report, cut before its summary")
        );
        assert!(
            message("<!DOCTYPE html>\n<html><body>report</body></html>").contains("an HTML page")
        );
        assert!(message("Just some words\nand more\n").ends_with(READ_FORMATS));
        assert!(!message("Just some words").contains("looks like"));
    }

    #[test]
    fn summary_shaped_means_json_or_a_metric_header() {
        assert!(is_summary_shaped("m.csv", "p95_ms,error_rate\n1,0\n"));
        assert!(is_summary_shaped("m.csv", "metric,value\np95_ms,3\n"));
        assert!(is_summary_shaped("m.txt", "{\"p95\": 1"));
        assert!(!is_summary_shaped("m.csv", "city,age\nbob,3\n"));
        assert!(!is_summary_shaped("m.txt", "Summary:\n  Total:\t1 secs\n"));
    }
}
