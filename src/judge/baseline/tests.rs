//! The baseline comparison on sampled runs: the rank test's calibration (identical runs never
//! differ, runs drawn alike rarely do, a real shift always does), the effect floors that keep a
//! 2 → 3 ms move from being news, the two-proportion test, and the report's sentences.

fn mann_whitney(c: &Distribution, b: &Distribution) -> Option<RankTest> {
    Pooled::of(c, b).mann_whitney()
}

use super::significance::{Pooled, RankTest, two_proportion};
use super::*;
use crate::results::hist::Hist;
use crate::results::{Bin, Latency};
use proptest::prelude::*;

/// A deterministic uniform stream in 0..1 (xorshift): simulations repeat exactly.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponential latencies (ms) with the given mean, kept to the microsecond as k6 does.
    fn latencies(&mut self, n: usize, mean_ms: f64) -> Vec<u64> {
        (0..n)
            .map(|_| (-mean_ms * (1.0 - self.uniform()).ln() * 1000.0).round() as u64)
            .collect()
    }
}

fn distribution(samples: &[u64], per_ms: f64) -> Distribution {
    let mut h = Hist::default();
    for v in samples {
        h.record(*v);
    }
    Distribution::from_hist(&h, per_ms, None, None)
}

/// A group as a raw-sample reader reports it: percentiles read from its own distribution.
fn stats_of(d: Distribution, errors: u64) -> Stats {
    let q = |q: f64| d.point(q);
    Stats {
        requests: Some(d.total()),
        errors: Some(errors),
        latency_ms: Latency {
            p50: q(0.5),
            p90: q(0.9),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            ..Default::default()
        },
        distribution: Some(d),
        ..Default::default()
    }
}

fn run_of(overall: Stats) -> RunResults {
    RunResults {
        overall,
        ..RunResults::new("k6-ndjson")
    }
}

fn profile() -> ServiceProfile {
    let yaml = "service: s\ntraffic: {baseline_rps: 10, peak_rps: 20}\nslo:\n  latency_ms: {p95: 1000}\n  error_rate: 0.05\nendpoints:\n  - {path: /a, method: GET}\n";
    crate::profile::load("p.yaml", yaml).unwrap().profile
}

fn compared(current: &RunResults, baseline: &RunResults) -> (BaselineComparison, Vec<Issue>) {
    let mut issues = Vec::new();
    let c = compare(
        &profile(),
        current,
        baseline,
        &Settings::default(),
        &mut issues,
    );
    (c, issues)
}

fn find<'a>(b: &'a BaselineComparison, metric: &str) -> &'a Comparison {
    b.comparisons
        .iter()
        .find(|c| c.metric == metric && c.scope == "overall")
        .unwrap()
}

proptest! {
    #[test]
    fn identical_distributions_never_differ(
        bins in prop::collection::vec((0u32..5_000, 1u64..1_000_000), 1..60)
    ) {
        let d = Distribution::from_bins(
            bins.iter().map(|&(lo, count)| Bin {
                lo_ms: f64::from(lo) / 10.0,
                hi_ms: f64::from(lo) / 10.0 + 0.05,
                count,
            }).collect(),
            None,
            None,
        );
        let t = mann_whitney(&d, &d).unwrap();
        prop_assert!(t.p_slower >= 0.5 && t.p_faster >= 0.5, "{t:?}");
        prop_assert!((t.p_superiority - 0.5).abs() < 1e-9);
        let r = run_of(stats_of(d, 0));
        let (b, issues) = compared(&r, &r);
        prop_assert_eq!((b.regressions, b.improvements), (0, 0));
        prop_assert!(issues.is_empty());
    }
}

