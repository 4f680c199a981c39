//! serde_json's pretty layout (two-space indent, `": "` after keys), byte for byte, with each
//! line break and its indent written in one piece. serde_json's own `PrettyFormatter` writes the
//! indent one level at a time, a small copy each; a plan is nested five levels deep and has about
//! a thousand lines, so those copies were a visible share of a burst of plans.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// `,` then a line break then spaces: a break with its indent is a slice of it.
const BREAK: [u8; 130] = {
    let mut b = [b' '; 130];
    b[0] = b',';
    b[1] = b'\n';
    b
};
const INDENT: usize = 2;

#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// Writes a line break (after a comma unless `first`) and the indent of the current depth.
fn line_break<W: ?Sized + Write>(w: &mut W, depth: usize, first: bool) -> io::Result<()> {
    let from = usize::from(first);
    let mut spaces = depth * INDENT;
    let fits = (BREAK.len() - 2).min(spaces);
    w.write_all(&BREAK[from..2 + fits])?;
    spaces -= fits;
    // Deeper than the slice covers: the rest in slices of spaces.
    while spaces > 0 {
        let n = (BREAK.len() - 2).min(spaces);
        w.write_all(&BREAK[2..2 + n])?;
        spaces -= n;
    }
    Ok(())
}

impl Pretty {
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// An empty array or object closes on the same line, as `[]` or `{}`.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            line_break(w, self.depth, true)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        line_break(w, self.depth, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        line_break(w, self.depth, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `serde_json::to_string_pretty`, faster.
pub fn to_string<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(4096);
    value.serialize(&mut Serializer::with_formatter(&mut out, Pretty::default()))?;
    // serde_json writes only valid UTF-8: strings are escaped from `str`s, the rest is ASCII.
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.utf8_error()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn same_as_serde_json(v: &Value) {
        assert_eq!(
            super::to_string(v).unwrap(),
            serde_json::to_string_pretty(v).unwrap()
        );
    }

    #[test]
    fn lays_out_every_shape_as_serde_json_does() {
        same_as_serde_json(&json!({
            "empty_object": {}, "empty_array": [], "n": 1.5, "s": "a \"q\" \u{e9}\n",
            "nested": [[[]], [{}], {"a": [1, {"b": null}]}], "t": true
        }));
        same_as_serde_json(&json!([]));
        same_as_serde_json(&json!("x"));
        // Deeper than one slice of spaces covers.
        let mut deep = json!(1);
        for i in 0..100 {
            deep = if i % 2 == 0 {
                json!([deep, 2])
            } else {
                json!({ "k": deep })
            };
        }
        same_as_serde_json(&deep);
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-z\"\\\\\n é]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{0,4}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_reads_back_byte_for_byte(v in value()) {
            same_as_serde_json(&v);
        }
    }
}
