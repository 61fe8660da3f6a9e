//! The y-protocols wire format, read defensively before yrs sees it.
//!
//! yrs 0.28 reserves memory from counts the sender declares (a 9-byte
//! SyncStep1 can claim 2^28 state-vector entries and cost 512 MiB), its
//! `Any` decoder recurses without a bound, and block clocks near
//! `u32::MAX` overflow inside it. So every frame and update is first
//! walked with a cursor that allocates nothing in proportion to what the
//! bytes claim: each declared count is checked against the bytes that
//! are actually left, nesting is capped, clocks are bounded. The walk
//! reads exactly what yrs reads, so anything a Yjs client sends passes;
//! only then does yrs decode it.

mod cursor;
mod update;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::ops::Range;

use yrs::sync::Message;
use yrs::updates::decoder::Decode;

use cursor::Cursor;

/// Deepest `Any` nesting accepted (a value inside a map inside an array…
/// counts one level each). yrs decodes, clones, encodes and drops `Any`
/// recursively; the room's own values (`meta.language`, awareness is JSON
/// text) are one level deep, so 64 leaves ample room for any client data
/// and keeps every recursion far from the stack's end.
pub const MAX_ANY_DEPTH: usize = 64;

/// Highest clock accepted, for block ends, deletions, references, state
/// vectors and awareness. yrs adds clocks and lengths as unchecked `u32`s
/// (a panic in a debug build, a wrap-around in release) and subtracts
/// them as `i32`s when it integrates, so every clock must fit an `i32`;
/// the headroom above keeps sums in range (yrs's awareness also adds one
/// to a client's clock on each removal). A client would need 2^31
/// operations under one client id to come near it.
pub const MAX_CLOCK: u32 = i32::MAX as u32;

/// Why a frame or update was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the frame holds no message")]
    Empty,
    #[error("more than {max} messages in one frame")]
    TooManyMessages { max: usize },
    #[error("the bytes end inside a value")]
    Truncated,
    #[error("a variable-length integer is too long")]
    BadVarint,
    #[error("a declared count exceeds the bytes that follow")]
    CountTooLarge,
    #[error("unknown message type {0}")]
    UnknownMessage(u32),
    #[error("unknown sync message type {0}")]
    UnknownSync(u32),
    #[error("unknown item content {0}")]
    UnknownContent(u8),
    #[error("unknown shared type {0}")]
    UnknownTypeRef(u8),
    #[error("unknown value tag {0}")]
    UnknownAny(u8),
    #[error("a string is not UTF-8")]
    BadUtf8,
    #[error("embedded JSON does not parse")]
    BadJson,
    #[error("values nested deeper than {MAX_ANY_DEPTH}")]
    TooDeep,
    #[error("a client id of 2^53 or more")]
    BadClient,
    #[error("a clock goes past {MAX_CLOCK}")]
    ClockOverflow,
    #[error("a block of length 0")]
    EmptyBlock,
    /// yrs appends a second group of the same client to the first, out of
    /// clock order, and then panics splitting it (`find_index`).
    #[error("client {0} has two block groups")]
    RepeatedClient(u64),
    #[error("bytes left over after the value")]
    Trailing,
    /// The walk passed but yrs refused (a bug in the walk if it happens).
    #[error("yrs refused the message: {0}")]
    Yrs(String),
}

/// A kind of item content, as yrs numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContentKind {
    /// Garbage-collected range.
    Gc,
    /// A gap left in a partial update.
    Skip,
    Deleted,
    String,
    Any,
    Json,
    Binary,
    Embed,
    Format,
    /// A nested shared type.
    Type,
    /// A sub-document.
    Doc,
}

impl ContentKind {
    /// Content a plain-text document (a `Y.Text` and a `Y.Map` of
    /// strings) never holds: rich-text attributes and embeds, nested
    /// types, sub-documents, binary and legacy JSON. (yrs 0.28 has no
    /// move content; its tag is refused as unknown.)
    pub fn is_foreign(self) -> bool {
        matches!(
            self,
            Self::Json | Self::Binary | Self::Embed | Self::Format | Self::Type | Self::Doc
        )
    }
}

/// What one update touches, for policy checks before it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateShape {
    /// Root types named as a parent by some item (yrs's `TypePtr::Named`).
    /// Items with an origin inherit their parent and name none.
    pub roots: BTreeSet<String>,
    /// Every content kind present, GC and skip ranges included.
    pub kinds: BTreeSet<ContentKind>,
    /// Some item names its parent by id (a nested type).
    pub nested: bool,
    /// Blocks (items, GC and skip ranges).
    pub blocks: usize,
    /// Ranges in the delete set.
    pub delete_ranges: usize,
    /// What the update depends on: every (client, clock) an item names as
    /// its origin, right origin or parent, and every deleted range's
    /// (client, end). Bounded by the update's own size.
    pub needs: Vec<(u64, u32)>,
    /// The clocks each client's blocks cover: (client, first, end).
    pub covers: Vec<(u64, u32, u32)>,
}

