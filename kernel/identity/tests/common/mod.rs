//! What the identity tests share: keys made on the spot, tokens signed by
//! hand, configurations.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use xingji_identity::{EmbeddedIssuer, IdentityConfig, IssuerConfig};

pub const AUDIENCE: &str = "xingji";
pub const EMBEDDED: &str = "xingji";
pub const PARTNER: &str = "https://idp.example/realms/xingji";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A private key (PKCS#8 PEM) and its public key (SPKI PEM).
pub struct KeyPair {
    pub private_pem: String,
    pub public_pem: String,
}

impl KeyPair {
    pub fn encoding(&self, alg: Algorithm) -> EncodingKey {
        match alg {
            Algorithm::ES256 | Algorithm::ES384 => {
                EncodingKey::from_ec_pem(self.private_pem.as_bytes())
            }
            Algorithm::EdDSA => EncodingKey::from_ed_pem(self.private_pem.as_bytes()),
            _ => EncodingKey::from_rsa_pem(self.private_pem.as_bytes()),
        }
        .expect("a test key reads")
    }
}

/// A new EC key on P-256 (`p384` false) or P-384.
pub fn ec_key(p384: bool) -> KeyPair {
    let alg = if p384 {
        &rcgen::PKCS_ECDSA_P384_SHA384
    } else {
        &rcgen::PKCS_ECDSA_P256_SHA256
    };
    let key = rcgen::KeyPair::generate_for(alg).expect("EC key generation");
    KeyPair {
        private_pem: key.serialize_pem(),
        public_pem: key.public_key_pem(),
    }
}

/// A new RSA key of `bits`.
pub fn rsa_key(bits: usize) -> KeyPair {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let key = rsa::PrivateKey::new(&mut OsRng, bits).expect("RSA key generation");
    KeyPair {
        private_pem: key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("encoding an RSA key")
            .to_string(),
        public_pem: key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("encoding an RSA public key"),
    }
}

/// The system's random numbers, for the RSA crate's key generation.
struct OsRng;

impl rsa::rand_core::TryRng for OsRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst).expect("the system's random numbers");
        Ok(())
    }
}

impl rsa::rand_core::TryCryptoRng for OsRng {}

/// The claims of a good token from `iss`: for our audience, valid for five
/// minutes, with a role and a region.
pub fn claims(iss: &str) -> Value {
    let now = now();
    json!({
        "iss": iss,
        "sub": "agent-7",
        "aud": AUDIENCE,
        "exp": now + 300,
        "nbf": now - 1,
        "iat": now - 1,
        "jti": "t-1",
        "xingji": {"role": "call-centre", "regions": ["shanghai"]},
    })
}

/// A token of `claims` signed with `key` under `alg`, with `kid` if given.
pub fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("signing a test token")
}

/// A token with this header and claims and a signature of `signature`.
pub fn assemble(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

/// An embedded issuer with a fresh key.
pub fn embedded() -> EmbeddedIssuer {
    let pem = EmbeddedIssuer::generate_pem().expect("a new key");
    EmbeddedIssuer::from_pem(&pem, EMBEDDED).expect("the new key reads")
}

/// An external issuer whose keys are these PEM texts, written under `dir`.
pub fn static_issuer(dir: &Path, iss: &str, public_pems: &[&str]) -> IssuerConfig {
    let files = public_pems
        .iter()
        .enumerate()
        .map(|(i, pem)| {
            let path = dir.join(format!("key-{i}.pem"));
            std::fs::write(&path, pem).expect("writing a test key");
            path
        })
        .collect();
    IssuerConfig {
        issuer: iss.to_owned(),
        public_key_files: files,
        ..IssuerConfig::default()
    }
}

/// The default configuration with these external issuers.
pub fn config(issuers: Vec<IssuerConfig>) -> IdentityConfig {
    IdentityConfig {
        issuers,
        ..IdentityConfig::default()
    }
}
