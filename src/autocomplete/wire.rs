//! The JSON shapes of `POST /api/autocomplete`, parsed into what the engine
//! needs. The seed's fields stay (`code`, `cursorPosition`, `language` in;
//! `suggestion`, `confidence`, `description` out); `roomId` may replace
//! `code`, and `suggestions` lists the ranked alternatives.

use serde::{Deserialize, Serialize};

use super::{Completion, Completions, Kind};
use crate::domain::{Language, RoomId};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub code: Option<String>,
    /// UTF-16 code units; negative or past the end is clamped.
    pub cursor_position: i64,
    pub language: Option<String>,
    pub room_id: Option<String>,
}

/// Where the text comes from.
#[derive(Debug, PartialEq)]
pub enum Source {
    Code(String),
    /// The live document of a room; the language defaults to the room's.
    Room(RoomId),
}

#[derive(Debug, PartialEq)]
pub struct Parsed {
    pub source: Source,
    pub cursor: i64,
    pub language: Option<Language>,
}

/// A request that says something impossible; answered 422 (400 for a
/// malformed room id, as everywhere else).
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Invalid {
    #[error("send either code or roomId, not both")]
    Both,
    #[error("code (or roomId) is required")]
    Neither,
    #[error("language is required with code")]
    NoLanguage,
    #[error("{0}")]
    Language(#[from] crate::domain::InvalidLanguage),
    #[error("{0}")]
    RoomId(#[from] crate::domain::InvalidRoomId),
}

impl Request {
    pub fn parse(self) -> Result<Parsed, Invalid> {
        let language = self.language.as_deref().map(Language::parse).transpose()?;
        let source = match (self.code, self.room_id) {
            (Some(_), Some(_)) => return Err(Invalid::Both),
            (None, None) => return Err(Invalid::Neither),
            (Some(code), None) => {
                if language.is_none() {
                    return Err(Invalid::NoLanguage);
                }
                Source::Code(code)
            }
            (None, Some(id)) => Source::Room(RoomId::parse(&id)?),
        };
        Ok(Parsed {
            source,
            cursor: self.cursor_position,
            language,
        })
    }
}

/// The cursor clamped into `code`, in UTF-16 units.
pub fn clamp_cursor(code: &str, cursor: i64) -> usize {
    let len = super::utf16::len(code) as i64;
    cursor.clamp(0, len) as usize
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub text: String,
    pub label: String,
    pub kind: Kind,
    pub confidence: f64,
    pub description: String,
    pub replace_before: usize,
    pub replace_after: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The best suggestion's text, `""` when there is none.
    pub suggestion: String,
    pub confidence: f64,
    pub description: String,
    pub suggestions: Vec<Item>,
    /// UTF-16 length of the partial word before the cursor.
    pub prefix_length: usize,
}

impl From<Completions> for Response {
    fn from(c: Completions) -> Self {
        let (suggestion, confidence, description) = match c.items.first() {
            Some(best) => (best.text.clone(), best.confidence, best.description.clone()),
            None => (String::new(), 0.0, "No suggestion".to_owned()),
        };
        Self {
            suggestion,
            confidence,
            description,
            suggestions: c.items.into_iter().map(Item::from).collect(),
            prefix_length: c.prefix_len,
        }
    }
}

impl From<Completion> for Item {
    fn from(c: Completion) -> Self {
        Self {
            text: c.text,
            label: c.label,
            kind: c.kind,
            confidence: c.confidence,
            description: c.description,
            replace_before: c.replace_before,
            replace_after: c.replace_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> Result<Parsed, Invalid> {
        serde_json::from_str::<Request>(json).unwrap().parse()
    }

    #[test]
    fn code_or_room_but_not_both() {
        let code = request(r#"{"code":"x","cursorPosition":1,"language":"Python"}"#).unwrap();
        assert_eq!(code.source, Source::Code("x".into()));
        assert_eq!(code.language.unwrap().as_str(), "python");
        let room = request(r#"{"roomId":"abcdef12","cursorPosition":1}"#).unwrap();
        assert_eq!(
            room.source,
            Source::Room(RoomId::parse("abcdef12").unwrap())
        );
        assert_eq!(
            request(r#"{"code":"x","roomId":"abcdef12","cursorPosition":1,"language":"go"}"#),
            Err(Invalid::Both)
        );
        assert_eq!(
            request(r#"{"cursorPosition":1,"language":"go"}"#),
            Err(Invalid::Neither)
        );
        assert_eq!(
            request(r#"{"code":"x","cursorPosition":1}"#),
            Err(Invalid::NoLanguage)
        );
        assert!(matches!(
            request(r#"{"roomId":"../x","cursorPosition":1}"#),
            Err(Invalid::RoomId(_))
        ));
        assert!(serde_json::from_str::<Request>(r#"{"code":"x","language":"go"}"#).is_err());
    }

    #[test]
    fn cursors_are_clamped_in_utf16_units() {
        assert_eq!(clamp_cursor("a🙂b", -5), 0);
        assert_eq!(clamp_cursor("a🙂b", 99), 4);
        assert_eq!(clamp_cursor("a🙂b", 3), 3);
    }
}
