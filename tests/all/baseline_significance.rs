//! The baseline comparison as a user reaches it with raw samples: the real binary judges one
//! JMeter file against another, testing the difference for significance.

use std::path::{Path, PathBuf};
use std::process::Command;

const HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,\
success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n";

/// 4,000 JMeter rows, 400 a second, with exponential response times of the given mean (ms).
fn jtl(mean_ms: f64, seed: u64) -> String {
    let mut out = String::from(HEADER);
    let mut x = seed;
    for i in 0..4_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        let elapsed = (-mean_ms * (1.0 - u).ln()).round().max(1.0) as u64;
        let t = 1_732_700_000_000u64 + i * 5 / 2;
        out.push_str(&format!(
            "{t},{elapsed},POST /cart/submit,200,OK,tg 1-1,text,true,,512,128,8,8,\
http://127.0.0.1/cart/submit,{elapsed},0,0\n"
        ));
    }
    out
}

fn interpret(metrics: &Path, baseline: &Path, format: &str) -> String {
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/checkout-profile.yaml");
    let o = Command::new(env!("CARGO_BIN_EXE_perfassist"))
        .arg("interpret")
        .arg("--profile")
        .arg(&profile)
        .arg("--metrics")
        .arg(metrics)
        .arg("--baseline")
        .arg(baseline)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_20_percent_slower_jmeter_run_is_a_significant_regression() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.jtl", &jtl(50.0, 0x2545_f491_4f6c_dd1d));
    let cur = write(dir.path(), "cur.jtl", &jtl(60.0, 0x9e37_79b9_7f4a_7c15));
    let a: serde_json::Value = serde_json::from_str(&interpret(&cur, &base, "json")).unwrap();
    let p95 = a["baseline"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "latency_p95_ms" && c["scope"] == "overall")
        .unwrap();
    // SPEC.md's worked example ("Baseline comparison") is this pair of files.
    assert_eq!(p95["method"], "mann-whitney");
    assert_eq!(p95["outcome"], "regression", "{p95}");
    assert_eq!(
        (p95["baseline"].as_f64(), p95["current"].as_f64()),
        (Some(151.0), Some(185.0))
    );
    assert_eq!(p95["min_change"], 15.1);
    assert_eq!(p95["p_value"], 2.958e-10);
    assert_eq!(p95["confidence"], 0.9999);
    assert_eq!(p95["effect"], 0.552);
    let p999 = a["baseline"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "latency_p99_9_ms" && c["scope"] == "overall")
        .unwrap();
    assert_eq!(p999["outcome"], "unchanged", "{p999}");
    assert_eq!(p999["p_value"], 0.0652);
    let md = interpret(&cur, &base, "markdown");
    assert!(
        md.contains("the runs differ with over 99.9 % confidence (Mann–Whitney U, P(slower) = 0."),
        "{md}"
    );
    assert!(md.contains("| over 99.9 % (Mann–Whitney U) |"), "{md}");
}

#[test]
fn a_run_held_against_itself_or_its_twin_has_no_regression() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.jtl", &jtl(50.0, 0x2545_f491_4f6c_dd1d));
    let twin = write(dir.path(), "twin.jtl", &jtl(50.0, 0x0bad_cafe_dead_beef));
    for cur in [&base, &twin] {
        let a: serde_json::Value = serde_json::from_str(&interpret(cur, &base, "json")).unwrap();
        assert_eq!(a["baseline"]["regressions"], 0, "{}", a["baseline"]);
        assert_eq!(a["baseline"]["improvements"], 0, "{}", a["baseline"]);
    }
}
