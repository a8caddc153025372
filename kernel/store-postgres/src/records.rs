//! `Records` on PostgreSQL: outlets, people, licence events and audits.

use async_trait::async_trait;
use prost::Message;
use std::sync::atomic::Ordering;
use xingji_api::v1::{Audit, AuditEvent, LicenceEvent, Outlet, Person};

use super::commit::Appends;
use super::handle::PostgresStore;
use super::stored::{Conditions, Value, decode, insert, int, text, unique_violation, update};
use xingji_store::{AuditFilter, OutletFilter, Page, PersonFilter, Records, Result};

impl PostgresStore {
    /// Writes one record with `write` and its audit event, all or nothing.
    async fn write_one<R, W>(&self, audit: AuditEvent, network: bool, write: W) -> Result<R>
    where
        W: for<'c> FnOnce(
            &'c mut sqlx::PgConnection,
        )
            -> std::pin::Pin<Box<dyn Future<Output = Result<R>> + Send + 'c>>,
    {
        let mut tx = self.pool.begin().await?;
        let written = write(&mut tx).await?;
        let mut appends = Appends::audited(audit);
        appends.network = network;
        self.finish(tx, appends).await?;
        Ok(written)
    }
}

/// Inserts a licence event under its person's region.
pub(super) async fn insert_licence_event(
    connection: &mut sqlx::PgConnection,
    region: &str,
    event: LicenceEvent,
) -> Result<LicenceEvent> {
    sqlx::query("INSERT INTO licence_events (region, id, person_id, body) VALUES ($1, $2, $3, $4)")
        .bind(region)
        .bind(&event.id)
        .bind(&event.person_id)
        .bind(event.encode_to_vec())
        .execute(&mut *connection)
        .await
        .map_err(|error| unique_violation(error, "licence_events"))?;
    Ok(event)
}

#[async_trait]
impl Records for PostgresStore {
    async fn create_outlet(&self, outlet: Outlet, audit: AuditEvent) -> Result<Outlet> {
        self.write_one(audit, true, |c| Box::pin(insert(c, outlet, Vec::new())))
            .await
    }

    async fn get_outlet(&self, id: &str) -> Result<Outlet> {
        self.get(id).await
    }

    async fn list_outlets(&self, filter: &OutletFilter, page: &Page) -> Result<Vec<Outlet>> {
        let conditions = Conditions::select("outlets")
            .regions(filter.regions.as_deref())
            .eq("status", int(filter.status))
            .eq("tier", int(filter.tier))
            .eq("parent_id", text(&filter.parent_id))
            .eq("grade", int(filter.grade))
            .has_product_line(filter.product_line);
        self.list(conditions, page).await
    }

    async fn update_outlet(&self, outlet: Outlet, audit: AuditEvent) -> Result<Outlet> {
        self.write_one(audit, true, |c| Box::pin(update(c, outlet, Vec::new())))
            .await
    }

    async fn count_children(&self, id: &str) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outlets WHERE parent_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(count.unsigned_abs())
    }

    async fn regions(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT region FROM outlets ORDER BY region")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    fn network_version(&self) -> u64 {
        self.feed.network.load(Ordering::Acquire)
    }

    async fn create_person(&self, person: Person, audit: AuditEvent) -> Result<Person> {
        self.write_one(audit, true, |c| Box::pin(insert(c, person, Vec::new())))
            .await
    }

    async fn get_person(&self, id: &str) -> Result<Person> {
        self.get(id).await
    }

    async fn list_people(&self, filter: &PersonFilter, page: &Page) -> Result<Vec<Person>> {
        let conditions = Conditions::select("people")
            .regions(filter.regions.as_deref())
            .eq("outlet_id", text(&filter.outlet_id))
            .eq("level", int(filter.level))
            .eq("licence_state", int(filter.licence_state))
            .eq("on_duty", filter.on_duty_only.then_some(Value::Bool(true)))
            .has_product_line(filter.product_line);
        self.list(conditions, page).await
    }

    async fn update_person(&self, person: Person, audit: AuditEvent) -> Result<Person> {
        self.write_one(audit, true, |c| Box::pin(update(c, person, Vec::new())))
            .await
    }

    async fn record_licence_event(
        &self,
        person: Person,
        event: LicenceEvent,
        audit: AuditEvent,
    ) -> Result<(Person, LicenceEvent)> {
        self.write_one(audit, true, |c| {
            Box::pin(async move {
                let region = person.region.clone();
                let person = update(&mut *c, person, Vec::new()).await?;
                let event = insert_licence_event(c, &region, event).await?;
                Ok((person, event))
            })
        })
        .await
    }

    async fn list_licence_events(&self, person_id: &str, page: &Page) -> Result<Vec<LicenceEvent>> {
        let conditions = Conditions::select("licence_events")
            .eq("person_id", Some(Value::Text(person_id.to_owned())));
        self.list(conditions, page).await
    }

    async fn licence_events_between(
        &self,
        after: &str,
        before: &str,
        limit: u32,
    ) -> Result<Vec<LicenceEvent>> {
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, body FROM licence_events WHERE id > $1 AND id < $2 ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|(id, body)| decode(id, body)).collect()
    }

    async fn create_audit(&self, record: Audit, audit: AuditEvent) -> Result<Audit> {
        self.write_one(audit, false, |c| Box::pin(insert(c, record, Vec::new())))
            .await
    }

    async fn list_audits(&self, filter: &AuditFilter, page: &Page) -> Result<Vec<Audit>> {
        let conditions = Conditions::select("audits")
            .regions(filter.regions.as_deref())
            .eq("outlet_id", text(&filter.outlet_id));
        self.list(conditions, page).await
    }
}
