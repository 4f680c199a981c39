//! Exports a plan as scripts that load-test runners execute (k6, Locust, Artillery, Taurus).
//! Each format is one module with one pure function from a plan to a file; nothing here does I/O.

mod artillery;
mod common;
mod k6;
mod locust;
mod taurus;

use crate::plan::{Plan, Scenario};

pub use common::{PLACEHOLDER_TARGET, Sizing};

/// One generated script: the name it should be written under and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub file_name: String,
    pub contents: String,
}

/// The runner a script is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Runner {
    K6,
    Locust,
    Artillery,
    Taurus,
}

impl Runner {
    pub const ALL: [Runner; 4] = [
        Runner::K6,
        Runner::Locust,
        Runner::Artillery,
        Runner::Taurus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Runner::K6 => "k6",
            Runner::Locust => "locust",
            Runner::Artillery => "artillery",
            Runner::Taurus => "taurus",
        }
    }

    pub fn parse(s: &str) -> Option<Runner> {
        Runner::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s))
    }

    /// The file name a script gets; a single-scenario export names its scenario.
    pub fn file_name(self, scenario: Option<&str>) -> String {
        let (stem, ext) = match self {
            Runner::K6 => ("k6-script", "js"),
            Runner::Locust => ("locustfile", "py"),
            Runner::Artillery => ("artillery", "yml"),
            Runner::Taurus => ("taurus", "yml"),
        };
        match scenario {
            Some(s) => format!("{stem}-{s}.{ext}"),
            None => format!("{stem}.{ext}"),
        }
    }
}

/// Which of the plan's scenarios go into a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every scenario, run one after the other in plan order.
    All,
    /// One scenario by name (`smoke`, `steady`, `burst`, `soak`, `stress`).
    One(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the plan has no scenario named `{name}`; valid: {valid}, or `all`")]
    UnknownScenario { name: String, valid: String },
    #[error("target `{target}` is not an http:// or https:// URL with a host")]
    BadTarget { target: String },
}

/// What every exporter works from: the plan, the scenarios chosen and the resolved target.
pub(crate) struct Input<'a> {
    pub plan: &'a Plan,
    pub scenarios: Vec<&'a Scenario>,
    /// Base URL without a trailing slash; the placeholder when no target was given.
    pub target: String,
    pub target_is_placeholder: bool,
    pub sizing: Sizing,
    /// True when the file holds one scenario chosen by name.
    pub single: bool,
}

impl Input<'_> {
    /// The factor the stages were shortened by, for a rehearsal (every scenario of a plan is
    /// scaled alike).
    pub fn time_scale(&self) -> Option<f64> {
        self.scenarios.first().and_then(|s| s.time_scale)
    }
}

/// Writes one runner's script for the selected scenarios. The target comes from `target`, else
/// the plan's target, else a placeholder the script refuses to run with.
pub fn export(
    plan: &Plan,
    runner: Runner,
    selection: &Selection,
    target: Option<&str>,
) -> Result<ExportFile, ExportError> {
    let input = prepare(plan, selection, target)?;
    let contents = match runner {
        Runner::K6 => k6::render(&input),
        Runner::Locust => locust::render(&input),
        Runner::Artillery => artillery::render(&input),
        Runner::Taurus => taurus::render(&input),
    };
    let scenario = match selection {
        Selection::All => None,
        Selection::One(name) => Some(name.as_str()),
    };
    Ok(ExportFile {
        file_name: runner.file_name(scenario),
        contents,
    })
}

/// The files a runner needs for the selected scenarios, the script first: Taurus runs the Locust
/// script of the same scenarios, so its export is the Taurus file and that locustfile.
pub fn export_files(
    plan: &Plan,
    runner: Runner,
    selection: &Selection,
    target: Option<&str>,
) -> Result<Vec<ExportFile>, ExportError> {
    let mut files = vec![export(plan, runner, selection, target)?];
    if runner == Runner::Taurus {
        files.push(export(plan, Runner::Locust, selection, target)?);
    }
    Ok(files)
}

/// Every runner's script for every scenario, one file each, as the daemon writes them to
/// `outbox/<service>/`: `k6-script-smoke.js`, `locustfile-smoke.py`, `artillery-smoke.yml`,
/// `taurus-smoke.yml`, and so on for steady, burst, soak and stress (runner by runner, scenarios in
/// plan order). One file per scenario because each is run on its own (a smoke test before a soak,
/// not all five back to back for hours), and because a runner that judges a file as one run can
/// only hold SLO thresholds when the file holds one scenario. A target that is not a usable URL is
/// replaced by the placeholder, so the scripts refuse to run rather than guess.
pub fn all(plan: &Plan, target: Option<&str>) -> Vec<ExportFile> {
    let target = target.filter(|t| common::normalise_target(t).is_some());
    let target = target.or_else(|| {
        plan.target
            .as_deref()
            .filter(|t| common::normalise_target(t).is_some())
    });
    let mut out = Vec::new();
    for runner in Runner::ALL {
        for s in &plan.scenarios {
            let selection = Selection::One(s.name.to_string());
            if let Ok(f) = export(
                plan,
                runner,
                &selection,
                target.or(Some(PLACEHOLDER_TARGET)),
            ) {
                out.push(f);
            }
        }
    }
    out
}

fn prepare<'a>(
    plan: &'a Plan,
    selection: &Selection,
    target: Option<&str>,
) -> Result<Input<'a>, ExportError> {
    let scenarios: Vec<&Scenario> = match selection {
        Selection::All => plan.scenarios.iter().collect(),
        Selection::One(name) => {
            let found: Vec<&Scenario> = plan.scenarios.iter().filter(|s| s.name == name).collect();
            if found.is_empty() {
                return Err(ExportError::UnknownScenario {
                    name: name.clone(),
                    valid: plan
                        .scenarios
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            found
        }
    };
    let (target, placeholder) = match target.or(plan.target.as_deref()) {
        Some(t) => match common::normalise_target(t) {
            Some(t) => {
                let placeholder = t == PLACEHOLDER_TARGET;
                (t, placeholder)
            }
            None => {
                return Err(ExportError::BadTarget {
                    target: t.to_string(),
                });
            }
        },
        None => (PLACEHOLDER_TARGET.to_string(), true),
    };
    Ok(Input {
        plan,
        scenarios,
        target,
        target_is_placeholder: placeholder,
        sizing: Sizing::of(plan),
        single: matches!(selection, Selection::One(_)),
    })
}

#[cfg(test)]
mod tests;
