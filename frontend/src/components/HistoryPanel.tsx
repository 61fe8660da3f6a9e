import { useState, type FormEvent } from 'react';
import { useAppDispatch, useAppSelector } from '../store';
import { historyToggled, saveVersion, versionLabel, versionSelected } from '../store/historySlice';
import { useVersionsPolling } from '../hooks/useVersionsPolling';
import type { VersionInfo } from '../api';

/** The server's bound on version names (history.max_name_chars). */
export const MAX_VERSION_NAME = 100;

export function formatWhen(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' });
}

function describe(v: VersionInfo): string {
  const changes = v.changes === 1 ? '1 change' : `${v.changes} changes`;
  const who = v.authors.length ? ` · ${v.authors.join(', ')}` : '';
  return `${changes}${who}`;
}

/**
 * Lists the room's versions, newest first; choosing one shows it against now.
 * Viewers (`canEdit` false) browse; only editors save versions.
 */
export function HistoryPanel({ roomId, canEdit }: { roomId: string; canEdit: boolean }) {
  const dispatch = useAppDispatch();
  const { versions, status, error, selectedId, busy, notice } = useAppSelector((s) => s.history);
  const [name, setName] = useState('');
  useVersionsPolling(roomId);

  const save = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    void dispatch(saveVersion({ roomId, name: trimmed || undefined })).then((r) => {
      if (r.meta.requestStatus === 'fulfilled') setName('');
    });
  };

  return (
    <aside className="sidebar history" aria-label="History" data-testid="history-panel">
      <div className="sidebar-head">
        <h2>History</h2>
        <button type="button" className="icon-button" aria-label="Close history" onClick={() => dispatch(historyToggled(false))}>
          ×
        </button>
      </div>
      {canEdit && (
        <form className="version-save" onSubmit={save}>
          <label htmlFor="version-name">Name the current version</label>
          <input
            id="version-name"
            className="input"
            data-testid="version-name"
            placeholder="before refactor"
            value={name}
            maxLength={MAX_VERSION_NAME}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" className="button small" data-testid="version-save" disabled={busy}>
            Save version
          </button>
        </form>
      )}
      {notice && (
        <p className="small-text notice-line" role="status" data-testid="history-notice">
          {notice}
        </p>
      )}
      {status === 'error' && <p className="error small-text">{error}</p>}
      {status === 'loading' && <p className="muted small-text">Loading history…</p>}
      {status === 'ready' && versions.length === 0 && (
        <p className="muted small-text">No versions yet: one is recorded after each burst of editing.</p>
      )}
      <ul className="versions" data-testid="versions">
        {versions.map((v) => (
          <li key={v.id}>
            <button
              type="button"
              className={`version ${v.id === selectedId ? 'selected' : ''}`}
              data-testid="version-item"
              data-version-id={v.id}
              aria-pressed={v.id === selectedId}
              onClick={() => dispatch(versionSelected(v.id === selectedId ? null : v.id))}
            >
              <span className={`version-label ${v.name ? 'named' : ''}`}>{versionLabel(v)}</span>
              <span className="muted small-text">
                #{v.id} · {formatWhen(v.created_at)}
              </span>
              <span className="muted small-text version-meta">{describe(v)}</span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
