//! Judgement on synthetic runs: per-endpoint verdicts, sample counts, the knee, recovery and
//! drift on made-up time series, and the baseline comparison against its noise.

use super::*;
use crate::profile::ServiceProfile;
use crate::results::Stats;
use crate::results::{Bucket, EndpointResults, Latency, RunResults};

const PROFILE: &str = "
service: checkout-api
traffic: {baseline_rps: 50, peak_rps: 200, burst_factor: 3}
slo:
  latency_ms: {p95: 400, p99: 800}
  error_rate: 0.01
endpoints:
  - {path: /cart/submit, method: POST, critical: true}
  - {path: /cart/view, method: GET, critical: true}
  - {path: /help, method: GET, critical: false, slo: {latency_ms: {p95: 400}}}
  - {path: /about, method: GET, critical: false}
";

fn profile() -> ServiceProfile {
    crate::profile::load("p.yaml", PROFILE).unwrap().profile
}

fn lat(p95: f64, p99: f64) -> Latency {
    Latency {
        p50: Some(p95 / 3.0),
        p95: Some(p95),
        p99: Some(p99),
        ..Default::default()
    }
}

fn stats(requests: u64, errors: u64, p95: f64, p99: f64) -> Stats {
    Stats {
        requests: Some(requests),
        errors: Some(errors),
        throughput_rps: Some(200.0),
        latency_ms: lat(p95, p99),
        ..Default::default()
    }
}

fn endpoint(name: &str, s: Stats) -> EndpointResults {
    EndpointResults {
        name: name.into(),
        method: None,
        stats: s,
    }
}

fn run(overall: Stats, endpoints: Vec<EndpointResults>) -> RunResults {
    RunResults {
        overall,
        endpoints,
        ..RunResults::new("test")
    }
}

fn healthy() -> RunResults {
    run(
        stats(60_000, 60, 300.0, 600.0),
        vec![
            endpoint("POST /cart/submit", stats(20_000, 20, 320.0, 640.0)),
            endpoint("GET /cart/view", stats(39_000, 40, 290.0, 590.0)),
            endpoint("GET /help", stats(1_000, 0, 100.0, 200.0)),
        ],
    )
}

fn check<'a>(a: &'a Assessment, id: &str) -> &'a CheckResult {
    a.checks.iter().find(|c| c.id == id).unwrap()
}

#[test]
fn healthy_run_passes_with_every_endpoint_checked() {
    let a = assess(&profile(), &healthy(), &Settings::default());
    assert_eq!(a.verdict, Verdict::Pass, "{:#?}", a.issues);
    // 3 overall + 3 per critical endpoint + 3 for /help, which has an objective of its own;
    // /about, neither critical nor with objectives of its own, is held by the service's checks.
    assert_eq!(a.checks.len(), 12);
    assert!(a.checks.iter().all(|c| !c.scope.contains("/about")));
    assert!(a.inconclusive_reasons.is_empty());
}

#[test]
fn slow_critical_endpoint_hidden_by_passing_aggregate_fails() {
    let mut r = healthy();
    r.endpoints[0].stats.latency_ms = lat(950.0, 1500.0);
    let a = assess(&profile(), &r, &Settings::default());
    assert_eq!(check(&a, "latency_p95").status, Status::Pass);
    assert_eq!(
        check(&a, "latency_p95[POST /cart/submit]").status,
        Status::Fail
    );
    assert_eq!(a.verdict, Verdict::Fail);
    assert!(
        a.narrative
            .iter()
            .any(|l| l.contains("aggregate hides") && l.contains("POST /cart/submit")),
        "{:?}",
        a.narrative
    );
}

#[test]
fn slow_non_critical_endpoint_is_a_warning() {
    let mut r = healthy();
    r.endpoints[2].stats.latency_ms = lat(950.0, 1500.0);
    let a = assess(&profile(), &r, &Settings::default());
    assert_eq!(check(&a, "latency_p95[GET /help]").status, Status::Warn);
    assert_eq!(a.verdict, Verdict::Warn);
}

