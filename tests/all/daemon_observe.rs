//! What the daemon tells operators, through the real binary: the outbox dashboard, one log line
//! per handled input, one line per write problem however often it is retried, and the metrics
//! endpoint when asked for.

use crate::common;

use common::*;
use std::io::{Read, Write};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

fn log(root: &std::path::Path) -> String {
    std::fs::read_to_string(log_path(root)).unwrap_or_default()
}

#[test]
fn dashboard_shows_each_service_its_runs_and_links_and_logs_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    let svc = d.inbox().join("checkout-api");
    drop_file(
        &svc,
        "profile.yaml",
        profile_yaml("checkout-api").as_bytes(),
    );
    drop_file(
        &d.inbox(),
        "search.yaml",
        profile_yaml("search-api").as_bytes(),
    );
    assert!(wait_until(WAIT, || evidence_count(dir.path()) == 2));
    for (i, f) in [
        "metrics-passing.json",
        "metrics-failing.json",
        "metrics-failing.csv",
    ]
    .iter()
    .enumerate()
    {
        drop_file(
            &svc,
            &format!("run-{i}.{}", f.rsplit('.').next().unwrap()),
            &std::fs::read(fixture(f)).unwrap(),
        );
        assert!(wait_until(WAIT, || evidence_count(dir.path()) == 3 + i));
    }
    let index = d.outbox().join("index.html");
    assert!(wait_until(WAIT, || std::fs::read_to_string(&index)
        .is_ok_and(|h| h.contains("run-2.csv"))));
    let html = std::fs::read_to_string(&index).unwrap();
    assert!(html.contains("default-src 'none'"), "strict CSP");
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    assert!(html.contains("data-service=\"checkout-api\""));
    // A service without runs is its overview row: name, plan and runner scripts.
    assert!(!html.contains("data-service=\"search-api\""));
    assert!(html.contains("<td>search-api</td>") && html.contains("href=\"search-api/exports/\""));
    assert!(html.contains("href=\"checkout-api/plan.html\""));
    assert!(html.contains("href=\"checkout-api/runs/run-0.html\""));
    assert!(html.contains("href=\"checkout-api/exports/k6-script-smoke.js\""));
    for id in [
        "trend-p95-checkout-api",
        "trend-p99-checkout-api",
        "trend-errors-checkout-api",
        "trend-throughput-checkout-api",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    // Every run is a dot on the p95 trend, in its verdict's colour, under the SLO line.
    let p95 = html.split("id=\"trend-p95-checkout-api\"").nth(1).unwrap();
    let p95 = &p95[..p95.find("</svg>").unwrap()];
    assert_eq!(p95.matches("<circle class=\"run").count(), 3);
    assert_eq!(p95.matches("v-fail").count(), 2);
    assert!(p95.contains("SLO p95 400 ms"));

    let text = log(dir.path());
    let handled: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" INFO ") && l.contains(" handled "))
        .collect();
    assert_eq!(handled.len(), 5, "one line per input:\n{text}");
    let run = handled
        .iter()
        .find(|l| l.contains("input=checkout-api/run-1.json"))
        .unwrap();
    for field in [
        "kind=results",
        "service=checkout-api",
        "scenario=whole-profile",
        "outcome=issues-detected",
        "verdict=fail",
        "duration_ms=",
        "latency_ms=",
    ] {
        assert!(run.contains(field), "{field} in {run}");
    }
    assert!(run.contains(" INFO "), "{run}");
    assert_eq!(d.stop(), Some(0));

    // The dashboard is rebuilt from the evidence log at start-up.
    std::fs::remove_file(&index).unwrap();
    let d = Daemon::start(dir.path(), &[]);
    assert!(wait_until(WAIT, || std::fs::read_to_string(&index)
        .is_ok_and(|h| h.contains("run-2.csv"))));
    assert_eq!(d.stop(), Some(0));
}

