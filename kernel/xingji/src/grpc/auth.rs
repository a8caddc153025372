//! Authentication of every RPC: a tower layer in front of the services that
//! turns the caller's credential — a bearer token, or a client certificate
//! over mutual TLS — into the [`Actor`] the core acts for, or answers
//! `UNAUTHENTICATED` itself. Health checking, and reflection unless the
//! config closes it, stay open. (What an actor may do is the core's:
//! `xingji_core::access`.)

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::Status;
use tonic::codegen::http;
use tower::{Layer, Service};
use xingji_core::Kernel;
use xingji_core::actor::Actor;
use xingji_core::principals::Claims;
use xingji_identity::{CertificateMap, Identity, Verifier};

use crate::grpc::peer;
use crate::grpc::status::status;

/// The services anyone may call: a load balancer's health checks, and
/// (unless closed) reflection, which shows only the public API's shape.
const HEALTH: &str = "/grpc.health.v1.Health/";
const REFLECTION: [&str; 2] = [
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

/// Turns credentials into actors.
pub struct Authenticator {
    kernel: Arc<Kernel>,
    verifier: Verifier,
    certificates: CertificateMap,
    open_reflection: bool,
}

impl Authenticator {
    /// Checks tokens with `verifier` and client certificates with
    /// `certificates`, admitting what they claim through `kernel`.
    pub fn new(
        kernel: Arc<Kernel>,
        verifier: Verifier,
        certificates: CertificateMap,
        open_reflection: bool,
    ) -> Self {
        Authenticator {
            kernel,
            verifier,
            certificates,
            open_reflection,
        }
    }

    /// Whether `path` may be called without a credential.
    fn is_open(&self, path: &str) -> bool {
        path.starts_with(HEALTH)
            || (self.open_reflection && REFLECTION.iter().any(|open| path.starts_with(open)))
    }

    /// Who presents `credential`: a bearer token if the request has one,
    /// else its client certificate.
    async fn authenticate(&self, credential: Credential) -> Result<Actor, Status> {
        let identity = match credential {
            Credential::Bearer(value) => {
                let token = bearer(&value)?;
                self.verifier.verify(token).await
            }
            Credential::Certificate(certificate) => self.certificates.identify(&certificate),
            Credential::None => {
                return Err(Status::unauthenticated(
                    "no credential: send `authorization: Bearer <token>` (the CLI: --as, --token or --token-file) or a client certificate",
                ));
            }
        };
        let identity = identity
            .map_err(|error| Status::unauthenticated(format!("credential refused: {error}")))?;
        self.kernel.admit(claims(identity)).await.map_err(status)
    }
}

/// What a request presents. (Taken out of the request before any await: a
/// request body need not be shareable across threads.)
enum Credential {
    Bearer(http::HeaderValue),
    Certificate(Vec<u8>),
    None,
}

impl Credential {
    fn of<B>(request: &http::Request<B>) -> Credential {
        if let Some(value) = request.headers().get(http::header::AUTHORIZATION) {
            return Credential::Bearer(value.clone());
        }
        match peer::client_certificate_in(request.extensions()) {
            Some(certificate) => Credential::Certificate(certificate),
            None => Credential::None,
        }
    }
}

/// The token of an `authorization: Bearer <token>` header.
fn bearer(value: &http::HeaderValue) -> Result<&str, Status> {
    let refuse = || Status::unauthenticated("the authorization header must be `Bearer <token>`");
    let text = value.to_str().map_err(|_| {
        Status::unauthenticated("the authorization header is not printable ASCII, as a token is")
    })?;
    let (scheme, token) = text.split_once(' ').ok_or_else(refuse)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(refuse());
    }
    Ok(token.trim())
}

/// What a verified identity claims, for the kernel to admit.
fn claims(identity: Identity) -> Claims {
    Claims {
        role: identity.role,
        subject: identity.subject,
        regions: identity.regions,
        outlet: identity.outlet,
        person: identity.person,
        permissions: identity.permissions,
    }
}

/// A tower layer that authenticates every request (see the module).
#[derive(Clone)]
pub struct AuthLayer(Arc<Authenticator>);

impl AuthLayer {
    /// The layer over `authenticator`.
    pub fn new(authenticator: Authenticator) -> Self {
        AuthLayer(Arc::new(authenticator))
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Authenticated<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authenticated {
            inner,
            auth: self.0.clone(),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    auth: Arc<Authenticator>,
}

impl<S, B, R> Service<http::Request<B>> for Authenticated<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The clone that was made ready serves this call (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        Box::pin(async move {
            if !auth.is_open(request.uri().path()) {
                let credential = Credential::of(&request);
                match auth.authenticate(credential).await {
                    Ok(actor) => {
                        request.extensions_mut().insert(actor);
                    }
                    Err(refused) => {
                        tracing::info!(
                            method = request.uri().path(),
                            reason = refused.message(),
                            "unauthenticated"
                        );
                        return Ok(refused.into_http());
                    }
                }
            }
            inner.call(request).await
        })
    }
}
