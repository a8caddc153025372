//! How each record kind sits in its table, and generic access to the
//! tables: read, list, insert, update.

use prost::Message;
use sqlx::{AssertSqlSafe, PgConnection, Postgres, QueryBuilder, Row};
use xingji_api::v1::{Audit, Order, Outlet, Person};

use super::handle::PostgresStore;
use xingji_store::{Page, Result, StoreError};

/// A column value.
#[derive(Clone)]
pub(super) enum Value {
    Text(String),
    Int(i32),
    Big(i64),
    Bool(bool),
    Ints(Vec<i32>),
}

impl Value {
    fn push(self, query: &mut QueryBuilder<Postgres>) {
        match self {
            Value::Text(v) => query.push_bind(v),
            Value::Int(v) => query.push_bind(v),
            Value::Big(v) => query.push_bind(v),
            Value::Bool(v) => query.push_bind(v),
            Value::Ints(v) => query.push_bind(v),
        };
    }
}

/// A record kind as its table holds it.
pub(super) trait Stored: Message + Default + Send + Unpin {
    /// Its table.
    const TABLE: &'static str;
    /// What a unique-key violation on insert or update means.
    const UNIQUE: &'static str;
    fn id(&self) -> &str;
    fn region(&self) -> &str;
    fn version(&self) -> i64;
    fn set_version(&mut self, version: i64);
    /// The filter columns, besides `region`, `id`, `version` and `body`.
    fn columns(&self) -> Vec<(&'static str, Value)>;
}

impl Stored for Outlet {
    const TABLE: &'static str = "outlets";
    const UNIQUE: &'static str = "outlet number";
    fn id(&self) -> &str {
        &self.id
    }
    fn region(&self) -> &str {
        &self.region
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("number", Value::Text(self.number.clone())),
            ("tier", Value::Int(self.tier)),
            ("status", Value::Int(self.status)),
            ("grade", Value::Int(self.grade)),
            ("parent_id", Value::Text(self.parent_id.clone())),
            ("product_lines", Value::Ints(self.product_lines.clone())),
        ]
    }
}

impl Stored for Person {
    const TABLE: &'static str = "people";
    const UNIQUE: &'static str = "person";
    fn id(&self) -> &str {
        &self.id
    }
    fn region(&self) -> &str {
        &self.region
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("outlet_id", Value::Text(self.outlet_id.clone())),
            ("level", Value::Int(self.level)),
            ("licence_state", Value::Int(self.licence_state)),
            ("on_duty", Value::Bool(self.on_duty)),
            (
                "product_lines",
                Value::Ints(self.skills.iter().map(|s| s.product_line).collect()),
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
    fn region(&self) -> &str {
        &self.region
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("kind", Value::Int(self.kind)),
            ("status", Value::Int(self.status)),
            ("outlet_id", Value::Text(self.outlet_id.clone())),
            ("engineer_id", Value::Text(self.engineer_id.clone())),
            ("product_line", Value::Int(product_line(self))),
            ("original_order_id", Value::Text(original_order_id(self))),
        ]
    }
}

impl Stored for Audit {
    const TABLE: &'static str = "audits";
    const UNIQUE: &'static str = "audits";
    fn id(&self) -> &str {
        &self.id
    }
    fn region(&self) -> &str {
        &self.region
    }
    fn version(&self) -> i64 {
        1
    }
    fn set_version(&mut self, _version: i64) {}
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![("outlet_id", Value::Text(self.outlet_id.clone()))]
    }
}

pub(super) fn product_line(order: &Order) -> i32 {
    order.appliance.as_ref().map_or(0, |a| a.product_line)
}

pub(super) fn original_order_id(order: &Order) -> String {
    order
        .complaint
        .as_ref()
        .map(|c| c.original_order_id.clone())
        .unwrap_or_default()
}

/// The `due_at` of an order the kernel says runs no SLA clock: later than
/// any `due_before`.
pub(super) const NOT_DUE: i64 = i64::MAX;

/// Whether a table keeps a `version` column (append-only ones do not).
fn versioned(table: &str) -> bool {
    !matches!(table, "audits")
}

pub(super) fn decode<R: Message + Default>(id: &str, body: &[u8]) -> Result<R> {
    R::decode(body).map_err(|error| StoreError::Corrupt {
        id: id.to_owned(),
        reason: error.to_string(),
    })
}

pub(super) fn unique_violation(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists(what),
        _ => StoreError::from(error),
    }
}

/// The `AND` terms of a list query, with their values bound.
pub(super) struct Conditions(QueryBuilder<Postgres>);

