//! The dispatch request as a real guest receives it: every field of every
//! record, as plugins/test-echo lifts and echoes it, against what the host
//! sent (NaNs, infinities, -0.0, `none`, every enum and flag value,
//! out-of-range indices). It holds whatever lowers the request (wasmtime's
//! typed lowering today; a faster path must pass it too). test-echo is a
//! WIT 0.2.0 plugin, so the kernel's 0.3.0 request reaches it through the
//! conversion to 0.2.0, which this checks too.

use xingji_plugin_host::bindings::dispatch_0_3::exports::xingji::plugins::dispatcher::{
    CandidateEngineer, CandidateOutlet, Certifications, Decision, DispatchOrder, DispatchRequest,
};
use xingji_plugin_host::bindings::host::xingji::plugins::types::{
    Geo, Grade, LicenceState, OrderKind, OutletStatus, PersonLevel, ProductLine, ProductLines,
};
use xingji_plugin_host::{Limits, Runtime, Slot};

fn built(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(xingji_bundled::BUILT_PLUGINS_DIR)
        .join(format!("{}.wasm", name.replace('-', "_")));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn geo(geo: &Geo) -> String {
    format!("{:x},{:x}", geo.lat.to_bits(), geo.lon.to_bits())
}

/// What plugins/test-echo answers for `request` (its `echo`).
fn echo(request: &DispatchRequest) -> String {
    let order = &request.order;
    let mut text = format!(
        "order {} {} {} {}\n",
        order.kind as u8,
        order.product_line as u8,
        geo(&order.location),
        order.vip
    );
    for o in &request.outlets {
        text += &format!(
            "outlet {} {} {} {} {} {} {}\n",
            geo(&o.location),
            o.service_radius_minutes,
            o.product_lines.as_array()[0],
            o.status as u8,
            o.grade as u8,
            o.daily_capacity,
            o.open_orders
        );
    }
    for e in &request.engineers {
        text += &format!(
            "engineer {} {} {} {} {} {}\n",
            e.outlet,
            e.skills.as_array()[0],
            e.licence_state as u8,
            e.on_duty,
            e.open_orders,
            e.location.as_ref().map_or("none".into(), geo)
        );
    }
    text += &format!("now {}\n", request.now);
    for (name, value) in &request.params {
        text += &format!("param {name}={value}\n");
    }
    text
}

const STATUSES: [OutletStatus; 3] = [
    OutletStatus::Active,
    OutletStatus::Suspended,
    OutletStatus::Eliminated,
];
const GRADES: [Grade; 4] = [Grade::Ungraded, Grade::A, Grade::B, Grade::C];
const LICENCES: [LicenceState; 4] = [
    LicenceState::Exemplary,
    LicenceState::Normal,
    LicenceState::Warning,
    LicenceState::Eliminated,
];
const LINES: [ProductLines; 7] = [
    ProductLines::TV,
    ProductLines::FLAT_PANEL_TV,
    ProductLines::COMPUTER,
    ProductLines::REFRIGERATOR,
    ProductLines::WASHING_MACHINE,
    ProductLines::AIR_CONDITIONER,
    ProductLines::WATER_HEATER,
];

/// Every value of every field somewhere, extremes and odd floats included.
fn request(outlets: usize) -> DispatchRequest {
    let floats = [
        31.2,
        -0.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::NAN,
        -121.475,
    ];
    let at = |i: usize| Geo {
        lat: floats[i % floats.len()],
        lon: floats[(i * 3 + 1) % floats.len()] + i as f64,
    };
    let lines = |i: usize| {
        LINES
            .iter()
            .enumerate()
            .filter(|(bit, _)| (i >> bit) & 1 == 1)
            .fold(ProductLines::empty(), |set, (_, line)| set | *line)
    };
    DispatchRequest {
        order: DispatchOrder {
            id: "ord-名".into(),
            kind: OrderKind::Complaint,
            product_line: ProductLine::WaterHeater,
            location: at(3),
            vip: true,
        },
        outlets: (0..outlets)
            .map(|i| CandidateOutlet {
                id: format!("out-{i}"),
                location: at(i),
                service_radius_minutes: [0, 30, u32::MAX][i % 3],
                product_lines: lines(i * 37),
                status: STATUSES[i % 3],
                grade: GRADES[i % 4],
                daily_capacity: [u32::MAX, 0, 40][i % 3],
                open_orders: (i as u32).wrapping_mul(2_654_435_761),
            })
            .collect(),
        engineers: (0..outlets * 3)
            .map(|i| CandidateEngineer {
                id: format!("p-{i}"),
                outlet: [i as u32 / 3, u32::MAX][usize::from(i % 7 == 6)],
                level: PersonLevel::Gold,
                skills: lines(i * 11),
                certified: Certifications {
                    junior: lines(i * 3),
                    intermediate: lines(i * 5),
                    senior: lines(i * 7),
                },
                licence_state: LICENCES[i % 4],
                on_duty: i % 5 != 0,
                open_orders: (i as u32).wrapping_mul(40_503),
                location: (i % 2 == 0).then(|| at(i + 1)),
            })
            .collect(),
        now: i64::MIN + 7,
        params: vec![
            ("speed_kmh".into(), "30".into()),
            ("名".into(), String::new()),
        ],
    }
}

#[tokio::test]
async fn the_guest_receives_every_field_as_the_host_sent_it() {
    let runtime = Runtime::new(None).expect("runtime");
    let plugin = runtime
        .load(&built("test-echo"), None)
        .await
        .expect("load test-echo");
    assert_eq!(plugin.slot, Slot::Dispatch);
    for outlets in [0, 1, 2, 7, 100] {
        let request = request(outlets);
        let (decision, _) = plugin
            .dispatch(&request, Limits::for_slot(Slot::Dispatch), None)
            .await
            .expect("call");
        let Decision::Refuse(echoed) = decision else {
            panic!("test-echo refuses every order: {decision:?}");
        };
        assert_eq!(echoed, echo(&request), "{outlets} outlets");
    }
}
