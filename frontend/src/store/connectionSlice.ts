import { createSlice, type PayloadAction } from '@reduxjs/toolkit';

/** The y-websocket provider's own status values. */
export type ProviderStatus = 'connecting' | 'connected' | 'disconnected';
/** What the UI shows. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'denied';

export interface ConnectionSliceState {
  provider: ProviderStatus;
  online: boolean;
  synced: boolean;
  /** Whether this room session has been connected at least once. */
  everConnected: boolean;
  /** The close code that ended the connection for good (no new token, room gone). */
  closedCode: number | null;
}

const initialState: ConnectionSliceState = {
  provider: 'disconnected',
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  synced: false,
  everConnected: false,
  closedCode: null,
};

const connectionSlice = createSlice({
  name: 'connection',
  initialState,
  reducers: {
    providerStatusChanged(state, action: PayloadAction<ProviderStatus>) {
      state.provider = action.payload;
      if (action.payload === 'connected') {
        state.everConnected = true;
        state.closedCode = null;
      } else state.synced = false;
    },
    providerClosed(state, action: PayloadAction<number>) {
      state.closedCode = action.payload;
      state.synced = false;
    },
    syncedChanged(state, action: PayloadAction<boolean>) {
      state.synced = action.payload;
    },
    onlineChanged(state, action: PayloadAction<boolean>) {
      state.online = action.payload;
    },
    connectionReset(state) {
      return { ...initialState, online: state.online };
    },
  },
});

export function connectionState(s: ConnectionSliceState): ConnectionState {
  if (s.closedCode !== null && s.provider !== 'connected') return 'denied';
  if (!s.online) return 'offline';
  if (s.provider === 'connected') return 'connected';
  return s.everConnected ? 'reconnecting' : 'connecting';
}

export const { providerStatusChanged, providerClosed, syncedChanged, onlineChanged, connectionReset } = connectionSlice.actions;
export default connectionSlice.reducer;
