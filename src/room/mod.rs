//! Live rooms: for each room some local client uses, one actor owning the
//! document, its awareness and the room's local connections.
//!
//! The [`Hub`] finds or starts a room's actor. An actor goes through
//! explicit states: *loading* (it subscribes to the bus, then loads from the
//! store; clients that join meanwhile simply wait in its queue), *active*,
//! and *unloading* (persist, then leave the hub). Commands reach it over a
//! channel, so the document is never behind a lock.

mod access;
mod actor;
mod awareness;
mod close;
mod core;
mod diff;
mod history;
pub(crate) mod json_sync;
pub mod messages;
mod outbox;
mod persister;
mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use yrs::sync::Message;

use crate::bus::Bus;
use crate::domain::{Language, RoomId};
use crate::mailbox;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::store::Store;

pub use access::Access;
pub use close::CloseReason;
/// For the fuzz targets (`crate::fuzzing`), which drive the core itself.
pub(crate) use core::{Core, CoreLimits, Effects};
pub use history::HistoryError;
use outbox::Inbox;
pub use outbox::OutboxReceiver;

pub type PeerId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    Yjs,
    Json,
}

/// A frame for one socket; the bytes are shared by every recipient.
#[derive(Debug, Clone)]
pub enum Frame {
    Binary(Bytes),
    /// UTF-8 JSON text.
    Text(Bytes),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("room not found")]
    NotFound,
    #[error("room could not be loaded, try again")]
    Unavailable,
    #[error("room is full")]
    Full,
    #[error("server is shutting down")]
    ShuttingDown,
    /// The actor was unloading when the join arrived; the hub starts anew.
    #[error("room was unloading")]
    Retry,
}

/// A room's queue allocates its slots in blocks of 32 commands: the rare
/// large variants are boxed so every open room's block stays small.
pub(crate) enum Command {
    Join {
        kind: PeerKind,
        access: Access,
        reply: oneshot::Sender<Result<Joined, JoinError>>,
    },
    Leave {
        peer: PeerId,
    },
    /// `cost` is what the message holds of the room's inbox budget.
    Yjs {
        peer: PeerId,
        message: Message,
        cost: usize,
    },
    JsonCode {
        peer: PeerId,
        edit: Box<JsonEdit>,
        cost: usize,
    },
    JsonCursor {
        peer: PeerId,
        cursor: u32,
        selection_end: Option<u32>,
        user_id: Option<String>,
        cost: usize,
    },
    /// Stored updates to merge after a bus resync.
    Merge(Vec<Vec<u8>>),
    Snapshot {
        reply: oneshot::Sender<LiveSnapshot>,
    },
    /// Record the current text as a version (named when asked).
    Checkpoint {
        name: Option<String>,
        reply: history::Reply,
    },
    /// Edit the document into an earlier version's text, and record that.
    Restore {
        target: Box<crate::store::Version>,
        reply: history::Reply,
    },
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

/// A JSON client's `code_update`.
#[derive(Debug, Clone)]
pub struct JsonEdit {
    /// The client's whole text.
    pub code: String,
    pub cursor: Option<u32>,
    pub language: Option<Language>,
    /// The `version` of the last message the client applied, if it says.
    pub base_version: Option<u64>,
    /// The `userId` the client put in its message: relayed with the
    /// change, as the prototype did.
    pub user_id: Option<String>,
}

pub(crate) struct Joined {
    peer: PeerId,
    user_id: String,
    frames: OutboxReceiver,
    close: Arc<OnceLock<CloseReason>>,
    inbox: Arc<Inbox>,
}

/// The live state of an open room, for `GET /api/rooms/{id}`.
#[derive(Debug, Clone)]
pub struct LiveSnapshot {
    pub code: String,
    pub language: String,
}

#[derive(Clone)]
struct RoomHandle {
    tx: mailbox::Sender<Command>,
    generation: u64,
}

pub(crate) struct Shared {
    rooms: Mutex<HashMap<RoomId, RoomHandle>>,
    pub(crate) store: Arc<dyn Store>,
    /// The instance's batched writer to the store.
    writer: writer::Writer,
    pub(crate) bus: Arc<dyn Bus>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) metrics: Arc<Metrics>,
    closing: AtomicBool,
    generations: AtomicU64,
}

impl Shared {
    /// Forgets a room's actor, unless a newer one already replaced it.
    fn remove(&self, id: &RoomId, generation: u64) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if rooms.get(id).is_some_and(|h| h.generation == generation) {
            rooms.remove(id);
        }
    }
}

/// The rooms of this instance.
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

/// A client's membership of a room. Dropping it leaves the room.
pub struct Connection {
    pub peer: PeerId,
    pub user_id: String,
    /// Frames to write to the socket. Ends when the room lets go.
    pub frames: OutboxReceiver,
    close: Arc<OnceLock<CloseReason>>,
    room: mailbox::Sender<Command>,
    inbox: Arc<Inbox>,
}

