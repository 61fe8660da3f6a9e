//! A y-websocket peer (sans-IO): a `yrs::Doc` whose text `code` we type
//! into, the sync handshake, and the strings carried by remote updates
//! (where receivers look for new markers).
//!
//! The strings are read straight from each update's encoding rather than
//! from a text observer: `TextEvent::delta` walks the whole text from its
//! start on every event, which made the load generator, not the server, the
//! bottleneck in a 100-person room.

use yrs::block::{BLOCK_GC_REF_NUMBER, BLOCK_SKIP_REF_NUMBER, ItemContent};
use yrs::encoding::read::Read;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::{Decode, Decoder, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    Assoc, Doc, GetString, IndexedSequence, OffsetKind, Options, ReadTxn, StickyIndex, Text,
    TextRef, Transact, Update,
};

/// Item flags of the update encoding (yrs `block::HAS_*`).
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;

/// Calls `f` with every string inserted by a v1-encoded update (all text
/// items it carries, whether or not we knew them already).
pub fn update_strings(
    update: &[u8],
    mut f: impl FnMut(&str),
) -> Result<(), yrs::encoding::read::Error> {
    let mut d = DecoderV1::from(update);
    let clients: u32 = d.read_var()?;
    for _ in 0..clients {
        let blocks: u32 = d.read_var()?;
        let _client = d.read_client()?;
        let _clock: u32 = d.read_var()?;
        for _ in 0..blocks {
            match d.read_info()? {
                BLOCK_SKIP_REF_NUMBER => {
                    let _: u32 = d.read_var()?;
                }
                BLOCK_GC_REF_NUMBER => {
                    let _ = d.read_len()?;
                }
                info => {
                    let cant_copy_parent_info = info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0;
                    if info & HAS_ORIGIN != 0 {
                        d.read_left_id()?;
                    }
                    if info & HAS_RIGHT_ORIGIN != 0 {
                        d.read_right_id()?;
                    }
                    if cant_copy_parent_info {
                        if d.read_parent_info()? {
                            d.read_string()?;
                        } else {
                            d.read_left_id()?;
                        }
                        if info & HAS_PARENT_SUB != 0 {
                            d.read_string()?;
                        }
                    }
                    if let ItemContent::String(s) = ItemContent::decode(&mut d, info)? {
                        f(s.as_str());
                    }
                }
            }
        }
    }
    Ok(())
}

use crate::typist::Edit;

#[derive(Debug)]
pub enum PeerError {
    /// An undecodable y-websocket message or update.
    Decode(String),
    /// An update yrs refused to apply.
    Apply(String),
}

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerError::Decode(e) => write!(f, "undecodable y-websocket message: {e}"),
            PeerError::Apply(e) => write!(f, "update could not be applied: {e}"),
        }
    }
}

impl std::error::Error for PeerError {}

pub struct YjsPeer {
    doc: Doc,
    text: TextRef,
    /// Strings carried by remote updates since the last `take_inserted`,
    /// separated by NUL (which never occurs in a marker).
    inserted: String,
    cursor: Option<StickyIndex>,
    synced: bool,
    awareness_clock: u32,
}

impl Default for YjsPeer {
    fn default() -> Self {
        Self::new()
    }
}

impl YjsPeer {
    pub fn new() -> Self {
        let doc = Doc::with_options(Options {
            offset_kind: OffsetKind::Utf16,
            ..Options::default()
        });
        let text = doc.get_or_insert_text("code");
        Self {
            doc,
            text,
            inserted: String::new(),
            cursor: None,
            synced: false,
            awareness_clock: 0,
        }
    }

    /// The first frame to send: sync step 1 with our state vector.
    pub fn hello(&self) -> Vec<u8> {
        let sv = self.doc.transact().state_vector();
        Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1()
    }

    /// True once the server's step 2 (its whole state) has been applied.
    pub fn synced(&self) -> bool {
        self.synced
    }

