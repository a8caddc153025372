//! The plugin registry: installs, their components, publishers, deletes,
//! the activation history and `registry_version`.

use xingji_api::v1::{Activation, ActivationAction, Plugin, PluginSlot};

use super::fixtures::{assert_exists, assert_not_found, eventually, ok, operations};
use super::harness::Database;

fn plugin(name: &str, version: &str, publisher: &str, sha256: &str) -> Plugin {
    Plugin {
        name: name.into(),
        version: version.into(),
        slot: PluginSlot::Warranty as i32,
        sha256: sha256.into(),
        publisher: publisher.into(),
        installed_by: "it:zhang".into(),
        size_bytes: 3,
        ..Plugin::default()
    }
}

fn activation(region: &str, name: &str, version: &str) -> Activation {
    Activation {
        region: region.into(),
        slot: PluginSlot::Warranty as i32,
        action: ActivationAction::Activate as i32,
        name: name.into(),
        version: version.into(),
        actor: "it:zhang".into(),
        ..Activation::default()
    }
}

/// Installing keeps the plugin and its component; the same bytes again
/// return the stored one; other bytes under the same version, or a name of
/// another publisher, are refused with nothing written.
pub async fn plugins_install_once_per_version_and_publisher(db: Database) {
    let store = db.store();
    assert!(store.list_plugins().await.expect("list").is_empty());
    assert_eq!(store.plugin_publisher("extra").await.expect("read"), None);
    let first = plugin("extra", "1.0.0", "acme", "aa01");
    let installed = store
        .install_plugin(first.clone(), b"one", ok("plugins.install"))
        .await
        .expect("install");
    assert_eq!(installed, first);
    assert_eq!(
        store
            .plugin_publisher("extra")
            .await
            .expect("read")
            .as_deref(),
        Some("acme"),
        "the first version's publisher owns the name"
    );
    assert_eq!(store.plugin_component("aa01").await.expect("bytes"), b"one");
    assert_not_found(store.plugin_component("ff99").await);
    let audits = operations(store).await;

    let again = Plugin {
        installed_by: "it:li".into(),
        ..first.clone()
    };
    let stored = store
        .install_plugin(again, b"one", ok("plugins.install"))
        .await
        .expect("the same bytes again");
    assert_eq!(stored, first, "the stored plugin, not the new request");
    assert_exists(
        store
            .install_plugin(
                plugin("extra", "1.0.0", "acme", "bb02"),
                b"two",
                ok("plugins.install"),
            )
            .await,
        "plugin version",
    );
    assert_exists(
        store
            .install_plugin(
                plugin("extra", "1.0.1", "mallory", "cc03"),
                b"three",
                ok("plugins.install"),
            )
            .await,
        "plugin name of another publisher",
    );
    assert_not_found(store.plugin_component("bb02").await);
    assert_not_found(store.plugin_component("cc03").await);
    assert_eq!(
        store.list_plugins().await.expect("list"),
        std::slice::from_ref(&first)
    );
    assert_eq!(operations(store).await, audits, "nothing appended");

    let next = plugin("extra", "1.0.1", "acme", "dd04");
    store
        .install_plugin(next.clone(), b"four", ok("plugins.install"))
        .await
        .expect("the owner's next version");
    let other = plugin("another", "0.1.0", "", "ee05");
    store
        .install_plugin(other.clone(), b"five", ok("plugins.install"))
        .await
        .expect("an unsigned plugin");
    assert_eq!(
        store
            .plugin_publisher("another")
            .await
            .expect("read")
            .as_deref(),
        Some("")
    );
    // Component bytes of any size come back as they went in.
    let big: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
    let large = plugin("large", "1.0.0", "acme", "ff06");
    store
        .install_plugin(large.clone(), &big, ok("plugins.install"))
        .await
        .expect("a large component");
    assert_eq!(store.plugin_component("ff06").await.expect("bytes"), big);
    assert_eq!(
        store.plugin_component("dd04").await.expect("bytes"),
        b"four"
    );
    assert_eq!(
        store.list_plugins().await.expect("list"),
        [other, first, next, large],
        "by name, then version"
    );
}

