//! Who the CLI calls as: a bearer token from `--token`, `--token-file`, or
//! `--as <role>:<name>` (a token saved in the tokens directory), sent as
//! `authorization: Bearer …` on every request.

use std::path::Path;

use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use super::errors::ClientError;
use crate::tokens::token_file;

/// The credential every request carries, if any (without one the server
/// answers UNAUTHENTICATED, which says what to pass).
#[derive(Debug, Clone, Default)]
pub struct Credential(Option<AsciiMetadataValue>);

impl Interceptor for Credential {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// Where the CLI's credential comes from: the global flags.
#[derive(Debug, Clone)]
pub struct CredentialFlags<'a> {
    /// `--token`.
    pub token: Option<&'a str>,
    /// `--token-file`.
    pub token_file: Option<&'a Path>,
    /// `--as`.
    pub acting_as: Option<&'a str>,
    /// `--tokens-dir`.
    pub tokens_dir: &'a Path,
}

impl Credential {
    /// The credential the flags name; at most one of them may be given.
    pub fn from_flags(flags: &CredentialFlags<'_>) -> Result<Credential, ClientError> {
        let given = [
            flags.token.map(|_| "--token"),
            flags.token_file.map(|_| "--token-file"),
            flags.acting_as.map(|_| "--as"),
        ];
        let given: Vec<&str> = given.into_iter().flatten().collect();
        if given.len() > 1 {
            return Err(ClientError::Usage(format!(
                "{} name a credential each: give one",
                given.join(" and ")
            )));
        }
        let token = match (flags.token, flags.token_file, flags.acting_as) {
            (Some(token), _, _) => token.trim().to_owned(),
            (_, Some(path), _) => read(path, "--token-file")?,
            (_, _, Some(principal)) => {
                let Some(path) = token_file(flags.tokens_dir, principal) else {
                    return Err(ClientError::Usage(format!(
                        "--as {principal:?}: give <role>:<name>, e.g. --as call-centre:07 or --as outlet:<outlet id>"
                    )));
                };
                if !path.exists() {
                    let (role, name) = principal.split_once(':').unwrap_or_default();
                    return Err(ClientError::Usage(format!(
                        "--as {principal}: no token saved at {} (--tokens-dir, or XINGJI_TOKENS_DIR); on the server's machine `xingji tokens issue --role {role} --subject {name} --region <region> --save` saves one, and `xingji serve --demo` saves its people's",
                        path.display()
                    )));
                }
                read(&path, "--as")?
            }
            (None, None, None) => return Ok(Credential(None)),
        };
        let not_a_token = || {
            ClientError::Usage(format!(
                "{}: a token is printable ASCII (a JWT)",
                given.first().copied().unwrap_or("--token")
            ))
        };
        // A metadata value takes any byte from 0x80 up, which the server
        // cannot read back as a token: checked here, where the flag is known.
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(not_a_token());
        }
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| not_a_token())?;
        Ok(Credential(Some(value)))
    }
}

/// The token in the file at `path`, for `flag`'s error.
fn read(path: &Path, flag: &str) -> Result<String, ClientError> {
    std::fs::read_to_string(path)
        .map(|text| text.trim().to_owned())
        .map_err(|error| {
            ClientError::Usage(format!("{flag}: cannot read {}: {error}", path.display()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_credential_is_sent_on_every_request() {
        let dir = tempfile::tempdir().expect("temp dir");
        let flags = CredentialFlags {
            token: Some("aaa.bbb.ccc"),
            token_file: None,
            acting_as: None,
            tokens_dir: dir.path(),
        };
        let mut credential = Credential::from_flags(&flags).expect("a token");
        let request = credential.call(Request::new(())).expect("passes");
        assert_eq!(
            request
                .metadata()
                .get("authorization")
                .map(|v| v.as_bytes()),
            Some(&b"Bearer aaa.bbb.ccc"[..])
        );
        let both = CredentialFlags {
            acting_as: Some("hq:x"),
            ..flags.clone()
        };
        let error = Credential::from_flags(&both).expect_err("two").to_string();
        assert!(error.contains("--token and --as"), "{error}");
        for unreadable in ["李娜", "a b", ""] {
            let flags = CredentialFlags {
                token: Some(unreadable),
                ..flags.clone()
            };
            let error = Credential::from_flags(&flags)
                .expect_err("not a token")
                .to_string();
            assert!(
                error.contains("--token: a token is printable ASCII"),
                "{error}"
            );
        }
        let missing = CredentialFlags {
            token: None,
            token_file: None,
            acting_as: Some("call-centre:07"),
            tokens_dir: dir.path(),
        };
        let error = Credential::from_flags(&missing)
            .expect_err("no file")
            .to_string();
        assert!(
            error.contains("tokens issue --role call-centre --subject 07"),
            "{error}"
        );
        std::fs::create_dir_all(dir.path().join("call-centre")).expect("dir");
        std::fs::write(dir.path().join("call-centre/07.jwt"), "x.y.z\n").expect("write");
        let mut saved = Credential::from_flags(&missing).expect("saved");
        let request = saved.call(Request::new(())).expect("passes");
        assert_eq!(
            request
                .metadata()
                .get("authorization")
                .map(|v| v.as_bytes()),
            Some(&b"Bearer x.y.z"[..])
        );
    }
}
