//! Test only: a dispatch plugin that misbehaves on purpose. The order's
//! product line picks the misbehaviour, so one plugin covers every case:
//!
//! | product line | behaviour |
//! |---|---|
//! | tv | loops forever |
//! | flat-panel-tv | allocates without bound |
//! | computer | recurses without bound |
//! | refrigerator | panics |
//! | washing-machine | returns a 10 MB reason |
//! | air-conditioner | logs a flood of lines |
//! | water-heater | behaves: assigns the first outlet and engineer |

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/dispatch",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use exports::xingji::plugins::dispatcher::{
    Assignment, Decision, DispatchRequest, Guest as Dispatcher,
};
use xingji::plugins::log::{Level, log};
use xingji_plugin_sdk::wit::types::ProductLine;

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        match request.order.product_line {
            ProductLine::Tv => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            ProductLine::FlatPanelTv => {
                let mut hoard = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            ProductLine::Computer => {
                Decision::Refuse(format!("depth {}", recurse(std::hint::black_box(1))))
            }
            ProductLine::Refrigerator => panic!("the hostile plugin panics on purpose"),
            ProductLine::WashingMachine => Decision::Refuse("x".repeat(10 << 20)),
            ProductLine::AirConditioner => {
                for n in 0..1_000_000 {
                    log(Level::Info, &format!("flood line {n}"));
                }
                Decision::Refuse("flooded".into())
            }
            ProductLine::WaterHeater => Decision::Assign(Assignment {
                outlet: 0,
                engineer: 0,
                reason: "behaving".into(),
            }),
        }
    }
}

fn recurse(depth: u64) -> u64 {
    if std::hint::black_box(depth) == 0 {
        0
    } else {
        recurse(depth + 1) + 1
    }
}