/// Deleting removes the plugin and its component, once; the activation
/// history keeps naming it and the name keeps its publisher.
pub async fn plugins_delete_keeps_history(db: Database) {
    let store = db.store();
    let extra = plugin("extra", "1.0.0", "acme", "aa01");
    let kept = plugin("extra", "1.1.0", "acme", "bb02");
    for (plugin, bytes) in [(&extra, b"one"), (&kept, b"two")] {
        store
            .install_plugin(plugin.clone(), bytes, ok("plugins.install"))
            .await
            .expect("install");
    }
    let activated = store
        .add_activation(activation("sh", "extra", "1.0.0"), ok("plugins.activate"))
        .await
        .expect("activate");
    let deleted = store
        .delete_plugin("extra", "1.0.0", ok("plugins.delete"))
        .await
        .expect("delete");
    assert_eq!(deleted, extra);
    assert_eq!(store.list_plugins().await.expect("list"), [kept]);
    assert_not_found(store.plugin_component("aa01").await);
    assert_eq!(store.plugin_component("bb02").await.expect("bytes"), b"two");
    let audits = operations(store).await;
    assert_not_found(
        store
            .delete_plugin("extra", "1.0.0", ok("plugins.delete"))
            .await,
    );
    assert_not_found(
        store
            .delete_plugin("never", "1.0.0", ok("plugins.delete"))
            .await,
    );
    assert_eq!(
        operations(store).await,
        audits,
        "a failed delete appends nothing"
    );
    assert_eq!(
        store.list_activations().await.expect("history"),
        [activated]
    );
    assert_eq!(
        store
            .plugin_publisher("extra")
            .await
            .expect("read")
            .as_deref(),
        Some("acme")
    );
    assert_exists(
        store
            .install_plugin(
                plugin("extra", "2.0.0", "mallory", "cc03"),
                b"x",
                ok("plugins.install"),
            )
            .await,
        "plugin name of another publisher",
    );
    store
        .install_plugin(extra.clone(), b"one", ok("plugins.install"))
        .await
        .expect("installed again after the delete");
    assert_eq!(store.plugin_component("aa01").await.expect("bytes"), b"one");
}

/// Activations are kept in order, each with the next `seq`.
pub async fn activations_keep_their_order(db: Database) {
    let store = db.store();
    assert!(store.list_activations().await.expect("history").is_empty());
    let mut added = Vec::new();
    for (region, version) in [("sh", "1.0.0"), ("bj", "1.0.0"), ("sh", "1.1.0")] {
        let activation = activation(region, "extra", version);
        let stored = store
            .add_activation(activation.clone(), ok("plugins.activate"))
            .await
            .expect("activate");
        assert_eq!(
            Activation {
                seq: 0,
                ..stored.clone()
            },
            activation
        );
        added.push(stored);
    }
    let rollback = Activation {
        action: ActivationAction::Rollback as i32,
        previous: "1.1.0".into(),
        ..activation("sh", "extra", "1.0.0")
    };
    added.push(
        store
            .add_activation(rollback, ok("plugins.rollback"))
            .await
            .expect("rollback"),
    );
    assert!(
        added.windows(2).all(|w| w[0].seq < w[1].seq),
        "each seq after the last: {added:?}"
    );
    assert!(added[0].seq > 0);
    assert_eq!(store.list_activations().await.expect("history"), added);
}

/// `registry_version()` moves after every install, delete and activation
/// through this handle.
pub async fn registry_version_moves(db: Database) {
    let store = db.store();
    let version = store.registry_version();
    let before = *version.borrow();
    store
        .install_plugin(
            plugin("extra", "1.0.0", "acme", "aa01"),
            b"one",
            ok("plugins.install"),
        )
        .await
        .expect("install");
    assert!(
        eventually(|| *version.borrow() != before).await,
        "registry_version did not move after an install"
    );
    let before = *version.borrow();
    store
        .add_activation(activation("sh", "extra", "1.0.0"), ok("plugins.activate"))
        .await
        .expect("activate");
    assert!(
        eventually(|| *version.borrow() != before).await,
        "registry_version did not move after an activation"
    );
    let before = *version.borrow();
    store
        .delete_plugin("extra", "1.0.0", ok("plugins.delete"))
        .await
        .expect("delete");
    assert!(
        eventually(|| *version.borrow() != before).await,
        "registry_version did not move after a delete"
    );
}

/// An install and an activation through one handle move another handle's
/// `registry_version()` within a second (a cross-process notification).
pub async fn registry_version_moves_across_handles(db: Database) {
    let other = db.open_again().await;
    let version = other.registry_version();
    let before = *version.borrow();
    db.store()
        .install_plugin(
            plugin("extra", "1.0.0", "acme", "aa01"),
            b"one",
            ok("plugins.install"),
        )
        .await
        .expect("install");
    assert!(
        eventually(|| *version.borrow() != before).await,
        "another handle's registry_version did not move after an install"
    );
    let before = *version.borrow();
    db.store()
        .add_activation(activation("sh", "extra", "1.0.0"), ok("plugins.activate"))
        .await
        .expect("activate");
    assert!(
        eventually(|| *version.borrow() != before).await,
        "another handle's registry_version did not move after an activation"
    );
    assert_eq!(
        other.plugin_component("aa01").await.expect("bytes"),
        b"one",
        "the other handle loads the component"
    );
}
