//! The actor's side of history: changes made here counted into bursts,
//! checkpoints recorded when due (and before the room unloads), the
//! current version named on request, and restores applied as a change.
//! Apart from the loop, so the two can change independently.

use tokio::time::Instant;

use super::Room;
use crate::bus::Outgoing;
use crate::room::core::{Effects, RestoreRefused};
use crate::room::history::{Burst, Checkpoint, HistoryError, Reply};
use crate::store::{Version, VersionKind};

impl Room {
    /// Counts what was made here (what is published as updates) toward
    /// the next checkpoint.
    pub(super) fn note_edits(&mut self, publish: &[Outgoing]) {
        let n = publish
            .iter()
            .filter(|m| matches!(m, Outgoing::Update { .. }))
            .count() as u64;
        if self.history.schedule.edited(n, Instant::now()) {
            self.note_authors();
        }
    }

    /// Adds who is connected now to the open burst's authors (at its
    /// start, when someone leaves, and at its end: everyone present while
    /// it lasted).
    pub(super) fn note_authors(&mut self) {
        if self.history.schedule.pending() {
            let names = self.names();
            self.history.schedule.add_authors(names);
        }
    }

    /// Who is connected now, bounded.
    fn names(&self) -> Vec<String> {
        let limits = self.history.limits();
        self.core
            .peer_names(limits.max_authors, limits.max_name_chars)
    }

    pub(super) fn on_history_timer(&mut self) {
        if self
            .history
            .schedule
            .due()
            .is_some_and(|at| at <= Instant::now())
        {
            let burst = self.take_burst();
            self.record(burst.into_iter().collect(), None);
        }
    }

    /// Records the open burst, if any, and waits for every version write:
    /// before the room unloads or the instance stops.
    pub(super) async fn finish_history(&mut self) {
        let burst = self.take_burst();
        self.record(burst.into_iter().collect(), None);
        self.history.finish().await;
    }

    /// The open burst as a checkpoint of the text now.
    fn take_burst(&mut self) -> Option<Checkpoint> {
        self.note_authors();
        let burst = self.history.schedule.take()?;
        Some(Checkpoint::new(
            VersionKind::Auto,
            burst,
            self.core.snapshot(),
        ))
    }

    fn record(&mut self, versions: Vec<Checkpoint>, reply: Option<Reply>) {
        if versions.is_empty() {
            return;
        }
        self.history.record(
            self.shared.store.clone(),
            self.id.clone(),
            versions,
            reply,
            self.shared.metrics.clone(),
        );
    }

    /// Records the current text now, with the changes since the last
    /// checkpoint.
    pub(super) fn checkpoint(&mut self, name: Option<String>, reply: Reply) {
        self.note_authors();
        let mut burst = self.history.schedule.take().unwrap_or_default();
        if burst.authors.is_empty() {
            burst.authors = self.names();
        }
        let mut version = Checkpoint::new(VersionKind::Manual, burst, self.core.snapshot());
        version.name = name;
        self.record(vec![version], Some(reply));
    }

    /// Edits the document into `target` (every client converges), then
    /// records what was there and the restore itself, in that order. What
    /// was there is recorded even without a burst here: the edits may have
    /// been made on another instance, whose own checkpoint will come after
    /// the restore (and find nothing new).
    pub(super) fn restore(&mut self, target: Version, reply: Reply) {
        let before = self.take_burst().unwrap_or_else(|| {
            let burst = Burst {
                changes: 0,
                authors: self.names(),
            };
            Checkpoint::new(VersionKind::Auto, burst, self.core.snapshot())
        });
        let mut outcome = None;
        let effects = self.guarded(None, |core| {
            match core.restore(&target.code, &target.info.language) {
                Ok(effects) => {
                    outcome = Some(Ok(()));
                    effects
                }
                Err(refused) => {
                    outcome = Some(Err(refused));
                    Effects::default()
                }
            }
        });
        self.carry_out(effects);
        // The restore is a version of its own, not the start of a burst.
        let _ = self.history.schedule.take();
        let refused = match outcome {
            Some(Ok(())) => None,
            Some(Err(RestoreRefused::TooLarge)) => {
                Some("restoring this version would make the document larger than its limit")
            }
            Some(Err(RestoreRefused::Unaddressable)) | None => {
                Some("the current document cannot be edited into this version")
            }
        };
        if let Some(why) = refused {
            self.record(vec![before], None);
            let _ = reply.send(Err(HistoryError::Refused(why)));
            return;
        }
        let burst = Burst {
            changes: 1,
            authors: self.names(),
        };
        let mut restore = Checkpoint::new(VersionKind::Restore, burst, self.core.snapshot());
        restore.restored_from = Some(target.info.id);
        self.record(vec![before, restore], Some(reply));
    }
}
