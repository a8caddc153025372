//! The two ways of sending CreateOrder: a closed loop (a fixed number of
//! callers, each sending its next order when the last one is answered) and
//! an open loop (orders go out on a fixed schedule whatever the answers).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tonic::Status;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use xingji_api::v1::Order;
use xingji_api::v1::order_service_client::OrderServiceClient;

use crate::net::acting;
use crate::workload::{OrderMaker, RegionNetwork, mix};

/// Where a run's orders go: its connections, its regions and who sends.
pub struct Load {
    /// The HTTP/2 connections; each order picks one.
    pub channels: Vec<Channel>,
    /// The regions; order `k` goes to region `k % len`, round-robin.
    pub networks: Vec<RegionNetwork>,
    /// Makes each order.
    pub maker: OrderMaker,
    /// The credential of every CreateOrder (`Bearer <token>`).
    pub credential: AsciiMetadataValue,
}

/// One answer, as a sink sees it.
pub struct Answer<'a> {
    /// The index of the order's region in [`Load::networks`].
    pub region: usize,
    /// When the order was meant to go out: its schedule slot in an open
    /// loop, its actual send time in a closed one.
    pub intended: Instant,
    /// From `intended` to the answer.
    pub latency: Duration,
    /// What the server answered.
    pub result: &'a Result<Order, Status>,
}

/// Takes every answer of a run; the command decides what to count where.
pub type Sink = Arc<dyn Fn(Answer<'_>) + Send + Sync>;

impl Load {
    /// The load for `regions` (their networks read once, over the first
    /// connection), sent with `credential`.
    pub async fn new(
        channels: Vec<Channel>,
        regions: &[&str],
        credential: AsciiMetadataValue,
    ) -> Self {
        let mut networks = Vec::new();
        for region in regions {
            networks.push(RegionNetwork::load(&channels[0], &credential, region).await);
        }
        Load {
            channels,
            networks,
            maker: OrderMaker::new(),
            credential,
        }
    }

    /// Sends order `k`; returns its region index and the answer.
    async fn send(&self, k: u64) -> (usize, Result<Order, Status>) {
        let region = (k % self.networks.len() as u64) as usize;
        let request = self.maker.make(&self.networks[region], k);
        // Connections are picked by a hash of `k`, not `k % n`: with as
        // many regions as connections, round-robin would pin each region
        // to one connection.
        let channel = &self.channels[(mix(k) % self.channels.len() as u64) as usize];
        let mut client = OrderServiceClient::new(channel.clone());
        let result = client
            .create_order(acting(&self.credential, request))
            .await
            .map(tonic::Response::into_inner);
        (region, result)
    }
}

/// `concurrency` callers, each sending orders back to back until `stop`.
/// Latency runs from each send, so a slow server shows as fewer orders,
/// not as higher latency: that is what a closed loop measures.
pub async fn closed_loop(load: Arc<Load>, concurrency: usize, stop: Arc<AtomicBool>, sink: Sink) {
    let next = Arc::new(AtomicU64::new(0));
    let mut callers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (load, stop, sink, next) = (load.clone(), stop.clone(), sink.clone(), next.clone());
        callers.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let (region, result) = load.send(k).await;
                sink(Answer {
                    region,
                    intended: sent,
                    latency: sent.elapsed(),
                    result: &result,
                });
            }
        });
    }
    while callers.join_next().await.is_some() {}
}

/// How well the open loop kept its own schedule.
pub struct Schedule {
    /// How late each order left after its slot, in microseconds: if the
    /// driver itself falls behind (two cores shared with the server), this
    /// says so, and the latencies already include it.
    pub lag: Histogram<u64>,
}

/// Sends `rate` orders a second (more than 0) from `start` until `stop`. Order `k` is due
/// at `start + k / rate`, and its latency runs from that instant, not from
/// when it actually left: when the server (or the driver) stalls, the orders
/// that queue behind the stall count the wait, instead of the stall
/// silently slowing the sender down (coordinated omission). Every answer is
/// awaited before this returns; the channel timeout bounds the wait.
pub async fn open_loop(
    load: Arc<Load>,
    rate: f64,
    start: Instant,
    stop: Arc<AtomicBool>,
    sink: Sink,
) -> Schedule {
    let mut lag = Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .expect("1 µs to an hour at 3 significant digits are valid bounds");
    let nanos_per_order = 1e9 / rate;
    let mut in_flight = JoinSet::new();
    let mut k = 0u64;
    'schedule: while !stop.load(Ordering::Relaxed) {
        let intended = start + Duration::from_nanos((k as f64 * nanos_per_order) as u64);
        // Tokio's timer has millisecond ticks, so at high rates orders go
        // out in small bursts each tick; their latency still counts from
        // their own slot, so a burst never flatters the numbers. At low
        // rates the wait is cut into short naps so that `stop` is seen.
        while intended > Instant::now() {
            if stop.load(Ordering::Relaxed) {
                break 'schedule;
            }
            sleep_until(intended.min(Instant::now() + Duration::from_millis(100))).await;
        }
        let late = u64::try_from(intended.elapsed().as_micros()).unwrap_or(u64::MAX);
        lag.saturating_record(late.max(1));
        let (load, sink) = (load.clone(), sink.clone());
        in_flight.spawn(async move {
            let (region, result) = load.send(k).await;
            sink(Answer {
                region,
                intended,
                latency: intended.elapsed(),
                result: &result,
            });
        });
        k += 1;
        // Reap finished tasks as we go so that a long run does not keep
        // every finished task's slot until the end.
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
    Schedule { lag }
}

/// Sets `stop` at `end`: how a fixed-length run ends its loop.
pub fn stop_at(end: Instant, stop: Arc<AtomicBool>) {
    tokio::spawn(async move {
        sleep_until(end).await;
        stop.store(true, Ordering::Relaxed);
    });
}
