//! The embedded issuer: the deployment's own Ed25519 key, kept in
//! `<dir>/issuer.key`, and the tokens it signs.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header};

use crate::claims::{Audience, TokenClaims, XingjiClaim};
use crate::error::{IssueError, SetupError};
use crate::keys::TrustedKey;
use crate::time::now;

/// The private key's file in the issuer's directory (PKCS#8 PEM, 0600).
pub const KEY_FILE: &str = "issuer.key";
/// Its public key, beside it (SPKI PEM), for whoever else verifies our
/// tokens: an external verifier's `public_key_files` takes it as it is.
pub const PUBLIC_KEY_FILE: &str = "issuer.pub";

/// Characters of the base64url SHA-256 thumbprint kept as the key id.
const KID_LENGTH: usize = 16;

/// What a token is to say. `ttl` counts from the moment it is issued.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenRequest {
    /// `sub`.
    pub subject: String,
    /// The role.
    pub role: String,
    /// Region ids.
    pub regions: Vec<String>,
    /// The outlet id, for the outlet role.
    pub outlet: Option<String>,
    /// The person id, for the engineer role.
    pub person: Option<String>,
    /// Explicit permissions.
    pub permissions: Vec<String>,
    /// How long the token is valid.
    pub ttl: Duration,
    /// `aud`: the verifier's configured audience.
    pub audience: String,
}

/// Our own token issuer.
pub struct EmbeddedIssuer {
    issuer: String,
    kid: String,
    signing: EncodingKey,
    public: DecodingKey,
    public_pem: String,
}

impl std::fmt::Debug for EmbeddedIssuer {
    // The private key stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedIssuer")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl EmbeddedIssuer {
    /// The issuer whose key is `<dir>/issuer.key`, made if missing (written
    /// to a temporary file of mode 0600 and linked into place, so a reader
    /// never sees half a key and two starting servers cannot both make one).
    /// Writes `<dir>/issuer.pub` if it is missing or differs. Tokens say
    /// `iss: issuer`.
    pub fn open_or_create(dir: &Path, issuer: &str) -> Result<Self, SetupError> {
        check_name(issuer)?;
        let path = dir.join(KEY_FILE);
        let file_error = |reason: String| SetupError::KeyFile {
            path: path.clone(),
            reason,
        };
        fs::create_dir_all(dir)
            .map_err(|e| file_error(format!("cannot create its directory: {e}")))?;
        let pem = match fs::read_to_string(&path) {
            Ok(pem) => {
                warn_if_readable_by_others(&path);
                pem
            }
            Err(e) if e.kind() == ErrorKind::NotFound => create_key(dir, &path)?,
            Err(e) => return Err(file_error(format!("cannot be read: {e}"))),
        };
        let this = Self::read(&pem, issuer).map_err(file_error)?;
        this.write_public_key(dir)?;
        Ok(this)
    }

    /// The issuer of a PKCS#8 PEM Ed25519 private key (tests use a fixed
    /// key this way).
    pub fn from_pem(pem: &str, issuer: &str) -> Result<Self, SetupError> {
        check_name(issuer)?;
        Self::read(pem, issuer)
            .map_err(|reason| SetupError::Config(format!("the embedded issuer's key {reason}")))
    }

