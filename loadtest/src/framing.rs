//! How y-protocols messages travel on the socket (sans-IO): bare, as
//! y-websocket (and pairprog's `/yjs`) sends them, or wrapped the way
//! Hocuspocus does, so the same Yjs peer can type into either server.
//!
//! Hocuspocus multiplexes documents over one socket: every message starts
//! with the document name as a lib0 varstring, followed by a varuint type
//! (0 sync and 1 awareness as in y-websocket, 2 auth, 3 query awareness,
//! 4 sync reply, 5/6 stateless, 7 close, 8 sync status). A client opens a
//! document with an auth message (`2`, `0` = token, varstring token); the
//! server answers `2`, `2` = authenticated, varstring scope, or `2`, `1` =
//! permission denied, varstring reason, and queues everything else until
//! then. (@hocuspocus/server 3.4 `ClientConnection.ts`, `OutgoingMessage.ts`;
//! @hocuspocus/common `auth.ts`.)

use std::borrow::Cow;

use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

/// Hocuspocus message types (`MessageType` in @hocuspocus/server).
const SYNC: u32 = 0;
const AWARENESS: u32 = 1;
const AUTH: u32 = 2;
const SYNC_REPLY: u32 = 4;
const CLOSE: u32 = 7;

/// Auth sub-types (`AuthMessageType` in @hocuspocus/common).
const AUTH_TOKEN: u32 = 0;
const AUTH_DENIED: u32 = 1;
const AUTH_OK: u32 = 2;

/// What a frame from the server means to the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Inbound<'a> {
    /// A y-websocket message (sync or awareness) for the Yjs peer.
    Yjs(Cow<'a, [u8]>),
    /// Hocuspocus accepted our token, with this scope (`read-write`).
    Authenticated(String),
    /// Hocuspocus refused our token.
    Denied(String),
    /// Hocuspocus closed the document for us.
    Closed(String),
    /// Nothing the client acts on (sync status acks, stateless, queries,
    /// another document's traffic).
    Ignored,
}

#[derive(Debug, PartialEq, Eq)]
pub struct FrameError(pub String);

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "undecodable Hocuspocus frame: {}", self.0)
    }
}

impl std::error::Error for FrameError {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Framing {
    Bare,
    /// Every message prefixed with this document name.
    Hocuspocus {
        doc: String,
    },
}

impl Framing {
    /// What to send before anything else: Hocuspocus's auth message.
    pub fn opening(&self, token: &str) -> Option<Vec<u8>> {
        match self {
            Framing::Bare => None,
            Framing::Hocuspocus { doc } => {
                let mut out = Vec::with_capacity(doc.len() + token.len() + 4);
                out.write_string(doc);
                out.write_var(AUTH);
                out.write_var(AUTH_TOKEN);
                out.write_string(token);
                Some(out)
            }
        }
    }

    /// Frames a y-websocket message (its first varuint is the sync or
    /// awareness type, which Hocuspocus shares).
    pub fn wrap(&self, msg: Vec<u8>) -> Vec<u8> {
        match self {
            Framing::Bare => msg,
            Framing::Hocuspocus { doc } => {
                let mut out = Vec::with_capacity(doc.len() + 2 + msg.len());
                out.write_string(doc);
                out.extend_from_slice(&msg);
                out
            }
        }
    }

