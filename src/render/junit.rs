//! An assessment as JUnit XML, so CI systems show SLO failures as failing tests: one test case
//! per check, plus one per finding that makes the run inconclusive.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::judge::{Assessment, IssueSeverity, Status, Verdict, metric_name, show_value as show};
use crate::units::round;

fn describe(c: &crate::judge::CheckResult) -> String {
    let observed = c
        .observed
        .map(|o| show(&c.metric, o))
        .unwrap_or_else(|| "not reported".into());
    let interval = c
        .interval
        .map(|i| {
            format!(
                ", {} % interval {}",
                round(i.confidence * 100.0, 1),
                super::interval_text(c)
            )
        })
        .unwrap_or_default();
    format!(
        "{} on {}: observed {}{interval}, objective {} {} (from {})",
        metric_name(&c.metric),
        c.scope,
        observed,
        c.comparator.symbol(),
        show(&c.metric, c.threshold),
        c.source
    )
}

pub fn assessment_junit(a: &Assessment) -> String {
    let mut suite = TestSuite::new(format!("perfassist.{}", a.service));
    suite.add_property(Property::new("schema", a.schema));
    suite.add_property(Property::new("verdict", a.verdict.label()));
    suite.add_property(Property::new("results_format", a.results_format.as_str()));
    if let Some(b) = a.error_budget_used_pct {
        suite.add_property(Property::new("error_budget_used_pct", b.to_string()));
    }
    for c in &a.checks {
        let text = describe(c);
        let status = match c.status {
            Status::Pass | Status::Warn => TestCaseStatus::success(),
            Status::Fail => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("slo-violation").set_message(text.clone());
                s
            }
            // Undecided must not look green in CI either.
            Status::Inconclusive => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("inconclusive").set_message(format!(
                    "{text}: {}",
                    c.note.as_deref().unwrap_or("undecided at this confidence")
                ));
                s
            }
            Status::NotEvaluated => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(
                    c.note
                        .clone()
                        .unwrap_or_else(|| "not reported by the results".into()),
                );
                s
            }
        };
        let mut tc = TestCase::new(c.id.as_str(), status);
        tc.set_classname(format!("perfassist.{}.{}", a.service, c.scope));
        let mut out = text;
        if c.status == Status::Warn {
            out.push_str(" — warning: close to or (non-critical endpoint) over its objective");
        }
        if let Some(n) = &c.note {
            out.push_str(&format!(" — {n}"));
        }
        tc.set_system_out(out);
        suite.add_test_case(tc);
    }
    // A run whose numbers cannot be trusted must not look green in CI.
    for i in a
        .issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Critical)
    {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_type("inconclusive").set_message(i.message.as_str());
        let mut tc = TestCase::new(format!("run-validity[{}]", i.kind), s);
        tc.set_classname(format!("perfassist.{}.run", a.service));
        suite.add_test_case(tc);
    }
    if a.verdict == Verdict::Inconclusive
        && a.checks.iter().all(|c| c.status == Status::NotEvaluated)
    {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_type("inconclusive")
            .set_message("no SLO check could be evaluated from these results");
        let mut tc = TestCase::new("run-validity[nothing-evaluated]", s);
        tc.set_classname(format!("perfassist.{}.run", a.service));
        suite.add_test_case(tc);
    }
    suite.set_system_out(a.narrative.join("\n"));
    let mut report = Report::new(format!("perfassist: {}", a.service));
    report.add_test_suite(suite);
    // Serialising our own in-memory report only fails on a writer error, which a String lacks.
    report
        .to_string()
        .map(|mut s| {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        })
        .unwrap_or_else(|e| format!("<!-- cannot write JUnit XML: {e} -->\n"))
}
