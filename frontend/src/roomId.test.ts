import { describe, expect, it } from 'vitest';
import { isValidRoomId, parseRoomInput, roomPath, shareLink } from './roomId';

describe('room ids', () => {
  it('accepts the server format only', () => {
    expect(isValidRoomId('aZ3kP9qLm2')).toBe(true);
    expect(isValidRoomId('abc_-1')).toBe(true);
    expect(isValidRoomId('abc12')).toBe(false);
    expect(isValidRoomId('a'.repeat(65))).toBe(false);
    expect(isValidRoomId('abc 123')).toBe(false);
    expect(isValidRoomId('../etc/passwd')).toBe(false);
  });

  it('parses bare ids, paths and share links', () => {
    expect(parseRoomInput('  aZ3kP9qLm2 ')).toBe('aZ3kP9qLm2');
    expect(parseRoomInput('/r/aZ3kP9qLm2')).toBe('aZ3kP9qLm2');
    expect(parseRoomInput('http://localhost:8000/r/aZ3kP9qLm2')).toBe('aZ3kP9qLm2');
    expect(parseRoomInput('https://pair.example.com/r/aZ3kP9qLm2/')).toBe('aZ3kP9qLm2');
    expect(parseRoomInput('https://pair.example.com/r/bad!id')).toBeNull();
    expect(parseRoomInput('hello world')).toBeNull();
    expect(parseRoomInput('')).toBeNull();
  });

  it('builds paths and links', () => {
    expect(roomPath('abc123')).toBe('/r/abc123');
    expect(shareLink('abc123', 'https://x.test')).toBe('https://x.test/r/abc123');
  });
});
