use prost_types::FieldMask;
use tonic::Code;
use xingji_api::v1::*;
use xingji_tests::{TestServer, bad_fields, precondition_failures};

use crate::fixtures::{create_outlet, network, regional_centre, star_centre};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

#[tokio::test]
async fn create_get_list_update() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.outlets().await;

    let (centre, star) = network(&mut client, "shanghai").await;
    assert!(star.id.starts_with("out_"), "{}", star.id);
    assert_eq!(star.version, 1);
    assert_eq!(
        star.service_radius_minutes, 30,
        "the half-hour radius is the default"
    );
    assert_eq!(
        star.status,
        OutletStatus::Active as i32,
        "new outlets are active"
    );
    assert_eq!(star.parent_id, centre.id);
    assert!(star.create_time.is_some());

    let got = client
        .get_outlet(GetOutletRequest {
            id: star.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, star);

    let listed = client
        .list_outlets(ListOutletsRequest {
            region: "shanghai".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.outlets,
        vec![centre.clone(), star.clone()],
        "oldest first"
    );
    assert!(listed.next_page_token.is_empty());

    let children = client
        .list_outlets(ListOutletsRequest {
            parent_id: centre.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(children.outlets, vec![star.clone()]);

    let change = Outlet {
        id: star.id.clone(),
        name: "No.1 Star Service Centre".into(),
        grade: OutletGrade::A as i32,
        daily_capacity: 999, // not in the mask: must not change
        ..Outlet::default()
    };
    let updated = client
        .update_outlet(UpdateOutletRequest {
            outlet: Some(change),
            update_mask: mask(&["name", "grade"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.name, "No.1 Star Service Centre");
    assert_eq!(updated.grade, OutletGrade::A as i32);
    assert_eq!(updated.daily_capacity, star.daily_capacity);
    assert_eq!(updated.location, star.location);
    assert_eq!(updated.version, 2);

    let graded = client
        .list_outlets(ListOutletsRequest {
            grade: OutletGrade::A as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(graded.outlets, vec![updated]);
    server.stop().await;
}

#[tokio::test]
async fn filters_by_product_line_status_and_tier() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.outlets().await;
    let (centre, _) = network(&mut client, "shanghai").await;
    let washers = create_outlet(
        &mut client,
        Outlet {
            product_lines: vec![ProductLine::WashingMachine as i32],
            status: OutletStatus::Suspended as i32,
            ..star_centre("shanghai", "SC-2", &centre.id)
        },
    )
    .await;
    let list = |request: ListOutletsRequest| {
        let mut client = client.clone();
        async move {
            client
                .list_outlets(request)
                .await
                .unwrap()
                .into_inner()
                .outlets
        }
    };
    let by_line = list(ListOutletsRequest {
        product_line: ProductLine::WashingMachine as i32,
        ..Default::default()
    })
    .await;
    assert_eq!(by_line, vec![washers.clone()]);
    let suspended = list(ListOutletsRequest {
        status: OutletStatus::Suspended as i32,
        ..Default::default()
    })
    .await;
    assert_eq!(suspended, vec![washers]);
    let stars = list(ListOutletsRequest {
        tier: OutletTier::StarCentre as i32,
        ..Default::default()
    })
    .await;
    assert_eq!(stars.len(), 2);
    let elsewhere = list(ListOutletsRequest {
        region: "beijing".into(),
        ..Default::default()
    })
    .await;
    assert!(elsewhere.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn pages_through_more_than_one_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.outlets().await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(
            create_outlet(&mut client, regional_centre("shanghai", &format!("RC-{n}")))
                .await
                .id,
        );
    }
    create_outlet(&mut client, regional_centre("beijing", "RC-0")).await;

    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_outlets(ListOutletsRequest {
                region: "shanghai".into(),
                page_size: 3,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.outlets.len() <= 3);
        seen.extend(page.outlets.into_iter().map(|o| o.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "every outlet once, in creation order");
    server.stop().await;
}

#[tokio::test]
async fn page_tokens_and_sizes_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.outlets().await;
    for n in 0..3 {
        create_outlet(&mut client, regional_centre("shanghai", &format!("RC-{n}"))).await;
    }
    let first = client
        .list_outlets(ListOutletsRequest {
            region: "shanghai".into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let token = first.next_page_token;
    assert!(!token.is_empty());

    // The same token with other filters is refused.
    let other_filter = client
        .list_outlets(ListOutletsRequest {
            region: "beijing".into(),
            page_size: 1,
            page_token: token.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&other_filter), ["page_token"]);

    // A token edited by hand is refused.
    let mut edited = token.clone().into_bytes();
    let last = edited.len() - 1;
    edited[last] = if edited[last] == b'A' { b'B' } else { b'A' };
    let tampered = client
        .list_outlets(ListOutletsRequest {
            region: "shanghai".into(),
            page_size: 1,
            page_token: String::from_utf8(edited).unwrap(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&tampered), ["page_token"]);

    // The page size may change between pages.
    let rest = client
        .list_outlets(ListOutletsRequest {
            region: "shanghai".into(),
            page_size: 10,
            page_token: token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.outlets.len(), 2);

    for size in [-1, 1001] {
        let error = client
            .list_outlets(ListOutletsRequest {
                page_size: size,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&error), ["page_size"], "page_size {size}");
    }
    server.stop().await;
}

#[tokio::test]
async fn validation_names_every_bad_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.outlets().await;

    let bad = Outlet {
        region: "Shang Hai".into(),
        name: String::new(),
        tier: 0,
        location: Some(GeoPoint {
            lat: 95.0,
            lon: 200.0,
        }),
        service_radius_minutes: 500,
        product_lines: vec![ProductLine::Tv as i32, ProductLine::Tv as i32],
        daily_capacity: -3,
        ..regional_centre("x", "RC-1")
    };
    let error = client
        .create_outlet(CreateOutletRequest { outlet: Some(bad) })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&error),
        [
            "outlet.region",
            "outlet.name",
            "outlet.tier",
            "outlet.location.lat",
            "outlet.location.lon",
            "outlet.service_radius_minutes",
            "outlet.product_lines[1]",
            "outlet.daily_capacity",
        ]
    );
    assert!(
        error.message().contains("outlet.location.lat"),
        "{}",
        error.message()
    );

    let no_location = Outlet {
        location: None,
        ..regional_centre("shanghai", "RC-1")
    };
    let error = client
        .create_outlet(CreateOutletRequest {
            outlet: Some(no_location),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["outlet.location"]);

    let orphan = star_centre("shanghai", "SC-1", "");
    let error = client
        .create_outlet(CreateOutletRequest {
            outlet: Some(orphan),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["outlet.parent_id"]);

    let missing_parent = star_centre("shanghai", "SC-1", "out_NOSUCH");
    let error = client
        .create_outlet(CreateOutletRequest {
            outlet: Some(missing_parent),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["outlet.parent_id"]);

    let error = client
        .create_outlet(CreateOutletRequest { outlet: None })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["outlet"]);
    server.stop().await;
}

#[tokio::test]
async fn references_stay_in_their_region_and_tier() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.outlets().await;
    let (beijing_centre, beijing_star) = network(&mut client, "beijing").await;

    let cross_region = star_centre("shanghai", "SC-1", &beijing_centre.id);
    let error = client
        .create_outlet(CreateOutletRequest {
            outlet: Some(cross_region),
        })
        .await
        .unwrap_err();
    assert_eq!(
        precondition_failures(&error),
        [("REGION".to_owned(), "outlet.parent_id".to_owned())]
    );

    let wrong_tier = star_centre("beijing", "SC-9", &beijing_star.id);
    let error = client
        .create_outlet(CreateOutletRequest {
            outlet: Some(wrong_tier),
        })
        .await
        .unwrap_err();
    assert_eq!(
        precondition_failures(&error),
        [("TIER".to_owned(), "outlet.parent_id".to_owned())]
    );

    // A centre with children cannot change its tier from under them.
    let promote = Outlet {
        id: beijing_centre.id.clone(),
        tier: OutletTier::Hq as i32,
        ..Outlet::default()
    };
    let error = client
        .update_outlet(UpdateOutletRequest {
            outlet: Some(promote),
            update_mask: mask(&["tier"]),
        })
        .await
        .unwrap_err();
    assert_eq!(
        precondition_failures(&error),
        [("TIER".to_owned(), "outlet.tier".to_owned())]
    );
    server.stop().await;
}

#[tokio::test]
async fn numbers_are_unique_per_region() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.outlets().await;
    create_outlet(&mut client, regional_centre("shanghai", "RC-1")).await;
    let error = client
        .create_outlet(CreateOutletRequest {
            outlet: Some(regional_centre("shanghai", "RC-1")),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::AlreadyExists, "{error:?}");
    // Another region may use the same number.
    create_outlet(&mut client, regional_centre("beijing", "RC-1")).await;
    server.stop().await;
}

#[tokio::test]
async fn not_found_and_stale_updates() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.outlets().await;

    let error = client
        .get_outlet(GetOutletRequest {
            id: "out_NOSUCH".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    let error = client
        .update_outlet(UpdateOutletRequest {
            outlet: Some(Outlet {
                id: "out_NOSUCH".into(),
                name: "x".into(),
                ..Outlet::default()
            }),
            update_mask: mask(&["name"]),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::NotFound);

    let outlet = create_outlet(&mut client, regional_centre("shanghai", "RC-1")).await;
    // Two clients read version 1; the first update wins, the second is stale.
    let first = Outlet {
        name: "first".into(),
        ..outlet.clone()
    };
    let second = Outlet {
        name: "second".into(),
        ..outlet.clone()
    };
    client
        .update_outlet(UpdateOutletRequest {
            outlet: Some(first),
            update_mask: mask(&["name"]),
        })
        .await
        .unwrap();
    let error = client
        .update_outlet(UpdateOutletRequest {
            outlet: Some(second),
            update_mask: mask(&["name"]),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::Aborted, "{error:?}");
    let stored = client
        .get_outlet(GetOutletRequest {
            id: outlet.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.name, "first", "the stale update changed nothing");
    assert_eq!(stored.version, 2);

    // The mask must be there and name updatable fields only.
    for bad_mask in [
        None,
        mask(&[]),
        mask(&["region"]),
        mask(&["name", "version"]),
    ] {
        let error = client
            .update_outlet(UpdateOutletRequest {
                outlet: Some(stored.clone()),
                update_mask: bad_mask.clone(),
            })
            .await
            .unwrap_err();
        let fields = bad_fields(&error);
        assert!(
            fields.iter().all(|f| f.starts_with("update_mask")),
            "{bad_mask:?}: {fields:?}"
        );
    }
    server.stop().await;
}
