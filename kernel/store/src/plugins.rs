//! The plugin registry (components, their publishers, activations) and the
//! plugins' own key-value stores.

use async_trait::async_trait;
use xingji_api::v1::{Activation, AuditEvent, Plugin};

use crate::Result;

/// Installed plugins and the activation history.
#[async_trait]
pub trait PluginRegistry: Send + Sync + 'static {
    /// Installs a plugin version with its component bytes, kept in the
    /// database so that every process sharing it can load the component.
    /// Installing the same bytes again returns the stored plugin; another
    /// component under the same name and version fails with
    /// `AlreadyExists("plugin version")`, and one whose `publisher` is not the
    /// name's (see [`PluginRegistry::plugin_publisher`]) with
    /// `AlreadyExists("plugin name of another publisher")`. Either way nothing
    /// is written, `audit` included. The first version of a name makes its
    /// publisher the name's.
    async fn install_plugin(
        &self,
        plugin: Plugin,
        component: &[u8],
        audit: AuditEvent,
    ) -> Result<Plugin>;
    /// Removes a plugin version: its record and, with it, its component
    /// bytes (each row holds its own), appending `audit`. `NotFound` if it
    /// is not installed. The activation history keeps naming it.
    async fn delete_plugin(&self, name: &str, version: &str, audit: AuditEvent) -> Result<Plugin>;
    /// Every installed plugin, by name and version.
    async fn list_plugins(&self) -> Result<Vec<Plugin>>;
    /// The component bytes of the plugin with this SHA-256.
    async fn plugin_component(&self, sha256: &str) -> Result<Vec<u8>>;
    /// The publisher a plugin name belongs to, if it was ever installed.
    async fn plugin_publisher(&self, name: &str) -> Result<Option<String>>;
    /// Appends an activation to the history, giving it the next `seq`.
    async fn add_activation(&self, activation: Activation, audit: AuditEvent)
    -> Result<Activation>;
    /// The whole activation history, oldest first. (It is small: one row per
    /// operator action.)
    async fn list_activations(&self) -> Result<Vec<Activation>>;
    /// A number that moves after every install, uninstall and activation,
    /// through this store at once and through any other process sharing its
    /// database within a second: a kernel reloads its plugin sets when it
    /// moves.
    fn registry_version(&self) -> tokio::sync::watch::Receiver<u64>;
}

/// Each plugin's key-value store, per region.
#[async_trait]
pub trait PluginKv: Send + Sync + 'static {
    /// The value of `key` in `plugin`'s key-value store in `region`.
    async fn kv_get(&self, region: &str, plugin: &str, key: &str) -> Result<Option<Vec<u8>>>;
    /// Keys of `plugin`'s store in `region` that start with `prefix`, in
    /// order, after `after`, at most `limit`.
    async fn kv_keys(
        &self,
        region: &str,
        plugin: &str,
        prefix: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<String>>;
    /// The bytes (keys and values) `plugin` keeps in `region`: one row's
    /// read, kept up to date with every write.
    async fn kv_usage(&self, region: &str, plugin: &str) -> Result<u64>;
    /// The bytes `key` and its value take in `plugin`'s store in `region`
    /// (0 if it is not set).
    async fn kv_entry_bytes(&self, region: &str, plugin: &str, key: &str) -> Result<u64>;
    /// Applies writes (`None` deletes) to `plugin`'s store in `region`, all
    /// or none: none if the store would then hold more than `max_bytes` of
    /// keys and values (`StoreError::Quota`). One transaction: the caller
    /// keeps `writes` small.
    async fn kv_apply(
        &self,
        region: &str,
        plugin: &str,
        writes: &[(String, Option<Vec<u8>>)],
        max_bytes: u64,
        audit: AuditEvent,
    ) -> Result<()>;
}
