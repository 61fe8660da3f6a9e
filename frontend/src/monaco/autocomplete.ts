import { autocomplete, type Suggestion, type SuggestionKind } from '../api';
import { afterSpace, ghostItem, toEditItems, type EditItem } from './completionItems';
import { monaco } from './setup';

export const AUTOCOMPLETE_DELAY_MS = 600;

const KINDS: Record<SuggestionKind, monaco.languages.CompletionItemKind> = {
  snippet: monaco.languages.CompletionItemKind.Snippet,
  keyword: monaco.languages.CompletionItemKind.Keyword,
  function: monaco.languages.CompletionItemKind.Function,
  method: monaco.languages.CompletionItemKind.Method,
  class: monaco.languages.CompletionItemKind.Class,
  struct: monaco.languages.CompletionItemKind.Struct,
  interface: monaco.languages.CompletionItemKind.Interface,
  enum: monaco.languages.CompletionItemKind.Enum,
  field: monaco.languages.CompletionItemKind.Field,
  variable: monaco.languages.CompletionItemKind.Variable,
  constant: monaco.languages.CompletionItemKind.Constant,
  module: monaco.languages.CompletionItemKind.Module,
  type: monaco.languages.CompletionItemKind.TypeParameter,
};

function sleep(ms: number, token: monaco.CancellationToken): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const sub = token.onCancellationRequested(() => {
      clearTimeout(timer);
      sub.dispose();
      resolve(false);
    });
  });
}

/**
 * One request per document version and cursor: the list and the inline
 * suggestion at the same spot share it. Not aborted when one of them gives
 * up, since the other may still want the answer (it is small and fast).
 */
function sharedRequests() {
  let last: { key: string; answer: Promise<Suggestion> } | null = null;
  return (model: monaco.editor.ITextModel, offset: number, language: string): Promise<Suggestion> => {
    const key = `${model.uri.toString()}|${model.getVersionId()}|${offset}|${language}`;
    if (last?.key !== key) {
      const answer = autocomplete(model.getValue(), offset, language);
      answer.catch(() => {
        if (last?.key === key) last = null;
      });
      last = { key, answer };
    }
    return last.answer;
  };
}

function rangeOf(model: monaco.editor.ITextModel, item: EditItem): monaco.Range {
  const start = model.getPositionAt(item.start);
  const end = model.getPositionAt(item.end);
  return new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column);
}

/**
 * Suggestions from `/api/autocomplete` for one editor: the ranked list in
 * Monaco's completion widget (kinds as icons; Tab or Enter inserts, Escape
 * closes), and the best multi-line snippet as ghost text after a pause in
 * typing (Monaco cancels the token on every keystroke, which is the
 * debounce; Tab accepts, Escape dismisses).
 */
export function registerAutocomplete(editor: monaco.editor.IStandaloneCodeEditor, getLanguage: () => string): monaco.IDisposable {
  const request = sharedRequests();

  const list = monaco.languages.registerCompletionItemProvider('*', {
    triggerCharacters: ['.', ' ', ':', '>', '(', '<', '@', '#'],
    async provideCompletionItems(model, position, context, token) {
      const none = { suggestions: [] };
      if (model !== editor.getModel()) return none;
      const offset = model.getOffsetAt(position);
      try {
        const answer = await request(model, offset, getLanguage());
        if (token.isCancellationRequested) return none;
        let items = toEditItems(answer, model.getValue(), offset);
        if (context.triggerKind === monaco.languages.CompletionTriggerKind.TriggerCharacter && context.triggerCharacter === ' ') {
          items = afterSpace(items);
        }
        return {
          suggestions: items.map((item) => ({
            label: item.label,
            detail: item.detail,
            kind: KINDS[item.kind] ?? monaco.languages.CompletionItemKind.Text,
            insertText: item.insertText,
            // The server already indented every line as the document does.
            insertTextRules: monaco.languages.CompletionItemInsertTextRule.KeepWhitespace,
            filterText: item.filterText,
            sortText: item.sortText,
            range: rangeOf(model, item),
          })),
        };
      } catch {
        return none;
      }
    },
  });

  const inline = monaco.languages.registerInlineCompletionsProvider('*', {
    displayName: 'pairprog',
    async provideInlineCompletions(model, position, _context, token) {
      const empty = { items: [] };
      if (model !== editor.getModel()) return empty;
      if (!(await sleep(AUTOCOMPLETE_DELAY_MS, token))) return empty;
      const offset = model.getOffsetAt(position);
      try {
        const answer = await request(model, offset, getLanguage());
        if (token.isCancellationRequested) return empty;
        const best = ghostItem(toEditItems(answer, model.getValue(), offset));
        if (!best) return empty;
        return { items: [{ insertText: best.insertText, range: rangeOf(model, best) }] };
      } catch {
        return empty;
      }
    },
    disposeInlineCompletions() {},
  });

  return {
    dispose() {
      list.dispose();
      inline.dispose();
    },
  };
}
