//! Rules between fields (SMART App Launch 2.2, Backend Services). They run
//! after every field is checked on its own and report with `add_once`, so a
//! field that is already wrong gets no second, consequential message.

use super::fields::Errors;
use super::{AppManifest, ClientAuth};
use crate::{ScopeContext, SmartScope};

impl Errors {
    pub(super) fn between_fields(&mut self, manifest: &AppManifest) {
        let AppManifest {
            redirect_uris,
            scope,
            token_endpoint_auth_method: auth,
            grant_types,
            jwks_uri,
            jwks,
            launch_url,
            launch_types,
            ..
        } = manifest;
        let auth = *auth;
        let uses_code = grant_types.iter().any(|g| g == "authorization_code");
        if uses_code && redirect_uris.is_empty() {
            self.add_once(
                "redirect_uris",
                "An app that users launch needs at least one redirect URI.",
            );
        }
        if launch_types.iter().any(|t| t == "ehr") {
            if launch_url.is_none() {
                self.add_once("launch_url", "An EHR-launched app needs a launch URL.");
            }
            if !scope.scopes().contains(&SmartScope::Launch) {
                self.add_once("scope", "An EHR-launched app asks for the `launch` scope.");
            }
        }
        let backend = launch_types.iter().any(|t| t == "backend");
        if backend
            && (auth != ClientAuth::PrivateKeyJwt
                || !grant_types.iter().any(|g| g == "client_credentials"))
        {
            self.add_once("token_endpoint_auth_method", "Backend services authenticate with private_key_jwt and use the client_credentials grant.");
        }
        if auth == ClientAuth::PrivateKeyJwt && jwks.is_none() && jwks_uri.is_none() {
            self.add_once(
                "jwks",
                "private_key_jwt needs the app's public keys: give jwks or jwks_uri.",
            );
        }
        if jwks.is_some() && jwks_uri.is_some() {
            self.add_once(
                "jwks",
                "Give either jwks or jwks_uri, not both (RFC 7591 §2).",
            );
        }
        if auth != ClientAuth::PrivateKeyJwt && (jwks.is_some() || jwks_uri.is_some()) {
            self.add_once("jwks", "Keys are used only with private_key_jwt.");
        }
        let system_scope = scope
            .scopes()
            .iter()
            .any(|s| matches!(s, SmartScope::Clinical(c) if c.context == ScopeContext::System));
        if system_scope && !backend {
            self.add_once("scope", "system/ scopes are for backend services only.");
        }
        if auth == ClientAuth::None && grant_types.iter().any(|g| g == "client_credentials") {
            self.add_once(
                "grant_types",
                "client_credentials needs a confidential client.",
            );
        }
    }
}
