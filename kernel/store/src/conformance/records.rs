//! Outlets and people: versions, unique numbers, filters and pages,
//! `count_children`, `regions` and `network_version`.

use xingji_api::v1::{
    LicenceState, OutletGrade, OutletStatus, OutletTier, PersonLevel, ProductLine, Skill,
};

use super::fixtures::{
    after, assert_exists, assert_not_found, assert_stale, eventually, first, ids, moves_network,
    ok, outlet, person,
};
use super::harness::Database;
use crate::{OutletFilter, PersonFilter};

/// Creates, reads and updates an outlet: versions are the store's, a stale
/// or missing update writes nothing, numbers are unique per region, and
/// every write moves `network_version`.
pub async fn outlets_have_versions_and_unique_numbers(db: Database) {
    let store = db.store();
    let created = moves_network(
        store,
        store.create_outlet(
            xingji_api::v1::Outlet {
                version: 7,
                ..outlet("out_01", "sh", "1")
            },
            ok("outlets.create"),
        ),
    )
    .await
    .expect("create");
    assert_eq!(created.version, 1, "a create stores version 1");
    assert_eq!(store.get_outlet("out_01").await.expect("get"), created);
    assert_not_found(store.get_outlet("out_99").await);

    let renamed = xingji_api::v1::Outlet {
        name: "a".into(),
        ..created.clone()
    };
    let updated = moves_network(store, store.update_outlet(renamed, ok("outlets.update")))
        .await
        .expect("update");
    assert_eq!((updated.version, updated.name.as_str()), (2, "a"));
    let stale = xingji_api::v1::Outlet {
        name: "b".into(),
        ..created.clone()
    };
    assert_stale(store.update_outlet(stale, ok("outlets.update")).await, 2);
    assert_eq!(
        store.get_outlet("out_01").await.expect("get"),
        updated,
        "a refused update writes nothing"
    );
    let missing = outlet("out_99", "sh", "99");
    assert_not_found(store.update_outlet(missing, ok("outlets.update")).await);

    assert_exists(
        store
            .create_outlet(outlet("out_02", "sh", "1"), ok("outlets.create"))
            .await,
        "outlet number",
    );
    assert_not_found(store.get_outlet("out_02").await);
    store
        .create_outlet(outlet("out_03", "bj", "1"), ok("outlets.create"))
        .await
        .expect("the same number in another region");
    let second = store
        .create_outlet(outlet("out_04", "sh", "2"), ok("outlets.create"))
        .await
        .expect("another number");
    let taken = xingji_api::v1::Outlet {
        number: "1".into(),
        ..second
    };
    assert_exists(
        store.update_outlet(taken, ok("outlets.update")).await,
        "outlet number",
    );
    assert_eq!(store.get_outlet("out_04").await.expect("get").number, "2");
}

