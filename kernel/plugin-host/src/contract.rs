//! The WIT contracts this kernel runs, as text carried in the binary: what
//! `xingji wit` prints or writes out, and what `xingji plugins new` puts in
//! a new plugin, so that a plugin author can build against them without a
//! checkout of this repository.

use crate::slot::Slot;

/// One version of the package `xingji:plugins`: the files of
/// `wit/<version>/` by name.
#[derive(Debug, Clone, Copy)]
pub struct WitPackage {
    /// Its version: `0.3.0`.
    pub version: &'static str,
    /// Its `.wit` files, by name, as they are.
    pub files: &'static [(&'static str, &'static str)],
}

macro_rules! package {
    ($version:literal: $($name:literal),*) => {
        WitPackage {
            version: $version,
            files: &[$(($name, include_str!(concat!("../../../wit/", $version, "/", $name))),)*],
        }
    };
}

/// Every version this kernel runs, newest first, as
/// [`SUPPORTED_WIT_VERSIONS`](crate::SUPPORTED_WIT_VERSIONS) lists them.
pub const WIT_PACKAGES: &[WitPackage] = &[
    package!("0.3.0": "host.wit", "slots.wit", "types.wit", "worlds.wit"),
    package!("0.2.0": "host.wit", "slots.wit", "types.wit", "worlds.wit"),
];

impl Slot {
    /// The newest package with this slot's world: what a new plugin of the
    /// slot is built against.
    pub fn wit_package(self) -> &'static WitPackage {
        let newest = self.wit_versions()[0];
        WIT_PACKAGES
            .iter()
            .find(|package| package.version == newest)
            .unwrap_or(&WIT_PACKAGES[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::SUPPORTED_WIT_VERSIONS;

    /// Every `.wit` file of every version in `wit/` is carried, as it is,
    /// each declares its directory's version, the versions are the ones the
    /// kernel says it runs, and each slot's newest package has its world: a
    /// file added to the contract and not here, or a version bumped in one
    /// place only, fails.
    #[test]
    fn the_carried_contracts_are_wit_as_it_is() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit");
        let versions: Vec<&str> = WIT_PACKAGES.iter().map(|p| p.version).collect();
        assert_eq!(versions, SUPPORTED_WIT_VERSIONS);
        let mut dirs: Vec<String> = std::fs::read_dir(&root)
            .expect("wit/")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_dir())
            .map(|path| {
                path.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        dirs.sort();
        let mut carried: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
        carried.sort();
        assert_eq!(dirs, carried);
        for package in WIT_PACKAGES {
            let dir = root.join(package.version);
            let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&dir)
                .expect("wit/<version>/")
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
            let files: Vec<(String, String)> = package
                .files
                .iter()
                .map(|(name, text)| (name.to_string(), text.to_string()))
                .collect();
            assert_eq!(files, on_disk, "wit/{}", package.version);
            let declared = format!("package xingji:plugins@{};", package.version);
            for (name, text) in package.files {
                assert!(
                    text.starts_with(&declared),
                    "{name} does not declare {declared}"
                );
            }
        }
        for slot in Slot::ALL {
            let package = slot.wit_package();
            assert_eq!(package.version, slot.wit_versions()[0], "{slot}");
            let world = format!("world {} {{", slot.name());
            assert!(
                package.files.iter().any(|(_, text)| text.contains(&world)),
                "{slot}'s world is not in wit/{}",
                package.version
            );
        }
    }
}
