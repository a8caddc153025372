//! Host bindings generated from `wit/`: the shared host interfaces of each
//! WIT version ([`host`] for 0.2.0, [`host_0_3`] for 0.3.0), and one module
//! per world, generated in that slot's file (`src/slots/<name>.rs`) and
//! re-exported here under the slot's name (with the version when a slot has
//! several: `dispatch_0_3`).

pub mod host;
pub mod host_0_3;

pub use crate::slots::campaign::bindings as campaign;
pub use crate::slots::dispatch::bindings as dispatch;
pub use crate::slots::dispatch::bindings_0_3 as dispatch_0_3;
pub use crate::slots::evaluation::bindings as evaluation;
pub use crate::slots::settlement::bindings as settlement;
pub use crate::slots::tour::bindings as tour;
pub use crate::slots::warranty::bindings as warranty;
