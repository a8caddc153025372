//! Who published a component: the publishers this deployment trusts
//! (`[[plugins.publishers]]`), whose signature a component carries, and the
//! rule that a plugin name belongs to the publisher who installed it first.
//!
//! A signed component is its publisher's if the signature verifies with
//! that publisher's key. An unsigned one is `unsigned`'s, and only where
//! `[plugins] allow_unsigned` says so: every unsigned component shares that
//! one publisher, so unsigned names protect nothing from each other. The
//! bundled plugins are `xingji`'s, a name no configured publisher may take.
//!
//! Refusals: a signature that is not a bundle, or signs other bytes, is a
//! wrong request (`INVALID_ARGUMENT`); a component this deployment does not
//! trust (unsigned where that is not allowed, signed by no trusted key, or
//! of a name another publisher owns) is `PERMISSION_DENIED`, which the
//! audit trail records as a denial.

use xingji_plugin_host::signature::{ComponentSignature, PublicKey, SignatureError};
use xingji_store::prelude::*;

use crate::error::{KernelError, Result};
use crate::settings::PluginsConfig;

/// The publisher of the plugins the kernel bundles.
pub const BUNDLED_PUBLISHER: &str = "xingji";
/// The publisher of components installed without a signature.
pub const UNSIGNED: &str = "unsigned";

/// The permission a refused component is denied, in the audit trail.
const INSTALL: &str = "plugins.install";

/// The publishers a deployment trusts, with their keys.
pub struct Publishers {
    allow_unsigned: bool,
    keys: Vec<(String, PublicKey)>,
}

impl Publishers {
    /// Reads each publisher's key file; an error names the entry at fault.
    pub fn load(config: &PluginsConfig) -> Result<Self, String> {
        let mut keys: Vec<(String, PublicKey)> = Vec::new();
        for (i, publisher) in config.publishers.iter().enumerate() {
            let entry = format!("[[plugins.publishers]] #{} ({:?})", i + 1, publisher.name);
            check_name(&publisher.name).map_err(|why| format!("{entry}: name {why}"))?;
            if keys.iter().any(|(name, _)| *name == publisher.name) {
                return Err(format!("{entry}: another entry has this name"));
            }
            let file = publisher.key_file.display();
            let pem = std::fs::read_to_string(&publisher.key_file)
                .map_err(|error| format!("{entry}: cannot read key_file {file}: {error}"))?;
            let key = PublicKey::from_pem(&pem)
                .map_err(|error| format!("{entry}: key_file {file}: {error}"))?;
            if let Some((other, _)) = keys.iter().find(|(_, k)| k == &key) {
                return Err(format!(
                    "{entry}: key_file {file} is also publisher {other:?}'s key: a key names one publisher"
                ));
            }
            keys.push((publisher.name.clone(), key));
        }
        Ok(Self {
            allow_unsigned: config.allow_unsigned,
            keys,
        })
    }

    /// The publisher of `component` from its `signature` (a Sigstore bundle;
    /// empty if unsigned), for `actor`'s install.
    pub fn identify(&self, actor: &str, component: &[u8], signature: &[u8]) -> Result<String> {
        if signature.is_empty() {
            if self.allow_unsigned {
                return Ok(UNSIGNED.to_owned());
            }
            return Err(denied(
                actor,
                "plugins".to_owned(),
                "this deployment installs only components signed by a publisher it trusts \
                 ([[plugins.publishers]]): sign it with `xingji plugins sign` and send the \
                 signature"
                    .to_owned(),
            ));
        }
        let signature = ComponentSignature::parse(signature)
            .map_err(|error| KernelError::invalid("signature", error.to_string()))?;
        // The bundle's key hint is unauthenticated: try every trusted key.
        for (name, key) in &self.keys {
            match signature.verify(component, key) {
                Ok(()) => return Ok(name.clone()),
                Err(SignatureError::NotThisKey(_)) => {}
                Err(error) => return Err(KernelError::invalid("signature", error.to_string())),
            }
        }
        Err(denied(
            actor,
            "plugins".to_owned(),
            format!(
                "the component is signed with key {}, which is no publisher's that this \
                 deployment trusts ([[plugins.publishers]])",
                signature.key_id()
            ),
        ))
    }
}

/// Refuses `publisher`'s component named `name` if the name belongs to
/// another publisher.
pub async fn check_owner(
    store: &dyn Store,
    actor: &str,
    name: &str,
    publisher: &str,
) -> Result<()> {
    let owner = store
        .plugin_publisher(name)
        .await
        .map_err(|error| KernelError::store(error, "plugin", name))?;
    match owner {
        Some(owner) if owner != publisher => Err(not_the_owner(actor, name, &owner, publisher)),
        _ => Ok(()),
    }
}

