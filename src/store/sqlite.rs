//! The embedded store of the single-node default: one SQLite file
//! (`pairprog.db`, WAL mode) in the data directory, same logical shape as
//! the Postgres schema.
//!
//! rusqlite is blocking, so every call runs on the blocking pool around one
//! connection behind a `std::sync::Mutex`: a single node writes little, and
//! one connection makes each transaction trivially serialised (which is also
//! the per-room compaction lock).

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::{
    Batch, NewRoom, NewVersion, Resolved, RoomRecord, Store, StoreError, Version, VersionInfo,
    column_text, valid_language,
};
use crate::domain::{Role, RoomId};

mod history;

/// Schema versions, applied in order and recorded in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE rooms (
        id         TEXT    PRIMARY KEY,
        created_at INTEGER NOT NULL, -- Unix microseconds
        updated_at INTEGER NOT NULL,
        language   TEXT    NOT NULL,
        code       TEXT    NOT NULL
    );
    CREATE TABLE snapshots (
        room_id TEXT PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
        state   BLOB NOT NULL
    );
    CREATE TABLE updates (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        room_id TEXT    NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        data    BLOB    NOT NULL
    );
    CREATE INDEX updates_room_id_id ON updates (room_id, id);
",
    "
    -- Every room gets a view-only id; older rooms a random one.
    ALTER TABLE rooms ADD COLUMN view_id TEXT;
    UPDATE rooms SET view_id = lower(hex(randomblob(16))) WHERE view_id IS NULL;
    CREATE UNIQUE INDEX rooms_view_id ON rooms (view_id);
",
    "
    CREATE TABLE versions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        room_id       TEXT    NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        created_at    INTEGER NOT NULL, -- Unix microseconds
        kind          TEXT    NOT NULL, -- 'auto', 'manual' or 'restore'
        name          TEXT,
        authors       TEXT    NOT NULL, -- a JSON array of names
        changes       INTEGER NOT NULL,
        size          INTEGER NOT NULL, -- bytes of code
        language      TEXT    NOT NULL,
        code          BLOB    NOT NULL, -- the exact text, UTF-8
        restored_from INTEGER
    );
    CREATE INDEX versions_room_created ON versions (room_id, created_at, id);
