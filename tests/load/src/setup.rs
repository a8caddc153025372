//! `xingji-load setup`: grows a region's network over gRPC, so that the
//! intake benchmark dispatches among many real candidates.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use clap::Args;
use serde_json::json;
use tokio::time::Instant;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::{
    CertificationLevel, CreateOutletRequest, CreatePersonRequest, GeoPoint, Outlet, OutletClass,
    OutletTier, Person, PersonLevel, ProductLine, Skill,
};

use crate::credentials::{CallerArgs, bearer};
use crate::net::{acting, all_outlets, connect};
use crate::workload::{mix, unit};
use crate::{Report, Result, Target};

/// How far a new outlet may be from the existing outlet it is placed by, in
/// degrees (about 3 km): new outlets fill in the region's real geography.
const OUTLET_JITTER_DEG: f64 = 0.03;
/// How far an engineer may be from their outlet, in degrees (about 1 km).
const ENGINEER_JITTER_DEG: f64 = 0.01;
/// One new outlet in this many is a star centre; the rest are sub-outlets
/// under star centres, roughly the demo network's shape.
const STAR_EVERY: usize = 5;
/// What the new outlets serve: the white goods, refrigerators first.
const LINES: [ProductLine; 4] = [
    ProductLine::Refrigerator,
    ProductLine::WashingMachine,
    ProductLine::AirConditioner,
    ProductLine::WaterHeater,
];

/// `setup` options.
#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// Server and output options.
    #[command(flatten)]
    pub target: Target,
    /// The region to grow; it must have a regional centre already.
    #[arg(long)]
    pub region: String,
    /// Grow the region to at least this many outlets in all (nothing is
    /// created if it has that many already, so running twice is safe).
    #[arg(long, default_value_t = 100)]
    pub outlets: usize,
    /// Engineers to create at each new outlet, on duty, skilled in
    /// refrigerators.
    #[arg(long, default_value_t = 3)]
    pub engineers_per_outlet: usize,
    /// Daily capacity of each new outlet. Open orders count against it, so
    /// a minute of intake at thousands per second fills realistic ones
    /// (60 for star centres, 30 for sub-outlets, when 0) and the rest of
    /// the run measures refusals; the intake benchmark sets it high.
    #[arg(long, default_value_t = 0)]
    pub capacity: i32,
    /// Who creates the outlets and engineers (regional IT of the region,
    /// or headquarters).
    #[command(flatten)]
    pub caller: CallerArgs,
}

/// Who grows the network unless the flags say: headquarters.
pub const SETUP_AS: &str = "hq:demo";

fn near(at: &GeoPoint, jitter: f64, seed: u64) -> GeoPoint {
    GeoPoint {
        lat: at.lat + jitter * unit(mix(seed)),
        lon: at.lon + jitter * unit(mix(seed ^ 0xa5a5)),
    }
}

