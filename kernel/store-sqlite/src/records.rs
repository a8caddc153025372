//! Generic access to the record tables: read, list, insert, update.

use prost::Message;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Executor, QueryBuilder, Row, Sqlite};

use super::handle::SqliteStore;
use super::stored::{Stored, Value};
use xingji_store::{Page, Result, StoreError};

/// One `AND` term of a list query: `before`, a bound value, `after`.
pub(super) struct Condition {
    pub(super) before: &'static str,
    pub(super) value: Value,
    pub(super) after: &'static str,
}

pub(super) fn text_eq(
    conditions: &mut Vec<Condition>,
    before: &'static str,
    value: &Option<String>,
) {
    if let Some(value) = value {
        conditions.push(Condition {
            before,
            value: Value::Text(value.clone()),
            after: "",
        });
    }
}

/// `region IN (…)`, one bound JSON array however many regions: a list for
/// a principal of several regions; `region = ?` for one, so that the
/// `(region, id)` indexes give the order by id without a sort of the page.
pub(super) fn region_in(conditions: &mut Vec<Condition>, regions: &Option<Vec<String>>) {
    if let Some([region]) = regions.as_deref() {
        conditions.push(Condition {
            before: "region = ",
            value: Value::Text(region.clone()),
            after: "",
        });
    } else if let Some(regions) = regions {
        conditions.push(Condition {
            before: "region IN (SELECT value FROM json_each(",
            value: Value::Text(regions_json(regions)),
            after: "))",
        });
    }
}

/// `regions` as a JSON array, for `json_each`.
pub(super) fn regions_json(regions: &[String]) -> String {
    serde_json::Value::from(regions.to_vec()).to_string()
}

pub(super) fn int_eq(conditions: &mut Vec<Condition>, before: &'static str, value: Option<i32>) {
    if let Some(value) = value {
        conditions.push(Condition {
            before,
            value: Value::Int(value.into()),
            after: "",
        });
    }
}

pub(super) fn has_product_line(conditions: &mut Vec<Condition>, line: Option<i32>) {
    if let Some(line) = line {
        conditions.push(Condition {
            before: "product_lines LIKE '%,' || ",
            value: Value::Text(line.to_string()),
            after: " || ',%'",
        });
    }
}

pub(super) fn decode<R: Message + Default>(id: &str, body: &[u8]) -> Result<R> {
    R::decode(body).map_err(|error| StoreError::Corrupt {
        id: id.to_owned(),
        reason: error.to_string(),
    })
}

fn unique_violation(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists(what),
        _ => StoreError::from(error),
    }
}

impl SqliteStore {
    pub(super) async fn get<R: Stored>(&self, id: &str) -> Result<R> {
        let sql = format!("SELECT body FROM {} WHERE id = ?", R::TABLE);
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        decode(id, row.get("body"))
    }

    pub(super) async fn list<R: Stored>(
        &self,
        conditions: Vec<Condition>,
        page: &Page,
    ) -> Result<Vec<R>> {
        self.list_in(R::TABLE, conditions, page).await
    }

    /// One page of the records of `table` that meet `conditions`, by id.
    pub(super) async fn list_in<R: Message + Default>(
        &self,
        table: &str,
        conditions: Vec<Condition>,
        page: &Page,
    ) -> Result<Vec<R>> {
        let rows = self
            .list_rows(&format!("SELECT id, body FROM {table}"), conditions, page)
            .await?;
        rows.iter()
            .map(|row| decode(row.get("id"), row.get("body")))
            .collect()
    }

    /// One page of the rows of `select` (`SELECT … FROM <table>`) that meet
    /// `conditions`, by id.
    pub(super) async fn list_rows(
        &self,
        select: &str,
        conditions: Vec<Condition>,
        page: &Page,
    ) -> Result<Vec<SqliteRow>> {
        let mut query = QueryBuilder::<Sqlite>::new(format!("{select} WHERE 1 = 1"));
        for condition in conditions {
            query.push(" AND ").push(condition.before);
            match condition.value {
                Value::Text(text) => query.push_bind(text),
                Value::Int(int) => query.push_bind(int),
            };
            query.push(condition.after);
        }
        if let Some(after) = &page.after {
            query.push(" AND id > ").push_bind(after.clone());
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        Ok(query.build().fetch_all(&self.pool).await?)
    }

    pub(super) async fn insert<'c, R: Stored>(
        executor: impl Executor<'c, Database = Sqlite>,
        record: R,
    ) -> Result<R> {
        Self::insert_with(executor, record, Vec::new()).await
    }

