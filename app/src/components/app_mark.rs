//! An app's logo, or its initial on a coloured tile when it has none.

use leptos::prelude::*;

/// Decorative: the app's name is always written next to it.
#[component]
pub fn AppMark(name: String, logo: Option<String>, #[prop(optional)] large: bool) -> impl IntoView {
    let class = if large {
        "app-mark app-mark-large"
    } else {
        "app-mark"
    };
    match logo {
        Some(src) => {
            view! { <img class=class src=src alt="" aria-hidden="true" width="48" height="48"/> }
                .into_any()
        }
        None => {
            let initial = name
                .chars()
                .next()
                .unwrap_or('?')
                .to_uppercase()
                .to_string();
            view! { <span class=class aria-hidden="true">{initial}</span> }.into_any()
        }
    }
}
