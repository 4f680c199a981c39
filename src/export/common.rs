//! What every exporter shares: the target, VU/user sizing by Little's law, the SLO limits a runner
//! can enforce, integer traffic weights, and literal quoting for the generated languages.

use crate::plan::{Check, Comparator, Plan, PlannedEndpoint, Scenario};

use super::Input;

/// Used when neither `--target` nor the profile names a target. `.invalid` is reserved (RFC 6761)
/// and never resolves, and every script checks for it and refuses to start.
pub const PLACEHOLDER_TARGET: &str = "http://set-a-target-with-perfassist-export-target.invalid";

/// Latency assumed when the profile sets no latency objective at all.
const DEFAULT_LATENCY_MS: f64 = 1000.0;
/// Headroom over Little's law at the SLO latency, so latency up to twice the objective does not
/// starve the generator of workers.
pub const HEADROOM: f64 = 2.0;
/// Abort conditions fire at a few times the tail objective; the worker ceiling covers that much.
const MAX_LATENCY_MULTIPLE: f64 = 3.0;

/// Accepts `http(s)://host[:port][/base]`, returned without a trailing slash.
pub fn normalise_target(t: &str) -> Option<String> {
    let t = t.trim();
    let rest = t
        .strip_prefix("http://")
        .or_else(|| t.strip_prefix("https://"))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) || t.contains(['"', '\'', '\\']) {
        return None;
    }
    Some(t.trim_end_matches('/').to_string())
}

/// How many concurrent workers (k6 VUs, Locust users) a request rate needs. Little's law: requests
/// in flight = arrival rate × time each spends in the system. At the SLO's p95 latency `L`, a rate
/// `R` keeps `R × L` requests open; we allocate `ceil(R × L × HEADROOM)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    /// Expected latency: the SLO's p95, else its highest percentile set, else 1 s.
    pub latency_ms: f64,
    /// Tail latency: the SLO's p99, else its highest percentile set, else `latency_ms`.
    pub tail_ms: f64,
}

impl Sizing {
    pub fn of(plan: &Plan) -> Sizing {
        let lat = &plan.slo.latency_ms;
        let latency_ms = lat
            .p95
            .or_else(|| lat.iter().last().map(|(_, v)| v))
            .unwrap_or(DEFAULT_LATENCY_MS);
        let tail_ms = lat.tail().map(|(_, v)| v).unwrap_or(latency_ms);
        Sizing {
            latency_ms,
            tail_ms,
        }
    }

    /// Workers to hold ready for `rate` requests per second (at least one).
    pub fn workers(&self, rate: f64) -> u64 {
        ceil_u64(rate * self.latency_ms / 1000.0 * HEADROOM)
    }

    /// Worker ceiling: enough for the rate even at the abort latency (3 × the tail objective).
    pub fn max_workers(&self, rate: f64) -> u64 {
        self.workers(rate).max(ceil_u64(
            rate * self.tail_ms / 1000.0 * MAX_LATENCY_MULTIPLE,
        ))
    }
}

/// `ceil` that forgives float noise (2.0000000001 is 2) and never returns less than 1.
fn ceil_u64(x: f64) -> u64 {
    let c = (x - 1e-9).ceil();
    if c.is_finite() && c >= 1.0 {
        c as u64
    } else {
        1
    }
}

/// The start of every result file a script writes: `<service>-<scenario>[-scaleNpct]-<runner>`
/// (`all` for a file of every scenario), so a result dropped into `inbox/<service>/` says which
/// scenario it ran, and whether its stages were scaled, without renaming.
pub fn result_stem(input: &Input, runner: &str) -> String {
    let scenario = if input.single {
        input.scenarios[0].name
    } else {
        "all"
    };
    let mut stem = format!("{}-{scenario}", input.plan.service);
    if let Some(f) = input.time_scale() {
        stem.push('-');
        stem.push_str(&crate::plan::scale_token(f));
    }
    stem.push('-');
    stem.push_str(runner);
    stem
}

/// The name a runner reports an endpoint under: its profile `name`, else `METHOD path`.
pub fn request_name(e: &PlannedEndpoint) -> String {
    e.name
        .clone()
        .unwrap_or_else(|| format!("{} {}", e.method, e.path))
}

/// A request name as a k6 tag value that a threshold key can name. k6 splits a threshold key's
/// tags at commas and trims spaces and quotes from each value's ends, so those are written
/// percent-encoded (`/ok?ids=1,2` becomes `/ok?ids=1%2C2`, which a server reads the same). The
/// request carries the same value, so the threshold and the results name the endpoint alike.
pub fn k6_tag(name: &str) -> String {
    let mut out = name.replace(',', "%2C");
    let encode = |c: char| match c {
        ' ' => Some("%20"),
        '"' => Some("%22"),
        '\'' => Some("%27"),
        '\t' => Some("%09"),
        _ => None,
    };
    if let Some(code) = out.chars().next().and_then(encode) {
        out.replace_range(..1, code);
    }
    if let Some(code) = out.chars().last().and_then(encode) {
        out.replace_range(out.len() - 1.., code);
    }
    out
}