/// The exact one-sided p-value P(U >= u) for `m` against `n` distinct values, by counting the
/// arrangements that give each U (the recurrence c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u)).
fn exact_p_at_least(m: usize, n: usize, u: usize) -> f64 {
    let max = m * n;
    // table[i][j][u]: arrangements of i against j values with U = u.
    let mut table = vec![vec![vec![0f64; max + 1]; n + 1]; m + 1];
    for (i, row) in table.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            if i == 0 || j == 0 {
                cell[0] = 1.0;
            }
        }
    }
    for i in 1..=m {
        for j in 1..=n {
            for v in 0..=i * j {
                let with_top_current = if v >= j { table[i - 1][j][v - j] } else { 0.0 };
                table[i][j][v] = with_top_current + table[i][j - 1][v];
            }
        }
    }
    let all: f64 = table[m][n].iter().sum();
    table[m][n][u..].iter().sum::<f64>() / all
}

#[test]
fn the_normal_approximation_follows_the_exact_distribution_from_a_dozen_samples() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..200 {
        // 12 against 15 distinct whole milliseconds, the current run shifted by a random amount.
        let shift = rng.uniform() * 20.0;
        // Below 64 the histogram keeps every whole millisecond apart: 43 + 20 stays below it.
        let mut values: Vec<u64> = (0..44).collect();
        for i in (1..values.len()).rev() {
            values.swap(i, (rng.uniform() * (i + 1) as f64) as usize);
        }
        let cur: Vec<u64> = values[..12].iter().map(|v| v + shift as u64).collect();
        let base: Vec<u64> = values[12..27].to_vec();
        if cur.iter().any(|c| base.contains(c)) {
            continue;
        }
        let t = mann_whitney(&distribution(&cur, 1.0), &distribution(&base, 1.0)).unwrap();
        let u = cur
            .iter()
            .map(|c| base.iter().filter(|b| c > b).count())
            .sum::<usize>();
        assert!((t.p_superiority - u as f64 / 180.0).abs() < 1e-12);
        let exact = exact_p_at_least(12, 15, u);
        assert!(
            (t.p_slower - exact).abs() < 0.01,
            "u={u} exact={exact} approx={}",
            t.p_slower
        );
    }
}

#[test]
fn runs_drawn_from_one_distribution_rarely_differ() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let trials = 400;
    let (mut significant, mut flagged_runs, mut tail_flags) = (0, 0, 0);
    for _ in 0..trials {
        let a = distribution(&rng.latencies(1_000, 50.0), 1000.0);
        let b = distribution(&rng.latencies(1_000, 50.0), 1000.0);
        if mann_whitney(&a, &b).unwrap().p_slower < 0.05 {
            significant += 1;
        }
        let (c, _) = compared(&run_of(stats_of(a, 0)), &run_of(stats_of(b, 0)));
        if c.regressions > 0 {
            flagged_runs += 1;
        }
        tail_flags += c
            .comparisons
            .iter()
            .filter(|x| x.outcome == Change::Regression && x.metric.starts_with("latency_p99"))
            .count();
    }
    // One-sided at 95 %: about 5 % of pure-noise pairs test "slower" (the stated confidence
    // means exactly that), and no more are called a regression.
    let rate = significant as f64 / trials as f64;
    assert!((0.025..=0.075).contains(&rate), "significant in {rate}");
    let flagged = flagged_runs as f64 / trials as f64;
    assert!(flagged <= 0.055, "regressions in {flagged} of the runs");
    // p99 and p99.9 of 1,000 samples swing by 10 % and more; their own quantile test keeps a
    // chance shift of the bulk from calling them regressed.
    assert_eq!(tail_flags, 0);
}

