//! Kernel settings that must survive restarts: the body of
//! `Store::meta_get_or_init`.

use super::handle::SqliteStore;
use crate::Result;

impl SqliteStore {
    pub(super) async fn meta_get_or_init(&self, key: &str, init: &[u8]) -> Result<Vec<u8>> {
        let writing = self.writer.lock().await;
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(init)
            .execute(&self.pool)
            .await?;
        drop(writing);
        let value = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(value)
    }
}