/// Grows `args.region` on the server at `addr`, finding saved tokens in
/// `tokens_dir`.
pub async fn run(args: &SetupArgs, addr: &str, tokens_dir: &Path) -> Result<Report> {
    let started = Instant::now();
    let actor = bearer(args.caller.source(), SETUP_AS, tokens_dir)?;
    let channel = connect(addr, 1, Duration::from_secs(30)).await?.remove(0);
    let mut outlets_api = OutletServiceClient::new(channel.clone());
    let mut people_api = PersonServiceClient::new(channel.clone());
    let region = args.region.as_str();

    let existing = all_outlets(&channel, &actor, region).await?;
    let before = existing.len();
    if before >= args.outlets {
        let text = format!(
            "setup: region {region} has {before} outlets already (asked for {}): nothing to do\n",
            args.outlets
        );
        let json = json!({
            "command": "setup", "addr": addr, "region": region,
            "outlets_before": before, "outlets_after": before,
            "created_outlets": 0, "created_engineers": 0, "skipped": true,
        });
        return Ok(Report { text, json });
    }
    let centre = existing
        .iter()
        .find(|o| o.tier == OutletTier::RegionalCentre as i32)
        .ok_or_else(|| {
            format!(
                "region {region:?} has no regional centre to grow under ({before} outlets): start the server with --demo, or create one"
            )
        })?;
    let service_tier = |o: &Outlet| {
        o.tier == OutletTier::StarCentre as i32 || o.tier == OutletTier::SubOutlet as i32
    };
    // New outlets are placed by the region's existing service outlets (the
    // regional centre itself if there are none), so that customers of the
    // intake benchmark, also placed by them, are in their radius.
    let mut anchors: Vec<GeoPoint> = existing
        .iter()
        .filter(|o| service_tier(o))
        .filter_map(|o| o.location)
        .collect();
    if anchors.is_empty() {
        anchors.extend(centre.location);
    }
    if anchors.is_empty() {
        return Err(format!("region {region:?}: its regional centre has no location").into());
    }
    let mut stars: Vec<String> = existing
        .iter()
        .filter(|o| o.tier == OutletTier::StarCentre as i32)
        .map(|o| o.id.clone())
        .collect();
    let mut numbers: HashSet<String> = existing.iter().map(|o| o.number.clone()).collect();
    let code: String = region
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(2)
        .collect::<String>()
        .to_ascii_uppercase();

    let wanted = args.outlets - before;
    eprintln!(
        "xingji-load: setup: region {region} has {before} outlets; creating {wanted}, {} engineers each",
        args.engineers_per_outlet
    );
    let (mut created_stars, mut created_subs, mut created_engineers) = (0usize, 0usize, 0usize);
    let mut serial = 0u64;
    for i in 0..wanted {
        // A number no outlet of the region has: earlier runs' numbers are
        // skipped, so a rerun after a partial one continues cleanly.
        let number = loop {
            serial += 1;
            let candidate = format!("{code}-LD{serial:04}");
            if numbers.insert(candidate.clone()) {
                break candidate;
            }
        };
        let seed = mix(serial ^ 0x5e7u64);
        let star = stars.is_empty() || i % STAR_EVERY == 0;
        let (tier, class, parent_id, kind) = if star {
            (
                OutletTier::StarCentre,
                OutletClass::Standard,
                centre.id.clone(),
                "星级服务中心",
            )
        } else {
            let parent = stars[(seed % stars.len() as u64) as usize].clone();
            (
                OutletTier::SubOutlet,
                OutletClass::Umbrella,
                parent,
                "社区服务店",
            )
        };
        let anchor = &anchors[(seed % anchors.len() as u64) as usize];
        let location = near(anchor, OUTLET_JITTER_DEG, seed);
        let outlet = outlets_api
            .create_outlet(acting(
                &actor,
                CreateOutletRequest {
                    outlet: Some(Outlet {
                        region: region.to_owned(),
                        name: format!("{region} 负载测试{kind} {number}"),
                        number: number.clone(),
                        tier: tier as i32,
                        class: class as i32,
                        parent_id,
                        location: Some(location),
                        address: format!("{number} Load Test Road, {region}"),
                        service_radius_minutes: 30,
                        product_lines: LINES.iter().map(|&l| l as i32).collect(),
                        daily_capacity: match (args.capacity, star) {
                            (0, true) => 60,
                            (0, false) => 30,
                            (capacity, _) => capacity,
                        },
                        ..Outlet::default()
                    }),
                },
            ))
            .await?
            .into_inner();
        if star {
            stars.push(outlet.id.clone());
            created_stars += 1;
        } else {
            created_subs += 1;
        }
        for e in 0..args.engineers_per_outlet {
            let seed = mix(seed ^ (e as u64 + 1));
            // Every engineer repairs refrigerators; each also has one other
            // line of the outlet, so orders of every line find someone.
            let other = LINES[1 + (e % (LINES.len() - 1))];
            people_api
                .create_person(acting(
                    &actor,
                    CreatePersonRequest {
                        person: Some(Person {
                            region: region.to_owned(),
                            outlet_id: outlet.id.clone(),
                            name: format!("Load engineer {number}-{}", e + 1),
                            phone: format!("138{:08}", seed % 100_000_000),
                            level: PersonLevel::Engineer as i32,
                            skills: vec![
                                Skill {
                                    product_line: ProductLine::Refrigerator as i32,
                                    level: CertificationLevel::Senior as i32,
                                },
                                Skill {
                                    product_line: other as i32,
                                    level: CertificationLevel::Intermediate as i32,
                                },
                            ],
                            on_duty: true,
                            location: Some(near(&location, ENGINEER_JITTER_DEG, seed)),
                            ..Person::default()
                        }),
                    },
                ))
                .await?;
            created_engineers += 1;
        }
        if (i + 1) % 25 == 0 {
            eprintln!("xingji-load: setup: {} of {wanted} outlets", i + 1);
        }
    }
    let after = before + created_stars + created_subs;
    let elapsed = started.elapsed().as_secs_f64();
    let text = format!(
        "setup: region {region}: {before} → {after} outlets ({created_stars} star centres, {created_subs} sub-outlets under regional centre {}), {created_engineers} engineers, in {elapsed:.1} s\n",
        centre.id
    );
    let json = json!({
        "command": "setup", "addr": addr, "region": region,
        "outlets_before": before, "outlets_after": after,
        "created_outlets": created_stars + created_subs,
        "created_star_centres": created_stars,
        "created_sub_outlets": created_subs,
        "created_engineers": created_engineers,
        "regional_centre": centre.id,
        "elapsed_s": (elapsed * 1000.0).round() / 1000.0,
        "skipped": false,
    });
    Ok(Report { text, json })
}
