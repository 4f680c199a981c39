//! The outbox dashboard (`outbox/index.html`): one self-contained page that shows, for every
//! service, the latest verdict of each scenario, trends of p95, p99, error rate and throughput
//! over its runs with the SLO lines and each run's verdict, and links to its plan, run reports
//! and runner scripts. Built from the same history as `perfassist history`.

use maud::{Markup, html};

use super::history::{figure, percent};
use super::html::{Text, page_styled, table, td, tdn};
use super::num;
use super::svg::{LIMIT_COLOUR, Level};
use super::trend_svg::{TrendPoint, TrendSeries, trend_chart, verdict_colour};
use crate::evidence::Figures;
use crate::evidence::history::{Run, ServiceHistory};
use crate::profile::Slo;

/// Trends show at most this many of a service's newest runs; `perfassist history` lists all.
pub const TREND_RUNS: usize = 200;
/// The runs table shows this many of the newest runs.
pub const TABLE_RUNS: usize = 20;

/// One service as the dashboard shows it. Links are relative to the outbox.
pub struct ServiceView<'a> {
    pub history: &'a ServiceHistory,
    /// The service's SLO from its current profile, for the objective lines.
    pub slo: Option<&'a Slo>,
    /// The profile's peak traffic, drawn as a reference on the throughput trend.
    pub peak_rps: Option<f64>,
    pub plan: Option<String>,
    /// (file name, link) of each runner script.
    pub exports: Vec<(String, String)>,
    /// A link to each run's report, in the order of `history.runs`.
    pub reports: Vec<Option<String>>,
}

pub struct DashboardInput<'a> {
    /// When the page was made (RFC 3339), given by the caller.
    pub updated: &'a str,
    pub services: Vec<ServiceView<'a>>,
}

const STYLE: &str = "body{max-width:1340px}.latest{display:flex;flex-wrap:wrap;gap:6px}\
.latest .badge{font-weight:500}.links a{margin-right:1em}\
details{margin:.4em 0}details a{display:inline-block;margin-right:1em}\
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin:0 4px 0 12px}";

fn badge(verdict: &str, text: &str) -> Markup {
    let class = match verdict {
        "pass" | "warn" | "fail" => verdict,
        _ => "inconclusive",
    };
    html! {
        span class={ "badge " (Text(class)) } data-verdict=(Text(verdict)) { (Text(text)) }
    }
}

fn anchor(service: &str) -> Text<String> {
    Text(format!("svc-{service}"))
}

fn latest_badges(h: &ServiceHistory) -> Markup {
    let latest = h.latest_by_scenario();
    html! {
        @for (i, r) in latest.iter().enumerate() {
            @if i > 0 { " " }
            @let v = r.verdict.as_deref().unwrap_or("none");
            (badge(v, &format!("{}: {v}", r.scenario_label())))
        }
    }
}

/// The plan and runner-script links of a service's overview row. The scripts link to their folder
/// here: a page listing thousands of services must not hold twenty links for each.
fn plan_cell(s: &ServiceView) -> Markup {
    let dir = s
        .exports
        .first()
        .and_then(|(_, first)| first.rsplit_once('/'))
        .map(|(dir, _)| dir);
    if s.plan.is_none() && dir.is_none() {
        return td("—");
    }
    html! {
        td {
            @if let Some(href) = &s.plan {
                a class="plan" href=(Text(href)) { "plan" }
            }
            @if let Some(dir) = dir {
                @if s.plan.is_some() { " · " }
                a class="exports" href={ (Text(dir)) "/" } { "runner scripts" }
            }
        }
    }
}

fn overview(services: &[ServiceView]) -> Markup {
    let rows = services.iter().map(|s| {
        let h = s.history;
        html! {
            @if h.runs.is_empty() {
                (td(&h.service))
            } @else {
                td { a href={ "#" (anchor(&h.service)) } { (Text(&h.service)) } }
            }
            td class="latest-cell" { (latest_badges(h)) }
            (tdn(&h.runs.len().to_string()))
            (td(h.runs.last().map(|r| r.ts.as_str()).unwrap_or("—")))
            (plan_cell(s))
        }
    });
    table(
        &[
            "Service",
            "Latest verdict by scenario",
            "Runs",
            "Last run",
            "Plan and scripts",
        ],
        rows,
    )
}

