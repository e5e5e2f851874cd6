// The panel under the canvas: problems (live and from the runtime), the dry run, the versions. It
// starts collapsed to its row of tabs (the counts and "no problems" stay in view) and opens on a tab:
// until there is something to read there, the canvas keeps the room.
import type { Flow } from '@flowdesk/schema';
import type { DryRunResult } from '@flowdesk/engine';
import type { FlowError } from '../../core/validate.ts';
import type { Pinned } from '../../core/pinned.ts';
import { DryRunPanel, ValidationPanel, VersionsPanel } from '../Panels.tsx';

export type PanelTab = 'problems' | 'dry-run' | 'versions';

export function BottomPanel(p: {
  tab: PanelTab;
  onTab: (t: PanelTab) => void;
  /** null while the validator loads */
  checked: FlowError[] | null;
  errors: FlowError[];
  warnings: FlowError[];
  serverErrors: FlowError[];
  onPick: (nodeId: string) => void;
  flow: Flow;
  pinned?: Pinned;
  onDryRun: (r: DryRunResult | null) => void;
  flowId: string;
  deployedVersion: number | undefined;
  onRolledBack: () => void;
  open: boolean;
  onOpen: (open: boolean) => void;
}) {
  const problems = p.errors.length + p.serverErrors.length;
  const show = (t: PanelTab) => {
    p.onTab(t);
    if (!p.open) p.onOpen(true);
  };
  const active = (t: PanelTab) => (p.open && p.tab === t ? 'active' : '');
  return (
    <div className={`fd-bottom${p.open ? '' : ' collapsed'}`} data-testid="bottom-panel" data-open={p.open}>
      <div className="fd-tabs">
        <button type="button" className={active('problems')} onClick={() => show('problems')} data-testid="tab-problems">
          Problems {problems > 0 && <span className="fd-badge" data-testid="problem-count">{problems}</span>}
          {p.warnings.length > 0 && <span className="fd-badge warn" data-testid="warning-count">{p.warnings.length}</span>}
        </button>
        <button type="button" className={active('dry-run')} onClick={() => show('dry-run')} data-testid="tab-dryrun">
          Dry run
        </button>
        <button type="button" className={active('versions')} onClick={() => show('versions')} data-testid="tab-versions">
          Versions
        </button>
        {!p.open && p.checked !== null && problems === 0 && (
          <span className="fd-ok fd-tabs-status" data-testid="validation-ok">
            ✓ No problems
          </span>
        )}
        <button type="button" className="fd-link fd-tabs-toggle" onClick={() => p.onOpen(!p.open)} data-testid="bottom-toggle" aria-expanded={p.open} title={p.open ? 'Collapse the panel' : 'Open the panel'}>
          {p.open ? '▾' : '▴'}
        </button>
      </div>
      {p.open && <div className="fd-bottom-body">
        {p.tab === 'problems' && (p.checked === null ? <p className="fd-hint">Checking…</p> : <ValidationPanel errors={p.errors} warnings={p.warnings} serverErrors={p.serverErrors} onPick={p.onPick} />)}
        {p.tab === 'dry-run' && <DryRunPanel flow={p.flow} pinned={p.pinned} onResult={p.onDryRun} />}
        {p.tab === 'versions' && <VersionsPanel flowId={p.flowId} current={p.deployedVersion} deployed={p.deployedVersion !== undefined} onRolledBack={p.onRolledBack} />}
      </div>}
    </div>
  );
}
