//! The candidates of a dispatch: what the kernel hands a dispatch plugin —
//! the order and every outlet and engineer of its region as compact WIT
//! records (enums, flags, numbers and indices; no strings) — and how the
//! plugin's choice maps back to ids. The region's outlets and people are
//! cached ([`Networks`]) until the store reports a change to them; the
//! orders in hand are the store's to keep (`open_order_counts`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use xingji_api::v1::{LicenceState, Order, Outlet, Person, RefusedBy};
use xingji_plugin_host::bindings::dispatch_0_3::exports::xingji::plugins::dispatcher::DispatchRequest;
use xingji_store::{OutletFilter, PersonFilter, StoreError, prelude::*};

use crate::calendar::now;
use crate::paging::read_all;
use crate::wit::{candidate_engineer, candidate_outlet, dispatch_order};

/// A region's outlets and people as read at one [`Store::network_version`].
pub struct Network {
    version: u64,
    outlets: Vec<Outlet>,
    people: Vec<Person>,
}

/// The networks of the regions dispatched to, kept between calls and read
/// again once the store says an outlet or person changed: dispatch reads a
/// region's whole network per order, which costs more than the plugin call
/// when read from the store each time.
#[derive(Default)]
pub struct Networks(Mutex<HashMap<String, Arc<Network>>>);

impl Networks {
    /// `region`'s network, current as of this call.
    pub async fn get(&self, store: &dyn Store, region: &str) -> Result<Arc<Network>, StoreError> {
        // Read the version first: a write that lands while the records are
        // read makes the next call read them again.
        let version = store.network_version();
        if let Some(network) = self.lock().get(region)
            && network.version == version
        {
            return Ok(network.clone());
        }
        let outlets = read_all::<Outlet>(store, &OutletFilter::in_region(region)).await?;
        let people = read_all::<Person>(store, &PersonFilter::in_region(region)).await?;
        let network = Arc::new(Network {
            version,
            outlets,
            people,
        });
        self.lock().insert(region.to_owned(), network.clone());
        Ok(network)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Network>>> {
        // The map is only ever replaced whole: a panic cannot leave it torn.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The candidates of a request, in the order it lists them.
pub struct Candidates {
    network: Arc<Network>,
    /// `CandidateOutlet` i is `network.outlets[outlets[i]]`.
    outlets: Vec<usize>,
    /// `CandidateEngineer` i is `network.people[engineers[i]]`.
    engineers: Vec<usize>,
}

impl Candidates {
    /// The outlet the request lists at `index`.
    pub fn outlet(&self, index: u32) -> Option<&Outlet> {
        let i = *self.outlets.get(index as usize)?;
        self.network.outlets.get(i)
    }

    /// The engineer the request lists at `index`.
    pub fn engineer(&self, index: u32) -> Option<&Person> {
        let i = *self.engineers.get(index as usize)?;
        self.network.people.get(i)
    }
}

/// Builds the request for `order` from its region's network and open
/// orders.
pub async fn request(
    store: &dyn Store,
    networks: &Networks,
    order: &Order,
) -> Result<(DispatchRequest, Candidates), StoreError> {
    let network = networks.get(store, &order.region).await?;
    let loads = store.open_order_counts(&order.region).await?;
    let outlets: Vec<usize> = (0..network.outlets.len())
        .filter(|&i| {
            let id = &network.outlets[i].id;
            !order
                .refusals
                .iter()
                .any(|r| r.by() == RefusedBy::Outlet && &r.outlet_id == id)
        })
        .collect();
    let index: HashMap<&str, u32> = outlets
        .iter()
        .enumerate()
        .map(|(at, &i)| (network.outlets[i].id.as_str(), at as u32))
        .collect();
    // The kernel's own rules come before any plugin's: eliminated engineers
    // get no dispatch, and whoever refused this order does not get it again.
    let engineers: Vec<usize> = (0..network.people.len())
        .filter(|&i| {
            let p = &network.people[i];
            index.contains_key(p.outlet_id.as_str())
                && p.licence_state() != LicenceState::Eliminated
                && !order.refusals.iter().any(|r| r.engineer_id == p.id)
        })
        .collect();

    let request = DispatchRequest {
        order: dispatch_order(order),
        outlets: outlets
            .iter()
            .map(|&i| {
                let o = &network.outlets[i];
                candidate_outlet(o, loads.outlet(&o.id))
            })
            .collect(),
        engineers: engineers
            .iter()
            .map(|&i| {
                let p = &network.people[i];
                let outlet = index.get(p.outlet_id.as_str()).copied().unwrap_or(0);
                candidate_engineer(p, outlet, loads.engineer(&p.id))
            })
            .collect(),
        now: now().seconds,
        params: Vec::new(),
    };
    drop(index);
    Ok((
        request,
        Candidates {
            network,
            outlets,
            engineers,
        },
    ))
}
