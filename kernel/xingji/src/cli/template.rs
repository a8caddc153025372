//! `xingji plugins new --world WORLD NAME`: a plugin crate that builds on
//! its own, written from what this binary carries: the WIT contract, the
//! plugin SDK's source (`plugins/sdk`, the very code the bundled plugins
//! use), the toolchain file and one template per world
//! (`kernel/xingji/templates/`). No network and no checkout of this
//! repository are needed, beyond crates.io for `wit-bindgen`.

use std::path::{Path, PathBuf};

use xingji_plugin_host::{Slot, WIT_PACKAGES, check_plugin_name};

use super::errors::ClientError;

/// The wit-bindgen the SDK and the bundled plugins build with
/// (`plugins/Cargo.toml`; a test keeps the two the same).
pub const WIT_BINDGEN: &str = "0.60";

/// The SDK's source, as `plugins/sdk/src` holds it.
const SDK_FILES: &[(&str, &str)] = &[
    ("lib.rs", include_str!("../../../../plugins/sdk/src/lib.rs")),
    (
        "dispatch.rs",
        include_str!("../../../../plugins/sdk/src/dispatch.rs"),
    ),
    (
        "host.rs",
        include_str!("../../../../plugins/sdk/src/host.rs"),
    ),
    (
        "month.rs",
        include_str!("../../../../plugins/sdk/src/month.rs"),
    ),
    (
        "numbers.rs",
        include_str!("../../../../plugins/sdk/src/numbers.rs"),
    ),
    (
        "settings.rs",
        include_str!("../../../../plugins/sdk/src/settings.rs"),
    ),
    (
        "test_host.rs",
        include_str!("../../../../plugins/sdk/src/test_host.rs"),
    ),
    ("wit.rs", include_str!("../../../../plugins/sdk/src/wit.rs")),
];

/// The toolchain the plugins build with, with the wasm32-wasip2 target.
const TOOLCHAIN: &str = include_str!("../../../../rust-toolchain.toml");

const CRATE_TOML: &str = include_str!("../../templates/crate.Cargo.toml");
const SDK_TOML: &str = include_str!("../../templates/sdk.Cargo.toml");
const README: &str = include_str!("../../templates/README.md");
const GITIGNORE: &str = include_str!("../../templates/gitignore");
const DISPATCH_REQUEST: &str = include_str!("../../templates/dispatch.request.json");
const DISPATCH_BUILD: &str = include_str!("../../templates/dispatch.build.rs");

/// A world's `src/lib.rs`.
fn plugin_source(slot: Slot) -> &'static str {
    match slot {
        Slot::Dispatch => include_str!("../../templates/dispatch.rs"),
        Slot::Warranty => include_str!("../../templates/warranty.rs"),
        Slot::Campaign => include_str!("../../templates/campaign.rs"),
        Slot::Tour => include_str!("../../templates/tour.rs"),
        Slot::Evaluation => include_str!("../../templates/evaluation.rs"),
        Slot::Settlement => include_str!("../../templates/settlement.rs"),
    }
}

/// `plugins new`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct NewArgs {
    /// The plugin's name: 2 to 64 characters of a-z, 0-9 and '-',
    /// starting with a letter (the crate's and the manifest's name).
    pub name: String,
    /// The world (slot) it fills: dispatch, warranty, campaign, tour,
    /// evaluation or settlement.
    #[arg(long)]
    pub world: String,
    /// Where to write it [default: ./NAME]; it must not exist, or be empty.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The author its manifest names.
    #[arg(long, default_value = "", hide_default_value = true)]
    pub author: String,
}

