//! Which scenario a results file is a run of, told from where it lies and what it is called, so a
//! runner's files dropped unrenamed into the inbox are judged as the scenario they ran:
//! `inbox/<service>/<scenario>/...`, or a file name holding the scenario's name as a whole word
//! between `-`, `_` or `.` (`checkout-api-smoke-locust_stats.csv`, `run7.stress_stats.csv`). A
//! `scaleNpct` word (`scale10pct`, `scale2p5pct`) marks a rehearsal at N % of the stages' length.

/// Where the scenario was told from.
pub const FROM_FOLDER: &str = "folder";
pub const FROM_FILE_NAME: &str = "file name";

#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    /// The scenario and where it was told from; `None` when nothing, or more than one, matched.
    pub scenario: Option<(String, &'static str)>,
    /// Every scenario name found, when more than one was.
    pub ambiguous: Vec<String>,
    /// The time scale of a rehearsal (the `scaleNpct` word), 1 when none.
    pub time_scale: f64,
}

/// Recognises the scenario of a file at `path` (its components below the service's folder, or
/// below the inbox for a file in its root) among `names`, for service `service`.
pub fn recognise(path: &[String], service: &str, names: &[&str]) -> Recognised {
    let file = path.last().map(String::as_str).unwrap_or("");
    let words = words(file, service);
    let time_scale = words.iter().find_map(|w| scale_of(w)).unwrap_or(1.0);
    if path.len() >= 2 && names.contains(&path[0].as_str()) {
        return Recognised {
            scenario: Some((path[0].clone(), FROM_FOLDER)),
            ambiguous: Vec::new(),
            time_scale,
        };
    }
    let mut found: Vec<String> = names
        .iter()
        .filter(|n| words.iter().any(|w| w == *n))
        .map(|n| n.to_string())
        .collect();
    found.dedup();
    match found.len() {
        1 => Recognised {
            scenario: Some((found.remove(0), FROM_FILE_NAME)),
            ambiguous: Vec::new(),
            time_scale,
        },
        _ => Recognised {
            scenario: None,
            ambiguous: if found.len() > 1 { found } else { Vec::new() },
            time_scale,
        },
    }
}

/// The words of a file name, after the service's name when it starts with it (a service named
/// `smoke-detector` is not a smoke run).
fn words(file: &str, service: &str) -> Vec<String> {
    let rest = file
        .strip_prefix(service)
        .filter(|r| r.starts_with(['-', '_', '.']))
        .unwrap_or(file);
    rest.split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The factor of a `scaleNpct` word: `scale10pct` is 0.1, `scale2p5pct` 0.025.
fn scale_of(word: &str) -> Option<f64> {
    let n = word.strip_prefix("scale")?.strip_suffix("pct")?;
    let pct: f64 = n.replace('p', ".").parse().ok()?;
    (pct > 0.0 && pct <= 100.0).then(|| super::check_factor(pct / 100.0).ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 5] = ["smoke", "steady", "burst", "soak", "stress"];

    fn of(path: &str, service: &str) -> Recognised {
        let parts: Vec<String> = path.split('/').map(String::from).collect();
        recognise(&parts, service, &NAMES)
    }

    #[test]
    fn the_issues_examples_and_the_exported_names_are_recognised() {
        for (path, scenario) in [
            ("smoke-run-1.jtl", "smoke"),
            ("checkout-api-soak-k6-summary.json", "soak"),
            ("run7.stress_stats.csv", "stress"),
            ("checkout-api-smoke-locust_stats.csv", "smoke"),
            ("checkout-api-steady-k6.ndjson", "steady"),
        ] {
            let r = of(path, "checkout-api");
            assert_eq!(
                r.scenario,
                Some((scenario.into(), FROM_FILE_NAME)),
                "{path}"
            );
            assert_eq!(r.time_scale, 1.0);
        }
        let r = of("burst/run.jtl", "checkout-api");
        assert_eq!(r.scenario, Some(("burst".into(), FROM_FOLDER)));
    }

    #[test]
    fn whole_words_only_the_service_name_never_counts_and_two_matches_are_none() {
        assert_eq!(of("smoked.jtl", "x").scenario, None);
        assert_eq!(of("stressful-run.jtl", "x").scenario, None);
        assert_eq!(
            of("smoke-detector-run.jtl", "smoke-detector").scenario,
            None
        );
        let r = of("smoke-detector-steady.jtl", "smoke-detector");
        assert_eq!(r.scenario, Some(("steady".into(), FROM_FILE_NAME)));
        let r = of("smoke-vs-soak.jtl", "x");
        assert_eq!(r.scenario, None);
        assert_eq!(r.ambiguous, ["smoke", "soak"]);
    }

    #[test]
    fn a_rehearsal_carries_its_scale() {
        let r = of("shop-smoke-scale10pct-locust_stats.csv", "shop");
        assert_eq!(r.time_scale, 0.1);
        assert_eq!(r.scenario, Some(("smoke".into(), FROM_FILE_NAME)));
        assert_eq!(
            of("shop-smoke-scale2p5pct-k6.ndjson", "shop").time_scale,
            0.025
        );
        assert_eq!(of("shop-smoke-scale0pct-k6.ndjson", "shop").time_scale, 1.0);
        assert_eq!(
            of(
                &format!("shop-smoke-{}-k6.ndjson", super::super::scale_token(0.33)),
                "shop"
            )
            .time_scale,
            0.33
        );
    }
}
