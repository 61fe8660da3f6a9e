import { describe, expect, it } from 'vitest';
import { cleanName, COLORS, isColor, lightColor, randomColor, randomName } from './identity';

describe('identity', () => {
  it('makes two-word friendly names', () => {
    expect(randomName(() => 0)).toBe('Curious Otter');
    expect(randomName()).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
  });

  it('picks colours from the palette', () => {
    expect(COLORS).toContain(randomColor());
    expect(randomColor(() => 0.9999)).toBe(COLORS[COLORS.length - 1]);
  });

  it('cleans names and checks colours', () => {
    expect(cleanName('  Ada\n Lovelace  ')).toBe('Ada Lovelace');
    expect(cleanName('x'.repeat(100))).toHaveLength(32);
    expect(isColor('#12ab9F')).toBe(true);
    expect(isColor('red; }')).toBe(false);
    expect(lightColor('#112233')).toBe('#11223333');
  });
});
