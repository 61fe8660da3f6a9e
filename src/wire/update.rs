//! The walk over one v1 update, mirroring yrs 0.28's `Update::decode`,
//! `decode_block`, `ItemContent::decode`, `TypeRef::decode`,
//! `Options::decode`, `Any::decode` and `IdSet::decode` read for read.

use std::collections::BTreeSet;

use super::cursor::Cursor;
use super::{ContentKind, MAX_ANY_DEPTH, MAX_CLOCK, UpdateShape, WireError};

// yrs's block info byte (`block.rs`).
const GC: u8 = 0;
const SKIP: u8 = 10;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;

pub(super) fn walk(c: &mut Cursor<'_>) -> Result<UpdateShape, WireError> {
    let mut shape = UpdateShape {
        roots: BTreeSet::new(),
        kinds: BTreeSet::new(),
        nested: false,
        blocks: 0,
        delete_ranges: 0,
        needs: Vec::new(),
        covers: Vec::new(),
    };
    // Each client: its block count, id and first clock, a byte at least each.
    let clients = c.var_u32()?;
    let clients = c.count(u64::from(clients), 3)?;
    let mut seen = BTreeSet::new();
    for _ in 0..clients {
        let blocks = c.var_u32()?;
        let client = c.client()?;
        if !seen.insert(client) {
            return Err(WireError::RepeatedClient(client));
        }
        let mut clock = clock(c.var_u32()?)?;
        let first = clock;
        // The smallest block (GC or skip) is an info byte and a length.
        let blocks = c.count(u64::from(blocks), 2)?;
        for _ in 0..blocks {
            let len = block(c, &mut shape)?;
            if len > 0 {
                shape.blocks += 1;
            }
            clock = clock
                .checked_add(len)
                .filter(|end| *end <= MAX_CLOCK)
                .ok_or(WireError::ClockOverflow)?;
        }
        shape.covers.push((client, first, clock));
    }
    delete_set(c, &mut shape)?;
    Ok(shape)
}

fn clock(clock: u32) -> Result<u32, WireError> {
    if clock > MAX_CLOCK {
        return Err(WireError::ClockOverflow);
    }
    Ok(clock)
}

/// An item's reference to another (origin, right origin, parent).
/// Recorded as a need: the item named must be there (its clock plus one).
fn id(c: &mut Cursor<'_>, shape: &mut UpdateShape) -> Result<(), WireError> {
    let client = c.client()?;
    let at = clock(c.var_u32()?)?;
    shape.needs.push((client, at.saturating_add(1)));
    Ok(())
}

/// One block; returns the clock length yrs gives it (0 for an item yrs
/// drops as empty).
fn block(c: &mut Cursor<'_>, shape: &mut UpdateShape) -> Result<u32, WireError> {
    let info = c.u8()?;
    if info == GC || info == SKIP {
        let len = c.var_u32()?;
        if len == 0 {
            return Err(WireError::EmptyBlock);
        }
        shape.kinds.insert(if info == GC {
            ContentKind::Gc
        } else {
            ContentKind::Skip
        });
        return Ok(len);
    }
    if info & HAS_ORIGIN != 0 {
        id(c, shape)?;
    }
    if info & HAS_RIGHT_ORIGIN != 0 {
        id(c, shape)?;
    }
    // Without an origin the parent is written out; with one yrs infers it.
    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        if c.var_u32()? == 1 {
            let name = c.string()?;
            if !shape.roots.contains(name) {
                shape.roots.insert(name.to_owned());
            }
        } else {
            id(c, shape)?;
            shape.nested = true;
        }
        if info & HAS_PARENT_SUB != 0 {
            c.string()?;
        }
    }
    let (kind, len) = content(c, info & 0b1111)?;
    shape.kinds.insert(kind);
    Ok(len)
}