impl NewArgs {
    /// Writes the crate and prints where, and what to do next.
    pub fn run(&self) -> Result<(), ClientError> {
        let usage = ClientError::Usage;
        check_plugin_name(&self.name).map_err(|why| usage(format!("<NAME>: {why}")))?;
        let slot = Slot::from_name(&self.world).ok_or_else(|| {
            usage(format!(
                "--world {:?}: the worlds are {}",
                self.world,
                Slot::ALL.map(|s| s.name()).join(", ")
            ))
        })?;
        let dir = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from(&self.name));
        if std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some()) {
            return Err(usage(format!(
                "--out {}: not empty; give a new or empty directory",
                dir.display()
            )));
        }
        for (path, text) in self.files(slot) {
            write(&dir, &path, &text)?;
        }
        println!(
            "wrote the {} plugin {} into {}\nnext: cd {} && cargo test && cargo build --release --target wasm32-wasip2",
            slot.name(),
            self.name,
            dir.display(),
            dir.display()
        );
        Ok(())
    }

    /// Every file of the crate, by its path in it.
    fn files(&self, slot: Slot) -> Vec<(String, String)> {
        let crate_name = self.name.replace('-', "_");
        let extra = match slot {
            // The template keeps its contracts as JSON.
            Slot::Warranty => "\nserde_json = \"1\"",
            _ => "",
        };
        let note = match slot {
            Slot::Dispatch => "`request.json` is a sample dispatch request.".to_owned(),
            _ => format!(
                "`xingji plugins run target/wasm32-wasip2/release/{crate_name}.wasm --skeleton > request.json` \
                 writes a request of the right shape, with zeros and empty lists, to fill in."
            ),
        };
        let fill = |text: &str| {
            text.replace("{{name}}", &self.name)
                .replace("{{crate}}", &crate_name)
                .replace("{{world}}", slot.name())
                .replace("{{author}}", &self.author.replace('"', "'"))
                .replace("{{wit_version}}", slot.wit_package().version)
                .replace("{{wit_bindgen}}", WIT_BINDGEN)
                .replace("{{sdk_version}}", env!("CARGO_PKG_VERSION"))
                .replace("{{extra_dependencies}}", extra)
                .replace("{{request_note}}", &note)
        };
        let mut files = vec![
            ("Cargo.toml".to_owned(), fill(CRATE_TOML)),
            ("README.md".to_owned(), fill(README)),
            (".gitignore".to_owned(), GITIGNORE.to_owned()),
            ("rust-toolchain.toml".to_owned(), TOOLCHAIN.to_owned()),
            ("src/lib.rs".to_owned(), fill(plugin_source(slot))),
            ("xingji-plugin-sdk/Cargo.toml".to_owned(), fill(SDK_TOML)),
        ];
        if slot == Slot::Dispatch {
            files.push(("request.json".to_owned(), DISPATCH_REQUEST.to_owned()));
            files.push(("build.rs".to_owned(), DISPATCH_BUILD.to_owned()));
        }
        // Every version, as in this repository: the SDK binds the
        // capabilities of each.
        files.extend(WIT_PACKAGES.iter().flat_map(|package| {
            package
                .files
                .iter()
                .map(|(name, text)| (format!("wit/{}/{name}", package.version), text.to_string()))
        }));
        files.extend(
            SDK_FILES
                .iter()
                .map(|(name, text)| (format!("xingji-plugin-sdk/src/{name}"), text.to_string())),
        );
        files
    }
}

fn write(dir: &Path, path: &str, text: &str) -> Result<(), ClientError> {
    let file = dir.join(path);
    let failed = |error: std::io::Error| ClientError::Usage(format!("{}: {error}", file.display()));
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(&file, text).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_carried_is_every_file_of_plugins_sdk_and_its_wit_bindgen() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins");
        let mut on_disk: Vec<String> = std::fs::read_dir(root.join("sdk/src"))
            .expect("plugins/sdk/src")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        on_disk.sort();
        let mut carried: Vec<String> = SDK_FILES.iter().map(|(name, _)| name.to_string()).collect();
        carried.sort();
        assert_eq!(carried, on_disk, "SDK_FILES must list plugins/sdk/src");
        let workspace =
            std::fs::read_to_string(root.join("Cargo.toml")).expect("plugins/Cargo.toml");
        assert!(
            workspace.contains(&format!("wit-bindgen = {{ version = \"{WIT_BINDGEN}\"")),
            "plugins/Cargo.toml's wit-bindgen is not {WIT_BINDGEN}"
        );
    }
}
