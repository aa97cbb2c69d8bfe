//! Sidecar's user interface: Leptos pages rendered on the server and
//! hydrated in the browser. Every form is a plain HTML form that works
//! without JavaScript.

// The typed views of the bigger pages nest deeper than the default limit
// when compiled without `erase_components` (release builds).
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod labels;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use components::layout::{Footer, Header};
use pages::account::AccountPage;
use pages::admin::AdminPage;
use pages::apply::ApplyPage;
use pages::auth::{
    ForgotPasswordPage, LoginPage, LogoutPage, ResetPasswordPage, SignupPage, VerifyEmailPage,
};
use pages::dev::{DevAppPage, DevHome};
use pages::gallery::{AppPage, GalleryPage};
use pages::home::HomePage;
use pages::not_found::NotFound;
use pages::publisher::DevPublisherPage;
use pages::review::{ReviewQueue, ReviewSubmission};
use pages::tenant::{InstallAppPage, TenantConsolePage};

/// The HTML document around the app (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts only from this origin or with
/// this response's nonce (the hydration script), wasm allowed, no framing.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use http::{header, HeaderValue};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: https:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let header_state = Resource::new(|| (), |_| api::load_page("header".to_owned()));
    // Lets end-to-end tests wait until the page is interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=|text: String| if text.is_empty() { "Sidecar".to_owned() } else { format!("{text} · Sidecar") }/>
        <Meta name="theme-color" content="#0b5c6b"/>
        <Link rel="icon" href="/favicon.ico"/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Suspense fallback=|| view! { <Header account=None/> }>
                {move || Suspend::new(async move {
                    let account = header_state.await.ok().and_then(|state| state.account);
                    view! { <Header account/> }
                })}
            </Suspense>
            <main id="main" class="container site-main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/logout") view=LogoutPage ssr=SsrMode::Async/>
                    <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/tenant-applications") view=ApplyPage ssr=SsrMode::Async/>
                    <Route path=path!("/apps") view=GalleryPage ssr=SsrMode::Async/>
                    <Route path=path!("/apps/:slug") view=AppPage ssr=SsrMode::Async/>
                    <Route path=path!("/dev") view=DevHome ssr=SsrMode::Async/>
                    <Route path=path!("/dev/apps/:slug") view=DevAppPage ssr=SsrMode::Async/>
                    <Route path=path!("/dev/publishers/:slug") view=DevPublisherPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:tenant/admin") view=TenantConsolePage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:tenant/admin/install/:slug") view=InstallAppPage ssr=SsrMode::Async/>
                    <Route path=path!("/review") view=ReviewQueue ssr=SsrMode::Async/>
                    <Route path=path!("/review/:id") view=ReviewSubmission ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
