//! The `settlement` slot: the monthly settlement (world `settlement` in
//! `wit/worlds.wit`, exporting `settler`): a month's statements,
//! R = L × T + Q, and engineer pay.

use std::time::Duration;

use crate::bindings::host::xingji::plugins::month::MonthFacts;
use crate::call::export_call;
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::Limits;
use crate::world::{World, world_bindings};
use bindings::exports::xingji::plugins::settler::{OutletAccount, Settlement as MonthSettlement};

/// The `settlement` world's bindings.
pub mod bindings {
    crate::world::world_bindgen!("../../wit/0.2.0" in host, "xingji:plugins/settlement", {
        "xingji:plugins/log": log,
        "xingji:plugins/records": records,
        "xingji:plugins/month": month,
    });
}

/// The `settlement` world.
pub struct Settlement;

impl World for Settlement {
    const VERSION: &'static str = "0.2.0";
    const EXPORT: &'static str = "settler";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records];
    // A month close of a big region hands over a million orders and gets
    // back a statement per outlet and engineer.
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(30_000), 512 << 20, 64 << 20);
    world_bindings!(pre: bindings::SettlementPre, world: bindings::Settlement);
}

/// The call of `settler`. Its result is bounded by the call's memory
/// limit, which bounds what can be lifted out of it.
impl Plugin {
    export_call! {
        /// `settler.settle`: a month's statements, R = L × T + Q, and engineer pay.
        #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
        pub async fn settlement_settle(
            month: &MonthFacts,
            accounts: &Vec<OutletAccount>,
            params: &Vec<(String, String)>,
        ) -> Result<MonthSettlement, String>
        = Settlement, xingji_plugins_settler.call_settle;
    }
}
