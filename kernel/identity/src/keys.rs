//! The public keys tokens are checked against (from PEM files, JWKS
//! documents, the embedded issuer), and the algorithms we accept.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
    OID_SIG_ED25519,
};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::RSAPublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::{AuthError, bounded};

/// RSA keys shorter than this are refused: they no longer resist factoring.
const MIN_RSA_BITS: usize = 2048;

/// The algorithm a token's header names, if we accept it: asymmetric only.
/// HMAC is refused outright, so no public key can ever serve as an HMAC
/// secret.
pub(crate) fn accepted_algorithm(name: &str) -> Result<Algorithm, AuthError> {
    match name {
        "RS256" => Ok(Algorithm::RS256),
        "RS384" => Ok(Algorithm::RS384),
        "RS512" => Ok(Algorithm::RS512),
        "PS256" => Ok(Algorithm::PS256),
        "PS384" => Ok(Algorithm::PS384),
        "PS512" => Ok(Algorithm::PS512),
        "ES256" => Ok(Algorithm::ES256),
        "ES384" => Ok(Algorithm::ES384),
        "EdDSA" => Ok(Algorithm::EdDSA),
        _ if name.eq_ignore_ascii_case("none") => Err(AuthError::Unsigned),
        _ => Err(AuthError::Algorithm(bounded(name))),
    }
}

/// A public key we trust, the key id it goes by (if any), and the
/// algorithms it may verify: exactly those of its type (and curve).
#[derive(Clone, Debug)]
pub(crate) struct TrustedKey {
    pub(crate) kid: Option<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) key: DecodingKey,
}

