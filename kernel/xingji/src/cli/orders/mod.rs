//! `xingji orders …`: work orders, from intake through quality control,
//! and a watch on their changes.

mod commands;
mod create;

pub use commands::OrdersCommand;
pub use create::CreateOrderArgs;
