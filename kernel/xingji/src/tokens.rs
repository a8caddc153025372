//! Where saved tokens live: `<tokens dir>/<role>/<name>.jwt`, which
//! `xingji tokens issue --save` and `serve --demo` write and the CLI's
//! `--as <role>:<name>` reads.

use std::path::{Path, PathBuf};

/// The tokens directory inside a data directory.
pub const TOKENS_DIR: &str = "tokens";

/// The file of `role:name`'s token in `dir`, if `principal` is a
/// `<role>:<name>` whose parts are safe as file names (letters, digits,
/// `-`, `_`, `.`, not starting with a dot).
pub fn token_file(dir: &Path, principal: &str) -> Option<PathBuf> {
    let (role, name) = principal.split_once(':')?;
    let safe = |part: &str| {
        !part.is_empty()
            && part.len() <= 100
            && !part.starts_with('.')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    (safe(role) && safe(name)).then(|| dir.join(role).join(format!("{name}.jwt")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_map_to_safe_files() {
        let dir = Path::new("data/tokens");
        assert_eq!(
            token_file(dir, "call-centre:07"),
            Some(PathBuf::from("data/tokens/call-centre/07.jwt"))
        );
        for bad in ["hq", "hq:", ":x", "hq:../x", "hq:a/b", "hq:.x", "hq:李"] {
            assert_eq!(token_file(dir, bad), None, "{bad}");
        }
    }
}
