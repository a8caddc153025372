//! `PluginRegistry` on PostgreSQL: versions with their components (in the
//! database, so every kernel can load what another installed) and the
//! history of activations.

use async_trait::async_trait;
use prost::Message;
use tokio::sync::watch;
use xingji_api::v1::{Activation, AuditEvent, Plugin};

use super::commit::Appends;
use super::handle::PostgresStore;
use super::stored::decode;
use xingji_store::{PluginRegistry, Result, StoreError};

/// A registry write's appends: its audit event, and the registry moved.
fn registry_write(audit: AuditEvent) -> Appends {
    let mut appends = Appends::audited(audit);
    appends.registry = true;
    appends
}

#[async_trait]
impl PluginRegistry for PostgresStore {
    async fn install_plugin(
        &self,
        plugin: Plugin,
        component: &[u8],
        audit: AuditEvent,
    ) -> Result<Plugin> {
        let mut tx = self.pool.begin().await?;
        // The name's first publisher owns it. Inserted first, so that a
        // concurrent install of the name waits here for this one.
        sqlx::query(
            "INSERT INTO plugin_publishers (name, publisher) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&plugin.name)
        .bind(&plugin.publisher)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO plugins (sha256, name, version, slot, publisher, body, component) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&plugin.sha256)
        .bind(&plugin.name)
        .bind(&plugin.version)
        .bind(plugin.slot)
        .bind(&plugin.publisher)
        .bind(plugin.encode_to_vec())
        .bind(component)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // Installed before: the same bytes are that plugin; other bytes
            // under its name and version are refused.
            let (sha256, body, publisher): (String, Vec<u8>, String) = sqlx::query_as(
                "SELECT sha256, body, publisher FROM plugins \
                 WHERE sha256 = $1 OR (name = $2 AND version = $3) \
                 ORDER BY sha256 = $1 DESC LIMIT 1",
            )
            .bind(&plugin.sha256)
            .bind(&plugin.name)
            .bind(&plugin.version)
            .fetch_one(&mut *tx)
            .await?;
            tx.rollback().await?;
            return if sha256 == plugin.sha256 {
                with_publisher(&sha256, &body, publisher)
            } else {
                Err(StoreError::AlreadyExists("plugin version"))
            };
        }
        let owner: String =
            sqlx::query_scalar("SELECT publisher FROM plugin_publishers WHERE name = $1")
                .bind(&plugin.name)
                .fetch_one(&mut *tx)
                .await?;
        if owner != plugin.publisher {
            tx.rollback().await?;
            return Err(StoreError::AlreadyExists(
                "plugin name of another publisher",
            ));
        }
        self.finish(tx, registry_write(audit)).await?;
        Ok(plugin)
    }

    async fn delete_plugin(&self, name: &str, version: &str, audit: AuditEvent) -> Result<Plugin> {
        let mut tx = self.pool.begin().await?;
        let deleted: Option<(String, Vec<u8>)> = sqlx::query_as(
            "DELETE FROM plugins WHERE name = $1 AND version = $2 RETURNING sha256, body",
        )
        .bind(name)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((sha256, body)) = deleted else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        self.finish(tx, registry_write(audit)).await?;
        decode(&sha256, &body)
    }

    async fn list_plugins(&self) -> Result<Vec<Plugin>> {
        let rows: Vec<(String, Vec<u8>, String)> = sqlx::query_as(
            "SELECT sha256, body, publisher FROM plugins ORDER BY name COLLATE \"C\", version COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(sha256, body, publisher)| with_publisher(&sha256, &body, publisher))
            .collect()
    }

    async fn plugin_component(&self, sha256: &str) -> Result<Vec<u8>> {
        sqlx::query_scalar("SELECT component FROM plugins WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn plugin_publisher(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT publisher FROM plugin_publishers WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn add_activation(
        &self,
        mut activation: Activation,
        audit: AuditEvent,
    ) -> Result<Activation> {
        let mut tx = self.pool.begin().await?;
        // The history's own order: one activation at a time, whichever
        // kernel takes it (a row lock that every add_activation takes).
        sqlx::query("SELECT version FROM versions WHERE name = 'registry' FOR UPDATE")
            .execute(&mut *tx)
            .await?;
        activation.seq = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM activations")
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO activations (region, seq, slot, body) VALUES ($1, $2, $3, $4)")
            .bind(&activation.region)
            .bind(activation.seq)
            .bind(activation.slot)
            .bind(activation.encode_to_vec())
            .execute(&mut *tx)
            .await?;
        self.finish(tx, registry_write(audit)).await?;
        Ok(activation)
    }

    async fn list_activations(&self) -> Result<Vec<Activation>> {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, body FROM activations ORDER BY seq")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|(seq, body)| decode(&seq.to_string(), body))
            .collect()
    }

    fn registry_version(&self) -> watch::Receiver<u64> {
        self.feed.registry.subscribe()
    }
}

/// A stored plugin with its publisher from its column.
fn with_publisher(sha256: &str, body: &[u8], publisher: String) -> Result<Plugin> {
    Ok(Plugin {
        publisher,
        ..decode(sha256, body)?
    })
}
