//! A dispatch call's request and answer as plain data, to record and to
//! replay: serde gives them two standard encodings, postcard (compact,
//! what the kernel stores beside every dispatch, in two parts: the
//! candidates as the network stands, shared by many decisions, and each
//! decision's own) and JSON in the WIT
//! mapping of [`Plugin::call_by_name`](crate::Plugin::call_by_name) (what
//! the API shows and `xingji plugins run --request` takes): records keyed
//! by WIT field names, enums and flags by WIT names.
//!
//! The conversions to and from the bindings' types are written out here,
//! field by field; a test replays recorded requests through the typed and
//! the by-name call and compares, so a field missed here cannot pass.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bindings::dispatch_0_3::exports::xingji::plugins::dispatcher::{
    Assignment, CandidateEngineer, CandidateOutlet, Certifications, Decision, DispatchOrder,
    DispatchRequest,
};
use crate::bindings::host::xingji::plugins::types::{
    Geo, Grade, LicenceState, OrderKind, OutletStatus, PersonLevel, ProductLine,
};

mod encoding;

pub use encoding::{Lines, Named, Wit};

/// Why a recording cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("a recorded dispatch request does not read back: {0}")]
pub struct RecordError(String);

/// `geo`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecordedGeo {
    pub lat: f64,
    pub lon: f64,
}

impl From<Geo> for RecordedGeo {
    fn from(g: Geo) -> Self {
        RecordedGeo {
            lat: g.lat,
            lon: g.lon,
        }
    }
}

impl From<RecordedGeo> for Geo {
    fn from(g: RecordedGeo) -> Self {
        Geo {
            lat: g.lat,
            lon: g.lon,
        }
    }
}

/// `dispatch-order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedOrder {
    pub id: String,
    pub kind: Wit<OrderKind>,
    pub product_line: Wit<ProductLine>,
    pub location: RecordedGeo,
    pub vip: bool,
}

/// `candidate-outlet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedOutlet {
    pub id: String,
    pub location: RecordedGeo,
    pub service_radius_minutes: u32,
    pub product_lines: Lines,
    pub status: Wit<OutletStatus>,
    pub grade: Wit<Grade>,
    pub daily_capacity: u32,
    pub open_orders: u32,
}

/// `candidate-engineer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedEngineer {
    pub id: String,
    pub outlet: u32,
    pub level: Wit<PersonLevel>,
    pub skills: Lines,
    pub certified: RecordedCertifications,
    pub licence_state: Wit<LicenceState>,
    pub on_duty: bool,
    pub open_orders: u32,
    pub location: Option<RecordedGeo>,
}

/// `certifications`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedCertifications {
    pub junior: Lines,
    pub intermediate: Lines,
    pub senior: Lines,
}

/// `dispatch-request` at WIT 0.3.0 (the kernel's; a 0.2.0 plugin gets it
/// without ids, levels and certifications), as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RecordedDispatch {
    pub order: RecordedOrder,
    pub outlets: Vec<RecordedOutlet>,
    pub engineers: Vec<RecordedEngineer>,
    pub now: i64,
    pub params: Vec<(String, String)>,
}

impl RecordedDispatch {
    /// The request as recorded.
    pub fn of(request: &DispatchRequest) -> Self {
        RecordedDispatch {
            order: RecordedOrder {
                id: request.order.id.clone(),
                kind: Wit(request.order.kind),
                product_line: Wit(request.order.product_line),
                location: request.order.location.into(),
                vip: request.order.vip,
            },
            outlets: request
                .outlets
                .iter()
                .map(|o| RecordedOutlet {
                    id: o.id.clone(),
                    location: o.location.into(),
                    service_radius_minutes: o.service_radius_minutes,
                    product_lines: Lines(o.product_lines),
                    status: Wit(o.status),
                    grade: Wit(o.grade),
                    daily_capacity: o.daily_capacity,
                    open_orders: o.open_orders,
                })
                .collect(),
            engineers: request
                .engineers
                .iter()
                .map(|e| RecordedEngineer {
                    id: e.id.clone(),
                    outlet: e.outlet,
                    level: Wit(e.level),
                    skills: Lines(e.skills),
                    certified: RecordedCertifications {
                        junior: Lines(e.certified.junior),
                        intermediate: Lines(e.certified.intermediate),
                        senior: Lines(e.certified.senior),
                    },
                    licence_state: Wit(e.licence_state),
                    on_duty: e.on_duty,
                    open_orders: e.open_orders,
                    location: e.location.map(RecordedGeo::from),
                })
                .collect(),
            now: request.now,
            params: request.params.clone(),
        }
    }

