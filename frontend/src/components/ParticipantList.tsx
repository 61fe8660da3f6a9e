import { useAppSelector } from '../store';

export function ParticipantList() {
  const participants = useAppSelector((s) => s.room.participants);
  if (participants.length === 0) return <p className="muted small-text">Nobody here yet.</p>;
  return (
    <ul className="participants" data-testid="participants">
      {participants.map((p) => (
        <li key={p.clientId} data-testid="participant" data-client-id={p.clientId}>
          <span className="avatar" style={{ background: p.color }} aria-hidden="true">
            {p.name.slice(0, 1).toUpperCase()}
          </span>
          <span className="participant-name">{p.name}</span>
          {p.viewing && (
            <span className="viewing small-text" data-testid="viewing" title="Watching: cannot edit">
              viewing
            </span>
          )}
          {p.isLocal && <span className="muted small-text">(you)</span>}
        </li>
      ))}
    </ul>
  );
}
