//! Finds the line and column of every key and item in a YAML or JSON document, so that errors
//! found after parsing (validation rules, unknown keys) can point at the exact spot, and checks
//! the document's shape before any recursive code sees it: nesting depth and repeated keys.
//! serde_yaml keeps no positions, so this pulls yaml-rust2's events one at a time (its `load`
//! recurses once per level, and a deeply nested file would overflow the stack).

use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// Collections nested deeper than this are refused before parsing. Real profiles and summaries
/// nest four or five levels; the bound keeps every recursive parser far from its stack limit.
pub const MAX_DEPTH: usize = 64;

/// 1-based line and column of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A shape the parsers must never be handed, found by `check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeError {
    /// A collection opens at `at` one level beyond `MAX_DEPTH`.
    TooDeep { at: Position },
    /// `key` appears twice in one mapping, the second time at `at`.
    DuplicateKey {
        path: String,
        key: String,
        at: Position,
        first: Position,
    },
}

/// Positions keyed by field path, written the way diagnostics name fields:
/// `slo.latency_ms.p95`, `endpoints[1].method`.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    map: HashMap<String, Position>,
}

impl Positions {
    /// Builds the position map. A document the event parser cannot read, or one nested beyond
    /// `MAX_DEPTH`, yields the positions found up to that point: the real parser reports the
    /// problem itself.
    pub fn of(text: &str) -> Positions {
        let mut walker = Walker::default();
        let _ = walker.run(text);
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

/// Checks nesting depth and repeated keys, in one pass of constant stack. Syntax errors are not
/// reported here (the real parser words them better); the walk just stops.
pub fn check(text: &str) -> Result<(), ShapeError> {
    let mut walker = Walker {
        keys: true,
        ..Walker::default()
    };
    walker.run(text)
}

enum Frame {
    /// `item` is set for a mapping that is a sequence item and has not seen its first key yet:
    /// the item is located at that key (the parser's mark for the mapping start is less useful).
    Map {
        key: Option<String>,
        item: bool,
        /// Keys seen so far with their positions, kept only when checking for duplicates.
        seen: HashMap<String, Position>,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    found: HashMap<String, Position>,
    /// Check keys for duplicates (`check`) instead of collecting positions (`Positions::of`).
    keys: bool,
}

impl Walker {
    fn run(&mut self, text: &str) -> Result<(), ShapeError> {
        let mut parser = Parser::new_from_str(text);
        loop {
            match parser.next_token() {
                Ok((Event::StreamEnd, _)) => return Ok(()),
                Ok((ev, mark)) => self.on_event(ev, mark)?,
                // yaml-rust2 refuses deep flow nesting itself, before its events reach us (its
                // scanner reads ahead). Passed on, such a file costs libyaml time quadratic in
                // its depth: minutes for a few hundred kilobytes of brackets.
                Err(e) if e.info().contains("recursion limit") => {
                    return Err(ShapeError::TooDeep {
                        at: to_pos(*e.marker()),
                    });
                }
                Err(_) => return Ok(()),
            }
        }
    }

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
        if !self.keys
            && let Some(Frame::Seq { .. }) = self.stack.last()
        {
            let path = self.path();
            self.found.entry(path).or_insert(to_pos(mark));
        }
    }

    fn open(&mut self, frame: Frame, mark: Marker) -> Result<(), ShapeError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ShapeError::TooDeep { at: to_pos(mark) });
        }
        self.stack.push(frame);
        Ok(())
    }

    fn on_key(&mut self, value: String, mark: Marker) -> Result<(), ShapeError> {
        let at = to_pos(mark);
        if self.keys {
            let path = self.path();
            if let Some(Frame::Map { key, seen, .. }) = self.stack.last_mut() {
                // `<<` merges another mapping in; YAML allows it more than once.
                if value != "<<"
                    && let Some(first) = seen.insert(value.clone(), at)
                {
                    return Err(ShapeError::DuplicateKey {
                        path,
                        key: value,
                        at,
                        first,
                    });
                }
                *key = Some(value);
            }
            return Ok(());
        }
        if let Some(Frame::Map { item, .. }) = self.stack.last_mut() {
            let first_key_of_item = std::mem::take(item);
            if first_key_of_item {
                let path = self.path();
                self.found.entry(path).or_insert(at);
            }
        }
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = Some(value);
        }
        let path = self.path();
        self.found.entry(path).or_insert(at);
        Ok(())
    }

    fn on_event(&mut self, ev: Event, mark: Marker) -> Result<(), ShapeError> {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                    self.on_key(value, mark)?;
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
                let frame = Frame::Map {
                    key: None,
                    item,
                    seen: HashMap::new(),
                };
                self.open(frame, mark)?;
            }
            Event::SequenceStart(..) => {
                self.record_item(mark);
                self.open(Frame::Seq { index: 0 }, mark)?;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
        Ok(())
    }
}

fn to_pos(mark: Marker) -> Position {
    Position {
        line: mark.line(),
        column: mark.col() + 1,
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

    #[test]
    fn deep_nesting_is_refused_at_the_first_level_too_many_without_recursion() {
        let text = format!("service: x\nsummary:\n{}x\n", "- ".repeat(30_000));
        match check(&text) {
            Err(ShapeError::TooDeep { at }) => {
                assert_eq!(at.line, 3);
                // The root mapping is level 1, so the 64th sequence opens level 65.
                assert_eq!(at.column, 1 + 2 * (MAX_DEPTH - 1));
            }
            other => panic!("{other:?}"),
        }
        // Positions stop there too, and keep what they found before it.
        let p = Positions::of(&text);
        assert_eq!(p.find("service").map(|p| p.line), Some(1));
        let flow = format!("{{\"a\": {}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(matches!(check(&flow), Err(ShapeError::TooDeep { .. })));
        // yaml-rust2 gives up on flow nesting far beyond that by itself, before any event.
        let deeper = format!("{{\"a\": {}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(check(&deeper), Err(ShapeError::TooDeep { .. })));
        let fine = format!(
            "a: {}1{}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(check(&fine), Ok(()));
    }

    #[test]
    fn a_repeated_key_is_named_with_both_places() {
        let text =
            "service: a\nslo:\n  error_rate: 0.01\n  latency_ms: {p95: 1}\n  error_rate: 0.5\n";
        match check(text) {
            Err(ShapeError::DuplicateKey {
                path,
                key,
                at,
                first,
            }) => {
                assert_eq!((path.as_str(), key.as_str()), ("slo", "error_rate"));
                assert_eq!((at.line, at.column), (5, 3));
                assert_eq!(first.line, 3);
            }
            other => panic!("{other:?}"),
        }
        // The same key in two different mappings, and merge keys, are fine.
        assert_eq!(check("a: {x: 1}\nb: {x: 2}\nc: [{x: 1}, {x: 2}]\n"), Ok(()));
        let json = "{\"p95_ms\": 1,\n \"p95_ms\": 2}";
        assert!(matches!(check(json), Err(ShapeError::DuplicateKey { at, .. }) if at.line == 2));
    }
}
