//! How instances hear each other's changes.
//!
//! The room logic sees only the [`Bus`] trait. The in-process bus of the
//! single-node default has nobody to tell; the Redis bus relays through one
//! channel per room, with a per-room sequence and stream so a subscriber
//! notices and repairs what pub/sub dropped. Either way a subscription
//! yields a complete stream of [`BusEvent`]s, or says `Resync` when the
//! room must merge its state from the store again.
//!
//! Nothing here makes a room wait on the network: publishing queues (a
//! byte budget, shedding what is cheapest to lose first), presence is
//! recorded locally and pushed by the bus, and a subscription is a
//! bounded queue that turns into one `Resync` when the room cannot keep up.

use async_trait::async_trait;
use bytes::Bytes;

use crate::domain::RoomId;

pub mod local;
pub mod queue;
pub mod redis;

/// What a room publishes for the other instances.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A v1 document update (sequenced, repaired on gaps), with the user
    /// id of whoever made it, for the JSON clients of other instances.
    Update {
        update: Bytes,
        author: Option<String>,
    },
    /// A y-protocols awareness update.
    Awareness(Bytes),
    /// A JSON `cursor` message, relayed as is.
    Cursor(Bytes),
    /// The room's connection count changed here (the count itself was
    /// recorded with [`Bus::set_presence`]).
    Presence { joined: bool },
}

/// What a room hears from the other instances (never its own messages).
#[derive(Debug, Clone)]
pub enum BusEvent {
    Update {
        update: Bytes,
        author: Option<String>,
    },
    Awareness(Bytes),
    Cursor(Bytes),
    /// Someone joined or left on another instance; `total` is the room's
    /// count across instances as that instance computed it.
    Presence {
        joined: bool,
        total: usize,
    },
    /// Messages may have been lost beyond repair (subscription overflowed,
    /// stream trimmed, Redis restarted, a peer could not publish): merge
    /// the stored state again.
    Resync,
}

impl BusEvent {
    /// What the event costs in a queue: its bytes plus a fixed overhead.
    pub fn cost(&self) -> usize {
        let len = match self {
            Self::Update { update, author } => {
                update.len() + author.as_ref().map_or(0, String::len)
            }
            Self::Awareness(b) | Self::Cursor(b) => b.len(),
            Self::Presence { .. } | Self::Resync => 0,
        };
        len + queue::ITEM_OVERHEAD
    }
}

/// Counters a bus keeps about its own repairs, exported as metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BusStats {
    /// Sequence gaps repaired from the stream.
    pub gaps_repaired: u64,
    /// Rooms told to re-merge from the store.
    pub resyncs: u64,
    /// Messages not published (queue full, Redis refused them).
    pub publish_dropped: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus backend failed: {0}")]
    Backend(String),
}

/// A live subscription to one room; dropping it unsubscribes.
pub struct Subscription {
    events: queue::EventReceiver,
    /// What the bus already held for the room when it subscribed (the
    /// Redis stream tail, newer than what the store may have).
    tail: Vec<BusEvent>,
    _guard: Box<dyn Send + Sync>,
}

impl Subscription {
    pub(crate) fn new(
        events: queue::EventReceiver,
        tail: Vec<BusEvent>,
        guard: Box<dyn Send + Sync>,
    ) -> Self {
        Self {
            events,
            tail,
            _guard: guard,
        }
    }

    /// The next event; `None` once the bus let go of the subscription.
    pub async fn recv(&mut self) -> Option<BusEvent> {
        self.events.recv().await
    }

    /// The next event if one is queued.
    pub fn try_recv(&mut self) -> Option<BusEvent> {
        self.events.try_recv()
    }

    /// What the bus held when subscribing; merge it after loading.
    pub fn take_tail(&mut self) -> Vec<BusEvent> {
        std::mem::take(&mut self.tail)
    }
}

#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Subscribes to a room. Call before loading the room, so nothing
    /// published meanwhile is missed.
    async fn subscribe(&self, room: &RoomId) -> Result<Subscription, BusError>;

    /// Queues a message for the other instances. Never blocks the room;
    /// what the queue cannot take is dropped by the bus's stated policy
    /// (updates then cost the room's peers a `Resync`).
    fn publish(&self, room: &RoomId, message: Outgoing);

    /// Records this instance's connection count for the room (the bus
    /// tells the other instances in the background) and returns the
    /// room's best known count across instances. Never waits.
    fn set_presence(&self, room: &RoomId, local: usize) -> usize;

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
