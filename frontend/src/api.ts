/** Every call to the pairprog REST API goes through this module. */

import { currentToken, refreshToken } from './token';

export interface CreatedRoom {
  /** The edit id (for a viewer's GET: the view id; the edit id is never revealed). */
  roomId: string;
  /** The view-only id: `/r/{viewId}` watches without editing. */
  viewId?: string;
  created_at: string;
  language: string;
  code: string;
}

export interface RoomInfo extends CreatedRoom {
  updated_at: string;
  connectionCount: number;
  role?: 'edit' | 'view';
}

export type SuggestionKind =
  | 'snippet'
  | 'keyword'
  | 'function'
  | 'method'
  | 'class'
  | 'struct'
  | 'interface'
  | 'enum'
  | 'field'
  | 'variable'
  | 'constant'
  | 'module'
  | 'type';

/** One ranked suggestion: `text` replaces `replaceBefore` UTF-16 units before the cursor and `replaceAfter` after it. */
export interface SuggestionItem {
  text: string;
  label: string;
  kind: SuggestionKind;
  confidence: number;
  description: string;
  replaceBefore: number;
  replaceAfter: number;
}

/** `/api/autocomplete`'s answer: the seed's best-suggestion fields plus the ranked list. */
export interface Suggestion {
  suggestion: string;
  confidence: number;
  description: string;
  suggestions: SuggestionItem[];
  /** UTF-16 length of the partial word before the cursor that the suggestions continue. */
  prefixLength: number;
}

/** An HTTP error, carrying the problem+json `detail` when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
  }
}

function send(path: string, init: RequestInit | undefined, token: string | null): Promise<Response> {
  return fetch(path, {
    ...init,
    headers: {
      Accept: 'application/json',
      ...(init?.body ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
  });
}

async function request<T>(path: string, init?: RequestInit, roomId: string | null = null): Promise<T> {
  const token = currentToken();
  let res = await send(path, init, token);
  // A token that ran out: ask the page for a new one, once.
  if (res.status === 401 && token) {
    const fresh = await refreshToken(roomId, 'expired');
    if (fresh) res = await send(path, init, fresh);
  }
  if (!res.ok) {
    let detail = res.statusText || `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { detail?: unknown; title?: unknown };
      if (typeof body.detail === 'string') detail = body.detail;
      else if (typeof body.title === 'string') detail = body.title;
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(res.status, detail);
  }
  return (await res.json()) as T;
}

export function createRoom(language: string): Promise<CreatedRoom> {
  return request<CreatedRoom>('/api/rooms', { method: 'POST', body: JSON.stringify({ language }) });
}

export function getRoom(roomId: string, signal?: AbortSignal): Promise<RoomInfo> {
  return request<RoomInfo>(`/api/rooms/${encodeURIComponent(roomId)}`, { signal }, roomId);
}

export function autocomplete(
  code: string,
  cursorPosition: number,
  language: string,
  signal?: AbortSignal,
): Promise<Suggestion> {
  return request<Suggestion>('/api/autocomplete', {
    method: 'POST',
    body: JSON.stringify({ code, cursorPosition, language }),
    signal,
  });
}

/** A recorded version of a room's document (without its text). */
export interface VersionInfo {
  id: number;
  created_at: string;
  kind: 'auto' | 'manual' | 'restore';
  name: string | null;
  /** Who was connected while its changes were made. */
  authors: string[];
  /** Changes since the previous checkpoint. */
  changes: number;
  /** Bytes of the text. */
  size: number;
  language: string;
  restored_from: number | null;
}

export interface VersionText extends VersionInfo {
  code: string;
}

export interface VersionPage {
  roomId: string;
  versions: VersionInfo[];
  /** The next (older) page, when there is one. */
  next: string | null;
}

const versionsPath = (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/versions`;

export function listVersions(roomId: string, signal?: AbortSignal): Promise<VersionPage> {
  return request<VersionPage>(versionsPath(roomId), { signal }, roomId);
}

export function getVersion(roomId: string, id: number, signal?: AbortSignal): Promise<VersionText> {
  return request<VersionText>(`${versionsPath(roomId)}/${id}`, { signal }, roomId);
}

/** Records the current text as a version now, named when `name` is given. */
export function saveVersion(roomId: string, name?: string): Promise<VersionInfo> {
  return request<VersionInfo>(versionsPath(roomId), { method: 'POST', body: JSON.stringify(name ? { name } : {}) }, roomId);
}

/** Edits the room's document into version `id`; answers the restore's own version. */
export function restoreVersion(roomId: string, id: number): Promise<VersionInfo> {
  return request<VersionInfo>(`${versionsPath(roomId)}/${id}/restore`, { method: 'POST' }, roomId);
}

/**
 * The version's text as a file (served with Content-Disposition: attachment).
 * A link cannot send headers, so a token, when there is one, rides in the query.
 */
export function versionDownloadUrl(roomId: string, id: number): string {
  const token = currentToken();
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${versionsPath(roomId)}/${id}/download${query}`;
}
