/** Room ids as the server accepts them (PROTOCOL.md). */
export const ROOM_ID_RE = /^[A-Za-z0-9_-]{6,64}$/;

export function isValidRoomId(id: string): boolean {
  return ROOM_ID_RE.test(id);
}

/**
 * Accepts a bare id, a path like `/r/abc123`, or a full share link, and
 * returns the room id, or null when the input holds none.
 */
export function parseRoomInput(input: string): string | null {
  const text = input.trim();
  if (!text) return null;
  if (isValidRoomId(text)) return text;
  let path = text;
  try {
    path = new URL(text).pathname;
  } catch {
    // not an absolute URL: treat it as a path
  }
  const m = /(?:^|\/)r\/([^/?#]+)\/?$/.exec(path);
  if (m) {
    const id = decodeURIComponent(m[1]);
    return isValidRoomId(id) ? id : null;
  }
  return null;
}

export function roomPath(roomId: string): string {
  return `/r/${encodeURIComponent(roomId)}`;
}

export function shareLink(roomId: string, origin: string = window.location.origin): string {
  return origin + roomPath(roomId);
}
