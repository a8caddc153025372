//! The orders a run sends: valid REPAIR orders placed around a region's
//! real outlets, each with a unique serial and request id.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    Appliance, CreateOrderRequest, Customer, GeoPoint, Order, OrderKind, OutletStatus, OutletTier,
    ProductLine,
};

use crate::net::all_outlets;

/// How far a customer may be from the outlet the order is placed around,
/// in degrees (about 2 km): well inside the default 30-minute service
/// radius, so that dispatch has candidates, yet spread enough that the
/// nearest outlet is not always the same one.
const CUSTOMER_JITTER_DEG: f64 = 0.02;

/// A place orders are put around: an active service outlet's location and
/// the product lines it serves.
#[derive(Debug, Clone)]
pub struct Spot {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// The outlet's product lines (`ProductLine` values).
    pub lines: Vec<i32>,
}

/// What a run knows of one region: where its outlets are.
#[derive(Debug, Clone)]
pub struct RegionNetwork {
    /// The region id.
    pub region: String,
    /// Its active star centres and sub-outlets (the outlets that serve
    /// customers); empty when the region has none.
    pub spots: Vec<Spot>,
}

impl RegionNetwork {
    /// Reads `region`'s outlets, as `credential`. A region without service outlets still
    /// gets orders (at a fixed place in Shanghai, for refrigerators), so
    /// that a run against it shows what the kernel answers.
    /// If the outlets cannot be listed (a region id the kernel refuses),
    /// that is said on standard error and the orders are sent all the same,
    /// so that the run counts what CreateOrder answers them.
    pub async fn load(channel: &Channel, credential: &AsciiMetadataValue, region: &str) -> Self {
        let outlets = match all_outlets(channel, credential, region).await {
            Ok(outlets) => outlets,
            Err(error) => {
                eprintln!("xingji-load: cannot list the outlets of {region:?}: {error}");
                Vec::new()
            }
        };
        let spots: Vec<Spot> = outlets
            .into_iter()
            .filter(|o| {
                o.status == OutletStatus::Active as i32
                    && (o.tier == OutletTier::StarCentre as i32
                        || o.tier == OutletTier::SubOutlet as i32)
                    && !o.product_lines.is_empty()
            })
            .filter_map(|o| {
                let at = o.location?;
                Some(Spot {
                    lat: at.lat,
                    lon: at.lon,
                    lines: o.product_lines,
                })
            })
            .collect();
        if spots.is_empty() {
            eprintln!(
                "xingji-load: region {region:?} has no active star centres or sub-outlets: its orders go to a fixed place and will find none"
            );
        }
        Self {
            region: region.to_owned(),
            spots,
        }
    }
}

/// SplitMix64: a tiny, well-mixed generator, enough to vary orders without
/// a dependency; seeded from the order's number so every order is
/// reproducible from it.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A uniform number in [-1, 1) from `bits`.
pub fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// Makes the orders of one run. Request ids and serials embed a nonce of
/// the run, so a second run against the same store never collides with the
/// first (a collision would be an idempotent replay, not a new order).
#[derive(Debug, Clone)]
pub struct OrderMaker {
    nonce: String,
}

impl OrderMaker {
    /// A maker with a fresh nonce: the time, the process id and a count of
    /// the makers of this process.
    pub fn new() -> Self {
        static MADE: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let seed =
            nanos ^ (u64::from(std::process::id()) << 32) ^ MADE.fetch_add(1, Ordering::Relaxed);
        Self {
            nonce: format!("{:x}", mix(seed)),
        }
    }

    /// The `k`th order of the run, in `network`'s region.
    pub fn make(&self, network: &RegionNetwork, k: u64) -> CreateOrderRequest {
        let r = mix(k ^ 0x5eed);
        let (lat, lon, line) = match network.spots.as_slice() {
            [] => (31.19, 121.43, ProductLine::Refrigerator as i32),
            spots => {
                let spot = &spots[(r % spots.len() as u64) as usize];
                // Half the orders are refrigerators, the engineers' common
                // skill; the rest any line the outlet serves.
                let line = if spot.lines.contains(&(ProductLine::Refrigerator as i32))
                    && mix(r).is_multiple_of(2)
                {
                    ProductLine::Refrigerator as i32
                } else {
                    spot.lines[(mix(r ^ 1) % spot.lines.len() as u64) as usize]
                };
                let lat = spot.lat + CUSTOMER_JITTER_DEG * unit(mix(r ^ 2));
                let lon = spot.lon + CUSTOMER_JITTER_DEG * unit(mix(r ^ 3));
                (lat, lon, line)
            }
        };
        let line_name = ProductLine::try_from(line)
            .unwrap_or_default()
            .as_str_name()
            .trim_start_matches("PRODUCT_LINE_");
        let days = mix(r ^ 4);
        CreateOrderRequest {
            request_id: format!("xingji-load-{}-{k}", self.nonce),
            order: Some(Order {
                region: network.region.clone(),
                kind: OrderKind::Repair as i32,
                customer: Some(Customer {
                    name: format!("Load customer {k}"),
                    phone: format!("139{:08}", mix(r ^ 5) % 100_000_000),
                    address: format!("{} Load Test Road, {}", k % 9999 + 1, network.region),
                    location: Some(GeoPoint { lat, lon }),
                    vip: false,
                }),
                appliance: Some(Appliance {
                    product_line: line,
                    model: format!("LD-{line_name}"),
                    serial: format!("LD{}{k:010}", self.nonce),
                    purchase_date: Some(Date {
                        year: 2018 + (days % 7) as i32,
                        month: 1 + ((days >> 8) % 12) as i32,
                        day: 1 + ((days >> 16) % 28) as i32,
                    }),
                    price_fen: 100_000 + (mix(r ^ 6) % 900_000) as i64,
                }),
                description: "load test: does not work".into(),
                ..Order::default()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network() -> RegionNetwork {
        RegionNetwork {
            region: "shanghai".into(),
            spots: vec![Spot {
                lat: 31.2,
                lon: 121.5,
                lines: vec![
                    ProductLine::Refrigerator as i32,
                    ProductLine::WashingMachine as i32,
                ],
            }],
        }
    }

    #[test]
    fn orders_are_unique_near_their_outlet_and_of_its_lines() {
        let maker = OrderMaker::new();
        let net = network();
        let a = maker.make(&net, 1);
        let b = maker.make(&net, 2);
        assert_ne!(a.request_id, b.request_id);
        let (a, b) = (a.order.unwrap_or_default(), b.order.unwrap_or_default());
        let serial = |o: &Order| o.appliance.clone().unwrap_or_default().serial;
        assert_ne!(serial(&a), serial(&b));
        assert!(serial(&a).len() <= 64);
        for k in 0..200 {
            let order = maker.make(&net, k).order.unwrap_or_default();
            let at = order.customer.and_then(|c| c.location).unwrap_or_default();
            assert!((at.lat - 31.2).abs() <= CUSTOMER_JITTER_DEG);
            assert!((at.lon - 121.5).abs() <= CUSTOMER_JITTER_DEG);
            let line = order.appliance.unwrap_or_default().product_line;
            assert!(net.spots[0].lines.contains(&line));
        }
    }

    #[test]
    fn two_makers_never_share_request_ids() {
        let net = network();
        assert_ne!(
            OrderMaker::new().make(&net, 0).request_id,
            OrderMaker::new().make(&net, 0).request_id
        );
    }
}
