//! k6 script: one `ramping-arrival-rate` scenario per plan scenario, the endpoint mix by weight,
//! SLO thresholds (aborting on the plan's abort conditions) and a JSON summary perfassist reads.
//!
//! Why the script looks as it does: k6 splits a threshold key's tags at commas and trims spaces and
//! quotes from each value, so a raw comma in a request name fails the script (`tag expression is
//! malformed`, exit 104) and the `name` tag is percent-encoded; k6 keeps one threshold entry per
//! key, so every expression of a key goes in one array; k6 aborts when a threshold fails, so an
//! abort condition is written with its comparison reversed; p(99) is not among k6's default trend
//! statistics, so `summaryTrendStats` names it.

use crate::plan::{Comparator, Scenario, StageKind};

use super::Input;
use super::common::{self, Limit, LimitMetric, num, quote};

/// Seconds between one scenario's end and the next one's start: k6's default `gracefulStop`,
/// during which the previous scenario's last iterations may still be finishing.
const GAP_S: u64 = 30;

pub fn render(input: &Input) -> String {
    let mut out = String::new();
    let stem = common::result_stem(input, "k6");
    let points_file = format!("{stem}.ndjson");
    let summary_file = format!("{stem}-summary.json");
    let service = &input.plan.service;
    let mut hint = vec![format!(
        "Run: k6 run --out json={points_file} {}",
        super::Runner::K6.file_name(input.single.then(|| input.scenarios[0].name))
    )];
    hint.extend(common::para(
        "(-e PERFASSIST_TARGET=URL overrides the target.) k6 exits 99 when a threshold fails; \
         thresholds marked abortOnFail stop the run early.",
    ));
    hint.extend(common::para(&format!(
        "Results, named <service>-<scenario>-k6 for perfassist: hand ONE of them to \
         inbox/{service}/ unrenamed: {points_file} (every request, with the time series the \
         per-stage analysis needs) or {summary_file} (the end-of-test summary, small)."
    )));
    if let Some(t) = input.plan.think_time_ms {
        hint.extend(common::para(&format!(
            "Think time (traffic.think_time_ms = {} ms) is not applied: see the note above the \
             default function.",
            num(t)
        )));
    }
    out.push_str(&common::comment_block(
        &common::header(input, "k6", &hint, false),
        "//",
    ));
    out.push_str("\nimport http from 'k6/http';\n\n");
    out.push_str(&format!(
        "const TARGET = __ENV.PERFASSIST_TARGET || {};\n",
        quote(&input.target)
    ));
    out.push_str(
        "if (/\\.invalid(:\\d+)?(\\/|$)/.test(TARGET)) {\n  throw new Error('no target set: export again with --target URL, or run with -e PERFASSIST_TARGET=URL');\n}\n\n",
    );
    out.push_str("// Endpoints and their share of all requests.\n");
    if input
        .plan
        .endpoints
        .iter()
        .any(|e| common::k6_tag(&common::request_name(e)) != common::request_name(e))
    {
        out.push_str("// A name is also the threshold keys' tag value, which cannot hold a comma (k6 splits the\n// tags there) nor start or end with a space or quote: those are percent-encoded.\n");
    }
    out.push_str("const ENDPOINTS = [\n");
    for e in &input.plan.endpoints {
        out.push_str(&format!(
            "  {{ method: {}, path: {}, name: {}, share: {} }},\n",
            quote(&e.method),
            quote(&e.path),
            quote(&common::k6_tag(&common::request_name(e))),
            num(e.share)
        ));
    }
    out.push_str("];\n\n");
    out.push_str("export const options = {\n  scenarios: {\n");
    let mut start = 0;
    for s in &input.scenarios {
        scenario(&mut out, input, s, start);
        start += s.total_duration_s + GAP_S;
    }
    out.push_str("  },\n  thresholds: {\n");
    for (key, exprs) in thresholds(input) {
        out.push_str(&format!("    {}: [\n", quote(&key)));
        for e in exprs {
            out.push_str(&format!("      {e},\n"));
        }
        out.push_str("    ],\n");
    }
    out.push_str("  },\n");
    let stats: Vec<String> = trend_stats(input).iter().map(|s| quote(s)).collect();
    out.push_str(&format!("  summaryTrendStats: [{}],\n", stats.join(", ")));
    out.push_str("};\n\n");
    if let Some(t) = input.plan.think_time_ms {
        out.push_str(&format!(
            "// Think time: the profile's traffic.think_time_ms ({} ms) is not applied. Each scenario is an\n// open model: ramping-arrival-rate starts iterations at the planned rate whatever the VUs are\n// doing, and an iteration is one request, so a pause would only keep a VU busy longer without\n// changing when requests arrive. (Closed-model runners, such as the Locust export, pace with it.)\n//\n",
            num(t)
        ));
    }
    out.push_str(BODY);
    out.push_str(&format!(
        "\n// The end-of-test summary as JSON (the handleSummary data), for `perfassist interpret`.\nexport function handleSummary(data) {{\n  const file = __ENV.PERFASSIST_SUMMARY || {};\n  return {{\n    [file]: JSON.stringify(data),\n    stdout: `perfassist: summary written to ${{file}}\\n`,\n  }};\n}}\n",
        quote(&summary_file)
    ));
    out
}

