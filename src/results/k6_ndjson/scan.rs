//! A hand-written reader for the shape k6 writes every line in: no spaces, no escapes, known keys.
//! It takes only lines serde_json would read the same way, filling a `Point` in place; anything
//! else it leaves to serde.
//!
//! Kept because it beats the libraries by far more than the noise: with it a one-thread read of
//! k6 output takes about 0.42 of the time memmem + serde_json alone take, and sonic-rs parses
//! lines only about a fifth faster than serde_json (`benches/fast_paths`, benches/README.md).

use super::Point;

/// Parts of the used metrics' names: a line without any of them names none of the metrics.
const USED: [&[u8]; 3] = [
    b"http_req_duration",
    b"http_req_failed",
    b"dropped_iterations",
];

/// A first look at a line, in one pass over its bytes that the compiler vectorises.
pub(super) struct Survey {
    /// No escapes and no control characters: strings end at the next quote. Only looked for
    /// when `may_name_used` (false otherwise).
    pub plain: bool,
    /// A used metric's name may appear somewhere; when false, none does.
    pub may_name_used: bool,
}

pub(super) fn survey(b: &[u8]) -> Survey {
    // k6 starts each line with the metric's name: checked apart, since the unused http_reqs and
    // http_req_waiting share their start with the used ones.
    let (name, rest) = match b.strip_prefix(br#"{"metric":""#) {
        Some(after) => match after.iter().position(|&c| c == b'"') {
            Some(end) => (&after[..end], &after[end..]),
            None => (&b[..0], b),
        },
        None => (&b[..0], b),
    };
    let named = USED.iter().any(|n| name.windows(n.len()).any(|w| w == *n));
    // Each look is a pass over the line: a used metric's line needs only the escape check, an
    // unused one only the name hint, unless the hint is found and the scanner must read it.
    let hint = named || has_hint(rest);
    Survey {
        plain: hint && !has_odd(name) && !has_odd(rest),
        may_name_used: hint,
    }
}

/// Whether `b` has an escape or control character.
fn has_odd(b: &[u8]) -> bool {
    // No early exit: many bytes per step.
    b.iter()
        .fold(0u8, |m, &c| m | u8::from(c < 0x20) | u8::from(c == b'\\'))
        != 0
}

/// Whether `b` has `_req` or `d_it`: every used metric's name has one of them, so text without
/// both names none of them.
fn has_hint(b: &[u8]) -> bool {
    let n = b.len().saturating_sub(3);
    let mut hint = 0u8;
    // Four shifted views, walked together without early exit: many bytes per step.
    for (((&a, &c), &d), &e) in b[..n]
        .iter()
        .zip(&b[1.min(b.len())..])
        .zip(&b[2.min(b.len())..])
        .zip(&b[3.min(b.len())..])
    {
        hint |=
            u8::from(a == b'_') & u8::from(c == b'r') & u8::from(d == b'e') & u8::from(e == b'q');
        hint |=
            u8::from(a == b'd') & u8::from(c == b'_') & u8::from(d == b'i') & u8::from(e == b't');
    }
    hint != 0
}

/// The line's point as serde would read it, or `None` when unsure (the caller then asks serde).
#[cfg(test)]
pub(super) fn line(b: &[u8]) -> Option<Point<'_>> {
    if has_odd(b) {
        return None;
    }
    let mut p = Point::default();
    plain_line(b, &mut p).then_some(p)
}

/// Fills `p` from a line `survey` found plain; false when unsure (the caller then asks serde,
/// and `p` may be partly filled).
#[inline]
pub(super) fn plain_line<'a>(b: &'a [u8], p: &mut Point<'a>) -> bool {
    fill(b, p).is_some()
}

#[inline]
fn fill<'a>(b: &'a [u8], p: &mut Point<'a>) -> Option<()> {
    let text = std::str::from_utf8(b).ok()?;
    let mut s = Cursor { text, b, i: 0 };
    s.eat(b'{')?;
    let (mut kind, mut metric) = (false, false);
    loop {
        match s.key()? {
            b"metric" if !metric => {
                p.metric = s.string()?;
                metric = true;
            }
            b"type" if !kind => {
                p.kind = s.string()?;
                kind = true;
            }
            b"data" if !p.has_data => {
                s.data(p)?;
                p.has_data = true;
            }
            _ => return None,
        }
        if !s.next_member()? {
            break;
        }
    }
    (s.i == b.len() && kind && metric).then_some(())
}

