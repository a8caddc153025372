//! How each record kind sits in its table: the whole record encoded, beside
//! the columns that lists filter on.

use prost::Message;
use xingji_api::v1::{Audit, LicenceEvent, Order, Outlet, Person};

/// A column value.
#[derive(Clone)]
pub(super) enum Value {
    Text(String),
    Int(i64),
}

/// A record kind as the SQLite tables hold it.
pub(super) trait Stored: Message + Default + Send + Unpin {
    /// Its table.
    const TABLE: &'static str;
    /// What a unique-key violation on insert or update means.
    const UNIQUE: &'static str;
    fn id(&self) -> &str;
    fn version(&self) -> i64;
    fn set_version(&mut self, version: i64);
    /// The filter columns, besides `id`, `version` and `body`.
    fn columns(&self) -> Vec<(&'static str, Value)>;
}

impl Stored for Outlet {
    const TABLE: &'static str = "outlets";
    const UNIQUE: &'static str = "outlet number";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("region", Value::Text(self.region.clone())),
            ("number", Value::Text(self.number.clone())),
            ("tier", Value::Int(self.tier.into())),
            ("status", Value::Int(self.status.into())),
            ("grade", Value::Int(self.grade.into())),
            ("parent_id", Value::Text(self.parent_id.clone())),
            (
                "product_lines",
                Value::Text(product_lines_column(self.product_lines.iter().copied())),
            ),
        ]
    }
}

impl Stored for Person {
    const TABLE: &'static str = "people";
    const UNIQUE: &'static str = "person";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("region", Value::Text(self.region.clone())),
            ("outlet_id", Value::Text(self.outlet_id.clone())),
            ("level", Value::Int(self.level.into())),
            ("licence_state", Value::Int(self.licence_state.into())),
            ("on_duty", Value::Int(self.on_duty.into())),
            (
                "product_lines",
                Value::Text(product_lines_column(
                    self.skills.iter().map(|s| s.product_line),
                )),
            ),
        ]
    }
}

impl Stored for Order {
    const TABLE: &'static str = "orders";
    const UNIQUE: &'static str = "order";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        let product_line = self.appliance.as_ref().map_or(0, |a| a.product_line);
        vec![
            ("region", Value::Text(self.region.clone())),
            ("kind", Value::Int(self.kind.into())),
            ("status", Value::Int(self.status.into())),
            ("outlet_id", Value::Text(self.outlet_id.clone())),
            ("engineer_id", Value::Text(self.engineer_id.clone())),
            ("product_line", Value::Int(product_line.into())),
            (
                "original_order_id",
                Value::Text(
                    self.complaint
                        .as_ref()
                        .map(|c| c.original_order_id.clone())
                        .unwrap_or_default(),
                ),
            ),
        ]
    }
}

/// Product-line numbers as the `product_lines` column holds them: `,1,4,`.
fn product_lines_column(lines: impl Iterator<Item = i32>) -> String {
    lines.fold(String::from(","), |mut column, line| {
        column.push_str(&line.to_string());
        column.push(',');
        column
    })
}

/// The `due_at` column of an order the kernel says runs no SLA clock (or
/// when none is given): later than any `due_before`.
pub(super) const NOT_DUE: i64 = i64::MAX;

/// The columns of an order write that the kernel decides: its due time
/// and whether it counts toward a load.
pub(super) fn kernel_columns(due_at: Option<i64>, in_hand: bool) -> Vec<(&'static str, Value)> {
    vec![
        ("due_at", Value::Int(due_at.unwrap_or(NOT_DUE))),
        ("in_hand", Value::Int(in_hand.into())),
    ]
}

/// Records that are written once: their `version` column stays 1.
macro_rules! append_only {
    ($record:ty, $table:literal, $($column:ident: $kind:ident),*) => {
        impl Stored for $record {
            const TABLE: &'static str = $table;
            const UNIQUE: &'static str = $table;
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> i64 {
                1
            }
            fn set_version(&mut self, _version: i64) {}
            fn columns(&self) -> Vec<(&'static str, Value)> {
                vec![$((stringify!($column), Value::$kind(self.$column.clone().into()))),*]
            }
        }
    };
}

append_only!(LicenceEvent, "licence_events", person_id: Text);
append_only!(Audit, "audits", region: Text, outlet_id: Text);
