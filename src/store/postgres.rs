//! The Postgres store: the truth shared by every instance when scaled out.
//!
//! Migrations from `sql/` are embedded and applied at connect time under a
//! transaction-scoped advisory lock, so replicas starting together apply
//! each one exactly once. Compaction locks the room row (`FOR UPDATE`), so
//! two instances never compact one room at once; `append` touches that row
//! first, so an append and a compaction of one room serialise as well.

use std::borrow::Cow;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls, Row};

use super::{
    Batch, NewRoom, NewVersion, Resolved, RoomRecord, Store, StoreError, Version, VersionInfo,
    column_text, valid_language,
};
use crate::domain::{Role, RoomId};

mod history;

/// Numbered migrations, applied in order and recorded in `schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../sql/0001_init.sql")),
    (2, include_str!("../../sql/0002_view_ids.sql")),
    (3, include_str!("../../sql/0003_versions.sql")),
];

/// Key of the advisory lock taken while migrating ("pairprog" in ASCII).
const MIGRATION_LOCK: i64 = 0x7061_6972_7072_6f67;

/// The columns of a [`RoomRecord`], timestamps as Unix microseconds (so no
/// chrono feature of tokio-postgres is needed).
const ROOM_COLUMNS: &str = "id, view_id, \
     (extract(epoch from created_at) * 1000000)::int8, \
     (extract(epoch from updated_at) * 1000000)::int8, \
     language, code";

pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to `url` (which must name a database) and applies the
    /// pending migrations.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("invalid database url: {e}")))?;
        Self::connect_with(config, pool_size).await
    }

    pub async fn connect_with(
        config: tokio_postgres::Config,
        pool_size: usize,
    ) -> Result<Self, StoreError> {
        if config.get_dbname().is_none_or(str::is_empty) {
            return Err(StoreError::Backend(
                "database url names no database (postgres://user@host:port/DBNAME)".into(),
            ));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let timeout = Some(std::time::Duration::from_secs(10));
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(timeout)
            .create_timeout(timeout)
            .recycle_timeout(timeout)
            .build()
            .map_err(|e| StoreError::Backend(format!("building the database pool: {e}")))?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations not yet recorded, all in one transaction
    /// holding an advisory lock: a second replica waits, then finds them
    /// applied. The lock is transaction-scoped, so a cancelled start-up
    /// cannot leave it held on a pooled connection.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(backend("begin migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(backend("migration lock"))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    int8        PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(backend("create schema_migrations"))?;
        let applied: Vec<i64> = tx
            .query("SELECT version FROM schema_migrations", &[])
            .await
            .map_err(backend("read schema_migrations"))?
            .iter()
            .map(|row| row.get(0))
            .collect();
        for (version, sql) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            tx.batch_execute(sql)
                .await
                .map_err(backend(&format!("apply migration {version:04}")))?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[version],
            )
            .await
            .map_err(backend("record migration"))?;
            tracing::info!(version, "applied database migration");
        }
        tx.commit().await.map_err(backend("commit migrations"))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Backend(format!("database connection: {e}")))
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn create_room(&self, room: NewRoom<'_>) -> Result<RoomRecord, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(backend("begin create"))?;
        let row = tx
            .query_opt(
                // Neither id may be taken in the other role either.
                &format!(
                    "INSERT INTO rooms (id, view_id, language, code)
                     SELECT $1::text, $2::text, $3::text, $4::text
                     WHERE NOT EXISTS (SELECT 1 FROM rooms WHERE view_id = $1 OR id = $2)
                     ON CONFLICT DO NOTHING RETURNING {ROOM_COLUMNS}"
                ),
                &[
                    &room.id.as_str(),
                    &room.view_id.as_str(),
                    &room.language.as_str(),
                    &column_text(room.code).as_ref(),
                ],
            )
            .await
            .map_err(backend("insert room"))?
            .ok_or(StoreError::Conflict)?;
        tx.execute(
            "INSERT INTO room_snapshots (room_id, state) VALUES ($1, $2)",
            &[&room.id.as_str(), &room.state],
        )
        .await
        .map_err(backend("insert snapshot"))?;
        tx.commit().await.map_err(backend("commit create"))?;
        record(&row)
    }

    async fn room(&self, id: &RoomId) -> Result<Option<RoomRecord>, StoreError> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE id = $1 OR view_id = $1"),
                &[&id.as_str()],
            )
            .await
            .map_err(backend("read room"))?
            .map(|row| record(&row))
            .transpose()
    }

    async fn resolve(&self, id: &RoomId) -> Result<Option<Resolved>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT id FROM rooms WHERE id = $1 OR view_id = $1",
                &[&id.as_str()],
            )
            .await
            .map_err(backend("resolve room id"))?;
        row.map(|row| {
            let room = parse_id(row.get(0))?;
            let role = if &room == id { Role::Edit } else { Role::View };
            Ok(Resolved { room, role })
        })
        .transpose()
    }

    async fn load(&self, id: &RoomId) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        let mut client = self.client().await?;
        // One snapshot for all three reads: a compaction committing in
        // between must not make us read the old snapshot and the new log.
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(backend("begin load"))?;
        let exists = tx
            .query_opt("SELECT 1 FROM rooms WHERE id = $1", &[&id.as_str()])
            .await
            .map_err(backend("read room"))?
            .is_some();
        if !exists {
            return Ok(None);
        }
        let rows = tx
            .query(
                "SELECT state FROM room_snapshots WHERE room_id = $1
                 UNION ALL
                 (SELECT data FROM room_updates WHERE room_id = $1 ORDER BY id)",
                &[&id.as_str()],
            )
            .await
            .map_err(backend("read document"))?;
        tx.commit().await.map_err(backend("end load"))?;
        Ok(Some(rows.iter().map(|row| row.get(0)).collect()))
    }

    async fn append(&self, id: &RoomId, batch: Batch<'_>) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(backend("begin append"))?;
        // The row first: it locks the room against a concurrent compaction.
        let touched = tx
            .execute(
                "UPDATE rooms SET code = $2, language = $3, updated_at = now() WHERE id = $1",
                &[
                    &id.as_str(),
                    &column_text(batch.code).as_ref(),
                    &column_text(batch.language).as_ref(),
                ],
            )
            .await
            .map_err(backend("update room"))?;
        if touched == 0 {
            return Err(StoreError::Backend(format!("append to unknown room {id}")));
        }
        if !batch.updates.is_empty() {
            tx.execute(
                "INSERT INTO room_updates (room_id, data)
                 SELECT $1, u.data FROM unnest($2::bytea[]) WITH ORDINALITY AS u(data, n)
                 ORDER BY u.n",
                &[&id.as_str(), &batch.updates],
            )
            .await
            .map_err(backend("insert updates"))?;
        }
        let count: i64 = tx
            .query_one(
                "SELECT count(*) FROM room_updates WHERE room_id = $1",
                &[&id.as_str()],
            )
            .await
            .map_err(backend("count updates"))?
            .get(0);
        tx.commit().await.map_err(backend("commit append"))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn append_many(&self, batches: &[(RoomId, Batch<'_>)]) -> Vec<Result<u64, StoreError>> {
        if batches.len() > 1
            && let Ok(results) = self.append_many_at_once(batches).await
        {
            return results;
        }
        // One at a time: one room's failure stays that room's.
        let mut results = Vec::with_capacity(batches.len());
        for (id, batch) in batches {
            results.push(self.append(id, *batch).await);
        }
        results
    }

    async fn compact(&self, id: &RoomId) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(backend("begin compact"))?;
        let locked = tx
            .query_opt(
                "SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE",
                &[&id.as_str()],
            )
            .await
            .map_err(backend("lock room"))?;
        if locked.is_none() {
            return Ok(());
        }
        let snapshot: Option<Vec<u8>> = tx
            .query_opt(
                "SELECT state FROM room_snapshots WHERE room_id = $1",
                &[&id.as_str()],
            )
            .await
            .map_err(backend("read snapshot"))?
            .map(|row| row.get(0));
        let log = tx
            .query(
                "SELECT id, data FROM room_updates WHERE room_id = $1 ORDER BY id",
                &[&id.as_str()],
            )
            .await
            .map_err(backend("read updates"))?;
        let Some(max_id) = log.last().map(|row| row.get::<_, i64>(0)) else {
            return Ok(());
        };
        let data: Vec<&[u8]> = log.iter().map(|row| row.get(1)).collect();
        let merged = crate::doc::compact(snapshot.as_deref().into_iter().chain(data))
            .map_err(|e| StoreError::Corrupt(format!("room {id}: {e}")))?;
        tx.execute(
            "INSERT INTO room_snapshots (room_id, state, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (room_id) DO UPDATE SET state = excluded.state, updated_at = now()",
            &[&id.as_str(), &merged.state],
        )
        .await
        .map_err(backend("write snapshot"))?;
        tx.execute(
            "DELETE FROM room_updates WHERE room_id = $1 AND id <= $2",
            &[&id.as_str(), &max_id],
        )
        .await
        .map_err(backend("trim updates"))?;
        // An invalid language in `meta` leaves the last valid one a flush wrote.
        let language = valid_language(merged.language.as_deref());
        tx.execute(
            "UPDATE rooms SET code = $2, language = coalesce($3, language) WHERE id = $1",
            &[
                &id.as_str(),
                &column_text(&merged.text).as_ref(),
                &language.as_deref(),
            ],
        )
        .await
        .map_err(backend("update room text"))?;
        tx.commit().await.map_err(backend("commit compact"))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map(drop)
            .map_err(backend("ping"))
    }

    async fn add_version(
        &self,
        id: &RoomId,
        version: NewVersion<'_>,
        max_versions: usize,
    ) -> Result<Option<VersionInfo>, StoreError> {
        self.insert_version(id, version, max_versions).await
    }

    async fn versions(
        &self,
        id: &RoomId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<VersionInfo>, StoreError> {
        self.list_versions(id, before, limit).await
    }

    async fn version(&self, id: &RoomId, version: i64) -> Result<Option<Version>, StoreError> {
        self.read_version(id, version).await
    }

    async fn name_version(
        &self,
        id: &RoomId,
        version: i64,
        name: Option<&str>,
        max_versions: usize,
    ) -> Result<Option<VersionInfo>, StoreError> {
        self.rename_version(id, version, name, max_versions).await
    }
}

/// Maps a database error to `Backend` with what we were doing; the text
/// is for logs, the HTTP layer answers with a generic message.
impl PostgresStore {
    /// Every batch in one transaction: rows locked in id order (so two
    /// instances' batches cannot deadlock), one statement per step for all
    /// rooms. Rooms that no longer exist get their own error.
    async fn append_many_at_once(
        &self,
        batches: &[(RoomId, Batch<'_>)],
    ) -> Result<Vec<Result<u64, StoreError>>, StoreError> {
        let ids: Vec<&str> = batches.iter().map(|(id, _)| id.as_str()).collect();
        let codes: Vec<Cow<'_, str>> = batches.iter().map(|(_, b)| column_text(b.code)).collect();
        let codes: Vec<&str> = codes.iter().map(AsRef::as_ref).collect();
        let languages: Vec<Cow<'_, str>> = batches
            .iter()
            .map(|(_, b)| column_text(b.language))
            .collect();
        let languages: Vec<&str> = languages.iter().map(AsRef::as_ref).collect();
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(backend("begin append"))?;
        let locked = tx
            .query(
                "SELECT id FROM rooms WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                &[&ids],
            )
            .await
            .map_err(backend("lock rooms"))?;
        let known: std::collections::HashSet<String> =
            locked.iter().map(|row| row.get::<_, String>(0)).collect();
        tx.execute(
            "UPDATE rooms r SET code = u.code, language = u.language, updated_at = now()
             FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, code, language)
             WHERE r.id = u.id",
            &[&ids, &codes, &languages],
        )
        .await
        .map_err(backend("update rooms"))?;
        let mut update_rooms: Vec<&str> = Vec::new();
        let mut update_data: Vec<&[u8]> = Vec::new();
        for (id, batch) in batches {
            if known.contains(id.as_str()) {
                for update in batch.updates {
                    update_rooms.push(id.as_str());
                    update_data.push(update);
                }
            }
        }
        if !update_data.is_empty() {
            tx.execute(
                "INSERT INTO room_updates (room_id, data)
                 SELECT u.room_id, u.data
                 FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS u(room_id, data, n)
                 ORDER BY u.n",
                &[&update_rooms, &update_data],
            )
            .await
            .map_err(backend("insert updates"))?;
        }
        let counts = tx
            .query(
                "SELECT room_id, count(*) FROM room_updates WHERE room_id = ANY($1) GROUP BY room_id",
                &[&ids],
            )
            .await
            .map_err(backend("count updates"))?;
        tx.commit().await.map_err(backend("commit append"))?;
        let counts: std::collections::HashMap<String, i64> = counts
            .iter()
            .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1)))
            .collect();
        Ok(batches
            .iter()
            .map(|(id, _)| {
                if known.contains(id.as_str()) {
                    Ok(counts
                        .get(id.as_str())
                        .map_or(0, |&n| u64::try_from(n).unwrap_or(0)))
                } else {
                    Err(StoreError::Backend(format!("append to unknown room {id}")))
                }
            })
            .collect())
    }
}

fn backend(context: &str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
    move |e| {
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            StoreError::Conflict
        } else {
            StoreError::Backend(format!("{context}: {e}"))
        }
    }
}

fn parse_id(raw: String) -> Result<RoomId, StoreError> {
    RoomId::parse(&raw)
        .map_err(|_| StoreError::Corrupt(format!("invalid room id in database: {raw:?}")))
}

fn record(row: &Row) -> Result<RoomRecord, StoreError> {
    Ok(RoomRecord {
        id: parse_id(row.get(0))?,
        view_id: parse_id(row.get(1))?,
        created_at: micros(row.get(2)),
        updated_at: micros(row.get(3)),
        language: row.get(4),
        code: row.get(5),
    })
}

fn micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
