//! Test only: grade A at 90 % satisfied or more, B at 70 %, else C.

wit_bindgen::generate!({ path: "../../wit", world: "xingji:plugins/evaluation" });

use exports::xingji::plugins::evaluator::{Guest, OutletGrade, OutletMonth};
use xingji::plugins::types::{Grade, Params};

struct Component;

export!(Component);

xingji_plugin_kit::describe_from_cargo!(Component, "Xingji tests");

impl Guest for Component {
    fn grade_outlets(month: Vec<OutletMonth>, _params: Params) -> Result<Vec<OutletGrade>, String> {
        Ok(month
            .iter()
            .map(|m| {
                let score = if m.orders == 0 {
                    1.0
                } else {
                    f64::from(m.satisfied) / f64::from(m.orders)
                };
                let grade = if score >= 0.9 {
                    Grade::A
                } else if score >= 0.7 {
                    Grade::B
                } else {
                    Grade::C
                };
                OutletGrade {
                    outlet: m.outlet,
                    score,
                    grade,
                }
            })
            .collect())
    }
}
