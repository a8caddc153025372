//! What the kernel gives a plugin call behind the `records`, `kv` and
//! `order-writer` capabilities, for one call in one region.
//!
//! `records` reads only the calling region. `kv` reads see the call's own
//! writes; the writes are kept aside and applied together, by
//! [`Capabilities::commit`], only when the call succeeded, so a failed call
//! leaves the store as it was. `order-writer` creates orders at once,
//! through the same intake as `CreateOrder`; each is idempotent on its
//! request key, so a call that failed half-way can simply be run again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use xingji_api::google::r#type::Date;
use xingji_api::v1::{Appliance, AuditEvent, Customer, GeoPoint, Order, Outlet, Person};
use xingji_plugin_host::HostServices;
use xingji_plugin_host::bindings::host::xingji::plugins::{order_writer, types as wit};
use xingji_store::{
    CreateOutcome, OrderFilter, OutletFilter, Page, PersonFilter, Store, StoreError,
};

use crate::actor::Actor;
use crate::audit;
use crate::calendar::today;
use crate::orders::intake::new_order;
use crate::paging::Listed;
use crate::settings::SlaTargets;
use crate::validate::{self, Violations};
use crate::wit as wit_records;

/// The longest key, in bytes.
pub const KV_KEY_BYTES: usize = 256;
/// The largest value, in bytes.
pub const KV_VALUE_BYTES: usize = 64 << 10;
/// The most one plugin may keep in one region, keys and values.
pub const KV_TOTAL_BYTES: u64 = 16 << 20;
/// The most records one `list-*` call returns.
pub const RECORDS_PAGE: u32 = 1000;

/// The capabilities of one call.
pub struct Capabilities {
    store: Arc<dyn Store>,
    region: String,
    plugin: String,
    sla: SlaTargets,
    /// Whom the call is for: the audit trail's principal of what it writes.
    by: Actor,
    writes: Mutex<BTreeMap<String, Option<Vec<u8>>>>,
    /// The orders `order-writer` created in this call.
    created: Mutex<Vec<Order>>,
}

