//! `xingji serve`: opens the store, seeds the demo if asked, and serves the
//! API with health checking and reflection until shut down.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use xingji_api::v1::campaign_service_server::CampaignServiceServer;
use xingji_api::v1::month_close_service_server::MonthCloseServiceServer;
use xingji_api::v1::order_service_server::OrderServiceServer;
use xingji_api::v1::outlet_service_server::OutletServiceServer;
use xingji_api::v1::person_service_server::PersonServiceServer;
use xingji_api::v1::plugin_service_server::PluginServiceServer;
use xingji_api::v1::tour_service_server::TourServiceServer;
use xingji_api::v1::warranty_service_server::WarrantyServiceServer;
use xingji_store::{SqliteStore, Store};

use crate::config::Config;
use crate::pagination::PageTokens;
use crate::plugins::PluginSets;
use crate::services::plugins::MAX_COMPONENT_BYTES;
use crate::services::{
    CampaignApi, Kernel, MonthCloseApi, OrderApi, OutletApi, PersonApi, PluginApi, TourApi,
    WarrantyApi,
};
use crate::telemetry::RpcSpanLayer;

/// Any error that stops the server.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "xingji.db";

/// Where compiled plugins are cached, inside the data directory.
pub const ARTIFACTS_DIR: &str = "artifacts";

/// Serves on `listener` until `shutdown` completes, then finishes the calls
/// in flight and returns.
pub async fn serve(
    config: &Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), BoxError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|error| {
        format!(
            "cannot create data directory {}: {error}",
            config.data_dir.display()
        )
    })?;
    let path = config.data_dir.join(DATABASE_FILE);
    let store = SqliteStore::open(&path)
        .await
        .map_err(|error| format!("cannot open store {}: {error}", path.display()))?;
    let seeded = config.demo && crate::demo::seed_if_empty(&store).await?;
    if seeded {
        tracing::info!("seeded the demo network");
    }
    let key = store
        .meta_get_or_init("page_token_key", &random_key()?)
        .await?;
    let store = Arc::new(store) as Arc<dyn Store>;
    let regions = if config.demo {
        crate::demo::regions(config.regions.clone())
    } else {
        config.regions.clone()
    };
    let plugins = PluginSets::start(
        store.clone(),
        config.data_dir.join(ARTIFACTS_DIR),
        regions.clone(),
    )
    .await
    .map_err(|error| format!("cannot start the plugin runtime: {error}"))?;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let kernel = Arc::new(Kernel {
        store,
        tokens: PageTokens::new(key),
        plugins: Arc::new(plugins),
        regions,
        auto_dispatch: config.auto_dispatch,
        networks: Default::default(),
        stopping,
    });
    if seeded {
        crate::demo::sell_contracts(&kernel)
            .await
            .map_err(|status| format!("seeding the demo's contracts: {}", status.message()))?;
    }
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
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(xingji_api::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };

    tracing::info!(address = %listener.local_addr()?, data_dir = %config.data_dir.display(), "serving");
    tonic::transport::Server::builder()
        .layer(RpcSpanLayer)
        .add_service(health_service)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(OutletServiceServer::new(OutletApi::new(kernel.clone())))
        .add_service(PersonServiceServer::new(PersonApi::new(kernel.clone())))
        .add_service(
            PluginServiceServer::new(PluginApi::new(
                kernel.plugins.clone(),
                kernel.tokens.clone(),
            ))
            .max_decoding_message_size(MAX_COMPONENT_BYTES + 1024),
        )
        .add_service(MonthCloseServiceServer::new(MonthCloseApi::new(
            kernel.clone(),
        )))
        .add_service(WarrantyServiceServer::new(WarrantyApi::new(kernel.clone())))
        .add_service(CampaignServiceServer::new(CampaignApi::new(kernel.clone())))
        .add_service(TourServiceServer::new(TourApi::new(kernel.clone())))
        .add_service(OrderServiceServer::new(OrderApi::new(kernel)))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    tracing::info!("stopped");
    Ok(())
}

fn random_key() -> Result<[u8; 32], BoxError> {
    let mut key = [0; 32];
    getrandom::fill(&mut key)
        .map_err(|error| format!("no randomness for the page-token key: {error}"))?;
    Ok(key)
}
