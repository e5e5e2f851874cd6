// A code field: CodeMirror (line numbers, highlighting, brackets, undo, search, completion of the
// variables this node can read). Until CodeMirror's chunk has loaded, a plain textarea stands in.
import { useEffect, useRef, useState } from 'react';
import type { EditorView } from '@codemirror/view';
import type { Variable } from '../../core/variables.ts';

type CodeMirrorModule = typeof import('./codemirror.ts');
let loading: Promise<CodeMirrorModule> | null = null;
const loadCodeMirror = () => (loading ??= import('./codemirror.ts'));

export function CodeEditor(props: { value: string; onChange: (text: string) => void; language: 'javascript' | 'jsonata'; variables: Variable[]; prefix?: string; label: string; testid?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let cancelled = false;
    void loadCodeMirror().then((cm) => {
      if (cancelled || !host.current) return;
      view.current = cm.createCodeEditor(host.current, latest.current.value, {
        language: latest.current.language,
        label: latest.current.label,
        onChange: (text) => latest.current.onChange(text),
        completions: () => latest.current.variables.map((v) => ({ label: `${latest.current.prefix ?? ''}${v.path}`, detail: v.from })),
      });
      setReady(true);
    });
    return () => {
      cancelled = true;
      view.current?.destroy();
      view.current = null;
    };
  }, []);

  // follow the value from outside (undo, another node of the same type selected)
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
  }, [props.value, ready]);

  return (
    <div className="fd-field">
      <span className="fd-field-label">{props.label}</span>
      <div className="fd-codemirror" data-testid={props.testid} data-ready={ready ? 'true' : 'false'}>
        {!ready && <textarea className="fd-code" rows={8} value={props.value} spellCheck={false} aria-label={props.label} onChange={(e) => props.onChange(e.target.value)} />}
        <div ref={host} />
      </div>
    </div>
  );
}
