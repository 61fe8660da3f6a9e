//! Builds the whole server from settings, binds, and serves until told to
//! stop. Build and serve are separate so tests bind port 0, read the port,
//! then serve.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::autocomplete::ContextEngine;
use crate::bus::Bus;
use crate::bus::local::LocalBus;
use crate::bus::redis::{RedisBus, RedisOptions};
use crate::http::auth::Tokens;
use crate::http::{self, AppState, Gate, RateLimiter, UnknownRooms};
use crate::metrics::Metrics;
use crate::room::Hub;
use crate::settings::Settings;
use crate::store::Store;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("cannot connect the bus: {0}")]
    Bus(#[from] crate::bus::BusError),
    #[error("{0}")]
    Auth(#[from] crate::http::auth::KeyError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// How to stop: drain first (SIGTERM), or at once (a second signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Drain,
    Now,
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let settings = Arc::new(settings);
        let tokens = Tokens::from_settings(&settings.auth)?;
        if tokens.is_some() {
            tracing::info!("signed tokens required on every room call (auth.*)");
        }
        let gate = Arc::new(Gate::new(tokens, settings.limits.id_cache_entries));
        let instance_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let (store, bus): (Arc<dyn Store>, Arc<dyn Bus>) = match (
            &settings.database.url,
            &settings.redis.url,
        ) {
            (Some(database), Some(redis)) => {
                let store = PostgresStore::connect(database, settings.database.pool_size).await?;
                let bus = RedisBus::connect(RedisOptions::from_settings(
                    redis,
                    &settings,
                    instance_id.clone(),
                ))
                .await?;
                tracing::info!(instance = %instance_id, "scaled-out mode: Postgres store, Redis bus");
                (Arc::new(store), bus)
            }
            _ => {
                let store = SqliteStore::open(&settings.store.data_dir)?;
                tracing::info!(dir = %settings.store.data_dir.display(), "single-node mode: embedded SQLite store");
                (Arc::new(store), Arc::new(LocalBus::new()))
            }
        };
        let metrics = Arc::new(Metrics::new().with_bus(bus.clone()));
        let hub = Hub::new(store, bus, settings.clone(), metrics.clone());
        let addr = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let autocomplete = Arc::new(ContextEngine::new(settings.autocomplete.cache_bytes));
        let state = AppState {
            hub,
            room_creation: Arc::new(RateLimiter::per_minute(settings.limits.rooms_per_minute)),
            unknown_rooms: Arc::new(UnknownRooms::new(
                &settings.limits,
                metrics.unknown_room_lookups.clone(),
            )),
            gate,
            settings,
            metrics,
            autocomplete,
            draining: Arc::new(AtomicBool::new(false)),
            sockets: TaskTracker::new(),
        };
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until `stop` resolves, then: with `Stop::Drain`, answers
    /// `/readyz` with 503 while sockets keep working for the drain period
    /// (cut short if `stop_now` resolves); then every room persists and
    /// closes its sockets with 1012, and the listener closes.
    pub async fn serve(
        self,
        stop: impl Future<Output = Stop> + Send,
        stop_now: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        let Self { listener, state } = self;
        let settings = state.settings.clone();
        let hub = state.hub.clone();
        let draining = state.draining.clone();
        let sockets = state.sockets.clone();
        let closed = CancellationToken::new();
        let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
        let server = {
            let closed = closed.clone();
            tokio::spawn(async move {
                // Small frames must not wait for Nagle's algorithm.
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                axum::serve(listener, app)
                    .with_graceful_shutdown(closed.cancelled_owned())
                    .await
            })
        };
        let mode = stop.await;
        draining.store(true, Ordering::Release);
        if mode == Stop::Drain && settings.server.drain_secs > 0 {
            tracing::info!(
                secs = settings.server.drain_secs,
                "draining: /readyz is 503, sockets still served"
            );
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(settings.server.drain_secs)) => {}
                _ = stop_now => tracing::info!("second signal: stopping now"),
            }
        }
        let timeout = Duration::from_secs(settings.server.shutdown_timeout_secs);
        tracing::info!("persisting rooms and closing sockets with 1012");
        hub.shutdown(timeout).await;
        // The rooms let go of their sockets; let each write its 1012 close
        // before the process exits.
        sockets.close();
        if tokio::time::timeout(timeout, sockets.wait()).await.is_err() {
            tracing::warn!("sockets still open at the shutdown timeout");
        }
        hub.bus().shutdown(timeout).await;
        closed.cancel();
        match tokio::time::timeout(timeout, server).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(std::io::Error::other(join)),
            Err(_) => {
                tracing::warn!("connections still open at the shutdown timeout");
                Ok(())
            }
        }
    }
}
