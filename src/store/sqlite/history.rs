//! Room versions in the embedded store (table `versions`); the one
//! connection serialises writes, so the bounds hold without locks.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::backend;
use crate::domain::RoomId;
use crate::store::versions::{from_micros, utf8};
use crate::store::{NewVersion, StoreError, Version, VersionInfo, VersionKind};

const COLUMNS: &str = "id, created_at, kind, name, authors, changes, size, language, restored_from";

/// Newest first; `(created_at, id)` is the paging cursor.
const NEWEST_FIRST: &str = "ORDER BY created_at DESC, id DESC";

const TOO_MANY_NAMED: &str =
    "this room has as many named versions as it may keep; remove a name first";

/// A [`NewVersion`] the blocking pool can own.
pub(super) struct Owned {
    created_at: DateTime<Utc>,
    kind: VersionKind,
    name: Option<String>,
    authors: Vec<String>,
    changes: u64,
    code: String,
    language: String,
    restored_from: Option<i64>,
}

impl From<NewVersion<'_>> for Owned {
    fn from(v: NewVersion<'_>) -> Self {
        Self {
            created_at: v.created_at,
            kind: v.kind,
            name: v.name.map(str::to_owned),
            authors: v.authors.to_vec(),
            changes: v.changes,
            code: v.code.to_owned(),
            language: v.language.to_owned(),
            restored_from: v.restored_from,
        }
    }
}

pub(super) fn insert(
    conn: &mut Connection,
    id: &RoomId,
    v: &Owned,
    max_versions: usize,
) -> Result<Option<VersionInfo>, StoreError> {
    let tx = conn.transaction().map_err(backend("begin version"))?;
    room_exists(&tx, id)?;
    if v.kind == VersionKind::Auto {
        let same: Option<bool> = tx
            .query_row(
                &format!(
                    "SELECT code = ?2 AND language = ?3 FROM versions WHERE room_id = ?1
                     {NEWEST_FIRST} LIMIT 1"
                ),
                params![id.as_str(), v.code.as_bytes(), v.language],
                |row| row.get(0),
            )
            .optional()
            .map_err(backend("read newest version"))?;
        if same == Some(true) {
            return Ok(None);
        }
    }
    if v.name.is_some() {
        room_for_a_name(&tx, id, max_versions)?;
    }
    let authors = serde_json::to_string(&v.authors).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO versions
           (room_id, created_at, kind, name, authors, changes, size, language, code, restored_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id.as_str(),
            v.created_at.timestamp_micros(),
            v.kind.as_str(),
            v.name,
            authors,
            i64::try_from(v.changes).unwrap_or(i64::MAX),
            i64::try_from(v.code.len()).unwrap_or(i64::MAX),
            v.language,
            v.code.as_bytes(),
            v.restored_from,
        ],
    )
    .map_err(backend("insert version"))?;
    let new_id = tx.last_insert_rowid();
    tx.execute(
        &format!(
            "DELETE FROM versions WHERE id IN (
                 SELECT id FROM versions WHERE room_id = ?1 AND name IS NULL {NEWEST_FIRST}
                 LIMIT -1 OFFSET max(?2 - (SELECT count(*) FROM versions
                                           WHERE room_id = ?1 AND name IS NOT NULL), 0))"
        ),
        params![id.as_str(), i64::try_from(max_versions).unwrap_or(i64::MAX)],
    )
    .map_err(backend("prune versions"))?;
    let info = one(&tx, id, new_id)?;
    tx.commit().map_err(backend("commit version"))?;
    Ok(info)
}

pub(super) fn list(
    conn: &mut Connection,
    id: &RoomId,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<VersionInfo>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM versions WHERE room_id = ?1
               AND (?2 IS NULL OR (created_at, id) <
                    (SELECT created_at, id FROM versions WHERE room_id = ?1 AND id = ?2))
             {NEWEST_FIRST} LIMIT ?3"
        ))
        .map_err(backend("prepare list versions"))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    stmt.query_map(params![id.as_str(), before, limit], info)
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(backend("list versions"))
}

pub(super) fn read(
    conn: &mut Connection,
    id: &RoomId,
    version: i64,
) -> Result<Option<Version>, StoreError> {
    conn.query_row(
        &format!("SELECT {COLUMNS}, code FROM versions WHERE room_id = ?1 AND id = ?2"),
        params![id.as_str(), version],
        |row| {
            Ok(Version {
                info: info(row)?,
                code: utf8(row.get(9)?),
            })
        },
    )
    .optional()
    .map_err(backend("read version"))
}

pub(super) fn rename(
    conn: &mut Connection,
    id: &RoomId,
    version: i64,
    name: Option<&str>,
    max_versions: usize,
) -> Result<Option<VersionInfo>, StoreError> {
    let tx = conn.transaction().map_err(backend("begin rename"))?;
    let current: Option<Option<String>> = tx
        .query_row(
            "SELECT name FROM versions WHERE room_id = ?1 AND id = ?2",
            params![id.as_str(), version],
            |row| row.get(0),
        )
        .optional()
        .map_err(backend("read version name"))?;
    let Some(current) = current else {
        return Ok(None);
    };
    if current.is_none() && name.is_some() {
        room_for_a_name(&tx, id, max_versions)?;
    }
    tx.execute(
        "UPDATE versions SET name = ?3 WHERE room_id = ?1 AND id = ?2",
        params![id.as_str(), version, name],
    )
    .map_err(backend("rename version"))?;
    let info = one(&tx, id, version)?;
    tx.commit().map_err(backend("commit rename"))?;
    Ok(info)
}

fn room_exists(tx: &Transaction<'_>, id: &RoomId) -> Result<(), StoreError> {
    tx.query_row("SELECT 1 FROM rooms WHERE id = ?1", [id.as_str()], |_| {
        Ok(())
    })
    .optional()
    .map_err(backend("read room"))?
    .ok_or_else(|| StoreError::Backend(format!("version of unknown room {id}")))
}

/// Named versions may fill all but one of the room's places.
fn room_for_a_name(
    tx: &Transaction<'_>,
    id: &RoomId,
    max_versions: usize,
) -> Result<(), StoreError> {
    let named: i64 = tx
        .query_row(
            "SELECT count(*) FROM versions WHERE room_id = ?1 AND name IS NOT NULL",
            [id.as_str()],
            |row| row.get(0),
        )
        .map_err(backend("count named versions"))?;
    if usize::try_from(named).unwrap_or(usize::MAX) + 1 >= max_versions {
        return Err(StoreError::Limit(TOO_MANY_NAMED));
    }
    Ok(())
}

fn one(tx: &Transaction<'_>, id: &RoomId, version: i64) -> Result<Option<VersionInfo>, StoreError> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM versions WHERE room_id = ?1 AND id = ?2"),
        params![id.as_str(), version],
        info,
    )
    .optional()
    .map_err(backend("read version"))
}

fn info(row: &Row<'_>) -> rusqlite::Result<VersionInfo> {
    let kind: String = row.get(2)?;
    let authors: String = row.get(4)?;
    Ok(VersionInfo {
        id: row.get(0)?,
        created_at: from_micros(row.get(1)?),
        kind: VersionKind::parse(&kind),
        name: row.get(3)?,
        authors: serde_json::from_str(&authors).unwrap_or_default(),
        changes: u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0),
        size: u64::try_from(row.get::<_, i64>(6)?).unwrap_or(0),
        language: row.get(7)?,
        restored_from: row.get(8)?,
    })
}
