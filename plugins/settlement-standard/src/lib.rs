//! `settlement-standard`: the monthly settlement R = L × T + Q (DOMAIN.md
//! §5) and engineer pay (§2), the default of every region. The rules are
//! in [`rules`]; see `plugins/README.md` for the formulas and parameters.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/settlement",
    with: {
        "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types,
        "xingji:plugins/month@0.2.0": xingji_plugin_sdk::wit::month,
        "xingji:plugins/log@0.2.0": xingji_plugin_sdk::host::log,
        "xingji:plugins/records@0.2.0": xingji_plugin_sdk::host::records,
    },
});

mod rules;

use exports::xingji::plugins::settler::{Guest as Settler, OutletAccount, Settlement};
use xingji_plugin_sdk::wit::month::MonthFacts;
use xingji_plugin_sdk::wit::types::Params;

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji");

impl Settler for Component {
    fn settle(
        month: MonthFacts,
        accounts: Vec<OutletAccount>,
        params: Params,
    ) -> Result<Settlement, String> {
        let rules = rules::Rules::from_params(&params)?;
        rules::settle(&month, &accounts, &rules)
    }
}
