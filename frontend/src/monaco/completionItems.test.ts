import { describe, expect, it } from 'vitest';
import type { Suggestion, SuggestionItem } from '../api';
import { afterSpace, ghostItem, toEditItems } from './completionItems';

function item(over: Partial<SuggestionItem>): SuggestionItem {
  return { text: '', label: '', kind: 'variable', confidence: 0.7, description: '', replaceBefore: 0, replaceAfter: 0, ...over };
}

function answer(items: SuggestionItem[], prefixLength: number): Suggestion {
  return { suggestion: items[0]?.text ?? '', confidence: 0, description: '', suggestions: items, prefixLength };
}

describe('toEditItems', () => {
  it('replaces the typed word with the whole name, so filtering keeps matching', () => {
    const text = 'def greet_user(): pass\ngre';
    const [e] = toEditItems(answer([item({ text: 'et_user', label: 'greet_user', kind: 'function' })], 3), text, text.length);
    expect(e.start).toBe(text.length - 3);
    expect(e.end).toBe(text.length);
    expect(e.insertText).toBe('greet_user');
    expect(e.filterText).toBe('greet_user');
  });

  it('types over an auto-closed bracket and replaces another language’s keyword', () => {
    const text = 'if ()';
    const [e] = toEditItems(answer([item({ text: 'condition) {\n  \n}', kind: 'snippet', replaceAfter: 1 })], 0), text, 4);
    expect([e.start, e.end, e.insertText]).toEqual([4, 5, 'condition) {\n  \n}']);
    expect(e.multiline).toBe(true);
    const js = 'def ';
    const [h] = toEditItems(answer([item({ text: 'function name() {\n}', kind: 'snippet', replaceBefore: 4 })], 0), js, 4);
    expect([h.start, h.end, h.insertText, h.filterText]).toEqual([0, 4, 'function name() {\n}', 'def function name() {\n}']);
  });

  it('counts UTF-16 units like the server, and keeps the server’s order', () => {
    const text = "s = '🙂'\nnä";
    const items = toEditItems(answer([item({ text: 'me', label: 'näme' }), item({ text: 'ive', label: 'näive' })], 2), text, text.length);
    expect(items[0].insertText).toBe('näme');
    expect(text.slice(items[0].start, items[0].end)).toBe('nä');
    expect(items.map((i) => i.sortText)).toEqual(['000', '001']);
  });
});

describe('which suggestions show where', () => {
  const items = toEditItems(
    answer(
      [
        item({ text: 'item in items:', kind: 'snippet', confidence: 0.75 }),
        item({ text: 'ClassName:\n    pass', kind: 'snippet', confidence: 0.7 }),
        item({ text: 'value', kind: 'variable', confidence: 0.3 }),
        item({ text: 'os', kind: 'module', confidence: 0.8 }),
      ],
      0,
    ),
    '',
    0,
  );

  it('ghost text is the best multi-line snippet', () => {
    expect(ghostItem(items)?.insertText).toBe('ClassName:\n    pass');
    expect(ghostItem(items.slice(0, 1))).toBeUndefined();
  });

  it('a space opens the list only for what it triggered', () => {
    expect(afterSpace(items).map((i) => i.kind)).toEqual(['snippet', 'snippet', 'module']);
  });
});
