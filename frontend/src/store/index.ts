import { configureStore } from '@reduxjs/toolkit';
import { useDispatch, useSelector } from 'react-redux';
import connection from './connectionSlice';
import history from './historySlice';
import room from './roomSlice';
import user, { saveUserState } from './userSlice';

export function makeStore() {
  const store = configureStore({ reducer: { room, connection, user, history } });
  let lastUser = store.getState().user;
  store.subscribe(() => {
    const u = store.getState().user;
    if (u !== lastUser) {
      lastUser = u;
      saveUserState(u);
    }
  });
  return store;
}

export type AppStore = ReturnType<typeof makeStore>;
export type RootState = ReturnType<AppStore['getState']>;
export type AppDispatch = AppStore['dispatch'];

export const useAppDispatch = useDispatch.withTypes<AppDispatch>();
export const useAppSelector = useSelector.withTypes<RootState>();
