import { createSlice, type PayloadAction } from '@reduxjs/toolkit';

/** The y-websocket provider's own status values. */
export type ProviderStatus = 'connecting' | 'connected' | 'disconnected';
/** What the UI shows. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ConnectionSliceState {
  provider: ProviderStatus;
  online: boolean;
  synced: boolean;
  /** Whether this room session has been connected at least once. */
  everConnected: boolean;
}

const initialState: ConnectionSliceState = {
  provider: 'disconnected',
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  synced: false,
  everConnected: false,
};

const connectionSlice = createSlice({
  name: 'connection',
  initialState,
  reducers: {
    providerStatusChanged(state, action: PayloadAction<ProviderStatus>) {
      state.provider = action.payload;
      if (action.payload === 'connected') state.everConnected = true;
      else state.synced = false;
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
  if (!s.online) return 'offline';
  if (s.provider === 'connected') return 'connected';
  return s.everConnected ? 'reconnecting' : 'connecting';
}

export const { providerStatusChanged, syncedChanged, onlineChanged, connectionReset } = connectionSlice.actions;
export default connectionSlice.reducer;
