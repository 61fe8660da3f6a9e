import { useEffect } from 'react';
import { useAppDispatch } from '../store';
import { fetchVersions } from '../store/historySlice';

/** Loads the room's versions now and every `intervalMs` while mounted (the History panel is open). */
export function useVersionsPolling(roomId: string, intervalMs = 5000): void {
  const dispatch = useAppDispatch();
  useEffect(() => {
    void dispatch(fetchVersions(roomId));
    const id = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') void dispatch(fetchVersions(roomId));
    }, intervalMs);
    return () => window.clearInterval(id);
  }, [roomId, intervalMs, dispatch]);
}
