//! The plugin registry (versions with their components) and the history
//! of activations: the bodies of the `Store` methods of the same names.

use prost::Message;
use xingji_api::v1::{Activation, AuditEvent, Plugin};

use super::handle::SqliteStore;
use super::records::decode;
use xingji_store::{Result, StoreError};

impl SqliteStore {
    pub(super) async fn install_plugin(
        &self,
        plugin: Plugin,
        component: &[u8],
        audit: AuditEvent,
    ) -> Result<Plugin> {
        let (_writing, mut tx) = self.begin_write().await?;
        let existing: Option<(String, Vec<u8>, String)> = sqlx::query_as(
            "SELECT sha256, body, publisher FROM plugins WHERE sha256 = ? OR (name = ? AND version = ?)",
        )
        .bind(&plugin.sha256)
        .bind(&plugin.name)
        .bind(&plugin.version)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((sha256, body, publisher)) = existing {
            tx.rollback().await?;
            return if sha256 == plugin.sha256 {
                with_publisher(&sha256, &body, publisher)
            } else {
                Err(StoreError::AlreadyExists("plugin version"))
            };
        }
        // The name's first publisher owns it; the kernel checked, and this
        // holds it against a concurrent install.
        sqlx::query("INSERT INTO plugin_publishers (name, publisher) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(&plugin.name)
            .bind(&plugin.publisher)
            .execute(&mut *tx)
            .await?;
        let owner: String =
            sqlx::query_scalar("SELECT publisher FROM plugin_publishers WHERE name = ?")
                .bind(&plugin.name)
                .fetch_one(&mut *tx)
                .await?;
        if owner != plugin.publisher {
            tx.rollback().await?;
            return Err(StoreError::AlreadyExists(
                "plugin name of another publisher",
            ));
        }
        sqlx::query("INSERT INTO plugins (sha256, name, version, slot, body, component, publisher) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(&plugin.sha256)
            .bind(&plugin.name)
            .bind(&plugin.version)
            .bind(plugin.slot)
            .bind(plugin.encode_to_vec())
            .bind(component)
            .bind(&plugin.publisher)
            .execute(&mut *tx)
            .await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(plugin)
    }

    pub(super) async fn delete_plugin(
        &self,
        name: &str,
        version: &str,
        audit: AuditEvent,
    ) -> Result<Plugin> {
        let (_writing, mut tx) = self.begin_write().await?;
        let existing: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT sha256, body FROM plugins WHERE name = ? AND version = ?")
                .bind(name)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((sha256, body)) = existing else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        sqlx::query("DELETE FROM plugins WHERE sha256 = ?")
            .bind(&sha256)
            .execute(&mut *tx)
            .await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        decode(&sha256, &body)
    }

    pub(super) async fn list_plugins(&self) -> Result<Vec<Plugin>> {
        let rows: Vec<(String, Vec<u8>, String)> =
            sqlx::query_as("SELECT sha256, body, publisher FROM plugins ORDER BY name, version")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(sha256, body, publisher)| with_publisher(&sha256, &body, publisher))
            .collect()
    }

    pub(super) async fn plugin_publisher(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT publisher FROM plugin_publishers WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(super) async fn plugin_component(&self, sha256: &str) -> Result<Vec<u8>> {
        sqlx::query_scalar("SELECT component FROM plugins WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(super) async fn add_activation(
        &self,
        mut activation: Activation,
        audit: AuditEvent,
    ) -> Result<Activation> {
        let (_writing, mut tx) = self.begin_write().await?;
        let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM activations")
            .fetch_one(&mut *tx)
            .await?;
        activation.seq = seq;
        sqlx::query("INSERT INTO activations (seq, region, slot, body) VALUES (?, ?, ?, ?)")
            .bind(seq)
            .bind(&activation.region)
            .bind(activation.slot)
            .bind(activation.encode_to_vec())
            .execute(&mut *tx)
            .await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(activation)
    }

    pub(super) async fn list_activations(&self) -> Result<Vec<Activation>> {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, body FROM activations ORDER BY seq")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|(seq, body)| decode(&seq.to_string(), body))
            .collect()
    }
}

/// A stored plugin with its publisher from its column: bodies stored before
/// publishers existed have none.
fn with_publisher(sha256: &str, body: &[u8], publisher: String) -> Result<Plugin> {
    Ok(Plugin {
        publisher,
        ..decode(sha256, body)?
    })
}
