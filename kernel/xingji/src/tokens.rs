//! The embedded issuer's key and the saved tokens: the key lives in
//! `<data dir>/identity/`, tokens in `<tokens dir>/<role>/<name>.jwt`,
//! which `xingji tokens issue --save` and `serve --demo` write and the
//! CLI's `--as <role>:<name>` reads.

use std::path::{Path, PathBuf};

use xingji_identity::{EmbeddedIssuer, SetupError};

use crate::config::Config;

/// The tokens directory inside a data directory.
pub const TOKENS_DIR: &str = "tokens";

/// Where the embedded issuer keeps its key, inside a data directory.
pub const IDENTITY_DIR: &str = "identity";

/// The embedded issuer of `config`'s data directory (its key made on first
/// use), if the config enables it.
pub fn embedded_issuer(config: &Config) -> Result<Option<EmbeddedIssuer>, SetupError> {
    let embedded = &config.identity.embedded;
    if !embedded.enabled {
        return Ok(None);
    }
    let dir = config.data_dir.join(IDENTITY_DIR);
    EmbeddedIssuer::open_or_create(&dir, &embedded.issuer).map(Some)
}

/// Saves `token` as `principal`'s in `dir`, readable by its owner only
/// (a token is a credential).
pub fn save_token(dir: &Path, principal: &str, token: &str) -> std::io::Result<PathBuf> {
    let Some(path) = token_file(dir, principal) else {
        return Err(std::io::Error::other(format!(
            "{principal:?} is not <role>:<name> of letters, digits, '-', '_' and '.'"
        )));
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    std::io::Write::write_all(&mut file.open(&path)?, format!("{token}\n").as_bytes())?;
    Ok(path)
}

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
