//! Licence events, with the person they move, and mystery-customer
//! audits.

use xingji_api::v1::{Audit, LicenceEvent};

use super::fixtures::{after, assert_stale, first, ids, moves_network, ok, person};
use super::harness::Database;
use crate::AuditFilter;

fn licence(id: &str, person_id: &str, delta: i32) -> LicenceEvent {
    LicenceEvent {
        id: id.into(),
        person_id: person_id.into(),
        points_delta: delta,
        note: format!("event {id}"),
        ..LicenceEvent::default()
    }
}

/// `record_licence_event` replaces the person and appends the event, both
/// or neither; events list per person and by id window.
pub async fn licence_events_are_atomic_with_their_person(db: Database) {
    let store = db.store();
    let first_person = store
        .create_person(person("per_1", "sh", "out_1"), ok("people.create"))
        .await
        .expect("person");
    let other = store
        .create_person(person("per_2", "bj", "out_2"), ok("people.create"))
        .await
        .expect("person");

    let docked = xingji_api::v1::Person {
        licence_points: -2,
        ..first_person.clone()
    };
    let (person_after, event) = moves_network(
        store,
        store.record_licence_event(docked, licence("lic_01", "per_1", -2), ok("people.licence")),
    )
    .await
    .expect("record");
    assert_eq!((person_after.version, person_after.licence_points), (2, -2));
    assert_eq!(event, licence("lic_01", "per_1", -2));
    assert_eq!(store.get_person("per_1").await.expect("get"), person_after);

    // Stale: neither the person nor the event is written.
    let stale = xingji_api::v1::Person {
        licence_points: -9,
        ..first_person
    };
    let refused = store
        .record_licence_event(stale, licence("lic_02", "per_1", -7), ok("people.licence"))
        .await;
    assert_stale(refused, 2);
    assert_eq!(store.get_person("per_1").await.expect("get"), person_after);
    let listed = store
        .list_licence_events("per_1", &first(10))
        .await
        .expect("list");
    assert_eq!(ids(&listed, |e| &e.id), ["lic_01"]);

    // An event id taken: the person is not replaced either.
    let again = xingji_api::v1::Person {
        licence_points: -5,
        ..person_after.clone()
    };
    let taken = store
        .record_licence_event(again, licence("lic_01", "per_1", -3), ok("people.licence"))
        .await;
    assert!(taken.is_err(), "an event id used twice: {taken:?}");
    assert_eq!(store.get_person("per_1").await.expect("get"), person_after);
    let listed = store
        .list_licence_events("per_1", &first(10))
        .await
        .expect("list");
    assert_eq!(
        listed,
        [licence("lic_01", "per_1", -2)],
        "the first one kept"
    );

    // More events, of both people, out of id order.
    let mut per_1 = person_after;
    for id in ["lic_04", "lic_02"] {
        (per_1, _) = store
            .record_licence_event(per_1, licence(id, "per_1", 1), ok("people.licence"))
            .await
            .expect("record");
    }
    store
        .record_licence_event(other, licence("lic_03", "per_2", 1), ok("people.licence"))
        .await
        .expect("record");
    assert_eq!(per_1.version, 4);
    let of = async |person: &str, page: crate::Page| {
        let listed = store
            .list_licence_events(person, &page)
            .await
            .expect("list");
        ids(&listed, |e| &e.id)
    };
    assert_eq!(of("per_1", first(10)).await, ["lic_01", "lic_02", "lic_04"]);
    assert_eq!(of("per_1", first(2)).await, ["lic_01", "lic_02"]);
    assert_eq!(of("per_1", after("lic_02", 10)).await, ["lic_04"]);
    assert_eq!(of("per_2", first(10)).await, ["lic_03"]);
    assert!(of("per_9", first(10)).await.is_empty());

    let between = async |after: &str, before: &str, limit: u32| {
        let listed = store
            .licence_events_between(after, before, limit)
            .await
            .expect("between");
        ids(&listed, |e| &e.id)
    };
    assert_eq!(
        between("lic_00", "lic_99", 10).await,
        ["lic_01", "lic_02", "lic_03", "lic_04"],
        "every person's, oldest first"
    );
    assert_eq!(
        between("lic_01", "lic_04", 10).await,
        ["lic_02", "lic_03"],
        "strictly"
    );
    assert_eq!(between("lic_00", "lic_99", 2).await, ["lic_01", "lic_02"]);
    assert!(between("lic_04", "lic_99", 10).await.is_empty());
}

fn audit(id: &str, region: &str, outlet_id: &str, score: i32) -> Audit {
    Audit {
        id: id.into(),
        region: region.into(),
        outlet_id: outlet_id.into(),
        score,
        findings: format!("findings {id}"),
        ..Audit::default()
    }
}

/// Mystery-customer audits: stored whole, listed by region and outlet,
/// paged by id.
pub async fn audits_are_listed_by_region_and_outlet(db: Database) {
    let store = db.store();
    for record in [
        audit("aud_03", "bj", "out_3", 70),
        audit("aud_01", "sh", "out_1", 90),
        audit("aud_02", "sh", "out_2", 80),
        audit("aud_04", "sh", "out_1", 60),
    ] {
        let stored = store
            .create_audit(record.clone(), ok("outlets.audit"))
            .await
            .expect("create");
        assert_eq!(stored, record);
    }
    assert!(
        store
            .create_audit(audit("aud_01", "sh", "out_1", 10), ok("outlets.audit"))
            .await
            .is_err(),
        "an audit id is used once"
    );
    let list = async |filter: AuditFilter, page: crate::Page| {
        let listed = store.list_audits(&filter, &page).await.expect("list");
        ids(&listed, |a| &a.id)
    };
    let all = AuditFilter::default();
    assert_eq!(
        list(all.clone(), first(10)).await,
        ["aud_01", "aud_02", "aud_03", "aud_04"]
    );
    assert_eq!(list(all.clone(), after("aud_02", 1)).await, ["aud_03"]);
    assert_eq!(
        list(AuditFilter::in_region("sh"), first(10)).await,
        ["aud_01", "aud_02", "aud_04"]
    );
    let outlet_1 = AuditFilter {
        outlet_id: Some("out_1".into()),
        ..AuditFilter::default()
    };
    assert_eq!(list(outlet_1, first(10)).await, ["aud_01", "aud_04"]);
    let none = AuditFilter {
        regions: Some(Vec::new()),
        ..AuditFilter::default()
    };
    assert!(list(none, first(10)).await.is_empty());
    let listed = store
        .list_audits(&AuditFilter::in_region("bj"), &first(10))
        .await
        .expect("list");
    assert_eq!(listed, [audit("aud_03", "bj", "out_3", 70)]);
}
