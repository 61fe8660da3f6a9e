//! Test support: real server processes, real Postgres and Redis, and real
//! WebSocket clients for both protocols.

pub mod json_client;
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

pub fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..10)
        .map(|_| (b'a' + rng.random_range(0..26)) as char)
        .collect()
}
