//! The manual kind: servers with no registration API (the EHR vendor
//! kind). Sidecar shows a tenant admin the registration to enter there —
//! as RFC 7591 JSON and as a table a person can read — and takes back the
//! client id (and the secret, if the server made one). Suspending or
//! revoking asks the admin to remove the client there and say so.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

use crate::entity::{authorization_servers as servers, installs, provisionings};
use crate::platform::audit;
use crate::platform::sealed::{self, Purpose};
use crate::provisioning::jobs::{event_data, secret_binding, ProvisioningState as S};
use crate::provisioning::metadata;
use crate::tenancy::{changes, webhooks, Tenant};
use crate::{Engine, EngineError, EngineResult};

/// What a tenant admin is asked to do at a manual server.
#[derive(Debug, Clone, PartialEq)]
pub struct ManualHandoff {
    pub server_name: String,
    pub issuer: String,
    /// `register` (enter or update the client there) or `remove` (delete
    /// it there: the install is suspended or revoked).
    pub action: &'static str,
    /// The client id entered last time, if any.
    pub client_id: Option<String>,
    /// The registration as RFC 7591 client metadata.
    pub registration: Value,
    /// The same, as label and value for people.
    pub table: Vec<(String, String)>,
}

const LABELS: &[(&str, &str)] = &[
    ("client_name", "Client name"),
    ("redirect_uris", "Redirect URIs"),
    ("scope", "Scopes"),
    ("grant_types", "Grant types"),
    ("response_types", "Response types"),
    ("token_endpoint_auth_method", "Client authentication"),
    ("jwks_uri", "JWKS URL"),
    ("jwks", "JWKS"),
    ("logo_uri", "Logo"),
    ("client_uri", "Home page"),
    ("policy_uri", "Privacy policy"),
    ("tos_uri", "Terms of service"),
    ("contacts", "Contacts"),
    ("software_id", "Software id"),
    ("software_version", "Software version"),
];

fn readable(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(readable).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

fn table(registration: &Value, launch_url: Option<&str>) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = LABELS
        .iter()
        .filter_map(|(key, label)| {
            registration
                .get(*key)
                .map(|v| ((*label).to_owned(), readable(v)))
        })
        .collect();
    if let Some(url) = launch_url {
        rows.insert(1, ("Launch URL".to_owned(), url.to_owned()));
    }
    rows
}

/// The longest client id Sidecar keeps.
const MAX_CLIENT_ID: usize = 255;

fn not_waiting() -> EngineError {
    EngineError::not_found("The tenant has no install by that id at a manual authorization server.")
}

impl Engine {
    /// The install's row and server, if the server is of the manual kind.
    async fn manual_row(
        &self,
        tenant: &Tenant,
        install_id: &str,
    ) -> EngineResult<(provisionings::Model, servers::Model, installs::Model)> {
        tenant.require_admin()?;
        let row = provisionings::Entity::find_by_id(install_id.to_owned())
            .filter(provisionings::Column::TenantId.eq(tenant.id()))
            .one(self.db())
            .await?
            .ok_or_else(not_waiting)?;
        let server = servers::Entity::find_by_id(row.server_id.clone())
            .one(self.db())
            .await?
            .filter(|s| s.kind == "manual")
            .ok_or_else(not_waiting)?;
        let install = installs::Entity::find_by_id(install_id.to_owned())
            .one(self.db())
            .await?
            .ok_or_else(not_waiting)?;
        Ok((row, server, install))
    }

    /// What to enter at the manual server for the install (or remove
    /// there, when it is no longer active).
    pub async fn manual_handoff(
        &self,
        tenant: &Tenant,
        install_id: &str,
    ) -> EngineResult<ManualHandoff> {
        let (row, server, install) = self.manual_row(tenant, install_id).await?;
        let (_, version) = self.installed(&install).await?;
        let registration = metadata::desired(&version.manifest, &install.granted_scope, &row.tag);
        Ok(ManualHandoff {
            table: table(
                &registration,
                version.manifest.launch_url.as_ref().map(|u| u.as_str()),
            ),
            registration,
            action: if install.state == "active" {
                "register"
            } else {
                "remove"
            },
            client_id: row.client_id,
            server_name: server.name,
            issuer: server.issuer,
        })
    }

    /// A tenant admin says the manual server now holds the install as
    /// shown: entered with `client_id` (and the `client_secret` the server
    /// made, if any), or removed there when the install is not active.
    pub async fn complete_manual(
        &self,
        tenant: &Tenant,
        install_id: &str,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> EngineResult<()> {
        let (row, server, install) = self.manual_row(tenant, install_id).await?;
        if row.state != S::AwaitingManual.as_str() {
            return Err(EngineError::Conflict {
                field: None,
                message: format!(
                    "Provisioning is {}: nothing waits to be entered at {} by hand.",
                    row.state, server.name
                ),
            });
        }
        let active = install.state == "active";
        let client_id = client_id.map(str::trim).filter(|c| !c.is_empty());
        let client_secret = client_secret.map(str::trim).filter(|s| !s.is_empty());
        let client_id = match (active, client_id) {
            (true, None) => {
                return Err(EngineError::invalid(
                    "client_id",
                    format!("Enter the client id {} gave the app.", server.name),
                ))
            }
            (true, Some(id)) => {
                if id.len() > MAX_CLIENT_ID || id.chars().any(char::is_control) {
                    return Err(EngineError::invalid(
                        "client_id",
                        "A client id is at most 255 characters, with no control characters.",
                    ));
                }
                Some(id.to_owned())
            }
            (false, _) => None,
        };
        if let Some(id) = &client_id {
            let taken = provisionings::Entity::find()
                .filter(provisionings::Column::ServerId.eq(server.id.clone()))
                .filter(provisionings::Column::ClientId.eq(id.clone()))
                .filter(provisionings::Column::InstallId.ne(install.id.clone()))
                .one(self.db())
                .await?;
            if taken.is_some() {
                return Err(EngineError::Conflict {
                    field: Some("client_id"),
                    message: format!(
                        "Another install already uses the client id `{id}` at {}.",
                        server.name
                    ),
                });
            }
        }
        let sealed_secret = match (&client_id, client_secret) {
            (Some(_), Some(secret)) => Some(sealed::seal(
                &self.config().master_key,
                Purpose::ServerCredential,
                &secret_binding(&install.id),
                secret.as_bytes(),
            )?),
            _ => None,
        };
        let now = self.now();
        let state = if active { S::Active } else { S::Deprovisioned };
        let txn = self.begin_write().await?;
        let mut write: provisionings::ActiveModel = row.clone().into();
        write.client_id = Set(client_id.clone());
        write.client_secret = Set(sealed_secret);
        write.state = Set(state.as_str().to_owned());
        write.applied_generation = Set(row.desired_generation);
        write.last_error = Set(None);
        write.error_code = Set(None);
        write.updated_at = Set(now);
        let fresh = write.update(&txn).await?;
        let after = changes::registration_touched(&txn, &install, now).await?;
        if active {
            let (app, _) = self.installed(&install).await?;
            webhooks::enqueue_data(
                &txn,
                now,
                &install.tenant_id,
                "registration.provisioned",
                event_data(&install, &app.slug, &server, &fresh),
            )
            .await?;
        }
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                if active {
                    "provisioning.entered_by_hand"
                } else {
                    "provisioning.removed_by_hand"
                },
                ("install", install.id.as_str()),
                json!({ "server": server.name, "client_id": client_id.or(row.client_id) }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.after_commit(after);
        if active {
            self.wake_webhook_worker();
        }
        Ok(())
    }
}