impl UpdateShape {
    /// Whether everything the update depends on is in a document whose
    /// state vector gives `known` per client, or in the update itself
    /// where its blocks continue the document's. When not, yrs would park
    /// part of it, or integrate blocks behind a gap.
    pub fn self_contained(&self, known: impl Fn(u64) -> u32) -> bool {
        let reach = |client: u64| {
            let have = known(client);
            self.covers
                .iter()
                .find(|(c, first, _)| *c == client && *first <= have)
                .map_or(have, |(_, _, end)| have.max(*end))
        };
        let continues = self
            .covers
            .iter()
            .all(|(client, first, _)| *first <= known(*client));
        continues
            && self
                .needs
                .iter()
                .all(|(client, clock)| *clock <= reach(*client))
    }
}

impl UpdateShape {
    /// The first foreign content kind present, if any.
    pub fn foreign(&self) -> Option<ContentKind> {
        self.kinds.iter().copied().find(|k| k.is_foreign())
    }
}

/// Walks a bare v1 update (from a sync message, the bus or the store)
/// and reports its shape; every count, length, clock and nesting level is
/// checked, and nothing may follow the delete set.
pub fn inspect_update(update: &[u8]) -> Result<UpdateShape, WireError> {
    let mut c = Cursor::new(update);
    let shape = update::walk(&mut c)?;
    finished(&c)?;
    Ok(shape)
}

/// Decodes every y-protocols message of a `/yjs` frame, refusing the
/// whole frame if any message is malformed, if it holds more than
/// `max_messages`, or if it holds none. Sync updates inside are walked as
/// [`inspect_update`] does (but not decoded: the room does that).
pub fn decode_frame(frame: &[u8], max_messages: usize) -> Result<Vec<Message>, WireError> {
    let mut c = Cursor::new(frame);
    let mut spans: Vec<Range<usize>> = Vec::new();
    while !c.is_empty() {
        if spans.len() == max_messages {
            return Err(WireError::TooManyMessages { max: max_messages });
        }
        let start = c.pos();
        message(&mut c)?;
        spans.push(start..c.pos());
    }
    if spans.is_empty() {
        return Err(WireError::Empty);
    }
    spans
        .into_iter()
        .map(|span| Message::decode_v1(&frame[span]).map_err(|e| WireError::Yrs(e.to_string())))
        .collect()
}

fn finished(c: &Cursor<'_>) -> Result<(), WireError> {
    if c.is_empty() {
        Ok(())
    } else {
        Err(WireError::Trailing)
    }
}

/// One message as yrs's `Message::decode` reads it, except that tags it
/// would take as custom messages are refused.
fn message(c: &mut Cursor<'_>) -> Result<(), WireError> {
    match c.var_u32()? {
        // sync
        0 => match c.var_u32()? {
            0 => state_vector(c.buf()?),
            1 | 2 => inspect_update(c.buf()?).map(drop),
            other => Err(WireError::UnknownSync(other)),
        },
        1 => awareness(c.buf()?),
        // auth: a permission byte (read as a varint yrs keeps in a u8),
        // and a reason when denied
        2 => match c.var_u32()? {
            0 => c.string().map(drop),
            1..=255 => Ok(()),
            _ => Err(WireError::BadVarint),
        },
        // query awareness
        3 => Ok(()),
        other => Err(WireError::UnknownMessage(other)),
    }
}

/// `StateVector::decode`: client ids and their clocks.
fn state_vector(bytes: &[u8]) -> Result<(), WireError> {
    let mut c = Cursor::new(bytes);
    let entries = c.var_u32()?;
    for _ in 0..c.count(u64::from(entries), 2)? {
        c.client()?;
        if c.var_u32()? > MAX_CLOCK {
            return Err(WireError::ClockOverflow);
        }
    }
    finished(&c)
}

/// `AwarenessUpdate::decode`: client id, clock and JSON text per entry.
/// yrs increments a clock when a remote update clears the local state.
fn awareness(bytes: &[u8]) -> Result<(), WireError> {
    let mut c = Cursor::new(bytes);
    let entries = c.var_u64()?;
    for _ in 0..c.count(entries, 3)? {
        c.client()?;
        if c.var_u32()? > MAX_CLOCK {
            return Err(WireError::ClockOverflow);
        }
        c.string()?;
    }
    finished(&c)
}
