//! Who the driver calls as: a bearer token per purpose (the orders it
//! sends, the network it grows, the plugins it swaps), from `--token`,
//! `--token-file` or `--as <role>:<name>` — a token saved in the tokens
//! directory, laid out as the `xingji` CLI reads it
//! (`<tokens dir>/<role>/<name>.jwt`, which `xingji serve --demo` and
//! `xingji tokens issue --save` write).

use std::path::{Path, PathBuf};

use clap::Args;
use tonic::metadata::AsciiMetadataValue;

/// A credential, or what is wrong with the flags, in words. (Its own
/// result type: this file depends on no other of the driver.)
type Result<T> = std::result::Result<T, String>;

/// Where `--as` finds saved tokens when neither `--tokens-dir` nor
/// `--server` says: the CLI's default.
pub const DEFAULT_TOKENS_DIR: &str = "data/tokens";

/// The credential of the calls that do the work: the orders of `intake`
/// and `swap`, the creates of `setup`.
#[derive(Debug, Clone, Default, Args)]
pub struct CallerArgs {
    /// Call as <role>:<name>, with the token saved for it in the tokens
    /// directory [default: call-centre:07 for orders, hq:demo for setup].
    #[arg(long = "as", value_name = "ROLE:NAME", conflicts_with_all = ["token", "token_file"])]
    pub acting_as: Option<String>,
    /// Call with this bearer token (a JWT).
    #[arg(long, conflicts_with = "token_file")]
    pub token: Option<String>,
    /// Call with the bearer token in this file.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
}

/// The credential of `swap`'s plugin calls: reading the regions' plugins
/// and activating region A's.
#[derive(Debug, Clone, Default, Args)]
pub struct AdminArgs {
    /// Activate plugins as <role>:<name> (regional IT or hq), with the
    /// token saved for it [default: regional-it:<--region-a>].
    #[arg(long = "admin-as", value_name = "ROLE:NAME", conflicts_with_all = ["admin_token", "admin_token_file"])]
    pub admin_as: Option<String>,
    /// Activate plugins with this bearer token.
    #[arg(long, conflicts_with = "admin_token_file")]
    pub admin_token: Option<String>,
    /// Activate plugins with the bearer token in this file.
    #[arg(long, value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
}

/// One credential's flags, whatever their names.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The `--as` value, if given.
    pub acting_as: Option<&'a str>,
    /// The `--token` value, if given.
    pub token: Option<&'a str>,
    /// The `--token-file` value, if given.
    pub token_file: Option<&'a Path>,
    /// The flags' names, for errors: `["--as", "--token", "--token-file"]`.
    pub flags: [&'static str; 3],
}

impl CallerArgs {
    /// These flags as a [`Source`].
    pub fn source(&self) -> Source<'_> {
        Source {
            acting_as: self.acting_as.as_deref(),
            token: self.token.as_deref(),
            token_file: self.token_file.as_deref(),
            flags: ["--as", "--token", "--token-file"],
        }
    }
}

impl AdminArgs {
    /// These flags as a [`Source`].
    pub fn source(&self) -> Source<'_> {
        Source {
            acting_as: self.admin_as.as_deref(),
            token: self.admin_token.as_deref(),
            token_file: self.admin_token_file.as_deref(),
            flags: ["--admin-as", "--admin-token", "--admin-token-file"],
        }
    }
}

/// The `authorization` value of `source`, or of `default` (a
/// `<role>:<name>`) saved in `tokens_dir` when it names none.
pub fn bearer(source: Source<'_>, default: &str, tokens_dir: &Path) -> Result<AsciiMetadataValue> {
    let [as_flag, token_flag, file_flag] = source.flags;
    let (flag, token) = match (source.token, source.token_file, source.acting_as) {
        (Some(token), _, _) => (token_flag, token.trim().to_owned()),
        (None, Some(path), _) => (file_flag, read(path, file_flag)?),
        (None, None, principal) => (
            as_flag,
            saved(principal.unwrap_or(default), as_flag, tokens_dir)?,
        ),
    };
    // A metadata value takes bytes from 0x80 up, which the server cannot
    // read back as a token: refused here, naming the flag.
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{flag}: a token is printable ASCII (a JWT)"));
    }
    format!("Bearer {token}")
        .parse()
        .map_err(|_| format!("{flag}: a token is printable ASCII (a JWT)"))
}

