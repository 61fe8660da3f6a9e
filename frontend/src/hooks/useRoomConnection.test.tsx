import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { Provider } from 'react-redux';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { makeStore } from '../store';
import { connectionState, type ProviderStatus } from '../store/connectionSlice';
import { nameChanged } from '../store/userSlice';
import { participantsOf, useRoomConnection, yjsServerUrl, type ProviderFactory, type RoomProvider } from './useRoomConnection';

type Handler = (arg: never) => void;

class FakeProvider implements RoomProvider {
  awareness: Awareness;
  destroyed = false;
  connects = 0;
  params: Record<string, string>;
  private handlers = new Map<string, Set<Handler>>();
  constructor(readonly roomId: string, readonly doc: Y.Doc, token: string | null = null) {
    this.awareness = new Awareness(doc);
    this.params = token ? { token } : {};
  }
  connect() {
    this.connects++;
  }
  on(event: string, cb: Handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(cb);
  }
  off(event: string, cb: Handler) {
    this.handlers.get(event)?.delete(cb);
  }
  emit(event: 'status', arg: { status: ProviderStatus }): void;
  emit(event: 'sync', arg: boolean): void;
  emit(event: 'closed', arg: { code: number; reason: string }): void;
  emit(event: string, arg: unknown) {
    this.handlers.get(event)?.forEach((cb) => (cb as (a: unknown) => void)(arg));
  }
  destroy() {
    this.destroyed = true;
    this.awareness.destroy();
  }
}

function setup() {
  const store = makeStore();
  store.dispatch(nameChanged('Curious Otter'));
  const providers: FakeProvider[] = [];
  const factory: ProviderFactory = (roomId, doc, token) => {
    const p = new FakeProvider(roomId, doc, token);
    providers.push(p);
    return p;
  };
  const wrapper = ({ children }: { children: ReactNode }) => <Provider store={store}>{children}</Provider>;
  const hook = renderHook(({ roomId }) => useRoomConnection(roomId, factory), {
    wrapper,
    initialProps: { roomId: 'room01' as string | null },
  });
  return { store, providers, hook };
}

