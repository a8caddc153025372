//! Gathering a region's month: its outlets and people, the C grades of the
//! rolling year, the month's audits and licence credits, and every order
//! that the month's facts need (see `facts` for what each order says).

use std::collections::HashMap;
use std::sync::Arc;

use xingji_api::v1::{
    Audit, LicenceEventKind, Order, OrderKind, OrderStatus, Outlet, OutletGrade, Person,
};
use xingji_plugin_host::bindings::host::xingji::plugins::month::{
    MonthFacts, MonthOrder, OutletFacts,
};
use xingji_store::{
    AuditFilter, OrderFilter, OutletFilter, Page, PersonFilter, StoreError, ToSettle, prelude::*,
};

use crate::calendar::{DAY, Month};
use crate::error::{KernelError, Result};
use crate::ids::first_id_at;
use crate::month_close::facts::{MonthWindow, PART_WINDOW, Visit, order_fact, parts_used};
use crate::orders::sla::reached;
use crate::paging::read_all;
use crate::wit::outlet_status;

/// What the close read, and the month facts it made of it.
pub(crate) struct Gathered {
    pub outlets: Vec<Outlet>,
    pub outlet_facts: Vec<OutletFacts>,
    /// Person ids; `MonthOrder.engineer` indexes this.
    pub engineers: Vec<String>,
    pub people: HashMap<String, Person>,
    pub orders: Vec<Gleaned>,
    /// The quality-checked orders to settle, as read.
    pub to_settle: Vec<ToSettle>,
    /// The last order event seen before the orders were read: the store
    /// checks the events after it for orders that moved since.
    pub read_after: i64,
    /// C grades of each outlet in the 11 months before.
    pub c_months: HashMap<String, i32>,
    engineer_index: HashMap<String, u32>,
}

/// One order as the month sees it.
pub(crate) struct Gleaned {
    pub id: String,
    pub fact: MonthOrder,
    serial: String,
    completed_at: Option<i64>,
    repair: bool,
}

/// Orders read from the store at a time.
const BATCH: u32 = 1000;

impl Gathered {
    /// Reads `region`'s `month`.
    pub async fn read(shared: &Arc<dyn Store>, region: &str, month: Month) -> Result<Gathered> {
        // Shared: the orders are read on tasks of their own.
        let store = shared.as_ref();
        let failed = |error| KernelError::store(error, "region", region);
        let read_after = *store.order_events().borrow();
        let (outlets, people) = network(store, region).await.map_err(failed)?;
        let c_months = c_months(store, region, month).await.map_err(failed)?;
        let index: HashMap<String, u32> = outlets
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i as u32))
            .collect();
        let mut outlet_facts: Vec<OutletFacts> = outlets
            .iter()
            .map(|o| OutletFacts {
                status: outlet_status(o.status),
                c_months: c_months.get(&o.id).copied().unwrap_or(0) as u32,
                audits: 0,
                audit_score_sum: 0,
                delights: 0,
                improvements: 0,
            })
            .collect();
        count_audits(store, region, month, &index, &mut outlet_facts)
            .await
            .map_err(failed)?;
        count_credits(store, month, &people, &index, &mut outlet_facts)
            .await
            .map_err(failed)?;
        let mut gathered = Gathered {
            outlets,
            outlet_facts,
            engineers: Vec::new(),
            people,
            orders: Vec::new(),
            to_settle: Vec::new(),
            read_after,
            c_months,
            engineer_index: HashMap::new(),
        };
        gathered
            .read_orders(shared, region, month, &index)
            .await
            .map_err(failed)?;
        Ok(gathered)
    }

    /// The month facts the plugins get.
    pub fn month_facts(&self, month: Month) -> MonthFacts {
        MonthFacts {
            year: month.year,
            month: month.month,
            outlets: self.outlet_facts.clone(),
            engineers: self.engineers.len() as u32,
            orders: self.orders.iter().map(|g| g.fact).collect(),
        }
    }

    /// The index of engineer `id` in the month's engineers; `None` for none.
    fn engineer(&mut self, id: &str) -> Option<u32> {
        if id.is_empty() {
            return None;
        }
        // Looked up first: a million orders name far fewer engineers, and
        // `entry` would make a key for each.
        if let Some(&i) = self.engineer_index.get(id) {
            return Some(i);
        }
        let i = self.engineers.len() as u32;
        self.engineer_index.insert(id.to_owned(), i);
        self.engineers.push(id.to_owned());
        Some(i)
    }

    /// Every order of the region in batches: those the month's facts need,
    /// and every completed visit to a machine for the machine rules, which
    /// a second pass applies.
    async fn read_orders(
        &mut self,
        store: &Arc<dyn Store>,
        region: &str,
        month: Month,
        index: &HashMap<String, u32>,
    ) -> Result<(), StoreError> {
        let window = MonthWindow::of(month);
        let mut machines: HashMap<String, Vec<Visit>> = HashMap::new();
        let filter = OrderFilter {
            regions: Some(vec![region.to_owned()]),
            ..OrderFilter::default()
        };
        // The next page is read, and decoded by the store, on another task
        // while this one gleans the page before: with both on one task a
        // big region's gather used one core of two.
        let read = |after: Option<String>| {
            let (store, filter) = (Arc::clone(store), filter.clone());
            tokio::spawn(async move {
                let page = Page {
                    after,
                    limit: BATCH,
                };
                store.list_orders(&filter, &page).await
            })
        };
        let mut next = Some(read(None));
        while let Some(reading) = next.take() {
            let batch = reading
                .await
                .map_err(|error| StoreError::Backend(format!("reading orders: {error}")))??;
            if batch.len() == BATCH as usize {
                next = Some(read(batch.last().map(|o| o.id.clone())));
            }
            for order in batch {
                self.glean(order, &window, index, &mut machines);
            }
        }
        for gleaned in &mut self.orders {
            let (Some(at), Some(visits)) = (gleaned.completed_at, machines.get(&gleaned.serial))
            else {
                continue;
            };
            window.machine_rules(&mut gleaned.fact, at, gleaned.repair, visits);
        }
        Ok(())
    }

    /// Takes what the month needs of one order.
    fn glean(
        &mut self,
        order: Order,
        window: &MonthWindow,
        index: &HashMap<String, u32>,
        machines: &mut HashMap<String, Vec<Visit>>,
    ) {
        let completed_at = reached(&order, OrderStatus::Completed).map(|t| t.seconds);
        let repair = order.kind() == OrderKind::Repair;
        let serial = order
            .appliance
            .as_ref()
            .map(|a| a.serial.clone())
            .unwrap_or_default();
        if let Some(at) = completed_at
            && !serial.is_empty()
            && at >= window.start - PART_WINDOW - DAY
            && at < window.end
        {
            let engineer = self.engineer(&order.engineer_id);
            machines.entry(serial.clone()).or_default().push(Visit {
                completed_at: at,
                parts: parts_used(&order),
                repair,
                engineer,
            });
        }
        let Some(&outlet) = index.get(&order.outlet_id) else {
            return;
        };
        let Some(counts) = window.counts(&order, completed_at) else {
            return;
        };
        // Only the engineers of the month's orders are the month's.
        let engineer = self.engineer(&order.engineer_id);
        let fact = order_fact(&order, outlet, engineer, &counts, window);
        self.orders.push(Gleaned {
            id: order.id.clone(),
            fact,
            serial,
            completed_at,
            repair,
        });
        if counts.to_settle {
            self.to_settle.push(ToSettle::of(&order));
        }
    }
}

