// GET /api/state-map: the entities, their states and the legal moves, for the editor's entity and state
// pickers (a flow's record, cancelOn, SLA state, an end's exit state). Without a state map: no entities.
import express, { type Router } from 'express';
import type { RuntimeContext } from '../context.ts';

export function stateMapRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  r.get('/', (_req, res) => {
    res.json(ctx.stateMap ?? { version: 1, entities: {} });
  });
  return r;
}