/// A cause that fails many inputs at every retry (here a file where two services' folders
/// should be) is one error line, not one per file, per output or per retry; its end is said.
#[test]
fn a_repeated_write_failure_is_logged_once_and_its_end_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("outbox")).unwrap();
    for s in ["a-api", "b-api"] {
        std::fs::write(dir.path().join("outbox").join(s), "not a folder").unwrap();
    }
    let d = Daemon::start(dir.path(), &[]);
    drop_file(&d.inbox(), "a.yaml", profile_yaml("a-api").as_bytes());
    drop_file(&d.inbox(), "b.yaml", profile_yaml("b-api").as_bytes());
    let status = d.outbox().join("status.json");
    // The first attempt and two retries (after 2 s and 4 s), both inputs each time.
    assert!(wait_until(Duration::from_secs(20), || {
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&status).unwrap_or_default()).unwrap_or_default();
        s["this_run"]["write_failures"].as_u64().unwrap_or(0) >= 6
    }));
    let text = log(dir.path());
    let errors: Vec<&str> = text.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert_eq!(errors.len(), 1, "{text}");
    assert!(
        errors[0].contains("outputs not written for 2 input(s)"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("Not a directory"), "{}", errors[0]);
    for s in ["a-api", "b-api"] {
        std::fs::remove_file(dir.path().join("outbox").join(s)).unwrap();
    }
    assert!(wait_until(Duration::from_secs(30), || evidence_count(
        dir.path()
    ) == 2));
    assert!(wait_until(WAIT, || log(dir.path())
        .contains("outputs and evidence are written again")));
    assert_eq!(d.stop(), Some(0));
}

fn get(port: u16, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn metrics_are_served_on_loopback_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let port: u16 = {
        let text = log(dir.path());
        let line = text
            .lines()
            .find(|l| l.contains("serving metrics"))
            .expect("metrics line");
        line.rsplit("127.0.0.1:")
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    drop_file(&d.inbox(), "a.yaml", profile_yaml("a-api").as_bytes());
    drop_file(&d.inbox(), "bad.yaml", b"service: [");
    assert!(wait_until(WAIT, || evidence_count(dir.path()) == 2));
    let close = "Connection: close\r\n\r\n";
    assert!(wait_until(WAIT, || get(
        port,
        &format!("GET /metrics HTTP/1.1\r\nHost: x\r\n{close}")
    )
    .contains("perfassist_inputs_rejected_total")));
    let body = get(
        port,
        &format!("GET /metrics HTTP/1.1\r\nHost: x\r\n{close}"),
    );
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains("application/openmetrics-text"));
    for line in [
        "perfassist_inputs_handled_total{kind=\"profile\",outcome=\"plan-generated\"} 1",
        "perfassist_inputs_handled_total{kind=\"profile\",outcome=\"input-rejected\"} 1",
        "perfassist_inputs_rejected_total{kind=\"profile\"} 1",
        "perfassist_evidence_records_total 2",
        "perfassist_drop_to_output_seconds_count 2",
        "perfassist_write_failures_total 0",
        "perfassist_queue_depth 0",
        "perfassist_build_info{version=\"",
    ] {
        assert!(body.contains(line), "{line} missing:\n{body}");
    }
    assert!(
        get(port, &format!("GET /other HTTP/1.1\r\nHost: x\r\n{close}"))
            .starts_with("HTTP/1.1 404")
    );
    assert!(
        get(
            port,
            &format!("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n{close}")
        )
        .starts_with("HTTP/1.1 405")
    );
    assert_eq!(d.stop(), Some(0));
}

#[test]
fn a_metrics_address_in_use_stops_the_daemon_with_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(BIN)
        .args(["watch", "--metrics-listen", &addr])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("--metrics-listen {addr}: cannot listen")),
        "{err}"
    );
}

/// `status` names the file it could not use, in both forms, and exits 2 (bad input): before the
/// daemon has run, and when the file is not a status file (nothing half-printed to stdout).
#[test]
fn status_without_a_status_file_says_which_file_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    std::fs::create_dir_all(&outbox).unwrap();
    let run = |json: bool| {
        let mut c = std::process::Command::new(BIN);
        c.args(["status", "--outbox"]).arg(&outbox);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    for json in [false, true] {
        let out = run(json);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("status.json") && err.contains("has the daemon run"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    std::fs::write(
        outbox.join("status.json"),
        "{\"schema\": \"something else\"}",
    )
    .unwrap();
    for json in [false, true] {
        let out = run(json);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("status.json: not a status file"), "{err}");
        assert!(out.stdout.is_empty());
    }
}
