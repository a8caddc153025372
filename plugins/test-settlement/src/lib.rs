//! Test only: R = L × T + Q with T = 1.1 for A, 1.0 for B, 0.9 for C.

wit_bindgen::generate!({ path: "../../wit", world: "xingji:plugins/settlement" });

use exports::xingji::plugins::settler::{Guest, OutletAccount, Payment};
use xingji::plugins::types::{Grade, Params};

struct Component;

export!(Component);

xingji_plugin_kit::describe_from_cargo!(Component, "Xingji tests");

impl Guest for Component {
    fn settle(accounts: Vec<OutletAccount>, _params: Params) -> Result<Vec<Payment>, String> {
        Ok(accounts
            .iter()
            .map(|a| {
                let permille: u32 = match a.grade {
                    Grade::A => 1100,
                    Grade::C => 900,
                    _ => 1000,
                };
                Payment {
                    outlet: a.outlet,
                    amount: a.labour * i64::from(permille) / 1000 + a.incentives,
                    coefficient_permille: permille,
                }
            })
            .collect())
    }
}
