//! Entry points for the fuzz targets in `fuzz/` (each target is a
//! one-line call), driving the real decoding and merge code the way a
//! room does. Not an API: hidden, and free to change with the targets.
//!
//! Each entry asserts what the server relies on, so a violation is a
//! crash the fuzzer reports: what the room sends back (a SyncStep2, an
//! effective update, an awareness dump) passes the same walk its input
//! did, a follower that applies the relayed updates converges, and a JSON
//! client's edit always applies to the room.

pub mod seeds;
#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use yrs::sync::Message;
use yrs::{Doc, Text, Transact};

use crate::bus::Outgoing;
use crate::doc;
use crate::domain::Language;
use crate::http::{JsonIncoming, parse_json};
use crate::room::json_sync::JsonShadow;
use crate::room::{Access, Core, CoreLimits, Effects, Frame, PeerKind};
use crate::wire;

/// The client id that wrote the fuzzed rooms' first state; the seeds'
/// edits refer to its items.
pub const BASE_CLIENT: u64 = 1;

const WELCOME: &str = "# Welcome to the collaborative coding room!\n";

fn max_messages() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| crate::Settings::defaults().limits.max_msgs_per_frame)
}

/// A room's first state, always the same bytes.
pub fn base_state() -> &'static [u8] {
    static STATE: OnceLock<Vec<u8>> = OnceLock::new();
    STATE.get_or_init(|| doc::initial_state_by(BASE_CLIENT, WELCOME, "python"))
}

/// A room's document as loaded from the store.
pub fn room_doc() -> Doc {
    let doc = doc::new_doc();
    doc::apply_update(&doc, base_state()).expect("the base state applies");
    doc
}

/// One `/yjs` frame into a room: decoded as the edge does, then each
/// message handed to the room's own core, with a second connection
/// watching. Nothing may panic, what the room sends must pass the walk,
/// and what it stores and sends must load.
pub fn yjs_frame(data: &[u8]) {
    let Ok(messages) = wire::decode_frame(data, max_messages()) else {
        return;
    };
    let limits = CoreLimits::from_settings(&crate::Settings::defaults());
    let mut core = Core::new(room_doc(), limits);
    let (sender, _) = core.join_as(PeerKind::Yjs, Access::editor(), "a".into(), 1, 0);
    let (watcher, _) = core.join_as(PeerKind::Yjs, Access::editor(), "b".into(), 2, 0);
    let mut stored: Vec<Vec<u8>> = vec![base_state().to_vec()];
    for message in messages {
        let effects = core.yjs(sender, message, 0);
        assert_frames_sendable(&effects);
        stored.extend(effects.persist.iter().map(|u| u.to_vec()));
        if effects.close.iter().any(|(peer, _)| *peer == sender) {
            break;
        }
    }
    // Hand-made updates can leave copies that differ (README, known
    // limits), so only that each copy loads is asserted, not that they
    // agree; the seeds and the unit tests pin the cases that must agree.
    if let Err(e) = doc::from_updates(stored.iter().map(Vec::as_slice)) {
        panic!("what the room stored does not load: {e}");
    }
    let state = core.full_state();
    if let Err(e) = wire::inspect_update(&state) {
        panic!("the room's own state is refused: {e}");
    }
    if let Err(e) = doc::compact([base_state(), state.as_slice()]) {
        panic!("the room's state does not compact: {e}");
    }
    // The watcher's greeting applies to a fresh client.
    let fresh = room_doc();
    if let Err(e) = doc::apply_update(&fresh, &state) {
        panic!("the room's state does not apply to a client: {e}");
    }
    let _ = core.leave(watcher);
}

/// Awareness frames into a room's own core from one connection, relayed
/// to a second instance's core as the bus does; then the connection
/// leaves. What either sends must pass the walk, and no state of the
/// connection may outlive it on the other instance.
pub fn awareness(data: &[u8]) {
    let Ok(messages) = wire::decode_frame(data, max_messages()) else {
        return;
    };
    let limits = CoreLimits::from_settings(&crate::Settings::defaults());
    let mut room = Core::new(room_doc(), limits);
    let mut remote = Core::new(room_doc(), limits);
    let (sender, _) = room.join_as(PeerKind::Yjs, Access::editor(), "a".into(), 1, 0);
    let (_watcher, _) = remote.join_as(PeerKind::Yjs, Access::editor(), "b".into(), 1, 0);
    let carry = |effects: Effects, remote: &mut Core| {
        assert_frames_sendable(&effects);
        for message in &effects.publish {
            if let Outgoing::Awareness(frame) = message {
                assert_frames_sendable(&remote.remote_awareness(frame, 0));
            }
        }
    };
    for message in messages {
        let effects = room.yjs(sender, message, 0);
        let closed = effects.close.iter().any(|(peer, _)| *peer == sender);
        carry(effects, &mut remote);
        if closed {
            break;
        }
    }
    carry(room.leave(sender), &mut remote);
    // A newcomer on the other instance is greeted with every live state.
    let (_, greeting) = remote.join_as(PeerKind::Yjs, Access::editor(), "c".into(), 2, 0);
    for (_, frame) in &greeting.frames {
        let Frame::Binary(frame) = frame else {
            continue;
        };
        let Ok(messages) = wire::decode_frame(frame, max_messages()) else {
            panic!("the greeting does not decode");
        };
        for message in messages {
            if let Message::Awareness(update) = message {
                let live = update
                    .clients
                    .values()
                    .filter(|e| &*e.json != "null")
                    .count();
                assert_eq!(
                    live, 0,
                    "a state outlives its connection on the other instance"
                );
            }
        }
    }
}