impl Connection {
    /// Why the room ended `frames`, if it did so on purpose.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close.get().copied()
    }

    /// Hands the room a message of `len` bytes; `Err` when the room's
    /// inbox is over its byte budget (the client is then disconnected).
    fn send(&self, len: usize, command: impl FnOnce(usize) -> Command) -> Result<(), CloseReason> {
        let cost = self
            .inbox
            .reserve(len)
            .map_err(|_| CloseReason::ROOM_BUSY)?;
        if self.room.send(command(cost)).is_err() {
            self.inbox.release(cost);
        }
        Ok(())
    }

    pub fn yjs(&self, message: Message, len: usize) -> Result<(), CloseReason> {
        let peer = self.peer;
        self.send(len, |cost| Command::Yjs {
            peer,
            message,
            cost,
        })
    }

    pub fn json_code(&self, edit: JsonEdit) -> Result<(), CloseReason> {
        let peer = self.peer;
        self.send(edit.code.len(), |cost| Command::JsonCode {
            peer,
            edit: Box::new(edit),
            cost,
        })
    }

    pub fn json_cursor(
        &self,
        cursor: u32,
        selection_end: Option<u32>,
        user_id: Option<String>,
    ) -> Result<(), CloseReason> {
        let peer = self.peer;
        self.send(0, |cost| Command::JsonCursor {
            peer,
            cursor,
            selection_end,
            user_id,
            cost,
        })
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let _ = self.room.send(Command::Leave { peer: self.peer });
    }
}

impl Hub {
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        settings: Arc<Settings>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                rooms: Mutex::new(HashMap::new()),
                writer: writer::Writer::spawn(store.clone()),
                store,
                bus,
                settings,
                metrics,
                closing: AtomicBool::new(false),
                generations: AtomicU64::new(0),
            }),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.shared.store
    }

    pub fn bus(&self) -> &Arc<dyn Bus> {
        &self.shared.bus
    }

    /// Joins a room (by its edit id), starting (and loading) its actor
    /// when needed; `access` says what the connection may do there.
    pub async fn join(
        &self,
        id: &RoomId,
        kind: PeerKind,
        access: Access,
    ) -> Result<Connection, JoinError> {
        // An actor that was unloading as we joined answers `Retry`; a fresh
        // one then starts. Two rounds suffice unless something is wrong.
        for _ in 0..5 {
            if self.shared.closing.load(Ordering::Acquire) {
                return Err(JoinError::ShuttingDown);
            }
            let handle = self.handle(id);
            let (reply, answer) = oneshot::channel();
            let join = Command::Join {
                kind,
                access: access.clone(),
                reply,
            };
            if handle.tx.send(join).is_err() {
                self.shared.remove(id, handle.generation);
                continue;
            }
            match answer.await {
                Ok(Ok(joined)) => {
                    return Ok(Connection {
                        peer: joined.peer,
                        user_id: joined.user_id,
                        frames: joined.frames,
                        close: joined.close,
                        room: handle.tx,
                        inbox: joined.inbox,
                    });
                }
                Ok(Err(JoinError::Retry)) | Err(_) => continue,
                Ok(Err(e)) => return Err(e),
            }
        }
        Err(JoinError::Unavailable)
    }

    /// The text of a room open on this instance, if it is.
    pub async fn live(&self, id: &RoomId) -> Option<LiveSnapshot> {
        let handle = {
            let rooms = self.shared.rooms.lock().unwrap_or_else(|e| e.into_inner());
            rooms.get(id).cloned()?
        };
        let (reply, answer) = oneshot::channel();
        handle.tx.send(Command::Snapshot { reply }).ok()?;
        answer.await.ok()
    }

    pub fn open_rooms(&self) -> usize {
        self.shared
            .rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Refuses new joins, then has every room persist and close its
    /// sockets with 1012. Returns when all rooms are done or `timeout`.
    pub async fn shutdown(&self, timeout: Duration) {
        self.shared.closing.store(true, Ordering::Release);
        let handles: Vec<RoomHandle> = {
            let rooms = self.shared.rooms.lock().unwrap_or_else(|e| e.into_inner());
            rooms.values().cloned().collect()
        };
        let mut waits = Vec::new();
        for handle in handles {
            let (done, finished) = oneshot::channel();
            if handle.tx.send(Command::Shutdown { done }).is_ok() {
                waits.push(finished);
            }
        }
        let all = futures_util::future::join_all(waits);
        if tokio::time::timeout(timeout, all).await.is_err() {
            tracing::warn!("some rooms did not finish persisting before the shutdown timeout");
        }
    }

    fn handle(&self, id: &RoomId) -> RoomHandle {
        let mut rooms = self.shared.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(handle) = rooms.get(id)
            && !handle.tx.is_closed()
        {
            return handle.clone();
        }
        let generation = self.shared.generations.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mailbox::channel();
        let inbox = Inbox::new(self.shared.settings.limits.room_queue_bytes);
        let handle = RoomHandle { tx, generation };
        rooms.insert(id.clone(), handle.clone());
        actor::spawn(
            id.clone(),
            generation,
            handle.tx.clone(),
            rx,
            inbox,
            self.shared.clone(),
        );
        handle
    }
}
#[cfg(test)]
mod size_tests {
    /// Every queued command takes a slot of this size in its room's
    /// queue: a variant that grows this grows every busy room.
    #[test]
    fn a_command_stays_small() {
        assert!(std::mem::size_of::<super::Command>() <= 80);
    }
}
