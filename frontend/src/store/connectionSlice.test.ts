import { describe, expect, it } from 'vitest';
import reducer, { connectionReset, connectionState, onlineChanged, providerStatusChanged, syncedChanged } from './connectionSlice';

describe('connectionSlice', () => {
  const start = reducer(undefined, connectionReset());

  it('is connecting before the first connection', () => {
    expect(connectionState(reducer(start, providerStatusChanged('connecting')))).toBe('connecting');
  });

  it('is connected, then reconnecting after a drop', () => {
    let s = reducer(start, providerStatusChanged('connected'));
    s = reducer(s, syncedChanged(true));
    expect(connectionState(s)).toBe('connected');
    expect(s.synced).toBe(true);
    s = reducer(s, providerStatusChanged('disconnected'));
    expect(connectionState(s)).toBe('reconnecting');
    expect(s.synced).toBe(false);
    s = reducer(s, providerStatusChanged('connecting'));
    expect(connectionState(s)).toBe('reconnecting');
  });

  it('is offline whenever the browser is', () => {
    let s = reducer(start, providerStatusChanged('connected'));
    s = reducer(s, onlineChanged(false));
    expect(connectionState(s)).toBe('offline');
    s = reducer(s, onlineChanged(true));
    expect(connectionState(s)).toBe('connected');
  });
});
