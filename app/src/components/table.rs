//! Tables that scroll sideways inside their own box on a narrow screen.

use leptos::prelude::*;

/// A `.table` inside a box that scrolls when the table is wider than the
/// screen. The box is a named region that takes keyboard focus, so that it
/// can be scrolled without a pointer (WCAG 2.1.1).
#[component]
pub fn ScrollingTable(
    /// What the table lists, as a screen reader announces the region.
    label: &'static str,
    /// Space above the box, when it follows other content in a card.
    #[prop(optional)]
    gap: bool,
    children: Children,
) -> impl IntoView {
    let class = if gap {
        "table-wrap section-gap"
    } else {
        "table-wrap"
    };
    view! {
        <div class=class role="region" aria-label=label tabindex="0">
            <table class="table">{children()}</table>
        </div>
    }
}
