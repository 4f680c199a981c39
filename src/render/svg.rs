//! Inline SVG charts drawn from numbers alone: line and step charts over time, bar charts with
//! objective lines. Fixed size, no scripts, no fonts fetched, so a report opens anywhere.

use std::fmt::Write;

use super::html::esc;
use super::num;

pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 44.0;

/// Colours for successive series; chosen to stay distinct for colour-blind readers.
pub(super) const PALETTE: [&str; 6] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
];
pub const LIMIT_COLOUR: &str = "#c0392b";
/// A bar over its objective: the palette's vermillion, apart from the objective line's red.
const OVER_COLOUR: &str = "#d55e00";

/// A drawn chart. Only this module and `trend_svg` make one, and they pass every text they
/// embed through `esc`, so a page splices it in unescaped.
pub struct Chart(String);

impl Chart {
    pub(super) fn drawn(svg: String) -> Chart {
        Chart(svg)
    }
}

impl std::ops::Deref for Chart {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl maud::Render for Chart {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&self.0);
    }
}

pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A horizontal line across the plot: an objective or a planned level.
pub struct Level {
    pub name: String,
    pub y: f64,
    pub colour: &'static str,
}

/// A vertical line at one moment: where the capacity knee was found, say.
pub struct Mark {
    pub name: String,
    pub x: f64,
}

pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The objective for this bar, drawn as a tick across it.
    pub limit: Option<f64>,
    /// A confidence interval, drawn as an error bar; a missing side (no bound at that
    /// confidence) runs to the edge of the plot, open.
    pub interval: Option<(Option<f64>, Option<f64>)>,
}

/// Axis range rounded out to tidy ticks.
pub(super) struct Axis {
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

impl Axis {
    pub fn nice(min: f64, max: f64) -> Axis {
        let (min, max) = if max > min {
            (min, max)
        } else {
            (min, min + 1.0)
        };
        let raw = (max - min) / 5.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * mag);
        Axis {
            min: (min / step).floor() * step,
            max: (max / step).ceil() * step,
            step,
        }
    }

    pub fn ticks(&self) -> Vec<f64> {
        let n = ((self.max - self.min) / self.step).round() as usize;
        (0..=n).map(|i| self.min + i as f64 * self.step).collect()
    }
}

pub(super) struct Frame {
    pub x: Axis,
    pub y: Axis,
}

impl Frame {
    pub fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x.min) / (self.x.max - self.x.min) * (WIDTH - LEFT - RIGHT)
    }

    pub fn py(&self, y: f64) -> f64 {
        HEIGHT - BOTTOM - (y - self.y.min) / (self.y.max - self.y.min) * (HEIGHT - TOP - BOTTOM)
    }
}

pub(super) fn open(s: &mut String, id: &str, title: &str) {
    let _ = write!(
        s,
        r##"<svg class="chart" id="{}" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}"><rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/><text x="{LEFT}" y="18" class="t">{}</text>"##,
        esc(id),
        esc(title),
        esc(title)
    );
}

pub(super) fn p(v: f64) -> String {
    format!("{:.1}", v)
}

pub(super) fn grid(s: &mut String, f: &Frame, x_label: &str, y_label: &str, x_ticks: bool) {
    for t in f.y.ticks() {
        let y = p(f.py(t));
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y}" y2="{y}" stroke="#e3e3e3"/><text x="{}" y="{y}" class="yt">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            num(t)
        );
    }
    if x_ticks {
        for t in f.x.ticks() {
            let x = p(f.px(t));
            let _ = write!(
                s,
                r##"<text x="{x}" y="{}" class="xt">{}</text>"##,
                HEIGHT - BOTTOM + 16.0,
                num(t)
            );
        }
    }
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{}" stroke="#555"/><line x1="{LEFT}" x2="{}" y1="{b}" y2="{b}" stroke="#555"/><text x="{}" y="{}" class="xl">{}</text><text x="14" y="{}" class="yl" transform="rotate(-90 14 {})">{}</text>"##,
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 6.0,
        esc(x_label),
        TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
        TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
        esc(y_label),
        b = HEIGHT - BOTTOM,
    );
}

pub(super) fn levels(s: &mut String, f: &Frame, levels: &[Level]) {
    for l in levels {
        let y = p(f.py(l.y));
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y}" y2="{y}" stroke="{}" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{}" y="{}" class="lv" fill="{}">{}</text>"##,
            WIDTH - RIGHT,
            l.colour,
            WIDTH - RIGHT - 4.0,
            f.py(l.y) - 4.0,
            l.colour,
            esc(&l.name)
        );
    }
}