/// The refusal of `publisher`'s component named `name`, which `owner`
/// owns.
pub fn not_the_owner(actor: &str, name: &str, owner: &str, publisher: &str) -> KernelError {
    denied(
        actor,
        format!("plugins/{name}"),
        format!(
            "the plugin name {name} belongs to publisher {owner:?}, who installed it first; \
             this component's publisher is {publisher:?}: give your plugin another name"
        ),
    )
}

fn denied(actor: &str, target: String, reason: String) -> KernelError {
    KernelError::denied(&actor, INSTALL, (target, ""), reason)
}

/// A publisher's name: like a plugin's (2 to 64 of a-z, 0-9 and '-',
/// starting with a letter), and not one of the kernel's own.
fn check_name(name: &str) -> Result<(), String> {
    let well_formed = (2..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !well_formed {
        return Err(
            "must be 2 to 64 characters of a-z, 0-9 and '-', starting with a letter".into(),
        );
    }
    if [BUNDLED_PUBLISHER, UNSIGNED].contains(&name) {
        return Err(format!("{name:?} is reserved for the kernel"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use xingji_plugin_host::signature::PrivateKey;

    use super::*;
    use crate::settings::PublisherConfig;

    const COMPONENT: &[u8] = b"\0asm a component";

    struct Setup {
        _dir: tempfile::TempDir,
        config: PluginsConfig,
        acme: PrivateKey,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let acme = PrivateKey::generate().expect("key");
        let file = dir.path().join("acme.pub");
        std::fs::write(&file, acme.public().to_pem().expect("pem")).expect("write");
        let config = PluginsConfig {
            publishers: vec![PublisherConfig {
                name: "acme".into(),
                key_file: file,
            }],
            ..PluginsConfig::default()
        };
        Setup {
            _dir: dir,
            config,
            acme,
        }
    }

    #[test]
    fn a_trusted_signature_names_its_publisher() {
        let setup = setup();
        let publishers = Publishers::load(&setup.config).expect("loads");
        let signature = setup.acme.sign(COMPONENT).to_json();
        assert_eq!(
            publishers.identify("it:zhang", COMPONENT, signature.as_bytes()),
            Ok("acme".to_owned())
        );
    }

    #[test]
    fn untrusted_and_unsigned_components_are_denied_and_bad_bundles_invalid() {
        let setup = setup();
        let publishers = Publishers::load(&setup.config).expect("loads");
        let stranger = PrivateKey::generate()
            .expect("key")
            .sign(COMPONENT)
            .to_json();
        let denied = |r: Result<String>| matches!(r, Err(KernelError::Denied { .. }));
        assert!(denied(publishers.identify(
            "it:zhang",
            COMPONENT,
            stranger.as_bytes()
        )));
        assert!(denied(publishers.identify("it:zhang", COMPONENT, b"")));
        let invalid = |r: Result<String>| matches!(r, Err(KernelError::Invalid(_)));
        assert!(invalid(publishers.identify("it:zhang", COMPONENT, b"{")));
        let other = setup.acme.sign(b"other bytes").to_json();
        assert!(invalid(publishers.identify(
            "it:zhang",
            COMPONENT,
            other.as_bytes()
        )));
        let open = Publishers::load(&PluginsConfig {
            allow_unsigned: true,
            ..setup.config.clone()
        })
        .expect("loads");
        assert_eq!(
            open.identify("it:zhang", COMPONENT, b""),
            Ok(UNSIGNED.to_owned())
        );
    }

    #[test]
    fn bad_entries_stop_the_start_naming_the_entry() {
        let setup = setup();
        let with = |f: &dyn Fn(&mut PublisherConfig)| {
            let mut config = setup.config.clone();
            let mut second = config.publishers[0].clone();
            second.name = "beta".into();
            f(&mut second);
            config.publishers.push(second);
            Publishers::load(&config).err().unwrap_or_default()
        };
        let missing = with(&|p| p.key_file = "/nonexistent/beta.pub".into());
        assert!(
            missing.contains("#2 (\"beta\")") && missing.contains("cannot read"),
            "{missing}"
        );
        let reserved = with(&|p| p.name = "xingji".into());
        assert!(reserved.contains("reserved"), "{reserved}");
        let twice = with(&|p| p.name = "acme".into());
        assert!(twice.contains("another entry"), "{twice}");
        let same_key = with(&|_| {});
        assert!(same_key.contains("also publisher \"acme\""), "{same_key}");
        let bad = with(&|p| p.name = "Beta Corp".into());
        assert!(bad.contains("must be"), "{bad}");
        let not_a_key = setup._dir.path().join("not.pub");
        std::fs::write(&not_a_key, "hello").expect("write");
        let garbage = with(&|p| p.key_file = not_a_key.clone());
        assert!(garbage.contains("not an Ed25519 public key"), "{garbage}");
    }
}
