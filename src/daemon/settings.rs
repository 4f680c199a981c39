//! The daemon's settings, resolved once from flags, environment variables, an optional config file
//! and defaults, in that order of precedence. The rest of the daemon sees only `Settings`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::diag::{Diagnostic, show};
use crate::textdoc::{self, Syntax};

/// Values given on the command line or in the environment (clap merges those two); `None` means
/// "not given", so the config file or the default applies.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub inbox: Option<PathBuf>,
    pub outbox: Option<PathBuf>,
    pub evidence: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub settle: Option<String>,
    pub poll: Option<String>,
    pub max_input_bytes: Option<u64>,
    pub max_profile_bytes: Option<u64>,
    pub max_document_bytes: Option<u64>,
    pub allow_hard_links: Option<bool>,
    pub log_format: Option<String>,
    pub log_dir: Option<PathBuf>,
    pub warn_band: Option<f64>,
    pub evidence_max_bytes: Option<u64>,
    pub evidence_key: Option<PathBuf>,
    pub evidence_daily: Option<bool>,
    pub evidence_keep_files: Option<usize>,
    pub evidence_keep_days: Option<u32>,
    pub outputs: Option<String>,
    pub metrics_listen: Option<String>,
}

/// Which renderings the daemon writes for each profile and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    pub json: bool,
    pub markdown: bool,
    pub html: bool,
    pub junit: bool,
    pub exports: bool,
}

impl Outputs {
    pub const ALL: Outputs = Outputs {
        json: true,
        markdown: true,
        html: true,
        junit: true,
        exports: true,
    };
    pub const NAMES: &[&str] = &["json", "md", "html", "junit", "exports"];

    /// Parses a comma-separated list such as `json,md` (or `all`).
    pub fn parse(text: &str) -> Result<Outputs, UnknownOutput> {
        if text.trim() == "all" {
            return Ok(Outputs::ALL);
        }
        let mut o = Outputs {
            json: false,
            markdown: false,
            html: false,
            junit: false,
            exports: false,
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "json" => o.json = true,
                "md" | "markdown" => o.markdown = true,
                "html" => o.html = true,
                "junit" => o.junit = true,
                "exports" => o.exports = true,
                other => return Err(UnknownOutput(other.to_string())),
            }
        }
        if o == (Outputs {
            json: false,
            markdown: false,
            html: false,
            junit: false,
            exports: false,
        }) {
            return Err(UnknownOutput(text.to_string()));
        }
        Ok(o)
    }
}

/// A word in an outputs list that names no rendering (or a list naming none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an output")]
pub struct UnknownOutput(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub inbox: PathBuf,
    pub outbox: PathBuf,
    pub evidence_dir: PathBuf,
    pub state_dir: PathBuf,
    /// A plainly written file is processed once it has not changed for this long.
    pub settle: Duration,
    /// `Some(interval)`: poll the inbox instead of using inotify (network folders).
    pub poll: Option<Duration>,
    pub max_input_bytes: u64,
    /// Sizes of inputs read whole: profiles and summaries.
    pub limits: crate::inputs::Limits,
    /// Accept inbox files with more than one hard link (off: a link to a file elsewhere, made
    /// by someone who cannot read it, would hand its content to the daemon).
    pub allow_hard_links: bool,
    pub log_format: LogFormat,
    pub log_dir: Option<PathBuf>,
    pub warn_band: f64,
    pub evidence_max_bytes: u64,
    pub evidence_key: Option<PathBuf>,
    /// Also start a new evidence file each UTC day.
    pub evidence_daily: bool,
    /// Keep at most this many rotated evidence files (older ones are pruned, on the record).
    pub evidence_keep_files: Option<usize>,
    /// Prune rotated evidence files older than this many days.
    pub evidence_keep_days: Option<u32>,
    pub outputs: Outputs,
    /// Serve Prometheus metrics on this address; off when `None`.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

pub const DEFAULT_SETTLE: Duration = Duration::from_millis(300);
pub const DEFAULT_POLL: Duration = Duration::from_secs(2);
/// Raw-sample results are streamed, so the limit guards disk time rather than memory.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 8 * 1024 * 1024 * 1024;
pub const DEFAULT_EVIDENCE_MAX_BYTES: u64 = 16 * 1024 * 1024;

const KEYS: &[&str] = &[
    "inbox",
    "outbox",
    "evidence",
    "state",
    "settle",
    "poll",
    "max_input_bytes",
    "max_profile_bytes",
    "max_document_bytes",
    "allow_hard_links",
    "log_format",
    "log_dir",
    "warn_band",
    "evidence_max_bytes",
    "evidence_key",
    "evidence_daily",
    "evidence_keep_files",
    "evidence_keep_days",
    "outputs",
    "metrics_listen",
];

/// Parses `--metrics-listen`: `IP:PORT`, a bare port (on 127.0.0.1), or `off`.
pub fn parse_listen(text: &str) -> Result<Option<std::net::SocketAddr>, std::net::AddrParseError> {
    let t = text.trim();
    if matches!(t, "off" | "false" | "") {
        return Ok(None);
    }
    if let Ok(port) = t.parse::<u16>() {
        return Ok(Some(std::net::SocketAddr::from(([127, 0, 0, 1], port))));
    }
    t.parse().map(Some)
}

/// Parses `250ms`, `2s`, `1m`, or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if let Some(ms) = t.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    if let Ok(ms) = t.parse::<u64>() {
        return Some(Duration::from_millis(ms));
    }
    crate::units::parse_duration_s(t).map(Duration::from_secs)
}

