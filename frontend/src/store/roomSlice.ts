import { createAsyncThunk, createSlice, type PayloadAction } from '@reduxjs/toolkit';
import { ApiError, createRoom as apiCreateRoom, getRoom, type CreatedRoom, type RoomInfo } from '../api';
import { isValidRoomId } from '../roomId';

export type RoomStatus = 'idle' | 'loading' | 'ready' | 'invalid' | 'notFound' | 'denied' | 'error';

export interface Participant {
  clientId: number;
  name: string;
  color: string;
  isLocal: boolean;
  /** On a view-only connection (the server marks its states). */
  viewing?: boolean;
}

export type Role = 'edit' | 'view';

export interface RoomState {
  roomId: string | null;
  /** What this page may do: an editor sees and shares both links, a viewer only watches. */
  role: Role;
  /** The room's view-only id (`/r/{viewId}`), once loaded. */
  viewId: string | null;
  status: RoomStatus;
  error: string | null;
  /** Mirrors `meta.language` of the shared document (metadata, not the text). */
  language: string;
  connectionCount: number | null;
  createdAt: string | null;
  participants: Participant[];
  creating: boolean;
  createError: string | null;
  /** The latest `loadRoom` request; answers to older ones are ignored. */
  loadRequestId: string | null;
}

export const initialRoomState: RoomState = {
  roomId: null,
  role: 'edit',
  viewId: null,
  status: 'idle',
  error: null,
  language: 'python',
  connectionCount: null,
  createdAt: null,
  participants: [],
  creating: false,
  createError: null,
  loadRequestId: null,
};

function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  return 'Something went wrong';
}

export const createRoom = createAsyncThunk<CreatedRoom, string, { rejectValue: string }>(
  'room/create',
  async (language, { rejectWithValue }) => {
    try {
      return await apiCreateRoom(language);
    } catch (err) {
      return rejectWithValue(`Could not create a room: ${message(err)}`);
    }
  },
);

type LoadError = { kind: 'invalid' | 'notFound' | 'denied' | 'error'; message: string };

/** Validates the id, then asks the server whether the room exists. */
export const loadRoom = createAsyncThunk<RoomInfo, string, { rejectValue: LoadError }>(
  'room/load',
  async (roomId, { rejectWithValue }) => {
    if (!isValidRoomId(roomId)) {
      return rejectWithValue({ kind: 'invalid', message: 'That is not a valid room id.' });
    }
    try {
      return await getRoom(roomId);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 400 || err.status === 422)) {
        return rejectWithValue({ kind: 'notFound', message: 'Room not found' });
      }
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        return rejectWithValue({ kind: 'denied', message: err.message });
      }
      return rejectWithValue({ kind: 'error', message: `Could not load the room: ${message(err)}` });
    }
  },
);

/** Background refresh for the connection count; failures are ignored. */
export const refreshRoom = createAsyncThunk<RoomInfo, string>('room/refresh', (roomId) => getRoom(roomId));

const roomSlice = createSlice({
  name: 'room',
  initialState: initialRoomState,
  reducers: {
    roomLeft() {
      return initialRoomState;
    },
    languageChanged(state, action: PayloadAction<string>) {
      state.language = action.payload;
    },
    participantsChanged(state, action: PayloadAction<Participant[]>) {
      state.participants = action.payload;
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(createRoom.pending, (state) => {
        state.creating = true;
        state.createError = null;
      })
      .addCase(createRoom.fulfilled, (state) => {
        state.creating = false;
      })
      .addCase(createRoom.rejected, (state, action) => {
        state.creating = false;
        state.createError = action.payload ?? message(action.error);
      })
      .addCase(loadRoom.pending, (state, action) => {
        Object.assign(state, initialRoomState);
        state.roomId = action.meta.arg;
        state.status = 'loading';
        state.loadRequestId = action.meta.requestId;
      })
      .addCase(loadRoom.fulfilled, (state, action) => {
        if (state.loadRequestId !== action.meta.requestId) return;
        state.status = 'ready';
        state.role = action.payload.role === 'view' ? 'view' : 'edit';
        state.viewId = action.payload.viewId ?? null;
        state.language = action.payload.language || state.language;
        state.connectionCount = action.payload.connectionCount;
        state.createdAt = action.payload.created_at;
      })
      .addCase(loadRoom.rejected, (state, action) => {
        if (state.loadRequestId !== action.meta.requestId || action.meta.aborted) return;
        state.status = action.payload?.kind ?? 'error';
        state.error = action.payload?.message ?? message(action.error);
      })
      .addCase(refreshRoom.fulfilled, (state, action) => {
        if (state.roomId !== action.meta.arg) return;
        state.connectionCount = action.payload.connectionCount;
      });
  },
});

export const { roomLeft, languageChanged, participantsChanged } = roomSlice.actions;
export default roomSlice.reducer;
