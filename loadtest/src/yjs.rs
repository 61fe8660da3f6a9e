//! A y-websocket peer (sans-IO): a `yrs::Doc` whose text `code` we type
//! into, the sync handshake, and the text inserted by remote updates (where
//! receivers look for new markers).

use std::sync::{Arc, Mutex};

use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Assoc, Doc, GetString, IndexedSequence, Observable, OffsetKind, Options, Out, ReadTxn,
    StickyIndex, Text, TextRef, Transact, Update,
};
use yrs::types::Delta;

use crate::typist::Edit;

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("undecodable y-websocket message: {0}")]
    Decode(String),
    #[error("update could not be applied: {0}")]
    Apply(String),
}

pub struct YjsPeer {
    doc: Doc,
    text: TextRef,
    /// Text inserted by remote transactions since the last `take_inserted`,
    /// chunks separated by NUL (which never occurs in a marker).
    inserted: Arc<Mutex<String>>,
    cursor: Option<StickyIndex>,
    synced: bool,
}

impl Default for YjsPeer {
    fn default() -> Self {
        Self::new()
    }
}

impl YjsPeer {
    pub fn new() -> Self {
        let doc = Doc::with_options(Options { offset_kind: OffsetKind::Utf16, ..Options::default() });
        let text = doc.get_or_insert_text("code");
        let inserted = Arc::new(Mutex::new(String::new()));
        let sink = inserted.clone();
        text.observe("loadtest", move |txn, event| {
            if txn.origin().is_some() {
                return; // our own edits carry an origin
            }
            let mut buf = sink.lock().unwrap_or_else(|e| e.into_inner());
            for d in event.delta(txn) {
                if let Delta::Inserted(Out::Any(Any::String(s)), _) = d {
                    buf.push_str(s);
                    buf.push('\0');
                }
            }
        });
        Self { doc, text, inserted, cursor: None, synced: false }
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
        let update = Update::decode_v1(update).map_err(|e| PeerError::Decode(e.to_string()))?;
        self.doc
            .transact_mut()
            .apply_update(update)
            .map_err(|e| PeerError::Apply(e.to_string()))
    }

    /// Runs `f` over the text remote updates inserted since the last call.
    pub fn take_inserted(&self, f: impl FnOnce(&str)) {
        let mut buf = self.inserted.lock().unwrap_or_else(|e| e.into_inner());
        f(&buf);
        buf.clear();
    }

    /// Types `edit` at our cursor and returns the update frame to send.
    pub fn type_edit(&mut self, edit: &Edit) -> Vec<u8> {
        let mut txn = self.doc.transact_mut_with("loadtest");
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
        let tail = if second.backspace { &first.text[..first.text.len() - 1] } else { &first.text };
        assert_eq!(peer.text(), format!("é🙂{tail}{}", second.text));
    }
}
