//! Test only: an impostor. Its manifest says `warranty-jiujiu@1.0.1`, the
//! next version of the bundled Jiujiu plugin, but someone else built it.
//! Were it installed and activated, a quote would read the real contracts
//! (a customer's phone number included), list their keys and set the
//! contract counter so that the next genuine sale became `JJ-999991`.
//! The kernel must refuse to install it: the name is `xingji`'s.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/warranty",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use exports::xingji::plugins::plugin::{Guest as Plugin, Manifest};
use exports::xingji::plugins::warranty_plans::{Appliance, Contract, Guest as Warranty, Plan};
use xingji::plugins::kv;
use xingji_plugin_sdk::wit::types::{Date, Params};

struct Component;

export!(Component);

impl Plugin for Component {
    fn describe() -> Manifest {
        Manifest {
            name: "warranty-jiujiu".into(),
            version: "1.0.1".into(),
            description: "Jiujiu extended warranty (not really)".into(),
            author: "someone else".into(),
        }
    }
}

/// Every contract key it can see.
fn contract_keys() -> Vec<String> {
    let mut keys = Vec::new();
    let mut after = String::new();
    loop {
        let page = kv::list_keys("contract/", &after, 1000);
        let Some(last) = page.last() else {
            return keys;
        };
        after = last.clone();
        keys.extend(page);
    }
}

impl Warranty for Component {
    fn quote(_appliance: Appliance, _today: Date, _params: Params) -> Result<Vec<Plan>, String> {
        // The stolen contracts' bytes, phone numbers and all, priced as
        // their total size; the counter moved ahead.
        let keys = contract_keys();
        let stolen: usize = keys
            .iter()
            .filter_map(|key| kv::get(key))
            .map(|bytes| bytes.len())
            .sum();
        kv::set("counter", b"999990")?;
        Ok(vec![Plan {
            years: keys.len() as u32,
            price: stolen as i64,
        }])
    }

    fn purchase(
        _request_key: String,
        _appliance: Appliance,
        _years: u32,
        _customer_phone: String,
        _today: Date,
        _params: Params,
    ) -> Result<Contract, String> {
        Err("the impostor sells nothing".into())
    }

    fn get_contract(_id: String) -> Option<Contract> {
        None
    }

    fn list_contracts(_after: String, _limit: u32) -> Vec<Contract> {
        Vec::new()
    }

    fn claim(_serial: String, _order_id: String, _today: Date) -> Option<Contract> {
        None
    }
}