    fn read(pem: &str, issuer: &str) -> Result<Self, String> {
        let key = SigningKey::from_pkcs8_pem(pem)
            .map_err(|_| "holds no PKCS#8 PEM Ed25519 private key".to_owned())?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| format!("cannot be encoded: {e}"))?;
        let verifying = key.verifying_key();
        let public = DecodingKey::from_ed_der(verifying.as_bytes());
        let public_pem = verifying
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| format!("has a public key that cannot be encoded: {e}"))?;
        let kid = Jwk::from_decoding_key(&public, Some(Algorithm::EdDSA))
            .and_then(|jwk| jwk.thumbprint(ThumbprintHash::SHA256))
            .map_err(|e| format!("has no thumbprint: {e}"))?
            .chars()
            .take(KID_LENGTH)
            .collect();
        Ok(Self {
            issuer: issuer.to_owned(),
            kid,
            signing: EncodingKey::from_ed_der(der.as_bytes()),
            public,
            public_pem,
        })
    }

    /// A new random key, as PKCS#8 PEM (for tests and for tools that make
    /// a key elsewhere).
    pub fn generate_pem() -> Result<String, SetupError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| SetupError::Config(format!("no randomness for a key: {e}")))?;
        let pem = SigningKey::from_bytes(&seed)
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| SetupError::Config(format!("cannot encode a new key: {e}")))?;
        Ok(pem.to_string())
    }

    /// The `iss` of its tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Its key id: the first characters of the key's RFC 7638 SHA-256
    /// thumbprint.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Its public key as SPKI PEM.
    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// Its public key as a JWKS document, for whoever verifies our tokens
    /// by JWKS.
    pub fn jwks_json(&self) -> String {
        let jwk = Jwk::from_decoding_key(&self.public, Some(Algorithm::EdDSA)).map(|mut jwk| {
            jwk.common.key_id = Some(self.kid.clone());
            jwk
        });
        let set = JwkSet {
            keys: jwk.into_iter().collect(),
        };
        serde_json::to_string(&set).unwrap_or_else(|_| r#"{"keys":[]}"#.to_owned())
    }

    /// A signed token saying what `request` says, valid from now for its
    /// ttl, with a random `jti`.
    pub fn issue(&self, request: TokenRequest) -> Result<String, IssueError> {
        for (field, value) in [
            ("subject", &request.subject),
            ("role", &request.role),
            ("audience", &request.audience),
        ] {
            if value.is_empty() {
                return Err(IssueError::Request(format!("{field} is empty")));
            }
        }
        let ttl = i64::try_from(request.ttl.as_secs())
            .ok()
            .filter(|ttl| *ttl > 0)
            .ok_or_else(|| IssueError::Request("ttl must be at least a second".to_owned()))?;
        let issued_at = now();
        let claims = TokenClaims {
            iss: self.issuer.clone(),
            sub: Some(request.subject),
            aud: Audience::One(request.audience),
            exp: issued_at.saturating_add(ttl),
            nbf: Some(issued_at),
            iat: Some(issued_at),
            jti: Some(random_id()?),
            xingji: Some(XingjiClaim {
                role: Some(request.role),
                regions: request.regions,
                outlet: request.outlet,
                person: request.person,
                permissions: request.permissions,
            }),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing)
            .map_err(|e| IssueError::Signing(e.to_string()))
    }

    /// The key a verifier checks our tokens with.
    pub(crate) fn trusted_key(&self) -> TrustedKey {
        TrustedKey {
            kid: Some(self.kid.clone()),
            algorithms: AlgorithmFamily::Ed.algorithms().to_vec(),
            key: self.public.clone(),
        }
    }

    fn write_public_key(&self, dir: &Path) -> Result<(), SetupError> {
        let path = dir.join(PUBLIC_KEY_FILE);
        if fs::read_to_string(&path).is_ok_and(|text| text == self.public_pem) {
            return Ok(());
        }
        let written = write_new_file(dir, self.public_pem.as_bytes(), 0o644)
            .and_then(|file| file.persist(&path).map_err(|e| e.error));
        written.map(drop).map_err(|e| SetupError::KeyFile {
            path,
            reason: format!("cannot be written: {e}"),
        })
    }
}

fn check_name(issuer: &str) -> Result<(), SetupError> {
    if issuer.is_empty() {
        return Err(SetupError::Config(
            "the embedded issuer needs a name (identity.embedded.issuer)".to_owned(),
        ));
    }
    Ok(())
}

/// Makes and stores a new key, unless another process stored one first:
/// then that one is read.
fn create_key(dir: &Path, path: &PathBuf) -> Result<String, SetupError> {
    let file_error = |reason: String| SetupError::KeyFile {
        path: path.clone(),
        reason,
    };
    let pem = EmbeddedIssuer::generate_pem()?;
    let file = write_new_file(dir, pem.as_bytes(), 0o600)
        .map_err(|e| file_error(format!("cannot be written: {e}")))?;
    match file.persist_noclobber(path) {
        Ok(_) => {
            // The link must outlive a crash as well as the file's content.
            if let Ok(dir) = fs::File::open(dir) {
                let _ = dir.sync_all();
            }
            tracing::info!(path = %path.display(), "embedded issuer key created");
            Ok(pem)
        }
        Err(e) if e.error.kind() == ErrorKind::AlreadyExists => {
            fs::read_to_string(path).map_err(|e| file_error(format!("cannot be read: {e}")))
        }
        Err(e) => Err(file_error(format!("cannot be written: {}", e.error))),
    }
}

/// A synced temporary file in `dir` holding `content`, with `mode` (on
/// unix; elsewhere the directory's access rules apply).
fn write_new_file(
    dir: &Path,
    content: &[u8],
    mode: u32,
) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".issuer-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(content)?;
    file.as_file().sync_all()?;
    Ok(file)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "the embedded issuer's key is readable by others than its owner: chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// 128 random bits, hex: a token's `jti`.
fn random_id() -> Result<String, IssueError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| IssueError::Signing(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
