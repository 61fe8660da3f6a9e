import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { parseRoute, useRoute } from './useRoute';

describe('routing', () => {
  it('parses paths', () => {
    expect(parseRoute('/')).toEqual({ name: 'home' });
    expect(parseRoute('/r/abc123')).toEqual({ name: 'room', roomId: 'abc123' });
    expect(parseRoute('/r/abc123/')).toEqual({ name: 'room', roomId: 'abc123' });
    expect(parseRoute('/r/a%20b')).toEqual({ name: 'room', roomId: 'a b' });
    expect(parseRoute('/elsewhere')).toEqual({ name: 'home' });
  });

  it('navigates with the History API and follows back/forward', () => {
    window.history.replaceState(null, '', '/');
    const { result } = renderHook(() => useRoute());
    expect(result.current[0]).toEqual({ name: 'home' });
    act(() => result.current[1]('/r/room42'));
    expect(window.location.pathname).toBe('/r/room42');
    expect(result.current[0]).toEqual({ name: 'room', roomId: 'room42' });
    act(() => {
      window.history.replaceState(null, '', '/');
      window.dispatchEvent(new PopStateEvent('popstate'));
    });
    expect(result.current[0]).toEqual({ name: 'home' });
  });
});
