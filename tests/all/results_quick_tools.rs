//! The quick tools' files, made by the real tools (hey 0.1.4, wrk 4.1.0, ApacheBench 2.3 and
//! Taurus 1.17.2 against a loopback server; k6 CSV and Gatling text logs written to their
//! documented layouts), read through the real binary and compared with the figures the files
//! themselves hold, parsed here apart from perfassist.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_perfassist")
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/results")
        .join(rel)
}

fn text(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).unwrap()
}

fn run(args: &[&str], file: &Path) -> (i32, Value, String) {
    let out = Command::new(bin()).args(args).arg(file).output().unwrap();
    let value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        value,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(rel: &str) -> Value {
    let (code, v, err) = run(&["results", "--metrics"], &fixture(rel));
    assert_eq!(code, 0, "{rel}: {err}");
    v
}

fn refused(rel: &str) -> String {
    let (code, _, err) = run(&["results", "--metrics"], &fixture(rel));
    assert_eq!(code, 2, "{rel} should be refused; stderr: {err}");
    err
}

fn notes(v: &Value) -> String {
    v["notes"].to_string()
}

/// The number after `label` on the first line that has it.
fn labelled(text: &str, label: &str) -> f64 {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {label}"))
        .parse()
        .unwrap()
}

fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

/// HDR percentiles are the upper edge of their bin: within 0.1 % above the sample.
fn close(got: &Value, want: f64, what: &str) {
    let got = got.as_f64().unwrap_or_else(|| panic!("{what}: no value"));
    assert!(
        got >= want - 1e-9 && got <= want * 1.001 + 1e-9,
        "{what}: {got} vs {want}"
    );
}

#[test]
fn hey_text_report_figures_are_read_as_printed() {
    let t = text("hey/report.txt");
    let v = ok("hey/report.txt");
    assert_eq!(v["format"], "hey-text");
    let o = &v["overall"];
    let ok200 = labelled(&t, "[200]") as u64;
    let err500 = labelled(&t, "[500]") as u64;
    assert_eq!(o["requests"], ok200 + err500);
    assert_eq!(o["errors"], err500);
    for (p, key) in [
        ("50%", "p50"),
        ("90%", "p90"),
        ("95%", "p95"),
        ("99%", "p99"),
    ] {
        let secs = t
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{p} in ")))
            .unwrap()
            .trim_end_matches(" secs")
            .parse::<f64>()
            .unwrap();
        assert_eq!(
            o["latency_ms"][key].as_f64().unwrap(),
            (secs * 10_000.0).round() / 10.0
        );
    }
    assert_eq!(
        o["latency_ms"]["max"].as_f64().unwrap(),
        labelled(&t, "Slowest:") * 1000.0
    );
    assert_eq!(v["duration_s"].as_f64().unwrap(), labelled(&t, "Total:"));
    assert!(v.get("endpoints").is_none(), "hey prints no URL: {v}");
    assert!(notes(&v).contains("does not print the URL"));
}

#[test]
fn hey_run_with_no_responses_has_errors_and_no_latency() {
    let v = ok("hey/all-errors.txt");
    assert_eq!(v["overall"]["requests"], 40);
    assert_eq!(v["overall"]["errors"], 40);
    assert_eq!(v["overall"]["latency_ms"], serde_json::json!({}));
}

#[test]
fn hey_csv_rows_are_aggregated() {
    let t = text("hey/requests.csv");
    let rows: Vec<Vec<&str>> = t.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let mut ms: Vec<f64> = rows
        .iter()
        .map(|r| r[0].parse::<f64>().unwrap() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    let v = ok("hey/requests.csv");
    let o = &v["overall"];
    assert_eq!(o["requests"], rows.len());
    assert_eq!(
        o["errors"],
        rows.iter()
            .filter(|r| r[6].parse::<u16>().unwrap() >= 400)
            .count()
    );
    for (q, key) in [(0.5, "p50"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99")] {
        close(&o["latency_ms"][key], nearest_rank(&ms, q), key);
    }
    close(&o["latency_ms"]["max"], ms[ms.len() - 1], "max");
    assert!(!v["timeseries"].as_array().unwrap().is_empty());
}

#[test]
fn wrk_with_latency_has_its_four_percentiles_and_no_p95() {
    let t = text("wrk/latency.txt");
    let v = ok("wrk/latency.txt");
    let o = &v["overall"];
    let done = t.lines().find(|l| l.contains(" requests in ")).unwrap();
    let done: u64 = done.split_whitespace().next().unwrap().parse().unwrap();
    assert_eq!(o["requests"], done);
    assert_eq!(o["errors"], 0);
    for (p, key) in [("50%", "p50"), ("90%", "p90"), ("99%", "p99")] {
        // wrk printed milliseconds for every one of these in this run
        let ms: f64 = t
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(p))
            .and_then(|rest| rest.trim().strip_suffix("ms"))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(o["latency_ms"][key].as_f64().unwrap(), ms);
    }
    assert!(o["latency_ms"].get("p95").is_none());
    assert!(notes(&v).contains("p95 not reported"));
    assert_eq!(v["endpoints"][0]["name"], "GET /slow");
    assert_eq!(v["endpoints"][0]["method"], "GET");
}

#[test]
fn wrk_without_latency_counts_non_2xx_3xx_as_errors() {
    let t = text("wrk/no-latency.txt");
    let v = ok("wrk/no-latency.txt");
    assert_eq!(
        v["overall"]["errors"].as_f64().unwrap(),
        labelled(&t, "Non-2xx or 3xx responses:")
    );
    assert!(v["overall"]["latency_ms"].get("p50").is_none());
    assert!(notes(&v).contains("--latency"));
}

#[test]
fn wrk_with_a_lua_script_reports_the_mix_under_the_started_url() {
    let t = text("wrk/lua-mixed.txt");
    let v = ok("wrk/lua-mixed.txt");
    assert_eq!(
        v["overall"]["errors"].as_f64().unwrap(),
        labelled(&t, "Non-2xx or 3xx responses:")
    );
    assert_eq!(v["endpoints"].as_array().unwrap().len(), 1);
    assert_eq!(v["endpoints"][0]["name"], "GET /");
    assert!(notes(&v).contains("Lua script"));
}

#[test]
fn ab_report_counts_non_2xx_and_not_length_failures() {
    let t = text("ab/report.txt");
    let v = ok("ab/report.txt");
    let o = &v["overall"];
    assert_eq!(
        o["requests"].as_f64().unwrap(),
        labelled(&t, "Complete requests:")
    );
    let non_2xx = labelled(&t, "Non-2xx responses:");
    assert_eq!(o["errors"].as_f64().unwrap(), non_2xx);
    assert!(
        labelled(&t, "Failed requests:") > non_2xx,
        "the fixture should show the length trap"
    );
    for (p, key) in [
        ("50%", "p50"),
        ("90%", "p90"),
        ("95%", "p95"),
        ("99%", "p99"),
        ("100%", "max"),
    ] {
        assert_eq!(
            o["latency_ms"][key].as_f64().unwrap(),
            labelled(&t, p),
            "{key}"
        );
    }
    assert_eq!(v["endpoints"][0]["name"], "GET /error");
    assert!(notes(&v).contains("length failures"));
}

#[test]
fn ab_with_a_body_names_the_endpoint_by_path_alone() {
    let v = ok("ab/post-report.txt");
    assert_eq!(v["endpoints"][0]["name"], "/fast");
    assert!(v["endpoints"][0].get("method").is_none());
    assert!(notes(&v).contains("POST or PUT"));
}

#[test]
fn ab_percentiles_csv_rows_fill_the_percentiles() {
    let t = text("ab/percentiles.csv");
    let row = |p: &str| -> f64 {
        t.lines()
            .find_map(|l| l.strip_prefix(&format!("{p},")))
            .unwrap()
            .parse()
            .unwrap()
    };
    let v = ok("ab/percentiles.csv");
    let l = &v["overall"]["latency_ms"];
    for (p, key) in [
        ("0", "min"),
        ("50", "p50"),
        ("90", "p90"),
        ("95", "p95"),
        ("99", "p99"),
        ("100", "max"),
    ] {
        assert_eq!(l[key].as_f64().unwrap(), row(p), "{key}");
    }
    assert!(v["overall"].get("requests").is_none());
}

#[test]
fn ab_gnuplot_rows_are_the_same_runs_requests() {
    let t = text("ab/requests.tsv");
    let mut ms: Vec<f64> = t
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(4).unwrap().parse().unwrap())
        .collect();
    ms.sort_by(f64::total_cmp);
    let v = ok("ab/requests.tsv");
    let o = &v["overall"];
    // Written by the same run as ab/report.txt.
    assert_eq!(
        o["requests"].as_f64().unwrap(),
        labelled(&text("ab/report.txt"), "Complete requests:")
    );
    for (q, key) in [(0.5, "p50"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99")] {
        assert_eq!(
            o["latency_ms"][key].as_f64().unwrap(),
            nearest_rank(&ms, q),
            "{key}"
        );
    }
    assert!(o.get("errors").is_none());
    assert!(o.get("throughput_rps").is_none());
    assert!(notes(&v).contains("whole seconds"));
}

#[test]
fn taurus_final_stats_csv_and_xml_agree_and_match_the_dump() {
    let csv = ok("taurus/final-stats.csv");
    let xml = ok("taurus/final-stats.xml");
    assert_eq!(csv["overall"]["latency_ms"], xml["overall"]["latency_ms"]);
    assert_eq!(csv["overall"]["requests"], xml["overall"]["requests"]);
    assert_eq!(csv["endpoints"].as_array().unwrap().len(), 4);
    let t = text("taurus/final-stats.csv");
    let header: Vec<&str> = t.lines().next().unwrap().split(',').collect();
    for line in t.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let cell = |n: &str| cells[header.iter().position(|h| *h == n).unwrap()];
        let stats = if cell("label").is_empty() {
            &csv["overall"]
        } else {
            csv["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == cell("label"))
                .unwrap()
        };
        assert_eq!(stats["requests"].to_string(), cell("throughput"));
        assert_eq!(stats["errors"].to_string(), cell("fail"));
        for (col, key) in [
            ("perc_95.0", "p95"),
            ("perc_99.0", "p99"),
            ("perc_0.0", "min"),
            ("avg_rt", "mean"),
        ] {
            let s: f64 = cell(col).parse().unwrap();
            assert_eq!(
                stats["latency_ms"][key].as_f64().unwrap(),
                (s * 100_000.0).round() / 100.0,
                "{col}"
            );
        }
    }
    let d = xml["duration_s"].as_f64().unwrap();
    assert_eq!(
        xml["overall"]["throughput_rps"].as_f64().unwrap(),
        241.0 / d
    );
    assert!(csv["overall"].get("throughput_rps").is_none());
}

#[test]
fn k6_csv_reads_as_the_same_run_in_ndjson() {
    let nd = ok("k6-ndjson/checkout.ndjson");
    for rel in ["k6-csv/checkout.csv", "k6-csv/checkout.csv.gz"] {
        let v = ok(rel);
        assert_eq!(v["format"], "k6-csv");
        for key in ["overall", "endpoints", "timeseries", "duration_s"] {
            assert_eq!(v[key], nd[key], "{rel}: {key}");
        }
    }
    let secs = ok("k6-csv/checkout-unix-seconds.csv");
    assert_eq!(secs["overall"]["latency_ms"], nd["overall"]["latency_ms"]);
    assert_eq!(secs["overall"]["errors"], nd["overall"]["errors"]);
    assert!(secs.get("duration_s").is_none());
    assert!(notes(&secs).contains("whole seconds"));
}

#[test]
fn gatling_text_logs_of_each_layout_read_alike() {
    let base = ok("gatling/text-3.9/simulation.log");
    let t = text("gatling/text-3.9/simulation.log");
    let requests: Vec<Vec<&str>> = t
        .lines()
        .filter(|l| l.starts_with("REQUEST\t"))
        .map(|l| l.split('\t').collect())
        .collect();
    let mut ms: Vec<f64> = requests
        .iter()
        .map(|r| r[4].parse::<f64>().unwrap() - r[3].parse::<f64>().unwrap())
        .collect();
    ms.sort_by(f64::total_cmp);
    let o = &base["overall"];
    assert_eq!(o["requests"], requests.len());
    assert_eq!(
        o["errors"],
        requests.iter().filter(|r| r[5] == "KO").count()
    );
    for (q, key) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
        assert_eq!(
            o["latency_ms"][key].as_f64().unwrap(),
            nearest_rank(&ms, q),
            "{key}"
        );
    }
    for rel in [
        "gatling/text-3.2/simulation.log",
        "gatling/text-2.2/simulation.log",
    ] {
        let v = ok(rel);
        for key in ["overall", "endpoints", "timeseries", "duration_s"] {
            assert_eq!(v[key], base[key], "{rel}: {key}");
        }
    }
}

#[test]
fn interpret_matches_a_single_url_endpoint_by_method_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.yaml");
    std::fs::write(
        &profile,
        "service: slow-api\ntraffic:\n  baseline_rps: 10\n  peak_rps: 20\nslo:\n  latency_ms:\n    p95: 400\n    p99: 800\n  error_rate: 0.01\nendpoints:\n  - path: /slow\n    method: GET\n    critical: true\n",
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["interpret", "--format", "json", "--profile"])
        .arg(&profile)
        .arg("--metrics")
        .arg(fixture("wrk/latency.txt"))
        .output()
        .unwrap();
    let a: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(a["results_format"], "wrk-text");
    let check = a["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] == "GET /slow" && c["metric"] == "latency_p99_ms")
        .unwrap_or_else(|| panic!("no per-endpoint p99 check: {a}"));
    assert!(check["observed"].is_number(), "{check}");
}

#[test]
fn unrecognised_files_say_what_they_look_like() {
    let cases = [
        (
            "unrecognised/wrk-cut.txt",
            "the start of wrk's text report, cut before its summary",
        ),
        ("unrecognised/wrk-usage.txt", "wrk's usage message"),
        (
            "unrecognised/ab-html.txt",
            "ApacheBench's HTML output (ab -w)",
        ),
        (
            "unrecognised/ab-refused.txt",
            "ApacheBench's output without its report",
        ),
        ("unrecognised/taurus-junit.xml", "a JUnit XML report"),
        ("unrecognised/taurus-console.txt", "Taurus' console summary"),
        (
            "unrecognised/locust-console.txt",
            "Locust's console statistics",
        ),
        ("unrecognised/locust-report-head.html", "an HTML page"),
        (
            "unrecognised/k6-text-summary.txt",
            "k6's end-of-test text summary",
        ),
        (
            "unrecognised/gatling-console.txt",
            "Gatling's console summary",
        ),
        (
            "unrecognised/vegeta-text-report.txt",
            "vegeta's text report",
        ),
    ];
    for (rel, looks) in cases {
        let err = refused(rel);
        assert!(
            err.contains(&format!(
                "not a results format perfassist reads: this looks like {looks}"
            )),
            "{rel}: {err}"
        );
        for named in [
            "hey",
            "wrk",
            "ApacheBench",
            "Taurus final-stats",
            "k6",
            "Gatling",
        ] {
            assert!(
                err.contains(named),
                "{rel}: {named} missing from the formats: {err}"
            );
        }
    }
    // Random text: no guess, the list only.
    let err = refused("unknown-format.txt");
    assert!(
        err.contains("not a results format perfassist reads ("),
        "{err}"
    );
    assert!(!err.contains("looks like"), "{err}");
}

#[test]
fn no_parser_complaint_is_shown_for_another_tools_file() {
    // What these files got before each tool had a reader: the summary reader's complaints.
    for rel in [
        "hey/report.txt",
        "wrk/latency.txt",
        "ab/report.txt",
        "taurus/final-stats.csv",
        "unrecognised/wrk-cut.txt",
        "unrecognised/ab-refused.txt",
    ] {
        let (_, _, err) = run(&["results", "--metrics"], &fixture(rel));
        for complaint in [
            "summary CSV has one data row",
            "but the header has",
            "unknown time unit",
        ] {
            assert!(!err.contains(complaint), "{rel}: {err}");
        }
    }
}
