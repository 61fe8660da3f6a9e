//! Room history, the live side: when a burst of editing becomes a version
//! (the [`Schedule`]), recording versions without blocking the room, and
//! the hub's ways in (name the current version, restore an earlier one).
//!
//! Checkpoints are recorded by the instance where the edits were made:
//! only it knows when its clients' burst started and went quiet. The
//! schedule is due only while a burst is open, so an idle room has no
//! timer for it. Versions keep the text and language, not CRDT state: a
//! restore edits the live document into the old text as a new change.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::warn;

use super::{Command, Hub, LiveSnapshot};
use crate::domain::RoomId;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::store::{NewVersion, Store, StoreError, Version, VersionInfo, VersionKind};

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("the room could not be opened, try again")]
    Unavailable,
    /// The request cannot be carried out on this room as it is.
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) type Reply = oneshot::Sender<Result<VersionInfo, HistoryError>>;

#[derive(Debug, Clone, Copy)]
pub struct HistoryLimits {
    pub quiet: Duration,
    pub max_burst: Duration,
    pub max_versions: usize,
    pub max_authors: usize,
    pub max_name_chars: usize,
}

impl HistoryLimits {
    pub fn from_settings(settings: &Settings) -> Self {
        let h = &settings.history;
        Self {
            quiet: Duration::from_secs(h.quiet_secs),
            max_burst: Duration::from_secs(h.max_burst_secs),
            max_versions: h.max_versions,
            max_authors: h.max_authors,
            max_name_chars: h.max_name_chars,
        }
    }
}

/// What a burst of editing gathered.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Burst {
    pub changes: u64,
    pub authors: Vec<String>,
}

/// When the changes made here become a version: after `quiet` without
/// one, or `max_burst` after the first, whichever comes first.
#[derive(Debug)]
pub struct Schedule {
    limits: HistoryLimits,
    started: Option<Instant>,
    last: Option<Instant>,
    changes: u64,
    authors: BTreeSet<String>,
}

impl Schedule {
    pub fn new(limits: HistoryLimits) -> Self {
        Self {
            limits,
            started: None,
            last: None,
            changes: 0,
            authors: BTreeSet::new(),
        }
    }

    /// `n` changes were made at `now`; true when they open a burst.
    pub fn edited(&mut self, n: u64, now: Instant) -> bool {
        if n == 0 {
            return false;
        }
        let opened = self.started.is_none();
        self.started.get_or_insert(now);
        self.last = Some(now);
        self.changes += n;
        opened
    }

    pub fn pending(&self) -> bool {
        self.started.is_some()
    }

    /// Adds names of people connected during the burst (bounded).
    pub fn add_authors(&mut self, names: impl IntoIterator<Item = String>) {
        for name in names {
            if self.authors.len() >= self.limits.max_authors {
                return;
            }
            self.authors.insert(name);
        }
    }

    pub fn due(&self) -> Option<Instant> {
        let (started, last) = (self.started?, self.last?);
        Some((started + self.limits.max_burst).min(last + self.limits.quiet))
    }

    /// Ends the burst; what it gathered, if anything changed.
    pub fn take(&mut self) -> Option<Burst> {
        self.started.take()?;
        self.last = None;
        let changes = std::mem::take(&mut self.changes);
        let authors = std::mem::take(&mut self.authors).into_iter().collect();
        Some(Burst { changes, authors })
    }
}

/// A version to record, owned so a background write can hold it.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub created_at: DateTime<Utc>,
    pub kind: VersionKind,
    pub name: Option<String>,
    pub authors: Vec<String>,
    pub changes: u64,
    pub code: String,
    pub language: String,
    pub restored_from: Option<i64>,
}

impl Checkpoint {
    pub fn new(kind: VersionKind, burst: Burst, now: LiveSnapshot) -> Self {
        Self {
            created_at: Utc::now(),
            kind,
            name: None,
            authors: burst.authors,
            changes: burst.changes,
            code: now.code,
            language: now.language,
            restored_from: None,
        }
    }

    fn as_new(&self) -> NewVersion<'_> {
        NewVersion {
            created_at: self.created_at,
            kind: self.kind,
            name: self.name.as_deref(),
            authors: &self.authors,
            changes: self.changes,
            code: &self.code,
            language: &self.language,
            restored_from: self.restored_from,
        }
    }
}

/// A room's history: its schedule and its writes in flight. The writes
/// are owned here, so unloading waits for them.
pub struct History {
    pub schedule: Schedule,
    writes: JoinSet<()>,
}

impl History {
    pub fn new(limits: HistoryLimits) -> Self {
        Self {
            schedule: Schedule::new(limits),
            writes: JoinSet::new(),
        }
    }

    pub fn limits(&self) -> HistoryLimits {
        self.schedule.limits
    }

