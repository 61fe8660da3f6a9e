/**
 * From the server's answer to what an editor inserts, in plain offsets
 * (UTF-16 units, as Monaco counts): no Monaco import, so it is unit-tested
 * on its own. Every item replaces [start, end) with `insertText`, which
 * begins with the text already typed in [start, cursor) so the editor's
 * own filtering keeps matching while the user types on.
 */
import type { Suggestion, SuggestionItem, SuggestionKind } from '../api';

export interface EditItem {
  label: string;
  detail: string;
  kind: SuggestionKind;
  insertText: string;
  filterText: string;
  /** Offsets into the text: the replaced range. */
  start: number;
  end: number;
  /** Keeps the server's ranking among equally good matches. */
  sortText: string;
  confidence: number;
  multiline: boolean;
}

export function toEditItems(answer: Suggestion, text: string, cursor: number): EditItem[] {
  return (answer.suggestions ?? []).map((s, i) => toEditItem(s, i, answer.prefixLength ?? 0, text, cursor));
}

function toEditItem(s: SuggestionItem, rank: number, prefixLength: number, text: string, cursor: number): EditItem {
  const start = Math.max(0, cursor - Math.max(s.replaceBefore, prefixLength));
  const kept = text.slice(start, cursor - s.replaceBefore);
  const insertText = kept + s.text;
  return {
    label: s.label,
    detail: s.description,
    kind: s.kind,
    insertText,
    filterText: text.slice(start, cursor) + s.text,
    start,
    end: Math.min(text.length, cursor + s.replaceAfter),
    sortText: String(rank).padStart(3, '0'),
    confidence: s.confidence,
    multiline: s.text.includes('\n'),
  };
}

/** The inline (ghost text) suggestion: the best multi-line snippet, if any. */
export function ghostItem(items: EditItem[]): EditItem | undefined {
  return items.find((i) => i.kind === 'snippet' && i.multiline);
}

/**
 * After a typed space the list opens only for what that space triggered
 * (a snippet after `for `, the modules after `import `), not for every
 * name that could follow.
 */
export function afterSpace(items: EditItem[]): EditItem[] {
  return items.filter((i) => i.confidence >= 0.5 && (i.kind === 'snippet' || i.kind === 'module'));
}
