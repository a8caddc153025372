//! What the kernel hands a dispatch plugin: the order and every outlet and
//! engineer of its region as compact WIT records (enums, flags, numbers and
//! indices; no strings), and how the plugin's choice maps back to ids.

use std::collections::HashMap;

use xingji_api::v1::{LicenceState, Order, Outlet, Person, RefusedBy};
use xingji_plugin_host::bindings::dispatch::exports::xingji::plugins::dispatcher::{
    CandidateEngineer, CandidateOutlet, DispatchOrder, DispatchRequest,
};
use xingji_store::{OutletFilter, Page, PersonFilter, Store, StoreError};

use crate::wit_records::{
    geo, grade, licence_state, order_kind, outlet_status, product_line, product_lines,
};

/// The candidates of a region, in the order the request lists them.
pub struct Candidates {
    /// The outlets; `CandidateOutlet` i is `outlets[i]`.
    pub outlets: Vec<Outlet>,
    /// The engineers; `CandidateEngineer` i is `engineers[i]`.
    pub engineers: Vec<Person>,
}

/// Reads every outlet and person of `region`, with their open orders, and
/// builds the request for `order`.
pub async fn request(
    store: &dyn Store,
    order: &Order,
) -> Result<(DispatchRequest, Candidates), StoreError> {
    let region = order.region.clone();
    let outlets = read_all(
        |page| {
            let filter = OutletFilter {
                region: Some(region.clone()),
                ..OutletFilter::default()
            };
            async move { store.list_outlets(&filter, &page).await }
        },
        |o: &Outlet| o.id.clone(),
    )
    .await?;
    let people = read_all(
        |page| {
            let filter = PersonFilter {
                region: Some(region.clone()),
                ..PersonFilter::default()
            };
            async move { store.list_people(&filter, &page).await }
        },
        |p: &Person| p.id.clone(),
    )
    .await?;
    let mut outlet_load: HashMap<String, u32> = HashMap::new();
    let mut engineer_load: HashMap<String, u32> = HashMap::new();
    for (outlet, engineer, count) in store.open_order_counts(&order.region).await? {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        *outlet_load.entry(outlet).or_default() += count;
        *engineer_load.entry(engineer).or_default() += count;
    }
    let outlets: Vec<Outlet> = outlets
        .into_iter()
        .filter(|o| {
            !order
                .refusals
                .iter()
                .any(|r| r.by == RefusedBy::Outlet as i32 && r.outlet_id == o.id)
        })
        .collect();
    let index: HashMap<&str, u32> = outlets
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i as u32))
        .collect();
    // The kernel's own rules come before any plugin's: eliminated engineers
    // get no dispatch, and whoever refused this order does not get it again.
    let engineers: Vec<Person> = people
        .into_iter()
        .filter(|p| index.contains_key(p.outlet_id.as_str()))
        .filter(|p| p.licence_state != LicenceState::Eliminated as i32)
        .filter(|p| !order.refusals.iter().any(|r| r.engineer_id == p.id))
        .collect();

    let customer = order.customer.clone().unwrap_or_default();
    let appliance = order.appliance.clone().unwrap_or_default();
    let request = DispatchRequest {
        order: DispatchOrder {
            kind: order_kind(order.kind),
            product_line: product_line(appliance.product_line),
            location: geo(customer.location.unwrap_or_default()),
            vip: customer.vip,
        },
        outlets: outlets
            .iter()
            .map(|o| CandidateOutlet {
                location: geo(o.location.unwrap_or_default()),
                service_radius_minutes: o.service_radius_minutes.max(0) as u32,
                product_lines: product_lines(o.product_lines.iter().copied()),
                status: outlet_status(o.status),
                grade: grade(o.grade),
                daily_capacity: o.daily_capacity.max(0) as u32,
                open_orders: outlet_load.get(&o.id).copied().unwrap_or(0),
            })
            .collect(),
        engineers: engineers
            .iter()
            .map(|p| CandidateEngineer {
                outlet: index.get(p.outlet_id.as_str()).copied().unwrap_or(0),
                skills: product_lines(p.skills.iter().map(|s| s.product_line)),
                licence_state: licence_state(p.licence_state),
                on_duty: p.on_duty,
                open_orders: engineer_load.get(&p.id).copied().unwrap_or(0),
                location: p.location.map(geo),
            })
            .collect(),
        now: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        params: Vec::new(),
    };
    Ok((request, Candidates { outlets, engineers }))
}

/// Reads every page of a listing.
pub(crate) async fn read_all<R, F, Fut>(
    mut fetch: F,
    id: impl Fn(&R) -> String,
) -> Result<Vec<R>, StoreError>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Result<Vec<R>, StoreError>>,
{
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = fetch(Page {
            after: after.clone(),
            limit: 1000,
        })
        .await?;
        let done = page.len() < 1000;
        after = page.last().map(&id);
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}
