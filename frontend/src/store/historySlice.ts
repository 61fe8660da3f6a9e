import { createAsyncThunk, createSlice, type PayloadAction } from '@reduxjs/toolkit';
import {
  listVersions,
  restoreVersion as apiRestore,
  saveVersion as apiSave,
  type VersionInfo,
  type VersionPage,
} from '../api';
import { roomLeft } from './roomSlice';

/**
 * The room's history as the History panel shows it: the list of versions
 * (metadata only; a version's text is fetched when it is viewed) and what
 * the panel is doing. The live text stays in the CRDT.
 */
export interface HistoryState {
  open: boolean;
  versions: VersionInfo[];
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  /** The version shown side by side with the current text. */
  selectedId: number | null;
  /** A save or restore in flight. */
  busy: boolean;
  /** The outcome of the last save or restore, for the user. */
  notice: string | null;
}

export const initialHistoryState: HistoryState = {
  open: false,
  versions: [],
  status: 'idle',
  error: null,
  selectedId: null,
  busy: false,
  notice: null,
};

function message(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong';
}

export const fetchVersions = createAsyncThunk<VersionPage, string>('history/fetch', (roomId) => listVersions(roomId));

export const saveVersion = createAsyncThunk<VersionInfo, { roomId: string; name?: string }, { rejectValue: string }>(
  'history/save',
  async ({ roomId, name }, { dispatch, rejectWithValue }) => {
    try {
      const saved = await apiSave(roomId, name);
      void dispatch(fetchVersions(roomId));
      return saved;
    } catch (err) {
      return rejectWithValue(`Could not save the version: ${message(err)}`);
    }
  },
);

export const restoreVersion = createAsyncThunk<VersionInfo, { roomId: string; id: number }, { rejectValue: string }>(
  'history/restore',
  async ({ roomId, id }, { dispatch, rejectWithValue }) => {
    try {
      const restored = await apiRestore(roomId, id);
      void dispatch(fetchVersions(roomId));
      return restored;
    } catch (err) {
      return rejectWithValue(`Could not restore the version: ${message(err)}`);
    }
  },
);

/** How the panel names a version: its name, else what made it. */
export function versionLabel(v: VersionInfo): string {
  if (v.name) return v.name;
  if (v.kind === 'restore') return v.restored_from === null ? 'Restore' : `Restored #${v.restored_from}`;
  if (v.kind === 'manual') return 'Saved';
  return 'Checkpoint';
}

const historySlice = createSlice({
  name: 'history',
  initialState: initialHistoryState,
  reducers: {
    historyToggled(state, action: PayloadAction<boolean | undefined>) {
      state.open = action.payload ?? !state.open;
      if (!state.open) state.selectedId = null;
    },
    versionSelected(state, action: PayloadAction<number | null>) {
      state.selectedId = action.payload;
    },
    noticeDismissed(state) {
      state.notice = null;
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(roomLeft, () => initialHistoryState)
      .addCase(fetchVersions.pending, (state) => {
        if (state.status !== 'ready') state.status = 'loading';
      })
      .addCase(fetchVersions.fulfilled, (state, action) => {
        state.status = 'ready';
        state.error = null;
        state.versions = action.payload.versions;
      })
      .addCase(fetchVersions.rejected, (state, action) => {
        state.status = 'error';
        state.error = `Could not load the history: ${action.error.message ?? 'unknown error'}`;
      })
      .addCase(saveVersion.pending, (state) => {
        state.busy = true;
        state.notice = null;
      })
      .addCase(saveVersion.fulfilled, (state, action) => {
        state.busy = false;
        state.notice = `Saved “${versionLabel(action.payload)}”.`;
      })
      .addCase(saveVersion.rejected, (state, action) => {
        state.busy = false;
        state.notice = action.payload ?? message(action.error);
      })
      .addCase(restoreVersion.pending, (state) => {
        state.busy = true;
        state.notice = null;
      })
      .addCase(restoreVersion.fulfilled, (state, action) => {
        state.busy = false;
        state.selectedId = null;
        state.notice = `Restored version #${action.meta.arg.id} for everyone. To undo it, restore the version just below the restore.`;
      })
      .addCase(restoreVersion.rejected, (state, action) => {
        state.busy = false;
        state.notice = action.payload ?? message(action.error);
      });
  },
});

export const { historyToggled, versionSelected, noticeDismissed } = historySlice.actions;
export default historySlice.reducer;
