//! Health systems applying for a tenant; the platform's admins decide.

use chrono::{DateTime, Utc};
use domain::{FhirBaseUrl, TenantRole};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{insert_tenant, tenant_slug, NewTenant};
use crate::entity::{tenant_applications, tenant_members, tenants, users};
use crate::people::accounts::Account;
use crate::people::publishers::{parse_name, require_platform_admin};
use crate::platform::secret::new_id;
use crate::tenancy::context::urls_json;
use crate::tenancy::parse_fhir_base_urls;
use crate::{platform::audit, platform::mail, Engine, EngineError, EngineResult};

/// A health system's application for a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantApplication {
    pub id: String,
    pub applicant_email: String,
    pub slug: String,
    pub name: String,
    pub fhir_base_urls: Vec<String>,
    pub message: String,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl Engine {
    /// A health system applies for a tenant; the platform's admins decide.
    pub async fn apply_for_tenant(
        &self,
        account: &Account,
        slug: &str,
        name: &str,
        fhir_base_urls: &str,
        message: &str,
    ) -> EngineResult<TenantApplication> {
        let slug = tenant_slug(slug)?;
        let name = parse_name(name)?;
        let urls = parse_fhir_base_urls(fhir_base_urls)?;
        if urls.is_empty() {
            return Err(EngineError::invalid(
                "fhir_base_urls",
                "Give the base URL of at least one of your FHIR servers.",
            ));
        }
        let message = message.trim();
        if message.chars().count() > 2000 {
            return Err(EngineError::invalid(
                "message",
                "Keep the message under 2,000 characters.",
            ));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let taken = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug.as_str()))
            .one(&txn)
            .await?
            .is_some()
            || tenant_applications::Entity::find()
                .filter(tenant_applications::Column::Slug.eq(slug.as_str()))
                .filter(tenant_applications::Column::State.eq("pending"))
                .one(&txn)
                .await?
                .is_some();
        if taken {
            return Err(EngineError::conflict(
                "slug",
                format!("The slug `{slug}` is taken or applied for; choose another."),
            ));
        }
        let row = tenant_applications::ActiveModel {
            id: Set(new_id("tap")),
            user_id: Set(account.id.clone()),
            slug: Set(slug.to_string()),
            name: Set(name),
            fhir_base_urls: Set(urls_json(&urls)),
            message: Set(message.to_owned()),
            state: Set("pending".into()),
            decided_by: Set(None),
            decided_at: Set(None),
            reason: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            now,
            audit::Event {
                actor: Some(account.into()),
                tenant_id: None,
                publisher_id: None,
                action: "tenant.applied",
                target_type: "tenant_application",
                target_id: &row.id,
                detail: serde_json::json!({ "slug": row.slug, "name": row.name }),
            },
        )
        .await?;
        txn.commit().await?;
        self.application_view(row).await
    }

    /// The caller's own applications, newest first.
    pub async fn my_tenant_applications(
        &self,
        account: &Account,
    ) -> EngineResult<Vec<TenantApplication>> {
        let rows = tenant_applications::Entity::find()
            .filter(tenant_applications::Column::UserId.eq(account.id.clone()))
            .order_by_desc(tenant_applications::Column::CreatedAt)
            .all(self.db())
            .await?;
        self.application_views(rows).await
    }

    /// Applications waiting for a decision, oldest first (platform admins).
    pub async fn pending_tenant_applications(
        &self,
        admin: &Account,
    ) -> EngineResult<Vec<TenantApplication>> {
        require_platform_admin(admin)?;
        let rows = tenant_applications::Entity::find()
            .filter(tenant_applications::Column::State.eq("pending"))
            .order_by_asc(tenant_applications::Column::CreatedAt)
            .all(self.db())
            .await?;
        self.application_views(rows).await
    }

    /// Approves (the tenant is created with the applicant as its admin) or
    /// rejects (with a reason) a pending application; the applicant is told
    /// by mail.
    pub async fn decide_tenant_application(
        &self,
        admin: &Account,
        id: &str,
        approve: bool,
        reason: &str,
    ) -> EngineResult<TenantApplication> {
        require_platform_admin(admin)?;
        let reason = reason.trim();
        if !approve && reason.is_empty() {
            return Err(EngineError::invalid(
                "reason",
                "Say why, so the applicant knows what to change.",
            ));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = tenant_applications::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| EngineError::not_found("There is no application by that id."))?;
        if row.state != "pending" {
            return Err(EngineError::Conflict {
                field: None,
                message: format!("The application was {} already.", row.state),
            });
        }
        let applicant = users::Entity::find_by_id(row.user_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| EngineError::not_found("The applicant's account is gone."))?;
        let tenant = if approve {
            let urls: Vec<FhirBaseUrl> = serde_json::from_str(&row.fhir_base_urls)
                .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored URLs: {e}")))?;
            let tenant = insert_tenant(
                &txn,
                NewTenant {
                    slug: &row.slug,
                    name: &row.name,
                    fhir_base_urls: &urls,
                    sandbox_of: None,
                },
                now,
            )
            .await?;
            tenant_members::ActiveModel {
                tenant_id: Set(tenant.id.clone()),
                user_id: Set(applicant.id.clone()),
                role: Set(TenantRole::Admin.as_str().to_owned()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            Some(tenant)
        } else {
            None
        };
        let state = if approve { "approved" } else { "rejected" };
        let mut active: tenant_applications::ActiveModel = row.into();
        active.state = Set(state.into());
        active.decided_by = Set(Some(admin.id.clone()));
        active.decided_at = Set(Some(now));
        active.reason = Set((!reason.is_empty()).then(|| reason.to_owned()));
        let row = active.update(&txn).await?;
        let body = match &tenant {
            Some(tenant) => mail::templates::tenant_application_approved(
                &tenant.name,
                &self.link(&format!("/t/{}/admin", tenant.slug)),
            ),
            None => mail::templates::tenant_application_rejected(&row.name, reason),
        };
        mail::enqueue(
            &txn,
            now,
            &applicant.email,
            &format!("Your application for {} on Sidecar", row.name),
            &body,
        )
        .await?;
        audit::record(
            &txn,
            now,
            audit::Event {
                actor: Some(admin.into()),
                tenant_id: tenant.as_ref().map(|t| t.id.as_str()),
                publisher_id: None,
                action: if approve {
                    "tenant.application_approved"
                } else {
                    "tenant.application_rejected"
                },
                target_type: "tenant_application",
                target_id: &row.id,
                detail: serde_json::json!({ "slug": row.slug, "reason": row.reason }),
            },
        )
        .await?;
        txn.commit().await?;
        self.wake_mail_worker();
        self.application_view(row).await
    }

    async fn application_views(
        &self,
        rows: Vec<tenant_applications::Model>,
    ) -> EngineResult<Vec<TenantApplication>> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.application_view(row).await?);
        }
        Ok(out)
    }

    async fn application_view(
        &self,
        row: tenant_applications::Model,
    ) -> EngineResult<TenantApplication> {
        let applicant_email = users::Entity::find_by_id(row.user_id.clone())
            .one(self.db())
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        let fhir_base_urls: Vec<String> = serde_json::from_str(&row.fhir_base_urls)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored URLs: {e}")))?;
        Ok(TenantApplication {
            id: row.id,
            applicant_email,
            slug: row.slug,
            name: row.name,
            fhir_base_urls,
            message: row.message,
            state: row.state,
            reason: row.reason,
            created_at: row.created_at,
            decided_at: row.decided_at,
        })
    }
}
