import { useEffect, useRef } from 'react';
import { MonacoBinding } from 'y-monaco';
import { monaco, monacoTheme } from '../monaco/setup';
import { registerAutocomplete } from '../monaco/autocomplete';
import { monacoLanguage } from '../languages';
import { useAppSelector } from '../store';
import type { RoomConnection } from '../hooks/useRoomConnection';

interface Props {
  conn: RoomConnection;
  language: string;
  /** A viewer's editor: the text, the cursors, no typing. */
  readOnly?: boolean;
}

/** Monaco bound to the room's `code` text; the CRDT is the only copy of the text. */
export default function CodeEditor({ conn, language, readOnly = false }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const languageRef = useRef(language);
  languageRef.current = language;
  const theme = useAppSelector((s) => s.user.theme);
  const themeRef = useRef(theme);
  themeRef.current = theme;

  useEffect(() => {
    const model = monaco.editor.createModel('', monacoLanguage(languageRef.current));
    const editor = monaco.editor.create(host.current!, {
      model,
      theme: monacoTheme(themeRef.current),
      automaticLayout: true,
      fontSize: 14,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      tabSize: 4,
      inlineSuggest: { enabled: !readOnly },
      // The server's list already holds the document's own words, ranked.
      wordBasedSuggestions: 'off',
      padding: { top: 8 },
      readOnly,
      readOnlyMessage: { value: 'View only: this link cannot edit the room.' },
    });
    editorRef.current = editor;
    // Only well-formed remote states reach y-monaco: it throws on bad ones.
    const binding = new MonacoBinding(conn.text, model, new Set([editor]), conn.peers.forMonaco());
    const completions = readOnly ? null : registerAutocomplete(editor, () => languageRef.current);
    if (!readOnly) editor.focus();
    // Read-only handle for the end-to-end test and for debugging from the console.
    const w = window as Window & { __pairprog?: unknown };
    w.__pairprog = {
      editorText: () => model.getValue(),
      editorLanguage: () => model.getLanguageId(),
      readOnly: () => editor.getOption(monaco.editor.EditorOption.readOnly),
      clientId: conn.doc.clientID,
    };
    return () => {
      delete w.__pairprog;
      completions?.dispose();
      binding.destroy();
      editor.dispose();
      model.dispose();
      editorRef.current = null;
    };
  }, [conn, readOnly]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (model) monaco.editor.setModelLanguage(model, monacoLanguage(language));
  }, [language, conn]);

  useEffect(() => {
    monaco.editor.setTheme(monacoTheme(theme));
  }, [theme]);

  return <div className="editor" ref={host} data-testid="editor" />;
}
