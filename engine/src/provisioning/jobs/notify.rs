//! Telling a tenant's admins, by mail, that a job needs them: it gave up,
//! the server refused it, or the client is gone from the server.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::{tenant_members, tenants, users};
use crate::platform::mail;
use crate::{Engine, EngineResult};

use super::run::Job;

impl Engine {
    /// Queues a mail to each admin of the job's tenant, in `conn`'s
    /// transaction (sent after it commits).
    pub(super) async fn mail_admins(
        &self,
        conn: &impl ConnectionTrait,
        job: &Job,
        state: &str,
        error: &str,
    ) -> EngineResult<()> {
        let Some(tenant) = tenants::Entity::find_by_id(job.install.tenant_id.clone())
            .one(conn)
            .await?
        else {
            return Ok(());
        };
        let admins: Vec<String> = tenant_members::Entity::find()
            .select_only()
            .column(tenant_members::Column::UserId)
            .filter(tenant_members::Column::TenantId.eq(tenant.id.clone()))
            .filter(tenant_members::Column::Role.eq("admin"))
            .into_tuple()
            .all(conn)
            .await?;
        if admins.is_empty() {
            return Ok(());
        }
        let emails: Vec<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Email)
            .filter(users::Column::Id.is_in(admins))
            .into_tuple()
            .all(conn)
            .await?;
        let console = self.link(&format!("/t/{}/admin", tenant.slug));
        let body = mail::templates::provisioning_needs_you(
            &job.app.slug,
            &job.server.name,
            state,
            error,
            &console,
        );
        let subject = format!(
            "{}: provisioning {} at {}",
            job.app.slug, state, job.server.name
        );
        for email in emails {
            mail::enqueue(conn, self.now(), &email, &subject, &body).await?;
        }
        Ok(())
    }
}