impl TrustedKey {
    /// Whether this key may check a token with this `kid` and `alg`. A key
    /// without a kid matches any kid; a token without a kid matches any key.
    pub(crate) fn fits(&self, kid: Option<&str>, alg: Algorithm) -> bool {
        let kid_fits = match (self.kid.as_deref(), kid) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        };
        kid_fits && self.algorithms.contains(&alg)
    }

    /// Every public key in a PEM text (`PUBLIC KEY` as SPKI, or PKCS#1
    /// `RSA PUBLIC KEY`), without a kid.
    pub(crate) fn from_pem(text: &[u8]) -> Result<Vec<TrustedKey>, String> {
        let mut keys = Vec::new();
        for block in Pem::iter_from_buffer(text) {
            let block = block.map_err(|e| format!("not PEM: {e}"))?;
            let key = match block.label.as_str() {
                "PUBLIC KEY" => Self::from_spki_der(&block.contents)?,
                "RSA PUBLIC KEY" => Self::from_pkcs1_der(&block.contents)?,
                label if label.contains("PRIVATE") => {
                    return Err(format!(
                        "holds a private key ({label}); give the issuer's public key"
                    ));
                }
                label => {
                    return Err(format!(
                        "holds a {label}, not a public key (PUBLIC KEY or RSA PUBLIC KEY)"
                    ));
                }
            };
            keys.push(key);
        }
        if keys.is_empty() {
            return Err("holds no PEM public key".to_owned());
        }
        Ok(keys)
    }

    /// A DER PKCS#1 RSAPublicKey.
    fn from_pkcs1_der(der: &[u8]) -> Result<TrustedKey, String> {
        let (_, rsa) =
            RSAPublicKey::from_der(der).map_err(|_| "holds a malformed RSA key".to_owned())?;
        check_rsa_bits(modulus_bits(rsa.modulus))?;
        Ok(Self::of_family(
            DecodingKey::from_rsa_der(der),
            AlgorithmFamily::Rsa,
        ))
    }

    /// A DER SubjectPublicKeyInfo: RSA, EC P-256 or P-384, or Ed25519.
    fn from_spki_der(der: &[u8]) -> Result<TrustedKey, String> {
        let (_, spki) = SubjectPublicKeyInfo::from_der(der)
            .map_err(|_| "is not a DER SubjectPublicKeyInfo".to_owned())?;
        let oid = &spki.algorithm.algorithm;
        let data = spki.subject_public_key.data.as_ref();
        if *oid == OID_PKCS1_RSAENCRYPTION {
            // The BIT STRING of an RSA SPKI is the PKCS#1 RSAPublicKey.
            Self::from_pkcs1_der(data)
        } else if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let alg = match curve {
                Some(c) if c == OID_EC_P256 => Algorithm::ES256,
                Some(c) if c == OID_NIST_EC_P384 => Algorithm::ES384,
                Some(c) => {
                    return Err(format!("holds an EC key on curve {c}: P-256 or P-384 only"));
                }
                None => return Err("holds an EC key without a named curve".to_owned()),
            };
            Ok(TrustedKey {
                kid: None,
                algorithms: vec![alg],
                key: DecodingKey::from_ec_der(data),
            })
        } else if *oid == OID_SIG_ED25519 {
            if data.len() != 32 {
                return Err("holds a malformed Ed25519 key".to_owned());
            }
            Ok(Self::of_family(
                DecodingKey::from_ed_der(data),
                AlgorithmFamily::Ed,
            ))
        } else {
            Err(format!(
                "holds a key of type {oid}: RSA, EC P-256/P-384 or Ed25519 only"
            ))
        }
    }

    /// One key of a JWKS document. Symmetric (`oct`) keys, keys for
    /// encryption, other curves, and an `alg` that is not one of ours or not
    /// of the key's type are refused.
    pub(crate) fn from_jwk(jwk: &Jwk) -> Result<TrustedKey, String> {
        if let Some(usage) = &jwk.common.public_key_use
            && *usage != PublicKeyUse::Signature
        {
            return Err("is not for signatures (use)".to_owned());
        }
        let (key, family, only) = match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => {
                let modulus = URL_SAFE_NO_PAD
                    .decode(&rsa.n)
                    .map_err(|_| "has a malformed RSA modulus".to_owned())?;
                check_rsa_bits(modulus_bits(&modulus))?;
                let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e)
                    .map_err(|_| "has a malformed RSA modulus or exponent".to_owned())?;
                (key, AlgorithmFamily::Rsa, None)
            }
            AlgorithmParameters::EllipticCurve(ec) => {
                let alg = match ec.curve {
                    EllipticCurve::P256 => Algorithm::ES256,
                    EllipticCurve::P384 => Algorithm::ES384,
                    _ => return Err("is on a curve other than P-256 or P-384".to_owned()),
                };
                let key = DecodingKey::from_ec_components(&ec.x, &ec.y)
                    .map_err(|_| "has malformed EC coordinates".to_owned())?;
                (key, AlgorithmFamily::Ec, Some(alg))
            }
            AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
                let key = DecodingKey::from_ed_components(&okp.x)
                    .map_err(|_| "has a malformed Ed25519 key".to_owned())?;
                if key.try_get_as_bytes().map_or(0, <[u8]>::len) != 32 {
                    return Err("has a malformed Ed25519 key".to_owned());
                }
                (key, AlgorithmFamily::Ed, None)
            }
            AlgorithmParameters::OctetKey(_) => {
                return Err("is a symmetric (oct) key: asymmetric keys only".to_owned());
            }
            _ => return Err("is of a key type or curve we do not take".to_owned()),
        };
        let mut trusted = Self::of_family(key, family);
        if let Some(alg) = only {
            trusted.algorithms = vec![alg];
        }
        if let Some(stated) = jwk.common.key_algorithm {
            let alg = jwk_algorithm(stated)?;
            if !trusted.algorithms.contains(&alg) {
                return Err(format!("says alg {alg:?}, which its key type cannot take"));
            }
            trusted.algorithms = vec![alg];
        }
        trusted.kid = jwk.common.key_id.clone();
        Ok(trusted)
    }

    fn of_family(key: DecodingKey, family: AlgorithmFamily) -> TrustedKey {
        TrustedKey {
            kid: None,
            algorithms: family.algorithms().to_vec(),
            key,
        }
    }
}

/// A JWK's `alg`, if it is one we accept.
fn jwk_algorithm(stated: KeyAlgorithm) -> Result<Algorithm, String> {
    Algorithm::try_from(stated)
        .ok()
        .filter(|alg| alg.family() != AlgorithmFamily::Hmac)
        .ok_or_else(|| format!("says alg {stated}, which is not accepted"))
}

/// The length of an RSA modulus (big-endian bytes), in bits.
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant = modulus
        .iter()
        .position(|b| *b != 0)
        .map_or(&[][..], |at| &modulus[at..]);
    match significant.first() {
        Some(first) => (significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

fn check_rsa_bits(bits: usize) -> Result<(), String> {
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "holds a {bits}-bit RSA key: {MIN_RSA_BITS} bits at least"
        ));
    }
    Ok(())
}
