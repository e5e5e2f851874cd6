// Drafts: the flow is autosaved in this browser while it differs from the deployed version, and
// leaving the editor with changes that are not deployed asks first.
//
// Leaving is judged on the document as it is at that moment, not on the debounced `dirty` flag the
// toolbar shows: that flag lags an edit or a deploy by the autosave tick, so leaving right after a
// deploy asked for nothing, and leaving right after an edit neither asked nor kept the edit.
import { useEffect, useRef, useState } from 'react';
import type { Flow } from '@flowdesk/schema';
import { clearDraft, loadDraft, saveDraft } from '../../core/drafts.ts';
import { canonicalJson } from '../../core/json.ts';
import { signalDone, signalPending } from '../../core/signals.ts';
import type { Graph } from '../../core/mapping.ts';
import { guardLeaving } from '../../router.ts';

/** The document without its version: a deploy assigns the version, it is not an edit. */
function contentCanon(doc: Flow): string {
  const { version: _v, ...rest } = doc;
  return canonicalJson(rest);
}

/** Saves `doc` as the draft unless the draft already holds it (an untouched new flow keeps its "fresh" draft). */
function keepDraft(flowId: string, doc: Flow, canon: string): void {
  const existing = loadDraft(flowId);
  if (!existing || contentCanon(existing.flow) !== canon) saveDraft(flowId, doc);
}

export function useDraft(flowId: string, graph: Graph, currentFlow: () => Flow, deployed: Flow | null, initial: Flow) {
  const [deployedCanon, setDeployedCanon] = useState(() => (deployed ? contentCanon(deployed) : null));
  const deployedCanonRef = useRef(deployedCanon);
  const [dirty, setDirty] = useState(() => !deployed || contentCanon(initial) !== contentCanon(deployed));
  const discarded = useRef(false);

  useEffect(() => {
    signalPending('autosave');
    const t = setTimeout(() => {
      const doc = currentFlow();
      const canon = contentCanon(doc);
      const d = canon !== deployedCanon;
      if (d) keepDraft(flowId, doc, canon);
      else clearDraft(flowId);
      setDirty(d);
      signalDone('autosave');
    }, 250);
    return () => clearTimeout(t);
  }, [graph.nodes, graph.edges, graph.meta, deployedCanon, flowId, currentFlow]);

  useEffect(() => {
    /** Whether the document differs from the deployed one now; if so its draft is written now too. */
    const unsavedNow = (): boolean => {
      if (discarded.current) return false;
      const doc = currentFlow();
      const canon = contentCanon(doc);
      if (canon === deployedCanonRef.current) return false;
      keepDraft(flowId, doc, canon);
      return true;
    };
    return guardLeaving(unsavedNow, 'This flow has changes that are not deployed. They are kept as a draft in this browser. Leave the editor?');
  }, [flowId, currentFlow]);

  /** The deployed version is now `doc`: no draft, nothing unsaved (unless it was edited while deploying). */
  const markDeployed = (doc: Flow) => {
    const canon = contentCanon(doc);
    deployedCanonRef.current = canon;
    setDeployedCanon(canon);
    clearDraft(flowId);
    setDirty(contentCanon(currentFlow()) !== canon);
  };
  /** Drops the draft without asking again (the caller reloads the deployed version). */
  const discard = () => {
    clearDraft(flowId);
    discarded.current = true;
  };
  return { dirty, markDeployed, discard };
}
