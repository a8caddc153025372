//! Uninstalling a plugin version: refused while anything runs it or may
//! run it without another activation.

use xingji_api::v1::Plugin as PluginRecord;

use crate::error::{KernelError, Result};
use crate::plugins::activations::plugin_id;
use crate::plugins::sets::PluginSets;

impl PluginSets {
    /// Removes the installed plugin `id` (`name@version`) with its
    /// component and artifacts. Refused for a bundled plugin, and while a
    /// region's activation or config names it or it is a slot's default;
    /// the activation history keeps naming it.
    pub async fn uninstall(&self, id: &str, actor: &str) -> Result<PluginRecord> {
        // No activation may start using it between the check and the removal.
        let _changing = self.activations.changing.lock().await;
        let (record, _) = self
            .registry
            .get(id)
            .ok_or_else(|| KernelError::not_found("plugin", id))?;
        if record.bundled {
            return Err(KernelError::precondition(
                "BUNDLED",
                "name",
                format!("{id} is bundled with the kernel and cannot be uninstalled"),
            ));
        }
        let users = self.users(id);
        if !users.is_empty() {
            return Err(KernelError::precondition(
                "ACTIVE",
                "name",
                format!(
                    "{id} is active in {}: activate another version there first",
                    users.join(", ")
                ),
            ));
        }
        self.registry.uninstall(&record, actor).await
    }

    /// Where `id` runs or would run without another activation: each
    /// region's activation in force, each region's config, the defaults.
    fn users(&self, id: &str) -> Vec<String> {
        let mut users: Vec<String> = self
            .activations
            .current()
            .into_iter()
            .filter(|a| plugin_id(a) == id)
            .map(|a| format!("region {} (activated)", a.region))
            .collect();
        for (region, config) in self.regions.declared() {
            if config.plugins.values().any(|plugin| plugin == id) {
                users.push(format!("region {region} (its config)"));
            }
        }
        if self.defaults.values().any(|plugin| plugin == id) {
            users.push("every region by default".to_owned());
        }
        users.sort();
        users.dedup();
        users
    }
}
