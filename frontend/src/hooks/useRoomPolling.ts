import { useEffect } from 'react';
import { useAppDispatch } from '../store';
import { refreshRoom } from '../store/roomSlice';

/** Refreshes the room's server-side connection count every `intervalMs`. */
export function useRoomPolling(roomId: string | null, intervalMs = 3000): void {
  const dispatch = useAppDispatch();
  useEffect(() => {
    if (!roomId) return;
    const id = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') void dispatch(refreshRoom(roomId));
    }, intervalMs);
    return () => window.clearInterval(id);
  }, [roomId, intervalMs, dispatch]);
}
