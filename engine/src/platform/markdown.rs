//! App descriptions are Markdown written by developers and read by
//! everyone: rendered here to HTML that can carry no script. Raw HTML is
//! shown as text, images become their alt text, links keep only absolute
//! `https`, `http` and `mailto` targets, and headings start at `<h3>` so
//! they sit under the page's own.

use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

fn safe_target(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http" | "mailto"))
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// `text` as safe HTML.
pub fn to_safe_html(text: &str) -> String {
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    // Whether each open link was kept, so its end is kept or dropped too.
    let mut links: Vec<bool> = Vec::new();
    let events = parser.filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = safe_target(&dest_url);
            links.push(keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => links.pop().unwrap_or(false).then_some(event),
        Event::Start(Tag::Heading {
            level,
            id: _,
            classes: _,
            attrs: _,
        }) => Some(Event::Start(Tag::Heading {
            level: demote(level),
            id: None,
            classes: Vec::new(),
            attrs: Vec::new(),
        })),
        Event::End(TagEnd::Heading(level)) => Some(Event::End(TagEnd::Heading(demote(level)))),
        Event::InlineMath(t) | Event::DisplayMath(t) => Some(Event::Code(t)),
        Event::FootnoteReference(label) => Some(Event::Text(CowStr::from(format!("[{label}]")))),
        other => Some(other),
    });
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_ordinary_markdown() {
        let html = to_safe_html("# Charts\n\nPlots **growth** for [children](https://example.com/kids).\n\n- one\n- two");
        assert!(html.contains("<h3>Charts</h3>"), "{html}");
        assert!(html.contains("<strong>growth</strong>"));
        assert!(html.contains(r#"<a href="https://example.com/kids">children</a>"#));
        assert!(html.contains("<li>one</li>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_safe_html("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn unsafe_links_and_images_lose_their_targets() {
        for text in [
            "[click](javascript:alert(1))",
            "[click](JAVASCRIPT:alert(1))",
            "[click](data:text/html;base64,PHNjcmlwdD4=)",
            "[click](/relative)",
            "<javascript:alert(1)>",
        ] {
            let html = to_safe_html(text);
            assert!(!html.contains("href"), "{text} → {html}");
        }
        let html = to_safe_html("![a chart](https://tracker.example/pixel.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("a chart"));
        assert!(
            to_safe_html("<mailto:help@example.com>").contains("href=\"mailto:help@example.com\"")
        );
    }

    #[test]
    fn attribute_breakouts_are_escaped() {
        let html = to_safe_html(r#"[x](https://example.com/"onmouseover="alert(1))"#);
        assert!(
            !html.contains(r#"" onmouseover"#) && !html.contains(r#""onmouseover=""#),
            "{html}"
        );
    }
}
