//! [`adapter!`]: a gRPC service as a table of its RPCs, each to one call of
//! the core. Every RPC of every service does the same thing — decode, read
//! who acts if the core takes an actor, call the core, map the answer or
//! the kernel's error (`status::reply`) — so it is written once, here.

/// Declares `$api`, a service over the kernel, and implements `$service`
/// for it: `rpc(Request) -> Response = part.call;` calls
/// `kernel.part().call(request)`, and `… = part.call by actor;` calls
/// `kernel.part().call(&actor, request)`. Items after `extra` (a streaming
/// RPC, say) go into the same impl as written.
macro_rules! adapter {
    (
        $(#[$doc:meta])*
        $api:ident: $service:path {
            $( $rpc:ident($request:ty) -> $response:ty = $part:ident.$call:ident $(by $by:ident)?; )*
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
                    let kernel = &self.kernel;
                    $crate::grpc::adapter::adapter!(@call kernel, request, $part, $call $(, $by)?)
                }
            )*
            $( $($extra)* )?
        }
    };
    (@call $kernel:ident, $request:ident, $part:ident, $call:ident, actor) => {{
        let actor = $crate::grpc::actor::actor(&$request);
        $crate::grpc::status::reply($kernel.$part().$call(&actor, $request.into_inner()).await)
    }};
    (@call $kernel:ident, $request:ident, $part:ident, $call:ident) => {
        $crate::grpc::status::reply($kernel.$part().$call($request.into_inner()).await)
    };
}

pub(crate) use adapter;
