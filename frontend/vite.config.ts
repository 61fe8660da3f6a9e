/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * monaco-editor's `editor.main.js` registers ~80 languages, the TypeScript,
 * JSON, CSS and HTML language services and an LSP client. We keep only the
 * editor contributions (find, folding, inline suggestions, ...) and import the
 * eight basic-language grammars we offer ourselves (see src/monaco/setup.ts).
 * That keeps the bundle a few MB instead of ~15 MB and needs a single worker.
 */
function leanMonaco(): Plugin {
  return {
    name: 'pairprog:lean-monaco',
    enforce: 'pre',
    transform(code, id) {
      if (!/monaco-editor[\\/]esm[\\/]vs[\\/]editor[\\/]editor\.main\.js$/.test(id)) return null;
      const kept = code
        .split('\n')
        .filter(
          (line) =>
            !/languages\/(definitions|features)\//.test(line) &&
            !/monaco-lsp-client/.test(line) &&
            !/^export \{ (index|__src_languages)/.test(line),
        )
        .join('\n');
      return { code: kept, map: null };
    },
  };
}

export default defineConfig({
  plugins: [leanMonaco(), react()],
  resolve: {
    // y-monaco imports a path monaco-editor >= 0.56 no longer exports; point it
    // at the exported file so y-monaco and the app share one monaco instance.
    alias: [
      {
        find: /^monaco-editor\/esm\/vs\/editor\/editor\.api(\.js)?$/,
        replacement: 'monaco-editor/editor/editor.api.js',
      },
    ],
  },
  build: {
    chunkSizeWarningLimit: 4096,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/yjs': { target: 'ws://127.0.0.1:8000', ws: true },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
