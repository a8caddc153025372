//! Recorded plugin decisions on SQLite (table `plugin_decisions`,
//! migration 0012; the parts they share in `dispatch_candidates`,
//! migration 0013).

use async_trait::async_trait;
use prost::Message;
use sqlx::Row;
use xingji_api::v1::DecisionRole;
use xingji_store::{Decisions, RecordedDecision, Result, ShadowTally};

use super::handle::SqliteStore;

impl SqliteStore {
    /// Records `decisions` inside the caller's write transaction.
    pub(super) async fn record_decisions_in(
        connection: &mut sqlx::SqliteConnection,
        decisions: &[&RecordedDecision],
    ) -> Result<()> {
        let mut shared: Vec<&[u8]> = Vec::new();
        for recorded in decisions {
            let digest = recorded.shared.digest.as_slice();
            // Once per digest in a write; one kept before is left as it is.
            if !digest.is_empty() && !shared.contains(&digest) {
                sqlx::query(
                    "INSERT OR IGNORE INTO dispatch_candidates (digest, body) VALUES (?, ?)",
                )
                .bind(digest)
                .bind(&recorded.shared.body)
                .execute(&mut *connection)
                .await?;
                shared.push(digest);
            }
            let d = &recorded.decision;
            sqlx::query(
                "INSERT INTO plugin_decisions \
                 (order_id, region, slot, plugin, role, agrees, failed, record, request, candidates) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&d.order_id)
            .bind(&d.region)
            .bind(d.slot)
            .bind(&d.plugin)
            .bind(d.role)
            .bind(d.agrees)
            .bind(!d.error.is_empty())
            .bind(d.encode_to_vec())
            .bind(&recorded.request)
            .bind((!digest.is_empty()).then_some(digest))
            .execute(&mut *connection)
            .await?;
        }
        Ok(())
    }
}

fn read(row: &sqlx::sqlite::SqliteRow) -> Result<RecordedDecision> {
    let record: Vec<u8> = row.try_get("record")?;
    RecordedDecision::decode(
        &record,
        row.try_get("request")?,
        (row.try_get("candidates")?, row.try_get("body")?),
    )
}

#[async_trait]
impl Decisions for SqliteStore {
    async fn record_decision(&self, decision: RecordedDecision) -> Result<()> {
        let (_writing, mut tx) = self.begin_write().await?;
        Self::record_decisions_in(&mut tx, &[&decision]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_decisions(&self, order_id: &str) -> Result<Vec<RecordedDecision>> {
        let rows = sqlx::query(
            "SELECT record, request, candidates, body FROM plugin_decisions \
             LEFT JOIN dispatch_candidates ON digest = candidates \
             WHERE order_id = ? ORDER BY seq",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(read).collect()
    }

    async fn shadow_tally(
        &self,
        region: &str,
        slot: i32,
        plugin: &str,
        max_differing: u32,
    ) -> Result<ShadowTally> {
        let shadow = DecisionRole::Shadow as i32;
        let counts = sqlx::query(
            "SELECT COUNT(*) AS decisions, COALESCE(SUM(agrees), 0) AS agreed, \
             COALESCE(SUM(failed), 0) AS failures FROM plugin_decisions \
             WHERE region = ? AND slot = ? AND plugin = ? AND role = ?",
        )
        .bind(region)
        .bind(slot)
        .bind(plugin)
        .bind(shadow)
        .fetch_one(&self.pool)
        .await?;
        let differing = sqlx::query(
            "SELECT record, request, candidates, body FROM plugin_decisions \
             LEFT JOIN dispatch_candidates ON digest = candidates \
             WHERE region = ? AND slot = ? AND plugin = ? AND role = ? AND agrees = 0 \
             ORDER BY seq DESC LIMIT ?",
        )
        .bind(region)
        .bind(slot)
        .bind(plugin)
        .bind(shadow)
        .bind(i64::from(max_differing))
        .fetch_all(&self.pool)
        .await?;
        Ok(ShadowTally {
            decisions: counts.try_get::<i64, _>("decisions")? as u64,
            agreed: counts.try_get::<i64, _>("agreed")? as u64,
            failures: counts.try_get::<i64, _>("failures")? as u64,
            differing: differing.iter().map(read).collect::<Result<_>>()?,
        })
    }
}
