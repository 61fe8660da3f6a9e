import { lazy, Suspense, useEffect, useState } from 'react';
import { useAppSelector } from '../store';
import { useRoomConnection } from '../hooks/useRoomConnection';
import { useRoomPolling } from '../hooks/useRoomPolling';
import { useMediaQuery } from '../hooks/useMediaQuery';
import { ConnectionBadge } from './ConnectionBadge';
import { LanguageSelect } from './LanguageSelect';
import { Logo } from './Logo';
import { ShareButtons } from './ShareButtons';
import { Sidebar } from './Sidebar';
import { ThemeToggle } from './ThemeToggle';
import { RemoteCursorStyles } from './RemoteCursorStyles';

// Monaco is big: load it only once a room is open.
const CodeEditor = lazy(() => import('./CodeEditor'));

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
        </main>
        <Sidebar onClose={() => setSidebarOpen(false)} />
      </div>
      <RemoteCursorStyles />
    </div>
  );
}
