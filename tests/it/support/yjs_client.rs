//! A y-websocket client built on `yrs`, speaking the protocol as the
//! browsers' `y-websocket` provider does: one message per binary frame.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, Map, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update};

pub struct YjsClient {
    awareness: Arc<Mutex<Awareness>>,
    out: mpsc::UnboundedSender<WsMessage>,
    /// Bumped on every frame received.
    changed: watch::Receiver<u64>,
    /// The close code, once the server closed.
    closed: Arc<Mutex<Option<u16>>>,
    reader: tokio::task::JoinHandle<()>,
}

impl YjsClient {
    /// Connects and completes the sync handshake.
    pub async fn connect(url: &str) -> Self {
        let client = Self::open(url).await;
        let synced = client
            .wait(Duration::from_secs(10), |c| c.synced_once())
            .await;
        assert!(synced, "yjs client did not sync with {url}");
        client
    }

    /// Connects without waiting for the handshake (for refusal tests).
    pub async fn open(url: &str) -> Self {
        Self::try_open(url, None).await.expect("yjs connect")
    }

    /// Reconnects as the browser provider does: the same document, so
    /// the handshake sends the server whatever it missed.
    pub async fn reconnect(&self, url: &str) -> Option<Self> {
        let state = {
            let awareness = self.awareness.lock().unwrap();
            awareness
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default())
        };
        let client = Self::try_open(url, Some(state)).await?;
        client
            .wait(Duration::from_secs(5), |c| c.synced_once())
            .await
            .then_some(client)
            .filter(|c| c.closed().is_none())
    }

    async fn try_open(url: &str, state: Option<Vec<u8>>) -> Option<Self> {
        let (ws, _) = connect_async(url).await.ok()?;
        let (mut sink, mut stream) = ws.split();
        let doc = Doc::with_options(Options {
            offset_kind: OffsetKind::Utf16,
            ..Options::default()
        });
        if let Some(state) = state {
            let update = Update::decode_v1(&state).ok()?;
            doc.transact_mut().apply_update(update).ok()?;
        }
        let awareness = Arc::new(Mutex::new(Awareness::new(doc)));
        let (out, mut out_rx) = mpsc::unbounded_channel::<WsMessage>();
        let (bump, changed) = watch::channel(0u64);
        let closed = Arc::new(Mutex::new(None));
        tokio::spawn(async move {
            while let Some(message) = out_rx.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        // Our own sync step 1, as the provider sends on open.
        let sv = awareness.lock().unwrap().doc().transact().state_vector();
        let _ = out.send(binary(Message::Sync(SyncMessage::SyncStep1(sv))));
        let reader = {
            let awareness = awareness.clone();
            let out = out.clone();
            let closed = closed.clone();
            tokio::spawn(async move {
                while let Some(frame) = stream.next().await {
                    match frame {
                        Ok(WsMessage::Binary(bytes)) => {
                            if let Ok(message) = Message::decode_v1(&bytes) {
                                handle(&awareness, &out, message);
                            }
                            bump.send_modify(|n| *n += 1);
                        }
                        Ok(WsMessage::Close(frame)) => {
                            *closed.lock().unwrap() =
                                Some(frame.map(|f| f.code.into()).unwrap_or(1005));
                            bump.send_modify(|n| *n += 1);
                            break;
                        }
                        Ok(_) => {}
                        Err(_) => {
                            closed.lock().unwrap().get_or_insert(1006);
                            bump.send_modify(|n| *n += 1);
                            break;
                        }
                    }
                }
            })
        };
        Some(Self {
            awareness,
            out,
            changed,
            closed,
            reader,
        })
    }

    fn synced_once(&self) -> bool {
        // The server's step 2 always carries at least the welcome text.
        !self.text().is_empty()
    }

    pub fn text(&self) -> String {
        let awareness = self.awareness.lock().unwrap();
        let doc = awareness.doc();
        let code = doc.get_or_insert_text("code");
        code.get_string(&doc.transact())
    }

    pub fn language(&self) -> Option<String> {
        let awareness = self.awareness.lock().unwrap();
        let doc = awareness.doc();
        let meta = doc.get_or_insert_map("meta");
        let txn = doc.transact();
        meta.get(&txn, "language").map(|v| v.to_string(&txn))
    }

    /// Inserts at a UTF-16 offset and sends the update.
    pub fn insert(&self, index: u32, chunk: &str) {
        let update = {
            let awareness = self.awareness.lock().unwrap();
            let doc = awareness.doc();
            let code = doc.get_or_insert_text("code");
            let mut txn = doc.transact_mut();
            let len = code.len(&txn);
            code.insert(&mut txn, index.min(len), chunk);
            txn.encode_update_v1()
        };
        self.send_update(update);
    }

    /// Removes the whole character at `char_index` (never half of a
    /// surrogate pair), deciding and deleting under one lock.
    pub fn delete_char(&self, char_index: usize) {
        let update = {
            let awareness = self.awareness.lock().unwrap();
            let doc = awareness.doc();
            let code = doc.get_or_insert_text("code");
            let mut txn = doc.transact_mut();
            let text = code.get_string(&txn);
            let count = text.chars().count();
            if count == 0 {
                return;
            }
            let at = char_index % count;
            let offset: usize = text.chars().take(at).map(char::len_utf16).sum();
            let width = text.chars().nth(at).map_or(0, char::len_utf16);
            code.remove_range(&mut txn, offset as u32, width as u32);
            txn.encode_update_v1()
        };
        self.send_update(update);
    }

    /// Removes `len` UTF-16 units from `offset` and sends the update.
    pub fn delete_range(&self, offset: u32, len: u32) {
        let update = {
            let awareness = self.awareness.lock().unwrap();
            let doc = awareness.doc();
            let code = doc.get_or_insert_text("code");
            let mut txn = doc.transact_mut();
            code.remove_range(&mut txn, offset, len);
            txn.encode_update_v1()
        };
        self.send_update(update);
    }

    /// Length in UTF-16 units.
    pub fn len(&self) -> u32 {
        let awareness = self.awareness.lock().unwrap();
        let doc = awareness.doc();
        let code = doc.get_or_insert_text("code");
        code.len(&doc.transact())
    }

    pub fn append(&self, chunk: &str) {
        let len = {
            let awareness = self.awareness.lock().unwrap();
            let doc = awareness.doc();
            let code = doc.get_or_insert_text("code");
            code.len(&doc.transact())
        };
        self.insert(len, chunk);
    }

    pub fn set_language(&self, language: &str) {
        let update = {
            let awareness = self.awareness.lock().unwrap();
            let doc = awareness.doc();
            let meta = doc.get_or_insert_map("meta");
            let mut txn = doc.transact_mut();
            meta.insert(&mut txn, "language", language);
            txn.encode_update_v1()
        };
        self.send_update(update);
    }

    pub fn send_update(&self, update: Vec<u8>) {
        let _ = self
            .out
            .send(binary(Message::Sync(SyncMessage::Update(update))));
    }

    pub fn send_raw(&self, frame: WsMessage) {
        let _ = self.out.send(frame);
    }

    /// Sets this client's awareness state and announces it.
    pub fn set_awareness(&self, json: &str) {
        let update = {
            let mut awareness = self.awareness.lock().unwrap();
            awareness.set_local_state_raw(json);
            awareness.update().expect("awareness update")
        };
        let _ = self.out.send(binary(Message::Awareness(update)));
    }

    pub fn client_id(&self) -> u64 {
        self.awareness.lock().unwrap().client_id().get()
    }

    /// The awareness states of the other clients, as JSON strings.
    pub fn peers(&self) -> Vec<(u64, String)> {
        let awareness = self.awareness.lock().unwrap();
        let own = awareness.client_id();
        awareness
            .iter()
            .filter(|(id, _)| *id != own)
            .filter_map(|(id, state)| state.data.map(|d| (id.get(), d.to_string())))
            .collect()
    }

    pub fn closed(&self) -> Option<u16> {
        *self.closed.lock().unwrap()
    }

    /// Waits until `done` holds (checked after every frame); true if so.
    pub async fn wait(&self, timeout: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let mut changed = self.changed.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if done(self) {
                return true;
            }
            if self.closed().is_some() {
                return done(self);
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left.min(Duration::from_millis(100)), changed.changed())
                .await
            {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return done(self),
                Err(_) if left.is_zero() => return done(self),
                Err(_) => {}
            }
        }
    }

    pub async fn wait_text(&self, timeout: Duration, done: impl Fn(&str) -> bool) -> bool {
        self.wait(timeout, |c| done(&c.text())).await
    }

    /// Closes the socket from the client side.
    pub fn close(self) {
        let _ = self.out.send(WsMessage::Close(None));
    }
}

impl Drop for YjsClient {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

fn binary(message: Message) -> WsMessage {
    WsMessage::Binary(message.encode_v1().into())
}

fn handle(awareness: &Mutex<Awareness>, out: &mpsc::UnboundedSender<WsMessage>, message: Message) {
    let mut awareness = awareness.lock().unwrap();
    match message {
        Message::Sync(SyncMessage::SyncStep1(sv)) => {
            let update = awareness.doc().transact().encode_state_as_update_v1(&sv);
            let _ = out.send(binary(Message::Sync(SyncMessage::SyncStep2(update))));
        }
        Message::Sync(SyncMessage::SyncStep2(update))
        | Message::Sync(SyncMessage::Update(update)) => {
            if let Ok(update) = Update::decode_v1(&update) {
                let _ = awareness.doc().transact_mut().apply_update(update);
            }
        }
        Message::Awareness(update) => {
            let _ = awareness.apply_update(update);
        }
        Message::AwarenessQuery => {
            if let Ok(update) = awareness.update() {
                let _ = out.send(binary(Message::Awareness(update)));
            }
        }
        _ => {}
    }
}
