//! A plugin component's signature: its publisher's Ed25519 signature over
//! the SHA-256 of the component's bytes (the 32 digest bytes are the signed
//! message), kept beside the component as a detached Sigstore bundle
//! (`<file>.sigstore.json`, media type [`BUNDLE_MEDIA_TYPE`]) in the JSON
//! form of `dev.sigstore.bundle.v1.Bundle`:
//!
//! ```json
//! {
//!   "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
//!   "verificationMaterial": { "publicKey": { "hint": "<key id>" } },
//!   "messageSignature": {
//!     "messageDigest": { "algorithm": "SHA2_256", "digest": "<base64>" },
//!     "signature": "<base64>"
//!   }
//! }
//! ```
//!
//! The key id is the base64 of the SHA-256 of the public key's DER
//! (SubjectPublicKeyInfo), as Sigstore recommends for a key hint. Keys are
//! PEM: PKCS#8 private keys and SPKI public keys, as
//! `openssl genpkey -algorithm ed25519` writes them.
//!
//! This file knows nothing of which publishers a deployment trusts: it
//! parses, signs and checks one signature against one key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The Sigstore bundle media type this kernel writes and reads.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// What a detached signature's file name adds to the component's:
/// `warranty.wasm.sigstore.json`, as cosign names its bundles.
pub const SIGNATURE_SUFFIX: &str = ".sigstore.json";

/// The largest bundle read: one of ours is under 400 bytes.
pub const MAX_BUNDLE_BYTES: usize = 64 << 10;

/// Why a signature or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The bundle is not one this kernel reads.
    #[error("the signature is not a Sigstore bundle this kernel reads: {0}")]
    Malformed(String),
    /// The bundle signs another component.
    #[error("the signature is for the component with SHA-256 {signed}, not this one ({actual})")]
    OtherComponent {
        /// The digest the bundle names, hex.
        signed: String,
        /// This component's digest, hex.
        actual: String,
    },
    /// The signature was not made with this key.
    #[error("the signature was not made with key {0}")]
    NotThisKey(String),
    /// A key file is not an Ed25519 key in PEM.
    #[error("not an Ed25519 {0} key in PEM: {1}")]
    Key(&'static str, String),
}

/// A publisher's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    id: String,
}

impl PublicKey {
    /// Reads an SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let key = VerifyingKey::from_public_key_pem(pem)
            .map_err(|error| SignatureError::Key("public", error.to_string()))?;
        Self::new(key)
    }

    fn new(key: VerifyingKey) -> Result<Self, SignatureError> {
        let der = key
            .to_public_key_der()
            .map_err(|error| SignatureError::Key("public", error.to_string()))?;
        let id = STANDARD.encode(Sha256::digest(der.as_bytes()));
        Ok(Self { key, id })
    }

    /// The key's id: what a bundle's `publicKey.hint` names.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key as SPKI PEM.
    pub fn to_pem(&self) -> Result<String, SignatureError> {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|error| SignatureError::Key("public", error.to_string()))
    }
}

/// A publisher's private key, to sign components with.
pub struct PrivateKey {
    key: SigningKey,
    public: PublicKey,
}

impl PrivateKey {
    /// Reads a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let key = SigningKey::from_pkcs8_pem(pem)
            .map_err(|error| SignatureError::Key("private", error.to_string()))?;
        Self::new(key)
    }

    /// A new key from the system's randomness.
    pub fn generate() -> Result<Self, SignatureError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|error| SignatureError::Key("private", format!("no randomness: {error}")))?;
        Self::new(SigningKey::from_bytes(&seed))
    }

    fn new(key: SigningKey) -> Result<Self, SignatureError> {
        let public = PublicKey::new(key.verifying_key())?;
        Ok(Self { key, public })
    }

    /// Its public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The key as PKCS#8 PEM.
    pub fn to_pem(&self) -> Result<String, SignatureError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|error| SignatureError::Key("private", error.to_string()))
    }

    /// Signs `component`.
    pub fn sign(&self, component: &[u8]) -> ComponentSignature {
        let digest: [u8; 32] = Sha256::digest(component).into();
        ComponentSignature {
            key_id: self.public.id.clone(),
            digest,
            signature: self.key.sign(&digest),
        }
    }
}

/// One component's detached signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSignature {
    key_id: String,
    digest: [u8; 32],
    signature: Signature,
}

