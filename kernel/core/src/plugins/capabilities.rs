//! What the kernel gives a plugin call behind the `records`, `kv` and
//! `order-writer` capabilities, for one call in one region.
//!
//! `records` reads only the calling region. `kv` reads see the call's own
//! writes; the writes are kept aside, bounded as they come in
//! ([`PendingWrites`]), and applied together, by [`Capabilities::commit`],
//! only when the call succeeded, so a failed call leaves the store as it
//! was. `order-writer` creates orders at once,
//! through the same intake as `CreateOrder`; each is idempotent on its
//! request key, so a call that failed half-way can simply be run again.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use xingji_api::google::r#type::Date;
use xingji_api::v1::{Appliance, AuditEvent, Customer, GeoPoint, Order, Outlet, Person};
use xingji_plugin_host::HostServices;
use xingji_plugin_host::bindings::host::xingji::plugins::{order_writer, types as wit};
use xingji_store::{CreateOutcome, OrderFilter, OutletFilter, Page, PersonFilter, StoreError, prelude::*};

use crate::actor::Actor;
use crate::audit;
use crate::calendar::today;
use crate::orders::intake::new_order;
use crate::paging::Listed;
use crate::plugins::kv_writes::{
    KV_TOTAL_BYTES, PendingWrites, check_bound, check_key, check_value, over_quota,
};
use crate::settings::SlaTargets;
use crate::validate::{self, Violations};
use crate::wit as wit_records;

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
    /// The call's kv writes. An async lock: a write reads the store (the
    /// plugin's usage, the key's stored size) while it holds it.
    writes: tokio::sync::Mutex<PendingWrites>,
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
            writes: tokio::sync::Mutex::new(PendingWrites::default()),
            created: Mutex::new(Vec::new()),
        })
    }

    /// The orders this call created (not those it found made already).
    pub fn created(&self) -> Vec<Order> {
        std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Applies the call's key-value writes, all or none, with `audit` (not
    /// appended when the call wrote nothing). Only after the call succeeded.
    /// Nothing is written if a write was refused for a bound (the call's or
    /// the quota): the call fails with that refusal.
    pub async fn commit(&self, audit: AuditEvent) -> Result<(), Commit> {
        let writes = self.writes.lock().await.take().map_err(Commit::Refused)?;
        if writes.is_empty() {
            return Ok(());
        }
        self.store
            .kv_apply(&self.region, &self.plugin, &writes, KV_TOTAL_BYTES, audit)
            .await
            .map_err(|error| match error {
                StoreError::Quota { used, .. } => Commit::Refused(over_quota(used)),
                error => Commit::Store(error),
            })
    }

    /// Checks and keeps a kv write (`None` deletes), reading what the
    /// bounds need from the store the first time: the plugin's usage once
    /// per call, a key's stored size once per key. The inner error is this
    /// write's refusal; the outer one traps.
    async fn kv_write(
        &self,
        key: String,
        value: Option<Vec<u8>>,
    ) -> Result<Result<(), String>, String> {
        let mut pending = self.writes.lock().await;
        // A call that writes on after a refusal fails anyway: it ends now,
        // not after thousands more writes the host must copy in and drop.
        if let Err(why) = pending.refused() {
            return Err(format!("{why}; the call wrote on after that refusal"));
        }
        if pending.needs_usage() {
            let usage = self.store.kv_usage(&self.region, &self.plugin).await;
            pending.set_usage(usage.map_err(failed)?);
        }
        let stored = if pending.needs_stored(&key) {
            self.store
                .kv_entry_bytes(&self.region, &self.plugin, &key)
                .await
                .map_err(failed)?
        } else {
            0
        };
        Ok(pending.write(key, value, stored))
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

/// Why a commit wrote nothing.
#[derive(Debug)]
pub enum Commit {
    /// A write was refused for a bound (the call's or the quota): the
    /// plugin's fault, named in the message.
    Refused(String),
    /// The store failed.
    Store(StoreError),
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
        check_key(&key)?;
        if let Some(pending) = self.writes.lock().await.get(&key) {
            return Ok(pending.map(<[u8]>::to_vec));
        }
        self.store
            .kv_get(&self.region, &self.plugin, &key)
            .await
            .map_err(failed)
    }

    async fn kv_set(&self, key: String, value: Vec<u8>) -> Result<Result<(), String>, String> {
        if let Err(why) = check_key(&key).and_then(|()| check_value(&value)) {
            return Ok(Err(why));
        }
        self.kv_write(key, Some(value)).await
    }

    async fn kv_delete(&self, key: String) -> Result<(), String> {
        check_key(&key)?;
        self.kv_write(key, None).await?
    }

    async fn kv_list_keys(
        &self,
        prefix: String,
        after: String,
        limit: u32,
    ) -> Result<Vec<String>, String> {
        check_bound("prefix", &prefix)?;
        check_bound("after", &after)?;
        let limit = limit.min(RECORDS_PAGE);
        // Stored keys, then this call's own writes over them.
        let pending = self.writes.lock().await.keys_in(&prefix, &after);
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
        let mut keys: BTreeSet<String> = stored.into_iter().collect();
        for (key, set) in pending {
            if set {
                keys.insert(key);
            } else {
                keys.remove(&key);
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
            .create_order(&request_id, &fingerprint, crate::orders::sla::indexed(order), audit)
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
