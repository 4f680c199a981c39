//! The charts of an assessment report: latency and error rates against the SLO, each check's
//! interval, and the time series with the SLO, the planned peak and the capacity knee marked.
//! Each chart is an SVG drawing from `svg.rs`, which escapes the text it embeds.

use super::ReportInput;
use super::num;
use super::plan_html::profile_peak;
use super::svg::{self, Bar, Chart, LIMIT_COLOUR, Level, Mark, Series};
use crate::judge::Assessment;
use crate::profile::Percentile;
use crate::results::{Bucket, RunResults, Stats};

/// Every chart the report has data for, in the order the page shows them.
pub(super) fn report_charts(input: &ReportInput) -> Vec<Chart> {
    let (a, r) = (input.assessment, input.results);
    let peak = input.plan.map(profile_peak);
    interval_charts(a)
        .into_iter()
        .chain(
            [
                latency_bars(a, r),
                error_bars(a, r),
                endpoint_latency_bars(a, r),
            ]
            .into_iter()
            .flatten(),
        )
        .chain(timeseries_charts(a, r, peak))
        .collect()
}

/// Overall thresholds by metric, from the checks (so the report needs no profile).
fn objective(a: &Assessment, metric: &str, scope: &str) -> Option<f64> {
    a.checks
        .iter()
        .find(|c| c.metric == metric && c.scope == scope)
        .map(|c| c.threshold)
}

fn pct_metric(p: Percentile) -> String {
    format!("latency_{}_ms", p.key().replace('.', "_"))
}

fn latency_bars(a: &Assessment, r: &RunResults) -> Option<Chart> {
    let bars: Vec<Bar> = Percentile::ALL
        .iter()
        .filter_map(|p| {
            Some(Bar {
                label: p.key().into(),
                value: r.overall.latency_ms.percentile(*p)?,
                limit: objective(a, &pct_metric(*p), "overall"),
                interval: None,
            })
        })
        .collect();
    (!bars.is_empty()).then(|| {
        svg::bar_chart(
            "latency-percentiles",
            "Latency percentiles (whole run) against the SLO",
            "ms",
            &bars,
        )
    })
}

/// Every endpoint's label: the profile's when a check names it, else the runner's.
pub(super) fn endpoint_scopes(a: &Assessment, r: &RunResults) -> Vec<(String, Stats)> {
    r.endpoints
        .iter()
        .map(|e| {
            let label = a
                .checks
                .iter()
                .map(|c| c.scope.as_str())
                .find(|s| *s == e.name || s.ends_with(&format!(" {}", e.name)))
                .unwrap_or(&e.name)
                .to_string();
            (label, e.stats.clone())
        })
        .collect()
}

fn error_bars(a: &Assessment, r: &RunResults) -> Option<Chart> {
    let mut bars = Vec::new();
    if let Some(e) = r.overall.error_rate() {
        bars.push(Bar {
            label: "overall".into(),
            value: e * 100.0,
            limit: objective(a, "error_rate", "overall").map(|t| t * 100.0),
            interval: None,
        });
    }
    for (label, st) in endpoint_scopes(a, r) {
        if let Some(e) = st.error_rate() {
            bars.push(Bar {
                limit: objective(a, "error_rate", &label).map(|t| t * 100.0),
                label,
                value: e * 100.0,
                interval: None,
            });
        }
    }
    (!bars.is_empty()).then(|| {
        svg::bar_chart(
            "error-rate",
            "Error rate against the SLO",
            "% of requests",
            &bars,
        )
    })
}

fn endpoint_latency_bars(a: &Assessment, r: &RunResults) -> Option<Chart> {
    let p = [
        Percentile::P95,
        Percentile::P99,
        Percentile::P90,
        Percentile::P50,
    ]
    .into_iter()
    .find(|p| {
        r.endpoints
            .iter()
            .any(|e| e.stats.latency_ms.percentile(*p).is_some())
    })?;
    let metric = pct_metric(p);
    let bars: Vec<Bar> = endpoint_scopes(a, r)
        .into_iter()
        .filter_map(|(label, st)| {
            Some(Bar {
                value: st.latency_ms.percentile(p)?,
                limit: objective(a, &metric, &label),
                label,
                interval: None,
            })
        })
        .collect();
    (!bars.is_empty()).then(|| {
        svg::bar_chart(
            "endpoint-latency",
            &format!("{} latency by endpoint against its objective", p.key()),
            "ms",
            &bars,
        )
    })
}