#[test]
fn a_20_percent_shift_over_thousands_of_samples_is_a_confident_regression() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let base = run_of(stats_of(
        distribution(&rng.latencies(4_000, 50.0), 1000.0),
        0,
    ));
    let cur = run_of(stats_of(
        distribution(&rng.latencies(4_000, 60.0), 1000.0),
        0,
    ));
    let (b, issues) = compared(&cur, &base);
    let c = find(&b, "latency_p95_ms");
    assert_eq!(c.method, Method::MannWhitney);
    assert_eq!(c.outcome, Change::Regression, "{c:?}");
    assert!(
        c.confidence.unwrap() > 0.999 && c.p_value.unwrap() < 1e-3,
        "{c:?}"
    );
    // Exponentials with means 60 and 50: P(slower) = 60 / 110.
    assert!((c.effect.unwrap() - 60.0 / 110.0).abs() < 0.02, "{c:?}");
    let i = issues
        .iter()
        .find(|i| i.message.starts_with("p95 latency (overall) rose"))
        .unwrap();
    assert_eq!(i.severity, IssueSeverity::Warning);
    assert!(
        i.message.contains(
            "the runs differ with over 99.9 % confidence (Mann–Whitney U, P(slower) = 0.5"
        ),
        "{}",
        i.message
    );

    // The same shift the other way is an improvement, stated from the faster side.
    let (b, issues) = compared(&base, &cur);
    assert_eq!(find(&b, "latency_p95_ms").outcome, Change::Improvement);
    assert!(issues.iter().any(|i| i.severity == IssueSeverity::Info
        && i.message.contains("fell")
        && i.message.contains("P(faster) = 0.5")));
}

#[test]
fn two_to_three_ms_is_not_a_regression_however_sure() {
    // Thousands of requests at 2 ms, then at 3 ms (whole milliseconds, as JMeter writes them):
    // the runs certainly differ, but by one millisecond.
    let base = run_of(stats_of(distribution(&[2; 5_000], 1.0), 0));
    let cur = run_of(stats_of(distribution(&[3; 5_000], 1.0), 0));
    let (b, issues) = compared(&cur, &base);
    let c = find(&b, "latency_p50_ms");
    assert_eq!(
        (c.baseline, c.current, c.change_pct),
        (2.0, 3.0, Some(50.0))
    );
    assert!(c.confidence.unwrap() > 0.999);
    assert_eq!(c.min_change, 1.0);
    assert_eq!(c.outcome, Change::Unchanged);
    assert_eq!(b.regressions, 0);
    assert!(issues.is_empty());

    // A summary (no samples) gets the same floor.
    let summary = |p: f64| {
        run_of(Stats {
            requests: Some(1_000_000),
            latency_ms: Latency {
                p50: Some(p),
                ..Default::default()
            },
            ..Default::default()
        })
    };
    let (b, _) = compared(&summary(3.0), &summary(2.0));
    let c = find(&b, "latency_p50_ms");
    assert_eq!((c.method, c.outcome), (Method::Spread, Change::Unchanged));
    // 2 → 3.5 ms is more than the floor.
    let (b, _) = compared(&summary(3.5), &summary(2.0));
    assert_eq!(find(&b, "latency_p50_ms").outcome, Change::Regression);
}

#[test]
fn a_move_within_one_bin_of_a_coarse_histogram_is_no_move() {
    // Bins 40 ms wide (a coarse report): every sample moves up one bin, 160 → 200 ms. Significant
    // and 25 %, but the percentile is only known to the bin.
    let bins = |lo: f64| {
        vec![Bin {
            lo_ms: lo,
            hi_ms: lo + 40.0,
            count: 2_000,
        }]
    };
    let base = run_of(stats_of(
        Distribution::from_bins(bins(120.0), None, None),
        0,
    ));
    let cur = run_of(stats_of(
        Distribution::from_bins(bins(160.0), None, None),
        0,
    ));
    let (b, _) = compared(&cur, &base);
    let c = find(&b, "latency_p95_ms");
    assert_eq!((c.baseline, c.current), (160.0, 200.0));
    assert_eq!(c.min_change, 40.0);
    assert_eq!(c.outcome, Change::Unchanged);
}

#[test]
fn a_large_change_on_few_samples_is_not_significant() {
    // Five requests a side: p95 doubles, but five samples cannot show it at 95 %.
    let base = run_of(stats_of(distribution(&[10, 20, 30, 40, 50], 1.0), 0));
    let cur = run_of(stats_of(distribution(&[15, 25, 35, 45, 100], 1.0), 0));
    let (b, _) = compared(&cur, &base);
    let c = find(&b, "latency_p95_ms");
    assert_eq!((c.baseline, c.current), (50.0, 100.0));
    assert!(c.p_value.unwrap() > 0.05, "{c:?}");
    assert_eq!(c.outcome, Change::Unchanged);
}

