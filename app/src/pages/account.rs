//! The account page: who you are, your memberships, your access tokens.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_tokens, load_page};
use crate::components::form::{Field, FlashMessage};
use crate::components::ScrollingTable;
use crate::model::{AccountView, MembershipView, TokenView};

#[component]
pub fn AccountPage() -> impl IntoView {
    let state = Resource::new(|| (), |_| load_page("account".to_owned()));
    let tokens = Resource::new(|| (), |_| list_tokens());
    view! {
        <Title text="Your account"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                let tokens = tokens.await.unwrap_or_default();
                match state.account {
                    None => view! {
                        <section class="empty-state">
                            <h1>"You are not logged in"</h1>
                            <p>"Log in to see your account."</p>
                            <a class="button button-primary" href="/login?next=/account">"Log in"</a>
                        </section>
                    }.into_any(),
                    Some(account) => {
                        let flash = state.flash;
                        let new_token = flash.values.get("new_token").cloned();
                        view! {
                            <div class="page-header">
                                <h1>"Your account"</h1>
                                <p class="muted">{account.email.clone()}</p>
                            </div>
                            <FlashMessage flash=flash.clone()/>
                            {new_token.map(|token| view! {
                                <div class="notice notice-success token-reveal" role="status">
                                    <p><strong>"Your new token. Copy it now: it will not be shown again."</strong></p>
                                    <code class="token-value" data-testid="new-token">{token}</code>
                                </div>
                            })}
                            <div class="grid-2">
                                <Profile account=account.clone()/>
                                <Memberships account=account/>
                            </div>
                            <Tokens tokens flash=flash/>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Profile(account: AccountView) -> impl IntoView {
    let role = match account.platform_role.as_deref() {
        Some("admin") => "Platform administrator",
        Some("reviewer") => "Reviewer",
        _ => "None: your access comes from your memberships",
    };
    view! {
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <dl class="details">
                <dt>"Email"</dt><dd>{account.email}</dd>
                <dt>"Platform role"</dt><dd>{role}</dd>
            </dl>
            <form method="post" action="/logout" class="inline-form">
                <button class="button button-secondary" type="submit">"Log out"</button>
            </form>
        </section>
    }
}

/// Memberships, each linking to its console (`href` makes the link).
fn membership_list(
    items: Vec<MembershipView>,
    empty: &'static str,
    href: fn(&MembershipView) -> Option<String>,
) -> AnyView {
    if items.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <ul class="plain-list">
            {items.into_iter().map(|m| {
                let name = match href(&m) {
                    Some(href) => view! { <a href=href><strong>{m.name.clone()}</strong></a> }.into_any(),
                    None => view! { <strong>{m.name.clone()}</strong> }.into_any(),
                };
                view! { <li>{name} " " <span class="badge">{m.role}</span> " " <span class="muted">{m.slug}</span></li> }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Memberships(account: AccountView) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="memberships-title">
            <h2 id="memberships-title">"Memberships"</h2>
            <h3>"Publisher organisations"</h3>
            {membership_list(account.publishers, "You are not a member of any publisher organisation yet.", |m| Some(format!("/dev/publishers/{}", m.slug)))}
            <h3>"Health systems"</h3>
            {membership_list(account.tenants, "You are not a member of any health system yet.", |m| Some(format!("/t/{}/admin", m.slug)))}
            <p><a href="/account/tenant-applications">"Apply for a tenant for your health system"</a></p>
        </section>
    }
}

#[component]
fn Tokens(tokens: Vec<TokenView>, flash: crate::model::Flash) -> impl IntoView {
    let has_tokens = !tokens.is_empty();
    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"Personal access tokens"</h2>
            <p class="muted">"Tokens let scripts and CI pipelines call the Sidecar API as you. Each acts only within your memberships."</p>
            {if has_tokens {
                view! {
                    <ScrollingTable label="Personal access tokens">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th><th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {tokens.into_iter().map(|t| {
                                    let action = format!("/account/tokens/{}/revoke", t.id);
                                    view! {
                                        <tr>
                                            <td>{t.name.clone()}</td>
                                            <td>{t.scopes.join(", ")}</td>
                                            <td>{t.created}</td>
                                            <td>{t.expires.unwrap_or_else(|| "never".into())}</td>
                                            <td>{t.last_used.unwrap_or_else(|| "never".into())}</td>
                                            <td>
                                                <form method="post" action=action class="inline-form">
                                                    <button class="button button-danger button-small" type="submit" aria-label=format!("Revoke {}", t.name)>"Revoke"</button>
                                                </form>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                    </ScrollingTable>
                }.into_any()
            } else {
                view! { <p class="muted">"You have no tokens."</p> }.into_any()
            }}
            <h3>"Create a token"</h3>
            <form method="post" action="/account/tokens" class="stack" novalidate>
                <Field label="Name" name="name" value=flash.value("name") error=flash.error("name") hint="What will use it, e.g. \"release pipeline\"." required=true maxlength=100/>
                <fieldset class="field" class:field-invalid=flash.error("scopes").is_some()>
                    <legend>"Scopes"</legend>
                    <label class="check"><input type="checkbox" name="scopes" value="publisher"/>" publisher — register and version apps"</label>
                    <label class="check"><input type="checkbox" name="scopes" value="review"/>" review — work the review queue (reviewers)"</label>
                    <label class="check"><input type="checkbox" name="scopes" value="tenant-admin"/>" tenant-admin — manage your health systems"</label>
                    {flash.error("scopes").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </fieldset>
                <div class="field">
                    <label for="field-expires">"Expires"</label>
                    <select id="field-expires" name="expires_in_days">
                        <option value="30">"in 30 days"</option>
                        <option value="90" selected>"in 90 days"</option>
                        <option value="366">"in a year"</option>
                        <option value="">"never"</option>
                    </select>
                </div>
                <button class="button button-primary" type="submit">"Create token"</button>
            </form>
        </section>
    }
}
