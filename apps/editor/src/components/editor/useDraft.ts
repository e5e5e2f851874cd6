// Drafts: the flow is autosaved in this browser while it differs from the deployed version, and
// leaving the editor with changes that are not deployed asks first.
import { useEffect, useRef, useState } from 'react';
import type { Flow } from '@flowdesk/schema';
import { clearDraft, loadDraft, saveDraft } from '../../core/drafts.ts';
import { canonicalJson } from '../../core/json.ts';
import { signalDone, signalPending } from '../../core/signals.ts';
import type { Graph } from '../../core/mapping.ts';
import { setLeaveGuard } from '../../router.ts';

export function useDraft(flowId: string, graph: Graph, currentFlow: () => Flow, deployed: Flow | null, initial: Flow) {
  const [deployedCanon, setDeployedCanon] = useState(() => (deployed ? canonicalJson(deployed) : null));
  const [dirty, setDirty] = useState(() => !deployed || canonicalJson(initial) !== canonicalJson(deployed));
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;

  useEffect(() => {
    signalPending('autosave');
    const t = setTimeout(() => {
      const doc = currentFlow();
      const canon = canonicalJson(doc);
      const d = canon !== deployedCanon;
      // a draft that already holds this document is not rewritten (an untouched new flow keeps its
      // "fresh" draft: no "restored" banner after a reload)
      if (d) {
        const existing = loadDraft(flowId);
        if (!existing || canonicalJson(existing.flow) !== canon) saveDraft(flowId, doc);
      } else clearDraft(flowId);
      setDirty(d);
      signalDone('autosave');
    }, 250);
    return () => clearTimeout(t);
  }, [graph.nodes, graph.edges, graph.meta, deployedCanon, flowId, currentFlow]);

  useEffect(() => {
    const before = (e: BeforeUnloadEvent) => {
      if (!dirtyRef.current) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', before);
    setLeaveGuard(() => (dirtyRef.current ? 'This flow has changes that are not deployed. They are kept as a draft in this browser. Leave the editor?' : null));
    return () => {
      window.removeEventListener('beforeunload', before);
      setLeaveGuard(null);
    };
  }, []);

  /** The deployed version is now `doc`: no draft, nothing unsaved. */
  const markDeployed = (doc: Flow) => {
    const canon = canonicalJson(doc);
    setDeployedCanon(canon);
    clearDraft(flowId);
    // clean at once, not at the next autosave tick: leaving right after a deploy must not ask
    if (canonicalJson(currentFlow()) === canon) {
      dirtyRef.current = false;
      setDirty(false);
    }
  };
  /** Drops the draft without asking again (the caller reloads the deployed version). */
  const discard = () => {
    clearDraft(flowId);
    dirtyRef.current = false;
  };
  return { dirty, markDeployed, discard };
}