describe('useRoomConnection', () => {
  it('builds the y-websocket URL from the page location', () => {
    expect(yjsServerUrl({ protocol: 'http:', host: 'localhost:8000' })).toBe('ws://localhost:8000/yjs');
    expect(yjsServerUrl({ protocol: 'https:', host: 'pair.example.com' })).toBe('wss://pair.example.com/yjs');
  });

  it('connects to the room and publishes the local user in awareness', () => {
    const { store, providers, hook } = setup();
    expect(providers).toHaveLength(1);
    const p = providers[0];
    expect(p.roomId).toBe('room01');
    expect(hook.result.current?.text).toBe(p.doc.getText('code'));
    const user = p.awareness.getLocalState()?.user;
    expect(user).toMatchObject({ name: 'Curious Otter', color: store.getState().user.color });
    expect(user.colorLight).toMatch(/^#[0-9a-f]{8}$/i);
    expect(store.getState().room.participants).toEqual([
      expect.objectContaining({ name: 'Curious Otter', isLocal: true }),
    ]);
    act(() => void store.dispatch(nameChanged('Ada')));
    expect(p.awareness.getLocalState()?.user.name).toBe('Ada');
  });

  it('mirrors the provider status into Redux', () => {
    const { store, providers } = setup();
    const p = providers[0];
    expect(connectionState(store.getState().connection)).toBe('connecting');
    act(() => p.emit('status', { status: 'connected' }));
    act(() => p.emit('sync', true));
    expect(connectionState(store.getState().connection)).toBe('connected');
    expect(store.getState().connection.synced).toBe(true);
    act(() => p.emit('status', { status: 'disconnected' }));
    expect(connectionState(store.getState().connection)).toBe('reconnecting');
  });

  it('writes and observes meta.language, never the text', () => {
    const { store, providers, hook } = setup();
    const p = providers[0];
    act(() => hook.result.current!.setLanguage('rust'));
    expect(p.doc.getMap('meta').get('language')).toBe('rust');
    expect(store.getState().room.language).toBe('rust');
    // a remote peer changes it
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(p.doc)); // a later write, not a concurrent one
    remote.getMap('meta').set('language', 'go');
    act(() => Y.applyUpdate(p.doc, Y.encodeStateAsUpdate(remote)));
    expect(store.getState().room.language).toBe('go');
    act(() => hook.result.current!.setLanguage('cobol'));
    expect(p.doc.getMap('meta').get('language')).toBe('go');
    act(() => hook.result.current!.text.insert(0, 'print(1)'));
    expect(JSON.stringify(store.getState())).not.toContain('print(1)');
  });

  it('lists remote participants from awareness', () => {
    const { store, providers } = setup();
    const p = providers[0];
    const peerDoc = new Y.Doc();
    const peer = new Awareness(peerDoc);
    peer.setLocalStateField('user', { name: 'Brave Panda', color: '#e5484d' });
    act(() => {
      p.awareness.states.set(peerDoc.clientID, peer.getLocalState()!);
      p.awareness.emit('change', [{ added: [peerDoc.clientID], updated: [], removed: [] }, 'remote']);
    });
    const names = store.getState().room.participants.map((x) => x.name);
    expect(names).toEqual(['Curious Otter', 'Brave Panda']);
    expect(participantsOf(p.awareness)[1]).toMatchObject({ clientId: peerDoc.clientID, isLocal: false, color: '#e5484d' });
  });

  it('does not list remote states that are malformed or have unreasonable names', () => {
    const { store, providers } = setup();
    const p = providers[0];
    act(() => {
      p.awareness.states.set(901, { user: { name: 'x'.repeat(500), color: '#e5484d' } });
      p.awareness.states.set(902, { user: { name: 'Cursor Breaker', color: '#e5484d' }, selection: { anchor: {}, head: {} } });
      p.awareness.states.set(903, { user: { name: 'Bad Colour', color: 'red;}body{display:none' } });
      p.awareness.states.set(904, { user: { name: '  Fine Fox  ', color: '#0090ff' } });
      p.awareness.emit('change', [{ added: [901, 902, 903, 904], updated: [], removed: [] }, 'remote']);
    });
    expect(store.getState().room.participants.map((x) => x.name)).toEqual(['Curious Otter', 'Fine Fox']);
  });

  it('marks viewers in the participant list', () => {
    const { store, providers } = setup();
    const p = providers[0];
    const peerDoc = new Y.Doc();
    act(() => {
      p.awareness.states.set(peerDoc.clientID, { user: { name: 'Vera', color: '#0090ff' }, role: 'view' });
      p.awareness.emit('change', [{ added: [peerDoc.clientID], updated: [], removed: [] }, 'remote']);
    });
    const vera = store.getState().room.participants.find((x) => x.name === 'Vera');
    expect(vera?.viewing).toBe(true);
    expect(store.getState().room.participants.find((x) => x.isLocal)?.viewing).toBe(false);
  });

  it('on 4401 asks the page for a new token and reconnects with it', async () => {
    window.pairprog = { refreshToken: async () => 'renewed.token.sig' };
    try {
      const { store, providers } = setup();
      const p = providers[0];
      await act(async () => {
        p.emit('closed', { code: 4401, reason: 'token missing, invalid or expired' });
        await Promise.resolve();
      });
      expect(p.params.token).toBe('renewed.token.sig');
      expect(p.connects).toBe(1);
      expect(connectionState(store.getState().connection)).not.toBe('denied');
      // Without a new token the session ends, and the badge says so.
      window.pairprog = { refreshToken: () => null };
      await act(async () => {
        p.emit('closed', { code: 4401, reason: 'expired' });
        await Promise.resolve();
      });
      expect(p.connects).toBe(1);
      expect(connectionState(store.getState().connection)).toBe('denied');
    } finally {
      delete window.pairprog;
    }
  });

  it('on 4403 starts over with a fresh document', () => {
    const { providers, hook } = setup();
    const first = hook.result.current;
    act(() => providers[0].emit('closed', { code: 4403, reason: 'view-only' }));
    expect(providers[0].destroyed).toBe(true);
    expect(providers).toHaveLength(2);
    expect(hook.result.current?.doc).not.toBe(first?.doc);
  });

  it('tears down on leaving and reconnects for a new room', () => {
    const { store, providers, hook } = setup();
    hook.rerender({ roomId: 'room02' });
    expect(providers[0].destroyed).toBe(true);
    expect(providers[1].roomId).toBe('room02');
    hook.rerender({ roomId: null });
    expect(providers[1].destroyed).toBe(true);
    expect(hook.result.current).toBeNull();
    expect(store.getState().room.participants).toEqual([]);
  });
});
