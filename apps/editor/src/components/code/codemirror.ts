// CodeMirror 6, loaded on demand (its own chunk: the editor's first render does not wait for it). The
// completions are the variable picker's paths for the node being edited.
import { basicSetup } from 'codemirror';
import { EditorView } from '@codemirror/view';
import { EditorState } from '@codemirror/state';
import { javascript } from '@codemirror/lang-javascript';
import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete';

export interface EditorOptions {
  language: 'javascript' | 'jsonata';
  onChange: (text: string) => void;
  /** the paths to offer, with where each comes from */
  completions: () => { label: string; detail: string }[];
  label: string;
}

export function createCodeEditor(parent: HTMLElement, doc: string, opts: EditorOptions): EditorView {
  const complete = (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/[\w$.]+/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    return { from: word.from, options: opts.completions().map((c) => ({ label: c.label, detail: c.detail, type: 'variable' })), validFor: /^[\w$.]*$/ };
  };
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        basicSetup,
        EditorView.lineWrapping,
        opts.language === 'javascript' ? javascript() : [],
        EditorState.languageData.of(() => [{ autocomplete: complete }]),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) opts.onChange(u.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ 'aria-label': opts.label }),
        EditorView.theme({ '&': { fontSize: '12px', maxHeight: '360px' }, '.cm-scroller': { overflow: 'auto' } }),
      ],
    }),
  });
}

export type { EditorView };
