//! The demo's plugin settings: unsigned components are accepted (the demo
//! is for trying things), and a `demo` publisher is trusted whose key pair
//! is made on the first start in `<data>/publishers/demo.key` (+ `.pub`),
//! so that signing can be tried against the demo too.

use std::path::Path;

use xingji_core::settings::{PluginsConfig, PublisherConfig};

use crate::signing::{key_files, write_key_pair};

/// The demo publisher's name.
pub const DEMO_PUBLISHER: &str = "demo";
/// Where its keys are, inside the data directory.
pub const PUBLISHERS_DIR: &str = "publishers";

/// `config` for the demo: unsigned allowed, and the demo publisher trusted
/// (unless the config names its own `demo`), its keys made if missing.
pub fn plugins(config: &PluginsConfig, data_dir: &Path) -> Result<PluginsConfig, String> {
    let mut config = PluginsConfig {
        allow_unsigned: true,
        ..config.clone()
    };
    if config.publishers.iter().any(|p| p.name == DEMO_PUBLISHER) {
        return Ok(config);
    }
    let dir = data_dir.join(PUBLISHERS_DIR);
    let (key_file, pub_file) = key_files(&dir, DEMO_PUBLISHER);
    if !pub_file.exists() {
        write_key_pair(&dir, DEMO_PUBLISHER)
            .map_err(|error| format!("the demo publisher's keys: {error}"))?;
        tracing::info!(key = %key_file.display(), "made the demo publisher's key: sign plugins with it to install them as publisher \"demo\"");
    }
    config.publishers.push(PublisherConfig {
        name: DEMO_PUBLISHER.to_owned(),
        key_file: pub_file,
    });
    Ok(config)
}
