/** Every call to the pairprog REST API goes through this module. */

export interface CreatedRoom {
  roomId: string;
  created_at: string;
  language: string;
  code: string;
}

export interface RoomInfo extends CreatedRoom {
  updated_at: string;
  connectionCount: number;
}

export interface Suggestion {
  suggestion: string;
  confidence: number;
  description: string;
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

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, {
    ...init,
    headers: { Accept: 'application/json', ...(init?.body ? { 'Content-Type': 'application/json' } : {}) },
  });
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
  return request<RoomInfo>(`/api/rooms/${encodeURIComponent(roomId)}`, { signal });
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
