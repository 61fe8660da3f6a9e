//! One writer per instance: the rooms' batches that are due together go
//! to the store together (one transaction for all of them, group-commit
//! style), instead of a transaction per room per flush interval.
//!
//! Rooms align their flushes on a shared tick (see
//! [`super::persister::Persister::due`]), so with many active rooms one
//! write carries them all. The queue is bounded: a room whose batch cannot
//! be queued waits (in its own write task, never in the room's loop).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::domain::RoomId;
use crate::store::{Batch, Store, StoreError};

/// Batches taken into one store call at most.
const MAX_JOBS: usize = 256;
/// Bytes of updates taken into one store call at most (a batch over it
/// still goes, alone).
const MAX_BYTES: usize = 16 * 1024 * 1024;

struct Job {
    room: RoomId,
    updates: Vec<Vec<u8>>,
    code: String,
    language: String,
    reply: oneshot::Sender<Result<u64, StoreError>>,
}

/// A handle to the instance's writer task; the task ends when the last
/// handle is dropped.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    pub fn spawn(store: Arc<dyn Store>) -> Self {
        let (tx, rx) = mpsc::channel(MAX_JOBS * 4);
        tokio::spawn(run(store, rx));
        Self { tx }
    }

    /// Appends a room's batch, with whatever else is due; the number of log
    /// rows the room now has.
    pub async fn append(
        &self,
        room: RoomId,
        updates: Vec<Vec<u8>>,
        code: String,
        language: String,
    ) -> Result<u64, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            room,
            updates,
            code,
            language,
            reply,
        };
        self.tx
            .send(job)
            .await
            .map_err(|_| StoreError::Backend("the writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the writer dropped the batch".into()))?
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut bytes = first.updates.iter().map(Vec::len).sum::<usize>();
        let mut jobs = vec![first];
        while jobs.len() < MAX_JOBS && bytes < MAX_BYTES {
            let Ok(job) = rx.try_recv() else { break };
            bytes += job.updates.iter().map(Vec::len).sum::<usize>();
            jobs.push(job);
        }
        let batches: Vec<(RoomId, Batch<'_>)> = jobs
            .iter()
            .map(|job| {
                (
                    job.room.clone(),
                    Batch {
                        updates: &job.updates,
                        code: &job.code,
                        language: &job.language,
                    },
                )
            })
            .collect();
        let mut results = store.append_many(&batches).await.into_iter();
        drop(batches);
        for job in jobs {
            let result = results
                .next()
                .unwrap_or_else(|| Err(StoreError::Backend("the store gave no result".into())));
            let _ = job.reply.send(result);
        }
    }
}
