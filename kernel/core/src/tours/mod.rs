//! Rural tours (`kernel.tours()`): `plan` picks the stops, asks the tour
//! plugin and dispatches the plan; `schedule` is the kernel's own check of
//! a plan.

mod plan;
mod schedule;

pub use plan::{TOUR_RADIUS_KM, Tours};
