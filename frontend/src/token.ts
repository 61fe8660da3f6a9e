/**
 * The access token of deployments that put pairprog behind their own login
 * (`auth.token_secret` / `auth.token_public_key` on the server).
 *
 * The page URL brings the first one (`/r/{id}?token=…`). When the server
 * refuses it (an expired token closes the socket with 4401, REST answers
 * 401), the app asks the page that embeds it for a new one, through the
 * documented hook (README, "Embedding with tokens"):
 *
 * - `window.pairprog.refreshToken({ roomId, reason })`, a function the page
 *   defines, returning the new token (or a promise of it); else
 * - inside an iframe, a `{ type: 'pairprog:token-request', roomId, reason }`
 *   message to the parent window, which answers with
 *   `{ type: 'pairprog:token', token }`.
 *
 * Share links never carry the token.
 */

export type RefreshReason = 'expired' | 'unauthorized';

export interface TokenHook {
  refreshToken?: (request: { roomId: string | null; reason: RefreshReason }) => string | null | Promise<string | null>;
}

declare global {
  interface Window {
    pairprog?: TokenHook;
  }
}

/** How long the parent window has to answer a token request. */
export const PARENT_TIMEOUT_MS = 10_000;

function fromUrl(search: string): string | null {
  const token = new URLSearchParams(search).get('token');
  return token && token.trim() ? token.trim() : null;
}

let current: string | null = typeof window === 'undefined' ? null : fromUrl(window.location.search);
let pending: Promise<string | null> | null = null;

export function currentToken(): string | null {
  return current;
}

/** Replaces the token (tests, and the refresh below). */
export function setToken(token: string | null): void {
  current = token;
}

/** The display name a token carries, if any (read, not verified: the server verifies). */
export function tokenName(token: string | null = current): string | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { name?: unknown };
    return typeof claims.name === 'string' && claims.name.trim() ? claims.name : null;
  } catch {
    return null;
  }
}

function askParent(roomId: string | null, reason: RefreshReason): Promise<string | null> {
  if (window.parent === window) return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = (token: string | null) => {
      window.clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      resolve(token);
    };
    const onMessage = (e: MessageEvent) => {
      if (e.source !== window.parent) return;
      const data = e.data as { type?: unknown; token?: unknown } | null;
      if (data?.type === 'pairprog:token') done(typeof data.token === 'string' && data.token ? data.token : null);
    };
    const timer = window.setTimeout(() => done(null), PARENT_TIMEOUT_MS);
    window.addEventListener('message', onMessage);
    window.parent.postMessage({ type: 'pairprog:token-request', roomId, reason }, '*');
  });
}

async function ask(roomId: string | null, reason: RefreshReason): Promise<string | null> {
  const hook = window.pairprog?.refreshToken;
  if (typeof hook === 'function') {
    try {
      const token = await hook({ roomId, reason });
      return typeof token === 'string' && token ? token : null;
    } catch {
      return null;
    }
  }
  return askParent(roomId, reason);
}

/**
 * Asks the page for a new token; concurrent callers share one request.
 * Resolves to the new token (now current), or null when the page has none.
 */
export function refreshToken(roomId: string | null, reason: RefreshReason): Promise<string | null> {
  if (!pending) {
    pending = ask(roomId, reason).then((token) => {
      pending = null;
      if (token) current = token;
      return token;
    });
  }
  return pending;
}