impl ComponentSignature {
    /// Reads a bundle's JSON.
    pub fn parse(json: &[u8]) -> Result<Self, SignatureError> {
        let malformed = |why: String| SignatureError::Malformed(why);
        if json.len() > MAX_BUNDLE_BYTES {
            return Err(malformed(format!("larger than {MAX_BUNDLE_BYTES} bytes")));
        }
        let bundle: Bundle =
            serde_json::from_slice(json).map_err(|error| malformed(error.to_string()))?;
        if bundle.media_type != BUNDLE_MEDIA_TYPE {
            return Err(malformed(format!(
                "mediaType is {:?}, not {BUNDLE_MEDIA_TYPE:?}",
                bundle.media_type
            )));
        }
        let Some(MessageSignature {
            message_digest,
            signature,
        }) = bundle.message_signature
        else {
            return Err(malformed(
                "it has no messageSignature (a DSSE envelope is not read)".to_owned(),
            ));
        };
        let Some(PublicKeyIdentifier { hint }) = bundle.verification_material.public_key else {
            return Err(malformed(
                "verificationMaterial names no publicKey (certificates are not read)".to_owned(),
            ));
        };
        if message_digest.algorithm != "SHA2_256" {
            return Err(malformed(format!(
                "messageDigest.algorithm is {:?}, not \"SHA2_256\"",
                message_digest.algorithm
            )));
        }
        let digest = decode::<32>("messageDigest.digest", &message_digest.digest)?;
        let signature = decode::<64>("messageSignature.signature", &signature)?;
        Ok(Self {
            key_id: hint,
            digest,
            signature: Signature::from_bytes(&signature),
        })
    }

    /// The bundle's JSON, pretty-printed.
    pub fn to_json(&self) -> String {
        let bundle = Bundle {
            media_type: BUNDLE_MEDIA_TYPE.to_owned(),
            verification_material: VerificationMaterial {
                public_key: Some(PublicKeyIdentifier {
                    hint: self.key_id.clone(),
                }),
            },
            message_signature: Some(MessageSignature {
                message_digest: HashOutput {
                    algorithm: "SHA2_256".to_owned(),
                    digest: STANDARD.encode(self.digest),
                },
                signature: STANDARD.encode(self.signature.to_bytes()),
            }),
        };
        // Plain strings only: serialising cannot fail.
        serde_json::to_string_pretty(&bundle).unwrap_or_default() + "\n"
    }

    /// The id of the key it says it was made with (unauthenticated: only
    /// [`Self::verify`] tells).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Checks that this signs `component` and was made with `key`.
    pub fn verify(&self, component: &[u8], key: &PublicKey) -> Result<(), SignatureError> {
        let actual: [u8; 32] = Sha256::digest(component).into();
        if actual != self.digest {
            return Err(SignatureError::OtherComponent {
                signed: hex(&self.digest),
                actual: hex(&actual),
            });
        }
        // Strict: no small-order keys or malleable signatures.
        key.key
            .verify_strict(&self.digest, &self.signature)
            .map_err(|_| SignatureError::NotThisKey(key.id.clone()))
    }
}

