//! The channel message format, shared by Rust and the Lua scripts.
//!
//! A message: kind byte, instance id length (one byte) and bytes, sequence
//! as u64 big-endian (0 unless sequenced), then the kind's payload:
//! - `U`pdate (sequenced): author length (one byte), author, v1 update;
//! - `R`esync marker (sequenced): empty; the publisher could not publish
//!   some of the room's updates, so its peers re-merge from the store;
//! - `A`wareness, `C`ursor: the bytes as the room gave them;
//! - presence `P` (joined) / `L` (left): the room's total, u64 big-endian.
//!
//! Stream entries (id `<seq>-0`) hold fields `i` (instance), `d` (update),
//! `u` (author, when known) and `r` (present on a resync marker).

use bytes::Bytes;

use crate::bus::BusEvent;

pub(crate) const KIND_UPDATE: u8 = b'U';
pub(crate) const KIND_RESYNC: u8 = b'R';
pub(crate) const KIND_AWARENESS: u8 = b'A';
pub(crate) const KIND_CURSOR: u8 = b'C';
pub(crate) const KIND_JOINED: u8 = b'P';
pub(crate) const KIND_LEFT: u8 = b'L';

/// Longest author relayed, in bytes (the JSON edge admits 128).
pub(crate) const MAX_AUTHOR: usize = 128;

/// Kind byte and length-prefixed instance id: what precedes the sequence.
pub(crate) fn header(kind: u8, instance: &str) -> Vec<u8> {
    let id = instance.as_bytes();
    let id = &id[..id.len().min(usize::from(u8::MAX))];
    let mut out = Vec::with_capacity(2 + id.len() + 8);
    out.push(kind);
    out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(id);
    out
}

pub(crate) fn encode(kind: u8, instance: &str, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = header(kind, instance);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An author as relayed: cut to [`MAX_AUTHOR`] bytes on a char boundary.
pub(crate) fn author_bytes(author: Option<&str>) -> &[u8] {
    let Some(author) = author else {
        return &[];
    };
    let mut end = author.len().min(MAX_AUTHOR);
    while !author.is_char_boundary(end) {
        end -= 1;
    }
    &author.as_bytes()[..end]
}

/// The payload of an update message.
#[cfg(test)]
pub(crate) fn update_payload(author: Option<&str>, update: &[u8]) -> Vec<u8> {
    let author = author_bytes(author);
    let mut out = Vec::with_capacity(1 + author.len() + update.len());
    out.push(u8::try_from(author.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(author);
    out.extend_from_slice(update);
    out
}

/// A channel message, parsed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Wire<'a> {
    pub kind: u8,
    pub instance: &'a [u8],
    pub seq: u64,
    pub payload: &'a [u8],
}

pub(crate) fn decode(bytes: &[u8]) -> Option<Wire<'_>> {
    let (&kind, rest) = bytes.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let (instance, rest) = rest.split_at_checked(usize::from(len))?;
    let (seq, payload) = rest.split_at_checked(8)?;
    Some(Wire {
        kind,
        instance,
        seq: u64::from_be_bytes(seq.try_into().ok()?),
        payload,
    })
}

/// An author as received: valid UTF-8 within the bound, else none.
pub(crate) fn parse_author(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() || bytes.len() > MAX_AUTHOR {
        return None;
    }
    let author = std::str::from_utf8(bytes).ok()?;
    (!author.chars().any(char::is_control)).then(|| author.to_owned())
}

/// The event a channel message becomes on the receiving side.
pub(crate) fn event(kind: u8, payload: &[u8]) -> Option<BusEvent> {
    Some(match kind {
        KIND_UPDATE => {
            let (&len, rest) = payload.split_first()?;
            let (author, update) = rest.split_at_checked(usize::from(len))?;
            BusEvent::Update {
                update: Bytes::copy_from_slice(update),
                author: parse_author(author),
            }
        }
        KIND_RESYNC => BusEvent::Resync,
        KIND_AWARENESS => BusEvent::Awareness(Bytes::copy_from_slice(payload)),
        KIND_CURSOR => BusEvent::Cursor(Bytes::copy_from_slice(payload)),
        KIND_JOINED | KIND_LEFT => {
            let total: [u8; 8] = payload.try_into().ok()?;
            BusEvent::Presence {
                joined: kind == KIND_JOINED,
                total: usize::try_from(u64::from_be_bytes(total)).unwrap_or(usize::MAX),
            }
        }
        _ => return None,
    })
}