    /// Handles one binary frame from the server; pushes reply frames.
    pub fn handle(&mut self, frame: &[u8], replies: &mut Vec<Vec<u8>>) -> Result<(), PeerError> {
        let msg = Message::decode_v1(frame).map_err(|e| PeerError::Decode(e.to_string()))?;
        match msg {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let update = self.doc.transact().encode_state_as_update_v1(&sv);
                replies.push(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1());
            }
            Message::Sync(SyncMessage::SyncStep2(u)) => {
                self.apply(&u)?;
                self.synced = true;
            }
            Message::Sync(SyncMessage::Update(u)) => self.apply(&u)?,
            // Awareness, queries and custom messages do not concern us.
            _ => {}
        }
        Ok(())
    }

    fn apply(&mut self, update: &[u8]) -> Result<(), PeerError> {
        let buf = &mut self.inserted;
        update_strings(update, |s| {
            buf.push_str(s);
            buf.push('\0');
        })
        .map_err(|e| PeerError::Decode(e.to_string()))?;
        let update = Update::decode_v1(update).map_err(|e| PeerError::Decode(e.to_string()))?;
        self.doc
            .transact_mut()
            .apply_update(update)
            .map_err(|e| PeerError::Apply(e.to_string()))
    }

    /// Runs `f` over the text remote updates inserted since the last call.
    pub fn take_inserted(&mut self, f: impl FnOnce(&str)) {
        f(&self.inserted);
        self.inserted.clear();
    }

    /// Types `edit` at our cursor and returns the update frame to send.
    pub fn type_edit(&mut self, edit: &Edit) -> Vec<u8> {
        let mut txn = self.doc.transact_mut();
        let len = self.text.len(&txn);
        let mut at = self
            .cursor
            .as_ref()
            .and_then(|c| c.get_offset(&txn))
            .map(|o| o.index)
            .unwrap_or(len)
            .min(len);
        if edit.backspace && at > 0 {
            at -= 1;
            self.text.remove_range(&mut txn, at, 1);
        }
        self.text.insert(&mut txn, at, &edit.text);
        let end = at + edit.text.len() as u32; // ASCII: bytes = UTF-16 units
        self.cursor = self.text.sticky_index(&txn, end, Assoc::Before);
        let update = txn.encode_update_v1();
        Message::Sync(SyncMessage::Update(update)).encode_v1()
    }

    /// An awareness update announcing our name and cursor, as an editor
    /// binding sends on every cursor move.
    pub fn awareness_frame(&mut self, name: &str) -> Vec<u8> {
        self.awareness_clock += 1;
        let at = {
            let txn = self.doc.transact();
            self.cursor
                .as_ref()
                .and_then(|c| c.get_offset(&txn))
                .map(|o| o.index)
                .unwrap_or(0)
        };
        let json = format!(
            r##"{{"user":{{"name":"{name}","color":"#30bced"}},"cursor":{{"anchor":{at},"head":{at}}}}}"##
        );
        let entry = AwarenessUpdateEntry {
            clock: self.awareness_clock,
            json: json.into(),
        };
        let update = AwarenessUpdate {
            clients: [(self.doc.client_id(), entry)].into_iter().collect(),
        };
        Message::Awareness(update).encode_v1()
    }

    pub fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    pub fn text_len(&self) -> u32 {
        self.text.len(&self.doc.transact())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marker;
    use crate::typist::Typist;

    /// Relays frames between two peers as a y-websocket server would.
    fn handshake(a: &mut YjsPeer, b: &mut YjsPeer) {
        let mut replies = Vec::new();
        b.handle(&a.hello(), &mut replies).unwrap();
        for r in replies.drain(..) {
            a.handle(&r, &mut Vec::new()).unwrap();
        }
        a.handle(&b.hello(), &mut replies).unwrap();
        for r in replies.drain(..) {
            b.handle(&r, &mut Vec::new()).unwrap();
        }
    }

    #[test]
    fn handshake_syncs_and_remote_inserts_are_reported() {
        let mut server = YjsPeer::new();
        let mut t = Typist::new(9, 1);
        let _ = server.type_edit(&t.next_edit(None, None));
        let mut client = YjsPeer::new();
        assert!(!client.synced());
        handshake(&mut client, &mut server);
        assert!(client.synced());
        assert_eq!(client.text(), server.text());
        let mut seen = Vec::new();
        client.take_inserted(|s| seen = marker::all_in(s));
        assert_eq!(seen, vec![marker::Marker::new(9, 0)]);
    }

    #[test]
    fn concurrent_typists_converge_with_intact_markers() {
        let (mut a, mut b) = (YjsPeer::new(), YjsPeer::new());
        let (mut ta, mut tb) = (Typist::new(1, 1), Typist::new(2, 2));
        for _ in 0..30 {
            let fa = a.type_edit(&ta.next_edit(None, None));
            let fb = b.type_edit(&tb.next_edit(None, None));
            b.handle(&fa, &mut Vec::new()).unwrap();
            a.handle(&fb, &mut Vec::new()).unwrap();
        }
        assert_eq!(a.text(), b.text());
        let mut markers = marker::all_in(&a.text());
        markers.sort();
        assert_eq!(markers.len(), 60);
        let mut from_b = Vec::new();
        a.take_inserted(|s| from_b = marker::all_in(s));
        assert_eq!(from_b.len(), 30);
        assert!(from_b.iter().all(|m| m.client == 2));
        // A whole-state update of both clients' items (what a step 2 is).
        let full = a
            .doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        let mut all = Vec::new();
        update_strings(&full, |s| all.extend(marker::all_in(s))).unwrap();
        all.sort();
        assert_eq!(all, markers);
    }

    #[test]
    fn awareness_frames_decode() {
        let mut p = YjsPeer::new();
        let f = p.awareness_frame("bot-1");
        match Message::decode_v1(&f).unwrap() {
            Message::Awareness(u) => {
                let e = &u.clients[&p.doc.client_id()];
                assert_eq!(e.clock, 1);
                assert!(e.json.contains("bot-1"));
            }
            other => panic!("{other:?}"),
        }
        // Awareness from others is accepted and ignored.
        p.handle(&f, &mut Vec::new()).unwrap();
    }

    #[test]
    fn garbage_updates_are_errors_not_panics() {
        assert!(update_strings(&[5, 1, 2], |_| {}).is_err());
        let mut p = YjsPeer::new();
        assert!(p.handle(&[0, 2, 3, 1, 2, 3], &mut Vec::new()).is_err());
    }

    #[test]
    fn utf16_offsets_are_used() {
        let mut peer = YjsPeer::new();
        {
            let mut txn = peer.doc.transact_mut();
            peer.text.insert(&mut txn, 0, "é🙂");
        }
        assert_eq!(peer.text_len(), 3); // UTF-16 code units, not 6 bytes
        let mut t = Typist::new(1, 1);
        let first = t.next_edit(None, None);
        let _ = peer.type_edit(&first);
        assert_eq!(peer.text(), format!("é🙂{}", first.text));
        let second = t.next_edit(None, None);
        let _ = peer.type_edit(&second);
        let tail = if second.backspace {
            &first.text[..first.text.len() - 1]
        } else {
            &first.text
        };
        assert_eq!(peer.text(), format!("é🙂{tail}{}", second.text));
    }
}