    /// Writes `versions` in order, in the background; `reply` learns how
    /// the last one went.
    pub fn record(
        &mut self,
        store: Arc<dyn Store>,
        room: RoomId,
        versions: Vec<Checkpoint>,
        reply: Option<Reply>,
        metrics: Arc<Metrics>,
    ) {
        while self.writes.try_join_next().is_some() {}
        let max = self.limits().max_versions;
        self.writes.spawn(async move {
            let mut last = Err(HistoryError::Unavailable);
            for version in &versions {
                last = match store.add_version(&room, version.as_new(), max).await {
                    Ok(Some(info)) => {
                        metrics.versions_recorded(version.kind.as_str());
                        Ok(info)
                    }
                    Ok(None) => Err(HistoryError::Refused("the version was not recorded")),
                    Err(StoreError::Limit(why)) => {
                        // The name is refused, not the checkpoint: the
                        // changes it holds are kept unnamed.
                        let mut unnamed = version.as_new();
                        (unnamed.name, unnamed.kind) = (None, VersionKind::Auto);
                        if let Err(e) = store.add_version(&room, unnamed, max).await {
                            warn!(room = %room, error = %e, "recording a version failed");
                        }
                        Err(HistoryError::Store(StoreError::Limit(why)))
                    }
                    Err(e) => {
                        metrics.versions_recorded("failed");
                        warn!(room = %room, error = %e, kind = version.kind.as_str(), "recording a version failed");
                        Err(e.into())
                    }
                };
            }
            if let Some(reply) = reply {
                let _ = reply.send(last);
            }
        });
    }

    /// Waits for every write in flight.
    pub async fn finish(&mut self) {
        while self.writes.join_next().await.is_some() {}
    }
}

impl Hub {
    /// Records the room's current text as a version, named if asked; the
    /// changes made here since the last checkpoint belong to it.
    pub async fn checkpoint(
        &self,
        id: &RoomId,
        name: Option<String>,
    ) -> Result<VersionInfo, HistoryError> {
        self.ask(id, |reply| Command::Checkpoint {
            name: name.clone(),
            reply,
        })
        .await
    }

    /// Edits the room's document into `target`'s text and language, as a
    /// change every client sees, and records that as a version (after a
    /// checkpoint of what was there, so the restore can be undone).
    pub async fn restore(&self, id: &RoomId, target: Version) -> Result<VersionInfo, HistoryError> {
        self.ask(id, |reply| Command::Restore {
            target: Box::new(target.clone()),
            reply,
        })
        .await
    }

    /// Hands the room's actor a command, opening the room when it is not
    /// live here (as a join would).
    async fn ask(
        &self,
        id: &RoomId,
        command: impl Fn(Reply) -> Command,
    ) -> Result<VersionInfo, HistoryError> {
        // An actor that was unloading, or failed to load, drops the
        // command; a fresh one then starts.
        for _ in 0..5 {
            if self
                .shared
                .closing
                .load(std::sync::atomic::Ordering::Acquire)
            {
                return Err(HistoryError::Unavailable);
            }
            let handle = self.handle(id);
            let (reply, answer) = oneshot::channel();
            if handle.tx.send(command(reply)).is_err() {
                self.shared.remove(id, handle.generation);
                continue;
            }
            if let Ok(result) = answer.await {
                return result;
            }
        }
        Err(HistoryError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HistoryLimits = HistoryLimits {
        quiet: Duration::from_secs(30),
        max_burst: Duration::from_secs(300),
        max_versions: 10,
        max_authors: 2,
        max_name_chars: 100,
    };

    #[test]
    fn nothing_is_due_until_something_changes() {
        let mut s = Schedule::new(LIMITS);
        assert_eq!(s.due(), None);
        assert!(!s.edited(0, Instant::now()));
        assert_eq!(s.due(), None);
        assert_eq!(s.take(), None);
    }

    #[test]
    fn a_burst_is_due_after_quiet_or_when_it_ran_long() {
        let t0 = Instant::now();
        let mut s = Schedule::new(LIMITS);
        assert!(s.edited(2, t0), "the first change opens a burst");
        assert!(!s.edited(1, t0 + Duration::from_secs(10)));
        assert_eq!(s.due(), Some(t0 + Duration::from_secs(40)));
        // Editing every 20 s never goes quiet; the burst ends at 300 s.
        for i in 2..20 {
            s.edited(1, t0 + Duration::from_secs(20 * i));
        }
        assert_eq!(s.due(), Some(t0 + Duration::from_secs(300)));
        s.add_authors(["Ann".to_owned(), "Bo".to_owned(), "Cy".to_owned()]);
        let burst = s.take().unwrap();
        assert_eq!(burst.changes, 21);
        assert_eq!(burst.authors, vec!["Ann".to_owned(), "Bo".to_owned()]);
        assert_eq!(s.due(), None, "a new burst starts with the next change");
        assert!(s.edited(1, t0 + Duration::from_secs(400)));
    }
}
