//! Every reason the server closes a WebSocket, in one table: the code a
//! client sees and the reason text it is sent. The edge and the rooms both
//! pick from here, so a code means one thing everywhere.

/// Why the server let go of a connection: a WebSocket close code and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: &'static str,
}

impl CloseReason {
    const fn new(code: u16, reason: &'static str) -> Self {
        Self { code, reason }
    }

    /// Graceful shutdown: reconnect elsewhere, nothing is lost.
    pub const SHUTTING_DOWN: Self = Self::new(1012, "server restarting, reconnect");
    /// The client did not read what it was sent fast enough (queued bytes
    /// over the limit, or a write timed out).
    pub const SLOW_CONSUMER: Self = Self::new(1013, "too slow to keep up, reconnect");
    /// The room already has as many connections as allowed.
    pub const ROOM_FULL: Self = Self::new(1013, "room is full");
    /// The client sent more than the room could queue.
    pub const ROOM_BUSY: Self = Self::new(1013, "room is busy, slow down");
    /// The edit would take the document over its size limit.
    pub const DOC_TOO_BIG: Self = Self::new(1009, "document size limit reached");
    /// One frame over the frame size limit.
    pub const FRAME_TOO_BIG: Self = Self::new(1009, "frame too large");
    /// Not a frame type the route speaks.
    pub const NOT_BINARY: Self = Self::new(1003, "binary y-protocols frames only");
    /// A y-protocols frame or update that does not decode within its bytes.
    pub const MALFORMED: Self = Self::new(4400, "malformed y-protocols message");
    /// An update for parts of a document this server does not hold (other
    /// roots, formatting, embeds, nested types).
    pub const UNSUPPORTED_CONTENT: Self = Self::new(4400, "update outside the document's shape");
    /// Awareness states over their count or size limit.
    pub const AWARENESS_LIMIT: Self = Self::new(4400, "awareness limit exceeded");
    /// Messages, bytes or expensive requests over the per-connection rate.
    pub const RATE_LIMITED: Self = Self::new(4429, "too many messages");
    pub const NOT_FOUND: Self = Self::new(4404, "room not found");
    /// No valid token for this room (missing, malformed, badly signed,
    /// expired, or naming another room), also when one expires
    /// mid-session: fetch a new token and reconnect.
    pub const UNAUTHORIZED: Self = Self::new(4401, "token missing, invalid or expired");
    /// A view-only connection sent a change to the document.
    pub const READ_ONLY: Self = Self::new(4403, "view-only connection: changes are refused");
    /// The room could not be loaded, or it stopped.
    pub const UNAVAILABLE: Self = Self::new(1011, "room unavailable, try again");
    /// Handling this connection's message failed inside the server; the
    /// room and everyone else carry on.
    pub const INTERNAL: Self = Self::new(1011, "internal error handling a message");
}
