//! Reading a room's stream back, page by page (`XRANGE … COUNT`), so a
//! long stream costs several short commands instead of one that holds up
//! Redis and the reader.

use bytes::Bytes;

use super::Inner;
use super::wire::parse_author;
use crate::bus::BusEvent;
use crate::domain::RoomId;

/// One stream entry, parsed.
struct Entry {
    seq: u64,
    instance: Vec<u8>,
    data: Option<Vec<u8>>,
    author: Option<Vec<u8>>,
    marker: bool,
}

impl Entry {
    fn parse(id: &str, fields: Vec<Vec<u8>>) -> Option<Self> {
        let seq = id.split_once('-')?.0.parse().ok()?;
        let mut entry = Self {
            seq,
            instance: Vec::new(),
            data: None,
            author: None,
            marker: false,
        };
        let mut fields = fields.into_iter();
        while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
            match name.as_slice() {
                b"i" => entry.instance = value,
                b"d" => entry.data = Some(value),
                b"u" => entry.author = Some(value),
                b"r" => entry.marker = true,
                _ => {}
            }
        }
        Some(entry)
    }

    fn event(self) -> Option<BusEvent> {
        if self.marker {
            return Some(BusEvent::Resync);
        }
        Some(BusEvent::Update {
            update: Bytes::from(self.data?),
            author: self.author.as_deref().and_then(parse_author),
        })
    }
}

/// Entries with sequence `from..=to` (either bound open with `None`), in
/// pages, each handed to `each`.
async fn range(
    inner: &Inner,
    room: &RoomId,
    from: Option<u64>,
    to: u64,
    mut each: impl FnMut(Entry),
) -> Result<(), String> {
    let mut conn = inner.conn().await.map_err(|e| e.to_string())?;
    let page = inner.options.stream_page.max(1);
    let mut start = from.map_or_else(|| "-".to_owned(), |f| format!("{f}-0"));
    loop {
        let entries: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
            .arg(inner.keys.stream(room))
            .arg(&start)
            .arg(format!("{to}-0"))
            .arg("COUNT")
            .arg(page)
            .query_async(&mut conn)
            .await
            .map_err(|e| format!("reading the stream: {e}"))?;
        let full = entries.len() == page;
        let mut last = None;
        for (id, fields) in entries {
            if let Some(entry) = Entry::parse(&id, fields) {
                last = Some(entry.seq);
                each(entry);
            }
        }
        match last {
            Some(seq) if full && seq < to => start = format!("({seq}-0"),
            _ => return Ok(()),
        }
    }
}

/// The updates with sequence `from..=to` that other instances published
/// (and resync markers, as `Resync`); `Err` when the stream no longer
/// holds all of them (trimmed, or lost with a Redis restart).
pub(super) async fn replay(
    inner: &Inner,
    room: &RoomId,
    from: u64,
    to: u64,
) -> Result<Vec<BusEvent>, String> {
    let own = inner.instance_id.as_bytes();
    let mut next = from;
    let mut hole = false;
    let mut missing = Vec::new();
    range(inner, room, Some(from), to, |entry| {
        if entry.seq != next {
            hole = true;
        }
        next = entry.seq + 1;
        if entry.instance != own
            && let Some(event) = entry.event()
        {
            missing.push(event);
        }
    })
    .await?;
    if hole || next != to + 1 {
        return Err(format!(
            "stream does not hold every update from {from} to {to}"
        ));
    }
    Ok(missing)
}

/// Every update the stream still holds up to sequence `to`, whoever
/// published it (markers skipped: a room opening loads the store anyway).
pub(super) async fn tail(inner: &Inner, room: &RoomId, to: u64) -> Result<Vec<BusEvent>, String> {
    if to == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    range(inner, room, None, to, |entry| {
        if !entry.marker
            && let Some(event) = entry.event()
        {
            out.push(event);
        }
    })
    .await?;
    Ok(out)
}
