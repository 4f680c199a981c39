//! Finds the line and column of every key and item in a YAML or JSON document, so that errors
//! found after parsing (validation rules, unknown keys) can point at the exact spot.
//! serde_yaml keeps no positions, so this walks yaml-rust2's event stream once, read-only.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// 1-based line and column of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Positions keyed by field path, written the way diagnostics name fields:
/// `slo.latency_ms.p95`, `endpoints[1].method`.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    map: HashMap<String, Position>,
}

impl Positions {
    /// Builds the position map. A document the event parser cannot read yields an empty map;
    /// the real parser reports the syntax error itself.
    pub fn of(text: &str) -> Positions {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(text);
        // Errors are ignored on purpose: positions are a convenience on top of parsing.
        let _ = parser.load(&mut walker, false);
        Positions { map: walker.found }
    }

    /// The position of `path`, or of its nearest ancestor that has one.
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut p = path;
        loop {
            if let Some(pos) = self.map.get(p) {
                return Some(*pos);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

enum Frame {
    /// `item` is set for a mapping that is a sequence item and has not seen its first key yet:
    /// the item is located at that key (the parser's mark for the mapping start is less useful).
    Map {
        key: Option<String>,
        item: bool,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    found: HashMap<String, Position>,
}

impl Walker {
    fn path(&self) -> String {
        let mut out = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Map { key: Some(k), .. } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Frame::Map { key: None, .. } => {}
                Frame::Seq { index } => out.push_str(&format!("[{index}]")),
            }
        }
        out
    }

    /// Called when a value (scalar or collection) has been fully read.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { index }) => *index += 1,
            None => {}
        }
    }

    /// Records the start of a value that sits in a sequence (items have no key to record).
    fn record_item(&mut self, mark: Marker) {
        if let Some(Frame::Seq { .. }) = self.stack.last() {
            let path = self.path();
            self.found.entry(path).or_insert(to_pos(mark));
        }
    }
}

fn to_pos(mark: Marker) -> Position {
    Position {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(Frame::Map { key: None, item }) = self.stack.last_mut() {
                    let first_key_of_item = std::mem::take(item);
                    if first_key_of_item {
                        let path = self.path();
                        self.found.entry(path).or_insert(to_pos(mark));
                    }
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some(value);
                    }
                    let path = self.path();
                    self.found.entry(path).or_insert(to_pos(mark));
                } else {
                    self.record_item(mark);
                    self.value_done();
                }
            }
            Event::Alias(_) => {
                self.record_item(mark);
                self.value_done();
            }
            Event::MappingStart(..) => {
                let item = matches!(self.stack.last(), Some(Frame::Seq { .. }));
                self.stack.push(Frame::Map { key: None, item });
            }
            Event::SequenceStart(..) => {
                self.record_item(mark);
                self.stack.push(Frame::Seq { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_items_in_yaml() {
        let text = "service: a\ntraffic:\n  peak_rps: 5\nendpoints:\n  - path: /x\n    method: GET\n  - path: /y\n";
        let p = Positions::of(text);
        assert_eq!(p.find("service"), Some(Position { line: 1, column: 1 }));
        assert_eq!(
            p.find("traffic.peak_rps"),
            Some(Position { line: 3, column: 3 })
        );
        assert_eq!(
            p.find("endpoints[1].path"),
            Some(Position { line: 7, column: 5 })
        );
        assert_eq!(
            p.find("endpoints[0].method"),
            Some(Position { line: 6, column: 5 })
        );
        // Unknown child falls back to the nearest known ancestor.
        assert_eq!(
            p.find("endpoints[1].weight"),
            Some(Position { line: 7, column: 5 })
        );
    }

    #[test]
    fn finds_keys_in_json() {
        let text = "{\n  \"slo\": {\n    \"error_rate\": 5\n  }\n}\n";
        let p = Positions::of(text);
        assert_eq!(p.find("slo.error_rate").map(|p| p.line), Some(3));
    }
}
