//! `MonthCloses` on PostgreSQL: a close, the outlets and people it moved
//! and the orders it settled, in one transaction, once per region and
//! month.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use prost::Message;
use sqlx::{PgConnection, Row};
use xingji_api::v1::{LicenceEvent, MonthClose, Order, Person};

use super::commit::{Appends, move_loads};
use super::handle::PostgresStore;
use super::stored::{Conditions, NOT_DUE, decode, unique_violation, update};
use xingji_store::{MonthCloseCommit, MonthCloses, Page, Result, SettleTail, StoreError, ToSettle};

/// Rows a close writes per statement: big enough that round trips do not
/// count, small enough that one batch stays a few megabytes.
const BATCH: usize = 2000;

#[async_trait]
impl MonthCloses for PostgresStore {
    async fn get_month_close(&self, region: &str, month: &str) -> Result<MonthClose> {
        let body: Vec<u8> =
            sqlx::query_scalar("SELECT body FROM month_closes WHERE region = $1 AND month = $2")
                .bind(region)
                .bind(month)
                .fetch_optional(self.pool()?)
                .await?
                .ok_or(StoreError::NotFound)?;
        decode(&format!("{region}/{month}"), &body)
    }

    async fn list_month_closes(
        &self,
        regions: Option<&[String]>,
        page: &Page,
    ) -> Result<Vec<MonthClose>> {
        // Paged by `region/month`, as the SQLite store's id.
        let conditions = Conditions::select(
            "(SELECT (region || '/' || month) COLLATE \"C\" AS id, region, body \
             FROM month_closes) closes",
        )
        .regions(regions);
        self.list(conditions, page).await
    }

    async fn commit_month_close(&self, commit: MonthCloseCommit) -> Result<MonthClose> {
        let MonthCloseCommit {
            close,
            outlets,
            people,
            settle,
            // Not needed: the rows are locked and read here anyway (for the
            // in-hand loads), so every version is checked as it is.
            read_after: _,
            settlement,
            audit,
        } = commit;
        let mut tx = self.pool()?.begin().await?;
        // First, so that a second close of the month waits here for the
        // first one's outcome and then writes nothing.
        let inserted = sqlx::query(
            "INSERT INTO month_closes (region, month, body) VALUES ($1, $2, $3) \
             ON CONFLICT (region, month) DO NOTHING",
        )
        .bind(&close.region)
        .bind(&close.month)
        .bind(close.encode_to_vec())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Err(StoreError::AlreadyExists("month close"));
        }
        for outlet in outlets {
            update(&mut tx, outlet, Vec::new()).await?;
        }
        // Each event in its person's region.
        let events: Vec<(String, LicenceEvent)> = people
            .iter()
            .flat_map(|(person, events)| events.iter().map(|e| (person.region.clone(), e.clone())))
            .collect();
        let people: Vec<Person> = people.into_iter().map(|(person, _)| person).collect();
        for batch in people.chunks(BATCH) {
            charge_people(&mut tx, batch).await?;
        }
        for batch in events.chunks(BATCH) {
            insert_licence_events(&mut tx, batch).await?;
        }
        let mut appends = Appends::audited(audit);
        appends.network = true;
        let tail = SettleTail::new(&settlement);
        let mut loads = BTreeMap::new();
        for batch in settle.chunks(BATCH) {
            let ids: Vec<String> = batch.iter().map(|order| order.id.clone()).collect();
            // The columns only, locked: the bodies are never read back.
            let rows = sqlx::query(
                "SELECT id, version, outlet_id, engineer_id, in_hand FROM orders \
                 WHERE region = $1 AND id = ANY($2) FOR UPDATE",
            )
            .bind(&close.region)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
            let mut stored = HashMap::with_capacity(rows.len());
            for row in rows {
                stored.insert(row.try_get::<String, _>("id")?, row);
            }
            let mut tails = Vec::with_capacity(batch.len());
            for ToSettle {
                id,
                version: read_at,
                ..
            } in batch
            {
                let row = stored.get(id).ok_or(StoreError::NotFound)?;
                let current: i64 = row.try_get("version")?;
                if current != *read_at {
                    return Err(StoreError::VersionMismatch { current });
                }
                let (outlet_id, engineer_id): (String, String) =
                    (row.try_get("outlet_id")?, row.try_get("engineer_id")?);
                if row.try_get::<bool, _>("in_hand")? {
                    *loads
                        .entry((close.region.clone(), outlet_id.clone(), engineer_id.clone()))
                        .or_insert(0) -= 1;
                }
                // What the event says of the order: the settled one's ids
                // and version.
                let order = Order {
                    id: id.clone(),
                    region: close.region.clone(),
                    outlet_id,
                    engineer_id,
                    version: read_at + 1,
                    ..Order::default()
                };
                appends.event(&order, Some(&settlement));
                tails.push(tail.tail(*read_at));
            }
            // Settled: neither due nor in hand.
            sqlx::query(
                "UPDATE orders o SET body = o.body || s.tail, version = o.version + 1, \
                 status = $1, due_at = $2, in_hand = false \
                 FROM unnest($3::text[], $4::bytea[]) AS s(id, tail) \
                 WHERE o.region = $5 AND o.id = s.id",
            )
            .bind(settlement.status)
            .bind(NOT_DUE)
            .bind(&ids)
            .bind(&tails)
            .bind(&close.region)
            .execute(&mut *tx)
            .await?;
        }
        move_loads(&mut tx, loads).await?;
        self.finish(tx, appends).await?;
        Ok(close)
    }
}

