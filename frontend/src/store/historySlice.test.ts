import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeStore } from '.';
import { roomLeft } from './roomSlice';
import { fetchVersions, historyToggled, restoreVersion, saveVersion, versionLabel, versionSelected } from './historySlice';
import type { VersionInfo } from '../api';

const v = (id: number, extra: Partial<VersionInfo> = {}): VersionInfo => ({
  id,
  created_at: '2026-12-01T10:00:00Z',
  kind: 'auto',
  name: null,
  authors: ['Ann'],
  changes: 3,
  size: 10,
  language: 'python',
  restored_from: null,
  ...extra,
});

/** Answers each call with the next of `replies` (status, body), recording the requests. */
function mockFetch(...replies: [number, unknown][]) {
  const fn = vi.fn(async (_url: string, _init?: RequestInit) => {
    const [status, body] = replies.length > 1 ? replies.shift()! : replies[0];
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

afterEach(() => vi.unstubAllGlobals());

describe('historySlice', () => {
  it('lists versions newest first as the server sends them', async () => {
    const fetch = mockFetch([200, { roomId: 'abcDEF123', versions: [v(2), v(1)], next: null }]);
    const store = makeStore();
    await store.dispatch(fetchVersions('abcDEF123'));
    expect(fetch).toHaveBeenCalledWith('/api/rooms/abcDEF123/versions', expect.anything());
    const h = store.getState().history;
    expect(h.status).toBe('ready');
    expect(h.versions.map((x) => x.id)).toEqual([2, 1]);
  });

  it('names the current version through POST and refreshes the list', async () => {
    const fetch = mockFetch([201, v(5, { kind: 'manual', name: 'before refactor' })], [200, { roomId: 'r', versions: [v(5)], next: null }]);
    const store = makeStore();
    await store.dispatch(saveVersion({ roomId: 'abcDEF123', name: 'before refactor' }));
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/rooms/abcDEF123/versions');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({ name: 'before refactor' });
    expect(store.getState().history.notice).toContain('before refactor');
    await vi.waitFor(() => expect(store.getState().history.versions).toHaveLength(1));
  });

  it('shows the problem detail when a restore is refused', async () => {
    mockFetch([409, { type: 'about:blank', title: 'Conflict', status: 409, detail: 'too large' }]);
    const store = makeStore();
    store.dispatch(versionSelected(7));
    await store.dispatch(restoreVersion({ roomId: 'abcDEF123', id: 7 }));
    const h = store.getState().history;
    expect(h.notice).toContain('too large');
    expect(h.busy).toBe(false);
    expect(h.selectedId).toBe(7);
  });

  it('a restore closes the comparison and says so', async () => {
    const fetch = mockFetch([201, v(9, { kind: 'restore', restored_from: 7 })], [200, { roomId: 'r', versions: [], next: null }]);
    const store = makeStore();
    store.dispatch(versionSelected(7));
    await store.dispatch(restoreVersion({ roomId: 'abcDEF123', id: 7 }));
    expect(fetch.mock.calls[0][0]).toBe('/api/rooms/abcDEF123/versions/7/restore');
    expect(store.getState().history.selectedId).toBeNull();
    expect(store.getState().history.notice).toContain('#7');
  });

  it('closing the panel or leaving the room forgets the selection', () => {
    const store = makeStore();
    store.dispatch(historyToggled());
    store.dispatch(versionSelected(3));
    store.dispatch(historyToggled());
    expect(store.getState().history).toMatchObject({ open: false, selectedId: null });
    store.dispatch(historyToggled(true));
    store.dispatch(roomLeft());
    expect(store.getState().history.open).toBe(false);
  });

  it('labels versions by name, else by what made them', () => {
    expect(versionLabel(v(1, { name: 'x' }))).toBe('x');
    expect(versionLabel(v(1, { kind: 'restore', restored_from: 4 }))).toBe('Restored #4');
    expect(versionLabel(v(1, { kind: 'manual' }))).toBe('Saved');
    expect(versionLabel(v(1))).toBe('Checkpoint');
  });
});