/// Every outlet filter, alone and together, and paging by id.
pub async fn outlet_lists_filter_and_page(db: Database) {
    let store = db.store();
    let hq = xingji_api::v1::Outlet {
        tier: OutletTier::Hq as i32,
        status: OutletStatus::Active as i32,
        grade: OutletGrade::A as i32,
        product_lines: vec![ProductLine::Tv as i32, ProductLine::Refrigerator as i32],
        ..outlet("out_01", "sh", "1")
    };
    let sub = xingji_api::v1::Outlet {
        tier: OutletTier::SubOutlet as i32,
        status: OutletStatus::Suspended as i32,
        grade: OutletGrade::B as i32,
        parent_id: "out_01".into(),
        product_lines: vec![ProductLine::Refrigerator as i32],
        ..outlet("out_02", "sh", "2")
    };
    let other = xingji_api::v1::Outlet {
        tier: OutletTier::SubOutlet as i32,
        status: OutletStatus::Active as i32,
        grade: OutletGrade::B as i32,
        parent_id: "out_01".into(),
        product_lines: vec![ProductLine::WashingMachine as i32],
        ..outlet("out_03", "bj", "3")
    };
    let far = xingji_api::v1::Outlet {
        status: OutletStatus::Eliminated as i32,
        grade: OutletGrade::C as i32,
        product_lines: vec![ProductLine::Tv as i32, ProductLine::Computer as i32],
        ..outlet("out_04", "gz", "4")
    };
    for record in [&far, &other, &sub, &hq] {
        store
            .create_outlet(record.clone(), ok("outlets.create"))
            .await
            .expect("create");
    }
    let list = async |filter: OutletFilter, page: crate::Page| {
        let listed = store.list_outlets(&filter, &page).await.expect("list");
        ids(&listed, |o| &o.id)
    };
    let all = list(OutletFilter::default(), first(10)).await;
    assert_eq!(all, ["out_01", "out_02", "out_03", "out_04"], "by id");
    let listed = store
        .list_outlets(&OutletFilter::default(), &first(1))
        .await
        .expect("list");
    assert_eq!(listed[0].tier, OutletTier::Hq as i32, "records come whole");
    assert_eq!(listed[0].product_lines, hq.product_lines);
    assert_eq!(
        list(OutletFilter::default(), first(2)).await,
        ["out_01", "out_02"]
    );
    assert_eq!(
        list(OutletFilter::default(), after("out_02", 10)).await,
        ["out_03", "out_04"]
    );
    assert_eq!(
        list(OutletFilter::default(), after("out_01", 2)).await,
        ["out_02", "out_03"]
    );
    assert!(
        list(OutletFilter::default(), after("out_04", 10))
            .await
            .is_empty()
    );

    let regions = |regions: &[&str]| OutletFilter {
        regions: Some(regions.iter().map(|r| (*r).to_owned()).collect()),
        ..OutletFilter::default()
    };
    assert_eq!(
        list(OutletFilter::in_region("sh"), first(10)).await,
        ["out_01", "out_02"]
    );
    assert_eq!(
        list(regions(&["bj", "gz"]), first(10)).await,
        ["out_03", "out_04"]
    );
    assert!(
        list(regions(&[]), first(10)).await.is_empty(),
        "no regions: none"
    );
    assert!(list(regions(&["xx"]), first(10)).await.is_empty());

    let status = |status: OutletStatus| OutletFilter {
        status: Some(status as i32),
        ..OutletFilter::default()
    };
    assert_eq!(
        list(status(OutletStatus::Active), first(10)).await,
        ["out_01", "out_03"]
    );
    assert_eq!(
        list(status(OutletStatus::Eliminated), first(10)).await,
        ["out_04"]
    );
    let tier = OutletFilter {
        tier: Some(OutletTier::SubOutlet as i32),
        ..OutletFilter::default()
    };
    assert_eq!(list(tier, first(10)).await, ["out_02", "out_03"]);
    let parent = OutletFilter {
        parent_id: Some("out_01".into()),
        ..OutletFilter::default()
    };
    assert_eq!(list(parent, first(10)).await, ["out_02", "out_03"]);
    let line = |line: ProductLine| OutletFilter {
        product_line: Some(line as i32),
        ..OutletFilter::default()
    };
    assert_eq!(
        list(line(ProductLine::Refrigerator), first(10)).await,
        ["out_01", "out_02"]
    );
    assert_eq!(
        list(line(ProductLine::Tv), first(10)).await,
        ["out_01", "out_04"]
    );
    assert_eq!(
        list(line(ProductLine::Computer), first(10)).await,
        ["out_04"]
    );
    assert!(
        list(line(ProductLine::AirConditioner), first(10))
            .await
            .is_empty()
    );
    let grade = OutletFilter {
        grade: Some(OutletGrade::B as i32),
        ..OutletFilter::default()
    };
    assert_eq!(list(grade, first(10)).await, ["out_02", "out_03"]);
    let together = OutletFilter {
        regions: Some(vec!["sh".into(), "bj".into()]),
        status: Some(OutletStatus::Active as i32),
        tier: Some(OutletTier::SubOutlet as i32),
        parent_id: Some("out_01".into()),
        product_line: Some(ProductLine::WashingMachine as i32),
        grade: Some(OutletGrade::B as i32),
    };
    assert_eq!(list(together.clone(), first(10)).await, ["out_03"]);
    assert!(list(together, after("out_03", 10)).await.is_empty());
}

/// `count_children` counts an outlet's direct children; `regions` lists
/// the regions with an outlet, in order, once each.
pub async fn children_and_regions(db: Database) {
    let store = db.store();
    assert!(store.regions().await.expect("regions").is_empty());
    assert_eq!(store.count_children("out_01").await.expect("count"), 0);
    let child = |id: &str, region: &str, number: &str, parent: &str| xingji_api::v1::Outlet {
        parent_id: parent.into(),
        ..outlet(id, region, number)
    };
    for record in [
        outlet("out_01", "sh", "1"),
        child("out_02", "sh", "2", "out_01"),
        child("out_03", "sh", "3", "out_01"),
        child("out_04", "sh", "4", "out_02"),
        outlet("out_05", "bj", "1"),
        outlet("out_06", "gz", "1"),
    ] {
        store
            .create_outlet(record, ok("outlets.create"))
            .await
            .expect("create");
    }
    assert_eq!(store.count_children("out_01").await.expect("count"), 2);
    assert_eq!(store.count_children("out_02").await.expect("count"), 1);
    assert_eq!(store.count_children("out_04").await.expect("count"), 0);
    assert_eq!(store.regions().await.expect("regions"), ["bj", "gz", "sh"]);
}