impl Capabilities {
    /// For a call of `plugin` (its namespace: `publisher/name`) in `region` for `by`, whose
    /// orders run on the SLA targets `sla`.
    pub fn new(
        store: Arc<dyn Store>,
        region: &str,
        plugin: &str,
        sla: SlaTargets,
        by: &Actor,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            by: by.clone(),
            region: region.to_owned(),
            plugin: plugin.to_owned(),
            sla,
            writes: Mutex::new(BTreeMap::new()),
            created: Mutex::new(Vec::new()),
        })
    }

    fn writes(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Option<Vec<u8>>>> {
        self.writes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The orders this call created (not those it found made already).
    pub fn created(&self) -> Vec<Order> {
        std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Applies the call's key-value writes, all or none, with `audit` (not
    /// appended when the call wrote nothing). Only after the call succeeded.
    pub async fn commit(&self, audit: AuditEvent) -> Result<(), StoreError> {
        let writes: Vec<(String, Option<Vec<u8>>)> =
            std::mem::take(&mut *self.writes()).into_iter().collect();
        if writes.is_empty() {
            return Ok(());
        }
        self.store
            .kv_apply(&self.region, &self.plugin, &writes, KV_TOTAL_BYTES, audit)
            .await
    }

    /// One page of the region's records for a `records.list-*` call.
    async fn list<R: Listed>(
        &self,
        filter: &R::Filter,
        after: String,
        limit: u32,
    ) -> Result<Vec<R>, String> {
        let page = Page {
            after: (!after.is_empty()).then_some(after),
            limit: limit.min(RECORDS_PAGE),
        };
        R::fetch(self.store.as_ref(), filter, &page)
            .await
            .map_err(failed)
    }
}

fn failed(error: StoreError) -> String {
    tracing::error!(%error, "a plugin capability failed");
    "the kernel's store failed; try again".to_owned()
}

/// `None` for a missing record or one of another region.
fn in_region<T>(
    found: Result<T, StoreError>,
    region: impl Fn(&T) -> bool,
) -> Result<Option<T>, String> {
    match found {
        Ok(record) if region(&record) => Ok(Some(record)),
        Ok(_) | Err(StoreError::NotFound) => Ok(None),
        Err(error) => Err(failed(error)),
    }
}

#[async_trait::async_trait]
impl HostServices for Capabilities {
    async fn get_outlet(&self, id: String) -> Result<Option<wit::Outlet>, String> {
        let found = in_region(self.store.get_outlet(&id).await, |o| {
            o.region == self.region
        })?;
        Ok(found.as_ref().map(wit_records::outlet))
    }

    async fn list_outlets(&self, after: String, limit: u32) -> Result<Vec<wit::Outlet>, String> {
        let filter = OutletFilter::in_region(&self.region);
        let outlets = self.list::<Outlet>(&filter, after, limit).await?;
        Ok(outlets.iter().map(wit_records::outlet).collect())
    }

    async fn get_person(&self, id: String) -> Result<Option<wit::Person>, String> {
        let found = in_region(self.store.get_person(&id).await, |p| {
            p.region == self.region
        })?;
        Ok(found.as_ref().map(wit_records::person))
    }

    async fn list_people(
        &self,
        outlet_id: String,
        after: String,
        limit: u32,
    ) -> Result<Vec<wit::Person>, String> {
        let filter = PersonFilter {
            outlet_id: (!outlet_id.is_empty()).then_some(outlet_id),
            ..PersonFilter::in_region(&self.region)
        };
        let people = self.list::<Person>(&filter, after, limit).await?;
        Ok(people.iter().map(wit_records::person).collect())
    }

    async fn get_order(&self, id: String) -> Result<Option<wit::Order>, String> {
        let found = in_region(self.store.get_order(&id).await, |o| o.region == self.region)?;
        Ok(found.as_ref().map(wit_records::order))
    }

    async fn list_orders(&self, after: String, limit: u32) -> Result<Vec<wit::Order>, String> {
        let filter = OrderFilter::in_region(&self.region);
        let orders = self.list::<Order>(&filter, after, limit).await?;
        Ok(orders.iter().map(wit_records::order).collect())
    }

    async fn kv_get(&self, key: String) -> Result<Option<Vec<u8>>, String> {
        if let Some(pending) = self.writes().get(&key) {
            return Ok(pending.clone());
        }
        self.store
            .kv_get(&self.region, &self.plugin, &key)
            .await
            .map_err(failed)
    }

    async fn kv_set(&self, key: String, value: Vec<u8>) -> Result<(), String> {
        if key.is_empty() || key.len() > KV_KEY_BYTES {
            return Err(format!("a key is 1 to {KV_KEY_BYTES} bytes"));
        }
        if value.len() > KV_VALUE_BYTES {
            return Err(format!("a value is at most {KV_VALUE_BYTES} bytes"));
        }
        self.writes().insert(key, Some(value));
        Ok(())
    }

    async fn kv_delete(&self, key: String) -> Result<(), String> {
        self.writes().insert(key, None);
        Ok(())
    }

    async fn kv_list_keys(
        &self,
        prefix: String,
        after: String,
        limit: u32,
    ) -> Result<Vec<String>, String> {
        let limit = limit.min(RECORDS_PAGE);
        // Stored keys, then this call's own writes over them.
        let pending = self.writes().clone();
        let stored = self
            .store
            .kv_keys(
                &self.region,
                &self.plugin,
                &prefix,
                &after,
                limit.saturating_add(pending.len() as u32),
            )
            .await
            .map_err(failed)?;
        let mut keys: std::collections::BTreeSet<String> = stored.into_iter().collect();
        for (key, value) in pending {
            if key.starts_with(&prefix) && key > after {
                match value {
                    Some(_) => keys.insert(key),
                    None => keys.remove(&key),
                };
            }
        }
        Ok(keys.into_iter().take(limit as usize).collect())
    }

    async fn create_order(&self, new: order_writer::NewOrder) -> Result<String, String> {
        let order = Order {
            region: self.region.clone(),
            kind: wit_records::order_kind_from(new.kind) as i32,
            customer: Some(Customer {
                name: new.customer_name,
                phone: new.customer_phone,
                address: new.customer_address,
                location: Some(GeoPoint {
                    lat: new.customer_location.lat,
                    lon: new.customer_location.lon,
                }),
                vip: new.vip,
            }),
            appliance: Some(Appliance {
                product_line: wit_records::product_line_from(new.product_line) as i32,
                model: new.model,
                serial: new.serial,
                purchase_date: new.purchase_date.map(|d| Date {
                    year: d.year,
                    month: d.month.into(),
                    day: d.day.into(),
                }),
                price_fen: new.price,
            }),
            description: new.description,
            ..Order::default()
        };
        let mut violations = Violations::default();
        validate::order(&mut violations, "order", &order, today());
        if let Err(error) = violations.into_result() {
            return Err(error.to_string());
        }
        if new.request_key.is_empty() || new.request_key.len() > 100 {
            return Err("request-key must be 1 to 100 bytes".to_owned());
        }
        // The plugin's name scopes its keys: two plugins never collide.
        let request_id = format!("plugin:{}:{}", self.plugin, new.request_key);
        let (fingerprint, order) = new_order(order, format!("plugin:{}", self.plugin), &self.sla);
        let audit = audit::event(
            &self.by,
            "orders.create",
            format!("orders/{}", order.id),
            &order.region,
        );
        match self
            .store
            .create_order(&request_id, &fingerprint, order, audit)
            .await
            .map_err(failed)?
        {
            CreateOutcome::Created(order) => {
                let id = order.id.clone();
                self.created
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(order);
                Ok(id)
            }
            // The key names what the plugin makes (a birthday's visit, say):
            // made once, it is that order, even if the details changed since.
            CreateOutcome::Existing { order, .. } => Ok(order.id),
        }
    }
}
