// The States page: the state map in force — each entity's states, who owns each, where new records
// start and which moves are legal — edited as a draft, its changes listed, and saved for every instance
// through PUT /api/state-map (which refuses, naming them, a change that would break a stored flow or
// strand records). Edits are core/state-map-edit.ts; the runtime has the last word.
import { useCallback, useEffect, useRef, useState } from 'react';
import { validateStateMap, type RecordCount, type StateMap } from '@flowdesk/schema';
import { ApiError, get, tagged } from '../api.ts';
import { addEntity, addState, describeChanges, removeEntity, removeState, setInitial, setMove, setTerminal, updateState, type Edit } from '../core/state-map-edit.ts';
import { publishStateMap, reloadStateMap, stateMapTag, useStateMap } from '../nodes/useStateMap.ts';
import { guardLeaving } from '../router.ts';

const OWNERS = ['founder', 'automation'];
type Problem = { path: string; message: string };
type Counts = Map<string, number>; // `${entity}/${state}` → records there

/** How many records sit in each state (GET /api/records/counts), again on focus and after a save. */
function useRecordCounts(): { counts: Counts; refresh: () => void } {
  const [counts, setCounts] = useState<Counts>(new Map());
  const refresh = useCallback(() => {
    get<RecordCount[]>('/api/records/counts')
      .then((rows) => setCounts(new Map(rows.map((r) => [`${r.entity}/${r.state}`, r.count]))))
      .catch(() => undefined); // the counts are a hint; the runtime still refuses a removal that strands records
  }, []);
  useEffect(() => {
    refresh();
    window.addEventListener('focus', refresh);
    return () => window.removeEventListener('focus', refresh);
  }, [refresh]);
  return { counts, refresh };
}