pub(super) fn legend(s: &mut String, names: &[&str]) {
    let mut x = WIDTH - RIGHT;
    for (i, n) in names.iter().enumerate().rev() {
        let w = 14.0 + 7.0 * n.chars().count() as f64;
        x -= w + 12.0;
        let _ = write!(
            s,
            r##"<rect x="{}" y="9" width="10" height="10" fill="{}"/><text x="{}" y="18" class="lg">{}</text>"##,
            p(x),
            PALETTE[i % PALETTE.len()],
            p(x + 14.0),
            esc(n)
        );
    }
}

/// A line chart of series over a shared x axis, with horizontal levels (objectives, the peak).
pub fn line_chart(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    lvls: &[Level],
) -> Chart {
    line_chart_marked(id, title, x_label, y_label, series, lvls, &[])
}

/// As `line_chart`, with vertical marks at given x values.
pub fn line_chart_marked(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    lvls: &[Level],
    marks: &[Mark],
) -> Chart {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(lvls.iter().map(|l| l.y));
    let (x0, x1) = bounds(xs);
    let (_, y1) = bounds(ys);
    let f = Frame {
        x: Axis::nice(x0, x1),
        y: Axis::nice(0.0, y1 * 1.1),
    };
    let mut s = String::new();
    open(&mut s, id, title);
    grid(&mut s, &f, x_label, y_label, true);
    for (i, se) in series.iter().enumerate() {
        if se.points.is_empty() {
            continue;
        }
        let d: Vec<String> = thin(&se.points, &f)
            .iter()
            .map(|(x, y)| format!("{},{}", p(f.px(*x)), p(f.py(*y))))
            .collect();
        let _ = write!(
            s,
            r##"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"##,
            PALETTE[i % PALETTE.len()],
            d.join(" ")
        );
        if se.points.len() == 1 {
            let (x, y) = se.points[0];
            let _ = write!(
                s,
                r##"<circle cx="{}" cy="{}" r="3" fill="{}"/>"##,
                p(f.px(x)),
                p(f.py(y)),
                PALETTE[i % PALETTE.len()]
            );
        }
    }
    levels(&mut s, &f, lvls);
    for m in marks {
        let x = p(f.px(m.x));
        let _ = write!(
            s,
            r##"<line x1="{x}" x2="{x}" y1="{TOP}" y2="{}" stroke="#333" stroke-width="1" stroke-dasharray="2 3"/><text x="{}" y="{}" class="lg">{}</text>"##,
            HEIGHT - BOTTOM,
            p(f.px(m.x) + 4.0),
            TOP + 12.0,
            esc(&m.name)
        );
    }
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    if names.len() > 1 {
        legend(&mut s, &names);
    }
    s.push_str("</svg>");
    Chart(s)
}

/// Vertical bars with an objective tick across each bar that has one; bars over their objective
/// are drawn in the limit colour.
pub fn bar_chart(id: &str, title: &str, y_label: &str, bars: &[Bar]) -> Chart {
    let (_, y1) = bounds(
        bars.iter()
            .map(|b| b.value)
            .chain(bars.iter().filter_map(|b| b.limit))
            .chain(bars.iter().filter_map(|b| b.interval.and_then(|i| i.1))),
    );
    let f = Frame {
        x: Axis {
            min: 0.0,
            max: bars.len().max(1) as f64,
            step: 1.0,
        },
        y: Axis::nice(0.0, y1 * 1.1),
    };
    let mut s = String::new();
    open(&mut s, id, title);
    grid(&mut s, &f, "", y_label, false);
    let slot = (WIDTH - LEFT - RIGHT) / bars.len().max(1) as f64;
    let width = (slot * 0.6).min(80.0);
    for (i, b) in bars.iter().enumerate() {
        let cx = LEFT + slot * (i as f64 + 0.5);
        let over = b.limit.is_some_and(|l| b.value > l);
        let top = f.py(b.value);
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect><text x="{}" y="{}" class="xt">{}</text><text x="{}" y="{}" class="bv">{}</text>"##,
            p(cx - width / 2.0),
            p(top),
            p(width),
            p((HEIGHT - BOTTOM - top).max(0.0)),
            if over { OVER_COLOUR } else { PALETTE[0] },
            esc(&b.label),
            num(b.value),
            p(cx),
            HEIGHT - BOTTOM + 16.0,
            esc(&b.label),
            p(cx),
            p(top - 4.0),
            num(b.value)
        );
        if let Some((lo, hi)) = b.interval {
            let y_lo = f.py(lo.unwrap_or(f.y.min).max(f.y.min));
            let y_hi = f.py(hi.unwrap_or(f.y.max).min(f.y.max));
            let cap = |y: f64, open: bool| {
                if open {
                    String::new()
                } else {
                    format!(
                        r##"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#222" stroke-width="1.5"/>"##,
                        p(cx - 6.0),
                        p(cx + 6.0),
                        p(y),
                        p(y)
                    )
                }
            };
            let _ = write!(
                s,
                r##"<g class="ci"><title>interval: {} to {}</title><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#222" stroke-width="1.5"{}/>{}{}</g>"##,
                lo.map_or("unbounded".into(), num),
                hi.map_or("unbounded".into(), num),
                p(cx),
                p(cx),
                p(y_lo),
                p(y_hi),
                if hi.is_none() {
                    r#" stroke-dasharray="3 3""#
                } else {
                    ""
                },
                cap(y_lo, lo.is_none()),
                cap(y_hi, hi.is_none()),
            );
        }
        if let Some(l) = b.limit {
            let y = p(f.py(l));
            let _ = write!(
                s,
                r##"<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="{LIMIT_COLOUR}" stroke-width="2.5" stroke-dasharray="5 3"><title>objective {}</title></line>"##,
                p(cx - slot * 0.45),
                p(cx + slot * 0.45),
                num(l)
            );
        }
    }
    s.push_str("</svg>");
    Chart(s)
}

