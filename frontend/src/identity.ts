/** Friendly random names and colours for participants. */

const ADJECTIVES = [
  'Curious', 'Brave', 'Calm', 'Clever', 'Gentle', 'Happy', 'Jolly', 'Kind',
  'Lively', 'Lucky', 'Merry', 'Nimble', 'Quick', 'Quiet', 'Sunny', 'Witty',
];
const ANIMALS = [
  'Otter', 'Panda', 'Fox', 'Owl', 'Badger', 'Heron', 'Koala', 'Lynx',
  'Marten', 'Narwhal', 'Puffin', 'Quokka', 'Robin', 'Seal', 'Tiger', 'Wombat',
];
/** Colours that read well on both the dark and the light theme. */
export const COLORS = [
  '#e5484d', '#f76b15', '#ffc53d', '#46a758', '#12a594',
  '#0090ff', '#6e56cf', '#d6409f', '#ab4aba', '#00a2c7',
];

function pick<T>(items: readonly T[], rand: () => number): T {
  return items[Math.floor(rand() * items.length) % items.length];
}

export function randomName(rand: () => number = Math.random): string {
  return `${pick(ADJECTIVES, rand)} ${pick(ANIMALS, rand)}`;
}

export function randomColor(rand: () => number = Math.random): string {
  return pick(COLORS, rand);
}

/** The colour at ~20 % opacity, for selection backgrounds. */
export function lightColor(color: string): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}33` : color;
}

export const MAX_NAME_LENGTH = 32;

export function cleanName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_NAME_LENGTH);
}

export function isColor(value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value);
}