/// The token saved for `principal` in `dir`.
fn saved(principal: &str, flag: &str, dir: &Path) -> Result<String> {
    let Some(path) = token_file(dir, principal) else {
        return Err(format!(
            "{flag} {principal:?}: give <role>:<name>, e.g. call-centre:07 or regional-it:shanghai"
        ));
    };
    if !path.exists() {
        let (role, name) = principal.split_once(':').unwrap_or_default();
        return Err(format!(
            "{flag} {principal}: no token saved at {} (--tokens-dir, or XINGJI_TOKENS_DIR); `xingji serve --demo` saves its people's, and `xingji tokens issue --role {role} --subject {name} --region <region> --save` saves one on the server's machine",
            path.display()
        ));
    }
    read(&path, flag)
}

/// The token in the file at `path`.
fn read(path: &Path, flag: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|text| text.trim().to_owned())
        .map_err(|error| format!("{flag}: cannot read {}: {error}", path.display()))
}

/// The file of `<role>:<name>`'s token in `dir`, if both parts are safe as
/// file names (letters, digits, `-`, `_`, `.`, not starting with a dot):
/// the layout of the `xingji` CLI's `--as`, which this driver does not link.
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

    fn caller<'a>(acting_as: Option<&'a str>, token: Option<&'a str>) -> Source<'a> {
        Source {
            acting_as,
            token,
            token_file: None,
            flags: ["--as", "--token", "--token-file"],
        }
    }

    #[test]
    fn a_saved_token_is_read_for_the_principal_or_the_default() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("call-centre")).expect("dir");
        std::fs::write(dir.path().join("call-centre/07.jwt"), "a.b.c\n").expect("write");
        std::fs::create_dir_all(dir.path().join("hq")).expect("dir");
        std::fs::write(dir.path().join("hq/demo.jwt"), "d.e.f\n").expect("write");

        let by_default = bearer(caller(None, None), "call-centre:07", dir.path()).expect("saved");
        assert_eq!(by_default.as_bytes(), b"Bearer a.b.c");
        let named =
            bearer(caller(Some("hq:demo"), None), "call-centre:07", dir.path()).expect("saved");
        assert_eq!(named.as_bytes(), b"Bearer d.e.f");
        let given = bearer(caller(None, Some(" x.y.z ")), "hq:none", dir.path()).expect("given");
        assert_eq!(given.as_bytes(), b"Bearer x.y.z");
    }

    #[test]
    fn what_cannot_be_a_token_is_refused_naming_the_flag() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing =
            bearer(caller(Some("hq:nobody"), None), "hq:demo", dir.path()).expect_err("no file");
        assert!(
            missing.contains("--as hq:nobody: no token saved at"),
            "{missing}"
        );
        assert!(missing.contains("--role hq --subject nobody"), "{missing}");
        let admin = Source {
            flags: ["--admin-as", "--admin-token", "--admin-token-file"],
            ..caller(Some("regional-it:../x"), None)
        };
        let unsafe_name = bearer(admin, "hq:demo", dir.path()).expect_err("not a file name");
        assert!(
            unsafe_name.starts_with("--admin-as \"regional-it:../x\""),
            "{unsafe_name}"
        );
        for token in ["李娜", "a b", ""] {
            let error =
                bearer(caller(None, Some(token)), "hq:demo", dir.path()).expect_err("not a token");
            assert!(
                error.contains("--token: a token is printable ASCII"),
                "{error}"
            );
        }
    }

    #[test]
    fn principals_map_to_the_clis_files() {
        let dir = Path::new("data/tokens");
        assert_eq!(
            token_file(dir, "regional-it:shanghai"),
            Some(PathBuf::from("data/tokens/regional-it/shanghai.jwt"))
        );
        for bad in ["hq", "hq:", ":x", "hq:../x", "hq:a/b", "hq:.x", "hq:李"] {
            assert_eq!(token_file(dir, bad), None, "{bad}");
        }
    }
}
