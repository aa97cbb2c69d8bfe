//! The tenant's latest audit entries, and the whole log as CSV.

use leptos::prelude::*;

use crate::model::ActivityLine;

#[component]
pub(super) fn AuditSection(tenant: String, activity: Vec<ActivityLine>) -> impl IntoView {
    view! {
        <section class="card section-gap" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <p><a href=format!("/t/{tenant}/admin/audit.csv") download>"Download the whole log (CSV)"</a></p>
            <ul class="activity">{activity.into_iter().map(|a| view! {
                <li><span class="muted">{a.at}</span>" "<strong>{a.who}</strong>" "{a.what}</li>
            }).collect_view()}</ul>
        </section>
    }
}
