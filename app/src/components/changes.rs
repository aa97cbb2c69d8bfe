//! What changed between two versions of an app, as the gallery, the review
//! page and the developer console show it.

use domain::ManifestDiff;
use leptos::prelude::*;

/// The scopes and redirect URIs added and removed, then any other changed
/// members; "No changes" when there are none.
#[component]
pub fn ChangeList(changes: ManifestDiff) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="muted">"No changes."</p> }.into_any();
    }
    let group = |title: &'static str, class: &'static str, items: Vec<String>| {
        (!items.is_empty()).then(|| {
            view! {
                <li class=class>
                    {title}
                    <ul class="change-items">
                        {items.into_iter().map(|i| view! { <li><code>{i}</code></li> }).collect_view()}
                    </ul>
                </li>
            }
        })
    };
    view! {
        <ul class="change-list">
            {group("Scopes added", "change-added", changes.scopes_added)}
            {group("Scopes removed", "change-removed", changes.scopes_removed)}
            {group("Redirect URIs added", "change-added", changes.redirect_uris_added)}
            {group("Redirect URIs removed", "change-removed", changes.redirect_uris_removed)}
            {group("Also changed", "change-other", changes.changed)}
        </ul>
    }
    .into_any()
}