/// Writes charged people, each at the version read, in one statement; only
/// their licence state among the filter columns changes.
async fn charge_people(tx: &mut PgConnection, people: &[Person]) -> Result<()> {
    let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for person in people {
        let read_at = person.version;
        let written = Person {
            version: read_at + 1,
            ..person.clone()
        };
        columns.0.push(person.region.clone());
        columns.1.push(person.id.clone());
        columns.2.push(read_at);
        columns.3.push(written.licence_state);
        columns.4.push(written.encode_to_vec());
    }
    let updated: Vec<String> = sqlx::query_scalar(
        "UPDATE people p SET version = p.version + 1, licence_state = s.licence_state, \
         body = s.body \
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::bytea[]) \
           AS s(region, id, read_at, licence_state, body) \
         WHERE p.region = s.region AND p.id = s.id AND p.version = s.read_at \
         RETURNING p.id",
    )
    .bind(&columns.0)
    .bind(&columns.1)
    .bind(&columns.2)
    .bind(&columns.3)
    .bind(&columns.4)
    .fetch_all(&mut *tx)
    .await?;
    if updated.len() == people.len() {
        return Ok(());
    }
    let updated: std::collections::HashSet<String> = updated.into_iter().collect();
    let Some(moved) = people.iter().find(|p| !updated.contains(&p.id)) else {
        return Ok(());
    };
    let current: Option<i64> = sqlx::query_scalar("SELECT version FROM people WHERE id = $1")
        .bind(&moved.id)
        .fetch_optional(&mut *tx)
        .await?;
    match current {
        Some(current) => Err(StoreError::VersionMismatch { current }),
        None => Err(StoreError::NotFound),
    }
}

/// Inserts licence events, each in its region, in one statement.
async fn insert_licence_events(
    tx: &mut PgConnection,
    events: &[(String, LicenceEvent)],
) -> Result<()> {
    let regions: Vec<&str> = events.iter().map(|(r, _)| r.as_str()).collect();
    let ids: Vec<&str> = events.iter().map(|(_, e)| e.id.as_str()).collect();
    let people: Vec<&str> = events.iter().map(|(_, e)| e.person_id.as_str()).collect();
    let bodies: Vec<Vec<u8>> = events.iter().map(|(_, e)| e.encode_to_vec()).collect();
    sqlx::query(
        "INSERT INTO licence_events (region, id, person_id, body) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[])",
    )
    .bind(&regions)
    .bind(&ids)
    .bind(&people)
    .bind(&bodies)
    .execute(&mut *tx)
    .await
    .map_err(|error| unique_violation(error, "licence_events"))?;
    Ok(())
}
