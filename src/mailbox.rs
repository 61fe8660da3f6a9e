//! An unbounded queue between tasks, with tokio's unbounded-channel
//! semantics (`close` refuses further sends but keeps what is queued;
//! `recv` ends once the queue is closed, or every sender is gone, and
//! empty), but nothing allocated while it is empty. Every open room holds
//! two on every instance that has it open (its command queue and its bus
//! subscription), and a tokio channel allocates a 32-slot block up front
//! (about 2.5 KiB of commands), where an empty deque holds nothing.
//!
//! Unbounded in count on purpose: its users bound what goes in, in bytes
//! (a room's inbox budget, the bus queue's byte bound), before they send.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;

use futures_util::task::AtomicWaker;

/// Capacity an emptied queue keeps; a burst's larger buffer is given back.
const KEPT_SLOTS: usize = 4;

struct State<T> {
    items: VecDeque<T>,
    senders: usize,
    closed: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    waker: AtomicWaker,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            senders: 1,
            closed: false,
        }),
        waker: AtomicWaker::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

impl<T> Sender<T> {
    /// Queues `item`; gives it back when the receiver closed or is gone.
    pub fn send(&self, item: T) -> Result<(), T> {
        {
            let mut state = self.shared.lock();
            if state.closed {
                return Err(item);
            }
            state.items.push_back(item);
        }
        self.shared.waker.wake();
        Ok(())
    }

    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let last = {
            let mut state = self.shared.lock();
            state.senders -= 1;
            state.senders == 0
        };
        if last {
            self.shared.waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// The next item; `None` once closed (or every sender is gone) and
    /// empty. Cancel-safe.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| {
            let mut state = self.shared.lock();
            if let Some(item) = take(&mut state) {
                return Poll::Ready(Some(item));
            }
            if state.closed || state.senders == 0 {
                return Poll::Ready(None);
            }
            // Registered under the lock: a send after it wakes us.
            self.shared.waker.register(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// The next item if one is queued.
    pub fn try_recv(&mut self) -> Option<T> {
        take(&mut self.shared.lock())
    }

    pub fn is_empty(&self) -> bool {
        self.shared.lock().items.is_empty()
    }

    /// Refuses further sends; what is queued can still be received.
    pub fn close(&mut self) {
        self.shared.lock().closed = true;
    }
}

fn take<T>(state: &mut State<T>) -> Option<T> {
    let item = state.items.pop_front()?;
    if state.items.is_empty() && state.items.capacity() > KEPT_SLOTS {
        state.items.shrink_to(KEPT_SLOTS);
    }
    Some(item)
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut state = self.shared.lock();
            state.closed = true;
            std::mem::take(&mut state.items)
        };
        // Dropped outside the lock: an item may hold a reply channel
        // whose drop wakes someone.
        drop(items);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn items_arrive_in_order_and_wake_the_receiver() {
        let (tx, mut rx) = channel::<u32>();
        let other = tx.clone();
        let receiver = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(n) = rx.recv().await {
                got.push(n);
            }
            got
        });
        tokio::task::yield_now().await;
        tx.send(1).unwrap();
        other.send(2).unwrap();
        tx.send(3).unwrap();
        drop(tx);
        drop(other);
        let got = tokio::time::timeout(Duration::from_secs(5), receiver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, [1, 2, 3], "every sender gone ends the queue");
    }

    #[tokio::test]
    async fn a_closed_queue_refuses_sends_but_keeps_what_it_holds() {
        let (tx, mut rx) = channel::<u32>();
        tx.send(1).unwrap();
        assert!(!tx.is_closed());
        rx.close();
        assert!(tx.is_closed());
        assert_eq!(tx.send(2), Err(2));
        assert!(!rx.is_empty());
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, None, "ends although a sender lives");
        drop(rx);
        assert_eq!(tx.send(3), Err(3));
    }
}
