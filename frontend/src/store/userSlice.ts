import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import { cleanName, isColor, randomColor, randomName } from '../identity';

export type Theme = 'dark' | 'light';

export interface UserState {
  name: string;
  color: string;
  theme: Theme;
}

export const USER_STORAGE_KEY = 'pairprog.user';

/** Reads the persisted user, making up a friendly identity the first time. */
export function loadUserState(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): UserState {
  let saved: Partial<UserState> = {};
  try {
    saved = JSON.parse(storage?.getItem(USER_STORAGE_KEY) ?? '{}') ?? {};
  } catch {
    saved = {};
  }
  const name = typeof saved.name === 'string' ? cleanName(saved.name) : '';
  return {
    name: name || randomName(),
    color: isColor(saved.color) ? saved.color : randomColor(),
    theme: saved.theme === 'light' ? 'light' : 'dark',
  };
}

export function saveUserState(state: UserState, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(USER_STORAGE_KEY, JSON.stringify(state));
  } catch {
    // private mode or quota: the identity just won't survive a reload
  }
}

const userSlice = createSlice({
  name: 'user',
  initialState: (): UserState => loadUserState(),
  reducers: {
    nameChanged(state, action: PayloadAction<string>) {
      const name = cleanName(action.payload);
      if (name) state.name = name;
    },
    colorChanged(state, action: PayloadAction<string>) {
      if (isColor(action.payload)) state.color = action.payload;
    },
    themeToggled(state) {
      state.theme = state.theme === 'dark' ? 'light' : 'dark';
    },
  },
});

export const { nameChanged, colorChanged, themeToggled } = userSlice.actions;
export default userSlice.reducer;
