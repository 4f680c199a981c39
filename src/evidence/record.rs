//! One evidence record: its fields in a fixed order, the canonical bytes that are hashed, and the
//! SHA-256 or HMAC-SHA-256 that seals it and links it to the record before it.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{EVIDENCE_SCHEMA, Event, Figures, FileDigest, Outcome};

/// `prev_hash` of the very first record of a log.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How a record's hash is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alg {
    Sha256,
    HmacSha256,
}

/// A record as stored: the field order here is the canonical order (serde keeps declaration order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub schema: String,
    pub seq: u64,
    pub ts: String,
    pub outcome: Outcome,
    pub service: String,
    pub profile: String,
    pub scenarios: Vec<String>,
    pub interpretation: bool,
    pub inputs: Vec<FileDigest>,
    pub outputs: Vec<FileDigest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_checks: Vec<String>,
    /// Optional and omitted when absent, so records written before it existed keep their
    /// canonical bytes and hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub version: String,
    pub host: String,
    pub alg: Alg,
    pub prev_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// Seals records: plain SHA-256, or HMAC-SHA-256 with a key.
#[derive(Clone)]
pub struct Sealer {
    /// Keyed once; cloned for each record.
    mac: Option<Hmac<Sha256>>,
}

impl Sealer {
    pub fn new(key: Option<Vec<u8>>) -> Sealer {
        Sealer {
            mac: key.map(|k| {
                Hmac::<Sha256>::new_from_slice(super::trim_key(&k))
                    .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
            }),
        }
    }

    pub fn alg(&self) -> Alg {
        if self.mac.is_some() {
            Alg::HmacSha256
        } else {
            Alg::Sha256
        }
    }

    fn digest(&self, bytes: &[u8]) -> String {
        match &self.mac {
            None => hex::encode(Sha256::digest(bytes)),
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(bytes);
                hex::encode(mac.finalize().into_bytes())
            }
        }
    }

    /// Builds the stored record for `event` at `seq` after `prev_hash`: the line (with its
    /// newline) and the record's hash.
    pub fn seal(
        &self,
        event: &Event,
        seq: u64,
        prev_hash: &str,
        host: &str,
    ) -> Result<(Vec<u8>, String), serde_json::Error> {
        let record = Record {
            schema: EVIDENCE_SCHEMA.to_string(),
            seq,
            ts: event.ts.clone(),
            outcome: event.outcome,
            service: event.service.clone(),
            profile: event.profile.clone(),
            scenarios: event.scenarios.clone(),
            interpretation: event.interpretation,
            inputs: event.inputs.clone(),
            outputs: event.outputs.clone(),
            verdict: event.verdict.clone(),
            failed_checks: event.failed_checks.clone(),
            figures: event.figures.clone(),
            detail: event.detail.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            host: host.to_string(),
            alg: self.alg(),
            prev_hash: prev_hash.to_string(),
            hash: None,
        };
        let canonical = serde_json::to_vec(&record)?;
        let hash = self.digest(&canonical);
        Ok((with_hash(canonical, &hash, true), hash))
    }

    /// Checks one stored line (without its newline): it parses, is in canonical form, and its
    /// hash is right for this sealer. Returns the record.
    pub fn open(&self, line: &[u8]) -> Result<Record, LineError> {
        let mut record: Record = serde_json::from_slice(line).map_err(LineError::NotRecord)?;
        let hash = record.hash.take().ok_or(LineError::NoHash)?;
        if record.schema != EVIDENCE_SCHEMA {
            return Err(LineError::Schema(record.schema));
        }
        let canonical = serde_json::to_vec(&record).map_err(LineError::NotRecord)?;
        let expected = self.digest(&canonical);
        if with_hash(canonical, &hash, false) != line {
            return Err(LineError::NotCanonical);
        }
        match (record.alg, self.alg()) {
            (Alg::HmacSha256, Alg::Sha256) => return Err(LineError::NeedsKey),
            (Alg::Sha256, Alg::HmacSha256) => return Err(LineError::NotKeyed),
            _ => {}
        }
        if expected != hash {
            return Err(LineError::HashMismatch);
        }
        record.hash = Some(hash);
        Ok(record)
    }
}