#[test]
fn too_few_samples_to_bound_a_percentile_on_a_critical_endpoint_is_inconclusive() {
    let mut r = healthy();
    // Even with every latency known, p99 of 300 requests has no 95 % upper bound: 368 needed.
    r.endpoints[0].stats.requests = Some(300);
    r.endpoints[0].stats.errors = Some(0);
    let a = assess(&profile(), &r, &Settings::default());
    let c = check(&a, "latency_p99[POST /cart/submit]");
    assert_eq!(c.status, Status::Inconclusive);
    assert_eq!(c.requests_needed, Some(368));
    assert!(
        c.note.as_deref().unwrap().contains("368 are needed"),
        "{c:?}"
    );
    // p95 needs only 72: judged on the reported value, with no interval.
    let p95 = check(&a, "latency_p95[POST /cart/submit]");
    assert_eq!(p95.status, Status::Pass);
    assert!(p95.interval.is_none());
    assert_eq!(a.verdict, Verdict::Inconclusive);
    assert!(
        a.inconclusive_reasons
            .iter()
            .any(|r| r.contains("latency_p99[POST /cart/submit]")),
        "{:?}",
        a.inconclusive_reasons
    );
}

#[test]
fn run_too_short_for_p999() {
    let mut p = profile();
    p.slo.latency_ms.p999 = Some(1500.0);
    let mut r = healthy();
    r.overall.latency_ms.p999 = Some(1000.0);
    r.overall.requests = Some(1_000);
    r.overall.errors = Some(1);
    let a = assess(&p, &r, &Settings::default());
    let c = check(&a, "latency_p99.9");
    assert_eq!(c.status, Status::Inconclusive);
    assert_eq!(c.requests_needed, Some(3688));
    assert_eq!(a.verdict, Verdict::Inconclusive);
}

#[test]
fn load_not_reached_is_inconclusive_with_reason() {
    let mut r = healthy();
    r.overall.throughput_rps = Some(40.0);
    let a = assess(&profile(), &r, &Settings::default());
    assert_eq!(a.verdict, Verdict::Inconclusive);
    assert!(a.inconclusive_reasons[0].contains("load was not applied"));
}

#[test]
fn error_budget_share() {
    let a = assess(&profile(), &healthy(), &Settings::default());
    // 60 errors in 60 000 requests = 0.1 % of a 1 % budget.
    assert_eq!(a.error_budget_used_pct, Some(10.0));
}

fn bucket(t: f64, rps: f64, p95: f64, err: f64) -> Bucket {
    Bucket {
        offset_s: t,
        throughput_rps: Some(rps),
        error_rate: Some(err),
        latency_ms: Latency {
            p95: Some(p95),
            ..Default::default()
        },
        users: None,
        memory_percent: None,
    }
}

/// A stress ramp: load rises 50 requests/s every 10 s; p95 stays at 200 ms up to `knee_rps`
/// and climbs past the objective from there.
fn ramp(knee_rps: f64) -> Vec<Bucket> {
    (0..20)
        .map(|i| {
            let rps = 50.0 * (i + 1) as f64;
            let p95 = if rps < knee_rps { 200.0 } else { 500.0 + rps };
            bucket(i as f64 * 10.0, rps, p95, 0.0)
        })
        .collect()
}

fn with_series(series: Vec<Bucket>) -> RunResults {
    let mut r = healthy();
    r.timeseries = series;
    r
}

#[test]
fn knee_found_and_placed_against_peak_and_burst() {
    let p = profile();
    let s = Settings::default();
    let cases = [
        (150.0, KneePosition::BelowPeak),
        (400.0, KneePosition::BetweenPeakAndBurst),
        (700.0, KneePosition::AboveBurst),
    ];
    for (knee_rps, position) in cases {
        let a = assess(&p, &with_series(ramp(knee_rps)), &s);
        let st = a.stages.unwrap();
        let k = st.knee.unwrap();
        assert_eq!(k.load, knee_rps);
        assert_eq!(k.offset_s, (knee_rps / 50.0 - 1.0) * 10.0);
        assert_eq!(k.metric, "latency_p95_ms");
        assert_eq!(k.position, position);
        assert_eq!(st.max_load_within_slo, Some(knee_rps - 50.0));
        assert!(a.issues.iter().any(|i| i.kind == "capacity-knee"));
    }
}

#[test]
fn one_noisy_bucket_is_not_a_knee() {
    let mut series = ramp(10_000.0);
    series[3].latency_ms.p95 = Some(900.0);
    let a = assess(&profile(), &with_series(series), &Settings::default());
    let st = a.stages.unwrap();
    assert!(st.knee.is_none());
    assert_eq!(st.max_load_within_slo, Some(1000.0));
}

