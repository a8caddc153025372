//! Recorded plugin decisions on PostgreSQL (table `plugin_decisions`,
//! migration 2; the parts they share in `dispatch_candidates`, migration
//! 3).

use async_trait::async_trait;
use prost::Message;
use sqlx::{Postgres, Row, Transaction};
use xingji_api::v1::{DecisionRole, PluginDecision};
use xingji_store::{Decisions, RecordedDecision, Result, ShadowTally};

use super::handle::PostgresStore;

/// Inserts `decisions` in the caller's transaction, in one statement.
pub(super) async fn insert_decisions(
    tx: &mut Transaction<'static, Postgres>,
    decisions: &[RecordedDecision],
) -> Result<()> {
    if decisions.is_empty() {
        return Ok(());
    }
    // The shared parts first, once per digest; one kept before is left.
    let mut digests: Vec<&[u8]> = Vec::new();
    let mut bodies: Vec<&[u8]> = Vec::new();
    for recorded in decisions {
        let digest = recorded.shared.digest.as_slice();
        if !digest.is_empty() && !digests.contains(&digest) {
            digests.push(digest);
            bodies.push(&recorded.shared.body);
        }
    }
    if !digests.is_empty() {
        sqlx::query(
            "INSERT INTO dispatch_candidates (digest, body) \
             SELECT * FROM UNNEST($1::bytea[], $2::bytea[]) ON CONFLICT (digest) DO NOTHING",
        )
        .bind(digests)
        .bind(bodies)
        .execute(&mut **tx)
        .await?;
    }
    let column = |f: &dyn Fn(&PluginDecision) -> String| -> Vec<String> {
        decisions.iter().map(|r| f(&r.decision)).collect()
    };
    sqlx::query(
        "INSERT INTO plugin_decisions \
         (order_id, region, slot, plugin, role, agrees, failed, record, request, candidates) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], \
         $6::bool[], $7::bool[], $8::bytea[], $9::bytea[], $10::bytea[])",
    )
    .bind(column(&|d| d.order_id.clone()))
    .bind(column(&|d| d.region.clone()))
    .bind(
        decisions
            .iter()
            .map(|r| r.decision.slot)
            .collect::<Vec<i32>>(),
    )
    .bind(column(&|d| d.plugin.clone()))
    .bind(
        decisions
            .iter()
            .map(|r| r.decision.role)
            .collect::<Vec<i32>>(),
    )
    .bind(
        decisions
            .iter()
            .map(|r| r.decision.agrees)
            .collect::<Vec<bool>>(),
    )
    .bind(
        decisions
            .iter()
            .map(|r| !r.decision.error.is_empty())
            .collect::<Vec<bool>>(),
    )
    .bind(
        decisions
            .iter()
            .map(|r| r.decision.encode_to_vec())
            .collect::<Vec<Vec<u8>>>(),
    )
    .bind(
        decisions
            .iter()
            .map(|r| r.request.clone())
            .collect::<Vec<Vec<u8>>>(),
    )
    .bind(
        decisions
            .iter()
            .map(|r| (!r.shared.digest.is_empty()).then(|| r.shared.digest.clone()))
            .collect::<Vec<Option<Vec<u8>>>>(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn read(row: &sqlx::postgres::PgRow) -> Result<RecordedDecision> {
    let record: Vec<u8> = row.try_get("record")?;
    RecordedDecision::decode(
        &record,
        row.try_get("request")?,
        (row.try_get("candidates")?, row.try_get("body")?),
    )
}

#[async_trait]
impl Decisions for PostgresStore {
    async fn record_decision(&self, decision: RecordedDecision) -> Result<()> {
        let mut tx = self.pool()?.begin().await?;
        insert_decisions(&mut tx, &[decision]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_decisions(&self, order_id: &str) -> Result<Vec<RecordedDecision>> {
        let rows = sqlx::query(
            "SELECT record, request, candidates, body FROM plugin_decisions \
             LEFT JOIN dispatch_candidates ON digest = candidates \
             WHERE order_id = $1 ORDER BY seq",
        )
        .bind(order_id)
        .fetch_all(self.pool()?)
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
        let (decisions, agreed, failures): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE agrees), COUNT(*) FILTER (WHERE failed) \
             FROM plugin_decisions WHERE region = $1 AND slot = $2 AND plugin = $3 AND role = $4",
        )
        .bind(region)
        .bind(slot)
        .bind(plugin)
        .bind(shadow)
        .fetch_one(self.pool()?)
        .await?;
        let differing = sqlx::query(
            "SELECT record, request, candidates, body FROM plugin_decisions \
             LEFT JOIN dispatch_candidates ON digest = candidates \
             WHERE region = $1 AND slot = $2 AND plugin = $3 AND role = $4 AND NOT agrees \
             ORDER BY seq DESC LIMIT $5",
        )
        .bind(region)
        .bind(slot)
        .bind(plugin)
        .bind(shadow)
        .bind(i64::from(max_differing))
        .fetch_all(self.pool()?)
        .await?;
        Ok(ShadowTally {
            decisions: decisions as u64,
            agreed: agreed as u64,
            failures: failures as u64,
            differing: differing.iter().map(read).collect::<Result<_>>()?,
        })
    }
}
