/**
 * The one place that loads Monaco. `editor.main.js` is trimmed by the
 * `lean-monaco` Vite plugin to the editor contributions; the grammars we
 * offer are registered here. Everything runs on the plain editor worker.
 */
import 'monaco-editor/editor/editor.main.js';
import * as monaco from 'monaco-editor/editor/editor.api.js';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import 'monaco-editor/languages/definitions/python/register.js';
import 'monaco-editor/languages/definitions/javascript/register.js';
import 'monaco-editor/languages/definitions/typescript/register.js';
import 'monaco-editor/languages/definitions/rust/register.js';
import 'monaco-editor/languages/definitions/go/register.js';
import 'monaco-editor/languages/definitions/java/register.js';
import 'monaco-editor/languages/definitions/cpp/register.js';

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
