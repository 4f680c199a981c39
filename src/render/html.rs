//! The page every HTML rendering shares: one self-contained document with its style inline and a
//! content security policy that forbids fetching anything, plus the escaping all markup uses.

use std::fmt::Write;

/// Escapes text for HTML and SVG content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;color:#1d1d1f;background:#fafafa}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.badge{display:inline-block;padding:.15em .6em;border-radius:4px;color:#fff;font-weight:600}
.pass{background:#1e7e34}.warn{background:#b8860b}.fail{background:#c0392b}.inconclusive{background:#6c757d}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.s-fail{color:#c0392b;font-weight:600}.s-warn{color:#9a6a00;font-weight:600}.s-pass{color:#1e7e34}.s-not-evaluated{color:#6c757d}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg.chart{background:#fff;outline:1px solid #ddd;display:block}
svg .t{font-size:13px;font-weight:600}svg .yt{font-size:11px;text-anchor:end;dominant-baseline:middle;fill:#444}
svg .xt{font-size:11px;text-anchor:middle;fill:#444}svg .xl,svg .yl{font-size:11px;text-anchor:middle;fill:#444}
svg .lv{font-size:11px;text-anchor:end}svg .lg{font-size:11px;fill:#333}svg .bv{font-size:11px;text-anchor:middle;fill:#222}
code{background:#eee;padding:0 .25em;border-radius:3px;word-break:break-all}
footer{margin-top:2em;color:#666;font-size:.85em}
";

/// A complete HTML document around `body`.
pub fn page(title: &str, body: &str) -> String {
    page_styled(title, "", body)
}

/// `page` with more style rules after the shared ones (a wider page, say).
pub fn page_styled(title: &str, style: &str, body: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
<link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n<style>{STYLE}{style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    );
    s
}

/// A table from a header row and body rows of ready-made cells (`<td>…</td>`).
pub fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table>\n<tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(c);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

pub fn td(text: &str) -> String {
    format!("<td>{}</td>", esc(text))
}

/// A right-aligned numeric cell.
pub fn tdn(text: &str) -> String {
    format!("<td class=\"n\">{}</td>", esc(text))
}

pub fn td_class(class: &str, text: &str) -> String {
    format!("<td class=\"{}\">{}</td>", esc(class), esc(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn page_fetches_nothing() {
        let p = page("t", "<p>x</p>");
        assert!(p.contains("default-src 'none'"));
        for needle in ["http://", "https://", "<script", "src=\"//"] {
            assert!(!p.contains(needle), "{needle}");
        }
    }
}
