//! The `warranty` slot: the Jiujiu extended warranty (world `warranty` in
//! `wit/worlds.wit`, exporting `warranty-plans`). It quotes and sells
//! contracts and answers claims, keeping its contracts in its `kv` store.

use std::time::Duration;

use crate::bindings::host::xingji::plugins::types::Date;
use crate::call::export_call;
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::Limits;
use crate::world::{World, world_bindings};
use bindings::exports::xingji::plugins::warranty_plans::{Appliance, Contract, Plan};

/// The `warranty` world's bindings.
pub mod bindings {
    crate::world::world_bindgen!("../../wit/0.2.0" in host, "xingji:plugins/warranty", {
        "xingji:plugins/log": log,
        "xingji:plugins/records": records,
        "xingji:plugins/kv": kv,
    });
}

/// The `warranty` world.
pub struct Warranty;

impl World for Warranty {
    const VERSION: &'static str = "0.2.0";
    const EXPORT: &'static str = "warranty-plans";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records, Grant::Kv];
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(2_000), 64 << 20, 1 << 20);
    world_bindings!(pre: bindings::WarrantyPre, world: bindings::Warranty);
}

/// The calls of `warranty-plans`. Their results are bounded by the call's
/// memory limit, which bounds what can be lifted out of it.
impl Plugin {
    export_call! {
        /// `warranty-plans.quote`: the plans on offer for an appliance.
        #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
        pub async fn warranty_quote(
            appliance: &Appliance,
            today: Date,
            params: &Vec<(String, String)>,
        ) -> Result<Vec<Plan>, String>
        = Warranty, xingji_plugins_warranty_plans.call_quote;
    }

    export_call! {
        /// `warranty-plans.purchase`: sells a contract.
        #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
        #[allow(clippy::too_many_arguments)] // the WIT function's, and the call's limits
        pub async fn warranty_purchase(
            request_key: &str,
            appliance: &Appliance,
            years: u32,
            customer_phone: &str,
            today: Date,
            params: &Vec<(String, String)>,
        ) -> Result<Contract, String>
        = Warranty, xingji_plugins_warranty_plans.call_purchase;
    }

    export_call! {
        /// `warranty-plans.get-contract`.
        pub async fn warranty_get_contract(id: &str) -> Option<Contract>
        = Warranty, xingji_plugins_warranty_plans.call_get_contract;
    }

    export_call! {
        /// `warranty-plans.list-contracts`.
        pub async fn warranty_list_contracts(after: &str, limit: u32) -> Vec<Contract>
        = Warranty, xingji_plugins_warranty_plans.call_list_contracts;
    }

    export_call! {
        /// `warranty-plans.claim`: whether a contract covers a repair; counts it.
        pub async fn warranty_claim(
            serial: &str,
            order_id: &str,
            today: Date,
        ) -> Option<Contract>
        = Warranty, xingji_plugins_warranty_plans.call_claim;
    }
}
