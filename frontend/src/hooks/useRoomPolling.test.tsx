import { renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { Provider } from 'react-redux';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeStore } from '../store';
import { loadRoom } from '../store/roomSlice';
import { useRoomPolling } from './useRoomPolling';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('useRoomPolling', () => {
  it("refreshes the server's connection count until unmounted", async () => {
    let count = 1;
    const fetch = vi.fn(async () =>
      Response.json({ roomId: 'room01', created_at: '', updated_at: '', code: '', language: 'python', connectionCount: count }),
    );
    vi.stubGlobal('fetch', fetch);
    const store = makeStore();
    await store.dispatch(loadRoom('room01'));
    vi.useFakeTimers();
    const wrapper = ({ children }: { children: ReactNode }) => <Provider store={store}>{children}</Provider>;
    const hook = renderHook(() => useRoomPolling('room01', 1000), { wrapper });
    count = 3;
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getState().room.connectionCount).toBe(3);
    const calls = fetch.mock.calls.length;
    hook.unmount();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetch.mock.calls.length).toBe(calls);
  });
});