/// Resolves the settings; `config` is the config file named by `--config`/`PERFASSIST_CONFIG`.
pub fn resolve(o: Overrides, config: Option<&Path>) -> Result<Settings, Vec<Diagnostic>> {
    let file = match config {
        Some(path) => Some(read_config(path)?),
        None => None,
    };
    let name = config.map(|p| p.display().to_string()).unwrap_or_default();
    let mut errors = Vec::new();
    let cfg = |key: &str| {
        file.as_ref()
            .and_then(|m| m.get(key))
            .filter(|v| !v.is_null())
    };
    let cfg_str = |key: &str| {
        cfg(key).and_then(|v| {
            v.as_str()
                .map(String::from)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
    };
    let cfg_path = |key: &str| cfg_str(key).map(PathBuf::from);
    let mut bad = |key: &str, v: &str, hint: &str| {
        let mut d = Diagnostic::error(key, "invalid setting")
            .value(v)
            .hint(hint);
        if !name.is_empty() {
            d.file = Some(name.clone());
        }
        errors.push(d);
    };

    let settle_text = o.settle.or_else(|| cfg_str("settle"));
    let settle = match settle_text.as_deref().map(|t| (t, parse_duration(t))) {
        None => DEFAULT_SETTLE,
        Some((_, Some(d))) => d,
        Some((t, None)) => {
            bad("settle", t, "a duration such as 300ms or 2s");
            DEFAULT_SETTLE
        }
    };
    let poll_text = o.poll.or_else(|| cfg_str("poll"));
    let poll = match poll_text.as_deref() {
        None | Some("off") | Some("false") => None,
        Some("on") | Some("true") | Some("") => Some(DEFAULT_POLL),
        Some(t) => match parse_duration(t) {
            Some(d) if d >= Duration::from_millis(100) => Some(d),
            _ => {
                bad("poll", t, "an interval of at least 100ms, such as 2s");
                None
            }
        },
    };
    let log_format = match o.log_format.or_else(|| cfg_str("log_format")).as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            bad("log_format", other, "text or json");
            LogFormat::Text
        }
    };
    let outputs_text = o.outputs.clone().or_else(|| match cfg("outputs") {
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => cfg_str("outputs"),
    });
    let outputs = match outputs_text.as_deref().map(Outputs::parse) {
        None => Outputs::ALL,
        Some(Ok(o)) => o,
        Some(Err(UnknownOutput(word))) => {
            let hint = format!("a list of {}, or all", Outputs::NAMES.join(", "));
            bad("outputs", &word, &hint);
            Outputs::ALL
        }
    };
    let listen_text = o
        .metrics_listen
        .clone()
        .or_else(|| cfg_str("metrics_listen"));
    let metrics_listen = match listen_text.as_deref().map(|t| (t, parse_listen(t))) {
        None => None,
        Some((_, Ok(a))) => a,
        Some((t, Err(_))) => {
            bad(
                "metrics_listen",
                t,
                "an address and port such as 127.0.0.1:9464, a port, or off",
            );
            None
        }
    };
    let warn_band = o
        .warn_band
        .or_else(|| cfg("warn_band").and_then(Value::as_f64))
        .unwrap_or(0.1);
    if !(0.0..1.0).contains(&warn_band) {
        bad(
            "warn_band",
            &warn_band.to_string(),
            "a share between 0 and 1, e.g. 0.1",
        );
    }
    let max_input_bytes = o
        .max_input_bytes
        .or_else(|| cfg("max_input_bytes").and_then(Value::as_u64))
        .unwrap_or(DEFAULT_MAX_INPUT_BYTES);
    let defaults = crate::inputs::Limits::default();
    let limits = crate::inputs::Limits {
        profile_bytes: o
            .max_profile_bytes
            .or_else(|| cfg("max_profile_bytes").and_then(Value::as_u64))
            .unwrap_or(defaults.profile_bytes),
        document_bytes: o
            .max_document_bytes
            .or_else(|| cfg("max_document_bytes").and_then(Value::as_u64))
            .unwrap_or(defaults.document_bytes),
    };
    let allow_hard_links = o
        .allow_hard_links
        .or_else(|| cfg("allow_hard_links").and_then(Value::as_bool))
        .unwrap_or(false);
    let evidence_max_bytes = o
        .evidence_max_bytes
        .or_else(|| cfg("evidence_max_bytes").and_then(Value::as_u64))
        .unwrap_or(DEFAULT_EVIDENCE_MAX_BYTES);
    let settings = Settings {
        inbox: o
            .inbox
            .or_else(|| cfg_path("inbox"))
            .unwrap_or_else(|| "inbox".into()),
        outbox: o
            .outbox
            .or_else(|| cfg_path("outbox"))
            .unwrap_or_else(|| "outbox".into()),
        evidence_dir: o
            .evidence
            .or_else(|| cfg_path("evidence"))
            .unwrap_or_else(|| "evidence".into()),
        state_dir: o
            .state
            .or_else(|| cfg_path("state"))
            .unwrap_or_else(|| "state".into()),
        settle,
        poll,
        max_input_bytes,
        limits,
        allow_hard_links,
        log_format,
        log_dir: o.log_dir.or_else(|| cfg_path("log_dir")),
        warn_band,
        evidence_max_bytes,
        evidence_key: o.evidence_key.or_else(|| cfg_path("evidence_key")),
        outputs,
        metrics_listen,
        evidence_daily: o
            .evidence_daily
            .or_else(|| cfg("evidence_daily").and_then(Value::as_bool))
            .unwrap_or(false),
        evidence_keep_files: o.evidence_keep_files.or_else(|| {
            cfg("evidence_keep_files")
                .and_then(Value::as_u64)
                .map(|n| n as usize)
        }),
        evidence_keep_days: o.evidence_keep_days.or_else(|| {
            cfg("evidence_keep_days")
                .and_then(Value::as_u64)
                .map(|n| n as u32)
        }),
    };
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

fn read_config(path: &Path) -> Result<serde_json::Map<String, Value>, Vec<Diagnostic>> {
    let name = path.display().to_string();
    let err = |d: Diagnostic| {
        let mut d = d;
        d.file = Some(name.clone());
        vec![d]
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(Diagnostic::error("", format!("cannot read config: {e}"))))?;
    let value = textdoc::parse(&text, Syntax::detect(&name, &text)).map_err(|e| {
        err(
            Diagnostic::error("", format!("not a valid config file: {}", e.message))
                .at(e.line, e.column),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(err(
            Diagnostic::error("", "expected a mapping of settings").value(show(&value))
        ));
    };
    let mut unknown = Vec::new();
    for key in map.keys().filter(|k| !KEYS.contains(&k.as_str())) {
        let hint = crate::profile::closest_key(key, KEYS)
            .map(|k| format!("did you mean `{k}`?"))
            .unwrap_or_else(|| format!("known settings: {}", KEYS.join(", ")));
        let mut d = Diagnostic::error(key.clone(), "unknown setting").hint(hint);
        d.file = Some(name.clone());
        unknown.push(d);
    }
    if unknown.is_empty() {
        Ok(map)
    } else {
        Err(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_config_which_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("perfassist.yaml");
        std::fs::write(&cfg, "inbox: /srv/in\noutbox: /srv/out\nsettle: 2s\n").unwrap();
        let o = Overrides {
            inbox: Some("/flag/in".into()),
            ..Default::default()
        };
        let s = resolve(o, Some(&cfg)).unwrap();
        assert_eq!(s.inbox, PathBuf::from("/flag/in"));
        assert_eq!(s.outbox, PathBuf::from("/srv/out"));
        assert_eq!(s.settle, Duration::from_secs(2));
        assert_eq!(s.evidence_dir, PathBuf::from("evidence"));
        assert_eq!(s.poll, None);
    }

    #[test]
    fn bad_values_and_unknown_keys_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("c.yaml");
        std::fs::write(&cfg, "inbx: /x\n").unwrap();
        let e = resolve(Overrides::default(), Some(&cfg)).unwrap_err();
        assert_eq!(e[0].hint.as_deref(), Some("did you mean `inbox`?"));
        let o = Overrides {
            settle: Some("soon".into()),
            ..Default::default()
        };
        assert_eq!(resolve(o, None).unwrap_err()[0].field, "settle");
    }

    #[test]
    fn output_lists() {
        assert_eq!(Outputs::parse("all"), Ok(Outputs::ALL));
        let o = Outputs::parse("json, md").unwrap();
        assert!(o.json && o.markdown && !o.html && !o.junit && !o.exports);
        assert_eq!(
            Outputs::parse("json,pdf"),
            Err(UnknownOutput("pdf".to_string()))
        );
        assert!(Outputs::parse("").is_err());
        let e = resolve(
            Overrides {
                outputs: Some("csv".into()),
                ..Default::default()
            },
            None,
        )
        .unwrap_err();
        assert_eq!(e[0].field, "outputs");
    }

    #[test]
    fn metrics_listen_addresses() {
        assert_eq!(parse_listen("off"), Ok(None));
        assert_eq!(
            parse_listen("9464").unwrap().unwrap().to_string(),
            "127.0.0.1:9464"
        );
        assert_eq!(
            parse_listen("[::1]:9464").unwrap().unwrap().to_string(),
            "[::1]:9464"
        );
        assert!(parse_listen("localhost").is_err());
        let e = resolve(
            Overrides {
                metrics_listen: Some("nowhere:x".into()),
                ..Default::default()
            },
            None,
        )
        .unwrap_err();
        assert_eq!(e[0].field, "metrics_listen");
        assert_eq!(
            resolve(Overrides::default(), None).unwrap().metrics_listen,
            None
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("750"), Some(Duration::from_millis(750)));
        assert_eq!(parse_duration("x"), None);
    }
}