/// A long series (raw samples, hours of one-second buckets) drawn point by point would make
/// the page huge for nothing: the plot is a few hundred pixels wide. Keeps, per pixel column,
/// the first, lowest and highest and last points, so spikes stay visible.
fn thin(points: &[(f64, f64)], f: &Frame) -> Vec<(f64, f64)> {
    let columns = (WIDTH - LEFT - RIGHT) as usize;
    if points.len() <= 4 * columns {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(4 * columns);
    let mut group: Vec<(f64, f64)> = Vec::new();
    let mut column = None;
    let flush = |group: &mut Vec<(f64, f64)>, out: &mut Vec<(f64, f64)>| {
        if group.is_empty() {
            return;
        }
        let lo = group
            .iter()
            .copied()
            .fold(group[0], |a, b| if b.1 < a.1 { b } else { a });
        let hi = group
            .iter()
            .copied()
            .fold(group[0], |a, b| if b.1 > a.1 { b } else { a });
        let mut keep = vec![group[0], lo, hi, group[group.len() - 1]];
        keep.sort_by(|a, b| a.0.total_cmp(&b.0));
        keep.dedup();
        out.extend(keep);
        group.clear();
    };
    for &pt in points {
        let c = f.px(pt.0) as i64;
        if column != Some(c) {
            flush(&mut group, &mut out);
            column = Some(c);
        }
        group.push(pt);
    }
    flush(&mut group, &mut out);
    out
}

pub(super) fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<(f64, f64)>, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
        .unwrap_or((0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axes() {
        let a = Axis::nice(0.0, 437.0);
        assert_eq!((a.min, a.max, a.step), (0.0, 500.0, 100.0));
        assert_eq!(a.ticks().len(), 6);
        let a = Axis::nice(0.0, 0.012);
        assert_eq!(a.step, 0.0025);
        let a = Axis::nice(3.0, 3.0);
        assert!(a.max > a.min);
    }

    #[test]
    fn long_series_are_thinned_but_keep_their_spikes() {
        let mut points: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64, 10.0)).collect();
        points[54_321].1 = 999.0;
        let svg = line_chart(
            "long",
            "t",
            "s",
            "ms",
            &[Series {
                name: "p95".into(),
                points,
            }],
            &[],
        );
        assert!(svg.len() < 60_000, "{} bytes", svg.len());
        // The spike reaches the top of the plot: y of 999 on an axis to 1200.
        let f = Frame {
            x: Axis::nice(0.0, 99_999.0),
            y: Axis::nice(0.0, 999.0 * 1.1),
        };
        assert!(svg.contains(&format!(",{}", p(f.py(999.0)))));
    }

    #[test]
    fn charts_escape_labels_and_stay_in_frame() {
        let svg = line_chart(
            "c",
            "A <b>",
            "s",
            "ms",
            &[Series {
                name: "p95".into(),
                points: vec![(0.0, 10.0), (60.0, 30.0)],
            }],
            &[Level {
                name: "SLO".into(),
                y: 25.0,
                colour: LIMIT_COLOUR,
            }],
        );
        assert!(svg.contains("A &lt;b&gt;"));
        assert!(!svg.contains("NaN"));
        let bars = bar_chart(
            "b",
            "t",
            "ms",
            &[Bar {
                label: "p95".into(),
                value: 500.0,
                limit: Some(400.0),
                interval: Some((Some(450.0), None)),
            }],
        );
        assert!(bars.contains(OVER_COLOUR) && bars.contains(LIMIT_COLOUR));
        // The interval's open side is dashed and has no cap.
        assert!(bars.contains("interval: 450 to unbounded"));
        assert!(bars.contains("stroke-dasharray=\"3 3\""));
    }
}
