// A review decided at the moment the run is cancelled elsewhere (another instance, a record's cancelOn):
// the decision is written only over the parked run it was made on, so a cancelled run is never revived
// and driven on. The interleaving is made exact by cancelling between the decision's read and its write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelRun } from '@flowdesk/engine';
import { afterRunRead } from '../support/interleave.ts';
import { flowsDirWithDocs, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { approvalFlow } from './approval-flow.ts';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ flowsDir: flowsDirWithDocs([approvalFlow()]) });
});
afterAll(async () => rt?.dispose());

describe('a review decision racing a cancel', () => {
  it('the run cancelled between the decision’s read and its write stays cancelled: the decision answers 409 and nothing after the review runs', async () => {
    const started = await rt.post('/hooks/approvals', { email: 'race@example.com', company: 'Race Ltd' });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    await rt.settle();
    expect((await rt.get(`/api/runs/${runId}`)).body.status).toBe('needs_review');

    // the decision's second read is the one it decides on (after claiming the review)
    afterRunRead(rt.ctx.store, runId, 2, async (run) => {
      expect(await rt.ctx.store.saveRunFrom(cancelRun(run, new Date(rt.clock.now()).toISOString(), 'cancelled elsewhere'), 'needs_review')).toBe(true);
    });
    const decided = await rt.post(`/api/reviews/${runId}:decide/resolve`, { decision: 'approved' });
    expect(decided.status).toBe(409);
    await rt.settle();
    const run = (await rt.get(`/api/runs/${runId}`)).body;
    expect(run).toMatchObject({ status: 'cancelled', error: 'cancelled elsewhere' });
    expect(run.steps.map((s: { nodeId: string }) => s.nodeId)).not.toContain('welcome');
  });
});