",
];

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) `data_dir/pairprog.db` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Backend(format!("creating data dir {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join("pairprog.db");
        let mut conn = Connection::open(&path)
            .map_err(|e| StoreError::Backend(format!("opening {}: {e}", path.display())))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| conn.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|()| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| conn.busy_timeout(std::time::Duration::from_secs(5)))
            .map_err(backend("configure sqlite"))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic inside a previous call poisons the lock; the
            // connection itself is still sound (transactions roll back).
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("sqlite task failed: {e}")))?
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction().map_err(backend("begin migration"))?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(backend("read schema version"))?;
    let applied = usize::try_from(version).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)
            .map_err(backend(&format!("apply migration {}", i + 1)))?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)
        .map_err(backend("write schema version"))?;
    tx.commit().map_err(backend("commit migration"))
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_room(&self, room: NewRoom<'_>) -> Result<RoomRecord, StoreError> {
        let now = Utc::now();
        let micros = now.timestamp_micros();
        let record = RoomRecord {
            id: room.id.clone(),
            view_id: room.view_id.clone(),
            created_at: from_micros(micros),
            updated_at: from_micros(micros),
            language: room.language.as_str().to_owned(),
            code: column_text(room.code).into_owned(),
        };
        let state = room.state.to_vec();
        let r = record.clone();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(backend("begin create"))?;
            // Neither id may be taken in the other role either.
            let inserted = tx
                .execute(
                    "INSERT INTO rooms (id, view_id, created_at, updated_at, language, code)
                     SELECT ?1, ?2, ?3, ?3, ?4, ?5
                     WHERE NOT EXISTS (SELECT 1 FROM rooms WHERE view_id = ?1 OR id = ?2)",
                    params![
                        r.id.as_str(),
                        r.view_id.as_str(),
                        micros,
                        r.language,
                        r.code
                    ],
                )
                .map_err(backend("insert room"))?;
            if inserted == 0 {
                return Err(StoreError::Conflict);
            }
            tx.execute(
                "INSERT INTO snapshots (room_id, state) VALUES (?1, ?2)",
                params![r.id.as_str(), state],
            )
            .map_err(backend("insert snapshot"))?;
            tx.commit().map_err(backend("commit create"))
        })
        .await?;
        Ok(record)
    }

    async fn room(&self, id: &RoomId) -> Result<Option<RoomRecord>, StoreError> {
        let id = id.clone();
        self.with(move |conn| {
            let row = conn
                .query_row(
                    "SELECT id, view_id, created_at, updated_at, language, code
                     FROM rooms WHERE id = ?1 OR view_id = ?1",
                    [id.as_str()],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                            row.get(5)?,
                        ))
                    },
                )
                .optional()
                .map_err(backend("read room"))?;
            row.map(|(id, view_id, created, updated, language, code)| {
                Ok(RoomRecord {
                    id: parse_id(&id)?,
                    view_id: parse_id(&view_id)?,
                    created_at: from_micros(created),
                    updated_at: from_micros(updated),
                    language,
                    code,
                })
            })
            .transpose()
        })
        .await
    }

    async fn resolve(&self, id: &RoomId) -> Result<Option<Resolved>, StoreError> {
        let id = id.clone();
        self.with(move |conn| {
            let room: Option<String> = conn
                .query_row(
                    "SELECT id FROM rooms WHERE id = ?1 OR view_id = ?1",
                    [id.as_str()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(backend("resolve room id"))?;
            room.map(|raw| {
                let room = parse_id(&raw)?;
                let role = if room == id { Role::Edit } else { Role::View };
                Ok(Resolved { room, role })
            })
            .transpose()
        })
        .await
    }

    async fn load(&self, id: &RoomId) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        let id = id.clone();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(backend("begin load"))?;
            let exists = tx
                .query_row("SELECT 1 FROM rooms WHERE id = ?1", [id.as_str()], |_| {
                    Ok(())
                })
                .optional()
                .map_err(backend("read room"))?
                .is_some();
            if !exists {
                return Ok(None);
            }
            let updates = read_document(&tx, &id)?
                .into_iter()
                .map(|(_, d)| d)
                .collect();
            Ok(Some(updates))
        })
        .await
    }

    async fn append(&self, id: &RoomId, batch: Batch<'_>) -> Result<u64, StoreError> {
        let id = id.clone();
        let updates = batch.updates.to_vec();
        let code = column_text(batch.code).into_owned();
        let language = column_text(batch.language).into_owned();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(backend("begin append"))?;
            let touched = tx
                .execute(
                    "UPDATE rooms SET code = ?2, language = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id.as_str(), code, language, Utc::now().timestamp_micros()],
                )
                .map_err(backend("update room"))?;
            if touched == 0 {
                return Err(StoreError::Backend(format!("append to unknown room {id}")));
            }
            {
                let mut insert = tx
                    .prepare_cached("INSERT INTO updates (room_id, data) VALUES (?1, ?2)")
                    .map_err(backend("prepare insert"))?;
                for update in &updates {
                    insert
                        .execute(params![id.as_str(), update])
                        .map_err(backend("insert update"))?;
                }
            }
            let count: i64 = tx
                .query_row(
                    "SELECT count(*) FROM updates WHERE room_id = ?1",
                    [id.as_str()],
                    |row| row.get(0),
                )
                .map_err(backend("count updates"))?;
            tx.commit().map_err(backend("commit append"))?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
        .await
    }

    async fn compact(&self, id: &RoomId) -> Result<(), StoreError> {
        let id = id.clone();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(backend("begin compact"))?;
            let rows = read_document(&tx, &id)?;
            let Some(max_id) = rows.iter().filter_map(|(log_id, _)| *log_id).max() else {
                return Ok(()); // unknown room or nothing to merge
            };
            let merged = crate::doc::compact(rows.iter().map(|(_, d)| d.as_slice()))
                .map_err(|e| StoreError::Corrupt(format!("room {id}: {e}")))?;
            tx.execute(
                "INSERT INTO snapshots (room_id, state) VALUES (?1, ?2)
                 ON CONFLICT (room_id) DO UPDATE SET state = excluded.state",
                params![id.as_str(), merged.state],
            )
            .map_err(backend("write snapshot"))?;
            tx.execute(
                "DELETE FROM updates WHERE room_id = ?1 AND id <= ?2",
                params![id.as_str(), max_id],
            )
            .map_err(backend("trim updates"))?;
            tx.execute(
                "UPDATE rooms SET code = ?2, language = coalesce(?3, language) WHERE id = ?1",
                params![
                    id.as_str(),
                    column_text(&merged.text),
                    // An invalid language in `meta` leaves the last valid one.
                    valid_language(merged.language.as_deref())
                ],
            )
            .map_err(backend("update room text"))?;
            tx.commit().map_err(backend("commit compact"))
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(backend("ping"))
        })
        .await
    }

    async fn add_version(
        &self,
        id: &RoomId,
        version: NewVersion<'_>,
        max_versions: usize,
    ) -> Result<Option<VersionInfo>, StoreError> {
        let (id, version) = (id.clone(), history::Owned::from(version));
        self.with(move |conn| history::insert(conn, &id, &version, max_versions))
            .await
    }

    async fn versions(
        &self,
        id: &RoomId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<VersionInfo>, StoreError> {
        let id = id.clone();
        self.with(move |conn| history::list(conn, &id, before, limit))
            .await
    }

    async fn version(&self, id: &RoomId, version: i64) -> Result<Option<Version>, StoreError> {
        let id = id.clone();
        self.with(move |conn| history::read(conn, &id, version))
            .await
    }

    async fn name_version(
        &self,
        id: &RoomId,
        version: i64,
        name: Option<&str>,
        max_versions: usize,
    ) -> Result<Option<VersionInfo>, StoreError> {
        let (id, name) = (id.clone(), name.map(str::to_owned));
        self.with(move |conn| history::rename(conn, &id, version, name.as_deref(), max_versions))
            .await
    }
}

