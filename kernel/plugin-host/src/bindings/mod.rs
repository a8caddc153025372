//! Host bindings generated from `wit/`: the shared host interfaces in
//! [`host`], and one module per world, generated in that slot's file
//! (`src/slots/<name>.rs`) and re-exported here under the slot's name.

pub mod host;

pub use crate::slots::campaign::bindings as campaign;
pub use crate::slots::dispatch::bindings as dispatch;
pub use crate::slots::evaluation::bindings as evaluation;
pub use crate::slots::settlement::bindings as settlement;
pub use crate::slots::tour::bindings as tour;
pub use crate::slots::warranty::bindings as warranty;
