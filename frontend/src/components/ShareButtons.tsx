import { useEffect, useState } from 'react';
import { copyText } from '../clipboard';
import { shareLink } from '../roomId';

type Copied = 'id' | 'link' | 'view' | 'failed' | null;

interface Props {
  /** The id this page uses: the edit id for an editor, the view id for a viewer. */
  roomId: string;
  /** The room's view-only id, when known. */
  viewId: string | null;
  /** Only an editor is shown (and may copy) the edit link. */
  canEdit: boolean;
}

export function ShareButtons({ roomId, viewId, canEdit }: Props) {
  const [copied, setCopied] = useState<Copied>(null);
  const [failedText, setFailedText] = useState('');

  useEffect(() => {
    if (!copied) return;
    const t = window.setTimeout(() => setCopied(null), 1800);
    return () => window.clearTimeout(t);
  }, [copied]);

  const copy = async (what: 'id' | 'link' | 'view') => {
    const text = what === 'id' ? roomId : what === 'link' ? shareLink(roomId) : shareLink(viewId ?? roomId);
    const ok = await copyText(text);
    setFailedText(text);
    setCopied(ok ? what : 'failed');
  };

  return (
    <span className="share">
      <button type="button" className="button small copy-id" data-testid="copy-id" onClick={() => void copy('id')}>
        {copied === 'id' ? 'Copied!' : 'Copy id'}
      </button>
      {canEdit && (
        <button
          type="button"
          className="button small primary"
          data-testid="copy-link"
          title="Anyone with this link can edit"
          onClick={() => void copy('link')}
        >
          {copied === 'link' ? 'Link copied!' : 'Share link'}
        </button>
      )}
      {viewId && (
        <button
          type="button"
          className="button small"
          data-testid="copy-view-link"
          data-link={shareLink(viewId)}
          title="Anyone with this link can watch, not edit"
          onClick={() => void copy('view')}
        >
          {copied === 'view' ? 'View link copied!' : 'View link'}
        </button>
      )}
      {copied === 'failed' && (
        <span className="error small-text" role="alert">
          Copy failed: {failedText}
        </span>
      )}
    </span>
  );
}
