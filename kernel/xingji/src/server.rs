//! `xingji serve`: opens the store, starts the kernel (its regions and
//! plugins, seeding the demo if asked), and serves the API with health
//! checking and reflection (over TLS when `[tls]` is set) until shut down — then drains the calls in
//! flight for at most the configured grace.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use xingji_api::v1::audit_service_server::AuditServiceServer;
use xingji_api::v1::campaign_service_server::CampaignServiceServer;
use xingji_api::v1::month_close_service_server::MonthCloseServiceServer;
use xingji_api::v1::order_service_server::OrderServiceServer;
use xingji_api::v1::outlet_service_server::OutletServiceServer;
use xingji_api::v1::person_service_server::PersonServiceServer;
use xingji_api::v1::plugin_service_server::PluginServiceServer;
use xingji_api::v1::tour_service_server::TourServiceServer;
use xingji_api::v1::warranty_service_server::WarrantyServiceServer;
use xingji_core::plugins::{Bundled, PluginSets};
use xingji_core::regions::Regions;
use xingji_core::{Kernel, Options};
use xingji_identity::{CertificateMap, Verifier};
use xingji_store::prelude::*;
use xingji_store_postgres::PostgresStore;
use xingji_store_sqlite::SqliteStore;

use crate::config::Config;
use crate::grpc::auth::{AuthLayer, Authenticator};
use crate::grpc::{
    AuditApi, CampaignApi, MonthCloseApi, OrderApi, OutletApi, PersonApi, PluginApi, TourApi,
    WarrantyApi,
};
use crate::telemetry::RpcSpanLayer;
use crate::tokens::{TOKENS_DIR, embedded_issuer};

/// Any error that stops the server.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "xingji.db";

/// Where compiled plugins are cached, inside the data directory.
pub const ARTIFACTS_DIR: &str = "artifacts";

/// The plugins this binary carries.
pub const BUNDLED: Bundled = Bundled {
    plugins: xingji_bundled::EMBEDDED,
    defaults: xingji_bundled::DEFAULT_SET,
};

/// Opens the store in `config.data_dir` and starts a kernel over it: the
/// regions, the plugin sets, and (with `config.demo`) the demo network on
/// an empty store. `stopping` turns true when the kernel shuts down.
pub async fn start_kernel(
    config: &Config,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> Result<Arc<Kernel>, BoxError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|error| {
        format!(
            "cannot create data directory {}: {error}",
            config.data_dir.display()
        )
    })?;
    let store = open_store(config).await?;
    let seeded = config.demo && crate::demo::seed_if_empty(store.as_ref()).await?;
    if seeded {
        tracing::info!("seeded the demo network");
    }
    let settings = if config.demo {
        crate::demo::regions(config.regions.clone())
    } else {
        config.regions.clone()
    };
    let regions = Arc::new(Regions::load(settings, store.clone()).await?);
    let plugins_config = if config.demo {
        crate::demo::publisher::plugins(&config.plugins, &config.data_dir)?
    } else {
        config.plugins.clone()
    };
    let plugins = PluginSets::start(
        store.clone(),
        config.data_dir.join(ARTIFACTS_DIR),
        regions.clone(),
        &BUNDLED,
        &plugins_config,
    )
    .await
    .map_err(|error| format!("cannot start the plugin runtime: {error}"))?;
    let options = Options {
        auto_dispatch: config.auto_dispatch,
        admission: config.admission.clone(),
    };
    let kernel = Arc::new(Kernel::new(store, regions, plugins, options, stopping).await?);
    Kernel::follow_shared_state(&kernel);
    if seeded {
        crate::demo::sell_contracts(&kernel)
            .await
            .map_err(|error| format!("seeding the demo's contracts: {error}"))?;
    }
    Ok(kernel)
}

/// Opens the store `config` names: PostgreSQL at `store.url`, shared with
/// any other kernel given the same URL, or else this kernel's SQLite file in
/// `data_dir` (which must exist).
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, BoxError> {
    match &config.store.url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = PostgresStore::open(url).await.map_err(|error| {
                format!("cannot open the store at store.url ({}): {error}", redact(url))
            })?;
            tracing::info!(url = %redact(url), "store: PostgreSQL");
            Ok(Arc::new(store))
        }
        Some(url) => Err(format!(
            "store.url {:?} is not a postgres:// URL: give postgres://user@host:port/database, or leave it unset for the embedded SQLite store",
            redact(url)
        )
        .into()),
        None => {
            let path = config.data_dir.join(DATABASE_FILE);
            let store = SqliteStore::open(&path)
                .await
                .map_err(|error| format!("cannot open store {}: {error}", path.display()))?;
            Ok(Arc::new(store))
        }
    }
}

