//! Recorded plugin decisions: written with the order write that applies
//! them, or on their own (a shadow's), read back per order in order, and
//! a shadow's tallied.

use xingji_api::v1::{DecisionRole, OrderStatus, PluginDecision};

use super::fixtures::{create, moved, ok, order, write};
use super::harness::Database;
use crate::{RecordedDecision, Shared};

fn decision(order_id: &str, plugin: &str, role: DecisionRole, agrees: bool) -> RecordedDecision {
    RecordedDecision {
        decision: PluginDecision {
            order_id: order_id.to_owned(),
            region: "sh".to_owned(),
            slot: 1,
            plugin: plugin.to_owned(),
            role: role as i32,
            answer_json: format!("{{\"by\":\"{plugin}\"}}"),
            agrees,
            ..PluginDecision::default()
        },
        request: order_id.as_bytes().to_vec(),
        // Every order's decisions share one part, but ord_2's (as a
        // decision recorded before parts were shared, it has none).
        shared: if order_id == "ord_2" {
            Shared::default()
        } else {
            Shared {
                digest: b"net-1".to_vec(),
                body: b"the candidates of net-1".to_vec(),
            }
        },
    }
}

/// A decision rides on its order write (a create and an update), a
/// shadow's is recorded apart; each order's come back oldest first, with
/// their requests and the part they share (written once, however many
/// share it); a shadow's tally counts its decisions, agreements and
/// failures in its region and slot only, and gives the latest that
/// differ, newest first, up to the limit.
pub async fn decisions_are_recorded_with_their_writes_and_tallied(db: Database) {
    let store = db.store();
    let active = "nearest@1";
    let shadow = "balanced@1";
    let made = store
        .create_order(
            "r-ord_1",
            b"fp",
            crate::OrderWrite {
                decision: Some(decision("ord_1", active, DecisionRole::Active, false)),
                ..write(order("ord_1", "sh", 1))
            },
            ok("orders.create"),
        )
        .await
        .expect("created");
    let made = super::fixtures::created(Ok(made));
    let update = crate::OrderWrite {
        decision: Some(decision("ord_1", "other@2", DecisionRole::Active, false)),
        ..moved(made, "dispatch", OrderStatus::Dispatched)
    };
    store
        .update_order(update, ok("orders.dispatch"))
        .await
        .expect("updated");
    create(store, order("ord_2", "sh", 1)).await;

    for (n, agrees) in [(1, true), (2, false), (3, false)] {
        let mut d = decision(&format!("ord_{n}"), shadow, DecisionRole::Shadow, agrees);
        if n == 3 {
            d.decision.error = "FUEL_EXHAUSTED: …".to_owned();
        }
        store.record_decision(d).await.expect("recorded");
    }
    // Another region's and another slot's shadow decisions are not counted.
    let mut elsewhere = decision("ord_9", shadow, DecisionRole::Shadow, false);
    elsewhere.decision.region = "bj".to_owned();
    store.record_decision(elsewhere).await.expect("recorded");
    let mut other_slot = decision("ord_9", shadow, DecisionRole::Shadow, false);
    other_slot.decision.slot = 2;
    store.record_decision(other_slot).await.expect("recorded");

    let first = store.list_decisions("ord_1").await.expect("listed");
    let plugins: Vec<&str> = first.iter().map(|d| d.decision.plugin.as_str()).collect();
    assert_eq!(plugins, [active, "other@2", shadow]);
    assert_eq!(
        first[0],
        decision("ord_1", active, DecisionRole::Active, false)
    );
    // The shared part comes back with each decision that shares it.
    assert!(
        first
            .iter()
            .all(|d| d.shared.body == b"the candidates of net-1")
    );
    let second = store.list_decisions("ord_2").await.expect("listed");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].shared, Shared::default());
    assert!(
        store
            .list_decisions("ord_none")
            .await
            .expect("listed")
            .is_empty()
    );

    let tally = store
        .shadow_tally("sh", 1, shadow, 10)
        .await
        .expect("a tally");
    assert_eq!((tally.decisions, tally.agreed, tally.failures), (3, 1, 1));
    let differing: Vec<&str> = tally
        .differing
        .iter()
        .map(|d| d.decision.order_id.as_str())
        .collect();
    assert_eq!(differing, ["ord_3", "ord_2"], "newest first");
    assert_eq!(tally.differing[0].shared.body, b"the candidates of net-1");
    let one = store
        .shadow_tally("sh", 1, shadow, 1)
        .await
        .expect("a tally");
    assert_eq!(one.differing.len(), 1);
    let none = store
        .shadow_tally("sh", 1, "nobody@1", 10)
        .await
        .expect("a tally");
    assert_eq!((none.decisions, none.differing.len()), (0, 0));
}