fn series_by_scenario(
    runs: &[(usize, &Run)],
    value: impl Fn(&Figures) -> Option<f64>,
    show: impl Fn(f64) -> String,
) -> Vec<TrendSeries> {
    let mut out: Vec<TrendSeries> = Vec::new();
    for (n, r) in runs {
        let Some(v) = r.figures.as_ref().and_then(&value) else {
            continue;
        };
        let name = r.scenario_label();
        let verdict = r.verdict.clone().unwrap_or_else(|| "none".into());
        let point = TrendPoint {
            run: *n,
            value: v,
            label: format!("run {n} ({name}, {}): {verdict}, {}", r.ts, show(v)),
            verdict,
        };
        match out.iter_mut().find(|s| s.name == name) {
            Some(s) => s.points.push(point),
            None => out.push(TrendSeries {
                name: name.to_string(),
                points: vec![point],
            }),
        }
    }
    out
}

fn slo_level(name: &str, y: Option<f64>, colour: &'static str) -> Vec<Level> {
    y.map(|y| Level {
        name: name.replace("{}", &num(y)),
        y,
        colour,
    })
    .into_iter()
    .collect()
}

fn trends(s: &ServiceView) -> Markup {
    let h = s.history;
    let from = h.runs.len().saturating_sub(TREND_RUNS);
    let runs: Vec<(usize, &Run)> = h
        .runs
        .iter()
        .enumerate()
        .skip(from)
        .map(|(i, r)| (i + 1, r))
        .collect();
    let slo = s.slo;
    let ms = |v: f64| format!("{} ms", num(v));
    let charts = [
        (
            "p95",
            "p95 latency per run",
            "ms",
            series_by_scenario(&runs, |f| f.p95_ms, ms),
            slo_level(
                "SLO p95 {} ms",
                slo.and_then(|s| s.latency_ms.p95),
                LIMIT_COLOUR,
            ),
        ),
        (
            "p99",
            "p99 latency per run",
            "ms",
            series_by_scenario(&runs, |f| f.p99_ms, ms),
            slo_level(
                "SLO p99 {} ms",
                slo.and_then(|s| s.latency_ms.p99),
                LIMIT_COLOUR,
            ),
        ),
        (
            "errors",
            "Error rate per run",
            "% of requests",
            series_by_scenario(
                &runs,
                |f| f.error_rate.map(|e| e * 100.0),
                |v| format!("{} %", num(v)),
            ),
            slo_level(
                "SLO {} %",
                slo.and_then(|s| s.error_rate).map(|e| e * 100.0),
                LIMIT_COLOUR,
            ),
        ),
        (
            "throughput",
            "Throughput per run",
            "requests/s",
            series_by_scenario(
                &runs,
                |f| f.throughput_rps,
                |v| format!("{} requests/s", num(v)),
            ),
            slo_level("profile peak {} requests/s", s.peak_rps, "#6c757d"),
        ),
    ];
    html! {
        div.charts {
            "\n"
            @for (id, title, unit, series, levels) in &charts {
                @if series.is_empty() {
                    p class="no-trend" { (Text(title)) ": not reported by any run." }
                } @else {
                    (trend_chart(&format!("trend-{id}-{}", h.service), title, unit, series, levels))
                }
                "\n"
            }
        }
        "\n"
        @if from > 0 {
            p {
                "Trends show the newest " (TREND_RUNS) " of " (h.runs.len()) " runs; "
                code { "perfassist history --service " (Text(&h.service)) } " lists them all."
            }
            "\n"
        }
    }
}

fn runs_table(s: &ServiceView) -> Markup {
    let h = s.history;
    let none = Figures::default();
    let rows = h
        .runs
        .iter()
        .enumerate()
        .rev()
        .take(TABLE_RUNS)
        .map(|(i, r)| {
            let f = r.figures.as_ref().unwrap_or(&none);
            let v = r.verdict.as_deref().unwrap_or("none");
            let name = r.results.path.rsplit('/').next().unwrap_or(&r.results.path);
            html! {
                (tdn(&(i + 1).to_string()))
                (td(&r.ts))
                (td(r.scenario_label()))
                td { (badge(v, v)) }
                (tdn(&f.requests.map(|n| n.to_string()).unwrap_or("—".into())))
                (tdn(&percent(f.error_rate)))
                (tdn(&figure(f.throughput_rps)))
                (tdn(&figure(f.p50_ms)))
                (tdn(&figure(f.p95_ms)))
                (tdn(&figure(f.p99_ms)))
                @match s.reports.get(i).and_then(|l| l.as_ref()) {
                    Some(href) => td { a class="report" href=(Text(href)) { (Text(name)) } },
                    None => (td(name)),
                }
                td { code title=(Text(&r.hash)) { (Text(r.hash.get(..12).unwrap_or(&r.hash))) } }
            }
        });
    table(
        &[
            "#",
            "Time",
            "Scenario",
            "Verdict",
            "Requests",
            "Errors",
            "Requests/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "Report",
            "Evidence record",
        ],
        rows,
    )
}

