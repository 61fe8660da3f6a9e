//! The room's logic without I/O: a decoded message in, what to send,
//! publish, persist and whom to disconnect out.
//!
//! Every bound a client could push against lives here, where a unit test
//! can reach it without a socket: the document's size (its whole encoded
//! CRDT state, pending updates included), the shape of updates (only the
//! `code` text and the `meta` map, plain content), pending updates, owned
//! and bounded awareness, how often a connection may ask for the expensive
//! answers (a full sync step 2, an awareness dump), and the JSON merge's
//! cost budget and shadow bytes.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use bytes::Bytes;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, Transact};

use super::access::Access;
use super::awareness::{AwarenessLimits, AwarenessTable, Violation};
use super::json_sync::{EditRefused, JsonShadow, ShadowLimits};
use super::{CloseReason, Frame, JsonEdit, LiveSnapshot, PeerId, PeerKind, messages};
use crate::bus::Outgoing;
use crate::doc::{self, DocError};
use crate::domain::Language;
use crate::settings::Settings;
use crate::wire;

/// The bounds the core enforces, taken from the settings once.
#[derive(Debug, Clone, Copy)]
pub struct CoreLimits {
    pub max_doc_bytes: usize,
    pub max_pending_bytes: usize,
    pub sync_requests_per_min: u32,
    pub awareness: AwarenessLimits,
    pub shadow: ShadowLimits,
}

impl CoreLimits {
    pub fn from_settings(settings: &Settings) -> Self {
        let l = &settings.limits;
        Self {
            max_doc_bytes: l.max_doc_bytes,
            max_pending_bytes: l.max_pending_bytes,
            sync_requests_per_min: l.sync_requests_per_min,
            awareness: AwarenessLimits {
                ids_per_conn: l.awareness_ids_per_conn,
                state_bytes: l.awareness_state_bytes,
                remote_ids: l.max_conns_per_room * l.awareness_ids_per_conn,
                ttl_ms: settings.presence.ttl_secs * 1000,
            },
            shadow: ShadowLimits {
                max_bytes: l.json_shadow_bytes,
                merge_budget: l.merge_budget,
            },
        }
    }
}

/// What handling one input asks the actor to do.
#[derive(Default)]
pub struct Effects {
    /// Frames for particular local connections (the bytes are shared).
    pub frames: Vec<(PeerId, Frame)>,
    pub publish: Vec<Outgoing>,
    /// Effective updates to persist, in order.
    pub persist: Vec<Bytes>,
    /// Connections the core has let go of, and why.
    pub close: Vec<(PeerId, CloseReason)>,
    /// Why something was refused, for the rejection metric.
    pub rejected: Vec<&'static str>,
    /// Document updates applied from local clients.
    pub applied: u64,
}

/// A token bucket counted in milliseconds: `burst` at once, refilled at
/// `burst` per minute.
#[derive(Debug)]
struct MinuteBucket {
    tokens: f64,
    burst: f64,
    last_ms: u64,
}

impl MinuteBucket {
    fn new(burst: u32, now_ms: u64) -> Self {
        Self {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            last_ms: now_ms,
        }
    }