/// A store URL with its password, if any, replaced: for logs and errors.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// How callers are authenticated: the embedded issuer (whose tokens for the
/// demo's people `--demo` saves), the configured issuers and client
/// certificates, admitted through `kernel`.
async fn authentication(config: &Config, kernel: &Arc<Kernel>) -> Result<AuthLayer, BoxError> {
    let issuer = embedded_issuer(config)
        .map_err(|error| format!("the embedded token issuer ([identity.embedded]): {error}"))?;
    let verifier = Verifier::new(&config.identity, issuer.as_ref())
        .await
        .map_err(|error| format!("[identity]: {error}"))?;
    let certificates = CertificateMap::from_config(&config.identity)
        .map_err(|error| format!("[[identity.clients]]: {error}"))?;
    if config.demo
        && let Some(issuer) = &issuer
    {
        let dir = config.data_dir.join(TOKENS_DIR);
        let saved = crate::demo::save_demo_tokens(
            kernel.store.as_ref(),
            issuer,
            &config.identity.audience,
            &dir,
        )
        .await
        .map_err(|error| format!("saving the demo's tokens in {}: {error}", dir.display()))?;
        tracing::info!(saved, dir = %dir.display(), "saved tokens for the demo's people: call as one with --as <role>:<name>");
    }
    Ok(AuthLayer::new(Authenticator::new(
        kernel.clone(),
        verifier,
        certificates,
        config.open_reflection,
    )))
}

/// Serves on `listener` until `shutdown` completes, then finishes the calls
/// in flight, for at most `config.shutdown_grace_seconds`, and returns.
pub async fn serve(
    config: &Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), BoxError> {
    // TLS files are checked first: a bad [tls] stops the start before the
    // store is opened or plugins compiled.
    let address = listener.local_addr()?;
    let transport = crate::tls::transport(config.tls.as_ref(), address)?;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let kernel = start_kernel(config, stopping.clone()).await?;
    let auth = authentication(config, &kernel).await?;
    // Streams (WatchOrders) end when shutdown begins, so that the graceful
    // drain does not wait on clients that never hang up.
    let shutdown = async move {
        shutdown.await;
        let _ = stop.send(true);
    };

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<OutletServiceServer<OutletApi>>().await;
    health.set_serving::<PersonServiceServer<PersonApi>>().await;
    health.set_serving::<OrderServiceServer<OrderApi>>().await;
    health.set_serving::<PluginServiceServer<PluginApi>>().await;
    health
        .set_serving::<MonthCloseServiceServer<MonthCloseApi>>()
        .await;
    health
        .set_serving::<WarrantyServiceServer<WarrantyApi>>()
        .await;
    health
        .set_serving::<CampaignServiceServer<CampaignApi>>()
        .await;
    health.set_serving::<TourServiceServer<TourApi>>().await;
    health.set_serving::<AuditServiceServer<AuditApi>>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(xingji_api::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };

    let tls = match &config.tls {
        None => "off",
        Some(tls) if tls.client_ca_file.is_some() => "on, client certificates verified",
        Some(_) => "on",
    };
    tracing::info!(%address, tls, data_dir = %config.data_dir.display(), "serving");
    // Small answers must not wait for Nagle's algorithm to meet the
    // client's delayed ACK (40 ms a call).
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let serving = transport
        .layer(RpcSpanLayer)
        .layer(auth)
        .add_service(health_service)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(OutletServiceServer::new(OutletApi::new(kernel.clone())))
        .add_service(PersonServiceServer::new(PersonApi::new(kernel.clone())))
        .add_service(
            PluginServiceServer::new(PluginApi::new(kernel.clone()))
                // The largest component the config admits, its framing,
                // and a margin: a component a little over is refused by
                // the kernel, naming the limit, not by the transport.
                .max_decoding_message_size(config.plugins.max_component_bytes + (64 << 10)),
        )
        .add_service(MonthCloseServiceServer::new(MonthCloseApi::new(
            kernel.clone(),
        )))
        .add_service(WarrantyServiceServer::new(WarrantyApi::new(kernel.clone())))
        .add_service(CampaignServiceServer::new(CampaignApi::new(kernel.clone())))
        .add_service(TourServiceServer::new(TourApi::new(kernel.clone())))
        .add_service(AuditServiceServer::new(AuditApi::new(kernel.clone())))
        .add_service(OrderServiceServer::new(OrderApi::new(kernel)))
        .serve_with_incoming_shutdown(incoming, shutdown);
    // The drain is bounded: a client that sent half a request, or a call
    // that never ends, must not keep the process alive once asked to stop.
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    let mut stopping = stopping;
    let drained_too_long = async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = serving => served?,
        () = drained_too_long => {
            tracing::warn!(grace_seconds = grace.as_secs(), "shutdown grace is over: dropping the calls still in flight");
        }
    }
    tracing::info!("stopped");
    Ok(())
}