/// Every check with an interval, as bars at the observed value with the interval as an error bar
/// and the objective as a tick: latency checks in one chart (ms), error rates in another (%).
fn interval_charts(a: &Assessment) -> Vec<Chart> {
    let mut out = Vec::new();
    for (id, title, unit, pick, scale) in [
        (
            "check-intervals-latency",
            "Latency checks: observed, interval and objective",
            "ms",
            (|m: &str| m.starts_with("latency_")) as fn(&str) -> bool,
            1.0,
        ),
        (
            "check-intervals-errors",
            "Error-rate checks: observed, interval and objective",
            "% of requests",
            (|m: &str| m == "error_rate") as fn(&str) -> bool,
            100.0,
        ),
    ] {
        let bars: Vec<Bar> = a
            .checks
            .iter()
            .filter(|c| pick(&c.metric) && c.interval.is_some())
            .filter_map(|c| {
                let i = c.interval?;
                Some(Bar {
                    label: format!(
                        "{} {}",
                        c.metric
                            .trim_start_matches("latency_")
                            .trim_end_matches("_ms")
                            .replace("error_rate", "errors"),
                        if c.scope == "overall" { "" } else { &c.scope }
                    )
                    .trim()
                    .to_string(),
                    value: c.observed? * scale,
                    limit: Some(c.threshold * scale),
                    interval: Some((i.lo.map(|v| v * scale), i.hi.map(|v| v * scale))),
                })
            })
            .collect();
        if !bars.is_empty() {
            out.push(svg::bar_chart(id, title, unit, &bars));
        }
    }
    out
}

fn series_of(ts: &[Bucket], f: impl Fn(&Bucket) -> Option<f64>) -> Vec<(f64, f64)> {
    ts.iter()
        .filter_map(|b| f(b).map(|v| (b.offset_s, v)))
        .collect()
}

fn timeseries_charts(a: &Assessment, r: &RunResults, peak: Option<f64>) -> Vec<Chart> {
    let ts = &r.timeseries;
    if ts.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let lat: Vec<Series> = Percentile::ALL
        .iter()
        .map(|p| Series {
            name: p.key().into(),
            points: series_of(ts, |b| b.latency_ms.percentile(*p)),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let slo_levels: Vec<Level> = lat
        .iter()
        .filter_map(|s| {
            let p = Percentile::ALL.iter().find(|p| p.key() == s.name)?;
            Some(Level {
                name: format!(
                    "SLO {} {} ms",
                    s.name,
                    num(objective(a, &pct_metric(*p), "overall")?)
                ),
                y: objective(a, &pct_metric(*p), "overall")?,
                colour: LIMIT_COLOUR,
            })
        })
        .collect();
    let knee: Vec<Mark> = a
        .stages
        .as_ref()
        .and_then(|s| s.knee.as_ref())
        .map(|k| Mark {
            name: format!(
                "knee at {} {}",
                num(k.load),
                a.stages.as_ref().map_or("", |s| s.load_unit)
            ),
            x: k.offset_s,
        })
        .into_iter()
        .collect();
    if !lat.is_empty() {
        out.push(svg::line_chart_marked(
            "ts-latency",
            "Latency over the run",
            "seconds",
            "ms",
            &lat,
            &slo_levels,
            &knee,
        ));
    }
    let mut load = Vec::new();
    let rps = series_of(ts, |b| b.throughput_rps);
    if !rps.is_empty() {
        load.push(Series {
            name: "requests/s".into(),
            points: rps,
        });
    }
    let users = series_of(ts, |b| b.users);
    if !users.is_empty() {
        load.push(Series {
            name: "users".into(),
            points: users,
        });
    }
    if !load.is_empty() {
        let levels: Vec<Level> = peak
            .filter(|_| load[0].name == "requests/s")
            .map(|p| Level {
                name: format!("planned peak {} requests/s", num(p)),
                y: p,
                colour: "#6c757d",
            })
            .into_iter()
            .collect();
        out.push(svg::line_chart_marked(
            "ts-load",
            "Load over the run",
            "seconds",
            "load",
            &load,
            &levels,
            &knee,
        ));
    }
    let errors = series_of(ts, |b| b.error_rate.map(|e| e * 100.0));
    if !errors.is_empty() {
        let levels: Vec<Level> = objective(a, "error_rate", "overall")
            .map(|t| Level {
                name: format!("SLO {} %", num(t * 100.0)),
                y: t * 100.0,
                colour: LIMIT_COLOUR,
            })
            .into_iter()
            .collect();
        out.push(svg::line_chart(
            "ts-errors",
            "Error rate over the run",
            "seconds",
            "% of requests",
            &[Series {
                name: "error rate".into(),
                points: errors,
            }],
            &levels,
        ));
    }
    let memory = series_of(ts, |b| b.memory_percent);
    if !memory.is_empty() {
        out.push(svg::line_chart(
            "ts-memory",
            "Memory of the service under test",
            "seconds",
            "% used",
            &[Series {
                name: "memory".into(),
                points: memory,
            }],
            &[],
        ));
    }
    out
}
