//! Logs, and one tracing span per RPC with its method, region, status code
//! and duration.

use std::future::Future;
use std::io::IsTerminal;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::Code;
use tonic::codegen::http;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber: logs on standard error, filtered by
/// `RUST_LOG` if set, else by `filter`.
pub fn init_logs(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second init (in tests, several servers in one process) is harmless.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Records the region of the current RPC on its span.
pub fn record_region(region: &str) {
    tracing::Span::current().record("region", region);
}

/// A tower layer that wraps each RPC in an `rpc` span and logs its outcome.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcSpanLayer;

impl<S> Layer<S> for RpcSpanLayer {
    type Service = RpcSpan<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcSpan { inner }
    }
}

/// See [`RpcSpanLayer`].
#[derive(Debug, Clone)]
pub struct RpcSpan<S> {
    inner: S,
}

impl<S, B, R> Service<http::Request<B>> for RpcSpan<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let span = tracing::info_span!(
            "rpc",
            method = %request.uri().path(),
            region = tracing::field::Empty,
            code = tracing::field::Empty,
        );
        let started = Instant::now();
        let response = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(async move {
            let result = response.instrument(span.clone()).await;
            // Errors of unary calls come as a trailers-only response, so the
            // status is in the headers; no header means OK (or an error later
            // in a stream's trailers).
            let code = match &result {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.parse::<i32>().ok())
                    .map_or(Code::Ok, Code::from_i32),
                Err(_) => Code::Internal,
            };
            span.record("code", tracing::field::debug(code));
            let duration_us = started.elapsed().as_micros() as u64;
            span.in_scope(|| match code {
                Code::Ok
                | Code::NotFound
                | Code::InvalidArgument
                | Code::AlreadyExists
                | Code::FailedPrecondition
                | Code::Aborted => {
                    tracing::info!(duration_us, "rpc done")
                }
                _ => tracing::warn!(duration_us, "rpc failed"),
            });
            result
        })
    }
}