/// A stored update with its log id (`None` for the snapshot).
type Row = (Option<i64>, Vec<u8>);

/// The snapshot then the log rows in order.
fn read_document(tx: &rusqlite::Transaction<'_>, id: &RoomId) -> Result<Vec<Row>, StoreError> {
    let mut rows = Vec::new();
    let snapshot: Option<Vec<u8>> = tx
        .query_row(
            "SELECT state FROM snapshots WHERE room_id = ?1",
            [id.as_str()],
            |row| row.get(0),
        )
        .optional()
        .map_err(backend("read snapshot"))?;
    rows.extend(snapshot.map(|s| (None, s)));
    let mut stmt = tx
        .prepare_cached("SELECT id, data FROM updates WHERE room_id = ?1 ORDER BY id")
        .map_err(backend("prepare read"))?;
    let log = stmt
        .query_map([id.as_str()], |row| Ok((Some(row.get(0)?), row.get(1)?)))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(backend("read updates"))?;
    rows.extend(log);
    Ok(rows)
}

fn backend(context: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation)
            if matches!(
                &e,
                rusqlite::Error::SqliteFailure(f, _)
                    if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            ) =>
        {
            StoreError::Conflict
        }
        _ => StoreError::Backend(format!("{context}: {e}")),
    }
}

fn parse_id(raw: &str) -> Result<RoomId, StoreError> {
    RoomId::parse(raw)
        .map_err(|_| StoreError::Corrupt(format!("invalid room id in database: {raw:?}")))
}

fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::contract;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new() -> Self {
            let dir =
                std::env::temp_dir().join(format!("pairprog-sqlite-{}", uuid::Uuid::new_v4()));
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn create_get_conflict_and_reopen() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.0).unwrap();
        let id = contract::create_get_and_conflict(&store).await;
        drop(store);

        let store = SqliteStore::open(&dir.0).unwrap();
        assert_eq!(contract::loaded_text(&store, &id).await, "héllo 🙂\n");
        assert!(dir.0.join("pairprog.db").exists());
    }

    #[tokio::test]
    async fn awkward_text_round_trips() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.0).unwrap();
        contract::awkward_text_round_trips(&store).await;
    }

    #[tokio::test]
    async fn view_ids_resolve_and_never_collide() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.0).unwrap();
        contract::view_ids_resolve_and_never_collide(&store).await;
    }

    #[tokio::test]
    async fn rooms_from_before_view_ids_get_one() {
        let dir = TempDir::new();
        std::fs::create_dir_all(&dir.0).unwrap();
        {
            let conn = Connection::open(dir.0.join("pairprog.db")).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO rooms (id, created_at, updated_at, language, code)
                 VALUES ('oldroom1', 0, 0, 'python', 'x'), ('oldroom2', 0, 0, 'python', 'y')",
                [],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&dir.0).unwrap();
        let mut views = Vec::new();
        for raw in ["oldroom1", "oldroom2"] {
            let id = RoomId::parse(raw).unwrap();
            let view = store.room(&id).await.unwrap().unwrap().view_id;
            assert_eq!(view.as_str().len(), 32, "{view}");
            let resolved = store.resolve(&view).await.unwrap().unwrap();
            assert_eq!((resolved.room, resolved.role), (id, Role::View));
            views.push(view);
        }
        assert_ne!(views[0], views[1]);
    }

    #[tokio::test]
    async fn append_load_and_compact() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.0).unwrap();
        contract::append_load_and_compact(&store).await;
    }

    #[tokio::test]
    async fn append_many_is_per_room() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.0).unwrap();
        contract::append_many_is_per_room(&store).await;
    }

    #[tokio::test]
    async fn versions_round_trip() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.0).unwrap();
        contract::versions_round_trip(&store).await;
    }

    #[tokio::test]
    async fn versions_are_bounded() {
        let dir = TempDir::new();
        let store = SqliteStore::open(&dir.0).unwrap();
        contract::versions_are_bounded(&store).await;
    }
}
