//! The core's gate for view-only connections: their changes never reach
//! the document, whatever client they use.
//!
//! A y-websocket provider answers the server's sync step 1 with a step 2
//! on every connect; from a viewer it repeats only what the room sent it
//! (the stock provider with a read-only editor never makes changes), so a
//! step 2 or update that carries nothing new passes silently. One that
//! would change the document closes the connection with 4403: the browser
//! app then starts from a fresh copy (its copy had something the room does
//! not, which a viewer may not add). A JSON viewer's `code_update` is
//! answered with `error` `read_only` and its socket stays open.

use super::{Core, Effects};
use crate::domain::Role;
use crate::room::{CloseReason, Frame, PeerId, messages};
use crate::{doc, wire};

impl Core {
    pub(super) fn is_viewer(&self, peer: PeerId) -> bool {
        self.peers
            .get(&peer)
            .is_some_and(|p| p.access.role == Role::View)
    }

    /// A sync step 2 or update from a view connection.
    pub(super) fn viewer_update(
        &mut self,
        peer: PeerId,
        update: &[u8],
        now_ms: u64,
        effects: &mut Effects,
    ) {
        let shape = match wire::inspect_update(update) {
            Ok(shape) => shape,
            Err(_) => {
                self.refuse(peer, CloseReason::MALFORMED, "malformed_update", effects);
                return;
            }
        };
        if shape.blocks == 0 && shape.delete_ranges == 0 {
            return;
        }
        // Comparing deletions walks the document: as costly as an answer
        // to a sync step 1, and bounded by the same budget.
        if !self.take_sync_request(peer, now_ms) {
            self.refuse(peer, CloseReason::RATE_LIMITED, "sync_requests", effects);
            return;
        }
        match doc::carries_news(&self.doc, update) {
            Ok(false) => {}
            Ok(true) => self.refuse(peer, CloseReason::READ_ONLY, "read_only", effects),
            Err(_) => self.refuse(peer, CloseReason::MALFORMED, "malformed_update", effects),
        }
    }

