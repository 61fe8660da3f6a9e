/** The languages the app offers; ids are Monaco's and the server's. */
export const LANGUAGES = [
  { id: 'python', label: 'Python' },
  { id: 'javascript', label: 'JavaScript' },
  { id: 'typescript', label: 'TypeScript' },
  { id: 'rust', label: 'Rust' },
  { id: 'go', label: 'Go' },
  { id: 'java', label: 'Java' },
  { id: 'c', label: 'C' },
  { id: 'cpp', label: 'C++' },
] as const;

export type LanguageId = (typeof LANGUAGES)[number]['id'];

export function isLanguage(value: unknown): value is LanguageId {
  return typeof value === 'string' && LANGUAGES.some((l) => l.id === value);
}

/** Monaco has no separate C grammar: C is highlighted by the C++ one. */
export function monacoLanguage(lang: string): string {
  return lang === 'c' ? 'cpp' : isLanguage(lang) ? lang : 'plaintext';
}
