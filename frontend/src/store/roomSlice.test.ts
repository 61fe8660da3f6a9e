import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeStore } from '.';
import { createRoom, languageChanged, loadRoom, participantsChanged, refreshRoom, roomLeft } from './roomSlice';

function mockFetch(status: number, body: unknown) {
  const fn = vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
  vi.stubGlobal('fetch', fn);
  return fn;
}

const info = {
  roomId: 'abcDEF123',
  created_at: '2026-12-01T00:00:00Z',
  updated_at: '2026-12-01T00:00:00Z',
  code: '# hi\n',
  language: 'rust',
  connectionCount: 2,
};

afterEach(() => vi.unstubAllGlobals());

describe('roomSlice', () => {
  it('loads an existing room', async () => {
    const fetch = mockFetch(200, info);
    const store = makeStore();
    await store.dispatch(loadRoom('abcDEF123'));
    const room = store.getState().room;
    expect(fetch).toHaveBeenCalledWith('/api/rooms/abcDEF123', expect.anything());
    expect(room.status).toBe('ready');
    expect(room.language).toBe('rust');
    expect(room.connectionCount).toBe(2);
    expect(room).not.toHaveProperty('code');
  });

  it('says "Room not found" for a 404', async () => {
    mockFetch(404, { type: 'about:blank', title: 'Not Found', status: 404, detail: 'room not found' });
    const store = makeStore();
    await store.dispatch(loadRoom('abcDEF123'));
    expect(store.getState().room.status).toBe('notFound');
    expect(store.getState().room.error).toBe('Room not found');
  });

  it('rejects a malformed id without asking the server', async () => {
    const fetch = mockFetch(200, info);
    const store = makeStore();
    await store.dispatch(loadRoom('bad id!'));
    expect(store.getState().room.status).toBe('invalid');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('reports server errors with their detail', async () => {
    mockFetch(503, { detail: 'draining' });
    const store = makeStore();
    await store.dispatch(loadRoom('abcDEF123'));
    expect(store.getState().room.status).toBe('error');
    expect(store.getState().room.error).toContain('draining');
  });

  it('ignores an aborted or superseded load', async () => {
    mockFetch(200, info);
    const store = makeStore();
    const first = store.dispatch(loadRoom('abcDEF123'));
    first.abort();
    store.dispatch(roomLeft());
    const second = store.dispatch(loadRoom('abcDEF123'));
    await first;
    expect(store.getState().room.status).toBe('loading');
    await second;
    expect(store.getState().room.status).toBe('ready');
  });

  it('creates a room', async () => {
    const fetch = mockFetch(201, { roomId: 'newRoom01', created_at: 'x', language: 'go', code: '' });
    const store = makeStore();
    const res = await store.dispatch(createRoom('go'));
    expect(createRoom.fulfilled.match(res) && res.payload.roomId).toBe('newRoom01');
    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toEqual({ language: 'go' });
    expect(store.getState().room.creating).toBe(false);
  });

  it('shows why creating failed', async () => {
    mockFetch(429, { detail: 'too many rooms' });
    const store = makeStore();
    await store.dispatch(createRoom('go'));
    expect(store.getState().room.createError).toMatch(/too many rooms/);
  });

  it('refreshes the count and tracks language and participants', async () => {
    mockFetch(200, info);
    const store = makeStore();
    await store.dispatch(loadRoom('abcDEF123'));
    mockFetch(200, { ...info, connectionCount: 5 });
    await store.dispatch(refreshRoom('abcDEF123'));
    expect(store.getState().room.connectionCount).toBe(5);
    store.dispatch(languageChanged('go'));
    store.dispatch(participantsChanged([{ clientId: 1, name: 'A', color: '#000000', isLocal: true }]));
    expect(store.getState().room.language).toBe('go');
    expect(store.getState().room.participants).toHaveLength(1);
    store.dispatch(roomLeft());
    expect(store.getState().room.roomId).toBeNull();
  });
});
