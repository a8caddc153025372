//! A dispatch call's request and answer as plain data, to record and to
//! replay: serde gives them two standard encodings, postcard (compact,
//! what the kernel stores beside every dispatch) and JSON in the WIT
//! mapping of [`Plugin::call_by_name`](crate::Plugin::call_by_name) (what
//! the API shows and `xingji plugins run --request` takes): records keyed
//! by WIT field names, enums and flags by WIT names.
//!
//! The conversions to and from the bindings' types are written out here,
//! field by field; a test replays recorded requests through the typed and
//! the by-name call and compares, so a field missed here cannot pass.

use serde::{Deserialize, Serialize};

use crate::bindings::dispatch::exports::xingji::plugins::dispatcher::{
    Assignment, CandidateEngineer, CandidateOutlet, Decision, DispatchOrder, DispatchRequest,
};
use crate::bindings::host::xingji::plugins::types::{
    Geo, Grade, LicenceState, OrderKind, OutletStatus, ProductLine, ProductLines,
};

/// Why a recording cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("a recorded dispatch request does not read back: {0}")]
pub struct RecordError(String);

/// Maps a WIT enum's cases to and from their WIT names.
macro_rules! names {
    ($ty:ident { $($variant:ident = $name:literal),* $(,)? }) => {
        impl Named for $ty {
            fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }
            fn from_name(name: &str) -> Result<Self, RecordError> {
                match name {
                    $($name => Ok($ty::$variant),)*
                    other => Err(RecordError(format!(
                        "{other:?} is not a {}", stringify!($ty)
                    ))),
                }
            }
        }
    };
}

trait Named: Sized + Copy {
    fn name(self) -> &'static str;
    fn from_name(name: &str) -> Result<Self, RecordError>;
}

names!(ProductLine {
    Tv = "tv",
    FlatPanelTv = "flat-panel-tv",
    Computer = "computer",
    Refrigerator = "refrigerator",
    WashingMachine = "washing-machine",
    AirConditioner = "air-conditioner",
    WaterHeater = "water-heater",
});
names!(OrderKind {
    Installation = "installation",
    Repair = "repair",
    Maintenance = "maintenance",
    Consultation = "consultation",
    BirthdayVisit = "birthday-visit",
    TourVisit = "tour-visit",
    Complaint = "complaint",
});
names!(OutletStatus {
    Active = "active",
    Suspended = "suspended",
    Eliminated = "eliminated",
});
names!(Grade {
    Ungraded = "ungraded",
    A = "a",
    B = "b",
    C = "c",
});
names!(LicenceState {
    Exemplary = "exemplary",
    Normal = "normal",
    Warning = "warning",
    Eliminated = "eliminated",
});

/// The product lines of a `product-lines` set, by WIT name, in WIT order.
const LINES: [(ProductLines, ProductLine); 7] = [
    (ProductLines::TV, ProductLine::Tv),
    (ProductLines::FLAT_PANEL_TV, ProductLine::FlatPanelTv),
    (ProductLines::COMPUTER, ProductLine::Computer),
    (ProductLines::REFRIGERATOR, ProductLine::Refrigerator),
    (ProductLines::WASHING_MACHINE, ProductLine::WashingMachine),
    (ProductLines::AIR_CONDITIONER, ProductLine::AirConditioner),
    (ProductLines::WATER_HEATER, ProductLine::WaterHeater),
];

fn lines_names(lines: ProductLines) -> Vec<String> {
    LINES
        .iter()
        .filter(|(flag, _)| lines.contains(*flag))
        .map(|(_, line)| line.name().to_owned())
        .collect()
}

fn lines_from(names: &[String]) -> Result<ProductLines, RecordError> {
    let mut lines = ProductLines::empty();
    for name in names {
        let line = ProductLine::from_name(name)?;
        let (flag, _) = LINES
            .iter()
            .find(|(_, l)| *l == line)
            .ok_or_else(|| RecordError(format!("{name:?} is not a product line")))?;
        lines |= *flag;
    }
    Ok(lines)
}

/// `geo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedGeo {
    pub lat: f64,
    pub lon: f64,
}

/// `dispatch-order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedOrder {
    pub kind: String,
    pub product_line: String,
    pub location: RecordedGeo,
    pub vip: bool,
}

/// `candidate-outlet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedOutlet {
    pub location: RecordedGeo,
    pub service_radius_minutes: u32,
    pub product_lines: Vec<String>,
    pub status: String,
    pub grade: String,
    pub daily_capacity: u32,
    pub open_orders: u32,
}

/// `candidate-engineer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedEngineer {
    pub outlet: u32,
    pub skills: Vec<String>,
    pub licence_state: String,
    pub on_duty: bool,
    pub open_orders: u32,
    pub location: Option<RecordedGeo>,
}

