//! The in-process bus of the single-node default: there are no other
//! instances, so publishing goes nowhere and presence is this process's
//! own count.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::{Bus, BusError, Outgoing, Subscription};
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
        // Keep the sender alive in the guard so the receiver stays open.
        let (tx, events) = mpsc::unbounded_channel();
        Ok(Subscription {
            events,
            _guard: Box::new(tx),
        })
    }

    fn publish(&self, _room: &RoomId, _message: Outgoing) {}

    async fn set_presence(&self, room: &RoomId, local: usize) -> Result<usize, BusError> {
        let mut presence = self.presence.lock().unwrap_or_else(|e| e.into_inner());
        if local == 0 {
            presence.remove(room);
        } else {
            presence.insert(room.clone(), local);
        }
        Ok(local)
    }

    async fn presence(&self, room: &RoomId) -> Result<usize, BusError> {
        let presence = self.presence.lock().unwrap_or_else(|e| e.into_inner());
        Ok(presence.get(room).copied().unwrap_or(0))
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}
