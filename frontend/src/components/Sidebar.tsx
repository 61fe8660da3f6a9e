import { useAppSelector } from '../store';
import { NameEditor } from './NameEditor';
import { ParticipantList } from './ParticipantList';

export function Sidebar({ onClose }: { onClose(): void }) {
  const count = useAppSelector((s) => s.room.connectionCount);
  return (
    <aside className="sidebar" aria-label="Participants">
      <div className="sidebar-head">
        <h2>Participants</h2>
        <button type="button" className="icon-button sidebar-close" aria-label="Hide participants" onClick={onClose}>
          ×
        </button>
      </div>
      <ParticipantList />
      <p className="muted small-text" data-testid="connection-count">
        {count === null ? 'Counting connections…' : `${count} ${count === 1 ? 'connection' : 'connections'} to this room`}
      </p>
      <NameEditor />
    </aside>
  );
}