const BODY: &str = "// One request per iteration, so the arrival rate is the request rate.
export default function () {
  const r = Math.random();
  let acc = 0;
  for (const e of ENDPOINTS) {
    acc += e.share;
    if (r < acc) {
      send(e);
      return;
    }
  }
  send(ENDPOINTS[ENDPOINTS.length - 1]);
}

function send(e) {
  http.request(e.method, TARGET + e.path, null, { tags: { name: e.name } });
}
";

/// k6 rates are whole numbers per `timeUnit`: per second when the plan's rates are whole,
/// else per minute (1/60 request per second resolution).
fn time_unit(s: &Scenario) -> (&'static str, f64) {
    let whole = s
        .stages
        .iter()
        .all(|st| st.start_rps.fract() == 0.0 && st.target_rps.fract() == 0.0);
    if whole { ("1s", 1.0) } else { ("1m", 60.0) }
}

fn scenario(out: &mut String, input: &Input, s: &Scenario, start: u64) {
    let (unit, scale) = time_unit(s);
    let rate = |r: f64| num((r * scale).round());
    out.push_str(&format!("    {}: {{\n", s.name));
    out.push_str("      executor: 'ramping-arrival-rate',\n");
    out.push_str(&format!("      startTime: '{start}s',\n"));
    out.push_str(&format!("      gracefulStop: '{GAP_S}s',\n"));
    out.push_str(&format!("      timeUnit: '{unit}',\n"));
    let first = s.stages.first().map(|st| st.start_rps).unwrap_or(0.0);
    out.push_str(&format!("      startRate: {},\n", rate(first)));
    out.push_str(&format!(
        "      preAllocatedVUs: {},\n      maxVUs: {},\n",
        input.sizing.workers(s.peak_rps),
        input.sizing.max_workers(s.peak_rps)
    ));
    out.push_str("      stages: [\n");
    let mut current = first;
    for st in &s.stages {
        // k6 ramps linearly from the last target; a step to a new level is a zero-length stage.
        if st.start_rps != current {
            out.push_str(&format!(
                "        {{ target: {}, duration: '0s' }},\n",
                rate(st.start_rps)
            ));
        }
        let kind = match st.kind {
            StageKind::Ramp => "ramp",
            StageKind::Hold => "hold",
        };
        out.push_str(&format!(
            "        {{ target: {}, duration: '{}s' }}, // {} ({kind})\n",
            rate(st.target_rps),
            st.duration_s,
            st.name
        ));
        current = st.target_rps;
    }
    out.push_str("      ],\n");
    out.push_str("    },\n");
}

/// Threshold keys in a stable order, each with its expressions (k6 keeps only one entry per key,
/// so every expression for a metric goes into one array).
fn thresholds(input: &Input) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |key: String, expr: String| match out.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => {
            if !v.contains(&expr) {
                v.push(expr)
            }
        }
        None => out.push((key, vec![expr])),
    };
    for s in &input.scenarios {
        let scope = |endpoint: Option<&str>| -> String {
            let mut tags = Vec::new();
            if !input.single {
                tags.push(format!("scenario:{}", s.name));
            }
            if let Some(e) = endpoint {
                tags.push(format!("name:{}", common::k6_tag(e)));
            }
            if tags.is_empty() {
                String::new()
            } else {
                format!("{{{}}}", tags.join(","))
            }
        };
        for Limit {
            endpoint,
            metric,
            threshold,
        } in common::limits(input.plan, s)
        {
            let sc = scope(endpoint.as_deref());
            match metric {
                LimitMetric::Latency(p) => add(
                    format!("http_req_duration{sc}"),
                    quote(&format!("p({})<={}", num(p), num(threshold))),
                ),
                LimitMetric::ErrorRate => add(
                    format!("http_req_failed{sc}"),
                    quote(&format!("rate<={}", num(threshold))),
                ),
            }
        }
        for a in &s.abort_conditions {
            // The plan aborts when a metric reaches a level; k6 aborts when a threshold fails, so
            // the threshold is the opposite comparison.
            let op = match a.comparator {
                Comparator::AtLeast => "<",
                Comparator::AtMost => ">",
            };
            let (key, agg) = if a.metric == "error_rate" {
                (
                    format!("http_req_failed{}", scope(None)),
                    "rate".to_string(),
                )
            } else if let Some(p) = common::latency_percentile(&a.metric) {
                (
                    format!("http_req_duration{}", scope(None)),
                    format!("p({})", num(p)),
                )
            } else {
                continue;
            };
            add(
                key,
                format!(
                    "{{ threshold: {}, abortOnFail: true, delayAbortEval: '{}s' }}",
                    quote(&format!("{agg}{op}{}", num(a.threshold))),
                    a.sustained_s
                ),
            );
        }
    }
    out
}

/// k6's default trend stats plus p(99), every percentile an SLO names, and the count.
fn trend_stats(input: &Input) -> Vec<String> {
    let mut pcts = vec![90.0, 95.0, 99.0];
    pcts.extend(common::slo_percentiles(input));
    pcts.sort_by(f64::total_cmp);
    pcts.dedup();
    let mut out: Vec<String> = ["avg", "min", "med", "max"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    out.extend(pcts.iter().map(|p| format!("p({})", num(*p))));
    out.push("count".to_string());
    out
}