#[test]
fn a_warm_up_breach_the_service_outgrows_is_not_a_knee() {
    // Slow for the first three buckets at low load (cold caches), then fine all the way up.
    let mut series = ramp(10_000.0);
    for b in &mut series[..3] {
        b.latency_ms.p95 = Some(700.0);
    }
    let a = assess(&profile(), &with_series(series), &Settings::default());
    assert!(a.stages.unwrap().knee.is_none());
    // But a breach that stays once the load is there is one, even after a warm-up breach.
    let mut series = ramp(600.0);
    for b in &mut series[..3] {
        b.latency_ms.p95 = Some(700.0);
    }
    let a = assess(&profile(), &with_series(series), &Settings::default());
    assert_eq!(a.stages.unwrap().knee.unwrap().load, 600.0);
}

#[test]
fn error_rate_can_be_the_knee() {
    let series: Vec<Bucket> = (0..10)
        .map(|i| {
            let rps = 100.0 * (i + 1) as f64;
            bucket(
                i as f64 * 5.0,
                rps,
                100.0,
                if rps >= 500.0 { 0.05 } else { 0.0 },
            )
        })
        .collect();
    let a = assess(&profile(), &with_series(series), &Settings::default());
    let k = a.stages.unwrap().knee.unwrap();
    assert_eq!((k.metric.as_str(), k.load), ("error_rate", 500.0));
}

/// Peak load at 200 requests/s, a burst to 600 from 60 s to 90 s; p95 stays high for
/// `slow_for` seconds after the burst ends.
fn burst(slow_for: f64) -> Vec<Bucket> {
    (0..30)
        .map(|i| {
            let t = i as f64 * 5.0;
            let in_burst = (60.0..90.0).contains(&t);
            let rps = if in_burst { 600.0 } else { 200.0 };
            let slow = in_burst || (t >= 90.0 && t < 90.0 + slow_for);
            bucket(t, rps, if slow { 700.0 } else { 250.0 }, 0.0)
        })
        .collect()
}

#[test]
fn recovery_time_after_burst() {
    let s = Settings::default();
    let a = assess(&profile(), &with_series(burst(20.0)), &s);
    let r = a.stages.unwrap().recovery.unwrap();
    assert_eq!(r.burst_start_s, 60.0);
    assert_eq!(r.burst_end_s, Some(90.0));
    assert_eq!(r.burst_load, 600.0);
    assert_eq!(r.recovery_s, Some(20.0));
    assert!(r.recovered);
    assert!(!a.issues.iter().any(|i| i.kind == "slow-recovery"));

    let a = assess(
        &profile(),
        &with_series(burst(45.0)),
        &Settings {
            recovery_limit_s: 30.0,
            ..s.clone()
        },
    );
    assert_eq!(a.stages.unwrap().recovery.unwrap().recovery_s, Some(45.0));
    assert!(a.issues.iter().any(|i| i.kind == "slow-recovery"));

    let a = assess(&profile(), &with_series(burst(1000.0)), &s);
    let r = a.stages.unwrap().recovery.unwrap();
    assert!(!r.recovered && r.recovery_s.is_none());
    assert!(a.issues.iter().any(|i| i.kind == "no-recovery"));
}

/// A four-hour soak sampled every 10 minutes with a 10-minute ramp at each end.
fn soak(latency_per_h: f64, memory_per_h: f64, errors_per_h: f64) -> Vec<Bucket> {
    (0..=24)
        .map(|i| {
            let t = i as f64 * 600.0;
            let h = t / 3600.0;
            let rps = if i == 0 || i == 24 { 50.0 } else { 200.0 };
            let mut b = bucket(t, rps, 200.0 + latency_per_h * h, errors_per_h * h);
            b.memory_percent = Some(40.0 + memory_per_h * h);
            b
        })
        .collect()
}

#[test]
fn drift_per_hour_over_a_soak() {
    let a = assess(
        &profile(),
        &with_series(soak(30.0, 5.0, 0.001)),
        &Settings::default(),
    );
    let d = a.stages.unwrap().drift.unwrap();
    assert_eq!(d.latency_metric, "latency_p95_ms");
    assert!((d.latency_ms_per_h.unwrap() - 30.0).abs() < 1e-6);
    assert!((d.memory_points_per_h.unwrap() - 5.0).abs() < 1e-6);
    assert!((d.error_rate_per_h.unwrap() - 0.001).abs() < 1e-9);
    // Ramp buckets excluded: the steady part spans 10 min to 3 h 50 min.
    assert!((d.span_h - 11.0 / 3.0).abs() < 1e-3);
    for kind in ["latency-drift", "memory-drift"] {
        assert!(a.issues.iter().any(|i| i.kind == kind), "{kind}");
    }
    assert!(!a.issues.iter().any(|i| i.kind == "error-drift"));

    let a = assess(
        &profile(),
        &with_series(soak(1.0, 0.0, 0.0)),
        &Settings::default(),
    );
    assert!(!a.issues.iter().any(|i| i.kind.ends_with("-drift")));
}

