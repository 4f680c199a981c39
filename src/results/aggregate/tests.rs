//! The aggregator's own figures: exact counts, nearest-rank percentiles, caps and buckets.
use super::measured::{to_ns, to_units};
use super::merge::NotMergeable;
use super::*;

fn sample(start: f64, ms: f64, name: &str, ok: bool) -> Sample<'_> {
    Sample {
        start_ms: Some(start),
        elapsed_ms: ms,
        name: Some(name),
        success: Some(ok),
        status: Some(if ok { "200" } else { "500" }),
        ..Sample::default()
    }
}

#[test]
fn exact_counts_extremes_and_nearest_rank_percentiles() {
    let mut a = Aggregator::new(Limits::default(), Resolution::Millis);
    // 1..=100 ms, one failure every tenth sample, one sample per 100 ms.
    for i in 1..=100 {
        a.add(&sample(
            1000.0 + i as f64 * 100.0,
            i as f64,
            "/a",
            i % 10 != 0,
        ));
    }
    let r = a.finish("test");
    let o = &r.overall;
    assert_eq!(o.requests, Some(100));
    assert_eq!(o.errors, Some(10));
    assert_eq!(o.error_rate, Some(0.1));
    assert_eq!(o.latency_ms.min, Some(1.0));
    assert_eq!(o.latency_ms.max, Some(100.0));
    assert_eq!(o.latency_ms.mean, Some(50.5));
    // Nearest rank: p50 of 1..=100 is the 50th value, p95 the 95th, p99.9 the 100th.
    assert_eq!(o.latency_ms.p50, Some(50.0));
    assert_eq!(o.latency_ms.p95, Some(95.0));
    assert_eq!(o.latency_ms.p999, Some(100.0));
    assert_eq!(o.status_codes.get("500"), Some(&10));
    // First start 1100, last end 11000 + 100.
    assert_eq!(r.duration_s, Some(10.0));
    assert_eq!(o.throughput_rps, Some(10.0));
}

proptest::proptest! {
    /// Whole milliseconds take an integer shortcut; it must give what the general rounding gives.
    #[test]
    fn whole_milliseconds_convert_as_any_latency_does(
        ms in proptest::prop_oneof![0i64..5000, 0i64..(1 << 34), -10i64..0, (1i64 << 60)..(1 << 62)],
        frac in proptest::prop_oneof![proptest::strategy::Just(0.0), 0.0f64..1.0],
    ) {
        let ms = ms as f64 + frac;
        for resolution in [Resolution::Millis, Resolution::Micros] {
            let per_ms = resolution.per_ms();
            let m = Measured::of(ms, per_ms);
            proptest::prop_assert_eq!(m.ns, to_ns(ms));
            proptest::prop_assert_eq!(m.units, to_units(ms, per_ms));
        }
    }

    #[test]
    fn whole_milliseconds_given_as_integers_convert_alike(
        ms in proptest::prop_oneof![0u64..5000, 0u64..(1 << 40), proptest::num::u64::ANY],
    ) {
        for resolution in [Resolution::Millis, Resolution::Micros] {
            let per_ms = resolution.per_ms();
            let m = Measured::of_whole(ms, per_ms);
            proptest::prop_assert_eq!(m.ns, to_ns(ms as f64));
            proptest::prop_assert_eq!(m.units, to_units(ms as f64, per_ms));
        }
    }
}

#[test]
fn floor_without_libm_agrees_with_floor() {
    for q in [
        0.0,
        -0.0,
        0.5,
        -0.5,
        -1.0,
        -1.5,
        2.999,
        1e300,
        -1e300,
        9.3e18,
        -9.3e18,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -4e-320,
    ] {
        assert_eq!(floor_i64(q), q.floor() as i64, "{q}");
    }
}

#[test]
fn large_values_stay_within_a_thousandth() {
    let mut a = Aggregator::new(Limits::default(), Resolution::Micros);
    for v in [12_345.0, 54_321.0, 98_765.0] {
        a.add(&sample(0.0, v, "/a", true));
    }
    let p50 = a.finish("t").overall.latency_ms.p50.unwrap();
    assert!((p50 - 54_321.0).abs() / 54_321.0 < 0.001, "{p50}");
}

#[test]
fn endpoints_beyond_the_cap_count_overall_with_a_note() {
    let limits = Limits {
        max_endpoints: 2,
        ..Limits::default()
    };
    let mut a = Aggregator::new(limits, Resolution::Millis);
    for name in ["/a", "/b", "/c", "/c"] {
        a.add(&sample(0.0, 5.0, name, true));
    }
    let r = a.finish("t");
    assert_eq!(r.endpoints.len(), 2);
    assert_eq!(r.overall.requests, Some(4));
    assert!(r.notes.iter().any(|n| n.contains("2 samples of further")));
}

