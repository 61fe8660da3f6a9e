import { autocomplete } from '../api';
import { monaco } from './setup';

export const AUTOCOMPLETE_DELAY_MS = 600;

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
 * Ghost-text suggestions from `/api/autocomplete` for one editor, shown after
 * a pause in typing. Monaco cancels the token on every keystroke, which is
 * our debounce; Tab accepts and Escape dismisses, natively.
 */
export function registerAutocomplete(
  editor: monaco.editor.IStandaloneCodeEditor,
  getLanguage: () => string,
): monaco.IDisposable {
  return monaco.languages.registerInlineCompletionsProvider('*', {
    displayName: 'pairprog',
    async provideInlineCompletions(model, position, _context, token) {
      const empty = { items: [] };
      if (model !== editor.getModel()) return empty;
      if (!(await sleep(AUTOCOMPLETE_DELAY_MS, token))) return empty;
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        const res = await autocomplete(model.getValue(), model.getOffsetAt(position), getLanguage(), abort.signal);
        if (token.isCancellationRequested || !res.suggestion) return empty;
        const at = new monaco.Range(position.lineNumber, position.column, position.lineNumber, position.column);
        return { items: [{ insertText: res.suggestion, range: at }] };
      } catch {
        return empty;
      } finally {
        sub.dispose();
      }
    },
    disposeInlineCompletions() {},
  });
}
