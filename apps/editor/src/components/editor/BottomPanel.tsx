// The panel under the canvas: problems (live and from the runtime), the dry run, the versions.
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
}) {
  const problems = p.errors.length + p.serverErrors.length;
  return (
    <div className="fd-bottom">
      <div className="fd-tabs">
        <button type="button" className={p.tab === 'problems' ? 'active' : ''} onClick={() => p.onTab('problems')} data-testid="tab-problems">
          Problems {problems > 0 && <span className="fd-badge" data-testid="problem-count">{problems}</span>}
          {p.warnings.length > 0 && <span className="fd-badge warn" data-testid="warning-count">{p.warnings.length}</span>}
        </button>
        <button type="button" className={p.tab === 'dry-run' ? 'active' : ''} onClick={() => p.onTab('dry-run')} data-testid="tab-dryrun">
          Dry run
        </button>
        <button type="button" className={p.tab === 'versions' ? 'active' : ''} onClick={() => p.onTab('versions')} data-testid="tab-versions">
          Versions
        </button>
      </div>
      <div className="fd-bottom-body">
        {p.tab === 'problems' && (p.checked === null ? <p className="fd-hint">Checking…</p> : <ValidationPanel errors={p.errors} warnings={p.warnings} serverErrors={p.serverErrors} onPick={p.onPick} />)}
        {p.tab === 'dry-run' && <DryRunPanel flow={p.flow} pinned={p.pinned} onResult={p.onDryRun} />}
        {p.tab === 'versions' && <VersionsPanel flowId={p.flowId} current={p.deployedVersion} deployed={p.deployedVersion !== undefined} onRolledBack={p.onRolledBack} />}
      </div>
    </div>
  );
}
