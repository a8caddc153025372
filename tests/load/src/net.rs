//! Connections to the server and the calls every command shares.

use std::time::Duration;

use tonic::metadata::AsciiMetadataValue;
use tonic::transport::{Channel, Endpoint};
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::{ListOutletsRequest, Outlet};

use crate::Result;

/// Opens `n` HTTP/2 connections to `addr`, or, when `addr` lists several
/// servers separated by commas (replicas of one deployment), to each in
/// turn. Each `Endpoint::connect` makes a connection of its own, so requests
/// spread over them are not serialised behind one TCP stream's flow control
/// the way one shared channel would be.
pub async fn connect(addr: &str, n: usize, timeout: Duration) -> Result<Vec<Channel>> {
    let endpoints = addr
        .split(',')
        .map(|one| {
            Ok(Endpoint::from_shared(one.trim().to_owned())?
                .connect_timeout(Duration::from_secs(5))
                // Bounds every request, so that a stalled server ends the
                // run as DEADLINE_EXCEEDED answers instead of hanging it.
                .timeout(timeout)
                .tcp_nodelay(true))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut channels = Vec::with_capacity(n.max(endpoints.len()));
    for i in 0..n.max(endpoints.len()) {
        channels.push(endpoints[i % endpoints.len()].connect().await?);
    }
    Ok(channels)
}

/// `message` with `credential` (`Bearer <token>`, see
/// [`crate::credentials::bearer`]) as its `authorization`.
pub fn acting<T>(credential: &AsciiMetadataValue, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", credential.clone());
    request
}

/// Every outlet of `region` that `credential` may see, following page
/// tokens to the end.
pub async fn all_outlets(
    channel: &Channel,
    credential: &AsciiMetadataValue,
    region: &str,
) -> Result<Vec<Outlet>> {
    let mut client = OutletServiceClient::new(channel.clone());
    let mut outlets = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_outlets(acting(
                credential,
                ListOutletsRequest {
                    region: region.to_owned(),
                    page_size: 1000,
                    page_token,
                    ..ListOutletsRequest::default()
                },
            ))
            .await?
            .into_inner();
        outlets.extend(page.outlets);
        if page.next_page_token.is_empty() {
            return Ok(outlets);
        }
        page_token = page.next_page_token;
    }
}

/// Whether the server at `addr` answers the standard health check with
/// SERVING.
pub async fn serving(addr: &str) -> bool {
    let Ok(endpoint) = Endpoint::from_shared(addr.to_owned()) else {
        return false;
    };
    let Ok(channel) = endpoint
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
    else {
        return false;
    };
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let request = tonic_health::pb::HealthCheckRequest {
        service: String::new(),
    };
    matches!(
        health.check(request).await,
        Ok(answer) if answer.get_ref().status
            == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    )
}
