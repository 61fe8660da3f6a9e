//! Parsed domain values. Raw strings from clients become these at the edge,
//! so everything inside can trust them (parse, don't validate).

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// A room id: `^[A-Za-z0-9_-]{6,64}$`. Safe in URLs, Redis keys and SQL
/// parameters alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RoomId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("room id must be 6 to 64 characters of A-Z, a-z, 0-9, '_' or '-'")]
pub struct InvalidRoomId;

impl RoomId {
    const ALPHABET: &'static [u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    /// 10 base62 characters: about 59.5 bits of randomness.
    const GENERATED_LEN: usize = 10;
    /// View ids are longer (about 95 bits), so a generated view id can
    /// never equal a generated edit id.
    const VIEW_LEN: usize = 16;

    pub fn parse(raw: &str) -> Result<Self, InvalidRoomId> {
        let ok_len = (6..=64).contains(&raw.len());
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok_len && ok_chars {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidRoomId)
        }
    }

    pub fn generate() -> Self {
        Self::random(Self::GENERATED_LEN)
    }

    /// A room's second, view-only id: same rules, unrelated to the edit id.
    pub fn generate_view() -> Self {
        Self::random(Self::VIEW_LEN)
    }

    fn random(len: usize) -> Self {
        // `rand::rng()` is a CSPRNG seeded from the OS: ids are unguessable.
        let mut rng = rand::rng();
        let id = (0..len)
            .map(|_| Self::ALPHABET[rng.random_range(0..Self::ALPHABET.len())] as char)
            .collect();
        Self(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a connection or request may do in a room: edit, or only watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    View,
    Edit,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Edit => "edit",
        }
    }

    pub fn can_edit(self) -> bool {
        self == Self::Edit
    }
}

/// A language name as the editor knows it (`python`, `cpp`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Language(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("language must be 1 to 32 characters of a-z, 0-9, '+', '#', '-' or '_'")]
pub struct InvalidLanguage;

impl Language {
    pub const DEFAULT: &'static str = "python";

    pub fn parse(raw: &str) -> Result<Self, InvalidLanguage> {
        let lower = raw.trim().to_ascii_lowercase();
        let ok_len = (1..=32).contains(&lower.len());
        let ok_chars = lower
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+#-_".contains(&b));
        if ok_len && ok_chars {
            Ok(Self(lower))
        } else {
            Err(InvalidLanguage)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The usual file extension (for downloads); `txt` when there is none.
    pub fn extension(&self) -> &'static str {
        match self.0.as_str() {
            "python" => "py",
            "javascript" => "js",
            "typescript" => "ts",
            "rust" => "rs",
            "go" => "go",
            "java" => "java",
            "c" => "c",
            "cpp" | "c++" => "cpp",
            "csharp" | "c#" => "cs",
            "ruby" => "rb",
            "shell" | "bash" => "sh",
            "sql" => "sql",
            "html" => "html",
            "xml" => "xml",
            "markdown" => "md",
            "yaml" => "yaml",
            "json" => "json",
            "lua" => "lua",
            "haskell" => "hs",
            "kotlin" => "kt",
            "swift" => "swift",
            "php" => "php",
            "perl" => "pl",
            "r" => "r",
            _ => "txt",
        }
    }

    /// The new room's welcome comment, in the language's comment syntax.
    pub fn welcome(&self) -> String {
        let comment = match self.0.as_str() {
            "python" | "ruby" | "shell" | "bash" | "r" | "yaml" | "perl" => "#",
            "sql" | "lua" | "haskell" => "--",
            "html" | "xml" | "markdown" => {
                return "<!-- Welcome to the collaborative coding room! -->\n".into();
            }
            _ => "//",
        };
        format!("{comment} Welcome to the collaborative coding room!\n")
    }
}

impl Default for Language {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_ids_are_checked() {
        assert!(RoomId::parse("abc123").is_ok());
        assert!(RoomId::parse("a_b-C9xyz").is_ok());
        assert!(RoomId::parse("short").is_err());
        assert!(RoomId::parse(&"x".repeat(65)).is_err());
        assert!(RoomId::parse("../etc/passwd").is_err());
        assert!(RoomId::parse("abc 123").is_err());
        assert!(RoomId::parse("ünïcödé").is_err());
    }

    #[test]
    fn generated_ids_parse_and_differ() {
        let a = RoomId::generate();
        let b = RoomId::generate();
        assert!(RoomId::parse(a.as_str()).is_ok());
        assert_ne!(a, b);
        let view = RoomId::generate_view();
        assert!(RoomId::parse(view.as_str()).is_ok());
        assert_ne!(view.as_str().len(), a.as_str().len());
    }

    #[test]
    fn the_lesser_role_wins() {
        assert_eq!(Role::Edit.min(Role::View), Role::View);
        assert_eq!(Role::View.min(Role::Edit), Role::View);
        assert_eq!(Role::Edit.min(Role::Edit), Role::Edit);
        assert_eq!(
            serde_json::from_str::<Role>("\"view\"").unwrap(),
            Role::View
        );
        assert!(serde_json::from_str::<Role>("\"admin\"").is_err());
    }

    #[test]
    fn languages_are_normalised() {
        assert_eq!(Language::parse(" Python ").unwrap().as_str(), "python");
        assert_eq!(Language::parse("C++").unwrap().as_str(), "c++");
        assert!(Language::parse("").is_err());
        assert!(Language::parse("<script>").is_err());
        assert_eq!(Language::parse("Rust").unwrap().extension(), "rs");
        assert_eq!(Language::parse("brainfuck").unwrap().extension(), "txt");
        assert_eq!(
            Language::default().welcome(),
            "# Welcome to the collaborative coding room!\n"
        );
    }
}