    /// The request again, as the typed call takes it.
    pub fn request(&self) -> DispatchRequest {
        DispatchRequest {
            order: DispatchOrder {
                id: self.order.id.clone(),
                kind: self.order.kind.0,
                product_line: self.order.product_line.0,
                location: self.order.location.into(),
                vip: self.order.vip,
            },
            outlets: self
                .outlets
                .iter()
                .map(|o| CandidateOutlet {
                    id: o.id.clone(),
                    location: o.location.into(),
                    service_radius_minutes: o.service_radius_minutes,
                    product_lines: o.product_lines.0,
                    status: o.status.0,
                    grade: o.grade.0,
                    daily_capacity: o.daily_capacity,
                    open_orders: o.open_orders,
                })
                .collect(),
            engineers: self
                .engineers
                .iter()
                .map(|e| CandidateEngineer {
                    id: e.id.clone(),
                    outlet: e.outlet,
                    level: e.level.0,
                    skills: e.skills.0,
                    certified: Certifications {
                        junior: e.certified.junior.0,
                        intermediate: e.certified.intermediate.0,
                        senior: e.certified.senior.0,
                    },
                    licence_state: e.licence_state.0,
                    on_duty: e.on_duty,
                    open_orders: e.open_orders,
                    location: e.location.map(Geo::from),
                })
                .collect(),
            now: self.now,
            params: self.params.clone(),
        }
    }

    /// The request in the two parts the kernel stores, in postcard: what
    /// changes only with the region's network (every candidate's fields
    /// but its load), which many decisions share and which is kept once by
    /// its digest; and what is each decision's own (the order, the loads,
    /// the time, the parameters), well under a kilobyte.
    pub fn to_parts(&self) -> RecordedParts {
        let unloaded = |mut outlets: Vec<RecordedOutlet>, mut engineers: Vec<RecordedEngineer>| {
            outlets.iter_mut().for_each(|o| o.open_orders = 0);
            engineers.iter_mut().for_each(|e| e.open_orders = 0);
            (outlets, engineers)
        };
        let candidates = unloaded(self.outlets.clone(), self.engineers.clone());
        // Plain data of numbers, strings and lists: encoding cannot fail.
        let shared = postcard::to_allocvec(&candidates).unwrap_or_default();
        let own = OwnPart {
            order: self.order.clone(),
            outlet_loads: self.outlets.iter().map(|o| o.open_orders).collect(),
            engineer_loads: self.engineers.iter().map(|e| e.open_orders).collect(),
            now: self.now,
            params: self.params.clone(),
        };
        RecordedParts {
            digest: Sha256::digest(&shared).to_vec(),
            shared,
            own: postcard::to_allocvec(&own).unwrap_or_default(),
        }
    }

    /// A request stored as [`RecordedDispatch::to_parts`] wrote it.
    pub fn from_parts(shared: &[u8], own: &[u8]) -> Result<Self, RecordError> {
        let fail = |error: postcard::Error| RecordError(error.to_string());
        let (mut outlets, mut engineers): (Vec<RecordedOutlet>, Vec<RecordedEngineer>) =
            postcard::from_bytes(shared).map_err(fail)?;
        let own: OwnPart = postcard::from_bytes(own).map_err(fail)?;
        if own.outlet_loads.len() != outlets.len() || own.engineer_loads.len() != engineers.len() {
            return Err(RecordError(format!(
                "{} outlet and {} engineer loads for {} outlets and {} engineers",
                own.outlet_loads.len(),
                own.engineer_loads.len(),
                outlets.len(),
                engineers.len()
            )));
        }
        outlets
            .iter_mut()
            .zip(&own.outlet_loads)
            .for_each(|(o, load)| o.open_orders = *load);
        engineers
            .iter_mut()
            .zip(&own.engineer_loads)
            .for_each(|(e, load)| e.open_orders = *load);
        Ok(RecordedDispatch {
            order: own.order,
            outlets,
            engineers,
            now: own.now,
            params: own.params,
        })
    }

    /// The request as JSON in the WIT mapping, keyed by the parameter's
    /// name, as `plugins run --request` takes it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "request": self })
    }

    /// [`RecordedDispatch::to_json`] as a plugin of WIT `version` takes
    /// it: at 0.2.0 without ids, levels and certifications, as the kernel
    /// calls such a plugin.
    pub fn to_json_at(&self, version: &str) -> serde_json::Value {
        let mut json = self.to_json();
        if version == "0.2.0" {
            let request = &mut json["request"];
            let drop = |value: &mut serde_json::Value, fields: &[&str]| {
                if let Some(object) = value.as_object_mut() {
                    for field in fields {
                        object.remove(*field);
                    }
                }
            };
            drop(&mut request["order"], &["id"]);
            for outlet in request["outlets"].as_array_mut().into_iter().flatten() {
                drop(outlet, &["id"]);
            }
            for engineer in request["engineers"].as_array_mut().into_iter().flatten() {
                drop(engineer, &["id", "level", "certified"]);
            }
        }
        json
    }
}

