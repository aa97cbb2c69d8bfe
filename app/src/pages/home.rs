use leptos::prelude::*;
use leptos_meta::{Meta, Title};

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="SMART on FHIR apps, registered once, installed anywhere"/>
        <Meta name="description" content="Sidecar is the marketplace and registration portal for SMART on FHIR apps: developers register once, health systems approve and install with exactly the access they grant."/>
        <section class="hero">
            <p class="eyebrow">"SMART on FHIR app marketplace"</p>
            <h1>"Register once. Install anywhere. Grant exactly what you mean."</h1>
            <p class="lead">
                "Sidecar is where app developers register their SMART on FHIR apps, reviewers vet them, "
                "and health systems install them with precisely the scopes they are willing to grant. "
                "Credentials are minted per health system and provisioned into its authorization server."
            </p>
            <div class="hero-actions">
                <a class="button button-primary" href="/signup">"Create an account"</a>
                <a class="button button-secondary" href="/login">"Log in"</a>
            </div>
        </section>
        <section class="feature-grid" aria-label="What Sidecar does">
            <article class="card feature">
                <h2>"For developers"</h2>
                <p>"Describe your app once: launch URL, exact redirect URIs, SMART v1 or v2 scopes, client type and keys. Submit versions for review and test in your own sandbox."</p>
            </article>
            <article class="card feature">
                <h2>"For health systems"</h2>
                <p>"Browse reviewed apps, approve installs, narrow the scopes you grant, suspend or revoke at any time, and read a complete audit trail."</p>
            </article>
            <article class="card feature">
                <h2>"For EHRs"</h2>
                <p>"Fetch your tenant's registrations through a versioned REST API instead of a spreadsheet, and let apps launch against a standards-grade authorization server."</p>
            </article>
        </section>
    }
}
