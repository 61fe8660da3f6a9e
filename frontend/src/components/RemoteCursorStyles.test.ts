import { describe, expect, it } from 'vitest';
import { cssString, remoteCursorCss } from './RemoteCursorStyles';

describe('remote cursor CSS', () => {
  it('labels each remote client with its name and colour', () => {
    const css = remoteCursorCss([
      { clientId: 1, name: 'Me', color: '#000000', isLocal: true },
      { clientId: 42, name: 'Curious Otter', color: '#0090ff', isLocal: false },
    ]);
    expect(css).toContain('.yRemoteSelection-42 { background-color: #0090ff33; }');
    expect(css).toContain('.yRemoteSelectionHead-42::after { content: "Curious Otter"');
    expect(css).not.toContain('-1 ');
  });

  it('escapes names', () => {
    expect(cssString('a"b\\c\nd')).toBe('"a\\"b\\\\c d"');
    expect(remoteCursorCss([{ clientId: 7, name: '"}body{display:none', color: '#111111', isLocal: false }])).toContain(
      'content: "\\"}body{display:none"',
    );
  });
});
