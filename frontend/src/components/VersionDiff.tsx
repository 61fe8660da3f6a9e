import { useEffect, useRef, useState } from 'react';
import { monaco, monacoTheme } from '../monaco/setup';
import { monacoLanguage } from '../languages';
import { getVersion, versionDownloadUrl, type VersionInfo } from '../api';
import { useAppDispatch, useAppSelector } from '../store';
import { restoreVersion, versionLabel, versionSelected } from '../store/historySlice';
import type { RoomConnection } from '../hooks/useRoomConnection';
import { formatWhen } from './HistoryPanel';

interface Props {
  conn: RoomConnection;
  roomId: string;
  version: VersionInfo;
  /** The room's language now. */
  language: string;
  /** Viewers compare and download; only editors restore. */
  canEdit: boolean;
}

/**
 * A version side by side with the current text, in Monaco's diff editor,
 * read-only on both sides; the right side follows the live document.
 */
export default function VersionDiff({ conn, roomId, version, language, canEdit }: Props) {
  const dispatch = useAppDispatch();
  const busy = useAppSelector((s) => s.history.busy);
  const theme = useAppSelector((s) => s.user.theme);
  const themeRef = useRef(theme);
  themeRef.current = theme;
  const host = useRef<HTMLDivElement>(null);
  const [loaded, setLoaded] = useState<{ id: number; code: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const aborter = new AbortController();
    setError(null);
    getVersion(roomId, version.id, aborter.signal)
      .then((v) => setLoaded({ id: v.id, code: v.code }))
      .catch((err: unknown) => {
        if (!aborter.signal.aborted) setError(`Could not load version #${version.id}: ${err instanceof Error ? err.message : err}`);
      });
    return () => aborter.abort();
  }, [roomId, version.id]);

  const code = loaded?.id === version.id ? loaded.code : null;

  useEffect(() => {
    if (code === null || !host.current) return;
    const original = monaco.editor.createModel(code, monacoLanguage(version.language));
    const modified = monaco.editor.createModel(conn.text.toString(), monacoLanguage(language));
    const diff = monaco.editor.createDiffEditor(host.current, {
      readOnly: true,
      originalEditable: false,
      automaticLayout: true,
      renderSideBySide: true,
      useInlineViewWhenSpaceIsLimited: false,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 14,
      theme: monacoTheme(themeRef.current),
    });
    diff.setModel({ original, modified });
    const follow = () => modified.setValue(conn.text.toString());
    conn.text.observe(follow);
    // Read-only handle for the end-to-end test.
    const w = window as Window & { __pairprogDiff?: unknown };
    w.__pairprogDiff = {
      original: () => original.getValue(),
      modified: () => modified.getValue(),
      readOnly: () => [diff.getOriginalEditor(), diff.getModifiedEditor()].every((e) => e.getOption(monaco.editor.EditorOption.readOnly)),
      lineChanges: () => diff.getLineChanges()?.length ?? null,
    };
    return () => {
      delete w.__pairprogDiff;
      conn.text.unobserve(follow);
      diff.dispose();
      original.dispose();
      modified.dispose();
    };
  }, [code, conn, version.language, language]);

  const restore = () => {
    void dispatch(restoreVersion({ roomId, id: version.id }));
  };

  return (
    <section className="version-diff" data-testid="version-diff" aria-label={`Version #${version.id} against now`}>
      <header className="version-diff-head">
        <div className="version-diff-title">
          <strong>{versionLabel(version)}</strong>
          <span className="muted small-text">
            #{version.id} · {formatWhen(version.created_at)} (left) against now (right)
          </span>
        </div>
        {canEdit && (
          <button type="button" className="button small primary" data-testid="version-restore" disabled={busy || code === null} onClick={restore}>
            Restore this version
          </button>
        )}
        <a className="button small" data-testid="version-download" href={versionDownloadUrl(roomId, version.id)} download>
          Download
        </a>
        <button type="button" className="icon-button" data-testid="version-diff-close" aria-label="Close the comparison" onClick={() => dispatch(versionSelected(null))}>
          ×
        </button>
      </header>
      {error ? (
        <p className="error center">{error}</p>
      ) : code === null ? (
        <p className="muted center">Loading version…</p>
      ) : null}
      <div className="version-diff-editor" ref={host} />
    </section>
  );
}
