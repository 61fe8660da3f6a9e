//! The in-process bus of the single-node default: there are no other
//! instances, so publishing goes nowhere and presence is this process's
//! own count.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Bus, BusError, Outgoing, Subscription, queue};
use crate::domain::RoomId;

#[derive(Default)]
pub struct LocalBus {
    presence: Mutex<HashMap<RoomId, usize>>,
}

impl LocalBus {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn subscribe(&self, _room: &RoomId) -> Result<Subscription, BusError> {
        // Keep the sender alive in the guard so the receiver stays open;
        // nothing is ever sent.
        let (tx, events) = queue::channel(1, queue::ITEM_OVERHEAD);
        Ok(Subscription::new(events, Vec::new(), Box::new(tx)))
    }

    fn publish(&self, _room: &RoomId, _message: Outgoing) {}

    fn set_presence(&self, room: &RoomId, local: usize) -> usize {
        let mut presence = self.presence.lock().unwrap_or_else(|e| e.into_inner());
        if local == 0 {
            presence.remove(room);
        } else {
            presence.insert(room.clone(), local);
        }
        local
    }

    async fn presence(&self, room: &RoomId) -> Result<usize, BusError> {
        let presence = self.presence.lock().unwrap_or_else(|e| e.into_inner());
        Ok(presence.get(room).copied().unwrap_or(0))
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}
