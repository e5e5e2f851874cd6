// The editor's toolbar: the flow's name and state (version, unsaved), history, layout, import/export,
// the active switch, "Run now" and "Deploy".
import type { PanelPrefs } from '../../core/panels.ts';

export interface ToolbarProps {
  name: string;
  onRename: (name: string) => void;
  flowId: string;
  deployedVersion: number | undefined;
  dirty: boolean;
  undoSteps: number;
  redoSteps: number;
  onUndo: () => void;
  onRedo: () => void;
  onTidy: () => void;
  onExport: () => void;
  onAddNote: () => void;
  /** shown when the flow has pinned data: export it too (only when asked) */
  onExportWithPins?: () => void;
  onImport: () => void;
  active: boolean;
  onActive: (active: boolean) => void;
  onRunNow: () => void;
  /** the flow has problems (or is still being checked): no deploy */
  invalid: boolean;
  busy: boolean;
  onDeploy: () => void;
  panels: PanelPrefs;
  onPanels: (p: PanelPrefs) => void;
  /** the side panel shows the flow's settings (it opens on a selection, or on this button) */
  settingsOpen: boolean;
  onSettings: () => void;
}

const VIEW: { key: keyof PanelPrefs; label: string; title: string }[] = [
  { key: 'palette', label: '◧', title: 'Show or hide the palette' },
  { key: 'bottom', label: '⬓', title: 'Open or collapse the bottom panel (problems, dry run, versions)' },
  { key: 'side', label: '◨', title: 'Show or hide the side panel (it opens when a node is selected)' },
  { key: 'minimap', label: '▣', title: 'Show or hide the minimap' },
];

export function Toolbar(p: ToolbarProps) {
  const deployed = p.deployedVersion !== undefined;
  return (
    <div className="fd-toolbar">
      <div className="fd-title">
        <input className="fd-title-input" value={p.name} onChange={(e) => p.onRename(e.target.value)} data-testid="flow-title" aria-label="Flow name" />
        <code>{p.flowId}</code>
        {deployed && <span className="fd-pill" data-testid="deployed-version">v{p.deployedVersion}</span>}
        {p.dirty ? (
          <span className="fd-unsaved" data-testid="unsaved" title="Changes are kept as a draft in this browser until you deploy">
            ● Unsaved
          </span>
        ) : (
          <span className="fd-saved" data-testid="saved-state">
            ✓ Saved
          </span>
        )}
      </div>
      <div className="fd-toolbar-actions">
        <button type="button" className="fd-btn" onClick={p.onUndo} disabled={!p.undoSteps} data-testid="undo" data-steps={p.undoSteps} title="Undo (Ctrl/Cmd+Z)">
          ↶
        </button>
        <button type="button" className="fd-btn" onClick={p.onRedo} disabled={!p.redoSteps} data-testid="redo" title="Redo (Ctrl/Cmd+Shift+Z)">
          ↷
        </button>
        <span className="fd-btn-group" role="group" aria-label="View">
          {VIEW.map((v) => (
            <button
              key={v.key}
              type="button"
              className={`fd-btn small${p.panels[v.key] ? ' on' : ''}`}
              aria-pressed={p.panels[v.key]}
              title={v.title}
              data-testid={`toggle-${v.key}`}
              onClick={() => p.onPanels({ ...p.panels, [v.key]: !p.panels[v.key] })}
            >
              {v.label}
            </button>
          ))}
        </span>
        <button type="button" className={`fd-btn small${p.settingsOpen ? ' on' : ''}`} aria-pressed={p.settingsOpen} data-testid="flow-settings" onClick={p.onSettings} title="Flow settings: name, owner, samples, record, SLA">
          ⚙
        </button>
        <button type="button" className="fd-btn" data-testid="add-note" onClick={p.onAddNote} title="Add a sticky note to the canvas (kept in the layout, exported with the flow)">
          🗒 Note
        </button>
        <button type="button" className="fd-btn" data-testid="tidy" onClick={p.onTidy}>
          Tidy up
        </button>
        <button type="button" className="fd-btn" onClick={p.onExport} data-testid="export">
          Export
        </button>
        {p.onExportWithPins && (
          <button type="button" className="fd-btn" onClick={p.onExportWithPins} data-testid="export-pinned" title="Export with the pinned step outputs (test data) as pinData">
            Export + pins
          </button>
        )}
        <button type="button" className="fd-btn" onClick={p.onImport} data-testid="import">
          Import
        </button>
        <label className="fd-switch" title={!deployed ? 'Deploy first' : 'Inactive flows ignore their triggers'}>
          <input type="checkbox" checked={p.active} disabled={p.busy || p.invalid || !deployed} data-testid="active-switch" onChange={(e) => p.onActive(e.target.checked)} />
          <span>{p.active ? 'Active' : 'Inactive'}</span>
        </label>
        <button
          type="button"
          className="fd-btn"
          disabled={!deployed || !p.active}
          title={!deployed ? 'Deploy first' : !p.active ? 'The flow is inactive' : 'Start a run of the deployed version'}
          onClick={p.onRunNow}
          data-testid="run-now"
        >
          Run now
        </button>
        <button type="button" className="fd-btn primary" disabled={p.invalid || p.busy} onClick={p.onDeploy} data-testid="deploy" title={p.invalid ? 'Fix the problems listed below first' : 'Make this version live'}>
          {p.busy ? 'Deploying…' : 'Deploy'}
        </button>
      </div>
    </div>
  );
}
