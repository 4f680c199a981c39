//! Golden files for every exporter and scenario: the scripts users run are reviewed like code.
//! `UPDATE_GOLDEN=1 cargo test --test all export_golden` rewrites them; otherwise any byte differing
//! fails with the first differing line.

use std::path::{Path, PathBuf};

use perfassist::export::{self, Runner, Selection};
use perfassist::plan::{self, Plan};
use perfassist::profile;

const SCENARIOS: [&str; 6] = ["all", "smoke", "steady", "burst", "soak", "stress"];

fn plan_of(path: &str) -> Plan {
    let text = std::fs::read_to_string(path).unwrap();
    let loaded = profile::load(path, &text).unwrap();
    plan::generate(&loaded.profile, &plan::Defaults::default())
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/export")
}

/// Compares `actual` with the golden file, or rewrites it when UPDATE_GOLDEN is set.
fn check_golden(rel: &str, actual: &str) {
    let path = golden_dir().join(rel);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run UPDATE_GOLDEN=1 cargo test --test all export_golden",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs at line {}:\n  golden: {:?}\n  actual: {:?}\n(review, then UPDATE_GOLDEN=1 cargo test --test all export_golden)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

/// Fails on golden files no exporter produces any more, so renamed outputs leave no stale copies.
fn no_stale_files(dir: &str, produced: &[String]) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        return;
    }
    for entry in std::fs::read_dir(golden_dir().join(dir)).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(produced.contains(&name), "stale golden file {dir}/{name}");
    }
}

fn selection(name: &str) -> Selection {
    if name == "all" {
        Selection::All
    } else {
        Selection::One(name.to_string())
    }
}

#[test]
fn every_runner_and_scenario_matches_its_golden_file() {
    let plan = plan_of("fixtures/checkout-profile.yaml");
    let mut produced = Vec::new();
    for runner in Runner::ALL {
        for s in SCENARIOS {
            let f = export::export(&plan, runner, &selection(s), Some("http://127.0.0.1:8080"))
                .unwrap();
            check_golden(&format!("checkout/{}", f.file_name), &f.contents);
            produced.push(f.file_name);
        }
    }
    no_stale_files("checkout", &produced);
}

#[test]
fn production_data_without_target_matches_golden_files() {
    let plan = plan_of("tests/golden/export/prod-profile.yaml");
    let files = export::all(&plan, None);
    for f in &files {
        check_golden(&format!("prod-no-target/{}", f.file_name), &f.contents);
    }
    let produced: Vec<String> = files.into_iter().map(|f| f.file_name).collect();
    no_stale_files("prod-no-target", &produced);
}

#[test]
fn commas_and_think_time_match_golden_files() {
    let plan = plan_of("tests/golden/export/edge-profile.yaml");
    let files = export::all(&plan, None);
    for f in &files {
        check_golden(&format!("edge/{}", f.file_name), &f.contents);
    }
    let produced: Vec<String> = files.into_iter().map(|f| f.file_name).collect();
    no_stale_files("edge", &produced);
}

#[test]
fn rehearsal_exports_match_golden_files() {
    let plan = plan_of("fixtures/checkout-profile.yaml").time_scaled(0.1);
    let mut produced = Vec::new();
    for runner in Runner::ALL {
        for s in ["smoke", "all"] {
            let f = export::export(&plan, runner, &selection(s), Some("http://127.0.0.1:8080"))
                .unwrap();
            check_golden(&format!("checkout-scaled/{}", f.file_name), &f.contents);
            produced.push(f.file_name);
        }
    }
    no_stale_files("checkout-scaled", &produced);
}

#[test]
fn same_plan_gives_byte_identical_scripts() {
    let a = export::all(&plan_of("fixtures/checkout-profile.yaml"), None);
    let b = export::all(&plan_of("fixtures/checkout-profile.yaml"), None);
    assert_eq!(a, b);
}
