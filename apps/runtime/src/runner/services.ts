// Runtime services used by the internal actions and the records API: record transitions checked
// against the state map (firing record triggers and cancelOn), alerts, and flow.emit.
import { admitEvent } from '@flowdesk/engine';
import { canTransition, type Alert, type EntityRecord, type Run, type Severity } from '@flowdesk/schema';
import type { AlertDispatcher } from '../alerts/dispatcher.ts';
import type { FlowRegistry } from '../flows/registry.ts';
import { StoreConflictError, type Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Runner } from './runner.ts';
import { NotFoundError, TransitionError } from '../errors.ts';

/** What the internal actions (record.setState, alert.raise, flow.emit) and the records API act through. */
export interface RuntimeServices {
  /** Moves a record into `state` (checked against the state map); fires record triggers and cancelOn. */
  setRecordState(input: { entity: string; key: string; state: string; data?: Record<string, unknown>; cause: { runId?: string; nodeId?: string; manual?: boolean } }): Promise<EntityRecord>;
  raiseAlert(input: { flowId: string; nodeId?: string; runId?: string; kind: string; severity: Severity; message: string }): Promise<Alert>;
  /** Starts another flow's manual trigger. */
  emitFlow(flowId: string, payload: unknown, cause: { runId: string; nodeId: string; idempotencyKey: string }): Promise<{ runId: string; duplicate: boolean }>;
  /** flow.call: starts the child once (or finds it by id) and tells how it stands */
  callFlow(
    flowId: string,
    payload: unknown,
    cause: { runId: string; nodeId: string; flowId: string; idempotencyKey: string },
    childRunId?: string,
  ): Promise<{ runId: string; status: Run['status']; output?: unknown; error?: string }>;
}

/** how long a repeated manual state POST counts as a retry of the first (which may have been cut off) */
const MANUAL_RETRY_WINDOW_MS = 86_400_000;

export { TransitionError };

