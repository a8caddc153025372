//! Seeding the demo: region by region, step by step, from one `Dice`.

use prost_types::Timestamp;
use xingji_store::{OutletFilter, Page, StoreError, prelude::*};

use super::data::{Dice, REGIONS, Region};
use super::history::seed_history;
use super::network::{seed_outlets, seed_staff};
use super::orders::{seed_installed_base, seed_tour_visits};

/// Seeds the demo network if the store has no outlets. Returns whether it
/// seeded. Of several kernels starting on one empty database, one seeds:
/// the one whose claim `meta_get_or_init` keeps.
pub async fn seed_if_empty(store: &dyn Store) -> Result<bool, StoreError> {
    let any = store
        .list_outlets(
            &OutletFilter::default(),
            &Page {
                after: None,
                limit: 1,
            },
        )
        .await?;
    if !any.is_empty() {
        return Ok(false);
    }
    let claim = xingji_core::ids::new_id("kernel");
    let seeder = store
        .meta_get_or_init("demo.seeder", claim.as_bytes())
        .await?;
    if seeder != claim.as_bytes() {
        tracing::info!("another kernel seeds the demo network");
        return Ok(false);
    }
    let now = Timestamp::from(std::time::SystemTime::now());
    let mut dice = Dice(2004);
    for region in &REGIONS {
        seed_region(store, region, now, &mut dice).await?;
    }
    Ok(true)
}

/// One region, in the order the dice are drawn in: its outlets, its staff,
/// the installed base, the two lived months, the tour visits.
async fn seed_region(
    store: &dyn Store,
    region: &Region,
    now: Timestamp,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    let service_outlets = seed_outlets(store, region, now, dice).await?;
    let staff = seed_staff(store, region, &service_outlets, now, dice).await?;
    seed_installed_base(store, region, now, dice).await?;
    seed_history(store, region, &service_outlets, &staff, now, dice).await?;
    seed_tour_visits(store, region, &service_outlets, now, dice).await
}