    /// A view connection's `code_update`: refused, nothing changes.
    pub(super) fn viewer_code_update(peer: PeerId) -> Effects {
        let mut effects = Effects::default();
        effects.rejected.push("read_only");
        let error = messages::error(
            "read_only",
            "this is a view-only connection: code_update is refused",
        );
        effects.frames.push((peer, Frame::Text(error)));
        effects
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use yrs::sync::{Message, SyncMessage};
    use yrs::{ReadTxn, Text, Transact};

    use super::super::CoreLimits;
    use super::*;
    use crate::room::access::Access;
    use crate::room::{JsonEdit, PeerKind};

    fn core() -> Core {
        let state = doc::initial_state("# hi\n", "python");
        let limits = CoreLimits::from_settings(&crate::settings::Settings::defaults());
        Core::new(doc::from_updates([state.as_slice()]).unwrap(), limits)
    }

    fn replica(core: &Core) -> yrs::Doc {
        let copy = doc::new_doc();
        doc::apply_update(&copy, &doc::full_state(&core.doc)).unwrap();
        copy
    }

    fn typed(client: &yrs::Doc, s: &str) -> Vec<u8> {
        let text = client.get_or_insert_text(doc::CODE);
        let mut txn = client.transact_mut();
        text.insert(&mut txn, 0, s);
        txn.encode_update_v1()
    }

    fn sync(message: SyncMessage) -> Message {
        Message::Sync(message)
    }

    #[test]
    fn a_viewers_change_is_refused_with_4403_and_reaches_nobody() {
        let mut core = core();
        let (editor, _) = core.join(PeerKind::Yjs, "e".into(), 1, 0);
        let (json, _) = core.join(PeerKind::Json, "j".into(), 2, 0);
        let (viewer, _) = core.join_as(PeerKind::Yjs, Access::viewer(), "v".into(), 3, 0);
        let client = replica(&core);
        let before = core.version;

        for message in [
            sync(SyncMessage::Update(typed(&client, "evil"))),
            sync(SyncMessage::SyncStep2(typed(&client, "evil"))),
        ] {
            let (v, _) = core.join_as(PeerKind::Yjs, Access::viewer(), "v".into(), 3, 0);
            let effects = core.yjs(v, message, 0);
            let closed: Vec<_> = effects.close.iter().map(|(p, r)| (*p, r.code)).collect();
            assert_eq!(closed, vec![(v, 4403)]);
            assert!(effects.persist.is_empty() && effects.publish.is_empty());
            assert!(
                !effects
                    .frames
                    .iter()
                    .any(|(p, _)| *p == editor || *p == json)
            );
            assert_eq!(effects.rejected, vec!["read_only"]);
        }
        assert_eq!(doc::text(&core.doc), "# hi\n");
        assert_eq!(core.version, before);
        // The first viewer is still in the room; the editor still edits.
        assert!(core.is_viewer(viewer));
        let author = replica(&core);
        let effects = core.yjs(editor, sync(SyncMessage::Update(typed(&author, "ok "))), 0);
        assert_eq!(effects.persist.len(), 1);
        assert!(effects.frames.iter().any(|(p, _)| *p == viewer));
    }

    #[test]
    fn a_viewers_step_2_repeating_the_room_passes() {
        let mut core = core();
        let (editor, _) = core.join(PeerKind::Yjs, "e".into(), 1, 0);
        let author = replica(&core);
        let edit = {
            let text = author.get_or_insert_text(doc::CODE);
            let mut txn = author.transact_mut();
            text.remove_range(&mut txn, 0, 2);
            text.insert(&mut txn, 0, "##");
            txn.encode_update_v1()
        };
        core.yjs(editor, sync(SyncMessage::Update(edit)), 0);
        let (viewer, _) = core.join_as(PeerKind::Yjs, Access::viewer(), "v".into(), 2, 0);
        let watcher = replica(&core);
        let room_sv = core.doc.transact().state_vector();
        let diff = watcher.transact().encode_state_as_update_v1(&room_sv);
        for step2 in [vec![0, 0], diff, doc::full_state(&watcher)] {
            let effects = core.yjs(viewer, sync(SyncMessage::SyncStep2(step2)), 0);
            assert!(effects.close.is_empty(), "{:?}", effects.close);
            assert!(effects.persist.is_empty());
        }
        // Awareness flows, marked as a viewer's.
        let mut awareness = yrs::sync::Awareness::new(doc::new_doc());
        awareness.set_local_state_raw(r#"{"user":{"name":"V"}}"#);
        let effects = core.yjs(viewer, Message::Awareness(awareness.update().unwrap()), 0);
        let relayed = effects.frames.iter().find(|(p, _)| *p == editor);
        let Some((_, Frame::Binary(frame))) = relayed else {
            panic!("no awareness for the editor");
        };
        assert!(String::from_utf8_lossy(frame).contains(r#""role":"view""#));
    }

    #[test]
    fn a_json_viewer_gets_read_only_and_stays() {
        let mut core = core();
        let (viewer, greeting) = core.join_as(PeerKind::Json, Access::viewer(), "v".into(), 1, 0);
        let Some((_, Frame::Text(init))) = greeting.frames.first() else {
            panic!("no init");
        };
        assert!(String::from_utf8_lossy(init).contains(r#""role":"view""#));
        let effects = core.json_code(
            viewer,
            JsonEdit {
                code: "rm -rf\n".into(),
                cursor: None,
                language: crate::domain::Language::parse("rust").ok(),
                base_version: None,
                user_id: None,
            },
        );
        assert!(effects.close.is_empty() && effects.persist.is_empty());
        let Some((_, Frame::Text(error))) = effects.frames.first() else {
            panic!("no error");
        };
        assert!(String::from_utf8_lossy(error).contains("read_only"));
        assert_eq!(doc::text(&core.doc), "# hi\n");
        assert_eq!(core.snapshot().language, "python");
        // Its cursor still reaches the others.
        assert_eq!(core.json_cursor(viewer, 1, None, None).publish.len(), 1);
    }
}