/// `ItemContent::decode`; the length is `ItemContent::len_utf16`.
fn content(c: &mut Cursor<'_>, tag: u8) -> Result<(ContentKind, u32), WireError> {
    Ok(match tag {
        1 => (ContentKind::Deleted, c.var_u32()?),
        2 => {
            // yrs reads the declared count plus one string (`while
            // remaining >= 0`), and refuses a count over i32::MAX.
            let declared = c.var_u32()?;
            if declared > i32::MAX as u32 {
                return Err(WireError::CountTooLarge);
            }
            let strings = c.count(u64::from(declared) + 1, 1)?;
            for _ in 0..strings {
                c.string()?;
            }
            (ContentKind::Json, declared + 1)
        }
        3 => {
            c.buf()?;
            (ContentKind::Binary, 1)
        }
        4 => {
            let text = c.string()?;
            let units = text.encode_utf16().count();
            (ContentKind::String, units as u32)
        }
        5 => {
            json(c)?;
            (ContentKind::Embed, 1)
        }
        6 => {
            c.string()?;
            json(c)?;
            (ContentKind::Format, 1)
        }
        7 => {
            type_ref(c)?;
            (ContentKind::Type, 1)
        }
        8 => {
            let declared = c.var_u32()?;
            let values = c.count(u64::from(declared), 1)?;
            for _ in 0..values {
                any(c, 1)?;
            }
            (ContentKind::Any, declared)
        }
        9 => {
            // `Options::decode`: the guid, then an Any of options.
            c.string()?;
            any(c, 1)?;
            (ContentKind::Doc, 1)
        }
        other => return Err(WireError::UnknownContent(other)),
    })
}

/// `read_json`: a string yrs parses with serde_json (whose own depth
/// limit applies); checked here without building anything.
fn json(c: &mut Cursor<'_>) -> Result<(), WireError> {
    let text = c.string()?;
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|_| WireError::BadJson)?;
    Ok(())
}

/// `TypeRef::decode` without the `weak` feature (yrs is built without it).
fn type_ref(c: &mut Cursor<'_>) -> Result<(), WireError> {
    match c.u8()? {
        0 | 1 | 2 | 4 | 5 | 6 | 9 | 15 => Ok(()),
        // XmlElement carries its tag name.
        3 => c.string().map(drop),
        other => Err(WireError::UnknownTypeRef(other)),
    }
}

/// `Any::decode`, which recurses without a bound in yrs: here the depth
/// is capped at [`MAX_ANY_DEPTH`].
pub(super) fn any(c: &mut Cursor<'_>, depth: usize) -> Result<(), WireError> {
    if depth > MAX_ANY_DEPTH {
        return Err(WireError::TooDeep);
    }
    match c.u8()? {
        // undefined, null, false, true
        127 | 126 | 121 | 120 => {}
        125 => {
            c.var_i64()?;
        }
        124 => {
            c.take(4)?;
        }
        123 | 122 => {
            c.take(8)?;
        }
        119 => {
            c.string()?;
        }
        118 => {
            let declared = c.var_u64()?;
            // A key (at least its length byte) and a value each.
            for _ in 0..c.count(declared, 2)? {
                c.string()?;
                any(c, depth + 1)?;
            }
        }
        117 => {
            let declared = c.var_u64()?;
            for _ in 0..c.count(declared, 1)? {
                any(c, depth + 1)?;
            }
        }
        116 => {
            c.buf()?;
        }
        other => return Err(WireError::UnknownAny(other)),
    }
    Ok(())
}

/// `IdSet::decode`: per client, ranges of deleted clocks.
fn delete_set(c: &mut Cursor<'_>, shape: &mut UpdateShape) -> Result<(), WireError> {
    let clients = c.var_u32()?;
    for _ in 0..c.count(u64::from(clients), 2)? {
        let client = c.client()?;
        let ranges = c.var_u32()?;
        for _ in 0..c.count(u64::from(ranges), 2)? {
            let start = c.var_u32()?;
            let len = c.var_u32()?;
            // yrs computes `clock..clock + len` unchecked.
            let end = start
                .checked_add(len)
                .filter(|end| *end <= MAX_CLOCK)
                .ok_or(WireError::ClockOverflow)?;
            shape.needs.push((client, end));
            shape.delete_ranges += 1;
        }
    }
    Ok(())
}