    fn take(&mut self, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64;
        self.tokens = (self.tokens + elapsed * self.burst / 60_000.0).min(self.burst);
        self.last_ms = now_ms;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Peer {
    kind: PeerKind,
    /// What it may do: a viewer's changes are refused (`core_view.rs`).
    access: Access,
    user_id: String,
    /// What this client last saw (JSON only).
    shadow: Option<JsonShadow>,
    /// Sync step 1 answers and awareness dumps it may still ask for.
    sync_requests: MinuteBucket,
}

pub struct Core {
    doc: Doc,
    awareness: AwarenessTable,
    peers: BTreeMap<PeerId, Peer>,
    next_peer: PeerId,
    /// Counts the document's changes; JSON clients quote it back
    /// (`baseVersion`).
    version: u64,
    /// An upper estimate of the encoded state's size: measured, plus every
    /// update applied since.
    state_bytes: usize,
    /// The last valid language the document held.
    language: String,
    limits: CoreLimits,
}

impl Core {
    pub fn new(doc: Doc, limits: CoreLimits) -> Self {
        let state_bytes = doc::full_state(&doc).len();
        let mut core = Self {
            doc,
            awareness: AwarenessTable::new(limits.awareness),
            peers: BTreeMap::new(),
            next_peer: 1,
            version: 0,
            state_bytes,
            language: Language::DEFAULT.to_owned(),
            limits,
        };
        core.refresh_language();
        core
    }

    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// The whole document, encoded (what a fresh client is sent).
    pub fn full_state(&self) -> Vec<u8> {
        doc::full_state(&self.doc)
    }

    pub fn snapshot(&self) -> LiveSnapshot {
        LiveSnapshot {
            code: doc::text(&self.doc),
            language: self.language.clone(),
        }
    }

    /// The language the document names, if valid; otherwise the last valid
    /// one (a Yjs client can write any string into `meta`).
    fn refresh_language(&mut self) {
        if let Some(raw) = doc::language(&self.doc)
            && let Ok(language) = Language::parse(&raw)
        {
            self.language = language.as_str().to_owned();
        }
    }

    /// A new editing connection; `count` is the room's connection count
    /// with it. The effects hold its greeting.
    #[cfg(test)]
    pub fn join(
        &mut self,
        kind: PeerKind,
        user_id: String,
        count: usize,
        now_ms: u64,
    ) -> (PeerId, Effects) {
        self.join_as(kind, Access::editor(), user_id, count, now_ms)
    }

    /// A new connection with the given access.
    pub fn join_as(
        &mut self,
        kind: PeerKind,
        access: Access,
        user_id: String,
        count: usize,
        now_ms: u64,
    ) -> (PeerId, Effects) {
        let id = self.next_peer;
        self.next_peer += 1;
        let mut effects = Effects::default();
        let role = access.role;
        let mut peer = Peer {
            kind,
            access,
            user_id,
            shadow: None,
            sync_requests: MinuteBucket::new(self.limits.sync_requests_per_min, now_ms),
        };
        match kind {
            PeerKind::Yjs => {
                let sv = self.doc.transact().state_vector();
                let step1 = Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1();
                effects.frames.push((id, Frame::Binary(step1.into())));
                if let Some(dump) = self.awareness.dump() {
                    effects.frames.push((id, awareness_frame(dump)));
                }
            }
            PeerKind::Json => {
                let shadow = JsonShadow::fork(&self.doc, self.version, self.limits.shadow);
                let init = messages::init(
                    shadow.text(),
                    &self.language,
                    count,
                    &peer.user_id,
                    self.version,
                    role,
                );
                effects.frames.push((id, Frame::Text(init)));
                peer.shadow = Some(shadow);
            }
        }
        self.peers.insert(id, peer);
        (id, effects)
    }

    /// A connection ended (or the actor let go of it): its awareness
    /// states go, and everyone is told.
    pub fn leave(&mut self, peer: PeerId) -> Effects {
        let mut effects = Effects::default();
        if self.peers.remove(&peer).is_none() {
            return effects;
        }
        if let Some(removed) = self.awareness.remove_peer(peer) {
            self.relay_awareness(removed, None, &mut effects);
        }
        effects
    }

    /// Tells the JSON clients (all but `except`) the connection count.
    pub fn presence(&self, joined: bool, count: usize, except: Option<PeerId>) -> Effects {
        let mut effects = Effects::default();
        let notice = messages::presence(joined, count);
        self.to_json(except, &notice, &mut effects);
        effects
    }

    pub fn yjs(&mut self, peer: PeerId, message: Message, now_ms: u64) -> Effects {
        let mut effects = Effects::default();
        if !self.peers.contains_key(&peer) {
            return effects;
        }
        match message {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                if !self.take_sync_request(peer, now_ms) {
                    self.refuse(
                        peer,
                        CloseReason::RATE_LIMITED,
                        "sync_requests",
                        &mut effects,
                    );
                    return effects;
                }
                let update = self.doc.transact().encode_state_as_update_v1(&sv);
                let frame = Message::Sync(SyncMessage::SyncStep2(update)).encode_v1();
                effects.frames.push((peer, Frame::Binary(frame.into())));
            }
            Message::Sync(SyncMessage::SyncStep2(update))
            | Message::Sync(SyncMessage::Update(update)) => {
                if self.is_viewer(peer) {
                    self.viewer_update(peer, &update, now_ms, &mut effects);
                } else {
                    self.local_update(peer, &update, None, &mut effects);
                }
            }
            Message::Awareness(update) => self.local_awareness(peer, update, now_ms, &mut effects),
            Message::AwarenessQuery => {
                if !self.take_sync_request(peer, now_ms) {
                    self.refuse(
                        peer,
                        CloseReason::RATE_LIMITED,
                        "sync_requests",
                        &mut effects,
                    );
                    return effects;
                }
                if let Some(dump) = self.awareness.dump() {
                    effects.frames.push((peer, awareness_frame(dump)));
                }
            }
            Message::Auth(_) | Message::Custom(..) => {}
        }
        effects
    }

    fn take_sync_request(&mut self, peer: PeerId, now_ms: u64) -> bool {
        self.peers
            .get_mut(&peer)
            .is_some_and(|p| p.sync_requests.take(now_ms))
    }

    /// Lets go of a connection for breaking a rule.
    fn refuse(
        &mut self,
        peer: PeerId,
        reason: CloseReason,
        metric: &'static str,
        effects: &mut Effects,
    ) {
        effects.rejected.push(metric);
        effects.close.push((peer, reason));
        let more = self.leave(peer);
        effects.merge(more);
    }

    fn local_awareness(
        &mut self,
        peer: PeerId,
        update: AwarenessUpdate,
        now_ms: u64,
        effects: &mut Effects,
    ) {
        let update = match self.peers.get(&peer) {
            Some(p) => p.access.stamp(update),
            None => return,
        };
        let foreign = self.awareness.foreign_dropped;
        let applied = self.awareness.apply_local(peer, update, now_ms);
        if self.awareness.foreign_dropped > foreign {
            effects.rejected.push("awareness_foreign_id");
        }
        match applied {
            Ok(Some(accepted)) => self.relay_awareness(accepted, Some(peer), effects),
            Ok(None) => {}
            Err(Violation::TooManyIds) => {
                self.refuse(peer, CloseReason::AWARENESS_LIMIT, "awareness_ids", effects)
            }
            Err(Violation::StateTooLarge) => self.refuse(
                peer,
                CloseReason::AWARENESS_LIMIT,
                "awareness_state_too_large",
                effects,
            ),
        }
    }

    fn relay_awareness(
        &self,
        update: AwarenessUpdate,
        except: Option<PeerId>,
        effects: &mut Effects,
    ) {
        let frame = Bytes::from(Message::Awareness(update).encode_v1());
        self.to_yjs(except, &frame, effects);
        effects.publish.push(Outgoing::Awareness(frame));
    }

    /// Checks an update's shape against the document's: only the `code`
    /// text and the `meta` map, with plain content.
    fn admissible_shape(update: &[u8]) -> Result<(), (CloseReason, &'static str)> {
        let shape = wire::inspect_update(update)
            .map_err(|_| (CloseReason::MALFORMED, "malformed_update"))?;
        let roots_ok = shape
            .roots
            .iter()
            .all(|r| r.as_str() == doc::CODE || r.as_str() == doc::META);
        if !roots_ok || shape.nested || shape.foreign().is_some() {
            return Err((CloseReason::UNSUPPORTED_CONTENT, "unsupported_content"));
        }
        Ok(())
    }

    /// Whether `len` more bytes keep the document within its limit,
    /// measuring the real state size when the estimate says no.
    fn admit(&mut self, len: usize) -> bool {
        let max = self.limits.max_doc_bytes;
        if self.state_bytes + len <= max {
            return true;
        }
        self.state_bytes = doc::full_state(&self.doc).len();
        self.state_bytes + len <= max
    }

    /// Applies an update a local client made. On refusal the client is
    /// let go of and nothing changes.
    fn local_update(
        &mut self,
        peer: PeerId,
        update: &[u8],
        json_cursor: Option<(Option<u32>, String)>,
        effects: &mut Effects,
    ) -> bool {
        if let Err((reason, metric)) = Self::admissible_shape(update) {
            self.refuse(peer, reason, metric, effects);
            return false;
        }
        if !self.admit(update.len()) {
            self.refuse(
                peer,
                CloseReason::DOC_TOO_BIG,
                "document_too_large",
                effects,
            );
            return false;
        }
        let parked_before = doc::pending_len(&self.doc);
        // A change refused half way still goes everywhere for what did
        // change, so no copy differs; then its sender is let go of.
        let (effective, refused) = match doc::apply_in_order(&self.doc, update) {
            Ok(effective) => (effective, false),
            Err(DocError::Partial { effective, .. }) => (Some(effective), true),
            Err(DocError::Ahead) => {
                effects.rejected.push("missing_dependency");
                self.ask_again(peer, effects);
                return true;
            }
            Err(DocError::Malformed(_)) => {
                self.refuse(peer, CloseReason::MALFORMED, "malformed_update", effects);
                return false;
            }
        };
        if let Some(effective) = effective {
            effects.applied += 1;
            let user = json_cursor.unwrap_or_else(|| (None, self.user_of(peer)));
            self.broadcast(effective, Some(peer), Some(user), effects);
        }
        if refused {
            self.refuse(peer, CloseReason::MALFORMED, "malformed_update", effects);
        }
        self.bound_pending(peer, parked_before, effects);
        !refused
    }

    /// Parked updates past their byte bound, or in a state yrs cannot
    /// encode back (which would panic every later sync step 1).
    fn pending_too_much(&self) -> bool {
        doc::pending_len(&self.doc) > self.limits.max_pending_bytes
            || !doc::pending_is_sound(&self.doc)
    }

    /// A client's update parks nothing: what it depends on the room has
    /// sent it, so a missing dependency means the room lacks part of what
    /// the client holds (or the client lies). The parked part is dropped
    /// and the client asked for what the room lacks (a sync step 1), which
    /// brings it in order. Parked states are also bounded in bytes and
    /// must encode back. yrs retries parked blocks only when an update of
    /// the very client they wait for arrives, so a parked block could stay
    /// out of the text while the state joiners are sent carries it.
    fn bound_pending(&mut self, peer: PeerId, parked_before: usize, effects: &mut Effects) {
        if doc::pending_len(&self.doc) <= parked_before && !self.pending_too_much() {
            return;
        }
        effects.rejected.push("pending_dropped");
        self.doc = doc::without_pending(&self.doc);
        self.state_bytes = doc::full_state(&self.doc).len();
        self.ask_again(peer, effects);
    }

    /// Sends a Yjs client a sync step 1: it answers with what the room
    /// lacks, in order.
    fn ask_again(&self, peer: PeerId, effects: &mut Effects) {
        let sv = self.doc.transact().state_vector();
        let step1 = Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1();
        if self
            .peers
            .get(&peer)
            .is_some_and(|p| p.kind == PeerKind::Yjs)
        {
            effects.frames.push((peer, Frame::Binary(step1.into())));
        }
    }

    fn user_of(&self, peer: PeerId) -> String {
        self.peers
            .get(&peer)
            .map(|p| p.user_id.clone())
            .unwrap_or_default()
    }

    /// An update from another instance (with the user id of whoever made
    /// it there, which its JSON clients here see as `userId`).
    pub fn remote_update(&mut self, update: &[u8], author: Option<&str>) -> Effects {
        let mut effects = Effects::default();
        self.merge_one(update, author, &mut effects);
        effects
    }

    /// Stored updates to merge (a resync); only what is new is relayed.
    pub fn merge(&mut self, updates: &[Vec<u8>]) -> Effects {
        let mut effects = Effects::default();
        for update in updates {
            self.merge_one(update, None, &mut effects);
        }
        effects
    }

    fn merge_one(&mut self, update: &[u8], author: Option<&str>, effects: &mut Effects) {
        if wire::inspect_update(update).is_err() {
            effects.rejected.push("malformed_remote_update");
            return;
        }
        match doc::apply_update(&self.doc, update) {
            Ok(Some(effective)) => {
                let author = author.map(|a| (None, a.to_owned()));
                self.broadcast(effective, None, author, effects);
            }
            Ok(None) => {}
            Err(DocError::Partial { effective, .. }) => {
                effects.rejected.push("malformed_remote_update");
                self.broadcast(effective, None, None, effects);
            }
            Err(DocError::Malformed(_) | DocError::Ahead) => {
                effects.rejected.push("malformed_remote_update");
            }
        }
        if self.pending_too_much() {
            effects.rejected.push("pending_dropped");
            self.doc = doc::without_pending(&self.doc);
        }
    }

    pub fn remote_awareness(&mut self, frame: &[u8], now_ms: u64) -> Effects {
        let mut effects = Effects::default();
        let update = match wire::decode_frame(frame, 1).map(|mut m| m.pop()) {
            Ok(Some(Message::Awareness(update))) => update,
            _ => {
                effects.rejected.push("malformed_remote_awareness");
                return effects;
            }
        };
        if let Some(accepted) = self.awareness.apply_remote(update, now_ms) {
            let frame = Bytes::from(Message::Awareness(accepted).encode_v1());
            self.to_yjs(None, &frame, &mut effects);
        }
        effects
    }

    pub fn remote_cursor(&self, frame: &Bytes) -> Effects {
        let mut effects = Effects::default();
        self.to_json(None, frame, &mut effects);
        effects
    }

    pub fn json_cursor(
        &self,
        peer: PeerId,
        cursor: u32,
        selection_end: Option<u32>,
        user_id: Option<&str>,
    ) -> Effects {
        let mut effects = Effects::default();
        let Some(p) = self.peers.get(&peer) else {
            return effects;
        };
        let frame = messages::cursor(cursor, selection_end, user_id.unwrap_or(&p.user_id));
        self.to_json(Some(peer), &frame, &mut effects);
        effects.publish.push(Outgoing::Cursor(frame));
        effects
    }

    pub fn json_code(&mut self, peer: PeerId, edit: JsonEdit) -> Effects {
        let mut effects = Effects::default();
        let JsonEdit {
            code,
            cursor,
            language,
            base_version,
            user_id,
        } = edit;
        let Some(p) = self.peers.get(&peer) else {
            return effects;
        };
        if p.access.role != crate::domain::Role::Edit {
            return Self::viewer_code_update(peer);
        }
        let user = user_id.unwrap_or_else(|| p.user_id.clone());
        if code.len() > self.limits.max_doc_bytes {
            self.refuse(
                peer,
                CloseReason::DOC_TOO_BIG,
                "document_too_large",
                &mut effects,
            );
            return effects;
        }
        if let Some(language) = language.filter(|l| l.as_str() != self.language) {
            let update = doc::set_language(&self.doc, language.as_str());
            self.refresh_language();
            self.broadcast(update, Some(peer), Some((None, user.clone())), &mut effects);
        }
        let Some(shadow) = self.peers.get_mut(&peer).and_then(|p| p.shadow.as_mut()) else {
            return effects;
        };
        match shadow.edit_to(&code, base_version) {
            Ok(Some(update)) => {
                if !self.local_update(peer, &update, Some((cursor, user)), &mut effects) {
                    return effects;
                }
            }
            Ok(None) => {}
            Err(EditRefused) => {
                effects.rejected.push("edit_refused");
                let error = messages::error(
                    "edit_refused",
                    "the edit could not be merged; the current text follows",
                );
                effects.frames.push((peer, Frame::Text(error)));
            }
        }
        // If others' edits were merged in, the client has not seen them:
        // send it the result, and remember it as a version it was sent.
        let merged = doc::text(&self.doc);
        if merged == code {
            return effects;
        }
        let merged: Arc<str> = merged.into();
        let version = self.version;
        if let Some(shadow) = self.peers.get_mut(&peer).and_then(|p| p.shadow.as_mut()) {
            shadow.push_main(&self.doc, merged.clone(), version);
        }
        let frame = messages::code_update(&merged, &self.language, None, None, version);
        effects.frames.push((peer, Frame::Text(frame)));
        effects
    }

    /// Sends a change to every local client but its origin, queues it for
    /// the store and, when it was made here, for the other instances. The
    /// bytes are encoded once, whatever the number of recipients.
    fn broadcast(
        &mut self,
        update: Vec<u8>,
        origin: Option<PeerId>,
        author: Option<(Option<u32>, String)>,
        effects: &mut Effects,
    ) {
        let update = Bytes::from(update);
        self.version += 1;
        self.state_bytes += update.len();
        self.refresh_language();
        effects.persist.push(update.clone());
        if origin.is_some() {
            effects.publish.push(Outgoing::Update {
                update: update.clone(),
                author: author.as_ref().map(|(_, user)| user.clone()),
            });
        }
        if self.peers.values().any(|p| p.kind == PeerKind::Yjs) {
            let frame =
                Bytes::from(Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1());
            self.to_yjs(origin, &frame, effects);
        }
        let json_recipients = self
            .peers
            .iter()
            .any(|(id, p)| p.kind == PeerKind::Json && Some(*id) != origin);
        if !json_recipients {
            return;
        }
        let text: Arc<str> = doc::text(&self.doc).into();
        let (cursor, user) = match &author {
            Some((c, u)) => (*c, Some(u.as_str())),
            None => (None, None),
        };
        let frame = messages::code_update(&text, &self.language, cursor, user, self.version);
        let version = self.version;
        for (id, p) in self.peers.iter_mut() {
            if Some(*id) == origin {
                continue;
            }
            if let Some(shadow) = p.shadow.as_mut() {
                shadow.push(text.clone(), update.clone(), version);
                effects.frames.push((*id, Frame::Text(frame.clone())));
            }
        }
    }

    /// Removes awareness states not renewed in time; tells everyone.
    pub fn sweep(&mut self, now_ms: u64) -> Effects {
        let mut effects = Effects::default();
        if let Some(removed) = self.awareness.sweep(now_ms) {
            let frame = Bytes::from(Message::Awareness(removed).encode_v1());
            self.to_yjs(None, &frame, &mut effects);
        }
        effects
    }

    /// When `sweep` next has work, if ever: the room needs no timer for it
    /// otherwise.
    pub fn next_sweep_ms(&self) -> Option<u64> {
        self.awareness.next_sweep_ms()
    }

    fn to_yjs(&self, except: Option<PeerId>, frame: &Bytes, effects: &mut Effects) {
        for (id, p) in &self.peers {
            if p.kind == PeerKind::Yjs && Some(*id) != except {
                effects.frames.push((*id, Frame::Binary(frame.clone())));
            }
        }
    }

    fn to_json(&self, except: Option<PeerId>, frame: &Bytes, effects: &mut Effects) {
        for (id, p) in &self.peers {
            if p.kind == PeerKind::Json && Some(*id) != except {
                effects.frames.push((*id, Frame::Text(frame.clone())));
            }
        }
    }
}

impl Effects {
    pub fn merge(&mut self, other: Effects) {
        self.frames.extend(other.frames);
        self.publish.extend(other.publish);
        self.persist.extend(other.persist);
        self.close.extend(other.close);
        self.rejected.extend(other.rejected);
        self.applied += other.applied;
    }
}

fn awareness_frame(update: AwarenessUpdate) -> Frame {
    Frame::Binary(Message::Awareness(update).encode_v1().into())
}

#[path = "core_view.rs"]
mod view;

mod history;
pub use history::RestoreRefused;

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;

/// Runs one step of `core`; a panic inside it (yrs has been seen to panic
/// on hostile input) costs the connection that caused it, not the room:
/// the document and everything pending stay, and the culprit is closed
/// (1011) and leaves.
pub fn guarded(
    core: &mut Core,
    culprit: Option<PeerId>,
    step: impl FnOnce(&mut Core) -> Effects,
) -> Guarded {
    match catch_unwind(AssertUnwindSafe(|| step(core))) {
        Ok(effects) => Guarded::Ran(effects),
        Err(_) => {
            let mut effects = Effects::default();
            if let Some(peer) = culprit {
                effects.close.push((peer, CloseReason::INTERNAL));
                if let Ok(more) = catch_unwind(AssertUnwindSafe(|| core.leave(peer))) {
                    effects.merge(more);
                }
            }
            Guarded::Panicked(effects)
        }
    }
}

/// How a [`guarded`] step ended; either way, the effects to carry out.
pub enum Guarded {
    Ran(Effects),
    Panicked(Effects),
}