    /// [`Self::insert`], with columns the caller gives beside the record's
    /// own (an order's due time, which the kernel decides).
    pub(super) async fn insert_with<'c, R: Stored>(
        executor: impl Executor<'c, Database = Sqlite>,
        mut record: R,
        extra: Vec<(&'static str, Value)>,
    ) -> Result<R> {
        record.set_version(1);
        let mut columns = record.columns();
        columns.extend(extra);
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("INSERT INTO {} (id, version, body", R::TABLE));
        for (name, _) in &columns {
            query.push(", ").push(name);
        }
        query.push(") VALUES (");
        let mut values = query.separated(", ");
        values.push_bind(record.id().to_owned());
        values.push_bind(record.version());
        values.push_bind(record.encode_to_vec());
        for (_, value) in columns {
            match value {
                Value::Text(text) => values.push_bind(text),
                Value::Int(int) => values.push_bind(int),
            };
        }
        query.push(")");
        query
            .build()
            .execute(executor)
            .await
            .map_err(|error| unique_violation(error, R::UNIQUE))?;
        Ok(record)
    }

    /// Inserts `records` as they are (versions included), each with the
    /// columns the caller gives beside its own, in one statement. Every
    /// record must give the same columns.
    pub(super) async fn insert_all_with<R: Stored>(
        connection: &mut sqlx::SqliteConnection,
        records: &[(R, Vec<(&'static str, Value)>)],
    ) -> Result<()> {
        let rows: Vec<_> = records
            .iter()
            .map(|(record, extra)| (record, extra.as_slice()))
            .collect();
        let Some(mut query) = insert_rows(&rows) else {
            return Ok(());
        };
        query
            .build()
            .persistent(false)
            .execute(&mut *connection)
            .await
            .map_err(|error| unique_violation(error, R::UNIQUE))?;
        Ok(())
    }

    /// Replaces `record` if it is still at the version it was read at.
    pub(super) async fn update_in<R: Stored>(
        connection: &mut sqlx::SqliteConnection,
        record: R,
    ) -> Result<R> {
        Self::update_with(connection, record, Vec::new()).await
    }

    /// [`Self::update_in`], with columns the caller gives beside the
    /// record's own.
    pub(super) async fn update_with<R: Stored>(
        connection: &mut sqlx::SqliteConnection,
        mut record: R,
        extra: Vec<(&'static str, Value)>,
    ) -> Result<R> {
        let read_at = record.version();
        record.set_version(read_at + 1);
        let mut query = QueryBuilder::<Sqlite>::new(format!("UPDATE {} SET ", R::TABLE));
        let mut sets = query.separated(", ");
        sets.push("version = ")
            .push_bind_unseparated(record.version());
        sets.push("body = ")
            .push_bind_unseparated(record.encode_to_vec());
        for (name, value) in record.columns().into_iter().chain(extra) {
            sets.push(name).push_unseparated(" = ");
            match value {
                Value::Text(text) => sets.push_bind_unseparated(text),
                Value::Int(int) => sets.push_bind_unseparated(int),
            };
        }
        query.push(" WHERE id = ").push_bind(record.id().to_owned());
        query.push(" AND version = ").push_bind(read_at);
        let done = query
            .build()
            .execute(&mut *connection)
            .await
            .map_err(|error| unique_violation(error, R::UNIQUE))?;
        if done.rows_affected() == 1 {
            return Ok(record);
        }
        let sql = format!("SELECT version FROM {} WHERE id = ?", R::TABLE);
        let current: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(record.id())
            .fetch_optional(&mut *connection)
            .await?;
        match current {
            Some(current) => Err(StoreError::VersionMismatch { current }),
            None => Err(StoreError::NotFound),
        }
    }

    /// Writes records that exist, as they are (versions included), in one
    /// statement: for batches inside a transaction that checked them. Of
    /// the filter columns only `changed` are written: SQLite then leaves the
    /// indexes of the others alone.
    /// `extra` are columns the caller gives, the same for every record.
    pub(super) async fn replace_all<R: Stored>(
        connection: &mut sqlx::SqliteConnection,
        records: &[R],
        changed: &[&str],
        extra: &[(&'static str, Value)],
    ) -> Result<()> {
        let rows: Vec<_> = records.iter().map(|record| (record, extra)).collect();
        let Some(mut query) = insert_rows(&rows) else {
            return Ok(());
        };
        query.push(
            " ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body",
        );
        for name in changed {
            query.push(format!(", {name} = excluded.{name}"));
        }
        query
            .build()
            .execute(&mut *connection)
            .await
            .map_err(|error| unique_violation(error, R::UNIQUE))?;
        Ok(())
    }
}

/// `INSERT INTO <table> (id, version, body, <columns>) VALUES …`, a row per
/// record: its own columns, then the ones given beside it (the same names
/// in every row: the first row's). `None` for no rows.
fn insert_rows<R: Stored>(rows: &[(&R, &[(&'static str, Value)])]) -> Option<QueryBuilder<Sqlite>> {
    let (first, extra) = rows.first()?;
    let mut query =
        QueryBuilder::<Sqlite>::new(format!("INSERT INTO {} (id, version, body", R::TABLE));
    for (name, _) in first.columns().iter().chain(extra.iter()) {
        query.push(", ").push(*name);
    }
    query.push(") ");
    query.push_values(rows, |mut row, &(record, extra)| {
        row.push_bind(record.id().to_owned())
            .push_bind(record.version())
            .push_bind(record.encode_to_vec());
        for (_, value) in record.columns().into_iter().chain(extra.iter().cloned()) {
            match value {
                Value::Text(text) => row.push_bind(text),
                Value::Int(int) => row.push_bind(int),
            };
        }
    });
    Some(query)
}
