/*
 * The shared Monaco editor: a y-monaco binding of the room's Y.Text, the
 * other people's cursors and selections in their colour with their name.
 */
import { useEffect, useRef } from 'react';
import * as monaco from 'monaco-esm/editor/editor.api';
import 'monaco-esm/languages/definitions/python/register';
import 'monaco-esm/features/bracketMatching/register';
import 'monaco-esm/features/comment/register';
import 'monaco-esm/features/find/register';
import 'monaco-esm/features/indentation/register';
import 'monaco-esm/features/linesOperations/register';
import 'monaco-esm/features/multicursor/register';
import 'monaco-esm/features/wordHighlighter/register';
import 'monaco-esm/features/readOnlyMessage/register';
import 'monaco-esm/features/toggleTabFocusMode/register';
import EditorWorker from 'monaco-esm/editor/editor.worker.js?worker';
import { MonacoBinding } from 'y-monaco';
import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { currentTheme, onThemeChange } from './ThemeToggle';

(self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
};

const safeName = (s: string) => s.replace(/[^\p{L}\p{N} ._'-]/gu, '').slice(0, 40) || 'someone';
const safeColor = (c: unknown) => (typeof c === 'string' && /^#[0-9a-fA-F]{3,8}$/.test(c) ? c : '#868e96');

/* Per-client CSS for y-monaco's decorations. */
function cursorCss(awareness: Awareness, self: number): string {
  let css = '';
  awareness.getStates().forEach((state, id) => {
    if (id === self) return;
    const u = (state as { user?: { name?: string; color?: string } }).user;
    if (!u) return;
    const color = safeColor(u.color);
    const name = safeName(String(u.name ?? ''));
    css += `.yRemoteSelection-${id}{background-color:${color}40}`;
    css += `.yRemoteSelectionHead-${id}{position:absolute;border-left:2px solid ${color};height:100%;box-sizing:border-box}`;
    css += `.yRemoteSelectionHead-${id}::after{content:"${name}";position:absolute;left:-2px;top:-1.3em;background:${color};color:#fff;font:600 11px/1.3 system-ui,sans-serif;padding:0 4px;border-radius:3px 3px 3px 0;white-space:nowrap;pointer-events:none;z-index:10}`;
  });
  return css;
}

export interface EditorProps {
  ytext: Y.Text;
  awareness: Awareness;
  readOnly: boolean;
  onRun: () => void;
  onReady?: (editor: monaco.editor.IStandaloneCodeEditor) => void;
}

export function Editor({ ytext, awareness, readOnly, onRun, onReady }: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const runRef = useRef(onRun);
  runRef.current = onRun;

  useEffect(() => {
    const el = host.current!;
    const model = monaco.editor.createModel('', 'python');
    model.setEOL(monaco.editor.EndOfLineSequence.LF);
    const editor = monaco.editor.create(el, {
      model,
      theme: currentTheme() === 'dark' ? 'vs-dark' : 'vs',
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 14,
      tabSize: 4,
      insertSpaces: true,
      scrollBeyondLastLine: false,
      // room above line 1 for the other person's name label
      padding: { top: 16 },
      readOnly,
      readOnlyMessage: { value: 'You are watching as an observer, so you cannot edit the code.' },
      ariaLabel: readOnly ? 'Shared code editor (read only)' : 'Shared code editor',
      accessibilitySupport: 'auto',
      tabFocusMode: false,
    });
    editorRef.current = editor;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => runRef.current());
    const binding = new MonacoBinding(ytext, model, new Set([editor]), awareness);

    const style = document.createElement('style');
    document.head.appendChild(style);
    const restyle = () => {
      style.textContent = cursorCss(awareness, awareness.clientID);
    };
    restyle();
    awareness.on('change', restyle);
    const offTheme = onThemeChange((t) => monaco.editor.setTheme(t === 'dark' ? 'vs-dark' : 'vs'));
    onReady?.(editor);
    return () => {
      awareness.off('change', restyle);
      offTheme();
      style.remove();
      binding.destroy();
      editor.dispose();
      model.dispose();
      editorRef.current = null;
    };
    // The editor is built once per document.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ytext, awareness]);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly, ariaLabel: readOnly ? 'Shared code editor (read only)' : 'Shared code editor' });
  }, [readOnly]);

  return <div className="editor-host" ref={host} data-testid="editor" />;
}

export default Editor;
