//! The frame of every page: header with navigation, main, footer.

use leptos::prelude::*;

use crate::model::AccountView;

#[component]
pub fn Header(account: Option<AccountView>) -> impl IntoView {
    let signed_in = account.is_some();
    view! {
        <header class="site-header">
            <div class="container header-inner">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"S"</span>
                    <span class="brand-name">"Sidecar"</span>
                </a>
                <nav class="site-nav" aria-label="Main">
                    <a href="/apps">"Apps"</a>
                    {if signed_in {
                        view! {
                            <a href="/dev">"Developers"</a>
                            {account.as_ref().and_then(|a| a.platform_role.as_deref()).filter(|r| *r == "reviewer" || *r == "admin").map(|_| view! { <a href="/review">"Review"</a> })}
                            {account.as_ref().and_then(|a| a.tenants.iter().find(|t| t.role == "admin")).map(|t| view! { <a href=format!("/t/{}/admin", t.slug)>"Health system"</a> })}
                            {account.as_ref().and_then(|a| a.platform_role.as_deref()).filter(|r| *r == "admin").map(|_| view! { <a href="/admin">"Admin"</a> })}
                            <a href="/account">"Account"</a>
                            <form method="post" action="/logout" class="inline-form">
                                <button type="submit" class="button button-quiet">"Log out"</button>
                            </form>
                        }
                            .into_any()
                    } else {
                        view! {
                            <a href="/login">"Log in"</a>
                            <a class="button button-primary button-small" href="/signup">"Sign up"</a>
                        }
                            .into_any()
                    }}
                </nav>
            </div>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container footer-inner">
                <p>"Sidecar — the marketplace and registration portal for SMART on FHIR apps."</p>
                <p class="footer-links">
                    <a href="https://hl7.org/fhir/smart-app-launch/" rel="noopener">"SMART App Launch"</a>
                    <a href="/healthz">"Status"</a>
                </p>
            </div>
        </footer>
    }
}

/// A narrow card for account forms.
#[component]
pub fn AuthCard(
    title: &'static str,
    #[prop(optional)] lead: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="auth-card card" aria-labelledby="auth-title">
            <h1 id="auth-title">{title}</h1>
            {lead.map(|lead| view! { <p class="lead">{lead}</p> })}
            {children()}
        </section>
    }
}
