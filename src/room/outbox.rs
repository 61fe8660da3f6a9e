//! Queues bounded in bytes, not frames: what a room has sent toward one
//! socket and the socket has not yet taken (an [`Outbox`]), and what the
//! connections of a room have sent it and it has not yet handled (an
//! [`Inbox`] budget). A client controls the sizes, so a count alone bounds
//! nothing: 1,024 queued frames of a 1 MiB document are a gigabyte.
//!
//! Each frame is charged its length plus a fixed overhead, so a flood of
//! empty frames is bounded too.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

use super::Frame;

/// What one queued item costs beyond its bytes (allocation, channel slot).
pub const ITEM_OVERHEAD: usize = 64;

fn cost(frame: &Frame) -> usize {
    let len = match frame {
        Frame::Binary(b) | Frame::Text(b) => b.len(),
    };
    len + ITEM_OVERHEAD
}

/// The room's end of one socket's queue.
pub struct Outbox {
    tx: mpsc::UnboundedSender<Frame>,
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// The socket's end: frames to write.
pub struct OutboxReceiver {
    rx: mpsc::UnboundedReceiver<Frame>,
    queued: Arc<AtomicUsize>,
}

/// The queue holds more bytes than allowed: the client is too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

pub fn outbox(max_bytes: usize) -> (Outbox, OutboxReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    (
        Outbox {
            tx,
            queued: queued.clone(),
            max_bytes,
        },
        OutboxReceiver { rx, queued },
    )
}

impl Outbox {
    /// Queues a frame. A closed socket counts as success: its `Leave` is
    /// on the way. `Err(Full)` when the frame would take the queue over
    /// its byte budget (nothing is queued then).
    pub fn push(&self, frame: Frame) -> Result<(), Full> {
        let cost = cost(&frame);
        let before = self.queued.fetch_add(cost, Ordering::AcqRel);
        if before + cost > self.max_bytes {
            self.queued.fetch_sub(cost, Ordering::AcqRel);
            return Err(Full);
        }
        if let Err(mpsc::error::SendError(frame)) = self.tx.send(frame) {
            self.queued.fetch_sub(self::cost(&frame), Ordering::AcqRel);
        }
        Ok(())
    }

    #[cfg(test)]
    fn queued_bytes(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }
}

impl OutboxReceiver {
    /// The next frame; `None` once the room let go of this socket.
    pub async fn recv(&mut self) -> Option<Frame> {
        let frame = self.rx.recv().await?;
        self.queued.fetch_sub(cost(&frame), Ordering::AcqRel);
        Some(frame)
    }

    pub fn try_recv(&mut self) -> Option<Frame> {
        let frame = self.rx.try_recv().ok()?;
        self.queued.fetch_sub(cost(&frame), Ordering::AcqRel);
        Some(frame)
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