fn decode<const N: usize>(field: &str, text: &str) -> Result<[u8; N], SignatureError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|error| SignatureError::Malformed(format!("{field} is not base64: {error}")))?;
    bytes.try_into().map_err(|bytes: Vec<u8>| {
        SignatureError::Malformed(format!("{field} is {} bytes, not {N}", bytes.len()))
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `dev.sigstore.bundle.v1.Bundle` in its JSON form, the parts read here;
/// other fields (`tlogEntries`, timestamps) are ignored.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    media_type: String,
    verification_material: VerificationMaterial,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_signature: Option<MessageSignature>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerificationMaterial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<PublicKeyIdentifier>,
}

#[derive(Serialize, Deserialize)]
struct PublicKeyIdentifier {
    hint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignature {
    message_digest: HashOutput,
    signature: String,
}

#[derive(Serialize, Deserialize)]
struct HashOutput {
    algorithm: String,
    digest: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0 a component's bytes";

    fn key() -> PrivateKey {
        PrivateKey::generate().expect("randomness")
    }

    #[test]
    fn a_signature_verifies_after_a_round_trip_through_its_json() {
        let key = key();
        let json = key.sign(COMPONENT).to_json();
        let parsed = ComponentSignature::parse(json.as_bytes()).expect("parses");
        assert_eq!(parsed.key_id(), key.public().id());
        assert_eq!(parsed.verify(COMPONENT, key.public()), Ok(()));
        // The field names are the bundle's, as a Sigstore tool reads them.
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value["mediaType"], BUNDLE_MEDIA_TYPE);
        assert_eq!(
            value["verificationMaterial"]["publicKey"]["hint"],
            key.public().id()
        );
        let digest = &value["messageSignature"]["messageDigest"];
        assert_eq!(digest["algorithm"], "SHA2_256");
        assert_eq!(digest["digest"], STANDARD.encode(Sha256::digest(COMPONENT)));
        assert!(value["messageSignature"]["signature"].is_string());
    }

    #[test]
    fn keys_survive_pem() {
        let key = key();
        let again = PrivateKey::from_pem(&key.to_pem().expect("pem")).expect("reads");
        let public = PublicKey::from_pem(&key.public().to_pem().expect("pem")).expect("reads");
        assert_eq!(again.public(), key.public());
        let signature = again.sign(COMPONENT);
        assert_eq!(signature.verify(COMPONENT, &public), Ok(()));
    }

    #[test]
    fn openssl_keys_and_signatures_are_ours() {
        // `openssl genpkey -algorithm ed25519`, `openssl pkey -pubout`, and
        // `openssl dgst -sha256 -binary FILE | openssl pkeyutl -sign -inkey
        // KEY -rawin`: the same key and, Ed25519 being deterministic, the
        // same signature.
        let private = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPb7vyLCzHARe6t8GvNmdOM92+Gh8fAcA4SeGwt8Sb96\n-----END PRIVATE KEY-----\n";
        let public = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAoBEcjtM3Ub0bURcOqqJ+lJVIKwgNDtkeXIU0WupU+SM=\n-----END PUBLIC KEY-----\n";
        let by_openssl = "kB2r8PsbwjW1rMPgMoE74rwZhUBjhF75LqtwFsPWsrz4eeLaAyDL6TDYu2OEPjQvPFfo6Oj82AOdyN1yHBX5AQ==";
        let private = PrivateKey::from_pem(private).expect("private key");
        let public = PublicKey::from_pem(public).expect("public key");
        assert_eq!(private.public(), &public);
        let json = private.sign(COMPONENT).to_json();
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value["messageSignature"]["signature"], by_openssl);
    }

    #[test]
    fn a_tampered_component_is_refused() {
        let key = key();
        let signature = key.sign(COMPONENT);
        let mut tampered = COMPONENT.to_vec();
        tampered[10] ^= 1;
        assert!(matches!(
            signature.verify(&tampered, key.public()),
            Err(SignatureError::OtherComponent { .. })
        ));
    }

    #[test]
    fn another_key_is_refused() {
        let signature = key().sign(COMPONENT);
        let other = key();
        assert_eq!(
            signature.verify(COMPONENT, other.public()),
            Err(SignatureError::NotThisKey(other.public().id().to_owned()))
        );
    }

    #[test]
    fn a_digest_edited_to_match_another_component_is_refused() {
        // Someone swaps the digest for their own component's: the digest
        // now matches it, but the signature does not.
        let key = key();
        let json = key.sign(COMPONENT).to_json();
        let other = b"\0asm\x0d\0\x01\0 someone else's";
        let forged = json.replace(
            &STANDARD.encode(Sha256::digest(COMPONENT)),
            &STANDARD.encode(Sha256::digest(other)),
        );
        assert_ne!(forged, json);
        let parsed = ComponentSignature::parse(forged.as_bytes()).expect("parses");
        assert!(matches!(
            parsed.verify(other, key.public()),
            Err(SignatureError::NotThisKey(_))
        ));
        assert!(matches!(
            parsed.verify(COMPONENT, key.public()),
            Err(SignatureError::OtherComponent { .. })
        ));
    }

    #[test]
    fn a_wrong_digest_algorithm_or_size_is_malformed() {
        let json = key().sign(COMPONENT).to_json();
        let sha512 = json.replace("SHA2_256", "SHA2_512");
        assert!(matches!(
            ComponentSignature::parse(sha512.as_bytes()),
            Err(SignatureError::Malformed(why)) if why.contains("algorithm")
        ));
        let mut value: serde_json::Value = serde_json::from_str(&json).expect("json");
        value["messageSignature"]["messageDigest"]["digest"] = STANDARD.encode([1u8; 20]).into();
        assert!(matches!(
            ComponentSignature::parse(value.to_string().as_bytes()),
            Err(SignatureError::Malformed(why)) if why.contains("20 bytes")
        ));
    }

    #[test]
    fn malformed_bundles_are_refused() {
        let json = key().sign(COMPONENT).to_json();
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = value.clone();
            f(&mut v);
            v.to_string()
        };
        let cases = [
            ("not json".to_owned(), ""),
            ("{}".to_owned(), "missing field"),
            (
                edit(&|v| v["mediaType"] = "application/json".into()),
                "mediaType",
            ),
            (
                edit(&|v| v["messageSignature"]["signature"] = "***".into()),
                "not base64",
            ),
            (
                edit(&|v| v["messageSignature"]["signature"] = STANDARD.encode([0u8; 63]).into()),
                "63 bytes",
            ),
            (
                edit(&|v| {
                    v.as_object_mut().map(|o| o.remove("messageSignature"));
                }),
                "no messageSignature",
            ),
            (
                edit(&|v| v["verificationMaterial"] = serde_json::json!({})),
                "no publicKey",
            ),
            ("x".repeat(MAX_BUNDLE_BYTES + 1), "larger than"),
        ];
        for (bundle, why) in cases {
            match ComponentSignature::parse(bundle.as_bytes()) {
                Err(SignatureError::Malformed(reason)) => {
                    assert!(reason.contains(why), "{reason:?} should say {why:?}")
                }
                other => panic!("{bundle:.60}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_key_file_that_is_not_a_key_is_refused() {
        assert!(matches!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            Err(SignatureError::Key("public", _))
        ));
        assert!(matches!(
            PrivateKey::from_pem("hello"),
            Err(SignatureError::Key("private", _))
        ));
    }
}
