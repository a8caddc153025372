//! A plugin's failure, and a component's refusal at install, as the
//! kernel's errors: named so that regional IT and plugin authors know which
//! plugin, where, and what to change.

use xingji_plugin_host::{LoadError, Plugin, PluginError, SUPPORTED_WIT_VERSIONS, Slot};

use crate::error::{KernelError, PluginFailure};

/// The failure of `plugin`'s call in `region`'s `slot`.
pub fn plugin_failed(
    plugin: &Plugin,
    region: &str,
    slot: Slot,
    error: &PluginError,
) -> KernelError {
    KernelError::Plugin(Box::new(PluginFailure {
        plugin: plugin.manifest.name.clone(),
        version: plugin.manifest.version.clone(),
        region: region.to_owned(),
        slot: slot.name(),
        cause: error.code(),
        message: error.to_string(),
        host_fault: error.is_host_fault(),
    }))
}

/// A component that cannot be installed.
pub fn rejected(error: LoadError) -> KernelError {
    let reason = match &error {
        LoadError::NotAComponent(_) => "NOT_A_COMPONENT",
        LoadError::NoSlot => "NO_SLOT",
        LoadError::UnsupportedVersion { .. } => "UNSUPPORTED_WIT_VERSION",
        LoadError::SlotNotAtVersion { .. } => "SLOT_NOT_AT_WIT_VERSION",
        LoadError::ShapeMismatch { .. } => "WIT_SHAPE_MISMATCH",
        LoadError::ForbiddenImport { .. } => "FORBIDDEN_IMPORT",
        LoadError::BadManifest(_) => "BAD_MANIFEST",
        LoadError::TooBig(_) => "TOO_BIG_TO_COMPILE",
        LoadError::CompileTimeout { .. } => "COMPILE_TIMEOUT",
        LoadError::Plugin(_) => "DESCRIBE_FAILED",
        LoadError::Runtime(_) => return KernelError::Internal(error.to_string()),
    };
    let metadata = match &error {
        LoadError::UnsupportedVersion { found }
        | LoadError::ShapeMismatch { version: found, .. } => vec![
            ("found", found.clone()),
            ("supported", SUPPORTED_WIT_VERSIONS.join(",")),
        ],
        LoadError::SlotNotAtVersion { slot, found } => vec![
            ("found", found.clone()),
            ("supported", slot.wit_versions().join(",")),
            ("slot", slot.name().to_owned()),
        ],
        _ => Vec::new(),
    };
    KernelError::PluginRejected {
        reason,
        message: error.to_string(),
        metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_refusal_carries_found_and_supported() {
        let error = rejected(LoadError::UnsupportedVersion {
            found: "9.0.0".into(),
        });
        let KernelError::PluginRejected {
            reason, metadata, ..
        } = error
        else {
            panic!("not a rejection: {error:?}");
        };
        assert_eq!(reason, "UNSUPPORTED_WIT_VERSION");
        assert_eq!(
            metadata,
            [
                ("found", "9.0.0".to_owned()),
                ("supported", SUPPORTED_WIT_VERSIONS.join(","))
            ]
        );
    }
}