impl Conditions {
    /// `SELECT id, body FROM table WHERE true`, to add terms to.
    pub(super) fn select(table: &str) -> Self {
        Self(QueryBuilder::new(format!(
            "SELECT id, body FROM {table} WHERE true"
        )))
    }

    /// `region = ANY(regions)`, if given.
    pub(super) fn regions(mut self, regions: Option<&[String]>) -> Self {
        if let Some(regions) = regions {
            self.0
                .push(" AND region = ANY(")
                .push_bind(regions.to_vec())
                .push(")");
        }
        self
    }

    /// `column = value`, if given.
    pub(super) fn eq(mut self, column: &str, value: Option<Value>) -> Self {
        if let Some(value) = value {
            self.0.push(format!(" AND {column} = "));
            value.push(&mut self.0);
        }
        self
    }

    /// `column < value`, if given.
    pub(super) fn below(mut self, column: &str, value: Option<i64>) -> Self {
        if let Some(value) = value {
            self.0.push(format!(" AND {column} < ")).push_bind(value);
        }
        self
    }

    /// `line = ANY(product_lines)`, if given.
    pub(super) fn has_product_line(mut self, line: Option<i32>) -> Self {
        if let Some(line) = line {
            self.0
                .push(" AND ")
                .push_bind(line)
                .push(" = ANY(product_lines)");
        }
        self
    }
}

pub(super) fn text(value: &Option<String>) -> Option<Value> {
    value.clone().map(Value::Text)
}

pub(super) fn int(value: Option<i32>) -> Option<Value> {
    value.map(Value::Int)
}

impl PostgresStore {
    pub(super) async fn get<R: Stored>(&self, id: &str) -> Result<R> {
        let sql = format!("SELECT body FROM {} WHERE id = $1", R::TABLE);
        let body: Vec<u8> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        decode(id, &body)
    }

    /// One page of the records the conditions select, by id.
    pub(super) async fn list<R: Message + Default>(
        &self,
        conditions: Conditions,
        page: &Page,
    ) -> Result<Vec<R>> {
        let mut query = conditions.0;
        if let Some(after) = &page.after {
            query.push(" AND id > ").push_bind(after.clone());
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| decode(row.get("id"), row.get("body")))
            .collect()
    }
}

/// Inserts a new record at version 1, with columns the caller gives beside
/// the record's own.
pub(super) async fn insert<R: Stored>(
    connection: &mut PgConnection,
    mut record: R,
    extra: Vec<(&'static str, Value)>,
) -> Result<R> {
    record.set_version(1);
    let mut columns = record.columns();
    columns.extend(extra);
    if versioned(R::TABLE) {
        columns.push(("version", Value::Big(1)));
    }
    let mut query = QueryBuilder::new(format!("INSERT INTO {} (region, id, body", R::TABLE));
    for (name, _) in &columns {
        query.push(", ").push(*name);
    }
    query
        .push(") VALUES (")
        .push_bind(record.region().to_owned())
        .push(", ")
        .push_bind(record.id().to_owned())
        .push(", ")
        .push_bind(record.encode_to_vec());
    for (_, value) in columns {
        query.push(", ");
        value.push(&mut query);
    }
    query.push(")");
    query
        .build()
        .execute(&mut *connection)
        .await
        .map_err(|error| unique_violation(error, R::UNIQUE))?;
    Ok(record)
}

/// Replaces `record` if it is still at the version it was read at, with
/// columns the caller gives beside the record's own.
pub(super) async fn update<R: Stored>(
    connection: &mut PgConnection,
    mut record: R,
    extra: Vec<(&'static str, Value)>,
) -> Result<R> {
    let read_at = record.version();
    record.set_version(read_at + 1);
    let mut query = QueryBuilder::new(format!("UPDATE {} SET version = ", R::TABLE));
    query
        .push_bind(record.version())
        .push(", body = ")
        .push_bind(record.encode_to_vec());
    for (name, value) in record.columns().into_iter().chain(extra) {
        query.push(format!(", {name} = "));
        value.push(&mut query);
    }
    query
        .push(" WHERE region = ")
        .push_bind(record.region().to_owned())
        .push(" AND id = ")
        .push_bind(record.id().to_owned())
        .push(" AND version = ")
        .push_bind(read_at);
    let done = query
        .build()
        .execute(&mut *connection)
        .await
        .map_err(|error| unique_violation(error, R::UNIQUE))?;
    if done.rows_affected() == 1 {
        return Ok(record);
    }
    let sql = format!("SELECT version FROM {} WHERE id = $1", R::TABLE);
    let current: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(record.id())
        .fetch_optional(&mut *connection)
        .await?;
    match current {
        Some(current) => Err(StoreError::VersionMismatch { current }),
        None => Err(StoreError::NotFound),
    }
}
