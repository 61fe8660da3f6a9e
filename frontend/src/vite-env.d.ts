/// <reference types="vite/client" />

declare module 'monaco-editor/languages/definitions/*/register.js';
declare module 'monaco-editor/editor/editor.main.js';
declare module 'monaco-editor/editor/editor.worker?worker' {
  const WorkerFactory: new () => Worker;
  export default WorkerFactory;
}
