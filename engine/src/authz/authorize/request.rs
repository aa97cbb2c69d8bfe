//! The first step: checking an authorization request (RFC 6749 §4.1.1,
//! PKCE, SMART's `aud` and `launch`) before anyone is asked to sign in.

use domain::{ScopeSet, SmartScope};
use sea_orm::{ActiveModelTrait, Set};

use super::{
    error_redirect, to_app, to_json, AuthorizeParams, Interaction, Outcome, Pending, RedirectError,
    Step, INTERACTION_LIFE,
};
use crate::authz::client::Client;
use crate::authz::launch::LaunchContext;
use crate::authz::Issuer;
use crate::entity::authorizations;
use crate::platform::secret::{random_token, token_hash};
use crate::{Engine, EngineError, EngineResult};

/// A PKCE S256 challenge: 43 base64url characters (a SHA-256).
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The request's checks that end in a refusal sent to the app.
fn check_request(
    issuer: &Issuer,
    client: &Client,
    params: &AuthorizeParams,
) -> Result<ScopeSet, RedirectError> {
    match params.response_type.as_deref() {
        Some("code") => {}
        Some(other) => {
            return Err(to_app(
                "unsupported_response_type",
                format!("`response_type={other}` is not supported: use the authorization code flow (`response_type=code`)."),
            ))
        }
        None => return Err(to_app("invalid_request", "`response_type` is missing (use `code`).")),
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(to_app(
            "unauthorized_client",
            "This app is not registered for the authorization code grant.",
        ));
    }
    match params.code_challenge_method.as_deref() {
        Some("S256") => {}
        Some("plain") => {
            return Err(to_app(
                "invalid_request",
                "PKCE `plain` is not accepted: send `code_challenge_method=S256`.",
            ))
        }
        Some(other) => {
            return Err(to_app(
                "invalid_request",
                format!("`code_challenge_method={other}` is not supported: use `S256`."),
            ))
        }
        None => {
            return Err(to_app(
                "invalid_request",
                "PKCE is required: send `code_challenge` and `code_challenge_method=S256`.",
            ))
        }
    }
    if !params
        .code_challenge
        .as_deref()
        .is_some_and(is_s256_challenge)
    {
        return Err(to_app(
            "invalid_request",
            "`code_challenge` must be the base64url SHA-256 of the code verifier (43 characters).",
        ));
    }
    match params.aud.as_deref().filter(|a| !a.is_empty()) {
        None => {
            return Err(to_app(
                "invalid_request",
                "`aud` is missing: name the FHIR server the app will call.",
            ))
        }
        Some(aud) => {
            let known =
                issuer.audiences.iter().any(|a| same_url(a, aud)) || same_url(&issuer.url, aud);
            if !known {
                return Err(to_app(
                    "invalid_request",
                    format!(
                        "`aud` must be this tenant's FHIR server ({}), not `{aud}`.",
                        issuer.audiences.join(", ")
                    ),
                ));
            }
        }
    }
    if params.state.as_deref().is_none_or(str::is_empty) {
        return Err(to_app(
            "invalid_request",
            "`state` is missing: send a fresh random value and check it when the answer comes back.",
        ));
    }
    if params.state.as_deref().is_some_and(|s| s.len() > 1024)
        || params.nonce.as_deref().is_some_and(|n| n.len() > 255)
    {
        return Err(to_app("invalid_request", "`state` or `nonce` is too long."));
    }
    let requested = params
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            to_app(
                "invalid_scope",
                "`scope` is missing: ask for the scopes the app needs.",
            )
        })?;
    let requested =
        ScopeSet::parse(requested).map_err(|e| to_app("invalid_scope", e.to_string()))?;
    let launch_asked = requested.scopes().contains(&SmartScope::Launch);
    if launch_asked && params.launch.as_deref().is_none_or(str::is_empty) {
        return Err(to_app(
            "invalid_request",
            "The `launch` scope asks for an EHR launch, but no `launch` parameter came: pass on the one the EHR gave.",
        ));
    }
    let granted = requested.intersect(&client.granted);
    if granted.is_empty() {
        return Err(to_app(
            "invalid_scope",
            format!(
                "The tenant granted none of the requested scopes (granted: {}).",
                client.granted
            ),
        ));
    }
    Ok(granted)
}

impl Engine {
    /// The first step: checks the request and shows the sign-in page.
    pub async fn begin_authorization(
        &self,
        issuer: &Issuer,
        params: &AuthorizeParams,
    ) -> EngineResult<Outcome> {
        let Some(client_id) = params.client_id.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(Outcome::Refused(
                "The app did not say which app it is (`client_id` is missing).".into(),
            ));
        };
        let client = match self.client(issuer, client_id).await {
            Ok(client) => client,
            Err(EngineError::NotFound(_)) => {
                return Ok(Outcome::Refused(format!(
                    "This app is not installed at {}. Ask its administrators to install it.",
                    issuer.name
                )))
            }
            Err(other) => return Err(other),
        };
        if !client.is_active() {
            return Ok(Outcome::Refused(format!(
                "{} is {} at {}: it cannot be used now.",
                client.client_name, client.status, issuer.name
            )));
        }
        let Some(redirect_uri) = params.redirect_uri.as_deref().filter(|r| !r.is_empty()) else {
            return Ok(Outcome::Refused(
                "The app did not say where to return (`redirect_uri` is missing).".into(),
            ));
        };
        if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
            return Ok(Outcome::Refused(format!(
                "The app asked to return to {redirect_uri}, which is not one of its registered redirect URIs. Nothing was sent to it."
            )));
        }
        let state = params.state.as_deref();
        let refuse = |e: RedirectError| -> EngineResult<Outcome> {
            Ok(Outcome::Redirect(error_redirect(
                issuer,
                redirect_uri,
                state,
                e,
            )))
        };
        let scope = match check_request(issuer, &client, params) {
            Ok(scope) => scope,
            Err(e) => return refuse(e),
        };
        let (launch, context) = match params.launch.as_deref().filter(|l| !l.is_empty()) {
            None => (None, LaunchContext::default()),
            Some(launch) => match self.launch_for(&issuer.tenant_id, &client.client_id, launch).await? {
                Some((id, context)) => (Some(id), context),
                None => {
                    return refuse(to_app(
                        "invalid_request",
                        "The `launch` is unknown, was used already, has expired or was made for another app.",
                    ))
                }
            },
        };
        let pending = Pending {
            redirect_uri: redirect_uri.to_owned(),
            state: state.map(str::to_owned),
            scope: scope.to_string(),
            code_challenge: params.code_challenge.clone().unwrap_or_default(),
            nonce: params.nonce.clone(),
            launch,
            context,
            signed_in_at: None,
        };
        let handle = random_token();
        let now = self.now();
        authorizations::ActiveModel {
            id: Set(token_hash(&handle)),
            tenant_id: Set(issuer.tenant_id.clone()),
            client_id: Set(client.client_id.clone()),
            request: Set(to_json(&pending)?),
            user_id: Set(None),
            grant: Set(None),
            code_hash: Set(None),
            expires_at: Set(now + INTERACTION_LIFE),
            used_at: Set(None),
            issued: Set(None),
            created_at: Set(now),
        }
        .insert(self.db())
        .await?;
        self.sweep_authorizations().await;
        Ok(Outcome::Show(Interaction::new(
            issuer,
            &handle,
            &client,
            &pending,
            Step::SignIn {
                username: String::new(),
                error: None,
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_s256_shaped() {
        assert!(is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!is_s256_challenge("short"));
        assert!(!is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ));
    }
}
