import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentToken, refreshToken, setToken, tokenName } from './token';

function jwt(claims: object): string {
  const b64 = (s: string) => btoa(unescape(encodeURIComponent(s))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${b64('{"alg":"HS256"}')}.${b64(JSON.stringify(claims))}.sig`;
}

afterEach(() => {
  delete window.pairprog;
  setToken(null);
});

describe('token', () => {
  it('reads the display name a token carries', () => {
    expect(tokenName(jwt({ room: '*', role: 'edit', exp: 1, name: 'Zoë Ærø' }))).toBe('Zoë Ærø');
    expect(tokenName(jwt({ room: '*', role: 'edit', exp: 1 }))).toBeNull();
    expect(tokenName('garbage')).toBeNull();
    expect(tokenName(null)).toBeNull();
  });

  it("asks the page's hook once for concurrent refreshes, and keeps the answer", async () => {
    const hook = vi.fn(async () => 'fresh.token.value');
    window.pairprog = { refreshToken: hook };
    setToken('old');
    const [a, b] = await Promise.all([refreshToken('room01', 'expired'), refreshToken('room01', 'expired')]);
    expect([a, b]).toEqual(['fresh.token.value', 'fresh.token.value']);
    expect(hook).toHaveBeenCalledTimes(1);
    expect(hook).toHaveBeenCalledWith({ roomId: 'room01', reason: 'expired' });
    expect(currentToken()).toBe('fresh.token.value');
  });

  it('keeps the old token when the page has none to give', async () => {
    setToken('old');
    window.pairprog = { refreshToken: () => null };
    expect(await refreshToken('room01', 'expired')).toBeNull();
    window.pairprog = {
      refreshToken: () => {
        throw new Error('login needed');
      },
    };
    expect(await refreshToken('room01', 'expired')).toBeNull();
    expect(currentToken()).toBe('old');
  });
});