    pub fn unwrap<'a>(&self, frame: &'a [u8]) -> Result<Inbound<'a>, FrameError> {
        let doc = match self {
            Framing::Bare => return Ok(Inbound::Yjs(Cow::Borrowed(frame))),
            Framing::Hocuspocus { doc } => doc,
        };
        let bad = |e: yrs::encoding::read::Error| FrameError(e.to_string());
        let mut c = Cursor::new(frame);
        if c.read_string().map_err(bad)? != doc {
            return Ok(Inbound::Ignored);
        }
        let body = c.next;
        let kind: u32 = c.read_var().map_err(bad)?;
        match kind {
            SYNC | AWARENESS => Ok(Inbound::Yjs(Cow::Borrowed(&frame[body..]))),
            // A sync message that must not trigger another step 1; to the
            // peer it is an ordinary sync message.
            SYNC_REPLY => {
                let mut msg = Vec::with_capacity(frame.len() - c.next + 1);
                msg.write_var(SYNC);
                msg.extend_from_slice(&frame[c.next..]);
                Ok(Inbound::Yjs(Cow::Owned(msg)))
            }
            AUTH => match c.read_var::<u32>().map_err(bad)? {
                AUTH_OK => Ok(Inbound::Authenticated(
                    c.read_string().map_err(bad)?.to_owned(),
                )),
                AUTH_DENIED => Ok(Inbound::Denied(c.read_string().map_err(bad)?.to_owned())),
                // A token request (the server wants a fresh token).
                _ => Ok(Inbound::Ignored),
            },
            CLOSE => Ok(Inbound::Closed(
                c.read_string().unwrap_or_default().to_owned(),
            )),
            _ => Ok(Inbound::Ignored),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yjs::YjsPeer;

    /// Bytes @hocuspocus/server 3.4.4 produced for document `room-1`
    /// (`new OutgoingMessage("room-1")…toUint8Array()`).
    const AUTHENTICATED: &str = "06726f6f6d2d3102020a726561642d7772697465";
    const DENIED: &str = "06726f6f6d2d310201046e6f7065";
    const SYNC_STATUS: &str = "06726f6f6d2d310801";
    const CLOSE_BYE: &str = "06726f6f6d2d310703627965";
    const SYNC_STEP1_EMPTY: &str = "06726f6f6d2d3100000100";
    const SYNC_REPLY_STEP1_EMPTY: &str = "06726f6f6d2d3104000100";
    /// What @hocuspocus/provider sends to open `room-1` with token `tok`.
    const AUTH_TOK: &str = "06726f6f6d2d31020003746f6b";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn room() -> Framing {
        Framing::Hocuspocus {
            doc: "room-1".into(),
        }
    }

    #[test]
    fn the_opening_is_the_providers_auth_message() {
        assert_eq!(room().opening("tok"), Some(hex(AUTH_TOK)));
        assert_eq!(Framing::Bare.opening("tok"), None);
    }

    #[test]
    fn server_auth_and_control_messages_are_understood() {
        let f = room();
        assert_eq!(
            f.unwrap(&hex(AUTHENTICATED)),
            Ok(Inbound::Authenticated("read-write".into()))
        );
        assert_eq!(f.unwrap(&hex(DENIED)), Ok(Inbound::Denied("nope".into())));
        assert_eq!(f.unwrap(&hex(CLOSE_BYE)), Ok(Inbound::Closed("bye".into())));
        assert_eq!(f.unwrap(&hex(SYNC_STATUS)), Ok(Inbound::Ignored));
    }

    #[test]
    fn sync_and_sync_reply_reach_the_peer_as_y_websocket_messages() {
        let f = room();
        // y-websocket sync step 1 with an empty state vector: 0 0 1 0
        let want: &[u8] = &[0, 0, 1, 0];
        assert_eq!(
            f.unwrap(&hex(SYNC_STEP1_EMPTY)),
            Ok(Inbound::Yjs(Cow::Borrowed(want)))
        );
        assert_eq!(
            f.unwrap(&hex(SYNC_REPLY_STEP1_EMPTY)),
            Ok(Inbound::Yjs(Cow::Owned(want.to_vec())))
        );
    }

    #[test]
    fn wrapping_prefixes_the_document_name_and_round_trips() {
        let f = room();
        let mut peer = YjsPeer::new();
        let hello = peer.hello();
        let framed = f.wrap(hello.clone());
        assert_eq!(&framed[..7], b"\x06room-1");
        assert_eq!(&framed[7..], &hello[..]);
        assert_eq!(
            f.unwrap(&framed),
            Ok(Inbound::Yjs(Cow::Borrowed(&hello[..])))
        );
        // The peer answers a server's step 1 arriving through the framing.
        let mut replies = Vec::new();
        match f.unwrap(&hex(SYNC_REPLY_STEP1_EMPTY)).unwrap() {
            Inbound::Yjs(m) => peer.handle(&m, &mut replies).unwrap(),
            other => panic!("{other:?}"),
        }
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0][..2], [0, 1]); // sync step 2
        assert_eq!(Framing::Bare.wrap(hello.clone()), hello);
    }

    #[test]
    fn long_document_names_use_a_multi_byte_length() {
        let f = Framing::Hocuspocus {
            doc: "x".repeat(200),
        };
        let framed = f.wrap(vec![0, 2, 0]);
        assert_eq!(framed[..2], [0xc8, 0x01]);
        assert_eq!(framed.len(), 2 + 200 + 3);
        assert_eq!(
            f.unwrap(&framed),
            Ok(Inbound::Yjs(Cow::Borrowed(&[0u8, 2, 0][..])))
        );
    }

    #[test]
    fn other_documents_are_ignored_and_garbage_is_an_error() {
        let other = Framing::Hocuspocus {
            doc: "room-2".into(),
        };
        assert_eq!(other.unwrap(&hex(AUTHENTICATED)), Ok(Inbound::Ignored));
        assert!(room().unwrap(&[0x09, b'r']).is_err());
        assert!(room().unwrap(&hex("06726f6f6d2d31")).is_err()); // no type
    }
}