/// The region's outlets, and its people by id.
async fn network(
    store: &dyn Store,
    region: &str,
) -> Result<(Vec<Outlet>, HashMap<String, Person>), StoreError> {
    let outlets = read_all::<Outlet>(store, &OutletFilter::in_region(region)).await?;
    let people = read_all::<Person>(store, &PersonFilter::in_region(region)).await?;
    Ok((
        outlets,
        people.into_iter().map(|p| (p.id.clone(), p)).collect(),
    ))
}

/// C grades of the rolling year, from the closes of the 11 months before.
async fn c_months(
    store: &dyn Store,
    region: &str,
    month: Month,
) -> Result<HashMap<String, i32>, StoreError> {
    let mut c_months: HashMap<String, i32> = HashMap::new();
    let mut earlier = month;
    for _ in 0..11 {
        earlier = earlier.previous();
        match store.get_month_close(region, &earlier.to_string()).await {
            Ok(close) => {
                for o in close.outlets {
                    if o.grade() == OutletGrade::C {
                        *c_months.entry(o.outlet_id).or_default() += 1;
                    }
                }
            }
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(c_months)
}

/// The month's mystery-customer audits, per outlet.
async fn count_audits(
    store: &dyn Store,
    region: &str,
    month: Month,
    index: &HashMap<String, u32>,
    facts: &mut [OutletFacts],
) -> Result<(), StoreError> {
    let audits = read_all::<Audit>(store, &AuditFilter::in_region(region)).await?;
    let (start, end) = (month.start(), month.end());
    for audit in audits {
        let visited = audit.visit_time.map_or(0, |t| t.seconds);
        if let (true, Some(&i)) = ((start..end).contains(&visited), index.get(&audit.outlet_id)) {
            let facts = &mut facts[i as usize];
            facts.audits += 1;
            facts.audit_score_sum += audit.score.clamp(0, 100) as u32;
        }
    }
    Ok(())
}

/// Licence credits recorded in the month (by their ULID ids), per outlet
/// of the person credited.
async fn count_credits(
    store: &dyn Store,
    month: Month,
    people: &HashMap<String, Person>,
    index: &HashMap<String, u32>,
    facts: &mut [OutletFacts],
) -> Result<(), StoreError> {
    let (mut after, before) = (
        first_id_at("lic", month.start()),
        first_id_at("lic", month.end()),
    );
    loop {
        let events = store.licence_events_between(&after, &before, BATCH).await?;
        for event in &events {
            let outlet = people
                .get(&event.person_id)
                .and_then(|p| index.get(&p.outlet_id));
            let Some(&i) = outlet else { continue };
            let facts = &mut facts[i as usize];
            match event.kind() {
                LicenceEventKind::Delight => facts.delights += 1,
                LicenceEventKind::SmallImprovement => facts.improvements += 1,
                _ => {}
            }
        }
        match events.last() {
            Some(last) if events.len() == BATCH as usize => after.clone_from(&last.id),
            _ => return Ok(()),
        }
    }
}