/// Every frame the room sends passes the walk its clients' frames pass.
fn assert_frames_sendable(effects: &Effects) {
    for (_, frame) in &effects.frames {
        if let Frame::Binary(frame) = frame
            && let Err(e) = wire::decode_frame(frame, max_messages())
        {
            panic!("the room sends a frame its own edge refuses: {e}");
        }
    }
}

/// Two JSON clients and a Yjs editor in one room, as the room's actor
/// runs them.
struct JsonRoom {
    main: Doc,
    version: u64,
    shadows: [JsonShadow; 2],
    /// Nobody else edited since the client's fork: its edit must land
    /// exactly.
    alone: [bool; 2],
}

impl JsonRoom {
    fn new() -> Self {
        let main = room_doc();
        let shadows = [
            JsonShadow::fork(&main, 0, shadow_limits()),
            JsonShadow::fork(&main, 0, shadow_limits()),
        ];
        Self {
            main,
            version: 0,
            shadows,
            alone: [true; 2],
        }
    }

    /// A change to the room by `origin` (or a Yjs client): relayed to
    /// the other JSON clients' shadows.
    fn broadcast(&mut self, effective: Vec<u8>, origin: Option<usize>) {
        self.version += 1;
        let text: Arc<str> = doc::text(&self.main).into();
        let update = Bytes::from(effective);
        for (who, shadow) in self.shadows.iter_mut().enumerate() {
            if Some(who) != origin {
                shadow.push(text.clone(), update.clone(), self.version);
                self.alone[who] = false;
            }
        }
    }

    fn code_update(&mut self, who: usize, code: &str, base: Option<u64>, language: Option<&str>) {
        if let Some(language) = language.and_then(|l| Language::parse(l).ok()) {
            let update = doc::set_language(&self.main, language.as_str());
            self.broadcast(update, Some(who));
        }
        match self.shadows[who].edit_to(code, base) {
            Ok(Some(update)) => match doc::apply_update(&self.main, &update) {
                Ok(Some(effective)) => self.broadcast(effective, Some(who)),
                Ok(None) => {}
                Err(e) => panic!("a JSON client's edit does not apply: {e}"),
            },
            Ok(None) => {}
            Err(_) => assert!(!self.alone[who], "an edit refused with nobody else editing"),
        }
        let merged = doc::text(&self.main);
        if self.alone[who] {
            assert_eq!(
                merged, code,
                "an edit with nobody else editing lands exactly"
            );
        }
        if merged != code {
            self.shadows[who].push_main(&self.main, merged.into(), self.version);
            self.alone[who] = false;
        }
    }

    /// A Yjs client inserts or deletes at a character boundary.
    fn yjs_edit(&mut self, payload: &[u8]) {
        let [at, len, rest @ ..] = payload else {
            return;
        };
        let current = doc::text(&self.main);
        let chars = current.chars().count();
        let start = usize::from(*at) % (chars + 1);
        let utf16 = |n: usize| current.chars().take(n).map(char::len_utf16).sum::<usize>() as u32;
        let code = self.main.get_or_insert_text(doc::CODE);
        let update = {
            let mut txn = self.main.transact_mut();
            if rest.is_empty() {
                let end = (start + usize::from(*len)).min(chars);
                if end > start {
                    code.remove_range(&mut txn, utf16(start), utf16(end) - utf16(start));
                }
            } else {
                code.insert(&mut txn, utf16(start), &String::from_utf8_lossy(rest));
            }
            txn.encode_update_v1()
        };
        self.broadcast(update, None);
    }
}

/// A script of steps separated by 0xff (never in UTF-8): a selector
/// byte, then its payload. 0/1: a JSON message from client A/B; 2/3: a
/// bare text A/B sends as its code; 4: a Yjs client's edit.
pub fn json_merge(data: &[u8]) {
    let mut room = JsonRoom::new();
    for step in data.split(|b| *b == 0xff).take(64) {
        let [selector, payload @ ..] = step else {
            continue;
        };
        let op = selector % 5;
        let who = usize::from(op & 1);
        match op {
            0 | 1 => {
                let Ok(text) = std::str::from_utf8(payload) else {
                    continue;
                };
                if let Ok(JsonIncoming::CodeUpdate {
                    code,
                    language,
                    base_version,
                    ..
                }) = parse_json(text)
                {
                    room.code_update(who, &code, base_version, language.as_deref());
                }
            }
            2 | 3 => {
                let code = String::from_utf8_lossy(payload);
                room.code_update(who, &code, None, None);
            }
            _ => room.yjs_edit(payload),
        }
    }
}

/// The shadow bounds of the default settings.
fn shadow_limits() -> crate::room::json_sync::ShadowLimits {
    let limits = crate::Settings::defaults().limits;
    crate::room::json_sync::ShadowLimits {
        max_bytes: limits.json_shadow_bytes,
        merge_budget: limits.merge_budget,
    }
}
