//! The tenant's webhook (admins only): where registration events go.

use leptos::prelude::*;

use crate::components::form::Field;
use crate::components::ScrollingTable;
use crate::model::{Flash, WebhookRow};

/// The webhook URL form (the signing secret is shown once after saving)
/// and the delivery log.
#[component]
pub(super) fn WebhookSection(
    tenant: String,
    webhook: Option<WebhookRow>,
    flash: Flash,
) -> impl IntoView {
    let secret = flash.values.get("new_webhook_secret").cloned();
    let current = webhook.as_ref().map(|w| w.url.clone()).unwrap_or_default();
    let url = Some(flash.value("url"))
        .filter(|v| !v.is_empty())
        .unwrap_or(current);
    view! {
        <section class="card section-gap" aria-labelledby="webhook-title">
            <h2 id="webhook-title">"Webhook"</h2>
            <p class="muted">"Sidecar posts registration.created, .updated, .suspended and .revoked events here, signed with HMAC-SHA-256 in the Sidecar-Signature header, and retries failures with growing delays."</p>
            {secret.map(|secret| view! {
                <div class="notice notice-success token-reveal" role="status">
                    <p><strong>"The signing secret. Copy it now: it will not be shown again."</strong></p>
                    <code class="token-value" data-testid="webhook-secret">{secret}</code>
                </div>
            })}
            <form method="post" action=format!("/t/{tenant}/admin/webhook") class="stack" novalidate>
                <Field label="URL" name="url" kind="url" value=url error=flash.error("url") hint="https; saving makes a new signing secret."/>
                <button class="button button-secondary" type="submit">"Save webhook"</button>
            </form>
            {webhook.filter(|w| !w.deliveries.is_empty()).map(|w| view! {
                <ScrollingTable label="Webhook deliveries" gap=true>
                    <thead><tr><th scope="col">"Event"</th><th scope="col">"Queued"</th><th scope="col">"Attempts"</th><th scope="col">"Outcome"</th></tr></thead>
                    <tbody>{w.deliveries.into_iter().map(|d| view! {
                        <tr><td><code>{d.event}</code></td><td>{d.created}</td><td>{d.attempts}</td><td>{d.outcome}</td></tr>
                    }).collect_view()}</tbody>
                </ScrollingTable>
            })}
        </section>
    }
}
