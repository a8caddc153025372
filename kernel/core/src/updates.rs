//! Partial updates: a `google.protobuf.FieldMask` names the fields to change.

use std::future::Future;
use std::pin::Pin;

use xingji_store::prelude::*;

use crate::error::{KernelError, Result, quoted};
use crate::records::get;
use crate::regions::record_region;
use crate::validate::Violations;

/// A record that `Update…` requests change field by field.
pub trait Updatable: Clone + Sized {
    /// Its kind, as requests and errors name it (`outlet`).
    const KIND: &'static str;
    /// The fields an update may change.
    const UPDATABLE: &'static [&'static str];
    /// Its id, version and region.
    fn key(&self) -> (&str, i64, &str);
    /// Copies the field at `path` (one of [`Self::UPDATABLE`]) from `from`.
    fn copy_field(&mut self, from: &Self, path: &str);
    /// Checks the record as a whole.
    fn check(&self, violations: &mut Violations);
    /// Reads the stored record.
    fn read<'a>(store: &'a dyn Store, id: &'a str) -> Read<'a, Self>;
}

/// A store read under way.
pub type Read<'a, R> = Pin<Box<dyn Future<Output = xingji_store::Result<R>> + Send + 'a>>;

/// What an update asks for: the stored record, and the record to store —
/// the fields `mask` names taken from `input`, checked — refused if the
/// client gave a version other than the stored one.
pub async fn updated<R: Updatable>(
    store: &dyn Store,
    input: Option<R>,
    mask: Option<&prost_types::FieldMask>,
) -> Result<(R, R)> {
    let Some(input) = input else {
        return Err(KernelError::invalid(R::KIND, "is required"));
    };
    let (id, version, _) = input.key();
    let field = format!("{}.id", R::KIND);
    if id.is_empty() {
        return Err(KernelError::invalid(field, "is required"));
    }
    let paths = check_mask(mask, R::UPDATABLE)?;
    let current: R = get(&field, R::KIND, id, || R::read(store, id)).await?;
    let (current_id, current_version, region) = current.key();
    record_region(region);
    if version != 0 && version != current_version {
        return Err(KernelError::version_mismatch(
            R::KIND,
            current_id,
            current_version,
        ));
    }
    let mut record = current.clone();
    for path in &paths {
        record.copy_field(&input, path);
    }
    let mut violations = Violations::default();
    record.check(&mut violations);
    violations.into_result()?;
    Ok((current, record))
}

/// Checks an update mask: not empty, and every path one of `allowed`.
pub fn check_mask(mask: Option<&prost_types::FieldMask>, allowed: &[&str]) -> Result<Vec<String>> {
    let paths = mask.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(KernelError::invalid(
            "update_mask",
            format!(
                "must name the fields to update, from: {}",
                allowed.join(", ")
            ),
        ));
    }
    let mut violations = Violations::default();
    for (i, path) in paths.iter().enumerate() {
        if !allowed.contains(&path.as_str()) {
            violations.add(
                format!("update_mask.paths[{i}]"),
                format!(
                    "{} cannot be updated; updatable fields: {}",
                    quoted(path),
                    allowed.join(", ")
                ),
            );
        }
    }
    violations.into_result()?;
    Ok(paths)
}
