import { useEffect, useState } from 'react';
import { copyText } from '../clipboard';
import { shareLink } from '../roomId';

type Copied = 'id' | 'link' | 'failed' | null;

export function ShareButtons({ roomId }: { roomId: string }) {
  const [copied, setCopied] = useState<Copied>(null);

  useEffect(() => {
    if (!copied) return;
    const t = window.setTimeout(() => setCopied(null), 1800);
    return () => window.clearTimeout(t);
  }, [copied]);

  const copy = async (what: 'id' | 'link') => {
    const ok = await copyText(what === 'id' ? roomId : shareLink(roomId));
    setCopied(ok ? what : 'failed');
  };

  return (
    <span className="share">
      <button type="button" className="button small copy-id" data-testid="copy-id" onClick={() => void copy('id')}>
        {copied === 'id' ? 'Copied!' : 'Copy id'}
      </button>
      <button type="button" className="button small primary" data-testid="copy-link" onClick={() => void copy('link')}>
        {copied === 'link' ? 'Link copied!' : 'Share link'}
      </button>
      {copied === 'failed' && (
        <span className="error small-text" role="alert">
          Copy failed: {shareLink(roomId)}
        </span>
      )}
    </span>
  );
}
