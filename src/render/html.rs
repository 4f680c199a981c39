//! The page every HTML rendering shares: one self-contained document with its style inline and a
//! content security policy that forbids fetching anything, plus the escaping all markup uses.
//!
//! Pages are built with maud's `html!`, which escapes every value spliced into it, so no caller
//! can forget. Values go in as `Text`, which escapes the single quote as well as maud's four
//! characters: pages and the SVG charts (written by hand, escaped by `esc`) then escape alike,
//! and the reviewed golden pages stay byte for byte. `PreEscaped` appears only for the constant
//! style sheets; charts go in as `svg::Chart`, which only the chart modules can make.

use maud::{DOCTYPE, Markup, PreEscaped, Render, html};

/// Escapes text for HTML and SVG content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    esc_into(s, &mut out);
    out
}

fn esc_into(s: &str, out: &mut String) {
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
}

/// Text spliced into a page, escaped as `esc` does.
pub struct Text<S>(pub S);

impl<S: AsRef<str>> Render for Text<S> {
    fn render_to(&self, buffer: &mut String) {
        esc_into(self.0.as_ref(), buffer);
    }
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
pub fn page(title: &str, body: Markup) -> String {
    page_styled(title, "", body)
}

/// `page` with more style rules after the shared ones (a wider page, say). The rules are a
/// constant: a style sheet is not escaped, so nothing from outside may reach it.
pub fn page_styled(title: &str, style: &'static str, body: Markup) -> String {
    html! {
        (DOCTYPE) "\n"
        html lang="en" {
            "\n"
            head {
                "\n"
                meta charset="utf-8"; "\n"
                meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"; "\n"
                link rel="icon" href="data:,"; "\n"
                title { (Text(title)) } "\n"
                style { (PreEscaped(STYLE)) (PreEscaped(style)) } "\n"
            }
            "\n"
            body { "\n" (body) }
            "\n"
        }
        "\n"
    }
    .into_string()
}

/// A table from a header row and body rows, each row its cells (`td` elements).
pub fn table(head: &[&str], rows: impl IntoIterator<Item = Markup>) -> Markup {
    html! {
        table {
            "\n"
            tr { @for h in head { th { (Text(h)) } } } "\n"
            @for r in rows { tr { (r) } "\n" }
        }
        "\n"
    }
}

pub fn td(text: &str) -> Markup {
    html! { td { (Text(text)) } }
}

/// A right-aligned numeric cell.
pub fn tdn(text: &str) -> Markup {
    html! { td.n { (Text(text)) } }
}

pub fn td_class(class: &str, text: &str) -> Markup {
    html! { td class=(Text(class)) { (Text(text)) } }
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
    fn spliced_text_and_attributes_are_escaped() {
        let cell = td_class("x\" onclick=\"y", "<b>'&'</b>").into_string();
        assert_eq!(
            cell,
            "<td class=\"x&quot; onclick=&quot;y\">&lt;b&gt;&#39;&amp;&#39;&lt;/b&gt;</td>"
        );
        let t = table(&["<h>"], [td("a")]).into_string();
        assert_eq!(
            t,
            "<table>\n<tr><th>&lt;h&gt;</th></tr>\n<tr><td>a</td></tr>\n</table>\n"
        );
    }

    #[test]
    fn page_fetches_nothing() {
        let p = page("t</title>", html! { p { "x" } });
        assert!(p.contains("default-src 'none'"));
        assert!(p.contains("<title>t&lt;/title&gt;</title>"));
        for needle in ["http://", "https://", "<script", "src=\"//"] {
            assert!(!p.contains(needle), "{needle}");
        }
    }
}
