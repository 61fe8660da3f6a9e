import { useAppSelector } from '../store';
import { connectionState, type ConnectionState } from '../store/connectionSlice';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  denied: 'Disconnected',
};

const HINTS: Record<ConnectionState, string> = {
  connecting: 'Connecting to the room',
  connected: 'Live: edits are shared as you type',
  reconnecting: 'Connection lost; keep typing, edits sync when it is back',
  offline: 'You are offline; keep typing, edits sync when you are back online',
  denied: 'The server ended the session (access expired, or the room is gone); reload with a new link',
};

export function ConnectionBadge() {
  const state = useAppSelector((s) => connectionState(s.connection));
  return (
    <span className={`badge badge-${state}`} data-testid="connection-state" data-state={state} title={HINTS[state]} role="status">
      <span className="dot" aria-hidden="true" />
      <span className="badge-label">{LABELS[state]}</span>
    </span>
  );
}
