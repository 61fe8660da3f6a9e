//! What one connection may do in its room, and how the others see it.
//!
//! The edge decides a connection's [`Access`] (from the id it used and,
//! when tokens are on, its token) and the core keeps it per peer: a view
//! connection's changes are refused there, for both protocols. Its
//! awareness still flows, stamped by the server so the others' participant
//! lists can trust it: a view connection's states carry `"role":"view"`,
//! and a token's display name replaces the `user.name` a client chose.

use std::sync::Arc;

use serde_json::{Map, Value};
use yrs::sync::AwarenessUpdate;

use crate::domain::Role;

/// A connection's rights in its room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    /// The display name its token gave, if any.
    pub name: Option<Arc<str>>,
}

impl Access {
    /// An editor without a token: every connection when tokens are off
    /// and the edit id was used.
    pub fn editor() -> Self {
        Self {
            role: Role::Edit,
            name: None,
        }
    }

    pub fn viewer() -> Self {
        Self {
            role: Role::View,
            name: None,
        }
    }

    /// True when the server rewrites this connection's awareness states.
    fn stamps(&self) -> bool {
        self.role == Role::View || self.name.is_some()
    }

    /// The awareness update as the others should see it. States that are
    /// not JSON objects pass unchanged (the app shows no participant for
    /// them); removals (`null`) too.
    pub fn stamp(&self, mut update: AwarenessUpdate) -> AwarenessUpdate {
        if !self.stamps() {
            return update;
        }
        for entry in update.clients.values_mut() {
            if let Some(json) = self.stamp_state(&entry.json) {
                entry.json = json.into();
            }
        }
        update
    }

    fn stamp_state(&self, json: &str) -> Option<String> {
        let Ok(Value::Object(mut state)) = serde_json::from_str::<Value>(json) else {
            return None;
        };
        if self.role == Role::View {
            state.insert("role".into(), Value::from(Role::View.as_str()));
        }
        if let Some(name) = &self.name {
            let user = state
                .entry("user")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(user) = user {
                user.insert("name".into(), Value::from(name.as_ref()));
            } else {
                *user = serde_json::json!({ "name": name.as_ref() });
            }
        }
        serde_json::to_string(&state).ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;

    use yrs::sync::awareness::AwarenessUpdateEntry;

    use super::*;

    const ID: yrs::ClientID = yrs::ClientID::new(7);

    fn update(json: &str) -> AwarenessUpdate {
        AwarenessUpdate {
            clients: HashMap::from([(
                ID,
                AwarenessUpdateEntry {
                    clock: 1,
                    json: json.into(),
                },
            )]),
        }
    }

    fn state(access: &Access, json: &str) -> Value {
        let stamped = access.stamp(update(json));
        serde_json::from_str(&stamped.clients[&ID].json).unwrap()
    }

    #[test]
    fn viewers_are_marked_and_token_names_win() {
        let viewer = Access::viewer();
        let s = state(
            &viewer,
            r##"{"user":{"name":"Eve","color":"#112233"},"role":"edit"}"##,
        );
        assert_eq!(s["role"], "view");
        assert_eq!(s["user"]["name"], "Eve");

        let named = Access {
            role: Role::Edit,
            name: Some("Ada L.".into()),
        };
        let s = state(&named, r##"{"user":{"name":"Mallory","color":"#112233"}}"##);
        assert_eq!(s["user"]["name"], "Ada L.");
        assert_eq!(s["user"]["color"], "#112233");
        assert!(s.get("role").is_none());
        assert_eq!(state(&named, r#"{"user":5}"#)["user"]["name"], "Ada L.");
    }

    #[test]
    fn editors_removals_and_non_objects_pass_unchanged() {
        let plain = r#"{"user":{"name":"Bob"}}"#;
        let same = Access::editor().stamp(update(plain));
        assert_eq!(&*same.clients[&ID].json, plain);
        for json in ["null", "\"just a string\"", "[1,2]"] {
            let same = Access::viewer().stamp(update(json));
            assert_eq!(&*same.clients[&ID].json, json);
        }
    }
}
