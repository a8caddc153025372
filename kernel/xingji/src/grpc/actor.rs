//! Who acts on a request: the principal the authentication layer
//! (`grpc::auth`) admitted and put in the request's extensions.

use tonic::Status;
use xingji_core::actor::Actor;

/// The actor authentication admitted for `request`. A request that reached
/// a service without one did not pass through authentication — a wiring
/// fault, refused rather than served as nobody.
pub fn actor<T>(request: &tonic::Request<T>) -> Result<Actor, Status> {
    request.extensions().get::<Actor>().cloned().ok_or_else(|| {
        Status::unauthenticated(
            "no credential: send `authorization: Bearer <token>` or a client certificate",
        )
    })
}
