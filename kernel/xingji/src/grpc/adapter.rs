//! [`adapter!`]: a gRPC service as a table of its RPCs, each to one call of
//! the core. Every RPC of every service does the same thing — take who
//! acts from the request (authentication put it there), call the core,
//! record a denial in the audit trail, map the answer or the kernel's
//! error (`status::reply`) — so it is written once, here.

/// Declares `$api`, a service over the kernel, and implements `$service`
/// for it: `rpc(Request) -> Response = part.call;` calls
/// `kernel.part().call(&actor, request)`. Items after `extra` (a streaming
/// RPC, say) go into the same impl as written.
macro_rules! adapter {
    (
        $(#[$doc:meta])*
        $api:ident: $service:path {
            $( $rpc:ident($request:ty) -> $response:ty = $part:ident.$call:ident; )*
        }
        $( extra { $($extra:item)* } )?
    ) => {
        $(#[$doc])*
        pub struct $api {
            kernel: std::sync::Arc<xingji_core::Kernel>,
        }

        impl $api {
            /// The service over `kernel`.
            pub fn new(kernel: std::sync::Arc<xingji_core::Kernel>) -> Self {
                Self { kernel }
            }
        }

        #[tonic::async_trait]
        impl $service for $api {
            $(
                async fn $rpc(
                    &self,
                    request: tonic::Request<$request>,
                ) -> Result<tonic::Response<$response>, tonic::Status> {
                    let actor = $crate::grpc::actor::actor(&request)?;
                    let answer = self.kernel.$part().$call(&actor, request.into_inner()).await;
                    self.kernel.record_denial(&actor, stringify!($rpc), &answer).await;
                    $crate::grpc::status::reply(answer)
                }
            )*
            $( $($extra)* )?
        }
    };
}

pub(crate) use adapter;
