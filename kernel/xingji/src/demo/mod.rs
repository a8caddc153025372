//! The demo network that `xingji serve --demo` seeds into an empty store:
//! three regions, each a regional centre with star centres and sub-outlets,
//! engineers of every level and licence state, an installed base of
//! appliances (settled installation orders), some open orders, tour visits
//! around each region's first star centre, and the two months before this
//! one lived (orders, complaints, audits). Once the plugins run, a few
//! Jiujiu contracts are sold.
//!
//! - `data`: the regions, names and product lines, and the dice;
//! - `network`: outlets and people, with their licence events;
//! - `orders`: the installed base, open orders and tour visits;
//! - `history`: the two lived months;
//! - `seed`: the steps in order, region by region;
//! - `contracts`: the Jiujiu contracts;
//! - `settings`: the region settings the demo declares;
//! - `tokens`: tokens for the demo's people;
//! - `publisher`: the demo's plugin settings and its `demo` publisher.

mod contracts;
mod data;
mod history;
mod network;
mod orders;
pub mod publisher;
mod seed;
mod settings;
mod tokens;

pub use contracts::sell_contracts;
pub use seed::seed_if_empty;
pub use settings::regions;
pub use tokens::save_demo_tokens;
