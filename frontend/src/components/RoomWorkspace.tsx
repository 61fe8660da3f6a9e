import { lazy, Suspense, useEffect, useState } from 'react';
import { useAppDispatch, useAppSelector } from '../store';
import { historyToggled } from '../store/historySlice';
import { useRoomConnection } from '../hooks/useRoomConnection';
import { useRoomPolling } from '../hooks/useRoomPolling';
import { useMediaQuery } from '../hooks/useMediaQuery';
import { ConnectionBadge } from './ConnectionBadge';
import { LanguageSelect } from './LanguageSelect';
import { Logo } from './Logo';
import { ShareButtons } from './ShareButtons';
import { Sidebar } from './Sidebar';
import { HistoryPanel } from './HistoryPanel';
import { ThemeToggle } from './ThemeToggle';
import { RemoteCursorStyles } from './RemoteCursorStyles';

// Monaco is big: load it only once a room is open.
const CodeEditor = lazy(() => import('./CodeEditor'));
const VersionDiff = lazy(() => import('./VersionDiff'));

interface Props {
  roomId: string;
  goHome(): void;
}

export function RoomWorkspace({ roomId, goHome }: Props) {
  const conn = useRoomConnection(roomId);
  useRoomPolling(roomId);
  const language = useAppSelector((s) => s.room.language);
  const role = useAppSelector((s) => s.room.role);
  const viewId = useAppSelector((s) => s.room.viewId);
  const viewing = role === 'view';
  const dispatch = useAppDispatch();
  const historyOpen = useAppSelector((s) => s.history.open);
  const selected = useAppSelector((s) => s.history.versions.find((v) => v.id === s.history.selectedId) ?? null);
  // The sidebar is docked on wide windows and an overlay, closed by default, on narrow ones.
  const narrow = useMediaQuery('(max-width: 800px)');
  const [sidebarOpen, setSidebarOpen] = useState(!narrow);
  useEffect(() => setSidebarOpen(!narrow), [narrow]);
  useEffect(() => {
    document.title = `${roomId} · pairprog`;
    return () => {
      document.title = 'pairprog';
    };
  }, [roomId]);

  return (
    <div className={`room ${sidebarOpen ? 'sidebar-open' : 'sidebar-closed'}`}>
      <header className="topbar">
        <Logo onClick={goHome} />
        <span className="room-id" title="Room id" data-testid="room-id">
          {roomId}
        </span>
        {viewing && (
          <span className="view-only" data-testid="view-only" title="You can watch this room, not edit it">
            View only
          </span>
        )}
        <ShareButtons roomId={roomId} viewId={viewId} canEdit={!viewing} />
        <div className="spacer" />
        <LanguageSelect
          testId="room-language"
          value={language}
          disabled={!conn || viewing}
          onChange={(lang) => conn?.setLanguage(lang)}
        />
        <ConnectionBadge />
        <button
          type="button"
          className={`button small ${historyOpen ? 'primary' : ''}`}
          data-testid="history-toggle"
          aria-pressed={historyOpen}
          onClick={() => {
            dispatch(historyToggled());
            setSidebarOpen(true);
          }}
        >
          History
        </button>
        <ThemeToggle />
        <button
          type="button"
          className="icon-button"
          data-testid="sidebar-toggle"
          aria-expanded={sidebarOpen}
          aria-label={sidebarOpen ? 'Hide participants' : 'Show participants'}
          title={sidebarOpen ? 'Hide participants' : 'Show participants'}
          onClick={() => setSidebarOpen((o) => !o)}
        >
          ☰
        </button>
      </header>
      <div className="room-body">
        <main className="editor-pane">
          {conn ? (
            <Suspense fallback={<div className="editor-loading muted">Loading editor…</div>}>
              <CodeEditor conn={conn} language={language} readOnly={viewing} />
            </Suspense>
          ) : (
            <div className="editor-loading muted">Connecting…</div>
          )}
          {conn && selected && (
            <Suspense fallback={<div className="version-diff muted">Loading comparison…</div>}>
              <VersionDiff conn={conn} roomId={roomId} version={selected} language={language} canEdit={!viewing} />
            </Suspense>
          )}
        </main>
        {historyOpen ? <HistoryPanel roomId={roomId} canEdit={!viewing} /> : <Sidebar onClose={() => setSidebarOpen(false)} />}
      </div>
      <RemoteCursorStyles />
    </div>
  );
}
