//! Validation of what partners send. Each check names the field by its full
//! path from the request (`order.customer.location.lat`) and says what is
//! wrong, and a request's violations are all reported at once.
//!
//! - `fields`: the [`Violations`] collector and the checks of one field;
//! - `records`: the checks of whole records (outlets, people, orders).

mod fields;
mod records;

pub use fields::{EARLIEST, LATEST, MAX_ID, MAX_VIOLATIONS, Violations, is_phone, is_region_id};
pub use records::{
    MAX_ADDRESS, MAX_CODE, MAX_DAILY_CAPACITY, MAX_DESCRIPTION, MAX_NAME, MAX_PARTS,
    MAX_RADIUS_MINUTES, MAX_REASON, order, outlet, parent_tier, person, service_report, tier_words,
};
