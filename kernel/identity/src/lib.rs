//! Credentials to identities, for a kernel whose every RPC is
//! authenticated.
//!
//! What it does:
//! - [`Verifier`] turns a bearer token (a JWT) into an [`Identity`]: the
//!   signature by a key of the issuer the token names (static PEM keys, an
//!   OIDC JWKS kept fresh, or the embedded issuer's key), then `exp`/`nbf`
//!   with leeway, `aud`, and the `xingji` claim. Asymmetric algorithms only
//!   (RS*, PS*, ES256/384, EdDSA); `none` and HMAC are refused, and a key
//!   only ever checks the algorithms of its own type.
//! - [`EmbeddedIssuer`] keeps the deployment's own Ed25519 key and issues
//!   tokens with it ([`TokenRequest`]).
//! - [`CertificateMap`] names the holder of a client certificate (mTLS) by
//!   its CN or a DNS/URI SAN, from `[[identity.clients]]`.
//! - [`IdentityConfig`] is the `[identity]` section the binary reads.
//!
//! What it does not know: gRPC, tonic and HTTP status codes (the server
//! maps [`AuthError`] to `UNAUTHENTICATED`); what a role may do, or whether
//! a region exists (the kernel's core decides, from the identity); the
//! store; certificate chains (rustls checks those in the handshake).
//!
//! The token claims, for our issuer and any external one: `iss`, `sub`,
//! `aud`, `exp` (required), `nbf`, `iat`, `jti`, and
//! `"xingji": {"role": "...", "regions": [...], "outlet": "...",
//! "person": "...", "permissions": [...]}` in which only `role` is
//! required.

mod certificate;
mod claims;
mod config;
mod error;
mod http;
mod identity;
mod issuer;
mod jwks;
mod keys;
mod time;
mod verified;
mod verifier;

pub use certificate::CertificateMap;
pub use config::{ClientConfig, EmbeddedConfig, IdentityConfig, IssuerConfig};
pub use error::{AuthError, IssueError, SetupError};
pub use identity::{Identity, MTLS_ISSUER};
pub use issuer::{EmbeddedIssuer, KEY_FILE, PUBLIC_KEY_FILE, TokenRequest};
pub use jwks::KID_REFETCH_INTERVAL;
pub use verifier::Verifier;
