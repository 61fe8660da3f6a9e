import { useCallback, useEffect, useMemo, useState } from 'react';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import type { Awareness } from 'y-protocols/awareness';
import { useAppDispatch, useAppSelector } from '../store';
import {
  connectionReset,
  onlineChanged,
  providerClosed,
  providerStatusChanged,
  syncedChanged,
  type ProviderStatus,
} from '../store/connectionSlice';
import { languageChanged, participantsChanged, type Participant } from '../store/roomSlice';
import { lightColor } from '../identity';
import { ValidatedAwareness } from '../awareness/validated';
import { isLanguage } from '../languages';
import { currentToken, refreshToken, tokenName } from '../token';

/** Close codes the server sends (docs/operations.md). */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_READ_ONLY = 4403;

/** y-websocket's terminal close: codes 4400-4499 stop its reconnecting. */
export interface ClosedEvent {
  code: number;
  reason: string;
}

/** The part of y-websocket's provider the app uses; tests pass a fake. */
export interface RoomProvider {
  awareness: Awareness;
  /** URL parameters of the next connection (the token). */
  params?: Record<string, string>;
  on(event: 'status', cb: (e: { status: ProviderStatus }) => void): void;
  on(event: 'sync', cb: (synced: boolean) => void): void;
  on(event: 'closed', cb: (e: ClosedEvent) => void): void;
  off(event: 'status', cb: (e: { status: ProviderStatus }) => void): void;
  off(event: 'sync', cb: (synced: boolean) => void): void;
  off(event: 'closed', cb: (e: ClosedEvent) => void): void;
  connect?(): void;
  destroy(): void;
}

export type ProviderFactory = (roomId: string, doc: Y.Doc, token: string | null) => RoomProvider;

export function yjsServerUrl(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/yjs`;
}

export const websocketProvider: ProviderFactory = (roomId, doc, token) =>
  new WebsocketProvider(yjsServerUrl(), roomId, doc, {
    maxBackoffTime: 2000,
    params: token ? { token } : {},
  }) as unknown as RoomProvider;

export interface RoomConnection {
  doc: Y.Doc;
  text: Y.Text;
  meta: Y.Map<unknown>;
  awareness: Awareness;
  /** The same awareness showing only well-formed states: what the editor and the list draw. */
  peers: ValidatedAwareness;
  /** Writes `meta.language`; every participant's editor follows it. */
  setLanguage(language: string): void;
}

/** Everyone with a well-formed state and a name; malformed states are not listed. */
export function participantsOf(awareness: Awareness | ValidatedAwareness): Participant[] {
  const peers = awareness instanceof ValidatedAwareness ? awareness : new ValidatedAwareness(awareness);
  const list: Participant[] = [];
  peers.getStates().forEach(({ user, viewing = false }, clientId) => {
    if (!user) return;
    list.push({
      clientId,
      name: user.name,
      color: user.color,
      isLocal: clientId === peers.clientID,
      viewing,
    });
  });
  return list.sort((a, b) => Number(b.isLocal) - Number(a.isLocal) || a.name.localeCompare(b.name) || a.clientId - b.clientId);
}

/**
 * Owns the Y.Doc and its provider for one room: connection status, sync,
 * online/offline, awareness (participants) and `meta.language` go to Redux;
 * the text stays in the CRDT.
 */
export function useRoomConnection(roomId: string | null, factory: ProviderFactory = websocketProvider): RoomConnection | null {
  const dispatch = useAppDispatch();
  const chosenName = useAppSelector((s) => s.user.name);
  const color = useAppSelector((s) => s.user.color);
  const viewing = useAppSelector((s) => s.room.role === 'view');
  const [conn, setConn] = useState<(RoomConnection & { provider: RoomProvider }) | null>(null);
  // Bumped to start over with a fresh document (see onClosed).
  const [generation, setGeneration] = useState(0);
  // Others see the name a token gives (the server stamps it): show the same.
  const name = tokenName(currentToken()) ?? chosenName;

  useEffect(() => {
    if (!roomId) return;
    const doc = new Y.Doc();
    const text = doc.getText('code');
    const meta = doc.getMap<unknown>('meta');
    dispatch(connectionReset());
    const provider = factory(roomId, doc, currentToken());
    const { awareness } = provider;
    const peers = new ValidatedAwareness(awareness, { textName: 'code', text });
    let live = true;

    const onStatus = (e: { status: ProviderStatus }) => dispatch(providerStatusChanged(e.status));
    const onSync = (synced: boolean) => {
      dispatch(syncedChanged(synced));
      publishLanguage();
    };
    const publishLanguage = () => {
      const lang = meta.get('language');
      if (isLanguage(lang)) dispatch(languageChanged(lang));
    };
    const publishParticipants = () => dispatch(participantsChanged(participantsOf(peers)));
    // A terminal close: 4401, the token ran out or was refused: ask the
    // page for a new one and reconnect with it. 4403, this view-only copy
    // held something the room does not: start over from the room's state.
    const onClosed = (e: ClosedEvent) => {
      if (e.code === CLOSE_READ_ONLY) {
        setGeneration((g) => g + 1);
        return;
      }
      if (e.code !== CLOSE_UNAUTHORIZED) {
        dispatch(providerClosed(e.code));
        return;
      }
      void refreshToken(roomId, 'expired').then((token) => {
        if (!live) return;
        if (token && provider.params && provider.connect) {
          provider.params = { ...provider.params, token };
          provider.connect();
        } else {
          dispatch(providerClosed(e.code));
        }
      });
    };
    const onOnline = () => dispatch(onlineChanged(true));
    const onOffline = () => dispatch(onlineChanged(false));

    provider.on('status', onStatus);
    provider.on('sync', onSync);
    provider.on('closed', onClosed);
    meta.observe(publishLanguage);
    awareness.on('change', publishParticipants);
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    dispatch(onlineChanged(navigator.onLine));

    const setLanguage = (language: string) => {
      if (!isLanguage(language)) return;
      doc.transact(() => meta.set('language', language));
    };
    setConn({ doc, text, meta, awareness, peers, provider, setLanguage });

    return () => {
      live = false;
      provider.off('status', onStatus);
      provider.off('sync', onSync);
      provider.off('closed', onClosed);
      meta.unobserve(publishLanguage);
      awareness.off('change', publishParticipants);
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      provider.destroy();
      doc.destroy();
      setConn(null);
      dispatch(participantsChanged([]));
      dispatch(connectionReset());
    };
  }, [roomId, factory, dispatch, generation]);

  // Publish who we are; y-monaco's remote cursors read `user.{name,color,colorLight}`.
  // A viewer marks itself too (the server marks its states for the others).
  useEffect(() => {
    conn?.awareness.setLocalStateField('user', { name, color, colorLight: lightColor(color) });
    if (viewing) conn?.awareness.setLocalStateField('role', 'view');
  }, [conn, name, color, viewing]);

  const setLanguage = useCallback((language: string) => conn?.setLanguage(language), [conn]);
  return useMemo(
    () =>
      conn ? { doc: conn.doc, text: conn.text, meta: conn.meta, awareness: conn.awareness, peers: conn.peers, setLanguage } : null,
    [conn, setLanguage],
  );
}
