//! `PluginKv` on PostgreSQL: each plugin's key-value store per region, its
//! usage kept by a trigger (migration 0001) so the quota check reads one
//! row.

use async_trait::async_trait;
use xingji_api::v1::AuditEvent;

use super::commit::Appends;
use super::handle::PostgresStore;
use xingji_store::{PluginKv, Result, StoreError};

#[async_trait]
impl PluginKv for PostgresStore {
    async fn kv_get(&self, region: &str, plugin: &str, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar(
            "SELECT value FROM plugin_kv WHERE region = $1 AND plugin = $2 AND key = $3",
        )
        .bind(region)
        .bind(plugin)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn kv_keys(
        &self,
        region: &str,
        plugin: &str,
        prefix: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<String>> {
        // Keys from `max(prefix, after)` on, while they start with `prefix`
        // (keys are COLLATE "C": those are contiguous).
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT key FROM plugin_kv WHERE region = $1 AND plugin = $2 AND key >= $3 \
             AND key > $4 ORDER BY key LIMIT $5",
        )
        .bind(region)
        .bind(plugin)
        .bind(prefix)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(keys
            .into_iter()
            .take_while(|key| key.starts_with(prefix))
            .collect())
    }

    async fn kv_usage(&self, region: &str, plugin: &str) -> Result<u64> {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT bytes FROM plugin_kv_usage WHERE region = $1 AND plugin = $2",
        )
        .bind(region)
        .bind(plugin)
        .fetch_optional(&self.pool)
        .await?;
        Ok(used.unwrap_or(0).unsigned_abs())
    }

    async fn kv_entry_bytes(&self, region: &str, plugin: &str, key: &str) -> Result<u64> {
        let bytes: Option<i32> = sqlx::query_scalar(
            "SELECT octet_length(key) + octet_length(value) FROM plugin_kv \
             WHERE region = $1 AND plugin = $2 AND key = $3",
        )
        .bind(region)
        .bind(plugin)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(u64::from(bytes.unwrap_or(0).unsigned_abs()))
    }

    async fn kv_apply(
        &self,
        region: &str,
        plugin: &str,
        writes: &[(String, Option<Vec<u8>>)],
        max_bytes: u64,
        audit: AuditEvent,
    ) -> Result<()> {
        // In key order (stable: the last write of a key still wins), so two
        // calls on one store never wait on each other's rows in a cycle.
        let mut writes: Vec<_> = writes.iter().collect();
        writes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tx = self.pool.begin().await?;
        for (key, value) in writes {
            match value {
                Some(value) => {
                    sqlx::query(
                        "INSERT INTO plugin_kv (region, plugin, key, value) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (region, plugin, key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(region)
                    .bind(plugin)
                    .bind(key)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "DELETE FROM plugin_kv WHERE region = $1 AND plugin = $2 AND key = $3",
                    )
                    .bind(region)
                    .bind(plugin)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        // The last guard: the caller checked against the usage it read,
        // which a concurrent call may have raised since. The trigger's row
        // is locked by this transaction's writes, so this is the truth.
        let used: i64 = sqlx::query_scalar(
            "SELECT COALESCE((SELECT bytes FROM plugin_kv_usage \
             WHERE region = $1 AND plugin = $2), 0)",
        )
        .bind(region)
        .bind(plugin)
        .fetch_one(&mut *tx)
        .await?;
        if used.unsigned_abs() > max_bytes {
            tx.rollback().await?;
            return Err(StoreError::Quota {
                used: used.unsigned_abs(),
                limit: max_bytes,
            });
        }
        self.finish(tx, Appends::audited(audit)).await?;
        Ok(())
    }
}