#[test]
fn short_series_has_no_drift() {
    let a = assess(&profile(), &with_series(burst(0.0)), &Settings::default());
    assert!(a.stages.unwrap().drift.is_none());
}

#[test]
fn regression_flagged_while_slo_still_met() {
    let base = healthy();
    let mut cur = healthy();
    cur.overall.latency_ms.p95 = Some(370.0); // +23 %, still under 400
    let a = assess_with_baseline(&profile(), &cur, Some(&base), &Settings::default());
    assert_eq!(check(&a, "latency_p95").status, Status::Warn); // within the warn band anyway
    let b = a.baseline.as_ref().unwrap();
    assert_eq!(b.regressions, 1);
    let c = b
        .comparisons
        .iter()
        .find(|c| c.outcome == Change::Regression)
        .unwrap();
    assert_eq!(
        (c.metric.as_str(), c.scope.as_str()),
        ("latency_p95_ms", "overall")
    );
    assert_eq!(c.change_pct, Some(23.3));
    assert!(a.issues.iter().any(|i| i.kind == "regression"
        && i.severity == IssueSeverity::Warning
        && i.message.contains("300 ms")));
    assert_eq!(a.verdict, Verdict::Warn);

    // A 12 % rise at an objective far away still warns: only the baseline says so.
    let mut cur = healthy();
    cur.endpoints[0].stats.latency_ms.p99 = Some(717.0);
    let a = assess_with_baseline(&profile(), &cur, Some(&base), &Settings::default());
    assert_eq!(a.counts.fail + a.counts.warn, 0);
    assert_eq!(a.verdict, Verdict::Warn);
    assert!(
        a.issues
            .iter()
            .any(|i| i.kind == "regression" && i.message.contains("POST /cart/submit"))
    );
}

#[test]
fn improvement_named_and_small_changes_ignored() {
    let base = healthy();
    let mut cur = healthy();
    cur.overall.latency_ms.p95 = Some(200.0);
    cur.overall.latency_ms.p99 = Some(630.0); // +5 %: below the 10 % share
    let a = assess_with_baseline(&profile(), &cur, Some(&base), &Settings::default());
    let b = a.baseline.as_ref().unwrap();
    assert_eq!((b.regressions, b.improvements), (0, 1));
    assert_eq!(a.verdict, Verdict::Pass);
    assert!(
        a.narrative
            .iter()
            .any(|l| l.contains("P95 latency (overall) fell")),
        "{:?}",
        a.narrative
    );
}

#[test]
fn spread_of_the_runs_explains_a_change() {
    // Both runs' p95 swings between 200 and 400 ms bucket to bucket: a 15 % rise in the run's
    // p95 is within what that spread explains with only four buckets each.
    let noisy = |shift: f64| -> Vec<Bucket> {
        [200.0, 400.0, 200.0, 400.0]
            .iter()
            .enumerate()
            .map(|(i, p)| bucket(i as f64 * 10.0, 200.0, p + shift, 0.0))
            .collect()
    };
    let mut base = healthy();
    base.timeseries = noisy(0.0);
    let mut cur = healthy();
    cur.overall.latency_ms.p95 = Some(345.0);
    cur.timeseries = noisy(45.0);
    let a = assess_with_baseline(&profile(), &cur, Some(&base), &Settings::default());
    let c = &a.baseline.as_ref().unwrap().comparisons[1];
    assert_eq!(c.metric, "latency_p95_ms");
    assert!(c.noise.unwrap() > 45.0, "{c:?}");
    assert_eq!(c.outcome, Change::Unchanged);
}