export function createServices(deps: {
  store: Store;
  flows: FlowRegistry;
  runner: Runner;
  alerts: AlertDispatcher;
  clock: Clock;
  log: Logger;
}): RuntimeServices {
  const { store, flows, runner, alerts, clock, log } = deps;
  const now = () => new Date(clock.now()).toISOString();

  async function fireRecordTriggers(rec: EntityRecord): Promise<void> {
    const t = rec.history[rec.history.length - 1];
    if (!t) return;
    for (const f of flows.withTrigger((d) => d.trigger.type === 'record' && d.trigger.entity === rec.entity && d.trigger.state === rec.state)) {
      const admission = admitEvent(f.doc, {
        source: { kind: 'record', entity: rec.entity, key: rec.key, transitionId: t.id },
        payload: { entity: rec.entity, key: rec.key, state: rec.state, from: t.from, data: rec.data, transitionId: t.id },
      });
      if (admission.admit === 'start') await runner.start(f.doc, admission.start);
      else if (admission.admit === 'rejected') log.warn({ flowId: f.id, err: admission.error }, 'record trigger not started');
    }
    // cancelOn: waiting runs about this record stop when it enters the state (a paid invoice stops its
    // reminders). Found through the store's record index: the cost does not grow with other open runs.
    for (const run of await store.listOpenRunsOfRecord(rec.entity, rec.key)) {
      if (!['waiting', 'queued', 'needs_review'].includes(run.status)) continue;
      const flow = await flows.version(run.flowId, run.flowVersion);
      if (!flow?.cancelOn?.some((c) => c.entity === rec.entity && c.state === rec.state)) continue;
      void runner.cancel(run.id, `cancelled: ${rec.entity} ${rec.key} became ${rec.state}`).catch((e: Error) => log.warn({ runId: run.id, err: e.message }, 'cancelOn skipped'));
    }
  }

  return {
    async setRecordState({ entity, key, state, data, cause }) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const cur = await store.getRecord(entity, key);
        const from = cur?.state ?? null;
        const stateMap = flows.stateMap; // the one in force now: PUT /api/state-map may change it
        if (stateMap) {
          const ok = canTransition(stateMap, entity, from, state);
          if (!ok.ok) throw new TransitionError(ok.reason, from, state);
        }
        if (from === state) {
          // re-saving the same state is not an entry: no new trigger. But the same run and node setting it
          // again is a resume after a crash, which may have come between the transition and its triggered
          // runs: fire them again (their dedupe key is the transition, so nothing runs twice).
          // A manual POST retried within the day (its first answer lost to a crash) is treated the same.
          const last = cur!.history[cur!.history.length - 1];
          const sameRun = !!cause.runId && last?.cause.runId === cause.runId && last.cause.nodeId === cause.nodeId;
          const manualRetry = !!cause.manual && !!last?.cause.manual && clock.now() - Date.parse(last.at) < MANUAL_RETRY_WINDOW_MS;
          if (sameRun || manualRetry) await fireRecordTriggers(cur!);
          return cur!;
        }
        try {
          const rec = await store.transitionRecord({ entity, key, to: state, at: now(), cause, expectFrom: from, data });
          await fireRecordTriggers(rec);
          return rec;
        } catch (e) {
          if (!(e instanceof StoreConflictError)) throw e;
        }
      }
      throw new TransitionError(`record ${entity}/${key} kept changing; transition to "${state}" not applied`, null, state);
    },
    raiseAlert: (input) => alerts.raise(input),
    async callFlow(flowId, payload, cause, childRunId) {
      let child = childRunId ? await store.getRun(childRunId) : undefined;
      if (!child) {
        const f = flows.get(flowId);
        if (!f || !f.active) throw new NotFoundError(`flow ${flowId} is not deployed or inactive`);
        if (f.doc.trigger.type !== 'manual') throw new Error(`flow ${flowId} has a ${f.doc.trigger.type} trigger; flow.call starts manual triggers only`);
        const admission = admitEvent(f.doc, { source: { kind: 'emit', idempotencyKey: cause.idempotencyKey }, payload }, { checkPayload: flows.payloadValidator(f.doc) });
        if (admission.admit === 'rejected') throw new Error(`flow ${flowId} refused the payload: ${admission.errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`);
        if (admission.admit === 'ignored') throw new Error(`flow ${flowId} ignored the payload: ${admission.reason}`);
        child = (await runner.start(f.doc, { ...admission.start, parent: { runId: cause.runId, nodeId: cause.nodeId, flowId: cause.flowId } })).run;
      }
      const last = child.steps[child.steps.length - 1];
      return { runId: child.id, status: child.status, ...(child.status === 'succeeded' ? { output: last?.output ?? null } : {}), ...(child.error ? { error: child.error } : {}) };
    },
    async emitFlow(flowId, payload, cause) {
      const f = flows.get(flowId);
      if (!f || !f.active) throw new NotFoundError(`flow ${flowId} is not deployed or inactive`);
      // a webhook flow takes the event as from its hook, minus the auth (it comes from a flow): contract, key rule and window apply
      if (f.doc.trigger.type !== 'manual' && f.doc.trigger.type !== 'webhook') throw new Error(`flow ${flowId} has a ${f.doc.trigger.type} trigger; flow.emit starts manual and webhook triggers only`);
      const admission = admitEvent(f.doc, { source: { kind: 'emit', idempotencyKey: cause.idempotencyKey }, payload }, { checkPayload: flows.payloadValidator(f.doc) });
      if (admission.admit === 'rejected') throw new Error(`flow ${flowId} refused the payload: ${admission.errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`);
      if (admission.admit === 'ignored') throw new Error(`flow ${flowId} ignored the payload: ${admission.reason}`);
      const res = await runner.start(f.doc, admission.start);
      return { runId: res.run.id, duplicate: res.duplicate };
    },
  };
}