/// A recorded request as stored ([`RecordedDispatch::to_parts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedParts {
    /// The SHA-256 of `shared`, by which it is kept once.
    pub digest: Vec<u8>,
    /// The candidates without their loads.
    pub shared: Vec<u8>,
    /// The rest.
    pub own: Vec<u8>,
}

/// What a recorded request holds of its own.
#[derive(Serialize, Deserialize)]
struct OwnPart {
    order: RecordedOrder,
    outlet_loads: Vec<u32>,
    engineer_loads: Vec<u32>,
    now: i64,
    params: Vec<(String, String)>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::host::xingji::plugins::types::ProductLines;

    fn request() -> DispatchRequest {
        let at = |lat| Geo { lat, lon: 121.4 };
        DispatchRequest {
            order: DispatchOrder {
                id: "ord-1".into(),
                kind: OrderKind::TourVisit,
                product_line: ProductLine::WaterHeater,
                location: at(31.2),
                vip: true,
            },
            outlets: vec![CandidateOutlet {
                id: "out-1".into(),
                location: at(31.3),
                service_radius_minutes: 45,
                product_lines: ProductLines::TV | ProductLines::WATER_HEATER,
                status: OutletStatus::Suspended,
                grade: Grade::C,
                daily_capacity: 12,
                open_orders: 300,
            }],
            engineers: vec![CandidateEngineer {
                id: "p-1".into(),
                outlet: 0,
                level: PersonLevel::Gold,
                skills: ProductLines::all(),
                certified: Certifications {
                    junior: ProductLines::empty(),
                    intermediate: ProductLines::TV,
                    senior: ProductLines::WATER_HEATER,
                },
                licence_state: LicenceState::Warning,
                on_duty: false,
                open_orders: 7,
                location: Some(at(31.25)),
            }],
            now: 1_767_225_600,
            params: vec![("speed_kmh".into(), "25".into())],
        }
    }

    #[test]
    fn a_request_reads_back_from_postcard_and_shows_wit_names_in_json() {
        let recorded = RecordedDispatch::of(&request());
        let parts = recorded.to_parts();
        let back = RecordedDispatch::from_parts(&parts.shared, &parts.own).expect("reads back");
        assert_eq!(back, recorded);
        assert_eq!(format!("{:?}", back.request()), format!("{:?}", request()));
        // Enums and flags are one byte each when stored: past the five
        // points (80 bytes) and the ids, a few bytes in all.
        let bytes = parts.shared.len() + parts.own.len();
        assert!(bytes <= 80 + 20 + 40, "{bytes} bytes");
        // The loads are each decision's own: another load, the same
        // shared part.
        let mut busier = request();
        busier.outlets[0].open_orders += 1;
        busier.engineers[0].open_orders += 5;
        let other = RecordedDispatch::of(&busier).to_parts();
        assert_eq!(
            (&other.digest, &other.shared),
            (&parts.digest, &parts.shared)
        );
        assert_ne!(other.own, parts.own);
        assert!(RecordedDispatch::from_parts(&other.shared, &parts.own[..1]).is_err());
        // Loads that do not match the candidates are refused, not zipped.
        let mut fewer = request();
        fewer.engineers.clear();
        let fewer = RecordedDispatch::of(&fewer).to_parts();
        assert!(RecordedDispatch::from_parts(&parts.shared, &fewer.own).is_err());
        let json = recorded.to_json();
        let request = &json["request"];
        assert_eq!(request["order"]["kind"], "tour-visit");
        assert_eq!(request["order"]["product-line"], "water-heater");
        assert_eq!(
            request["outlets"][0]["product-lines"],
            serde_json::json!(["tv", "water-heater"])
        );
        assert_eq!(request["engineers"][0]["licence-state"], "warning");
        assert_eq!(request["engineers"][0]["level"], "gold");
        assert_eq!(
            request["engineers"][0]["certified"]["intermediate"],
            serde_json::json!(["tv"])
        );
        let older = recorded.to_json_at("0.2.0");
        assert_eq!(older["request"]["engineers"][0].get("level"), None);
        assert_eq!(older["request"]["outlets"][0].get("id"), None);
        assert_eq!(older["request"]["engineers"][0]["licence-state"], "warning");
        assert_eq!(recorded.to_json_at("0.3.0"), json);
        let again: RecordedDispatch =
            serde_json::from_value(request.clone()).expect("JSON reads back");
        assert_eq!(again, recorded);
    }
}