#[test]
fn error_rate_regression_needs_more_than_binomial_noise() {
    let base = healthy(); // 0.1 %
    let mut cur = healthy();
    cur.overall.errors = Some(600); // 1 % of 60 000: far beyond noise
    let a = assess_with_baseline(&profile(), &cur, Some(&base), &Settings::default());
    let c = a
        .baseline
        .unwrap()
        .comparisons
        .into_iter()
        .find(|c| c.metric == "error_rate" && c.scope == "overall")
        .unwrap();
    assert_eq!(c.outcome, Change::Regression);

    let mut small = healthy();
    small.overall.requests = Some(100);
    small.overall.errors = Some(0);
    let mut cur = small.clone();
    cur.overall.errors = Some(1); // 1 % of 100 requests: noise
    let a = assess_with_baseline(&profile(), &cur, Some(&small), &Settings::default());
    let c = a
        .baseline
        .unwrap()
        .comparisons
        .into_iter()
        .find(|c| c.metric == "error_rate" && c.scope == "overall")
        .unwrap();
    assert_eq!(c.outcome, Change::Unchanged);
}

/// Each kind of sentence the narrative writes, pinned word for word on runs whose truth is known.
#[test]
fn every_sentence_kind_says_what_is_true() {
    let s = Settings::default();
    // Verdict and run lines of a pass.
    let a = assess(&profile(), &healthy(), &s);
    assert_eq!(
        a.narrative[0],
        "checkout-api meets all 12 evaluated checks, each at 95 % confidence."
    );
    assert_eq!(
        a.narrative[1],
        "60000 requests (200 requests/s), 60 failed (0.1 %)."
    );
    assert!(
        a.narrative
            .contains(&"The run used 10 % of the error budget.".to_string())
    );

    // A failed check: observed, objective, by how much over; the aggregate hiding it.
    let mut r = healthy();
    r.endpoints[0].stats.latency_ms = lat(950.0, 1500.0);
    let a = assess(&profile(), &r, &s);
    assert_eq!(
        a.narrative[0],
        "checkout-api FAILS 2 of 12 evaluated checks."
    );
    assert!(a.narrative.contains(
        &"POST /cart/submit: p95 latency is 950 ms against an objective of at most 400 ms (137.5 % over).".to_string()
    ), "{:#?}", a.narrative);
    assert!(a.narrative.iter().any(|l| l
        == "The run as a whole meets its objectives, but 1 critical endpoint (POST /cart/submit) does not: the aggregate hides it."));

    // A pass close to its objective: "within N %" is a positive share, never negative.
    let mut r = healthy();
    r.overall.latency_ms.p95 = Some(380.0);
    let a = assess(&profile(), &r, &s);
    assert!(
        a.narrative.contains(
            &"overall: p95 latency is 380 ms, within 5 % of its objective of at most 400 ms."
                .to_string()
        ),
        "{:#?}",
        a.narrative
    );
    assert!(a.narrative.iter().all(|l| !l.contains("within -")));

    // A non-critical endpoint over its objective is short of it, never "within" it.
    let mut r = healthy();
    r.endpoints[2].stats.latency_ms = lat(950.0, 1500.0);
    let a = assess(&profile(), &r, &s);
    assert!(
        a.narrative.iter().any(|l| l.starts_with(
            "GET /help: p95 latency is 950 ms, short of its objective of at most 400 ms ("
        ) && l.contains("non-critical endpoint")),
        "{:#?}",
        a.narrative
    );

    // An undecided check names the cause and what would settle it.
    let mut r = healthy();
    r.overall.requests = Some(300);
    r.overall.errors = Some(0);
    let a = assess(&profile(), &r, &s);
    assert!(a.narrative.contains(
        &"overall: p99 latency is 600 ms, but undecided against its objective of at most 800 ms: 300 requests cannot bound p99 at 95 % confidence: even with every latency known, 368 are needed.".to_string()
    ), "{:#?}", a.narrative);

    // Not evaluated: the real cause, not a generic one.
    let mut r = healthy();
    r.overall.latency_ms.p99 = None;
    let a = assess(&profile(), &r, &s);
    assert!(
        a.narrative
            .contains(&"1 check was not evaluated: p99 not reported by these results.".to_string()),
        "{:#?}",
        a.narrative
    );

    // Numbers are rounded as people read them.
    let mut r = healthy();
    r.overall.latency_ms.p50 = Some(0.880_230_499_999_999_9);
    r.overall.latency_ms.p99 = Some(78.0);
    r.endpoints.clear();
    let a = assess(&profile(), &r, &s);
    let tail = a.issues.iter().find(|i| i.kind == "long-tail").unwrap();
    assert_eq!(
        tail.message,
        "long latency tail on the run: p99 (78 ms) is 88.6× p50 (0.88 ms); look for lock contention, GC pauses, retries or a slow dependency"
    );
}
