//! What history needs of the core: who is connected (for a version's
//! authors) and a restore, which edits the live text into an earlier one
//! through the CRDT, so every client converges without a reload.

use std::collections::BTreeSet;

use bytes::Bytes;
use dissimilar::Chunk;
use yrs::{Map, Text, Transact};

use super::{Core, Effects};
use crate::bus::Outgoing;
use crate::doc;
use crate::domain::Role;
use crate::room::{PeerKind, diff};

/// Why a restore was not applied (nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreRefused {
    /// The document would pass its size limit.
    TooLarge,
    /// The live text cannot be edited by position (a lone surrogate some
    /// client wrote).
    Unaddressable,
}

impl Core {
    /// The names of the people connected who may edit: awareness
    /// `user.name`s and the JSON clients' ids, at most `max`, each without
    /// control characters (a NUL could not be stored) and cut to
    /// `max_chars`.
    pub fn peer_names(&self, max: usize, max_chars: usize) -> Vec<String> {
        let json = self
            .peers
            .values()
            .filter(|p| p.kind == PeerKind::Json && p.access.role == Role::Edit)
            .map(|p| p.user_id.clone());
        let mut names = BTreeSet::new();
        for name in self.awareness.names().chain(json) {
            if names.len() >= max {
                break;
            }
            let name: String = name
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(max_chars)
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
        names.into_iter().collect()
    }

    /// Edits the document into `code` and `language` as a change made
    /// here: sent to every local client, published, persisted. Only what
    /// differs is touched (a budgeted diff), so cursors elsewhere stay put.
    pub fn restore(&mut self, code: &str, language: &str) -> Result<Effects, RestoreRefused> {
        let mut effects = Effects::default();
        let current = doc::text(&self.doc);
        let chunks = diff::text(&current, code, self.limits.shadow.merge_budget);
        // What the update adds to the state: the inserted text plus item
        // overhead per chunk (an upper estimate).
        let growth: usize = chunks
            .iter()
            .map(|c| match c {
                Chunk::Insert(s) => s.len() + 32,
                Chunk::Delete(_) => 32,
                Chunk::Equal(_) => 0,
            })
            .sum::<usize>()
            + language.len();
        if code.len() > self.limits.max_doc_bytes || !self.admit(growth) {
            return Err(RestoreRefused::TooLarge);
        }
        let text = self.doc.get_or_insert_text(doc::CODE);
        let meta = self.doc.get_or_insert_map(doc::META);
        let update = {
            let mut txn = self.doc.transact_mut();
            if text.len(&txn) as usize != doc::utf16_len(&current) {
                return Err(RestoreRefused::Unaddressable);
            }
            let mut at = 0u32;
            for chunk in &chunks {
                match chunk {
                    Chunk::Equal(s) => at += doc::utf16_len(s) as u32,
                    Chunk::Delete(s) => text.remove_range(&mut txn, at, doc::utf16_len(s) as u32),
                    Chunk::Insert(s) => {
                        text.insert(&mut txn, at, s);
                        at += doc::utf16_len(s) as u32;
                    }
                }
            }
            if language != self.language {
                meta.insert(&mut txn, doc::LANGUAGE, language);
            }
            if !txn.has_changes() {
                return Ok(effects);
            }
            txn.encode_update_v1()
        };
        let published = Bytes::from(update.clone());
        self.broadcast(update, None, None, &mut effects);
        effects.publish.push(Outgoing::Update {
            update: published,
            author: None,
        });
        Ok(effects)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use yrs::sync::awareness::AwarenessUpdateEntry;
    use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
    use yrs::updates::decoder::Decode;
    use yrs::{ClientID, Doc};

    use super::*;
    use crate::room::Frame;
    use crate::room::awareness::AwarenessLimits;
    use crate::room::core::CoreLimits;
    use crate::room::json_sync::ShadowLimits;

    const KIB: usize = 1024;

    fn core() -> Core {
        let limits = CoreLimits {
            max_doc_bytes: 16 * KIB,
            max_pending_bytes: 2 * KIB,
            sync_requests_per_min: 3,
            awareness: AwarenessLimits {
                ids_per_conn: 2,
                state_bytes: 4 * KIB,
                remote_ids: 8,
                ttl_ms: 30_000,
            },
            shadow: ShadowLimits {
                max_bytes: 64 * KIB,
                merge_budget: 4_000_000,
            },
        };
        let state = doc::initial_state("# hi\n", "python");
        Core::new(doc::from_updates([state.as_slice()]).unwrap(), limits)
    }

    fn client_of(core: &Core) -> Doc {
        let client = doc::new_doc();
        doc::apply_update(&client, &doc::full_state(&core.doc)).unwrap();
        client
    }

    fn typed(client: &Doc, at: u32, s: &str) -> Message {
        let text = client.get_or_insert_text(doc::CODE);
        let mut txn = client.transact_mut();
        text.insert(&mut txn, at, s);
        Message::Sync(SyncMessage::Update(txn.encode_update_v1()))
    }

    fn awareness(id: u64, json: &str) -> Message {
        let entry = AwarenessUpdateEntry {
            clock: 1,
            json: Arc::from(json),
        };
        let clients = HashMap::from([(ClientID::new(id), entry)]);
        Message::Awareness(AwarenessUpdate { clients })
    }

    #[test]
    fn a_restore_reaches_every_client_and_the_bus() {
        let mut core = core();
        let (y, _) = core.join(PeerKind::Yjs, "y".into(), 1, 0);
        let (j, _) = core.join(PeerKind::Json, "jay".into(), 2, 0);
        let yjs = client_of(&core);
        let e = core.yjs(y, typed(&yjs, 5, "x = 1 🙂\n"), 0);
        assert!(e.close.is_empty());

        let e = core.restore("# hi\nprint('old')\n", "rust").unwrap();
        assert_eq!(core.snapshot().code, "# hi\nprint('old')\n");
        assert_eq!(core.snapshot().language, "rust");
        assert!(matches!(e.publish.as_slice(), [Outgoing::Update { .. }]));
        assert_eq!(e.persist.len(), 1);
        // The Yjs client converges by applying the update it is sent.
        let Some((_, Frame::Binary(frame))) = e.frames.iter().find(|(p, _)| *p == y) else {
            panic!("no frame for the Yjs client");
        };
        let Ok(Message::Sync(SyncMessage::Update(u))) = Message::decode_v1(frame) else {
            panic!("not an update");
        };
        doc::apply_update(&yjs, &u).unwrap();
        assert_eq!(doc::text(&yjs), "# hi\nprint('old')\n");
        // The JSON client is sent the text.
        let Some((_, Frame::Text(json))) = e.frames.iter().find(|(p, _)| *p == j) else {
            panic!("no frame for the JSON client");
        };
        let message: serde_json::Value = serde_json::from_slice(json).unwrap();
        assert_eq!(message["code"], "# hi\nprint('old')\n");
        assert_eq!(message["language"], "rust");

        // Restoring what is there changes nothing and sends nothing.
        let e = core.restore("# hi\nprint('old')\n", "rust").unwrap();
        assert!(e.frames.is_empty() && e.publish.is_empty() && e.persist.is_empty());
    }

    #[test]
    fn a_restore_past_the_size_limit_changes_nothing() {
        let mut core = core();
        let big = "x".repeat(20 * KIB);
        assert_eq!(
            core.restore(&big, "python").err(),
            Some(RestoreRefused::TooLarge)
        );
        assert_eq!(core.snapshot().code, "# hi\n");
    }

    #[test]
    fn peer_names_come_from_awareness_and_json_ids_bounded() {
        let mut core = core();
        let (y, _) = core.join(PeerKind::Yjs, "y".into(), 1, 0);
        core.join(PeerKind::Json, "json-id".into(), 2, 0);
        let state = format!(
            r##"{{"user":{{"name":"  \u0000{}  ","color":"#fff"}}}}"##,
            "Ann🙂".repeat(30)
        );
        let e = core.yjs(y, awareness(7, &state), 0);
        assert!(e.close.is_empty());
        // Viewers are there, but are not authors.
        let viewer = crate::room::Access::viewer();
        let (v, _) = core.join_as(PeerKind::Yjs, viewer.clone(), "v".into(), 3, 0);
        core.join_as(PeerKind::Json, viewer, "json-viewer".into(), 4, 0);
        let e = core.yjs(v, awareness(8, r#"{"user":{"name":"Vic"}}"#), 0);
        assert!(e.close.is_empty());
        assert_eq!(
            core.peer_names(10, 10),
            vec!["Ann🙂Ann🙂An".to_owned(), "json-id".to_owned()]
        );
        assert_eq!(core.peer_names(1, 100).len(), 1);
    }
}
