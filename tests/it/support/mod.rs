//! Test support: real server processes, real Postgres and Redis, and real
//! WebSocket clients for both protocols.

pub mod access;
pub mod json_client;
pub mod nginx;
pub mod redis_server;
pub mod server;
pub mod yjs_client;

use std::future::Future;
use std::time::Duration;

pub use json_client::JsonClient;
#[allow(unused_imports)]
pub use server::{Cluster, Server};
pub use yjs_client::YjsClient;

/// Polls `check` until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Tests that cut every pub/sub connection on the shared Redis take this
/// exclusively; tests whose instances use Redis take it shared.
pub static PUBSUB_CUTS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

pub fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..10)
        .map(|_| (b'a' + rng.random_range(0..26)) as char)
        .collect()
}

pub fn repo_root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
