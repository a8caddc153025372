//! The `campaign` slot: appliance-birthday visit campaigns (world
//! `campaign` in `wit/worlds.wit`, exporting `birthday-campaign`). It reads
//! the region's records and creates the visit orders.

use std::time::Duration;

use crate::call::export_call;
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::Limits;
use crate::world::{World, world_bindings};
use bindings::exports::xingji::plugins::birthday_campaign::{Visit, Window};

/// The `campaign` world's bindings.
pub mod bindings {
    crate::world::world_bindgen!("../../wit/0.2.0" in host, "xingji:plugins/campaign", {
        "xingji:plugins/log": log,
        "xingji:plugins/records": records,
        "xingji:plugins/order-writer": order_writer,
    });
}

/// The `campaign` world.
pub struct Campaign;

impl World for Campaign {
    const VERSION: &'static str = "0.2.0";
    const EXPORT: &'static str = "birthday-campaign";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records, Grant::OrderWriter];
    // A campaign lists every birthday of its window.
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(10_000), 128 << 20, 16 << 20);
    world_bindings!(pre: bindings::CampaignPre, world: bindings::Campaign);
}

/// The call of `birthday-campaign`. Its result is bounded by the call's memory
/// limit, which bounds what can be lifted out of it.
impl Plugin {
    export_call! {
        /// `birthday-campaign.run`: the birthday visits due in a window.
        #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
        pub async fn campaign_run(
            window: Window,
            dry_run: bool,
            params: &Vec<(String, String)>,
        ) -> Result<Vec<Visit>, String>
        = Campaign, xingji_plugins_birthday_campaign.call_run;
    }
}