#[test]
fn error_rates_compare_by_a_two_proportion_test() {
    let with_errors = |k: u64, n: u64| {
        run_of(Stats {
            requests: Some(n),
            errors: Some(k),
            ..Default::default()
        })
    };
    // 0.1 % to 1 % of 60,000: certain, and beyond the floor.
    let (b, issues) = compared(&with_errors(600, 60_000), &with_errors(60, 60_000));
    let c = find(&b, "error_rate");
    assert_eq!(
        (c.method, c.outcome),
        (Method::TwoProportion, Change::Regression)
    );
    assert!(
        issues[0]
            .message
            .ends_with("the rates differ with over 99.9 % confidence (two-proportion z test)")
    );
    // 1 failure in 100 after none: beyond the 0.1-point floor, but not significant.
    let (b, _) = compared(&with_errors(1, 100), &with_errors(0, 100));
    let c = find(&b, "error_rate");
    assert!(c.p_value.unwrap() > 0.05);
    assert_eq!(c.outcome, Change::Unchanged);
    // 0.10 % to 0.12 % of ten million: significant, but under the 10 % share and the floor.
    let (b, _) = compared(
        &with_errors(12_000, 10_000_000),
        &with_errors(10_000, 10_000_000),
    );
    let c = find(&b, "error_rate");
    assert!(c.confidence.unwrap() > 0.999);
    assert_eq!(c.outcome, Change::Unchanged);
    // Only a rate (no counts): the share and floor alone.
    let rate = |r: f64| {
        run_of(Stats {
            error_rate: Some(r),
            ..Default::default()
        })
    };
    let (b, _) = compared(&rate(0.02), &rate(0.01));
    let c = find(&b, "error_rate");
    assert_eq!(
        (c.method, c.outcome, c.p_value),
        (Method::Spread, Change::Regression, None)
    );
}

#[test]
fn the_two_proportion_test_holds_its_error_rate_under_the_null() {
    let mut rng = Rng(0x0bad_cafe_dead_beef);
    let trials = 1_000;
    let mut significant = 0;
    for _ in 0..trials {
        let mut draw = || (0..2_000).filter(|_| rng.uniform() < 0.01).count() as u64;
        let (k1, k2) = (draw(), draw());
        if two_proportion(k1, 2_000, k2, 2_000).unwrap().p_higher < 0.05 {
            significant += 1;
        }
    }
    let rate = significant as f64 / trials as f64;
    assert!(rate <= 0.05, "significant in {rate}");
    // Equal counts are never evidence either way.
    let t = two_proportion(20, 2_000, 20, 2_000).unwrap();
    assert!(t.p_higher >= 0.5 && t.p_lower >= 0.5);
    let t = two_proportion(0, 2_000, 0, 2_000).unwrap();
    assert_eq!((t.p_higher, t.p_lower), (1.0, 1.0));
}

#[test]
fn endpoints_match_by_name_and_method() {
    let ep = |method: &str, p95: f64| crate::results::EndpointResults {
        name: "/a".into(),
        method: Some(method.into()),
        stats: Stats {
            latency_ms: Latency {
                p95: Some(p95),
                ..Default::default()
            },
            ..Default::default()
        },
    };
    let mut base = run_of(Stats::default());
    base.endpoints = vec![ep("POST", 100.0), ep("GET", 200.0)];
    let mut cur = run_of(Stats::default());
    cur.endpoints = vec![ep("GET", 200.0)];
    let (b, _) = compared(&cur, &base);
    let c = &b.comparisons[0];
    assert_eq!((c.scope.as_str(), c.baseline), ("GET /a", 200.0));
    assert_eq!(c.outcome, Change::Unchanged);
}
