//! One file per slot, named after it: its world's bindings, grants, default
//! limits, exported interface and typed calls (`impl Plugin` blocks). The
//! list of slots is in `slot.rs`.

pub mod campaign;
pub mod dispatch;
pub mod evaluation;
pub mod settlement;
pub mod tour;
pub mod warranty;
