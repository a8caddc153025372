//! `warranty-jiujiu`: the Jiujiu (久久) worry-free extended warranty
//! (DOMAIN.md §6). Plans, prices and eligibility are in [`rules`], the
//! contracts over the key-value store in [`contracts`]; see
//! `plugins/README.md` for the rules and parameters.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/warranty",
    additional_derives: [PartialEq],
    with: {
        "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@0.2.0": xingji_plugin_sdk::host::log,
        "xingji:plugins/records@0.2.0": xingji_plugin_sdk::host::records,
        "xingji:plugins/kv@0.2.0": xingji_plugin_sdk::host::kv,
    },
});

mod contracts;
mod dates;
mod rules;
mod store;

use exports::xingji::plugins::warranty_plans::{Appliance, Contract, Guest as Warranty, Plan};
use xingji_plugin_sdk::host::kv;
use xingji_plugin_sdk::wit::types::{Date, Params};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji");

/// The host's key-value store.
struct Kv;

impl store::Store for Kv {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        kv::get(key)
    }

    fn set(&mut self, key: &str, value: &[u8]) -> Result<(), String> {
        kv::set(key, value)
    }

    fn delete(&mut self, key: &str) {
        kv::delete(key)
    }

    fn list_keys(&self, prefix: &str, after: &str, limit: u32) -> Vec<String> {
        kv::list_keys(prefix, after, limit)
    }
}

impl Warranty for Component {
    fn quote(appliance: Appliance, today: Date, params: Params) -> Result<Vec<Plan>, String> {
        let rules = rules::Rules::from_params(&params)?;
        rules.quote(&appliance, rules::day(today, "today")?)
    }

    fn purchase(
        request_key: String,
        appliance: Appliance,
        years: u32,
        customer_phone: String,
        today: Date,
        params: Params,
    ) -> Result<Contract, String> {
        let rules = rules::Rules::from_params(&params)?;
        contracts::purchase(
            &mut Kv,
            &rules,
            &request_key,
            &appliance,
            years,
            &customer_phone,
            today,
        )
    }

    fn get_contract(id: String) -> Option<Contract> {
        contracts::get(&Kv, &id)
    }

    fn list_contracts(after: String, limit: u32) -> Vec<Contract> {
        contracts::list(&Kv, &after, limit)
    }

    fn claim(serial: String, order_id: String, today: Date) -> Option<Contract> {
        // `claim` cannot return an error: a refused write fails the call,
        // so that the host drops its writes and the repair is not counted.
        match contracts::claim(&mut Kv, &serial, &order_id, today) {
            Ok(covered) => covered,
            Err(error) => panic!("claim of order {order_id}: {error}"),
        }
    }
}
