// /api/steps: the editor's step-by-step testing of a draft (issue 17, item 5). Nothing here starts or
// touches a run. POST /api/steps/run walks the draft to one node on a sample payload (pinned outputs
// stand in for earlier steps) and answers what that node gives; an action that calls outside is
// performed only when the body says "confirm": true (the editor asks the user first), once, under its
// own key; an internal action (record state, alerts, other flows) is never performed from here.
// POST /api/steps/sandbox runs one code/JSONata command for the editor's in-browser dry run.
import express, { type Router } from 'express';
import { dryRunUntil } from '@flowdesk/engine';
import type { RuntimeContext } from '../context.ts';
import { isIso, sendError, type FieldError } from './errors.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_SOURCE = 65_536;

export function stepsRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  const now = () => new Date(ctx.clock.now()).toISOString();

  r.post('/run', async (req, res) => {
    const body: unknown = req.body;
    if (!isObject(body)) return sendError(res, 400, 'body must be a JSON object {flow, nodeId, payload, pinned?, confirm?}');
    const bad: FieldError[] = [];
    if (!isObject(body.flow)) bad.push({ path: '/flow', message: 'must be a flow document (JSON object)' });
    if (typeof body.nodeId !== 'string' || body.nodeId === '') bad.push({ path: '/nodeId', message: 'must name a node of the flow' });
    if (body.pinned !== undefined && !isObject(body.pinned)) bad.push({ path: '/pinned', message: 'must be an object: node id → output' });
    if (body.confirm !== undefined && typeof body.confirm !== 'boolean') bad.push({ path: '/confirm', message: 'must be a boolean' });
    if (body.headers !== undefined && !(isObject(body.headers) && Object.values(body.headers).every((v) => typeof v === 'string'))) bad.push({ path: '/headers', message: 'must be an object of strings' });
    if (bad.length) return sendError(res, 422, 'invalid body', bad);
    const checked = ctx.flows.check(body.flow);
    if (!checked.ok) return sendError(res, checked.error.status, checked.error.error, checked.error.errors);
    const flow = checked.flow;
    const nodeId = body.nodeId as string;
    if (!flow.nodes.some((n) => n.id === nodeId)) return sendError(res, 422, 'invalid body', [{ path: '/nodeId', message: `the flow has no node "${nodeId}"` }]);
    const payload = body.payload ?? {};
    const contract = ctx.flows.payloadValidator(flow)(payload);
    if (contract.length) return sendError(res, 422, "the payload breaks the trigger's contract", contract.map((e) => ({ ...e, path: `/payload${e.path}` })));

    const { result, command } = await dryRunUntil(
      flow,
      { payload, headers: body.headers as Record<string, string> | undefined, now: now(), pinned: body.pinned as Record<string, unknown> | undefined, stopAt: nodeId, ...ctx.runner.secretValues() },
      (cmd) => ctx.sandbox.run(cmd),
    );
    const stopped = result.stopped;
    // secrets resolved for the walk never leave: every answer goes through the redactor
    const answer = (o: Record<string, unknown>) => res.json(ctx.redact({ nodeId, ...o, result }));
    if (!stopped?.reached) return answer({ status: 'not-reached' });
    if (!stopped.action || !command) return answer({ status: 'ran', step: result.steps?.at(-1) });
    const { action, params, outside } = stopped.action;
    if (!outside) return answer({ status: 'internal', action, params });
    if (body.confirm !== true) return answer({ status: 'needs-confirmation', action, params });
    ctx.log.info({ flowId: flow.id, nodeId, action }, 'editor test step: performing one action outside any run');
    const done = await ctx.runner.performTestStep(command, flow);
    return answer({ status: 'called', action, params, ok: done.ok, ...(done.ok ? { output: done.output ?? null } : { error: done.error ?? done.errorClass ?? 'failed' }) });
  });

  r.post('/sandbox', async (req, res) => {
    const body: unknown = req.body;
    if (!isObject(body)) return sendError(res, 400, 'body must be a JSON object {language, source, input}');
    const bad: FieldError[] = [];
    if (body.language !== 'javascript' && body.language !== 'jsonata') bad.push({ path: '/language', message: 'must be "javascript" or "jsonata"' });
    if (typeof body.source !== 'string' || body.source === '' || body.source.length > MAX_SOURCE) bad.push({ path: '/source', message: `must be a non-empty string of at most ${MAX_SOURCE} characters` });
    if (!isObject(body.input)) bad.push({ path: '/input', message: 'must be an object {payload, vars, steps, record, item?, index?}' });
    if (body.now !== undefined && !isIso(body.now)) bad.push({ path: '/now', message: 'must be an ISO date-time' });
    if (body.seed !== undefined && !Number.isSafeInteger(body.seed)) bad.push({ path: '/seed', message: 'must be an integer' });
    if (body.nodeId !== undefined && typeof body.nodeId !== 'string') bad.push({ path: '/nodeId', message: 'must be a string' });
    if (bad.length) return sendError(res, 422, 'invalid body', bad);
    res.json(
      await ctx.sandbox.run({
        kind: 'sandbox',
        nodeId: (body.nodeId as string | undefined) ?? 'editor',
        language: body.language as 'javascript' | 'jsonata',
        source: body.source as string,
        input: body.input as Record<string, unknown>,
        now: (body.now as string | undefined) ?? now(),
        seed: (body.seed as number | undefined) ?? 1,
      }),
    );
  });

  return r;
}
