// GET /api/state-map: the entities, their states and the legal moves, for the editor's entity and state
// pickers (a flow's record, cancelOn, SLA state, an end's exit state). Without a state map: no entities.
// PUT /api/state-map: replaces it for every instance (flows/state-map-source.ts), refused while it would
// break a stored flow or strand records in a state it removes.
import express, { type Router } from 'express';
import { validateStateMap, type StateMap } from '@flowdesk/schema';
import type { RuntimeContext } from '../context.ts';
import { changeStateMap, NO_ENTITIES, recordsInState, stateMapTag, storedStateMap } from '../flows/state-map-source.ts';
import { CONFIG_CHANGES } from '../flows/registry.ts';
import { sendError } from './errors.ts';

export function stateMapRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  r.get('/', (_req, res) => {
    // what a change's If-Match names (the editor's States page sends it); not a cache validator
    res.setHeader('ETag', stateMapTag(ctx.stateMap));
    res.setHeader('Cache-Control', 'no-store');
    res.json(ctx.stateMap ?? NO_ENTITIES);
  });
  r.put('/', async (req, res) => {
    if (!req.is('application/json')) return sendError(res, 415, 'body must be JSON (Content-Type: application/json)');
    const body: unknown = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return sendError(res, 400, 'body must be a state map (JSON object)');
    const checked = validateStateMap(body);
    if (!checked.ok) return sendError(res, 422, 'invalid state map', checked.errors);
    const next = body as StateMap;
    // If-Match: the map this change was made from — refused when another change was saved since
    const base = req.get('if-match')?.trim();
    // one at a time with deploys too, across instances: a flow naming a state is not deployed while
    // this change removes it
    const problems = await ctx.store.exclusive(CONFIG_CHANGES, async () => {
      if (base !== undefined && stateMapTag(await storedStateMap(ctx.store)) !== base) return 'changed';
      const { problems, stranded } = await changeStateMap(ctx.store, next, new Date(ctx.clock.now()).toISOString(), recordsInState(ctx.store));
      if (problems.length) return problems;
      ctx.flows.useStateMap(next);
      if (stranded.length) {
        // moved into a removed state while the change was checked: said, not silent
        const where = stranded.map((s) => `${s.count} ${s.entity} record${s.count === 1 ? '' : 's'} in "${s.state}"`).join('; ');
        ctx.log.warn({ stranded }, 'records were moved into a state the new state map removes');
        await ctx.alerts.raise({ flowId: 'state-map', kind: 'state_map_stranded', severity: 'P1', message: `the state map just saved removes states records had moved into meanwhile (${where}); they cannot move until the state is added back` });
      }
      return [];
    });
    if (problems === 'changed') {
      const message = 'the state map was changed elsewhere since this change was made from it: load it again, or save without If-Match to replace it';
      return sendError(res, 409, message, [{ path: '/headers', message }]);
    }
    if (problems.length) return sendError(res, 409, 'the new state map would break what is deployed or stored; nothing changed', problems);
    res.setHeader('ETag', stateMapTag(next));
    res.json(next);
  });
  return r;
}
