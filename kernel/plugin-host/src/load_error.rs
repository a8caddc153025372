//! Why a component could not become a plugin.

use crate::call::PluginError;
use crate::slot::{SUPPORTED_WIT_VERSIONS, Slot, WIT_PACKAGE};

/// Why a component could not become a plugin. Each message tells the
/// author what to change.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a component this engine can compile.
    #[error(
        "not a WebAssembly component: {0}. Build the plugin for wasm32-wasip2 (cargo build --target wasm32-wasip2), which emits a component"
    )]
    NotAComponent(String),
    /// No slot interface is exported.
    #[error("the component exports no Xingji slot: build it for one of the worlds {worlds} of {WIT_PACKAGE}@{version}", worlds = worlds(), version = SUPPORTED_WIT_VERSIONS[0])]
    NoSlot,
    /// The component targets a WIT version this kernel cannot run.
    #[error("the component was built for {WIT_PACKAGE}@{found}, {advice}", advice = version_advice(found))]
    UnsupportedVersion {
        /// The version found.
        found: String,
    },
    /// The component's slot has no world at the (supported) version it
    /// was built for: a version brings only the worlds that changed.
    #[error(
        "the component is a {slot} plugin built for {WIT_PACKAGE}@{found}, but this kernel runs {slot} plugins built for {supported}: build it against {WIT_PACKAGE}@{newest} (`xingji wit` prints it)",
        supported = slot.wit_versions().join(", "),
        newest = slot.wit_versions()[0]
    )]
    SlotNotAtVersion {
        /// The slot it fills.
        slot: Slot,
        /// The version found.
        found: String,
    },
    /// The component names a supported version, but its types are not
    /// that version's: its copy of the contract drifted.
    #[error(
        "the component says it is built for {WIT_PACKAGE}@{version}, but its types do not match this kernel's {version} contract ({detail}): its copy of the WIT has drifted from the published one. Rebuild it against the contract `xingji wit --version {version} --out wit` writes"
    )]
    ShapeMismatch {
        /// The version it names.
        version: String,
        /// What does not match.
        detail: String,
    },
    /// An import outside the slot's grants.
    #[error(
        "the component imports {import}, which the {slot} world does not grant (it grants {grants}): remove the use of that capability"
    )]
    ForbiddenImport {
        /// The import.
        import: String,
        /// The slot.
        slot: Slot,
        /// What the slot grants.
        grants: String,
    },
    /// The component is beyond a bound checked before compiling.
    #[error(
        "the component is too large to compile: {0}. Split the work into smaller functions, or build with optimisations (--release)"
    )]
    TooBig(String),
    /// Compiling took longer than the deployment allows.
    #[error(
        "compiling the component took longer than the limit of {seconds} s ([plugins] compile_timeout_seconds): make it smaller, or raise the limit"
    )]
    CompileTimeout {
        /// The limit.
        seconds: f64,
    },
    /// The manifest is unusable.
    #[error("bad manifest from plugin.describe: {0}")]
    BadManifest(String),
    /// Instantiating or describing failed.
    #[error("{0}")]
    Plugin(#[from] PluginError),
    /// The host failed.
    #[error("runtime error: {0}")]
    Runtime(String),
}

/// Which side to upgrade, for a component of WIT version `found`: a newer
/// contract than the kernel knows needs a newer kernel (or the plugin built
/// for an older contract), an older one a rebuild of the plugin.
fn version_advice(found: &str) -> String {
    let supported = SUPPORTED_WIT_VERSIONS.join(", ");
    let newest = SUPPORTED_WIT_VERSIONS
        .iter()
        .filter_map(|v| semver::Version::parse(v).ok())
        .max();
    let rebuild = format!(
        "build the plugin against {WIT_PACKAGE}@{} (`xingji wit` prints it)",
        SUPPORTED_WIT_VERSIONS[0]
    );
    match (semver::Version::parse(found), newest) {
        (Ok(found), Some(newest)) if found > newest => format!(
            "newer than this kernel, which supports {supported}: upgrade the kernel, or {rebuild}"
        ),
        (Ok(_), _) => {
            format!("older than this kernel supports ({supported}): upgrade the plugin: {rebuild}")
        }
        (Err(_), _) => {
            format!("which is not a version (this kernel supports {supported}): {rebuild}")
        }
    }
}

fn worlds() -> String {
    Slot::ALL
        .iter()
        .map(|slot| slot.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(found: &str) -> String {
        LoadError::UnsupportedVersion {
            found: found.to_owned(),
        }
        .to_string()
    }

    #[test]
    fn a_version_refusal_says_which_side_to_upgrade() {
        let newer = refusal("9.0.0");
        assert!(
            newer.contains("xingji:plugins@9.0.0, newer than this kernel"),
            "{newer}"
        );
        assert!(newer.contains("upgrade the kernel"), "{newer}");
        let older = refusal("0.0.1");
        assert!(older.contains("older than this kernel supports"), "{older}");
        assert!(older.contains("upgrade the plugin"), "{older}");
        assert!(!older.contains("upgrade the kernel"), "{older}");
        for message in [newer, older, refusal("next")] {
            assert!(message.contains(SUPPORTED_WIT_VERSIONS[0]), "{message}");
            assert!(message.contains("`xingji wit`"), "{message}");
        }
    }

    #[test]
    fn a_slot_not_at_a_version_is_told_the_versions_it_is_at() {
        let message = LoadError::SlotNotAtVersion {
            slot: Slot::Warranty,
            found: "0.3.0".into(),
        }
        .to_string();
        assert!(
            message.contains("a warranty plugin built for xingji:plugins@0.3.0")
                && message.contains("runs warranty plugins built for 0.2.0")
                && message.contains("build it against xingji:plugins@0.2.0"),
            "{message}"
        );
    }
}
