//! Partial updates: a `google.protobuf.FieldMask` names the fields to change.

use crate::error::{KernelError, Result, quoted};
use crate::validate::Violations;

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
