import { describe, expect, it } from 'vitest';
import reducer, { colorChanged, loadUserState, nameChanged, saveUserState, themeToggled, USER_STORAGE_KEY } from './userSlice';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    data,
  };
}

describe('userSlice', () => {
  it('makes up a friendly identity the first time', () => {
    const u = loadUserState(memoryStorage());
    expect(u.name).toMatch(/^\w+ \w+$/);
    expect(u.color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(u.theme).toBe('dark');
  });

  it('restores a saved identity and ignores garbage', () => {
    const s = memoryStorage({ [USER_STORAGE_KEY]: JSON.stringify({ name: 'Ada', color: '#0090ff', theme: 'light' }) });
    expect(loadUserState(s)).toEqual({ name: 'Ada', color: '#0090ff', theme: 'light' });
    const bad = memoryStorage({ [USER_STORAGE_KEY]: '{not json' });
    expect(loadUserState(bad).theme).toBe('dark');
    const evil = memoryStorage({ [USER_STORAGE_KEY]: JSON.stringify({ color: 'red}body{x', theme: 'x' }) });
    expect(loadUserState(evil).color).toMatch(/^#/);
  });

  it('round-trips through storage', () => {
    const s = memoryStorage();
    saveUserState({ name: 'Bob', color: '#e5484d', theme: 'light' }, s);
    expect(loadUserState(s)).toEqual({ name: 'Bob', color: '#e5484d', theme: 'light' });
  });

  it('renames, recolours and toggles the theme', () => {
    let s = { name: 'Curious Otter', color: '#0090ff', theme: 'dark' as const };
    let next = reducer(s, nameChanged('  Grace  '));
    expect(next.name).toBe('Grace');
    next = reducer(next, nameChanged('   '));
    expect(next.name).toBe('Grace');
    next = reducer(next, colorChanged('not-a-colour'));
    expect(next.color).toBe('#0090ff');
    next = reducer(next, colorChanged('#46a758'));
    expect(next.color).toBe('#46a758');
    next = reducer(next, themeToggled());
    expect(next.theme).toBe('light');
    s = { ...s };
    expect(reducer(reducer(s, themeToggled()), themeToggled()).theme).toBe('dark');
  });
});
