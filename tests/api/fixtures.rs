//! Valid records to start from; tests change what they are about.

use xingji_api::google::r#type::Date;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::*;
use xingji_tests::Channel;

pub fn regional_centre(region: &str, number: &str) -> Outlet {
    Outlet {
        region: region.into(),
        name: format!("{region} regional technical service centre"),
        number: number.into(),
        tier: OutletTier::RegionalCentre as i32,
        class: OutletClass::Core as i32,
        location: Some(GeoPoint {
            lat: 31.23,
            lon: 121.47,
        }),
        address: "1 Century Avenue".into(),
        product_lines: vec![ProductLine::Tv as i32, ProductLine::Refrigerator as i32],
        ..Outlet::default()
    }
}

pub fn star_centre(region: &str, number: &str, parent_id: &str) -> Outlet {
    Outlet {
        name: format!("{region} star service centre {number}"),
        tier: OutletTier::StarCentre as i32,
        class: OutletClass::Standard as i32,
        parent_id: parent_id.into(),
        daily_capacity: 40,
        ..regional_centre(region, number)
    }
}

pub fn engineer(region: &str, outlet_id: &str, name: &str) -> Person {
    Person {
        region: region.into(),
        outlet_id: outlet_id.into(),
        name: name.into(),
        phone: "13812345678".into(),
        level: PersonLevel::Engineer as i32,
        skills: vec![Skill {
            product_line: ProductLine::Refrigerator as i32,
            level: CertificationLevel::Senior as i32,
        }],
        on_duty: true,
        ..Person::default()
    }
}

pub fn repair(region: &str) -> Order {
    Order {
        region: region.into(),
        kind: OrderKind::Repair as i32,
        customer: Some(Customer {
            name: "Li Na".into(),
            phone: "021-64871234".into(),
            address: "88 Caoxi North Road".into(),
            location: Some(GeoPoint {
                lat: 31.19,
                lon: 121.43,
            }),
            vip: false,
        }),
        appliance: Some(Appliance {
            product_line: ProductLine::Refrigerator as i32,
            model: "BCD-458".into(),
            serial: "SH0012345678".into(),
            purchase_date: Some(Date {
                year: 2021,
                month: 6,
                day: 18,
            }),
            price_fen: 459_900,
        }),
        description: "does not cool".into(),
        ..Order::default()
    }
}

/// Creates a regional centre and a star centre under it; returns both.
pub async fn network(client: &mut OutletServiceClient<Channel>, region: &str) -> (Outlet, Outlet) {
    let centre = create_outlet(client, regional_centre(region, "RC-1")).await;
    let star = create_outlet(client, star_centre(region, "SC-1", &centre.id)).await;
    (centre, star)
}

pub async fn create_outlet(client: &mut OutletServiceClient<Channel>, outlet: Outlet) -> Outlet {
    client
        .create_outlet(CreateOutletRequest {
            outlet: Some(outlet),
        })
        .await
        .expect("create outlet")
        .into_inner()
}

pub async fn create_person(client: &mut PersonServiceClient<Channel>, person: Person) -> Person {
    client
        .create_person(CreatePersonRequest {
            person: Some(person),
        })
        .await
        .expect("create person")
        .into_inner()
}
