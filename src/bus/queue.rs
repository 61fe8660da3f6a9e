//! A subscription's queue, bounded by events and bytes. The producer (the
//! one pub/sub loop shared by every room) must never wait for a slow room,
//! so a full queue does not block: the event is dropped and the room is
//! owed one `Resync`, queued past the bound, which re-merges the room from
//! the store. Until the room takes that `Resync`, further events are
//! dropped too (the re-merge covers them).
//!
//! The items travel in a [`mailbox`](crate::mailbox) rather than a tokio
//! channel: every room open on an instance holds one, and an empty
//! mailbox holds nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::BusEvent;
use crate::mailbox;

/// What one queued item costs beyond its bytes (allocation, queue slot).
pub const ITEM_OVERHEAD: usize = 64;

enum Item {
    Event(BusEvent, usize),
    /// The queue overflowed: the receiver owes the room a resync.
    Overflowed,
}

struct Shared {
    events: AtomicUsize,
    bytes: AtomicUsize,
    overflowed: AtomicBool,
    max_events: usize,
    max_bytes: usize,
}

/// The bus's end. Cloned for every producer of one subscription.
#[derive(Clone)]
pub struct EventSender {
    tx: mailbox::Sender<Item>,
    shared: Arc<Shared>,
}

pub struct EventReceiver {
    rx: mailbox::Receiver<Item>,
    shared: Arc<Shared>,
}

/// How a send went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Queued,
    /// Dropped; the receiver will see a `Resync` (queued now, or earlier).
    Dropped,
    /// Just overflowed: dropped, and the `Resync` queued.
    Overflowed,
    /// The receiver is gone.
    Closed,
}

pub fn channel(max_events: usize, max_bytes: usize) -> (EventSender, EventReceiver) {
    let (tx, rx) = mailbox::channel();
    let shared = Arc::new(Shared {
        events: AtomicUsize::new(0),
        bytes: AtomicUsize::new(0),
        overflowed: AtomicBool::new(false),
        max_events: max_events.max(1),
        max_bytes: max_bytes.max(ITEM_OVERHEAD),
    });
    (
        EventSender {
            tx,
            shared: shared.clone(),
        },
        EventReceiver { rx, shared },
    )
}

impl EventSender {
    pub fn send(&self, event: BusEvent) -> Sent {
        let s = &self.shared;
        if self.tx.is_closed() {
            return Sent::Closed;
        }
        if s.overflowed.load(Ordering::Acquire) {
            return Sent::Dropped;
        }
        let cost = event.cost();
        let events = s.events.fetch_add(1, Ordering::AcqRel) + 1;
        let bytes = s.bytes.fetch_add(cost, Ordering::AcqRel) + cost;
        if events > s.max_events || bytes > s.max_bytes {
            s.events.fetch_sub(1, Ordering::AcqRel);
            s.bytes.fetch_sub(cost, Ordering::AcqRel);
            if s.overflowed.swap(true, Ordering::AcqRel) {
                return Sent::Dropped;
            }
            let _ = self.tx.send(Item::Overflowed);
            return Sent::Overflowed;
        }
        match self.tx.send(Item::Event(event, cost)) {
            Ok(()) => Sent::Queued,
            Err(_) => Sent::Closed,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl EventReceiver {
    pub async fn recv(&mut self) -> Option<BusEvent> {
        let item = self.rx.recv().await?;
        Some(self.take(item))
    }

    pub fn try_recv(&mut self) -> Option<BusEvent> {
        let item = self.rx.try_recv()?;
        Some(self.take(item))
    }

    fn take(&self, item: Item) -> BusEvent {
        match item {
            Item::Event(event, cost) => {
                self.shared.events.fetch_sub(1, Ordering::AcqRel);
                self.shared.bytes.fetch_sub(cost, Ordering::AcqRel);
                event
            }
            Item::Overflowed => {
                self.shared.overflowed.store(false, Ordering::Release);
                BusEvent::Resync
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn update(n: usize) -> BusEvent {
        BusEvent::Update {
            update: Bytes::from(vec![0; n]),
            author: None,
        }
    }

    #[test]
    fn a_full_queue_drops_and_owes_one_resync() {
        let (tx, mut rx) = channel(2, 1 << 20);
        assert_eq!(tx.send(update(1)), Sent::Queued);
        assert_eq!(tx.send(update(1)), Sent::Queued);
        assert_eq!(tx.send(update(1)), Sent::Overflowed);
        assert_eq!(tx.send(update(1)), Sent::Dropped);
        assert!(matches!(rx.try_recv(), Some(BusEvent::Update { .. })));
        // Room again, but the resync is owed first: still dropped.
        assert_eq!(tx.send(update(1)), Sent::Dropped);
        assert!(matches!(rx.try_recv(), Some(BusEvent::Update { .. })));
        assert!(matches!(rx.try_recv(), Some(BusEvent::Resync)));
        assert!(rx.try_recv().is_none());
        assert_eq!(tx.send(update(1)), Sent::Queued);
        assert!(matches!(rx.try_recv(), Some(BusEvent::Update { .. })));
    }

    #[tokio::test]
    async fn the_room_is_woken_by_a_send_and_hears_the_end_when_the_bus_lets_go() {
        let (tx, mut rx) = channel(100, 1 << 20);
        let copy = tx.clone();
        let waiting = tokio::spawn(async move {
            let first = rx.recv().await;
            let second = rx.recv().await;
            let end = rx.recv().await;
            (first.is_some(), second.is_some(), end.is_none())
        });
        tokio::task::yield_now().await;
        assert_eq!(tx.send(update(3)), Sent::Queued);
        assert_eq!(copy.send(update(3)), Sent::Queued);
        drop(tx);
        drop(copy);
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, (true, true, true));
    }

    #[test]
    fn bytes_bound_as_well_as_count() {
        let (tx, mut rx) = channel(100, 1000);
        assert_eq!(tx.send(update(800)), Sent::Queued);
        assert_eq!(tx.send(update(800)), Sent::Overflowed);
        assert!(matches!(rx.try_recv(), Some(BusEvent::Update { .. })));
        assert!(matches!(rx.try_recv(), Some(BusEvent::Resync)));
        assert_eq!(tx.send(update(800)), Sent::Queued);
        drop(rx);
        assert_eq!(tx.send(update(1)), Sent::Closed);
    }
}