/// An SLO a runner can enforce itself: a latency percentile or the error rate, for the whole
/// scenario or one endpoint (by request name).
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub endpoint: Option<String>,
    pub metric: LimitMetric,
    pub threshold: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LimitMetric {
    /// Percentile as a number (95, 99.9); threshold in milliseconds.
    Latency(f64),
    /// Share of failed requests, 0–1.
    ErrorRate,
}

/// Parses `latency_p99_9_ms` into 99.9.
pub fn latency_percentile(metric: &str) -> Option<f64> {
    let p = metric.strip_prefix("latency_p")?.strip_suffix("_ms")?;
    p.replace('_', ".").parse().ok()
}

/// Whether a runner can hold a check over the scenario's whole run: a latency or error-rate ceiling
/// whose stages reach the scenario's peak load. A stress test's SLOs apply at its first step only,
/// and the scenario goes far past that on purpose, so a whole-run threshold would always fail.
fn enforceable(s: &Scenario, c: &Check) -> bool {
    let supported = c.comparator == Comparator::AtMost
        && (c.metric == "error_rate" || latency_percentile(&c.metric).is_some());
    let top = s
        .stages
        .iter()
        .filter(|st| c.stages.contains(&st.name))
        .map(|st| st.start_rps.max(st.target_rps))
        .fold(0.0, f64::max);
    supported && top >= s.peak_rps - 1e-9
}

/// True when the scenario has SLO checks a runner cannot hold over the whole run (see above).
pub fn goes_past_its_slos(s: &Scenario) -> bool {
    s.checks.iter().any(|c| {
        c.comparator == Comparator::AtMost
            && (c.metric == "error_rate" || latency_percentile(&c.metric).is_some())
            && !enforceable(s, c)
    })
}

/// The scenario's checks that a runner can enforce, in plan order. The rest are left to
/// `perfassist interpret`.
pub fn limits(plan: &Plan, s: &Scenario) -> Vec<Limit> {
    s.checks
        .iter()
        .filter(|c| enforceable(s, c))
        .filter_map(|c| {
            let metric = if c.metric == "error_rate" {
                LimitMetric::ErrorRate
            } else {
                LimitMetric::Latency(latency_percentile(&c.metric)?)
            };
            Some(Limit {
                endpoint: endpoint_name(plan, c),
                metric,
                threshold: c.threshold,
            })
        })
        .collect()
}

/// Limits for runners that judge the whole file as one run (Locust, Artillery, Taurus): the
/// strictest per (endpoint, metric). None at all when several scenarios share the file and one of
/// them goes past its SLOs on purpose, since its overload would fail every whole-run threshold.
pub fn whole_run_limits(input: &Input) -> Vec<Limit> {
    if input.scenarios.len() > 1 && input.scenarios.iter().any(|s| goes_past_its_slos(s)) {
        return Vec::new();
    }
    let mut out: Vec<Limit> = Vec::new();
    for s in &input.scenarios {
        for l in limits(input.plan, s) {
            match out
                .iter_mut()
                .find(|o| o.endpoint == l.endpoint && o.metric == l.metric)
            {
                Some(o) => o.threshold = o.threshold.min(l.threshold),
                None => out.push(l),
            }
        }
    }
    out
}

/// Checks the runner cannot enforce, named so the script's header can say so.
pub fn unenforced(s: &Scenario) -> Vec<&Check> {
    s.checks.iter().filter(|c| !enforceable(s, c)).collect()
}

fn endpoint_name(plan: &Plan, c: &Check) -> Option<String> {
    let label = c.endpoint.as_deref()?;
    plan.endpoints
        .iter()
        .find(|e| format!("{} {}", e.method, e.path) == label)
        .map(request_name)
        .or_else(|| Some(label.to_string()))
}

