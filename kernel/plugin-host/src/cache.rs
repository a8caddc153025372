//! The artifact cache: a compiled component and what its `describe` said,
//! kept on disk under the SHA-256 of its bytes and the engine's settings,
//! so that a restart neither compiles nor describes it again.
//!
//! Each entry is three files: `<key>.cwasm` (the compiled artifact),
//! `<key>.describe` (slot, WIT version and manifest) and `<key>.sha256`
//! (the digests of both, written last). Only an entry whose files match
//! their digests is used: deserializing runs native code.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::load_error::LoadError;
use crate::slot::Slot;
use crate::world::Manifest;

/// What a component's checks and `describe` found, cached beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Described {
    pub slot: Slot,
    pub wit_version: String,
    pub manifest: Manifest,
}

/// The artifacts directory of one engine.
pub(crate) struct ArtifactCache {
    dir: PathBuf,
    /// The engine's settings, hashed: an artifact of other settings is
    /// another entry.
    settings: u64,
}

impl ArtifactCache {
    /// The cache in `dir` (created) for `engine`'s settings.
    pub fn new(dir: PathBuf, engine: &Engine) -> Result<Self, LoadError> {
        std::fs::create_dir_all(&dir)
            .map_err(|error| LoadError::Runtime(format!("cache dir {}: {error}", dir.display())))?;
        let mut settings = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut settings);
        Ok(Self {
            dir,
            settings: settings.finish(),
        })
    }

    fn path(&self, sha256: &str, extension: &str) -> PathBuf {
        self.dir
            .join(format!("{sha256}-{:016x}.{extension}", self.settings))
    }

    /// The intact entry for these bytes, if any: the component, and what
    /// describe said if that was cached too (artifacts of older kernels
    /// have no `.describe`).
    pub fn load(&self, engine: &Engine, sha256: &str) -> Option<(Component, Option<Described>)> {
        let artifact = self.path(sha256, "cwasm");
        let compiled = std::fs::read(&artifact).ok()?;
        let digests = std::fs::read_to_string(self.path(sha256, "sha256")).ok()?;
        let mut digests = digests.lines();
        if digests.next().map(str::trim) != Some(hex(&Sha256::digest(&compiled)).as_str()) {
            tracing::warn!(artifact = %artifact.display(), "artifact does not match its checksum; recompiling");
            return None;
        }
        // SAFETY: the artifact was written by `store` below, for these exact
        // bytes and engine settings, and is intact.
        let component = match unsafe { Component::deserialize(engine, &compiled) } {
            Ok(component) => component,
            Err(error) => {
                tracing::warn!(%error, artifact = %artifact.display(), "stale artifact; recompiling");
                return None;
            }
        };
        let described = digests.next().and_then(|expected| {
            let text = std::fs::read(self.path(sha256, "describe")).ok()?;
            (hex(&Sha256::digest(&text)) == expected.trim())
                .then(|| decode(&text))
                .flatten()
        });
        Some((component, described))
    }

    /// Caches a component that passed every check, with what describe
    /// said. A failure only costs a compile at the next start.
    pub fn store(&self, sha256: &str, component: &Component, described: &Described) {
        let compiled = match component.serialize() {
            Ok(compiled) => compiled,
            Err(error) => {
                tracing::warn!(%error, "cannot serialize a compiled plugin");
                return;
            }
        };
        let text = encode(described);
        let digests = format!(
            "{}\n{}\n",
            hex(&Sha256::digest(&compiled)),
            hex(&Sha256::digest(&text))
        );
        let written = std::fs::write(self.path(sha256, "cwasm"), &compiled)
            .and_then(|()| std::fs::write(self.path(sha256, "describe"), &text))
            .and_then(|()| std::fs::write(self.path(sha256, "sha256"), digests));
        if let Err(error) = written {
            tracing::warn!(%error, "cannot cache a compiled plugin");
        }
    }

    /// Removes every entry of these bytes, whatever the engine settings.
    pub fn remove(&self, sha256: &str) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = format!("{sha256}-");
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix)
                && let Err(error) = std::fs::remove_file(entry.path())
            {
                tracing::warn!(%error, file = %entry.path().display(), "cannot remove an artifact");
            }
        }
    }
}

/// Each field as `<length> <text>\n`: descriptions may hold newlines.
fn encode(described: &Described) -> Vec<u8> {
    let manifest = &described.manifest;
    let mut out = String::new();
    for field in [
        described.slot.name(),
        &described.wit_version,
        &manifest.name,
        &manifest.version,
        &manifest.description,
        &manifest.author,
    ] {
        out.push_str(&format!("{} {field}\n", field.len()));
    }
    out.into_bytes()
}

fn decode(text: &[u8]) -> Option<Described> {
    let mut text = std::str::from_utf8(text).ok()?;
    let mut fields = Vec::new();
    for _ in 0..6 {
        let (length, rest) = text.split_once(' ')?;
        let length: usize = length.parse().ok()?;
        let field = rest.get(..length)?;
        text = rest.get(length..)?.strip_prefix('\n')?;
        fields.push(field.to_owned());
    }
    let [slot, wit_version, name, version, description, author] =
        <[String; 6]>::try_from(fields).ok()?;
    Some(Described {
        slot: Slot::from_name(&slot)?,
        wit_version,
        manifest: Manifest {
            name,
            version,
            description,
            author,
        },
    })
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_survives_the_file() {
        let described = Described {
            slot: Slot::Warranty,
            wit_version: "0.2.0".into(),
            manifest: Manifest {
                name: "warranty-x".into(),
                version: "1.0.0".into(),
                description: "two\nlines 9 ".into(),
                author: String::new(),
            },
        };
        assert_eq!(decode(&encode(&described)), Some(described));
        assert_eq!(decode(b"3 dispatch\n"), None);
    }
}
