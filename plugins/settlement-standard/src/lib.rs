//! `settlement-standard`: the monthly settlement R = L × T + Q (DOMAIN.md
//! §5) and engineer pay (§2), the default of every region. The rules are
//! in [`rules`]; see `plugins/README.md` for the formulas and parameters.

wit_bindgen::generate!({
    path: "../../wit",
    world: "xingji:plugins/settlement",
});

mod rules;

use exports::xingji::plugins::settler::{Guest as Settler, OutletAccount, Settlement};
use xingji::plugins::month::MonthFacts;
use xingji::plugins::types::Params;

struct Component;

export!(Component);

xingji_plugin_kit::describe_from_cargo!(Component, "Xingji");

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
