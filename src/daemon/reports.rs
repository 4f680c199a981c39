//! Error reports the daemon writes where an output would have gone, so the person who dropped a
//! bad file finds out what is wrong with it and how to fix it without reading the daemon's logs.

use serde::Serialize;

use crate::diag::Diagnostic;

pub const ERROR_SCHEMA: &str = "perfassist.error/v1";

#[derive(Debug, Serialize)]
pub struct ErrorReport<'a> {
    pub schema: &'static str,
    pub input: &'a str,
    pub sha256: &'a str,
    pub kind: &'a str,
    pub diagnostics: &'a [Diagnostic],
}

impl ErrorReport<'_> {
    pub fn json(&self) -> String {
        crate::render::json(self)
    }

    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# Rejected: `{}`\n\nperfassist could not use this {} and wrote nothing else for it.\n\n",
            self.input, self.kind
        );
        for d in self.diagnostics {
            let place = match (d.line, d.column) {
                (Some(l), Some(c)) => format!("line {l}, column {c}"),
                (Some(l), None) => format!("line {l}"),
                _ => "the file as a whole".to_string(),
            };
            let field = if d.field.is_empty() {
                String::new()
            } else {
                format!(" `{}`", d.field)
            };
            let value = d
                .value
                .as_deref()
                .map(|v| format!(" (value {v})"))
                .unwrap_or_default();
            let label = if d.is_error() { "Error" } else { "Warning" };
            s.push_str(&format!(
                "- **{label}** at {place}{field}{value}: {}",
                d.message
            ));
            if let Some(h) = &d.hint {
                s.push_str(&format!(". Fix: {h}"));
            }
            s.push('\n');
        }
        s.push_str("\nFix the file and drop it again (write it under a temporary name such as `name.tmp`, then rename it); this report disappears once the fixed file is processed.\n");
        s
    }
}
