//! The checks `InstallPlugin` makes of a component before it stores it,
//! which need no store: its size, its signature against the publishers
//! this deployment trusts, and the runtime's own (shape, compile, WIT
//! version and world, grants, manifest). The install runs them, and
//! `xingji plugins check` runs them offline, so that a component passes
//! the one exactly when it passes the other. What only the store can tell
//! (whether another publisher owns the name, whether this version is
//! installed with other bytes) is left to the install.

use std::time::Duration;

use xingji_plugin_host::{Plugin, Runtime, Shape};

use super::publishers::Publishers;
use crate::error::{KernelError, Result};
use crate::settings::PluginsConfig;

/// Refuses an empty component, or one over `[plugins] max_component_bytes`.
pub fn check_size(config: &PluginsConfig, component: &[u8]) -> Result<()> {
    if component.is_empty() {
        return Err(KernelError::invalid(
            "component",
            "is required: the .wasm file's bytes",
        ));
    }
    let limit = config.max_component_bytes;
    if component.len() > limit {
        return Err(KernelError::invalid(
            "component",
            format!(
                "is {} bytes, over the limit of {limit} bytes ([plugins] max_component_bytes)",
                component.len()
            ),
        ));
    }
    Ok(())
}

/// A component that passed every check, and its publisher.
pub struct Vetted {
    /// The loaded plugin: its manifest, slot and WIT version, callable.
    pub plugin: Plugin,
    /// Who published it, from its signature (`unsigned` if it has none).
    pub publisher: String,
}

/// Runs every check of an install that needs no store, as `actor`, on a
/// runtime of its own (nothing cached).
pub async fn vet(
    config: &PluginsConfig,
    actor: &str,
    component: &[u8],
    signature: &[u8],
) -> Result<Vetted> {
    check_size(config, component)?;
    let publishers = Publishers::load(config).map_err(|error| KernelError::Precondition {
        kind: "CONFIG",
        subject: "plugins.publishers".to_owned(),
        description: error,
    })?;
    let publisher = publishers.identify(actor, component, signature)?;
    let plugin = load(config, component).await?;
    Ok(Vetted { plugin, publisher })
}

/// Loads `component` as an install does (shape, compile within the
/// config's limit, version and world, imports, manifest), on a runtime of
/// its own with nothing cached; its signature aside.
pub async fn load(config: &PluginsConfig, component: &[u8]) -> Result<Plugin> {
    let runtime = Runtime::new(None)
        .map_err(|error| KernelError::Internal(error.to_string()))?
        .with_shape(Shape::default());
    let limit = Some(Duration::from_secs(config.compile_timeout_seconds));
    runtime
        .load(component, limit)
        .await
        .map_err(super::failure::rejected)
}
