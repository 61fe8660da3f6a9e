//! Where rooms and their documents are kept for good.
//!
//! The room logic sees only the [`Store`] trait. Two implementations: the
//! embedded SQLite file of the single-node default and Postgres, the truth
//! shared by every instance when scaled out. Both keep the same shape: a
//! room row (with the plain text, so SQL users and `GET /api/rooms/{id}`
//! read the code without a CRDT), a compacted snapshot, and the log of
//! updates since that snapshot. Persistence appends; compaction merges later.
//!
//! The plain-text columns are derived and may be inexact: Postgres `text`
//! cannot hold U+0000, so [`column_text`] writes it as U+FFFD (both stores,
//! so SQL users see one rule). The CRDT rows are bytes and always hold the
//! true text; [`Store::document`] decodes it for readers that need it exact.
//!
//! Beside the document, each room keeps its [versions](VersionInfo): the
//! exact text (as bytes) and language at checkpoints, independent of the
//! log, so history survives compaction.

use std::borrow::Cow;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Language, Role, RoomId};

#[cfg(test)]
pub(crate) mod contract;
pub mod postgres;
pub mod sqlite;
mod versions;

pub use versions::{NewVersion, Version, VersionInfo, VersionKind};

/// A room's row as stored. `code` and `language` are the columns, so
/// mapped by [`column_text`]; [`Store::document`] has the exact ones.
#[derive(Debug, Clone)]
pub struct RoomRecord {
    pub id: RoomId,
    /// The room's view-only id: unique, unrelated to `id`.
    pub view_id: RoomId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub language: String,
    pub code: String,
}

/// A stored document as rooms show it, from its CRDT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// The exact text.
    pub code: String,
    /// The language `meta` names, if it is one the server accepts (a Yjs
    /// client can write any string there); `None` otherwise, and the last
    /// valid one is the column's.
    pub language: Option<String>,
}

/// `raw` if it is a language the server accepts, as rooms show it.
pub(crate) fn valid_language(raw: Option<&str>) -> Option<String> {
    raw.and_then(|l| Language::parse(l).ok())
        .map(|l| l.as_str().to_owned())
}

/// `text` as a plain-text column holds it: U+0000, which Postgres `text`
/// refuses (and C-string tools truncate at), becomes U+FFFD. Lossy on
/// purpose and only in the column: a NUL must never make a flush fail.
pub fn column_text(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A room to create: its record and its first snapshot.
pub struct NewRoom<'a> {
    pub id: &'a RoomId,
    pub view_id: &'a RoomId,
    pub language: &'a Language,
    pub code: &'a str,
    pub state: &'a [u8],
}

/// What an id names: a room, and whether it is the edit or the view id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub room: RoomId,
    pub role: Role,
}

/// A batch of updates this instance originated, with the text and language
/// they produced (written to the room row through [`column_text`], for
/// readers without a CRDT).
#[derive(Clone, Copy)]
pub struct Batch<'a> {
    pub updates: &'a [Vec<u8>],
    pub code: &'a str,
    pub language: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("room already exists")]
    Conflict,
    #[error("stored document is corrupt: {0}")]
    Corrupt(String),
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// A bound on what a room may keep would be passed.
    #[error("{0}")]
    Limit(&'static str),
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates the room; `Conflict` if either id is taken, as an edit or
    /// a view id.
    async fn create_room(&self, room: NewRoom<'_>) -> Result<RoomRecord, StoreError>;

    /// The room that `id` names, by its edit or its view id.
    async fn room(&self, id: &RoomId) -> Result<Option<RoomRecord>, StoreError>;

    /// Which room `id` names and with what role. The stores override
    /// this to read only the ids.
    async fn resolve(&self, id: &RoomId) -> Result<Option<Resolved>, StoreError> {
        let record = self.room(id).await?;
        Ok(record.map(|r| Resolved {
            role: if &r.id == id { Role::Edit } else { Role::View },
            room: r.id,
        }))
    }

    /// The snapshot followed by the log since it, or `None` for an unknown
    /// room. An error is never an empty document.
    async fn load(&self, id: &RoomId) -> Result<Option<Vec<Vec<u8>>>, StoreError>;

    /// The exact text and language, decoded from [`Store::load`]; `None`
    /// for an unknown room. Decoding is CPU work proportional to the
    /// document, so it runs on the blocking pool.
    async fn document(&self, id: &RoomId) -> Result<Option<StoredDocument>, StoreError> {
        let Some(updates) = self.load(id).await? else {
            return Ok(None);
        };
        let id = id.clone();
        tokio::task::spawn_blocking(move || {
            let doc = crate::doc::from_updates(updates.iter().map(Vec::as_slice))
                .map_err(|e| StoreError::Corrupt(format!("room {id}: {e}")))?;
            Ok(Some(StoredDocument {
                code: crate::doc::text(&doc),
                language: valid_language(crate::doc::language(&doc).as_deref()),
            }))
        })
        .await
        .map_err(|e| StoreError::Backend(format!("decoding task failed: {e}")))?
    }

    /// Appends a batch; returns how many log rows the room now has, so the
    /// caller can decide to compact.
    async fn append(&self, id: &RoomId, batch: Batch<'_>) -> Result<u64, StoreError>;

    /// Appends several rooms' batches, one result per batch in order. A
    /// store that can should do it in one round of work (one transaction);
    /// one room's failure must not fail the others.
    async fn append_many(&self, batches: &[(RoomId, Batch<'_>)]) -> Vec<Result<u64, StoreError>> {
        let mut results = Vec::with_capacity(batches.len());
        for (id, batch) in batches {
            results.push(self.append(id, *batch).await);
        }
        results
    }

    /// Merges the log into the snapshot under a per-room lock, so two
    /// instances never compact one room at once.
    async fn compact(&self, id: &RoomId) -> Result<(), StoreError>;

    /// Answers when the backend is reachable (readiness).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Records a version, then prunes the room's oldest unnamed versions
    /// past `max_versions`. An automatic version spelling what the newest
    /// one does (text and language) is not recorded: `None`. Named
    /// versions may fill all but one place (`Limit` past that), so they
    /// are never pruned and a checkpoint always has room.
    async fn add_version(
        &self,
        id: &RoomId,
        version: NewVersion<'_>,
        max_versions: usize,
    ) -> Result<Option<VersionInfo>, StoreError>;

    /// A page of the room's versions, newest first: those older than the
    /// version `before` when given (none if it is not the room's).
    async fn versions(
        &self,
        id: &RoomId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<VersionInfo>, StoreError>;

    /// One version with its text; `None` unless it is this room's.
    async fn version(&self, id: &RoomId, version: i64) -> Result<Option<Version>, StoreError>;

    /// Names a version (or removes its name); `None` unless it is this
    /// room's; `Limit` as for [`Store::add_version`].
    async fn name_version(
        &self,
        id: &RoomId,
        version: i64,
        name: Option<&str>,
        max_versions: usize,
    ) -> Result<Option<VersionInfo>, StoreError>;
}
