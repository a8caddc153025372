//! `WatchOrders`: a region's order events as they commit, from a cursor.

use tokio::sync::mpsc;
use xingji_api::v1::{OrderEvent, WatchOrdersRequest};
use xingji_store::EventFilter;

use crate::access;
use crate::actor::Actor;
use crate::error::{KernelError, Result, quoted};
use crate::orders::write::Orders;
use crate::permission::Permission::OrdersRead;

/// Events a watch reads from the store at a time.
const WATCH_BATCH: u32 = 256;

/// The events of a watch, as they come; it ends with an error when the
/// kernel shuts down, and when the watcher hangs up.
pub type Events = mpsc::Receiver<Result<OrderEvent>>;

impl Orders<'_> {
    /// `WatchOrders`: every order event after the request's cursor, then
    /// each new one as it commits. A client resuming from the last cursor
    /// it processed gets every later event exactly once.
    /// An outlet watches its own orders, an engineer the orders assigned
    /// to them, everyone else the regions they act in.
    pub async fn watch(&self, actor: &Actor, request: WatchOrdersRequest) -> Result<Events> {
        let regions = self
            .kernel
            .list_regions(actor, OrdersRead, &request.region)
            .await?;
        let outlet_id =
            access::own_filter(actor, actor.own_outlet(), OrdersRead, &request.outlet_id)?;
        let engineer = actor.own_person().map(str::to_owned);
        let store = self.kernel.store.clone();
        // Subscribe before reading, so no commit falls between the two.
        let mut committed = store.order_events();
        let last = *committed.borrow_and_update();
        let after = match request.after_cursor.as_str() {
            "" => last,
            cursor => match cursor.parse::<i64>() {
                Ok(seq) if (0..=last).contains(&seq) => seq,
                Ok(_) => {
                    return Err(KernelError::invalid(
                        "after_cursor",
                        format!(
                            "{} is ahead of the event log: was the store replaced?",
                            quoted(cursor)
                        ),
                    ));
                }
                Err(_) => {
                    return Err(KernelError::invalid(
                        "after_cursor",
                        format!("{} is not a cursor from this server", quoted(cursor)),
                    ));
                }
            },
        };
        let mut filter = EventFilter {
            after,
            regions,
            outlet_id,
        };
        let mut stopping = self.kernel.stopping.clone();
        let (sender, receiver) = mpsc::channel(WATCH_BATCH as usize);
        tokio::spawn(async move {
            loop {
                let events = match store.list_order_events(&filter, WATCH_BATCH).await {
                    Ok(events) => events,
                    Err(error) => {
                        let _ = sender
                            .send(Err(KernelError::store(error, "order event", "")))
                            .await;
                        return;
                    }
                };
                if events.is_empty() {
                    let stop = *stopping.borrow_and_update();
                    if stop {
                        let error = KernelError::Unavailable(
                            "the server is shutting down: reconnect with your last cursor"
                                .to_owned(),
                        );
                        let _ = sender.send(Err(error)).await;
                        return;
                    }
                    tokio::select! {
                        changed = committed.changed() => if changed.is_err() { return },
                        _ = stopping.changed() => {}
                        _ = sender.closed() => return,
                    }
                    continue;
                }
                for event in events {
                    filter.after = event.cursor.parse().unwrap_or(filter.after);
                    if engineer
                        .as_ref()
                        .is_some_and(|own| *own != event.engineer_id)
                    {
                        continue;
                    }
                    if sender.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(receiver)
    }
}
