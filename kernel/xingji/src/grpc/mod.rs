//! The gRPC services of the `xingji.v1` API: thin adapters, one per
//! service, over the core (`xingji_core`). Each decodes, reads who acts
//! (`actor`), calls the core and maps its error to a status with rich
//! details (`status`). No rule lives here.

pub mod actor;
mod campaign;
mod month;
mod orders;
mod outlets;
mod people;
mod plugins;
pub mod status;
mod tour;
mod warranty;

pub use actor::ACTOR_HEADER;
pub use campaign::CampaignApi;
pub use month::MonthCloseApi;
pub use orders::OrderApi;
pub use outlets::OutletApi;
pub use people::PersonApi;
pub use plugins::PluginApi;
pub use tour::TourApi;
pub use warranty::WarrantyApi;
