//! Room versions in Postgres (`room_versions`, see `sql/0002_versions.sql`).
//!
//! Writes lock the room row first (`FOR UPDATE`), like compaction: two
//! instances recording versions of one room at once serialise, so the
//! bound on versions and on named ones holds.

use tokio_postgres::{Row, Transaction};

use super::{PostgresStore, backend};
use crate::domain::RoomId;
use crate::store::versions::{from_micros, utf8};
use crate::store::{NewVersion, StoreError, Version, VersionInfo, VersionKind};

const COLUMNS: &str = "id, (extract(epoch from created_at) * 1000000)::int8, kind, name, \
     authors, changes, size, language, restored_from";

const TOO_MANY_NAMED: &str =
    "this room has as many named versions as it may keep; remove a name first";

impl PostgresStore {
    pub(super) async fn insert_version(
        &self,
        id: &RoomId,
        v: NewVersion<'_>,
        max_versions: usize,
    ) -> Result<Option<VersionInfo>, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(backend("begin version"))?;
        lock_room(&tx, id).await?;
        if v.kind == VersionKind::Auto {
            let same: Option<bool> = tx
                .query_opt(
                    "SELECT code = $2 AND language = $3 FROM room_versions WHERE room_id = $1
                     ORDER BY created_at DESC, id DESC LIMIT 1",
                    &[&id.as_str(), &v.code.as_bytes(), &v.language],
                )
                .await
                .map_err(backend("read newest version"))?
                .map(|row| row.get(0));
            if same == Some(true) {
                return Ok(None);
            }
        }
        if v.name.is_some() {
            room_for_a_name(&tx, id, max_versions).await?;
        }
        let micros = v.created_at.timestamp_micros();
        let changes = i64::try_from(v.changes).unwrap_or(i64::MAX);
        let size = i64::try_from(v.code.len()).unwrap_or(i64::MAX);
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO room_versions
                       (room_id, created_at, kind, name, authors, changes, size, language, code,
                        restored_from)
                     VALUES ($1, timestamptz 'epoch' + $2::int8 * interval '1 microsecond',
                             $3, $4, $5, $6, $7, $8, $9, $10)
                     RETURNING {COLUMNS}"
                ),
                &[
                    &id.as_str(),
                    &micros,
                    &v.kind.as_str(),
                    &v.name,
                    &v.authors,
                    &changes,
                    &size,
                    &v.language,
                    &v.code.as_bytes(),
                    &v.restored_from,
                ],
            )
            .await
            .map_err(backend("insert version"))?;
        let max = i64::try_from(max_versions).unwrap_or(i64::MAX);
        tx.execute(
            "DELETE FROM room_versions WHERE id IN (
                 SELECT id FROM room_versions WHERE room_id = $1 AND name IS NULL
                 ORDER BY created_at DESC, id DESC
                 OFFSET greatest($2::int8 - (SELECT count(*) FROM room_versions
                                             WHERE room_id = $1 AND name IS NOT NULL), 0))",
            &[&id.as_str(), &max],
        )
        .await
        .map_err(backend("prune versions"))?;
        tx.commit().await.map_err(backend("commit version"))?;
        Ok(Some(info(&row)))
    }

    pub(super) async fn list_versions(
        &self,
        id: &RoomId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<VersionInfo>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM room_versions WHERE room_id = $1
                       AND ($2::int8 IS NULL OR (created_at, id) <
                            (SELECT created_at, id FROM room_versions
                             WHERE room_id = $1 AND id = $2))
                     ORDER BY created_at DESC, id DESC LIMIT $3"
                ),
                &[&id.as_str(), &before, &limit],
            )
            .await
            .map_err(backend("list versions"))?;
        Ok(rows.iter().map(info).collect())
    }

    pub(super) async fn read_version(
        &self,
        id: &RoomId,
        version: i64,
    ) -> Result<Option<Version>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {COLUMNS}, code FROM room_versions WHERE room_id = $1 AND id = $2"
                ),
                &[&id.as_str(), &version],
            )
            .await
            .map_err(backend("read version"))?;
        Ok(row.map(|row| Version {
            info: info(&row),
            code: utf8(row.get(9)),
        }))
    }

    pub(super) async fn rename_version(
        &self,
        id: &RoomId,
        version: i64,
        name: Option<&str>,
        max_versions: usize,
    ) -> Result<Option<VersionInfo>, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(backend("begin rename"))?;
        lock_room(&tx, id).await?;
        let current: Option<Option<String>> = tx
            .query_opt(
                "SELECT name FROM room_versions WHERE room_id = $1 AND id = $2",
                &[&id.as_str(), &version],
            )
            .await
            .map_err(backend("read version name"))?
            .map(|row| row.get(0));
        let Some(current) = current else {
            return Ok(None);
        };
        if current.is_none() && name.is_some() {
            room_for_a_name(&tx, id, max_versions).await?;
        }
        let row = tx
            .query_one(
                &format!(
                    "UPDATE room_versions SET name = $3 WHERE room_id = $1 AND id = $2
                     RETURNING {COLUMNS}"
                ),
                &[&id.as_str(), &version, &name],
            )
            .await
            .map_err(backend("rename version"))?;
        tx.commit().await.map_err(backend("commit rename"))?;
        Ok(Some(info(&row)))
    }
}

async fn lock_room(tx: &Transaction<'_>, id: &RoomId) -> Result<(), StoreError> {
    tx.query_opt(
        "SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE",
        &[&id.as_str()],
    )
    .await
    .map_err(backend("lock room"))?
    .map(drop)
    .ok_or_else(|| StoreError::Backend(format!("version of unknown room {id}")))
}

/// Named versions may fill all but one of the room's places.
async fn room_for_a_name(
    tx: &Transaction<'_>,
    id: &RoomId,
    max_versions: usize,
) -> Result<(), StoreError> {
    let named: i64 = tx
        .query_one(
            "SELECT count(*) FROM room_versions WHERE room_id = $1 AND name IS NOT NULL",
            &[&id.as_str()],
        )
        .await
        .map_err(backend("count named versions"))?
        .get(0);
    if usize::try_from(named).unwrap_or(usize::MAX) + 1 >= max_versions {
        return Err(StoreError::Limit(TOO_MANY_NAMED));
    }
    Ok(())
}

fn info(row: &Row) -> VersionInfo {
    let kind: String = row.get(2);
    VersionInfo {
        id: row.get(0),
        created_at: from_micros(row.get(1)),
        kind: VersionKind::parse(&kind),
        name: row.get(3),
        authors: row.get(4),
        changes: u64::try_from(row.get::<_, i64>(5)).unwrap_or(0),
        size: u64::try_from(row.get::<_, i64>(6)).unwrap_or(0),
        language: row.get(7),
        restored_from: row.get(8),
    }
}
