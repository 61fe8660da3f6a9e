//! A subscription's queue, bounded by events and bytes. The producer (the
//! one pub/sub loop shared by every room) must never wait for a slow room,
//! so a full queue does not block: the event is dropped and the room is
//! owed one `Resync`, queued past the bound, which re-merges the room from
//! the store. Until the room takes that `Resync`, further events are
//! dropped too (the re-merge covers them).
//!
//! A plain deque behind a mutex rather than a channel: every room open on
//! an instance holds one, and a tokio channel allocates a 32-slot block
//! up front (about 2.3 KiB of `BusEvent`s), where an empty deque holds
//! nothing.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;

use futures_util::task::AtomicWaker;

use super::BusEvent;

/// What one queued item costs beyond its bytes (allocation, queue slot).
pub const ITEM_OVERHEAD: usize = 64;

/// Capacity an emptied queue keeps; a burst's larger buffer is given back.
const KEPT_SLOTS: usize = 8;

enum Item {
    Event(BusEvent, usize),
    /// The queue overflowed: the receiver owes the room a resync.
    Overflowed,
}

struct Queue {
    items: VecDeque<Item>,
    /// Events and bytes queued (the `Overflowed` marker is not counted).
    events: usize,
    bytes: usize,
    /// An `Overflowed` is queued and not yet taken.
    overflowed: bool,
    senders: usize,
    receiver_gone: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    waker: AtomicWaker,
    max_events: usize,
    max_bytes: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The bus's end. Cloned for every producer of one subscription.
pub struct EventSender {
    shared: Arc<Shared>,
}

pub struct EventReceiver {
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
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            items: VecDeque::new(),
            events: 0,
            bytes: 0,
            overflowed: false,
            senders: 1,
            receiver_gone: false,
        }),
        waker: AtomicWaker::new(),
        max_events: max_events.max(1),
        max_bytes: max_bytes.max(ITEM_OVERHEAD),
    });
    (
        EventSender {
            shared: shared.clone(),
        },
        EventReceiver { shared },
    )
}

impl Clone for EventSender {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for EventSender {
    fn drop(&mut self) {
        let last = {
            let mut queue = self.shared.lock();
            queue.senders -= 1;
            queue.senders == 0
        };
        if last {
            self.shared.waker.wake();
        }
    }
}

impl EventSender {
    pub fn send(&self, event: BusEvent) -> Sent {
        let s = &self.shared;
        let sent = {
            let mut queue = s.lock();
            if queue.receiver_gone {
                return Sent::Closed;
            }
            if queue.overflowed {
                return Sent::Dropped;
            }
            let cost = event.cost();
            if queue.events + 1 > s.max_events || queue.bytes + cost > s.max_bytes {
                queue.overflowed = true;
                queue.items.push_back(Item::Overflowed);
                Sent::Overflowed
            } else {
                queue.events += 1;
                queue.bytes += cost;
                queue.items.push_back(Item::Event(event, cost));
                Sent::Queued
            }
        };
        s.waker.wake();
        sent
    }

    pub fn is_closed(&self) -> bool {
        self.shared.lock().receiver_gone
    }
}

impl EventReceiver {
    /// The next event; `None` once every sender is gone and the queue is
    /// empty. Cancel-safe.
    pub async fn recv(&mut self) -> Option<BusEvent> {
        poll_fn(|cx| {
            let mut queue = self.shared.lock();
            if let Some(event) = take(&mut queue) {
                return Poll::Ready(Some(event));
            }
            if queue.senders == 0 {
                return Poll::Ready(None);
            }
            // Registered under the lock: a send after it wakes us.
            self.shared.waker.register(cx.waker());
            Poll::Pending
        })
        .await
    }

    pub fn try_recv(&mut self) -> Option<BusEvent> {
        take(&mut self.shared.lock())
    }
}

fn take(queue: &mut Queue) -> Option<BusEvent> {
    let item = queue.items.pop_front()?;
    if queue.items.is_empty() && queue.items.capacity() > KEPT_SLOTS {
        queue.items.shrink_to(KEPT_SLOTS);
    }
    Some(match item {
        Item::Event(event, cost) => {
            queue.events -= 1;
            queue.bytes -= cost;
            event
        }
        Item::Overflowed => {
            queue.overflowed = false;
            BusEvent::Resync
        }
    })
}

impl Drop for EventReceiver {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.receiver_gone = true;
        queue.items = VecDeque::new();
        queue.events = 0;
        queue.bytes = 0;
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