/// People: versions, a stale update refused, every filter and paging.
pub async fn people_have_versions_filters_and_pages(db: Database) {
    let store = db.store();
    let skilled = |lines: &[ProductLine]| -> Vec<Skill> {
        lines
            .iter()
            .map(|line| Skill {
                product_line: *line as i32,
                ..Skill::default()
            })
            .collect()
    };
    let records = [
        xingji_api::v1::Person {
            level: PersonLevel::Engineer as i32,
            licence_state: LicenceState::Normal as i32,
            on_duty: true,
            skills: skilled(&[ProductLine::Tv, ProductLine::AirConditioner]),
            ..person("per_01", "sh", "out_01")
        },
        xingji_api::v1::Person {
            level: PersonLevel::Senior as i32,
            licence_state: LicenceState::Warning as i32,
            skills: skilled(&[ProductLine::AirConditioner]),
            ..person("per_02", "sh", "out_02")
        },
        xingji_api::v1::Person {
            level: PersonLevel::Engineer as i32,
            licence_state: LicenceState::Normal as i32,
            on_duty: true,
            skills: skilled(&[ProductLine::WaterHeater]),
            ..person("per_03", "bj", "out_03")
        },
    ];
    for record in records.iter().rev() {
        let created = moves_network(
            store,
            store.create_person(
                xingji_api::v1::Person {
                    version: 5,
                    ..record.clone()
                },
                ok("people.create"),
            ),
        )
        .await
        .expect("create");
        assert_eq!(created.version, 1);
    }
    let stored = store.get_person("per_01").await.expect("get");
    assert_eq!(
        stored,
        xingji_api::v1::Person {
            version: 1,
            ..records[0].clone()
        }
    );
    assert_not_found(store.get_person("per_99").await);
    let updated = moves_network(
        store,
        store.update_person(
            xingji_api::v1::Person {
                on_duty: false,
                ..stored.clone()
            },
            ok("people.update"),
        ),
    )
    .await
    .expect("update");
    assert_eq!(updated.version, 2);
    assert_stale(store.update_person(stored, ok("people.update")).await, 2);
    assert_eq!(store.get_person("per_01").await.expect("get"), updated);
    let missing = person("per_99", "sh", "out_01");
    assert_not_found(store.update_person(missing, ok("people.update")).await);

    let list = async |filter: PersonFilter, page: crate::Page| {
        let listed = store.list_people(&filter, &page).await.expect("list");
        ids(&listed, |p| &p.id)
    };
    let all = PersonFilter::default();
    assert_eq!(
        list(all.clone(), first(10)).await,
        ["per_01", "per_02", "per_03"]
    );
    assert_eq!(list(all.clone(), first(1)).await, ["per_01"]);
    assert_eq!(list(all, after("per_01", 1)).await, ["per_02"]);
    assert_eq!(
        list(PersonFilter::in_region("sh"), first(10)).await,
        ["per_01", "per_02"]
    );
    let none = PersonFilter {
        regions: Some(Vec::new()),
        ..PersonFilter::default()
    };
    assert!(list(none, first(10)).await.is_empty());
    let of_outlet = PersonFilter {
        outlet_id: Some("out_02".into()),
        ..PersonFilter::default()
    };
    assert_eq!(list(of_outlet, first(10)).await, ["per_02"]);
    let level = PersonFilter {
        level: Some(PersonLevel::Engineer as i32),
        ..PersonFilter::default()
    };
    assert_eq!(list(level, first(10)).await, ["per_01", "per_03"]);
    let state = PersonFilter {
        licence_state: Some(LicenceState::Warning as i32),
        ..PersonFilter::default()
    };
    assert_eq!(list(state, first(10)).await, ["per_02"]);
    let line = PersonFilter {
        product_line: Some(ProductLine::AirConditioner as i32),
        ..PersonFilter::default()
    };
    assert_eq!(list(line, first(10)).await, ["per_01", "per_02"]);
    // per_01 went off duty in the update above.
    let on_duty = PersonFilter {
        on_duty_only: true,
        ..PersonFilter::default()
    };
    assert_eq!(list(on_duty, first(10)).await, ["per_03"]);
    let together = PersonFilter {
        regions: Some(vec!["sh".into()]),
        outlet_id: Some("out_01".into()),
        level: Some(PersonLevel::Engineer as i32),
        licence_state: Some(LicenceState::Normal as i32),
        product_line: Some(ProductLine::Tv as i32),
        on_duty_only: false,
    };
    assert_eq!(list(together, first(10)).await, ["per_01"]);
}

/// A write through one handle moves `network_version` on another within a
/// second (a cross-process notification: backends whose change feed is
/// in-process skip it).
pub async fn network_version_moves_across_handles(db: Database) {
    let other = db.open_again().await;
    let before = other.network_version();
    db.store()
        .create_outlet(outlet("out_1", "sh", "1"), ok("outlets.create"))
        .await
        .expect("create");
    assert!(
        eventually(|| other.network_version() != before).await,
        "another handle's network_version did not move after an outlet write"
    );
    let before = other.network_version();
    db.store()
        .create_person(person("per_1", "sh", "out_1"), ok("people.create"))
        .await
        .expect("create");
    assert!(
        eventually(|| other.network_version() != before).await,
        "another handle's network_version did not move after a person write"
    );
}