/// Every latency percentile any SLO names, ascending, without repeats.
pub fn slo_percentiles(input: &Input) -> Vec<f64> {
    let mut out: Vec<f64> = input
        .scenarios
        .iter()
        .flat_map(|s| limits(input.plan, s))
        .filter_map(|l| match l.metric {
            LimitMetric::Latency(p) => Some(p),
            LimitMetric::ErrorRate => None,
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// Integer weights in the ratio of the endpoints' shares (per mille, reduced), each at least 1.
pub fn int_weights(endpoints: &[PlannedEndpoint]) -> Vec<u64> {
    let w: Vec<u64> = endpoints
        .iter()
        .map(|e| ((e.share * 1000.0).round() as u64).max(1))
        .collect();
    let g = w.iter().copied().fold(0, gcd).max(1);
    w.into_iter().map(|x| x / g).collect()
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A double-quoted string literal valid in JavaScript, Python and YAML alike (JSON escaping).
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// A number as people write it: `5`, `2.5`, `0.01`.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The lines every script opens with (without comment markers): what it is, where it came from,
/// the data-safety warning first when the profile uses production data.
pub fn header(input: &Input, runner: &str, run_hint: &[String], whole_run: bool) -> Vec<String> {
    let p = input.plan;
    let mut out = Vec::new();
    if let Some(ds) = &p.data_safety {
        out.push("!".repeat(78));
        out.push(format!("!! {}", ds.warning));
        if let Some(n) = &ds.notes {
            out.push(format!("!! Data notes: {n}"));
        }
        out.push("!".repeat(78));
    }
    let names: Vec<&str> = input.scenarios.iter().map(|s| s.name).collect();
    out.push(format!(
        "{runner} script for {}, generated by {} from its perfassist plan.",
        p.service, p.generator
    ));
    out.push(format!("Profile digest: {}", p.profile_digest));
    out.push(format!(
        "Scenarios: {}{}.",
        names.join(", "),
        if names.len() > 1 {
            " (run one after the other)"
        } else {
            ""
        }
    ));
    if let Some(f) = input.time_scale() {
        out.push(format!(
            "REHEARSAL: every stage at {} % of its planned length (at least {} s each), rates as planned;",
            num((f * 10_000.0).round() / 100.0),
            crate::plan::STAGE_FLOOR_S
        ));
        out.push(format!(
            "result files carry `{}`, so perfassist judges them against the scaled stages.",
            crate::plan::scale_token(f)
        ));
    }
    if input.target_is_placeholder {
        out.push(format!(
            "TARGET NOT SET: {} is a placeholder and the script refuses to run with it.",
            input.target
        ));
        out.push(
            "Export again with --target URL (or set target.base_url in the profile).".to_string(),
        );
    } else {
        out.push(format!("Target: {}", input.target));
    }
    out.push(format!(
        "Workers by Little's law: ceil(rate x {} ms (SLO p95) / 1000 x {}).",
        num(input.sizing.latency_ms),
        num(HEADROOM)
    ));
    out.extend(run_hint.iter().cloned());
    let skipped: Vec<String> = input
        .scenarios
        .iter()
        .flat_map(|s| unenforced(s))
        .map(|c| c.id.clone())
        .collect();
    if whole_run && input.scenarios.len() > 1 && whole_run_limits(input).is_empty() {
        out.push(
            "No SLO thresholds here: this runner judges the file as one run, and the stress scenario"
                .to_string(),
        );
        out.push(
            "goes past the SLO load on purpose. Export one scenario (--scenario NAME) to get them."
                .to_string(),
        );
    } else if !skipped.is_empty() {
        out.extend(para(&format!(
            "Checked by `perfassist interpret`, not by the runner: {}.",
            skipped.join(", ")
        )));
    }
    out.push("Do not edit by hand: export again when the profile changes.".to_string());
    out
}

/// Header prose wrapped into lines of at most `WIDTH` characters (a word longer than that, such as
/// a file name, gets a line of its own); commands are pushed as they are, so they copy whole.
pub fn para(text: &str) -> Vec<String> {
    const WIDTH: usize = 96;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Prefixes each line with a comment marker (`// `, `# `).
pub fn comment_block(lines: &[String], marker: &str) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(marker);
        if !l.is_empty() {
            s.push(' ');
            s.push_str(l);
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_need_a_scheme_and_host() {
        assert_eq!(
            normalise_target("http://127.0.0.1:8080/"),
            Some("http://127.0.0.1:8080".into())
        );
        assert_eq!(
            normalise_target("https://api.test/v1"),
            Some("https://api.test/v1".into())
        );
        assert_eq!(normalise_target("127.0.0.1:8080"), None);
        assert_eq!(normalise_target("http://"), None);
        assert_eq!(normalise_target("http://a\"b"), None);
    }

    #[test]
    fn workers_follow_littles_law_with_headroom() {
        let s = Sizing {
            latency_ms: 400.0,
            tail_ms: 800.0,
        };
        // 200 req/s × 0.4 s = 80 in flight, × 2 headroom.
        assert_eq!(s.workers(200.0), 160);
        // At 3 × the 800 ms tail: 200 × 2.4 = 480.
        assert_eq!(s.max_workers(200.0), 480);
        assert_eq!(s.workers(0.0), 1);
        assert_eq!(s.workers(5.0 * 0.5), 2);
    }

    #[test]
    fn percentiles_parse_from_metric_names() {
        assert_eq!(latency_percentile("latency_p95_ms"), Some(95.0));
        assert_eq!(latency_percentile("latency_p99_9_ms"), Some(99.9));
        assert_eq!(latency_percentile("error_rate"), None);
    }

    #[test]
    fn weights_reduce_to_small_integers() {
        let ep = |share| PlannedEndpoint {
            method: "GET".into(),
            path: "/".into(),
            name: None,
            critical: false,
            share,
        };
        assert_eq!(int_weights(&[ep(0.75), ep(0.25)]), vec![3, 1]);
        assert_eq!(int_weights(&[ep(0.5), ep(0.5)]), vec![1, 1]);
        assert_eq!(int_weights(&[ep(0.9995), ep(0.0005)]), vec![1000, 1]);
    }

    #[test]
    fn quoting_and_numbers() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(num(5.0), "5");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(0.01), "0.01");
    }
}
