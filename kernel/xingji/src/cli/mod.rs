//! The command line: `xingji serve` runs the server; `xingji outlets|people|
//! orders …` call a server over gRPC and print the answer as proto JSON
//! (field names as in the .proto files).
//!
//! `app` holds the global flags and dispatches a client command to its
//! group's module (`outlets`, `people`, `orders`, `plugins`, `month`,
//! `warranty`, `birthdays`, `tours`), which builds the request and has
//! `output` make the call and print the answer (`audit` and `tokens` read
//! the data directory themselves, without a server). `connection` checks
//! `--server`, `credentials` the credential flags (`--as`, `--token`), and
//! `tls` the TLS flags of an `https://` server; `errors` words a refusal,
//! naming the flag of each field the server blames; `value` reads
//! `--value FIELD`; `dates` reads dates and months, relative ones
//! included; `mask` builds an update's field mask from the flags given;
//! `args` holds what several groups share.

mod app;
mod args;
mod audit;
mod authoring;
mod birthdays;
mod connection;
mod credentials;
mod dates;
mod descriptors;
mod errors;
mod mask;
mod month;
mod orders;
mod outlets;
mod output;
mod people;
mod plugins;
mod serve;
mod template;
mod tls;
mod tokens;
mod tours;
mod value;
mod warranty;
mod wit;

#[cfg(test)]
mod tests;

pub use app::{Cli, Command, run_client};
pub use args::{LocationArgs, PageArgs, PagingArgs, RequiredLocation, enum_arg};
pub use audit::{AuditCommand, StoreArgs};
pub use birthdays::BirthdaysArgs;
pub use errors::ClientError;
pub use month::MonthCommand;
pub use orders::{CreateOrderArgs, OrdersCommand};
pub use outlets::{NewOutlet, OutletChanges, OutletsCommand};
pub use people::{NewPerson, PeopleCommand, PersonChanges};
pub use plugins::PluginsCommand;
pub use serve::ServeArgs;
pub use tls::TlsArgs;
pub use tokens::{IssueArgs, TokensCommand};
pub use tours::ToursArgs;
pub use warranty::{WarrantyAppliance, WarrantyCommand};
pub use wit::WitArgs;