fn service_section(s: &ServiceView) -> Markup {
    let h = s.history;
    html! {
        section class="service" id=(anchor(&h.service)) data-service=(Text(&h.service)) {
            "\n"
            h2 { (Text(&h.service)) } "\n"
            p class="links" {
                @if let Some(href) = &s.plan {
                    a class="plan" href=(Text(href)) { "Plan" }
                }
                (h.runs.len()) " run(s)"
            }
            "\n"
            @if !s.exports.is_empty() {
                details class="exports" {
                    summary { "Runner scripts (" (s.exports.len()) ")" }
                    @for (name, href) in &s.exports {
                        a href=(Text(href)) { (Text(name)) }
                    }
                }
                "\n"
            }
            div class="latest" { (latest_badges(h)) } "\n"
            (trends(s))
            (runs_table(s))
        }
        "\n"
    }
}

pub fn dashboard_html(input: &DashboardInput) -> String {
    let runs: usize = input.services.iter().map(|s| s.history.runs.len()).sum();
    let body = html! {
        h1 { "perfassist dashboard" } "\n"
        p {
            (input.services.len()) " service(s), " (runs) " run(s); updated " (Text(input.updated))
            ". Built from the evidence log, like " code { "perfassist history" } "."
        }
        "\n"
        @if input.services.is_empty() {
            p { "Nothing processed yet: drop a profile into the inbox." } "\n"
        } @else {
            (overview(&input.services))
            p class="key" {
                "Dots mark each run's verdict:"
                @for v in ["pass", "warn", "fail", "inconclusive"] {
                    span class="dot" style={ "background:" (verdict_colour(v)) } {} (v)
                }
                "; dashed red lines are the SLO."
            }
            "\n"
            // Services without runs are the overview's rows alone, which keeps the page small
            // when thousands of profiles arrive at once.
            @for s in input.services.iter().filter(|s| !s.history.runs.is_empty()) {
                (service_section(s))
            }
        }
        footer {
            "Generated by perfassist. Every verdict links to its evidence record by hash; "
            code { "perfassist evidence verify" } " checks the chain."
        }
        "\n"
    };
    page_styled("perfassist dashboard", STYLE, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::history::Run;
    use crate::evidence::{FileDigest, Outcome};

    #[test]
    fn names_from_the_log_cannot_add_markup() {
        let evil = "<img src=x onerror=alert(1)>\"'&";
        let h = ServiceHistory {
            service: evil.into(),
            plan: None,
            runs: vec![Run {
                ts: evil.into(),
                scenario: Some(evil.into()),
                verdict: Some(evil.into()),
                outcome: Outcome::InterpretationGenerated,
                results: FileDigest {
                    path: format!("in/{evil}"),
                    sha256: String::new(),
                },
                figures: None,
                failed_checks: Vec::new(),
                outputs: Vec::new(),
                seq: 1,
                hash: evil.into(),
                judgements: 1,
            }],
        };
        let page = dashboard_html(&DashboardInput {
            updated: evil,
            services: vec![ServiceView {
                history: &h,
                slo: None,
                peak_rps: None,
                plan: Some(evil.into()),
                exports: vec![(evil.into(), format!("{evil}/exports/{evil}"))],
                reports: vec![Some(evil.into())],
            }],
        });
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("=\"x\" onerror"));
        let escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;";
        assert!(page.contains(&format!("<h2>{escaped}</h2>")));
        assert!(page.contains(&format!("id=\"svc-{escaped}\"")));
        assert!(page.contains(&format!(
            "class=\"badge inconclusive\" data-verdict=\"{escaped}\""
        )));
    }
}
