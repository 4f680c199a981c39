//! A figure across a service's runs as inline SVG: one line per scenario over the run number,
//! each run drawn as a dot in the colour of its verdict, with the SLO as a dashed line.

use std::fmt::Write;

use super::html::esc;
use super::svg::{Axis, Chart, Frame, Level, PALETTE, bounds, grid, legend, levels, open, p};

/// One run's value in a trend.
pub struct TrendPoint {
    /// The run's number within its service, from 1.
    pub run: usize,
    pub value: f64,
    pub verdict: String,
    /// What a pointer over the dot shows: the run, its scenario, verdict and value.
    pub label: String,
}

pub struct TrendSeries {
    pub name: String,
    pub points: Vec<TrendPoint>,
}

/// The fill of a verdict's dot, the colours of the reports' verdict badges.
pub fn verdict_colour(verdict: &str) -> &'static str {
    match verdict {
        "pass" => "#1e7e34",
        "warn" => "#b8860b",
        "fail" => "#c0392b",
        _ => "#6c757d",
    }
}

/// Whole run numbers on the x axis: at most about ten ticks, never between two runs.
fn run_axis(first: usize, last: usize) -> Axis {
    let span = last.saturating_sub(first).max(1);
    let step = span.div_ceil(10).max(1) as f64;
    let min = first.saturating_sub(1) as f64;
    let max = (min + ((last as f64 + 1.0 - min) / step).ceil() * step).max(min + 2.0);
    Axis { min, max, step }
}

pub fn trend_chart(
    id: &str,
    title: &str,
    y_label: &str,
    series: &[TrendSeries],
    lvls: &[Level],
) -> Chart {
    let runs = series.iter().flat_map(|s| s.points.iter().map(|p| p.run));
    let first = runs.clone().min().unwrap_or(1);
    let last = runs.max().unwrap_or(1);
    let (_, y1) = bounds(
        series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.value))
            .chain(lvls.iter().map(|l| l.y)),
    );
    let f = Frame {
        x: run_axis(first, last),
        y: Axis::nice(0.0, y1 * 1.1),
    };
    let mut s = String::new();
    open(&mut s, id, title);
    grid(&mut s, &f, "run", y_label, true);
    levels(&mut s, &f, lvls);
    for (i, se) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let points: Vec<&TrendPoint> = se.points.iter().filter(|p| p.value.is_finite()).collect();
        if points.len() > 1 {
            let d: Vec<String> = points
                .iter()
                .map(|pt| format!("{},{}", p(f.px(pt.run as f64)), p(f.py(pt.value))))
                .collect();
            let _ = write!(
                s,
                r##"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"##,
                d.join(" ")
            );
        }
        for pt in points {
            let _ = write!(
                s,
                r##"<circle class="run v-{}" cx="{}" cy="{}" r="4.5" fill="{}" stroke="{colour}" stroke-width="1.5"><title>{}</title></circle>"##,
                esc(&pt.verdict),
                p(f.px(pt.run as f64)),
                p(f.py(pt.value)),
                verdict_colour(&pt.verdict),
                esc(&pt.label)
            );
        }
    }
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    if names.len() > 1 {
        legend(&mut s, &names);
    }
    s.push_str("</svg>");
    Chart::drawn(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::svg::LIMIT_COLOUR;

    fn point(run: usize, value: f64, verdict: &str) -> TrendPoint {
        TrendPoint {
            run,
            value,
            verdict: verdict.into(),
            label: format!("run {run}"),
        }
    }

    #[test]
    fn every_run_is_a_dot_in_its_verdict_colour_and_the_slo_a_line() {
        let svg = trend_chart(
            "trend-p95",
            "p95 <latency>",
            "ms",
            &[
                TrendSeries {
                    name: "smoke".into(),
                    points: vec![point(1, 120.0, "pass"), point(3, 480.0, "fail")],
                },
                TrendSeries {
                    name: "stress".into(),
                    points: vec![point(2, 390.0, "warn")],
                },
            ],
            &[Level {
                name: "SLO p95 400 ms".into(),
                y: 400.0,
                colour: LIMIT_COLOUR,
            }],
        );
        assert_eq!(svg.matches("<circle class=\"run").count(), 3);
        assert!(svg.contains("v-fail") && svg.contains(verdict_colour("fail")));
        assert!(svg.contains("SLO p95 400 ms") && svg.contains("p95 &lt;latency&gt;"));
        assert_eq!(
            svg.matches("<polyline").count(),
            1,
            "a lone run draws no line"
        );
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn run_ticks_are_whole_numbers() {
        for (a, b) in [(1, 1), (1, 3), (1, 57), (40, 240)] {
            let ax = run_axis(a, b);
            assert!(ax.min < a as f64 && ax.max > b as f64, "{a}..{b}");
            assert!(ax.ticks().iter().all(|t| t.fract() == 0.0), "{a}..{b}");
            assert!(ax.ticks().len() <= 12, "{a}..{b}");
        }
    }
}
