//! The WIT contract this kernel runs, as text carried in the binary: what
//! `xingji wit` prints or writes out, so that a plugin author can build
//! against it without a checkout of this repository.

use crate::slot::SUPPORTED_WIT_VERSIONS;

/// The files of `wit/` by name: the package `xingji:plugins` at
/// [`SUPPORTED_WIT_VERSIONS`]'s first (newest) version.
pub const WIT_FILES: &[(&str, &str)] = &[
    ("host.wit", include_str!("../../../wit/host.wit")),
    ("slots.wit", include_str!("../../../wit/slots.wit")),
    ("types.wit", include_str!("../../../wit/types.wit")),
    ("worlds.wit", include_str!("../../../wit/worlds.wit")),
];

/// The version [`WIT_FILES`] declare.
pub const WIT_FILES_VERSION: &str = SUPPORTED_WIT_VERSIONS[0];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.wit` file of `wit/` is carried, as it is, and each declares
    /// the version the kernel says it runs: a file added to the contract
    /// and not here, or a version bumped in one place only, fails.
    #[test]
    fn the_carried_contract_is_wit_as_it_is() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit");
        let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&dir)
            .expect("wit/")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "wit"))
            .map(|path| {
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                (name, std::fs::read_to_string(&path).expect("a wit file"))
            })
            .collect();
        on_disk.sort();
        let carried: Vec<(String, String)> = WIT_FILES
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
        assert_eq!(carried, on_disk);
        let package = format!("package xingji:plugins@{};", WIT_FILES_VERSION);
        for (name, text) in WIT_FILES {
            assert!(
                text.starts_with(&package),
                "{name} does not declare {package}"
            );
        }
    }
}