function EntityCard(props: { entity: string; map: StateMap; counts: Counts; apply: (e: Edit | StateMap) => void }) {
  const { entity, map, counts, apply } = props;
  const def = map.entities[entity]!;
  const names = Object.keys(def.states);
  const held = names.reduce((n, s) => n + (counts.get(`${entity}/${s}`) ?? 0), 0);
  const [newState, setNewState] = useState('');
  const t = (what: string, state?: string, to?: string) => [what, entity, state, to].filter(Boolean).join('-');
  return (
    <div className="fd-card" data-testid={t('entity')}>
      <div className="fd-row">
        <h3 className="fd-grow">{entity}</h3>
        <button
          type="button"
          className="fd-btn small"
          disabled={held > 0}
          title={held > 0 ? `${held} ${entity} record${held === 1 ? '' : 's'}: an entity with records cannot be removed` : undefined}
          data-testid={t('remove-entity')}
          onClick={() => apply(removeEntity(map, entity))}
        >
          Remove entity
        </button>
      </div>
      <div className="fd-row">
        <label className="fd-check">
          New records start in
          <select value={def.initial} data-testid={t('initial')} onChange={(e) => apply(setInitial(map, entity, e.target.value))}>
            {names.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      <table className="fd-table">
        <thead>
          <tr>
            <th>State</th>
            <th>Owner</th>
            <th>Description</th>
            <th title="A new record may be created in this state (besides where new records start)">Entry</th>
            <th title="The end of the lifecycle: no move leaves it">Terminal</th>
            <th>May move to</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {names.map((state) => {
            const s = def.states[state]!;
            const n = counts.get(`${entity}/${state}`) ?? 0;
            return (
              <tr key={state} data-testid={t('state', state)}>
                <td>
                  <code>{state}</code>
                  {n > 0 && (
                    <small className="fd-hint" data-testid={t('count', state)}>
                      {' '}
                      {n} record{n === 1 ? '' : 's'}
                    </small>
                  )}
                </td>
                <td>
                  <input list="fd-owners" value={s.owner} size={10} data-testid={t('owner', state)} onChange={(e) => apply(updateState(map, entity, state, { owner: e.target.value }))} />
                </td>
                <td>
                  <input value={s.description ?? ''} data-testid={t('desc', state)} onChange={(e) => apply(updateState(map, entity, state, { description: e.target.value }))} />
                </td>
                <td>
                  <input type="checkbox" checked={s.entryAllowed === true} data-testid={t('entry', state)} onChange={(e) => apply(updateState(map, entity, state, { entryAllowed: e.target.checked }))} />
                </td>
                <td>
                  <input type="checkbox" checked={s.terminal === true} data-testid={t('terminal', state)} onChange={(e) => apply(setTerminal(map, entity, state, e.target.checked))} />
                </td>
                <td>
                  {s.terminal ? (
                    <span className="fd-hint">none: terminal</span>
                  ) : (
                    <div className="fd-checks">
                      {names
                        .filter((to) => to !== state)
                        .map((to) => (
                          <label key={to} className="fd-check">
                            <input type="checkbox" checked={s.next.includes(to)} data-testid={t('move', state, to)} onChange={(e) => apply(setMove(map, entity, state, to, e.target.checked))} />
                            {to}
                          </label>
                        ))}
                    </div>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    className="fd-btn small"
                    disabled={n > 0}
                    title={n > 0 ? `${n} record${n === 1 ? ' is' : 's are'} in ${state}: move ${n === 1 ? 'it' : 'them'} first` : undefined}
                    data-testid={t('remove-state', state)}
                    onClick={() => apply(removeState(map, entity, state))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form
        className="fd-row"
        onSubmit={(e) => {
          e.preventDefault();
          const r = addState(map, entity, newState.trim());
          apply(r);
          if (r.ok) setNewState('');
        }}
      >
        <input value={newState} placeholder="new state, e.g. on_hold" data-testid={t('new-state')} onChange={(e) => setNewState(e.target.value)} />
        <button type="submit" className="fd-btn small" data-testid={t('add-state')}>
          Add state
        </button>
      </form>
    </div>
  );
}

export function StateMapPage() {
  const live = useStateMap();
  const { counts, refresh: refreshCounts } = useRecordCounts();
  const [base, setBase] = useState<StateMap | null>(null); // the map the draft started from
  const [draft, setDraft] = useState<StateMap | null>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<{ message: string; problems: Problem[] } | null>(null);
  const [saved, setSaved] = useState(false);
  const [newEntity, setNewEntity] = useState({ name: '', first: '' });
  const changes = base && draft ? describeChanges(base, draft) : [];
  const dirty = changes.length > 0;
  // the map in force changed elsewhere (another tab, instance or the API): taken at once when nothing
  // is being edited; otherwise said, and saving would replace it
  const changedElsewhere = live && base && JSON.stringify(live) !== JSON.stringify(base);
  useEffect(() => {
    if (live && (!base || !dirty)) {
      setBase(live);
      setDraft(live);
    }
  }, [live]); // eslint-disable-line react-hooks/exhaustive-deps

  // unsaved changes live only in this page: leaving asks first, as the flow editor does
  const dirtyNow = useRef(false);
  dirtyNow.current = dirty;
  useEffect(() => guardLeaving(() => dirtyNow.current, 'The state map has changes that are not saved. Leave and lose them?'), []);

  const apply = (e: Edit | StateMap) => {
    if ('ok' in e) {
      if (!e.ok) return setEditError(e.error);
      e = e.map;
    }
    setEditError(null);
    setSaved(false);
    setDraft(e);
  };
  const save = async () => {
    if (!draft) return;
    try {
      // made from the map in force as this page last heard of it: refused if another was saved since
      const tag = stateMapTag();
      const { data: m, tag: savedTag } = await tagged<StateMap>('PUT', '/api/state-map', draft, tag ? { 'if-match': tag } : {});
      setSaveError(null);
      setSaved(true);
      setBase(m);
      setDraft(m);
      publishStateMap(m, savedTag);
    } catch (e) {
      refreshCounts();
      // changed elsewhere since: fetch it, so the page says so (Save again replaces it, Discard takes it)
      if (e instanceof ApiError && e.status === 409 && (e.body as { errors?: Problem[] } | undefined)?.errors?.[0]?.path === '/headers') void reloadStateMap();
      const problems = e instanceof ApiError ? ((e.body as { errors?: Problem[] } | undefined)?.errors ?? []) : [];
      setSaveError({ message: (e as Error).message, problems });
    }
  };
  const discard = () => {
    setDraft(live);
    setBase(live);
    setSaveError(null);
    setEditError(null);
  };

  if (!draft) return <div className="fd-page">Loading…</div>;
  const invalid = validateStateMap(draft).errors;
  return (
    <div className="fd-page" data-testid="state-map-page">
      <h2>States</h2>
      <p className="fd-hint">
        What records each entity has, the states they go through, who owns each and which moves are legal. Flows move records (a record step, an end's exit state); record
        triggers, cancel rules and SLAs hang work off these states. Saving changes it for every instance at once; a change that would break a deployed flow, or leave
        records in a state it removes, is refused with what it breaks.
      </p>
      <datalist id="fd-owners">
        {OWNERS.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
      {Object.keys(draft.entities).map((entity) => (
        <EntityCard key={entity} entity={entity} map={draft} counts={counts} apply={apply} />
      ))}
      <form
        className="fd-card fd-row"
        data-testid="new-entity"
        onSubmit={(e) => {
          e.preventDefault();
          const r = addEntity(draft, newEntity.name.trim(), newEntity.first.trim());
          apply(r);
          if (r.ok) setNewEntity({ name: '', first: '' });
        }}
      >
        <input value={newEntity.name} placeholder="new entity, e.g. project" data-testid="new-entity-name" onChange={(e) => setNewEntity({ ...newEntity, name: e.target.value })} />
        <input value={newEntity.first} placeholder="where its records start, e.g. scoped" data-testid="new-entity-state" onChange={(e) => setNewEntity({ ...newEntity, first: e.target.value })} />
        <button type="submit" className="fd-btn small" data-testid="add-entity">
          Add entity
        </button>
      </form>
      {editError && (
        <div className="fd-callout error" data-testid="edit-error">
          {editError}
        </div>
      )}
      <div className="fd-card" data-testid="changes">
        {dirty ? (
          <>
            <b>Unsaved changes</b>
            <ul>
              {changes.map((c) => (
                <li key={c} data-testid="change">
                  {c}
                </li>
              ))}
            </ul>
          </>
        ) : (
          <span className="fd-hint">{saved ? 'Saved: in force on every instance.' : 'No unsaved changes.'}</span>
        )}
        {changedElsewhere && (
          <div className="fd-callout" data-testid="changed-elsewhere">
            The state map was changed elsewhere since you started editing; saving replaces it with yours. Discard to start again from it.
          </div>
        )}
        {invalid.length > 0 && (
          <ul className="fd-field-error" data-testid="invalid">
            {invalid.map((p, i) => (
              <li key={i}>
                <code>{p.path}</code> {p.message}
              </li>
            ))}
          </ul>
        )}
        {saveError && (
          <div className="fd-callout error" data-testid="save-error">
            {saveError.message}
            {saveError.problems.length > 0 && (
              <ul>
                {saveError.problems.map((p, i) => (
                  <li key={i}>
                    <code>{p.path}</code> {p.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="fd-row">
          <button type="button" className="fd-btn primary" disabled={!dirty || invalid.length > 0} data-testid="save-map" onClick={() => void save()}>
            Save
          </button>
          <button type="button" className="fd-btn" disabled={!dirty && !changedElsewhere} data-testid="discard-map" onClick={discard}>
            Discard
          </button>
        </div>
      </div>
    </div>
  );
}