/// Inserts `,"hash":"…"` before the canonical form's closing brace.
fn with_hash(mut canonical: Vec<u8>, hash: &str, newline: bool) -> Vec<u8> {
    canonical.pop();
    canonical.extend_from_slice(b",\"hash\":\"");
    canonical.extend_from_slice(hash.as_bytes());
    canonical.extend_from_slice(b"\"}");
    if newline {
        canonical.push(b'\n');
    }
    canonical
}

/// Why a stored line is not a valid record.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not a valid evidence record: {0}")]
    NotRecord(serde_json::Error),
    #[error("record has no hash")]
    NoHash,
    #[error("unknown schema {0:?} (expected {EVIDENCE_SCHEMA})")]
    Schema(String),
    #[error(
        "record is not in canonical form (field order, spacing or escaping changed after it was written)"
    )]
    NotCanonical,
    #[error("record is sealed with an HMAC key; pass --evidence-key FILE")]
    NeedsKey,
    #[error(
        "record is not keyed but a key was given (an unkeyed record in a keyed log can be forged)"
    )]
    NotKeyed,
    #[error(
        "hash does not match the record's content (the record was changed after it was written, or the key is wrong)"
    )]
    HashMismatch,
}

/// The two fields a writer needs from the last record to continue the chain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Link {
    pub seq: u64,
    pub hash: String,
    pub prev_hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            ts: "2026-11-27T04:00:00Z".into(),
            service: "checkout".into(),
            profile: "p.yaml".into(),
            scenarios: vec!["smoke".into()],
            interpretation: false,
            outcome: Outcome::PlanGenerated,
            inputs: vec![FileDigest::of_bytes("p.yaml", b"x")],
            outputs: vec![],
            verdict: None,
            failed_checks: vec![],
            figures: None,
            detail: Some("quote \" and ünïcode".into()),
        }
    }

    #[test]
    fn sealed_line_opens_and_any_change_is_caught() {
        let s = Sealer::new(None);
        let (line, hash) = s.seal(&event(), 7, GENESIS, "host").unwrap();
        let body = &line[..line.len() - 1];
        let rec = s.open(body).unwrap();
        assert_eq!(rec.seq, 7);
        assert_eq!(rec.hash.as_deref(), Some(hash.as_str()));
        let text = String::from_utf8(body.to_vec()).unwrap();
        let changed = text.replace("checkout", "checkouT");
        assert!(matches!(
            s.open(changed.as_bytes()),
            Err(LineError::HashMismatch)
        ));
        let spaced = text.replacen(",", ", ", 1);
        assert!(matches!(
            s.open(spaced.as_bytes()),
            Err(LineError::NotCanonical)
        ));
    }

    #[test]
    fn keyed_records_need_the_right_key() {
        let keyed = Sealer::new(Some(b"k1".to_vec()));
        let (line, _) = keyed.seal(&event(), 1, GENESIS, "h").unwrap();
        let body = &line[..line.len() - 1];
        assert!(keyed.open(body).is_ok());
        // A key file's trailing newline is not part of the key.
        assert!(Sealer::new(Some(b"k1\n".to_vec())).open(body).is_ok());
        assert!(matches!(
            Sealer::new(None).open(body),
            Err(LineError::NeedsKey)
        ));
        assert!(matches!(
            Sealer::new(Some(b"k2".to_vec())).open(body),
            Err(LineError::HashMismatch)
        ));
        let (plain, _) = Sealer::new(None).seal(&event(), 1, GENESIS, "h").unwrap();
        assert!(matches!(
            keyed.open(&plain[..plain.len() - 1]),
            Err(LineError::NotKeyed)
        ));
    }
}
