//! Queues bounded in bytes, not frames: what a room has sent toward one
//! socket and the socket has not yet taken (an [`Outbox`]), and what the
//! connections of a room have sent it and it has not yet handled (an
//! [`Inbox`] budget). A client controls the sizes, so a count alone bounds
//! nothing: 1,024 queued frames of a 1 MiB document are a gigabyte.
//!
//! Each frame is charged its length plus a fixed overhead, so a flood of
//! empty frames is bounded too.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;

use futures_util::task::AtomicWaker;

use super::Frame;

/// What one queued item costs beyond its bytes (allocation, channel slot).
pub const ITEM_OVERHEAD: usize = 64;

/// Capacity an emptied queue keeps; a burst's larger buffer is given back.
const KEPT_SLOTS: usize = 8;

fn cost(frame: &Frame) -> usize {
    let len = match frame {
        Frame::Binary(b) | Frame::Text(b) => b.len(),
    };
    len + ITEM_OVERHEAD
}

/// One socket's queue. A plain deque rather than a channel: every idle
/// connection holds one, and a tokio channel allocates a 32-slot block up
/// front (about 1.3 KiB), where an empty deque holds nothing.
struct Queue {
    frames: VecDeque<Frame>,
    bytes: usize,
    /// The room let go of the socket: the receiver ends once it is empty.
    room_gone: bool,
    /// The socket is gone: frames are dropped as they come.
    socket_gone: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    waker: AtomicWaker,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The room's end of one socket's queue.
pub struct Outbox {
    shared: Arc<Shared>,
    max_bytes: usize,
}

/// The socket's end: frames to write.
pub struct OutboxReceiver {
    shared: Arc<Shared>,
}

/// The queue holds more bytes than allowed: the client is too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

pub fn outbox(max_bytes: usize) -> (Outbox, OutboxReceiver) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            frames: VecDeque::new(),
            bytes: 0,
            room_gone: false,
            socket_gone: false,
        }),
        waker: AtomicWaker::new(),
    });
    (
        Outbox {
            shared: shared.clone(),
            max_bytes,
        },
        OutboxReceiver { shared },
    )
}

impl Outbox {
    /// Queues a frame. A closed socket counts as success: its `Leave` is
    /// on the way. `Err(Full)` when the frame would take the queue over
    /// its byte budget (nothing is queued then).
    pub fn push(&self, frame: Frame) -> Result<(), Full> {
        let cost = cost(&frame);
        {
            let mut queue = self.shared.lock();
            if queue.socket_gone {
                return Ok(());
            }
            if queue.bytes + cost > self.max_bytes {
                return Err(Full);
            }
            queue.bytes += cost;
            queue.frames.push_back(frame);
        }
        self.shared.waker.wake();
        Ok(())
    }

    #[cfg(test)]
    fn queued_bytes(&self) -> usize {
        self.shared.lock().bytes
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.shared.lock().room_gone = true;
        self.shared.waker.wake();
    }
}

impl OutboxReceiver {
    /// The next frame; `None` once the room let go of this socket (and
    /// everything it queued before is taken). Cancel-safe.
    pub async fn recv(&mut self) -> Option<Frame> {
        poll_fn(|cx| {
            let mut queue = self.shared.lock();
            if let Some(frame) = take(&mut queue) {
                return Poll::Ready(Some(frame));
            }
            if queue.room_gone {
                return Poll::Ready(None);
            }
            // Registered under the lock: a push after it wakes us.
            self.shared.waker.register(cx.waker());
            Poll::Pending
        })
        .await
    }

    pub fn try_recv(&mut self) -> Option<Frame> {
        take(&mut self.shared.lock())
    }
}

fn take(queue: &mut Queue) -> Option<Frame> {
    let frame = queue.frames.pop_front()?;
    queue.bytes -= cost(&frame);
    if queue.frames.is_empty() && queue.frames.capacity() > KEPT_SLOTS {
        queue.frames.shrink_to(KEPT_SLOTS);
    }
    Some(frame)
}

impl Drop for OutboxReceiver {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.socket_gone = true;
        queue.bytes = 0;
        queue.frames = VecDeque::new();
    }
}

/// The bytes a room's connections have sent it and it has not yet handled.
/// Shared by the room and its connections; a connection whose message would
/// take it over the budget is refused (and disconnected) instead of
/// growing the room's queue.
#[derive(Debug)]
pub struct Inbox {
    queued: AtomicUsize,
    max_bytes: usize,
}

impl Inbox {
    pub fn new(max_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            queued: AtomicUsize::new(0),
            max_bytes,
        })
    }

    /// Reserves `len` bytes (plus overhead); `Err(Full)` over the budget.
    pub fn reserve(&self, len: usize) -> Result<usize, Full> {
        let cost = len + ITEM_OVERHEAD;
        let before = self.queued.fetch_add(cost, Ordering::AcqRel);
        if before + cost > self.max_bytes {
            self.queued.fetch_sub(cost, Ordering::AcqRel);
            return Err(Full);
        }
        Ok(cost)
    }

    /// Returns what `reserve` took, once the room handled the message.
    pub fn release(&self, cost: usize) {
        self.queued.fetch_sub(cost, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn frame(n: usize) -> Frame {
        Frame::Binary(Bytes::from(vec![0u8; n]))
    }

    #[tokio::test]
    async fn the_budget_counts_bytes_and_frees_on_receive() {
        let (outbox, mut rx) = outbox(3 * (1000 + ITEM_OVERHEAD));
        for _ in 0..3 {
            assert_eq!(outbox.push(frame(1000)), Ok(()));
        }
        assert_eq!(outbox.push(frame(1000)), Err(Full));
        // Small frames are bounded too: each costs the overhead.
        assert!(rx.recv().await.is_some());
        assert_eq!(outbox.push(frame(1000)), Ok(()));
        assert_eq!(outbox.push(frame(0)), Err(Full));
        while rx.try_recv().is_some() {}
        assert_eq!(outbox.queued_bytes(), 0);
    }

    #[tokio::test]
    async fn the_socket_gets_what_was_queued_then_learns_the_room_let_go() {
        let (outbox, mut rx) = outbox(10_000);
        outbox.push(frame(10)).unwrap();
        outbox.push(frame(20)).unwrap();
        let waiting = tokio::spawn(async move {
            let mut lens = Vec::new();
            while let Some(Frame::Binary(b)) = rx.recv().await {
                lens.push(b.len());
            }
            lens
        });
        tokio::task::yield_now().await;
        outbox.push(frame(30)).unwrap();
        drop(outbox);
        assert_eq!(waiting.await.unwrap(), vec![10, 20, 30]);
    }

    #[test]
    fn a_closed_socket_frees_what_it_was_sent() {
        let (outbox, rx) = outbox(10_000);
        drop(rx);
        assert_eq!(outbox.push(frame(1000)), Ok(()));
        assert_eq!(outbox.queued_bytes(), 0);
    }

    #[test]
    fn the_inbox_refuses_past_its_budget() {
        let inbox = Inbox::new(2 * (100 + ITEM_OVERHEAD));
        let a = inbox.reserve(100).unwrap();
        let _b = inbox.reserve(100).unwrap();
        assert_eq!(inbox.reserve(0), Err(Full));
        inbox.release(a);
        assert!(inbox.reserve(100).is_ok());
    }
}