#[test]
fn buckets_merge_when_the_cap_is_reached() {
    let limits = Limits {
        max_buckets: 4,
        bucket_ms: 1000,
        ..Limits::default()
    };
    let mut a = Aggregator::new(limits, Resolution::Millis);
    for s in 0..16 {
        a.add(&sample(s as f64 * 1000.0, 10.0, "/a", true));
    }
    let r = a.finish("t");
    // 16 one-per-second samples in 4 buckets of 4 s; the last one ends with the run.
    assert_eq!(r.timeseries.len(), 4);
    let offsets: Vec<f64> = r.timeseries.iter().map(|b| b.offset_s).collect();
    assert_eq!(offsets, [0.0, 4.0, 8.0, 12.0]);
    assert_eq!(r.timeseries[0].throughput_rps, Some(1.0));
    assert_eq!(r.timeseries[3].throughput_rps, Some(round3(4.0 / 3.01)));
    assert!(r.notes.iter().any(|n| n.contains("per 4 s time bucket")));
}

#[test]
fn wildly_spread_timestamps_stay_bounded() {
    let mut a = Aggregator::new(Limits::default(), Resolution::Millis);
    for i in 0..2000u64 {
        let start = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1) as f64;
        a.add(&sample(start, 1e300, "/a", true));
    }
    let r = a.finish("t");
    assert!(r.timeseries.len() <= Limits::default().max_buckets);
    assert_eq!(r.overall.requests, Some(2000));
}

#[test]
fn unknown_outcomes_fall_back_to_failure_flags() {
    let mut a = Aggregator::new(Limits::default(), Resolution::Millis);
    let mut s = sample(0.0, 5.0, "/a", true);
    s.success = None;
    a.add(&s);
    a.add(&s);
    a.add_failure_flag(Some("/a"), None, true);
    a.add_failure_flag(Some("/a"), None, false);
    let r = a.finish("t");
    assert_eq!(r.overall.errors, Some(1));
    assert_eq!(r.endpoints[0].stats.errors, Some(1));
}

#[test]
fn parts_merge_to_the_single_pass_or_refuse() {
    let limits = Limits {
        max_endpoints: 3,
        max_buckets: 4,
        bucket_ms: 1000,
        ..Limits::default()
    };
    let names = ["/a", "/b", "/a", "/c", "/b", "/d", "/a"];
    let samples: Vec<Sample> = (0..70)
        .map(|i| sample(i as f64 * 700.0, (i % 13) as f64, names[i % 7], i % 5 != 0))
        .collect();
    let mut whole = Aggregator::new(limits, Resolution::Millis);
    for s in &samples {
        whole.add(s);
    }
    let part = |range: std::ops::Range<usize>| {
        let mut a = Aggregator::new(limits, Resolution::Millis);
        a.set_origin(0.0);
        for s in &samples[range] {
            a.add(s);
        }
        a
    };
    let whole = serde_json::to_string(&whole.finish("t")).unwrap();
    // Any three samples in a row name at most 3 endpoints: parts of three never reach the cap
    // themselves, and merging drops /d exactly as one pass does.
    let mut merged = part(0..3);
    for i in (3..70).step_by(3) {
        merged.merge(part(i..(i + 3).min(70))).unwrap();
    }
    assert_eq!(serde_json::to_string(&merged.finish("t")).unwrap(), whole);
    // A part that met the cap alone cannot say which endpoints one pass would have kept.
    let mut first = part(0..3);
    assert_eq!(first.merge(part(3..10)), Err(NotMergeable::EndpointCap));
}

#[test]
fn overall_figures_sum_every_group_including_unnamed_and_dropped_samples() {
    let limits = Limits {
        max_endpoints: 1,
        max_status_codes: 3,
        ..Limits::default()
    };
    let mut a = Aggregator::new(limits, Resolution::Millis);
    // /a is kept; /b is past the endpoint cap; the last samples carry no name.
    for (i, name) in ["/a", "/a", "/b", "/b"].into_iter().enumerate() {
        let mut s = sample(i as f64, 10.0 * (i + 1) as f64, name, true);
        let code = (200 + i).to_string();
        s.status = Some(&code);
        a.add(&s);
    }
    let mut unnamed = sample(10.0, 1.0, "", false);
    unnamed.name = None;
    unnamed.success = None;
    unnamed.status = Some("504");
    a.add(&unnamed);
    a.add_failure_flag(None, None, true);
    a.add_failure_flag(Some("/c"), None, false);
    let r = a.finish("t");
    let o = &r.overall;
    assert_eq!(o.requests, Some(5));
    assert_eq!(
        (o.latency_ms.min, o.latency_ms.max),
        (Some(1.0), Some(40.0))
    );
    assert_eq!(o.latency_ms.mean, Some(20.2));
    // One sample's outcome is unknown: the failure flags decide, one of two failed.
    assert_eq!(o.errors, Some(1));
    // Five distinct codes over a cap of three: every response still counted, the excess as
    // `other`, as sample by sample.
    assert_eq!(o.status_codes.len(), 4);
    assert_eq!(o.status_codes.values().sum::<u64>(), 5);
    assert_eq!(o.status_codes.get("other"), Some(&2));
    assert_eq!(r.endpoints.len(), 1);
    assert_eq!(r.endpoints[0].stats.requests, Some(2));
    assert_eq!(r.duration_s, Some(0.043));
    assert!(r.notes.iter().any(|n| n.contains("2 samples of further")));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("1 samples carried no endpoint"))
    );
}
