//! One job: what the server should hold for the install as it now stands,
//! the call that brings it there, and what the answer means.

use domain::AppManifest;
use sea_orm::EntityTrait;
use serde_json::Value;
use url::Url;

use crate::entity::{apps, authorization_servers as servers, installs, provisionings};
use crate::platform::audit;
use crate::platform::sealed::{self, Purpose};
use crate::provisioning::client::{self, Client, Failure};
use crate::provisioning::discovery::{discover, Discovered, DiscoveryError};
use crate::provisioning::metadata;
use crate::{Engine, EngineError, EngineResult};

use super::record::Outcome;

/// What a job does at the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The install is active and has no client there yet.
    Register,
    /// The install is active and its client there may be out of step.
    Update,
    /// The install is suspended or revoked and its client is still there.
    Delete,
    /// Nothing is there and nothing should be.
    Settle,
    /// Read the client back and put right what differs.
    CheckDrift,
}

/// What a job needs to know, read when it runs.
pub(super) struct Job {
    pub row: provisionings::Model,
    pub install: installs::Model,
    pub app: apps::Model,
    pub manifest: AppManifest,
    pub server: servers::Model,
    pub issuer: Url,
}

impl Job {
    pub fn step(&self, drift_check: bool) -> Step {
        let wanted = self.install.state == "active";
        match (wanted, self.row.client_id.is_some()) {
            (true, false) => Step::Register,
            (true, true) if drift_check => Step::CheckDrift,
            (true, true) => Step::Update,
            (false, true) => Step::Delete,
            (false, false) => Step::Settle,
        }
    }

    /// The metadata the server should hold, under the current tag.
    pub fn wanted(&self) -> Value {
        metadata::desired(&self.manifest, &self.install.granted_scope, &self.row.tag)
    }

    /// An audit line by Sidecar itself about the job's install; `detail`
    /// gains the server's name and the app.
    pub fn audit_event(&self, action: &'static str, mut detail: Value) -> audit::Event<'_> {
        if let Some(map) = detail.as_object_mut() {
            map.insert("server".into(), Value::String(self.server.name.clone()));
            map.insert("app".into(), Value::String(self.app.slug.clone()));
        }
        audit::Event {
            actor: None,
            tenant_id: Some(&self.install.tenant_id),
            publisher_id: Some(&self.app.publisher_id),
            action,
            target_type: "install",
            target_id: &self.install.id,
            detail,
        }
    }
}

fn unexpected(what: &str) -> EngineError {
    EngineError::Unexpected(anyhow::anyhow!("provisioning: {what}"))
}

impl Engine {
    /// Reads what `row`'s job needs; `None` when the install or its server
    /// went away meanwhile.
    pub(super) async fn job(&self, row: provisionings::Model) -> EngineResult<Option<Job>> {
        let Some(install) = installs::Entity::find_by_id(row.install_id.clone())
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let Some(server) = servers::Entity::find_by_id(row.server_id.clone())
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let (app, version) = self.installed(&install).await?;
        let issuer = Url::parse(&server.issuer).map_err(|_| unexpected("stored issuer"))?;
        Ok(Some(Job {
            row,
            install,
            app,
            manifest: version.manifest,
            server,
            issuer,
        }))
    }

    fn unseal_text(&self, sealed_text: &str, row: &str) -> EngineResult<String> {
        let plain = sealed::unseal(
            &self.config().master_key,
            Purpose::ServerCredential,
            row,
            sealed_text,
        )?;
        String::from_utf8(plain).map_err(|_| unexpected("a sealed token is not text"))
    }

    /// The client's registration access token, unsealed.
    pub(super) fn registration_token(&self, row: &provisionings::Model) -> EngineResult<String> {
        let sealed_text = row
            .registration_access_token
            .as_deref()
            .ok_or_else(|| unexpected("a client without a registration access token"))?;
        self.registration_token_of(&row.install_id, sealed_text)
    }

    /// A registration access token sealed for `install_id`, unsealed.
    pub(crate) fn registration_token_of(
        &self,
        install_id: &str,
        sealed_text: &str,
    ) -> EngineResult<String> {
        self.unseal_text(sealed_text, &token_binding(install_id))
    }

