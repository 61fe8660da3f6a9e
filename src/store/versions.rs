//! The shape of a room's versions, as both stores keep them: the text and
//! language at a checkpoint (not CRDT state, so reading, diffing and
//! downloading a version needs no document, and compaction of the update
//! log never touches them), with who was there and how much changed.

use chrono::{DateTime, Utc};

/// Why a version was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionKind {
    /// After a burst of editing went quiet (or ran long).
    Auto,
    /// Someone asked for it (usually to name it).
    Manual,
    /// The document was restored to an earlier version.
    Restore,
}

impl VersionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Manual => "manual",
            Self::Restore => "restore",
        }
    }

    /// The stored spelling back; an unknown one reads as `Auto` (a newer
    /// release may add kinds).
    pub fn parse(raw: &str) -> Self {
        match raw {
            "manual" => Self::Manual,
            "restore" => Self::Restore,
            _ => Self::Auto,
        }
    }
}

/// A version to record.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// Set by the recorder, so versions it records in a row sort in that
    /// order whatever order their writes finish in.
    pub created_at: DateTime<Utc>,
    pub kind: VersionKind,
    pub name: Option<&'a str>,
    pub authors: &'a [String],
    /// Changes made since the previous checkpoint.
    pub changes: u64,
    pub code: &'a str,
    pub language: &'a str,
    /// For a restore: the version restored.
    pub restored_from: Option<i64>,
}

/// A version as listed (without its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// Unique across rooms; always read together with the room's id.
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub kind: VersionKind,
    pub name: Option<String>,
    pub authors: Vec<String>,
    pub changes: u64,
    /// Bytes of the text (UTF-8).
    pub size: u64,
    pub language: String,
    pub restored_from: Option<i64>,
}

/// A version with its text.
#[derive(Debug, Clone)]
pub struct Version {
    pub info: VersionInfo,
    pub code: String,
}

pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// A stored text's bytes as text; they were written from a `&str`.
pub(crate) fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
