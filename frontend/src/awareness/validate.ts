/**
 * Remote awareness states are whatever another client sent: any JSON. y-monaco
 * trusts them (a selection of `{anchor: {}, head: {}}` makes it throw on every
 * redraw, in every browser of the room) and the participant list shows the
 * names. This module decides what is well-formed; everything else is ignored.
 */
import * as Y from 'yjs';

/** Longest remote name shown, in characters, after trimming. */
export const MAX_REMOTE_NAME = 64;
/** Shown for a user who sent no colour at all. */
export const DEFAULT_COLOR = '#888888';

export interface SafeUser {
  name: string;
  /** Always `#rrggbb`, so it is safe inside generated CSS. */
  color: string;
}

export interface SafeSelection {
  anchor: Y.RelativePosition;
  head: Y.RelativePosition;
}

/** The only fields the app and y-monaco read from a state. */
export interface SafeState {
  user?: SafeUser;
  selection?: SafeSelection;
  /** The server marks a view-only connection's states `"role": "view"`. */
  viewing?: boolean;
}

/** Where positions must point: the root text's name and, to resolve them, the text. */
export interface Target {
  textName?: string;
  text?: Y.Text | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A colour as `#rrggbb`, from `#rrggbb` or `#rgb`; `null` for anything else. */
export function safeColor(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  if (/^#[0-9a-f]{6}$/i.test(v)) return v.toLowerCase();
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(v);
  return short ? `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase() : null;
}

/** The name trimmed and without control characters; `null` if empty or too long. */
export function safeName(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const name = v.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '').trim();
  const length = [...name].length;
  return length > 0 && length <= MAX_REMOTE_NAME ? name : null;
}

function safeUser(v: unknown): SafeUser | null {
  if (!isObject(v)) return null;
  const name = safeName(v.name);
  const color = v.color == null ? DEFAULT_COLOR : safeColor(v.color);
  return name !== null && color !== null ? { name, color } : null;
}

function safeId(v: unknown): Y.ID | null {
  return isObject(v) && isUint(v.client) && isUint(v.clock) ? Y.createID(v.client, v.clock) : null;
}

/**
 * A relative position into the root text `textName`, as
 * `Y.createRelativePositionFromTypeIndex` makes them: an item id, or the
 * text's name for its end. Positions into other types are not ours to draw.
 */
function safePosition(v: unknown, textName: string, text: Y.Text | null): Y.RelativePosition | null {
  if (!isObject(v)) return null;
  if (v.type != null) return null;
  if (v.tname != null && v.tname !== textName) return null;
  if (v.assoc != null && !Number.isSafeInteger(v.assoc)) return null;
  const item = v.item == null ? null : safeId(v.item);
  if (v.item != null && item === null) return null;
  if (item === null && v.tname !== textName) return null;
  try {
    const position = Y.createRelativePositionFromJSON({ type: null, tname: v.tname ?? null, item, assoc: v.assoc ?? 0 });
    // Resolving must not throw (it may be null: an edit not received yet).
    const absolute = text?.doc ? Y.createAbsolutePositionFromRelativePosition(position, text.doc) : null;
    if (absolute !== null && absolute.type !== text) return null;
    return position;
  } catch {
    return null;
  }
}

/**
 * The well-formed part of one awareness state, or `null` when anything the
 * app reads is malformed (the whole state is then ignored: no cursor, no
 * name). `user` and `selection` are optional; other fields are dropped.
 */
export function validateState(state: unknown, { textName = 'code', text = null }: Target = {}): SafeState | null {
  if (!isObject(state)) return null;
  const safe: SafeState = {};
  if (state.user != null) {
    const user = safeUser(state.user);
    if (user === null) return null;
    safe.user = user;
  }
  if (state.selection != null) {
    const { selection } = state;
    if (!isObject(selection)) return null;
    const anchor = safePosition(selection.anchor, textName, text);
    const head = safePosition(selection.head, textName, text);
    if (anchor === null || head === null) return null;
    safe.selection = { anchor, head };
  }
  if (state.role === 'view') safe.viewing = true;
  return safe;
}
