//! The authorization server's pages (sign in, consent, refusals) as Leptos
//! views rendered to a string on the server: Leptos escapes every value.
//! They are plain HTML — no script, never hydrated, not in the browser
//! bundle — so that they run under a policy that allows no script at all.

use engine::authz::authorize::{Interaction, PatientChoice};
use leptos::prelude::*;

/// A whole document: `body` in the site's frame, with its stylesheet.
pub fn document(title: &str, stylesheet: &str, body: AnyView) -> String {
    let html = view! {
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{title.to_owned()}</title>
                <link rel="stylesheet" href=stylesheet.to_owned()/>
            </head>
            <body>
                <main class="site-main" id="main">
                    <div class="container">{body}</div>
                </main>
            </body>
        </html>
    };
    format!("<!DOCTYPE html>{}", html.to_html())
}

/// A card with a heading and a short explanation.
pub fn notice(title: &str, text: &str) -> AnyView {
    card(title.to_owned(), view! { <p>{text.to_owned()}</p> })
}

/// Why the request cannot go on, as the engine put it.
pub fn refusal(message: &str) -> AnyView {
    card("This sign-in cannot go on".to_owned(), alert(message))
}

pub fn sign_in(
    slug: &str,
    interaction: &Interaction,
    username: &str,
    error: Option<&str>,
) -> AnyView {
    // The field to type in next has the focus.
    let username_next = username.is_empty();
    let inner = view! {
        <p class="lead"><strong>{interaction.client_name.clone()}</strong>" asks to:"</p>
        {scope_list(interaction)}
        {error.map(alert)}
        <form method="post" action=format!("/t/{slug}/authorize/sign-in") class="stack">
            <input type="hidden" name="handle" value=interaction.handle.clone()/>
            <div class="field">
                <label for="field-username">"Username"</label>
                <input id="field-username" name="username" type="text" value=username.to_owned()
                    autocomplete="username" required=true maxlength="64" autofocus=username_next/>
            </div>
            <div class="field">
                <label for="field-password">"Password"</label>
                <input id="field-password" name="password" type="password"
                    autocomplete="current-password" required=true maxlength="128" autofocus=!username_next/>
            </div>
            <button class="button button-primary button-block" type="submit">"Sign in"</button>
        </form>
    };
    card(format!("Sign in to {}", interaction.tenant_name), inner)
}

pub fn consent(
    slug: &str,
    interaction: &Interaction,
    username: &str,
    fhir_user: &str,
    choice: Option<&PatientChoice>,
) -> AnyView {
    let inner = view! {
        <p class="eyebrow">{interaction.tenant_name.clone()}</p>
        <p class="lead">
            "Signed in as "<strong>{username.to_owned()}</strong>{format!(" ({fhir_user}). ")}
            <strong>{interaction.client_name.clone()}</strong>" will be able to:"
        </p>
        {scope_list(interaction)}
        <form method="post" action=format!("/t/{slug}/authorize/consent") class="stack">
            <input type="hidden" name="handle" value=interaction.handle.clone()/>
            {choice.map(patient_field)}
            <div class="consent-actions">
                <button class="button button-primary" type="submit" name="decision" value="allow">"Allow"</button>
                <button class="button button-secondary" type="submit" name="decision" value="deny">"Deny"</button>
            </div>
        </form>
    };
    card(format!("Allow {}?", interaction.client_name), inner)
}

/// Which patient the app is for, when the person signed in is not one.
fn patient_field(choice: &PatientChoice) -> impl IntoView {
    let options = choice
        .known
        .iter()
        .map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> })
        .collect_view();
    view! {
        <div class="field" class:field-invalid=choice.error.is_some()>
            <label for="field-patient">"Patient"</label>
            <p class="field-hint" id="field-patient-hint">"The FHIR id of the patient the app is for."</p>
            <input id="field-patient" name="patient" type="text" list="known-patients" value=choice.value.clone()
                maxlength="64" aria-describedby="field-patient-hint"/>
            <datalist id="known-patients">{options}</datalist>
            {choice.error.clone().map(|e| view! { <p class="field-error" id="field-patient-error" role="alert">{e}</p> })}
        </div>
    }
}

/// The scopes asked for, each in plain words beside its code.
fn scope_list(interaction: &Interaction) -> impl IntoView {
    let items = interaction
        .scopes
        .iter()
        .map(|(scope, words)| {
            view! { <li><span>{words.clone()}</span><code class="scope-code">{scope.clone()}</code></li> }
        })
        .collect_view();
    view! { <ul class="scope-list">{items}</ul> }
}

fn alert(message: &str) -> impl IntoView {
    view! { <div class="notice notice-error" role="alert"><p>{message.to_owned()}</p></div> }
}

fn card(title: String, inner: impl IntoView + 'static) -> AnyView {
    view! {
        <section class="auth-card card" aria-labelledby="auth-title">
            <h1 id="auth-title">{title}</h1>
            {inner}
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::authz::authorize::Step;

    fn interaction(client_name: &str) -> Interaction {
        Interaction {
            handle: r#"h"><script>"#.to_owned(),
            tenant_name: "Demo & Co".to_owned(),
            client_name: client_name.to_owned(),
            redirect_origin: "https://app.example".to_owned(),
            scopes: vec![(
                "patient/*.rs".to_owned(),
                "<b>read</b> your records".to_owned(),
            )],
            step: Step::SignIn {
                username: String::new(),
                error: None,
            },
        }
    }

    #[test]
    fn every_value_is_escaped() {
        let page = document(
            "Sign in",
            "/pkg/sidecar.css",
            sign_in(
                "demo",
                &interaction("<script>alert(1)</script>"),
                r#"" onfocus="x"#,
                Some("<img src=x>"),
            ),
        );
        assert!(
            page.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{page}"
        );
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(page.contains("Demo &amp; Co"), "{page}");
        assert!(!page.contains(r#"value="" onfocus"#), "{page}");
    }

    #[test]
    fn the_first_empty_field_has_the_focus() {
        let fresh = sign_in("demo", &interaction("App"), "", None).to_html();
        let again = sign_in(
            "demo",
            &interaction("App"),
            "dr.rivera",
            Some("Wrong password"),
        )
        .to_html();
        let focused = |html: &str, id: &str| {
            let start = html.find(&format!(r#"id="{id}""#)).unwrap_or(0);
            let tag = &html[start..start + html[start..].find('>').unwrap_or(0)];
            tag.contains("autofocus")
        };
        assert!(focused(&fresh, "field-username") && !focused(&fresh, "field-password"));
        assert!(!focused(&again, "field-username") && focused(&again, "field-password"));
        assert!(again.contains(r#"role="alert""#));
    }
}