/// `dispatch-request`, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedDispatch {
    pub order: RecordedOrder,
    pub outlets: Vec<RecordedOutlet>,
    pub engineers: Vec<RecordedEngineer>,
    pub now: i64,
    pub params: Vec<(String, String)>,
}

fn geo(g: &Geo) -> RecordedGeo {
    RecordedGeo {
        lat: g.lat,
        lon: g.lon,
    }
}

fn geo_back(g: &RecordedGeo) -> Geo {
    Geo {
        lat: g.lat,
        lon: g.lon,
    }
}

impl RecordedDispatch {
    /// The request as recorded.
    pub fn of(request: &DispatchRequest) -> Self {
        RecordedDispatch {
            order: RecordedOrder {
                kind: request.order.kind.name().to_owned(),
                product_line: request.order.product_line.name().to_owned(),
                location: geo(&request.order.location),
                vip: request.order.vip,
            },
            outlets: request
                .outlets
                .iter()
                .map(|o| RecordedOutlet {
                    location: geo(&o.location),
                    service_radius_minutes: o.service_radius_minutes,
                    product_lines: lines_names(o.product_lines),
                    status: o.status.name().to_owned(),
                    grade: o.grade.name().to_owned(),
                    daily_capacity: o.daily_capacity,
                    open_orders: o.open_orders,
                })
                .collect(),
            engineers: request
                .engineers
                .iter()
                .map(|e| RecordedEngineer {
                    outlet: e.outlet,
                    skills: lines_names(e.skills),
                    licence_state: e.licence_state.name().to_owned(),
                    on_duty: e.on_duty,
                    open_orders: e.open_orders,
                    location: e.location.as_ref().map(geo),
                })
                .collect(),
            now: request.now,
            params: request.params.clone(),
        }
    }

    /// The request again, as the typed call takes it.
    pub fn request(&self) -> Result<DispatchRequest, RecordError> {
        Ok(DispatchRequest {
            order: DispatchOrder {
                kind: OrderKind::from_name(&self.order.kind)?,
                product_line: ProductLine::from_name(&self.order.product_line)?,
                location: geo_back(&self.order.location),
                vip: self.order.vip,
            },
            outlets: self
                .outlets
                .iter()
                .map(|o| {
                    Ok(CandidateOutlet {
                        location: geo_back(&o.location),
                        service_radius_minutes: o.service_radius_minutes,
                        product_lines: lines_from(&o.product_lines)?,
                        status: OutletStatus::from_name(&o.status)?,
                        grade: Grade::from_name(&o.grade)?,
                        daily_capacity: o.daily_capacity,
                        open_orders: o.open_orders,
                    })
                })
                .collect::<Result<_, RecordError>>()?,
            engineers: self
                .engineers
                .iter()
                .map(|e| {
                    Ok(CandidateEngineer {
                        outlet: e.outlet,
                        skills: lines_from(&e.skills)?,
                        licence_state: LicenceState::from_name(&e.licence_state)?,
                        on_duty: e.on_duty,
                        open_orders: e.open_orders,
                        location: e.location.as_ref().map(geo_back),
                    })
                })
                .collect::<Result<_, RecordError>>()?,
            now: self.now,
            params: self.params.clone(),
        })
    }

    /// Postcard: what the kernel stores.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Plain data of strings, numbers and lists: encoding cannot fail.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// A stored recording.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RecordError> {
        postcard::from_bytes(bytes).map_err(|error| RecordError(error.to_string()))
    }

    /// The request as JSON in the WIT mapping, keyed by the parameter's
    /// name, as `plugins run --request` takes it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "request": self })
    }
}

/// A dispatch decision as JSON in the WIT mapping: `{"assign": {"outlet":
/// 1, "engineer": 3, "reason": "…"}}` or `{"refuse": "…"}`.
pub fn decision_json(decision: &Decision) -> serde_json::Value {
    match decision {
        Decision::Assign(Assignment {
            outlet,
            engineer,
            reason,
        }) => serde_json::json!({
            "assign": { "outlet": outlet, "engineer": engineer, "reason": reason }
        }),
        Decision::Refuse(reason) => serde_json::json!({ "refuse": reason }),
    }
}

/// Whether two dispatch answers (as [`decision_json`] writes them) agree:
/// the same outlet and engineer, or both refusals. Reasons may differ.
pub fn decisions_agree(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    let choice = |d: &serde_json::Value| {
        d.get("assign")
            .map(|a| (a.get("outlet").cloned(), a.get("engineer").cloned()))
    };
    match (choice(a), choice(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.get("refuse").is_some() && b.get("refuse").is_some(),
        _ => false,
    }
}
