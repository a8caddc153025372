//! The month close (DOMAIN.md sections 4 and 5), as `kernel.month_closes()`:
//!
//! - `gather`: what the kernel reads of a region's month;
//! - `facts`: what one order says about its month;
//! - `check`: the kernel's own check of the plugins' answers;
//! - `write`: the close as shown, and what it writes in one transaction;
//! - `close`: the request, end to end.
//!
//! The kernel only gathers facts and applies results: the KPI formulas,
//! grades, rates and pay are the evaluation and settlement plugins'.

mod check;
mod close;
mod facts;
mod gather;
mod write;

pub use close::{MonthCloses, parse_month};
