/**
 * The one place that loads Monaco. `editor.main.js` is trimmed by the
 * `lean-monaco` Vite plugin to the editor contributions; the grammars we
 * offer are registered here. Everything runs on the plain editor worker.
 */
import 'monaco-editor/editor/editor.main.js';
import * as monaco from 'monaco-editor/editor/editor.api.js';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import * as python from 'monaco-editor/languages/definitions/python/python.js';
import * as javascript from 'monaco-editor/languages/definitions/javascript/javascript.js';
import * as typescript from 'monaco-editor/languages/definitions/typescript/typescript.js';
import * as rust from 'monaco-editor/languages/definitions/rust/rust.js';
import * as go from 'monaco-editor/languages/definitions/go/go.js';
import * as java from 'monaco-editor/languages/definitions/java/java.js';
import * as cpp from 'monaco-editor/languages/definitions/cpp/cpp.js';

// Grammars are registered eagerly (they are small) rather than through
// monaco's lazy loaders, so switching language works while offline.
const grammars = { python, javascript, typescript, rust, go, java, cpp };
for (const [id, grammar] of Object.entries(grammars)) {
  monaco.languages.register({ id });
  monaco.languages.setMonarchTokensProvider(id, grammar.language);
  monaco.languages.setLanguageConfiguration(id, grammar.conf);
}

// Without getWorker Monaco builds an unbundled data: URL worker and throws.
self.MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
};

monaco.editor.defineTheme('pairprog-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: { 'editor.background': '#14161c', 'editorGutter.background': '#14161c' },
});
monaco.editor.defineTheme('pairprog-light', { base: 'vs', inherit: true, rules: [], colors: {} });

export function monacoTheme(theme: 'dark' | 'light'): string {
  return theme === 'dark' ? 'pairprog-dark' : 'pairprog-light';
}

export { monaco };
