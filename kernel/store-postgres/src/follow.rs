//! Hearing other kernels' writes: LISTEN on the channel every write
//! notifies, and a poll of the heads as the safety net (a notification is
//! lost while the listening connection is down; the poll is not).

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::commit::CHANNEL;
use super::handle::Feed;
use xingji_store::Result;

/// How often the heads are read when nothing is heard.
const POLL: Duration = Duration::from_millis(250);

/// The database's heads.
pub(super) struct Heads {
    pub(super) last_event: i64,
    pub(super) network: i64,
    pub(super) registry: i64,
}

/// Reads the heads in one statement.
pub(super) async fn read_heads(pool: &PgPool) -> Result<Heads> {
    let (last_event, network, registry): (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE((SELECT MAX(seq) FROM order_events), 0), \
                (SELECT version FROM versions WHERE name = 'network'), \
                (SELECT version FROM versions WHERE name = 'registry')",
    )
    .fetch_one(pool)
    .await?;
    Ok(Heads {
        last_event,
        network,
        registry,
    })
}

/// Starts the listener and the poller; returns their handles.
pub(super) fn spawn(pool: PgPool, feed: Arc<Feed>) -> Vec<AbortHandle> {
    let heard = Arc::new(Notify::new());
    let listener = tokio::spawn(listen(pool.clone(), heard.clone()));
    let poller = tokio::spawn(poll(pool, feed, heard));
    vec![listener.abort_handle(), poller.abort_handle()]
}

/// Wakes the poller on every notification, reconnecting as needed.
async fn listen(pool: PgPool, heard: Arc<Notify>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::debug!(%error, "cannot listen for other kernels' writes; polling");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::debug!(%error, "LISTEN failed; polling");
            tokio::time::sleep(POLL).await;
            continue;
        }
        // A reconnect may have missed notifications: look at once.
        heard.notify_one();
        while listener.recv().await.is_ok() {
            heard.notify_one();
        }
    }
}

/// Reads the heads when woken or every [`POLL`], and moves the feed.
async fn poll(pool: PgPool, feed: Arc<Feed>, heard: Arc<Notify>) {
    let mut failing = false;
    loop {
        let _ = tokio::time::timeout(POLL, heard.notified()).await;
        match read_heads(&pool).await {
            Ok(heads) => {
                if failing {
                    tracing::info!("the database answers again");
                    failing = false;
                }
                feed.advance(
                    Some(heads.last_event),
                    Some(heads.network),
                    Some(heads.registry),
                );
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "cannot read the database's heads; retrying");
                    failing = true;
                }
            }
        }
    }
}