    /// Where the server takes registrations: from the metadata the last
    /// check read, else read now.
    async fn registration_endpoint(&self, job: &Job) -> Result<Url, Failure> {
        let known: Option<Discovered> = job
            .server
            .discovery
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok());
        let found = match known.filter(|d| d.registration_endpoint.is_some()) {
            Some(found) => found,
            None => discover(&self.config().fetch, &job.issuer, true)
                .await
                .map_err(|e| match e {
                    DiscoveryError::Unreachable { .. } => Failure::Transient {
                        message: e.to_string(),
                        retry_after: None,
                        maybe_applied: false,
                        unreachable: true,
                    },
                    DiscoveryError::Unusable(message) => Failure::Refused { message },
                })?,
        };
        let endpoint = found
            .registration_endpoint
            .ok_or_else(|| Failure::Refused {
                message: "the server publishes no registration_endpoint".into(),
            })?;
        client::at_issuer(&job.issuer, &endpoint)
    }

    /// The client's management URL, held to the issuer's origin.
    fn management_uri(&self, job: &Job) -> Result<Url, Failure> {
        let uri = job.row.registration_client_uri.as_deref().ok_or_else(|| {
            Failure::Refused {
                message: "the server gave no registration_client_uri, so Sidecar cannot manage the client (RFC 7592)".into(),
            }
        })?;
        client::at_issuer(&job.issuer, uri)
    }

    /// Runs `step` against the server.
    pub(super) async fn call_server(&self, job: &Job, step: Step) -> EngineResult<Outcome> {
        let fetch = &self.config().fetch;
        let outcome = match step {
            Step::Settle => Outcome::Settled,
            Step::Register => {
                let endpoint = match self.registration_endpoint(job).await {
                    Ok(endpoint) => endpoint,
                    Err(failure) => return Ok(Outcome::Failed(failure)),
                };
                let initial = match &job.server.initial_access_token {
                    Some(sealed_text) => Some(self.unseal_text(sealed_text, &job.server.id)?),
                    None => None,
                };
                match client::register(fetch, &endpoint, initial.as_deref(), &job.wanted()).await {
                    Ok(client) => Outcome::Registered(client),
                    Err(failure) => Outcome::Failed(failure),
                }
            }
            Step::Update | Step::Delete | Step::CheckDrift => {
                let uri = match self.management_uri(job) {
                    Ok(uri) => uri,
                    Err(failure) => return Ok(Outcome::Failed(failure)),
                };
                let token = self.registration_token(&job.row)?;
                match step {
                    Step::Delete => match client::delete(fetch, &uri, &token).await {
                        Ok(()) => Outcome::Deleted { by_hand: false },
                        Err(Failure::DeleteNotAllowed) => Outcome::Deleted { by_hand: true },
                        Err(failure) => Outcome::Failed(failure),
                    },
                    Step::CheckDrift => self.check_drift(job, &uri, &token).await,
                    _ => match client::update(fetch, &uri, &token, &put_body(job)).await {
                        Ok(client) => Outcome::Updated(client, Vec::new()),
                        Err(failure) => Outcome::Failed(failure),
                    },
                }
            }
        };
        Ok(outcome)
    }

    /// Reads the client back; a difference is put back with a full PUT.
    async fn check_drift(&self, job: &Job, uri: &Url, token: &str) -> Outcome {
        let fetch = &self.config().fetch;
        let found = match client::read(fetch, uri, token).await {
            Ok(found) => found,
            Err(failure) => return Outcome::Failed(failure),
        };
        let differs = metadata::drift(&job.wanted(), &found.metadata);
        if differs.is_empty() {
            return Outcome::Checked(found);
        }
        // A read may have rotated the token too.
        let token = found
            .registration_access_token
            .clone()
            .unwrap_or_else(|| token.to_owned());
        match client::update(fetch, uri, &token, &put_body(job)).await {
            Ok(client) => Outcome::Updated(merge_token(client, &found), differs),
            Err(failure) => Outcome::Failed(failure),
        }
    }
}

/// A PUT's body: everything Sidecar wants, with the client id (RFC 7592
/// §2.2).
fn put_body(job: &Job) -> Value {
    let mut body = job.wanted();
    if let (Some(map), Some(id)) = (body.as_object_mut(), &job.row.client_id) {
        map.insert("client_id".into(), Value::String(id.clone()));
    }
    body
}

/// `client`, keeping the token an earlier answer gave when it gives none.
fn merge_token(mut client: Client, earlier: &Client) -> Client {
    if client.registration_access_token.is_none() {
        client.registration_access_token = earlier.registration_access_token.clone();
    }
    client
}

/// What a sealed registration access token is bound to.
pub(super) fn token_binding(install_id: &str) -> String {
    format!("{install_id}:registration-access-token")
}

/// What a sealed client secret is bound to.
pub(crate) fn secret_binding(install_id: &str) -> String {
    format!("{install_id}:client-secret")
}
