//! Sign-up, log-in, email verification, password reset and log-out pages.
//!
//! Each form posts to the same path; the server answers 303 to the next page,
//! or back here with the errors in a flash message.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{load_page, reset_link_is_live};
use crate::components::form::{Field, FlashMessage};
use crate::components::layout::AuthCard;
use crate::model::PageState;

fn query(name: &'static str) -> impl Fn() -> String + Clone + Send + Sync + 'static {
    let query = use_query_map();
    move || query.read().get(name).unwrap_or_default()
}

/// Loads the page state for `form` and renders `body` with it.
fn with_state<V: IntoView + 'static>(
    form: &'static str,
    body: impl Fn(PageState) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let state = Resource::new(|| (), move |_| load_page(form.to_owned()));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {
                let body = body.clone();
                move || {
                    let body = body.clone();
                    Suspend::new(async move { body(state.await.unwrap_or_default()) })
                }
            }
        </Suspense>
    }
}

const PASSWORD_HINT: &str =
    "8 to 128 characters. A phrase of unrelated words is strong and easy to remember.";

#[component]
pub fn SignupPage() -> impl IntoView {
    view! {
        <Title text="Sign up"/>
        <AuthCard title="Create your Sidecar account" lead="Publish SMART on FHIR apps, or manage your health system's installs.">
            {with_state("signup", |state| {
                let flash = state.flash;
                view! {
                    <FlashMessage flash=flash.clone()/>
                    <form method="post" action="/signup" class="stack" novalidate>
                        <Field label="Email" name="email" kind="email" value=flash.value("email") error=flash.error("email")
                            autocomplete="email" required=true maxlength=254/>
                        <Field label="Password" name="password" kind="password" error=flash.error("password")
                            hint=PASSWORD_HINT autocomplete="new-password" required=true minlength=8 maxlength=128/>
                        <button class="button button-primary button-block" type="submit">"Create account"</button>
                    </form>
                    <p class="auth-links">"Already have an account? " <a href="/login">"Log in"</a></p>
                }
            })}
        </AuthCard>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let next = query("next");
    view! {
        <Title text="Log in"/>
        <AuthCard title="Log in to Sidecar">
            {with_state("login", move |state| {
                let flash = state.flash;
                view! {
                    <FlashMessage flash=flash.clone()/>
                    <form method="post" action="/login" class="stack" novalidate>
                        <input type="hidden" name="next" value=next()/>
                        <Field label="Email" name="email" kind="email" value=flash.value("email") error=flash.error("email")
                            autocomplete="username" required=true/>
                        <Field label="Password" name="password" kind="password" error=flash.error("password")
                            autocomplete="current-password" required=true/>
                        <button class="button button-primary button-block" type="submit">"Log in"</button>
                    </form>
                    <p class="auth-links">
                        <a href="/forgot-password">"Forgot your password?"</a>
                        " · New here? " <a href="/signup">"Create an account"</a>
                    </p>
                }
            })}
        </AuthCard>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let token = query("token");
    view! {
        <Title text="Confirm your email"/>
        <AuthCard title="Confirm your email address">
            {with_state("verify-email", move |state| {
                let flash = state.flash;
                let token = token();
                if token.is_empty() && flash.message.is_none() {
                    return view! {
                        <p>"Open the link in the mail we sent you. If it has expired, log in and we will send a new one."</p>
                    }.into_any();
                }
                view! {
                    <FlashMessage flash=flash.clone()/>
                    {(!token.is_empty()).then(|| view! {
                        <p>"Press the button to confirm that this address is yours."</p>
                        <form method="post" action="/verify-email" class="stack">
                            <input type="hidden" name="token" value=token.clone()/>
                            <button class="button button-primary button-block" type="submit">"Confirm my email"</button>
                        </form>
                    })}
                }.into_any()
            })}
        </AuthCard>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    view! {
        <Title text="Forgot password"/>
        <AuthCard title="Reset your password" lead="Enter the email of your account and we will mail you a link to choose a new password.">
            {with_state("forgot-password", |state| {
                let flash = state.flash;
                view! {
                    <FlashMessage flash=flash.clone()/>
                    <form method="post" action="/forgot-password" class="stack" novalidate>
                        <Field label="Email" name="email" kind="email" value=flash.value("email") error=flash.error("email")
                            autocomplete="email" required=true/>
                        <button class="button button-primary button-block" type="submit">"Send reset link"</button>
                    </form>
                    <p class="auth-links"><a href="/login">"Back to log in"</a></p>
                }
            })}
        </AuthCard>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = query("token");
    let live = Resource::new(token.clone(), |token| async move {
        if token.is_empty() {
            Ok(false)
        } else {
            reset_link_is_live(token).await
        }
    });
    view! {
        <Title text="Choose a new password"/>
        <AuthCard title="Choose a new password">
            {with_state("reset-password", move |state| {
                let flash = state.flash;
                let token = token();
                view! {
                    <FlashMessage flash=flash.clone()/>
                    <Suspense fallback=|| ()>
                        {
                            let flash = flash.clone();
                            let token = token.clone();
                            move || {
                                let flash = flash.clone();
                                let token = token.clone();
                                Suspend::new(async move {
                                    if live.await.unwrap_or(false) {
                                        view! {
                                            <form method="post" action="/reset-password" class="stack" novalidate>
                                                <input type="hidden" name="token" value=token/>
                                                <Field label="New password" name="password" kind="password" error=flash.error("password")
                                                    hint=PASSWORD_HINT autocomplete="new-password" required=true minlength=8 maxlength=128/>
                                                <button class="button button-primary button-block" type="submit">"Set new password"</button>
                                            </form>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <p class="notice notice-error" role="alert">"This reset link is invalid, has expired or was already used."</p>
                                            <a class="button button-secondary button-block" href="/forgot-password">"Request a new link"</a>
                                        }.into_any()
                                    }
                                })
                            }
                        }
                    </Suspense>
                }
            })}
        </AuthCard>
    }
}

#[component]
pub fn LogoutPage() -> impl IntoView {
    view! {
        <Title text="Log out"/>
        <AuthCard title="Log out of Sidecar?">
            <form method="post" action="/logout" class="stack">
                <button class="button button-primary button-block" type="submit">"Log out"</button>
            </form>
            <p class="auth-links"><a href="/account">"Stay logged in"</a></p>
        </AuthCard>
    }
}
