//! How instances hear each other's changes.
//!
//! The room logic sees only the [`Bus`] trait. The in-process bus of the
//! single-node default has nobody to tell; the Redis bus relays through one
//! channel per room, with a per-room sequence and stream so a subscriber
//! notices and repairs what pub/sub dropped. Either way a subscription
//! yields a complete stream of [`BusEvent`]s, or says `Resync` when the
//! room must merge its state from the store again.

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;

use crate::domain::RoomId;

pub mod local;
pub mod redis;

/// What a room publishes for the other instances.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A v1 document update (sequenced, repaired on gaps).
    Update(Bytes),
    /// A y-protocols awareness update.
    Awareness(Bytes),
    /// A JSON `cursor` message, relayed as is.
    Cursor(Bytes),
    /// The room's connection count changed here.
    Presence { joined: bool },
}

/// What a room hears from the other instances (never its own messages).
#[derive(Debug, Clone)]
pub enum BusEvent {
    Update(Bytes),
    Awareness(Bytes),
    Cursor(Bytes),
    Presence {
        joined: bool,
    },
    /// Messages may have been lost beyond repair (subscription dropped,
    /// stream trimmed, Redis restarted): merge the stored state again.
    Resync,
}

/// Counters a bus keeps about its own repairs, exported as metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BusStats {
    /// Sequence gaps repaired from the stream.
    pub gaps_repaired: u64,
    /// Rooms told to re-merge from the store.
    pub resyncs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus backend failed: {0}")]
    Backend(String),
}

/// A live subscription to one room; dropping it unsubscribes.
pub struct Subscription {
    pub events: mpsc::UnboundedReceiver<BusEvent>,
    pub(crate) _guard: Box<dyn Send + Sync>,
}

#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Subscribes to a room. Call before loading the room, so nothing
    /// published meanwhile is missed.
    async fn subscribe(&self, room: &RoomId) -> Result<Subscription, BusError>;

    /// Queues a message for the other instances. Never blocks the room;
    /// failed sends are retried in order until the bus is back.
    fn publish(&self, room: &RoomId, message: Outgoing);

    /// Records this instance's connection count for the room and returns
    /// the room's count across all live instances.
    async fn set_presence(&self, room: &RoomId, local: usize) -> Result<usize, BusError>;

    /// The room's connection count across all live instances.
    async fn presence(&self, room: &RoomId) -> Result<usize, BusError>;

    async fn ping(&self) -> Result<(), BusError>;

    fn stats(&self) -> BusStats {
        BusStats::default()
    }

    /// Publishes what is still queued and withdraws this instance's
    /// presence, within `timeout`. Called once on graceful shutdown.
    async fn shutdown(&self, _timeout: std::time::Duration) {}
}
