//! The outbox dashboard (`outbox/index.html`): one self-contained page that shows, for every
//! service, the latest verdict of each scenario, trends of p95, p99, error rate and throughput
//! over its runs with the SLO lines and each run's verdict, and links to its plan, run reports
//! and runner scripts. Built from the same history as `perfassist history`.

use std::fmt::Write;

use super::history::{figure, percent};
use super::html::{esc, page_styled, table, td, tdn};
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

fn badge(verdict: &str, text: &str) -> String {
    let class = match verdict {
        "pass" | "warn" | "fail" => verdict,
        _ => "inconclusive",
    };
    format!(
        "<span class=\"badge {class}\" data-verdict=\"{}\">{}</span>",
        esc(verdict),
        esc(text)
    )
}

fn anchor(service: &str) -> String {
    format!("svc-{}", esc(service))
}

fn latest_badges(h: &ServiceHistory) -> String {
    h.latest_by_scenario()
        .iter()
        .map(|r| {
            let v = r.verdict.as_deref().unwrap_or("none");
            badge(v, &format!("{}: {v}", r.scenario_label()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The plan and runner-script links of a service's overview row. The scripts link to their folder
/// here: a page listing thousands of services must not hold twenty links for each.
fn plan_cell(s: &ServiceView) -> String {
    let mut links = Vec::new();
    if let Some(href) = &s.plan {
        links.push(format!("<a class=\"plan\" href=\"{}\">plan</a>", esc(href)));
    }
    if let Some((_, first)) = s.exports.first()
        && let Some((dir, _)) = first.rsplit_once('/')
    {
        links.push(format!(
            "<a class=\"exports\" href=\"{}/\">runner scripts</a>",
            esc(dir)
        ));
    }
    if links.is_empty() {
        return td("—");
    }
    format!("<td>{}</td>", links.join(" · "))
}

fn overview(b: &mut String, services: &[ServiceView]) {
    let rows: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            let h = s.history;
            vec![
                if h.runs.is_empty() {
                    td(&h.service)
                } else {
                    format!(
                        "<td><a href=\"#{}\">{}</a></td>",
                        anchor(&h.service),
                        esc(&h.service)
                    )
                },
                format!("<td class=\"latest-cell\">{}</td>", latest_badges(h)),
                tdn(&h.runs.len().to_string()),
                td(h.runs.last().map(|r| r.ts.as_str()).unwrap_or("—")),
                plan_cell(s),
            ]
        })
        .collect();
    table(
        b,
        &[
            "Service",
            "Latest verdict by scenario",
            "Runs",
            "Last run",
            "Plan and scripts",
        ],
        &rows,
    );
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

fn trends(b: &mut String, s: &ServiceView) {
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
    b.push_str("<div class=\"charts\">\n");
    for (id, title, unit, series, levels) in charts {
        if series.is_empty() {
            let _ = writeln!(
                b,
                "<p class=\"no-trend\">{}: not reported by any run.</p>",
                esc(title)
            );
            continue;
        }
        let _ = writeln!(
            b,
            "{}",
            trend_chart(
                &format!("trend-{id}-{}", h.service),
                title,
                unit,
                &series,
                &levels
            )
        );
    }
    b.push_str("</div>\n");
    if from > 0 {
        let _ = writeln!(
            b,
            "<p>Trends show the newest {TREND_RUNS} of {} runs; <code>perfassist history --service {}</code> lists them all.</p>",
            h.runs.len(),
            esc(&h.service)
        );
    }
}

fn runs_table(b: &mut String, s: &ServiceView) {
    let h = s.history;
    let none = Figures::default();
    let rows: Vec<Vec<String>> = h
        .runs
        .iter()
        .enumerate()
        .rev()
        .take(TABLE_RUNS)
        .map(|(i, r)| {
            let f = r.figures.as_ref().unwrap_or(&none);
            let v = r.verdict.as_deref().unwrap_or("none");
            let name = r
                .results
                .path
                .rsplit('/')
                .next()
                .unwrap_or(&r.results.path)
                .to_string();
            vec![
                tdn(&(i + 1).to_string()),
                td(&r.ts),
                td(r.scenario_label()),
                format!("<td>{}</td>", badge(v, v)),
                tdn(&f.requests.map(|n| n.to_string()).unwrap_or("—".into())),
                tdn(&percent(f.error_rate)),
                tdn(&figure(f.throughput_rps)),
                tdn(&figure(f.p50_ms)),
                tdn(&figure(f.p95_ms)),
                tdn(&figure(f.p99_ms)),
                match s.reports.get(i).and_then(|l| l.as_ref()) {
                    Some(href) => format!(
                        "<td><a class=\"report\" href=\"{}\">{}</a></td>",
                        esc(href),
                        esc(&name)
                    ),
                    None => td(&name),
                },
                format!(
                    "<td><code title=\"{}\">{}</code></td>",
                    esc(&r.hash),
                    esc(r.hash.get(..12).unwrap_or(&r.hash))
                ),
            ]
        })
        .collect();
    table(
        b,
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
        &rows,
    );
}

fn service_section(b: &mut String, s: &ServiceView) {
    let h = s.history;
    let _ = writeln!(
        b,
        "<section class=\"service\" id=\"{}\" data-service=\"{}\">\n<h2>{}</h2>",
        anchor(&h.service),
        esc(&h.service),
        esc(&h.service)
    );
    b.push_str("<p class=\"links\">");
    if let Some(href) = &s.plan {
        let _ = write!(b, "<a class=\"plan\" href=\"{}\">Plan</a>", esc(href));
    }
    let _ = writeln!(b, "{} run(s)</p>", h.runs.len());
    if !s.exports.is_empty() {
        let _ = write!(
            b,
            "<details class=\"exports\"><summary>Runner scripts ({})</summary>",
            s.exports.len()
        );
        for (name, href) in &s.exports {
            let _ = write!(b, "<a href=\"{}\">{}</a>", esc(href), esc(name));
        }
        b.push_str("</details>\n");
    }
    let _ = writeln!(b, "<div class=\"latest\">{}</div>", latest_badges(h));
    trends(b, s);
    runs_table(b, s);
    b.push_str("</section>\n");
}

pub fn dashboard_html(input: &DashboardInput) -> String {
    let mut b = String::new();
    let runs: usize = input.services.iter().map(|s| s.history.runs.len()).sum();
    let _ = writeln!(
        b,
        "<h1>perfassist dashboard</h1>\n<p>{} service(s), {runs} run(s); updated {}. Built from the evidence log, like <code>perfassist history</code>.</p>",
        input.services.len(),
        esc(input.updated)
    );
    if input.services.is_empty() {
        b.push_str("<p>Nothing processed yet: drop a profile into the inbox.</p>\n");
    } else {
        overview(&mut b, &input.services);
        b.push_str("<p class=\"key\">Dots mark each run's verdict:");
        for v in ["pass", "warn", "fail", "inconclusive"] {
            let _ = write!(
                b,
                "<span class=\"dot\" style=\"background:{}\"></span>{v}",
                verdict_colour(v)
            );
        }
        b.push_str("; dashed red lines are the SLO.</p>\n");
        // Services without runs are the overview's rows alone, which keeps the page small when
        // thousands of profiles arrive at once.
        for s in input.services.iter().filter(|s| !s.history.runs.is_empty()) {
            service_section(&mut b, s);
        }
    }
    b.push_str("<footer>Generated by perfassist. Every verdict links to its evidence record by hash; <code>perfassist evidence verify</code> checks the chain.</footer>\n");
    page_styled("perfassist dashboard", STYLE, &b)
}