/// The first quote at or after `i`, eight bytes per step: strings are short, too short for a
/// call to memchr to pay, and a byte loop mispredicts its exit on every string.
#[inline]
fn find_quote(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8).and_then(|c| c.first_chunk::<8>()) {
        // Quote bytes become zero; the lowest flagged byte is the first zero byte (a borrow can
        // only flag bytes above a true zero).
        let w = u64::from_le_bytes(*chunk) ^ (ONES * u64::from(b'"'));
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == b'"').map(|p| i + p)
}

struct Cursor<'a> {
    /// The line, checked UTF-8 without escapes or control characters.
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// After a member: true for `,` (another follows), false for `}`.
    #[inline]
    fn next_member(&mut self) -> Option<bool> {
        let c = *self.b.get(self.i)?;
        self.i += 1;
        match c {
            b',' => Some(true),
            b'}' => Some(false),
            _ => None,
        }
    }

    /// A key and its colon.
    #[inline]
    fn key(&mut self) -> Option<&'a [u8]> {
        let k = self.raw_string()?;
        self.eat(b':')?;
        Some(k)
    }

    /// The bytes between quotes of a string (`line` ruled out escapes).
    #[inline]
    fn raw_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        let end = find_quote(self.b, start)?;
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// A string kept: quotes are ASCII, so its ends are character boundaries.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let end = find_quote(self.b, start)?;
        self.i = end + 1;
        self.text.get(start..end)
    }

    #[inline]
    fn skipped_string(&mut self) -> Option<()> {
        self.raw_string().map(|_| ())
    }

    #[inline]
    fn data(&mut self, p: &mut Point<'a>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let (mut time, mut value, mut tags) = (false, false, false);
        loop {
            match self.key()? {
                b"time" if !time => {
                    p.time = Some(self.string()?);
                    time = true;
                }
                b"value" if !value => {
                    p.value = Some(self.number()?);
                    value = true;
                }
                b"tags" if !tags => {
                    self.tags(p)?;
                    tags = true;
                }
                _ => return None,
            }
            if !self.next_member()? {
                return Some(());
            }
        }
    }

    #[inline]
    fn tags(&mut self, p: &mut Point<'a>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let slot = match self.key()? {
                b"name" => &mut p.name,
                b"url" => &mut p.url,
                b"method" => &mut p.method,
                b"status" => &mut p.status,
                b"expected_response" => &mut p.expected_response,
                // Other tags (group, scenario, proto, custom ones) are strings the reader skips.
                _ => {
                    self.skipped_string()?;
                    if !self.next_member()? {
                        return Some(());
                    }
                    continue;
                }
            };
            // serde refuses a field named twice.
            if slot.is_some() {
                return None;
            }
            *slot = Some(self.string()?);
            if !self.next_member()? {
                return Some(());
            }
        }
    }

    /// A JSON number, checked against JSON's grammar. Both serde (with `float_roundtrip`) and
    /// Rust round decimals correctly, so they agree; `-0` and out-of-range values are left to it.
    fn number(&mut self) -> Option<f64> {
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let neg = b.get(i) == Some(&b'-');
        i += usize::from(neg);
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        let int_start = i;
        let n = digits(&mut i);
        if n == 0 || (n > 1 && b[int_start] == b'0') {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            (digits(&mut i) > 0).then_some(())?;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            (digits(&mut i) > 0).then_some(())?;
        }
        // ASCII digits and signs only: always UTF-8.
        let text = std::str::from_utf8(&b[start..i]).ok()?;
        let v: f64 = text.parse().ok()?;
        if !v.is_finite() || (v == 0.0 && neg) {
            return None;
        }
        self.i = i;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_finds_escapes_and_used_names_anywhere() {
        let s = survey(br#"{"metric":"http_reqs","type":"Point","data":{"tags":{"url":"/a"}}}"#);
        assert!(!s.may_name_used);
        for named in [
            &br#"{"metric":"http_req_duration","type":"Point"}"#[..],
            br#"{"metric":"my_dropped_iterations_x","type":"Point"}"#,
            br#"{"metric":"http_reqs","data":{"tags":{"url":"/http_req_failed"}}}"#,
            br#"{"type":"Point","metric":"dropped_iterations"}"#,
            b"d_it",
        ] {
            assert!(
                survey(named).may_name_used,
                "{}",
                String::from_utf8_lossy(named)
            );
        }
        let used = br#"{"metric":"http_req_failed","type":"Point","data":{}}"#;
        assert!(survey(used).plain);
        for at in [3, 12, 20, used.len() - 2] {
            for odd in [b'\\', b'\t', 0x01] {
                let mut b = used.to_vec();
                b[at] = odd;
                assert!(!survey(&b).plain, "{}", String::from_utf8_lossy(&b));
            }
        }
    }

    #[test]
    fn quotes_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..=len {
                let mut b = vec![b'a'; len];
                b.extend_from_slice(b"\"\"xx");
                let b = &b[len - at..];
                for from in 0..=at {
                    assert_eq!(
                        find_quote(b, from),
                        Some(at),
                        "len {len} at {at} from {from}"
                    );
                }
            }
        }
        assert_eq!(find_quote(b"abcdefghijkl", 0), None);
        assert_eq!(
            find_quote(b"\xa2\xa2\"\xff\x80\x00\x21\x22\x23", 3),
            Some(7)
        );
        assert_eq!(find_quote(b"ab", 5), None);
    }

    #[test]
    fn numbers_follow_json_grammar() {
        let n = |t: &str| {
            Cursor {
                text: t,
                b: t.as_bytes(),
                i: 0,
            }
            .number()
        };
        assert_eq!(n("12.5"), Some(12.5));
        assert_eq!(n("1e3"), Some(1000.0));
        assert_eq!(n("0.1"), Some(0.1));
        for bad in ["01", "1.", ".5", "-", "+1", "1e", "-0", "1e400", "NaN"] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }

    #[test]
    fn lines_k6_writes_are_taken_others_left() {
        let k6 = br#"{"metric":"http_req_duration","type":"Point","data":{"time":"2024-05-01T12:00:00.1+02:00","value":1.5,"tags":{"group":"","method":"GET","name":"h\u00e9","status":"200"}}}"#;
        assert!(line(k6).is_none(), "an escape goes to serde");
        let utf8 = "{\"metric\":\"m\",\"type\":\"Point\",\"data\":{\"tags\":{\"name\":\"hé\"}}}";
        assert_eq!(line(utf8.as_bytes()).unwrap().name, Some("hé"));
        let mut bad = utf8.as_bytes().to_vec();
        let at = bad.len() - 6;
        bad[at] = 0xff;
        assert!(line(&bad).is_none(), "invalid UTF-8 goes to serde");
        let k6 = br#"{"metric":"http_req_duration","type":"Point","data":{"time":"2024-05-01T12:00:00.1+02:00","value":1.5,"tags":{"group":"","method":"GET","name":"home","status":"200"}}}"#;
        let l = line(k6).unwrap();
        assert_eq!(l.metric, "http_req_duration");
        assert!(l.has_data);
        assert_eq!(l.value, Some(1.5));
        assert_eq!(l.name, Some("home"));
        for odd in [
            &br#"{"metric":"a","type":"Point","data":{},"x":1}"#[..],
            br#"{"metric":"a","type":"Point","metric":"b"}"#,
            br#"{"metric":"a", "type":"Point"}"#,
            br#"{"metric":"a","type":"Point"}x"#,
            br#"{"metric":"a","type":"Point","data":{"value":null}}"#,
            br#"{"metric":"a","type":"Point","data":{"tags":{"name":"a","name":"b"}}}"#,
        ] {
            assert!(line(odd).is_none(), "{}", String::from_utf8_lossy(odd));
        }
    }
}
