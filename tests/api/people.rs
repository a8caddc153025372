use prost_types::FieldMask;
use tonic::Code;
use xingji_api::v1::*;
use xingji_tests::{TestServer, bad_fields, precondition_failures};

use crate::fixtures::{create_person, engineer, network};

#[tokio::test]
async fn create_get_list_update() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (_, star) = network(&mut server.outlets().await, "shanghai").await;
    let mut client = server.people().await;

    let wang = create_person(&mut client, engineer("shanghai", &star.id, "Wang Wei")).await;
    assert!(wang.id.starts_with("per_"));
    assert_eq!(wang.licence_points, 12, "a new licence has 12 points");
    assert_eq!(wang.licence_state, LicenceState::Normal as i32);
    let li = create_person(
        &mut client,
        Person {
            level: PersonLevel::Gold as i32,
            skills: vec![Skill {
                product_line: ProductLine::Tv as i32,
                level: CertificationLevel::Senior as i32,
            }],
            on_duty: false,
            ..engineer("shanghai", &star.id, "Li Qiang")
        },
    )
    .await;

    let got = client
        .get_person(GetPersonRequest { id: li.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, li);

    let list = |request: ListPeopleRequest| {
        let mut client = client.clone();
        async move {
            client
                .list_people(request)
                .await
                .unwrap()
                .into_inner()
                .people
        }
    };
    assert_eq!(
        list(ListPeopleRequest {
            outlet_id: star.id.clone(),
            ..Default::default()
        })
        .await,
        vec![wang.clone(), li.clone()]
    );
    assert_eq!(
        list(ListPeopleRequest {
            level: PersonLevel::Gold as i32,
            ..Default::default()
        })
        .await,
        vec![li.clone()]
    );
    assert_eq!(
        list(ListPeopleRequest {
            product_line: ProductLine::Refrigerator as i32,
            ..Default::default()
        })
        .await,
        vec![wang.clone()]
    );
    assert_eq!(
        list(ListPeopleRequest {
            on_duty_only: true,
            ..Default::default()
        })
        .await,
        vec![wang.clone()]
    );

    // Licence fields are output only: an update cannot set them.
    let change = Person {
        id: li.id.clone(),
        on_duty: true,
        licence_points: 0,
        ..Person::default()
    };
    let updated = client
        .update_person(UpdatePersonRequest {
            person: Some(change),
            update_mask: Some(FieldMask {
                paths: vec!["on_duty".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(updated.on_duty);
    assert_eq!(updated.licence_points, 12);
    assert_eq!(updated.name, "Li Qiang");
    assert_eq!(updated.version, 2);
    let error = client
        .update_person(UpdatePersonRequest {
            person: Some(Person {
                id: li.id.clone(),
                ..Person::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["licence_points".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["update_mask.paths[0]"]);
    server.stop().await;
}

#[tokio::test]
async fn validation_and_references() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (_, shanghai_star) = network(&mut server.outlets().await, "shanghai").await;
    let (_, beijing_star) = network(&mut server.outlets().await, "beijing").await;
    let mut client = server.people().await;

    let bad = Person {
        phone: "12345".into(),
        level: 0,
        skills: vec![
            Skill {
                product_line: ProductLine::Tv as i32,
                level: CertificationLevel::Junior as i32,
            },
            Skill {
                product_line: ProductLine::Tv as i32,
                level: 0,
            },
        ],
        location: Some(GeoPoint {
            lat: 0.0,
            lon: 181.0,
        }),
        ..engineer("shanghai", &shanghai_star.id, "")
    };
    let error = client
        .create_person(CreatePersonRequest { person: Some(bad) })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&error),
        [
            "person.name",
            "person.phone",
            "person.level",
            "person.skills[1].level",
            "person.skills[1].product_line",
            "person.location.lon",
        ]
    );

    let error = client
        .create_person(CreatePersonRequest {
            person: Some(engineer("shanghai", "out_NOSUCH", "Wang Wei")),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["person.outlet_id"]);

    let error = client
        .create_person(CreatePersonRequest {
            person: Some(engineer("shanghai", &beijing_star.id, "Wang Wei")),
        })
        .await
        .unwrap_err();
    assert_eq!(
        precondition_failures(&error),
        [("REGION".to_owned(), "person.outlet_id".to_owned())]
    );

    // Moving a person to another region's outlet is refused the same way.
    let wang = create_person(
        &mut client,
        engineer("shanghai", &shanghai_star.id, "Wang Wei"),
    )
    .await;
    let error = client
        .update_person(UpdatePersonRequest {
            person: Some(Person {
                id: wang.id.clone(),
                outlet_id: beijing_star.id.clone(),
                ..Person::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["outlet_id".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        precondition_failures(&error),
        [("REGION".to_owned(), "person.outlet_id".to_owned())]
    );

    let error = client
        .get_person(GetPersonRequest {
            id: "per_NOSUCH".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    let error = client
        .get_person(GetPersonRequest { id: String::new() })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["id"]);
    server.stop().await;
}

#[tokio::test]
async fn stale_update_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (_, star) = network(&mut server.outlets().await, "shanghai").await;
    let mut client = server.people().await;
    let wang = create_person(&mut client, engineer("shanghai", &star.id, "Wang Wei")).await;
    let mask = Some(FieldMask {
        paths: vec!["phone".into()],
    });
    client
        .update_person(UpdatePersonRequest {
            person: Some(Person {
                phone: "13900000001".into(),
                ..wang.clone()
            }),
            update_mask: mask.clone(),
        })
        .await
        .unwrap();
    let error = client
        .update_person(UpdatePersonRequest {
            person: Some(Person {
                phone: "13900000002".into(),
                ..wang.clone()
            }),
            update_mask: mask,
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::Aborted);
    let stored = client
        .get_person(GetPersonRequest { id: wang.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.phone, "13900000001");
    server.stop().await;
}
