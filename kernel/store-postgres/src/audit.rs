//! `AuditTrail` and `Meta` on PostgreSQL. Entries are chained in
//! `commit` (under the commit lock); what a hash is and how the chain is
//! checked is `xingji_store::audit`, the same for every backend.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row};
use xingji_api::v1::AuditEvent;

use super::commit::Appends;
use super::handle::PostgresStore;
use xingji_store::audit::{AuditEventFilter, StoredAuditEvent, time_ns};
use xingji_store::{AuditTrail, Meta, Page, Result, StoreError};

/// An audit row's columns, as `stored` reads them.
const COLUMNS: &str = "seq, time_ns, region, principal, operation, outcome, body, prev_hash, hash";

#[async_trait]
impl AuditTrail for PostgresStore {
    async fn append_audit(&self, event: AuditEvent) -> Result<AuditEvent> {
        let tx = self.pool()?.begin().await?;
        let committed = self.finish(tx, Appends::audited(event)).await?;
        committed
            .audits
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Backend("the appended audit event is missing".into()))
    }

    async fn list_audit_events(
        &self,
        filter: &AuditEventFilter,
        page: &Page,
    ) -> Result<Vec<AuditEvent>> {
        let mut query =
            QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM audit_events WHERE true"));
        if let Some(regions) = &filter.regions {
            query
                .push(" AND region = ANY(")
                .push_bind(regions.clone())
                .push(")");
        }
        for (column, value) in [
            (" AND principal = ", &filter.principal),
            (" AND operation = ", &filter.operation),
        ] {
            if let Some(value) = value {
                query.push(column).push_bind(value.clone());
            }
        }
        if let Some(outcome) = filter.outcome {
            query.push(" AND outcome = ").push_bind(outcome);
        }
        if let Some(since) = &filter.since {
            query
                .push(" AND time_ns >= ")
                .push_bind(time_ns(Some(since)));
        }
        if let Some(until) = &filter.until {
            query
                .push(" AND time_ns < ")
                .push_bind(time_ns(Some(until)));
        }
        if let Some(after) = &page.after {
            // The kernel's own page token: anything but a seq is a bug.
            let after: i64 = after.parse().map_err(|_| StoreError::Corrupt {
                id: "audit page".to_owned(),
                reason: format!("{after:?} is not a seq"),
            })?;
            query.push(" AND seq > ").push_bind(after);
        }
        query
            .push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(page.limit));
        let rows = query.build().fetch_all(self.pool()?).await?;
        // As the chain holds them, then as the API shows them.
        rows.iter()
            .map(|row| {
                let stored = stored(row)?;
                stored.event().map_err(|error| StoreError::Corrupt {
                    id: format!("audit event {}", stored.seq),
                    reason: error.to_string(),
                })
            })
            .collect()
    }

    async fn audit_chain(&self, after_seq: u64, limit: u32) -> Result<Vec<StoredAuditEvent>> {
        let after = i64::try_from(after_seq).map_err(|_| StoreError::Corrupt {
            id: "audit chain".to_owned(),
            reason: format!("seq {after_seq} is beyond PostgreSQL's bigint"),
        })?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        )))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool()?)
        .await?;
        rows.iter().map(stored).collect()
    }
}

/// A row of `audit_events` as stored.
fn stored(row: &PgRow) -> Result<StoredAuditEvent> {
    let seq: i64 = row.try_get("seq")?;
    Ok(StoredAuditEvent {
        // A negative seq, written by hand, reads as 0: the verifier then
        // names it out of order.
        seq: u64::try_from(seq).unwrap_or(0),
        time_ns: row.try_get("time_ns")?,
        region: row.try_get("region")?,
        principal: row.try_get("principal")?,
        operation: row.try_get("operation")?,
        outcome: row.try_get("outcome")?,
        body: row.try_get("body")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

#[async_trait]
impl Meta for PostgresStore {
    async fn meta_get_or_init(&self, key: &str, init: &[u8]) -> Result<Vec<u8>> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(init)
            .execute(self.pool()?)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_one(self.pool()?)
            .await?)
    }
}
