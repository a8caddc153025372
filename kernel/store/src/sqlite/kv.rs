//! Each plugin's key-value store, one per region, within its quota: the
//! bodies of the `Store` methods of the same names.

use super::handle::SqliteStore;
use crate::{Result, StoreError};

impl SqliteStore {
    pub(super) async fn kv_get(
        &self,
        region: &str,
        plugin: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>> {
        let value = sqlx::query_scalar(
            "SELECT value FROM plugin_kv WHERE region = ? AND plugin = ? AND key = ?",
        )
        .bind(region)
        .bind(plugin)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(value)
    }

    pub(super) async fn kv_keys(
        &self,
        region: &str,
        plugin: &str,
        prefix: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<String>> {
        // Keys from `max(prefix, after)` on, while they start with `prefix`.
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT key FROM plugin_kv WHERE region = ? AND plugin = ? AND key >= ? AND key > ? \
             ORDER BY key LIMIT ?",
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

    pub(super) async fn kv_apply(
        &self,
        region: &str,
        plugin: &str,
        writes: &[(String, Option<Vec<u8>>)],
        max_bytes: u64,
    ) -> Result<()> {
        let (_writing, mut tx) = self.begin_write().await?;
        for (key, value) in writes {
            match value {
                Some(value) => {
                    sqlx::query(
                        "INSERT INTO plugin_kv (region, plugin, key, value) VALUES (?, ?, ?, ?) \
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
                        "DELETE FROM plugin_kv WHERE region = ? AND plugin = ? AND key = ?",
                    )
                    .bind(region)
                    .bind(plugin)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        let used: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(value)), 0) FROM plugin_kv WHERE region = ? AND plugin = ?",
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
        tx.commit().await?;
        Ok(())
    }
}
