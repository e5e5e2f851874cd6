// npm run drill -- <flow file or id>: the guide's failure injection as a product feature. Sends the
// flow's samples through an in-process runtime while its dependencies fail (500, 429, timeout,
// reset) on a compressed clock, and reports attempts, dead letters, alerts and fallback paths.
import { existsSync, readFileSync, rmSync, mkdtempSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { actionSpec, appSpec, type Flow, type Run } from '@flowdesk/schema';
import { admitEvent } from '@flowdesk/engine';
import { startRuntime, ManualClock, REPO_ROOT, type Runtime } from '../index.ts';
import { startChaosDeps, FAULTS, type ChaosDeps, type GenericFault, type VendorFault } from '../drill/chaos.ts';
import { lossRisks } from '../drill/risks.ts';
import { CONNECTOR_APPS, connectorApp } from '../connectors/index.ts';

const quiet = { info() {}, warn() {}, error() {} };

function loadFlow(arg: string): Flow {
  const file = existsSync(arg) ? arg : join(REPO_ROOT, 'flows', `${arg}.json`);
  if (!existsSync(file)) throw new Error(`no flow file "${arg}" (give a path or the id of a flow in flows/)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Flow;
}

/** Points every outside call at the chaos dependencies and shortens timeouts to fit the compressed clock. */
function aimAtChaos(flow: Flow, httpUrl: string): Flow {
  const copy = structuredClone(flow);
  delete copy.version;
  for (const n of copy.nodes) {
    if (n.type !== 'action') continue;
    n.timeout = '1s';
    if (n.action === 'http.request' && n.params && typeof n.params.url === 'string') {
      n.params.url = n.params.url.replace(/^(https?:\/\/[^/]+|\{\{[^}]+\}\})/, httpUrl);
    }
  }
  return copy;
}

/** The connector nodes of a flow: node, the connection it names, the app that connection must be for. */
export function connectorNodes(flow: Flow): { nodeId: string; connection: string; app: string }[] {
  const out: { nodeId: string; connection: string; app: string }[] = [];
  for (const n of flow.nodes) {
    if (n.type !== 'action') continue;
    const app = actionSpec(n.action)?.apps.find((a) => a !== '*');
    const connection = (n.params as Record<string, unknown> | undefined)?.connection;
    if (app && typeof connection === 'string' && connection && !connection.includes('{{')) out.push({ nodeId: n.id, connection, app });
  }
  return out;
}

/** The connections the flow names, created against the drill's fake vendors (a placeholder credential). */
async function createDrillConnections(rt: Runtime, flow: Flow, deps: ChaosDeps): Promise<void> {
  const seen = new Set<string>();
  for (const c of connectorNodes(flow)) {
    if (seen.has(c.connection)) continue;
    seen.add(c.connection);
    const type = appSpec(c.app)?.auth.find((t) => t !== 'oauth2') ?? 'bearer';
    const auth =
      type === 'apiKey' ? { type, in: 'header', name: 'x-api-key', value: 'drill-key' } : type === 'basic' ? { type, username: 'drill', password: 'drill-password' } : { type: 'bearer', token: 'T0DRILL/B0DRILL/drill-token' };
    await rt.ctx.connections.create({ id: c.connection, app: c.app, name: `drill ${c.app}`, auth, baseUrl: deps.vendorUrl(c.app) });
  }
}

const faultName = (f: GenericFault | VendorFault): string => (typeof f === 'string' ? f : `${f.app}:${f.mode.name}`);

interface Outcome {
  sample: string;
  fault: string;
  /** a vendor fault: what its connector step must do, and whether it did */
  expect?: 'retried' | 'final';
  asExpected?: boolean;
  status: Run['status'];
  path: string[];
  attempts: Record<string, number>;
  deadLetter: boolean;
  alerts: number;
  fallback?: string;
}

/** Every fault the drill plays for a flow: the generic four, then each failure mode of each connector app it uses. */
export function faultsFor(flow: Flow): (GenericFault | VendorFault)[] {
  const apps = [...new Set(connectorNodes(flow).map((c) => c.app))].sort();
  return [...FAULTS, ...apps.flatMap((app) => (connectorApp(app)?.failureModes ?? []).map((mode) => ({ app, mode })))];
}

export async function drill(flow: Flow): Promise<{ outcomes: Outcome[]; risks: ReturnType<typeof lossRisks> }> {
  const deps = await startChaosDeps();
  const outcomes: Outcome[] = [];
  const successes = Object.fromEntries(Object.values(CONNECTOR_APPS).map((a) => [a.app.id, a.drillSuccess]));
  try {
    for (const fault of faultsFor(flow)) {
      deps.setFault(fault, successes);
      const dataDir = mkdtempSync(join(tmpdir(), 'flowdesk-drill-'));
      const flowsDir = mkdtempSync(join(tmpdir(), 'flowdesk-drill-flows-'));
      cpSync(join(REPO_ROOT, 'flows/state-map.json'), join(flowsDir, 'state-map.json'));
      const clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
      const env = {
        FLOWDESK_SMTP_HOST: '127.0.0.1',
        FLOWDESK_SMTP_PORT: String(deps.smtpPort),
        FLOWDESK_OPENAI_URL: deps.httpUrl,
        FLOWDESK_OPENAI_KEY: 'drill',
        FLOWDESK_CONFIG_CRM_URL: deps.httpUrl,
      };
      const rt = await startRuntime({ port: 0, dataDir, flowsDir, clock, env, fsync: false, log: quiet, pollMs: 0 });
      try {
        await createDrillConnections(rt, flow, deps);
        const aimed = aimAtChaos(flow, deps.httpUrl);
        const deployed = await rt.ctx.flows.deploy(aimed, new Date(clock.now()).toISOString());
        if (!deployed.ok) throw new Error(`flow is invalid: ${deployed.error.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
        for (const sample of flow.samples ?? []) {
          // admitted as a run started by hand, without its idempotency key: every sample runs under every fault
          const admission = admitEvent(deployed.flow.doc, { source: { kind: 'manual' }, payload: sample.payload, headers: sample.headers });
          if (admission.admit !== 'start') throw new Error(`sample "${sample.name}" is not admitted: ${admission.admit === 'rejected' ? admission.error : admission.reason}`);
          const res = await rt.ctx.runner.start(deployed.flow.doc, { ...admission.start, idempotencyKey: null });
          // compressed clock: jump from one due timer to the next, up to a day of virtual time
          for (let i = 0; i < 200; i++) {
            await rt.settle();
            const run = await rt.store.getRun(res.run.id);
            if (!run || !['waiting', 'queued', 'running'].includes(run.status)) break;
            const timers = (await rt.store.listTimers()).filter((t) => t.runId === run.id && t.kind === 'run');
            const next = Math.min(...timers.map((t) => Date.parse(t.dueAt)));
            if (!Number.isFinite(next) || next - clock.now() > 86_400_000) break;
            clock.set(new Date(Math.max(next, clock.now())).toISOString());
          }
          const run = (await rt.store.getRun(res.run.id))!;
          const attempts: Record<string, number> = {};
          for (const s of run.steps) if (s.attempts.length) attempts[s.nodeId] = s.attempts.length;
          const alerts = (await rt.store.listDocs('alerts')).filter((a) => a.runId === run.id).length;
          const erroredIdx = run.steps.findIndex((s) => s.port === 'error');
          const errored = erroredIdx >= 0 && erroredIdx < run.steps.length - 1 ? run.steps[erroredIdx] : undefined;
          const vendor = typeof fault === 'object' ? fault : undefined;
          const hit = vendor ? connectorNodes(flow).filter((c) => c.app === vendor.app).map((c) => run.steps.find((st) => st.nodeId === c.nodeId)) : [];
          const asExpected = vendor
            ? hit.every((st) => !st || (vendor.mode.expect === 'final' ? st.attempts.length === 1 && st.status === 'failed' : st.attempts.length > 1))
            : undefined;
          outcomes.push({
            sample: sample.name,
            fault: faultName(fault),
            ...(vendor ? { expect: vendor.mode.expect, asExpected } : {}),
            status: run.status,
            path: run.steps.map((s) => s.nodeId),
            attempts,
            deadLetter: !!(await rt.store.getDoc('deadLetters', run.id)),
            alerts,
            fallback: errored ? `${errored.nodeId} → error port → ${run.steps[erroredIdx + 1]!.nodeId}` : run.status === 'needs_review' ? 'review queue' : undefined,
          });
        }
      } finally {
        await rt.close();
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(flowsDir, { recursive: true, force: true });
      }
    }
  } finally {
    await deps.close();
  }
  return { outcomes, risks: lossRisks(flow) };
}

async function main() {
  const arg = process.argv[2];
  if (!arg) {
    console.error('usage: npm run drill -- <flow file or id>');
    process.exit(2);
  }
  const flow = loadFlow(resolve(arg).endsWith('.json') && existsSync(resolve(arg)) ? resolve(arg) : arg);
  if (!flow.samples?.length) console.warn(`flow ${flow.id} has no samples: only the static checks run`);
  const faults = faultsFor(flow);
  const { outcomes, risks } = await drill(flow);
  console.log(`failure drill — ${flow.id}${flow.critical ? ' (critical)' : ''}: ${flow.samples?.length ?? 0} samples × ${faults.length} faults (${faults.map(faultName).join(', ')})\n`);
  const outside = flow.nodes.flatMap((n) => (n.type === 'action' && actionSpec(n.action)?.outside ? [`${n.id} (${n.action})`] : []));
  console.log(`outside dependencies: ${outside.join(', ') || 'none'}\n`);
  const w = Math.max(9, ...faults.map((f) => faultName(f).length));
  console.log(`${'fault'.padEnd(w)} sample                      status         attempts per node                                 dead letter  alerts  fallback`);
  for (const o of outcomes) {
    const att = Object.entries(o.attempts).map(([k, v]) => `${k}×${v}`).join(' ') || '-';
    console.log(`${o.fault.padEnd(w)} ${o.sample.slice(0, 27).padEnd(27)} ${o.status.padEnd(14)} ${att.slice(0, 49).padEnd(49)} ${(o.deadLetter ? 'yes' : 'no').padEnd(12)} ${String(o.alerts).padEnd(7)} ${o.fallback ?? '-'}`);
  }
  const wrong = outcomes.filter((o) => o.asExpected === false);
  for (const o of wrong) console.log(`WRONG ${flow.id}: under ${o.fault} the connector step was not ${o.expect} (sample "${o.sample}")`);
  const failedRuns = outcomes.filter((o) => o.status === 'failed');
  console.log('');
  if (!flow.critical) console.log('not a critical flow: loss risks are reported, not fatal');
  for (const r of risks) console.log(`RISK ${flow.id}/${r.nodeId}: ${r.reason}`);
  for (const o of failedRuns) console.log(`RISK ${flow.id}: sample "${o.sample}" under ${o.fault} ended failed (not replayable as a dead letter) at ${o.path.at(-1)}`);
  const fatal = (flow.critical && (risks.length > 0 || failedRuns.length > 0)) || wrong.length > 0;
  console.log(fatal ? `\nFAIL: critical flow ${flow.id} can lose an event (${[...risks.map((r) => r.nodeId), ...failedRuns.map((o) => o.path.at(-1))].join(', ')})` : `\nOK: no event of ${flow.id} can be lost silently — every failure retried, dead-lettered with an alert, or routed to its fallback`);
  process.exit(fatal ? 1 : 0);
}

if (process.argv[1] && resolve(process.argv[1]).endsWith('drill.ts')) {
  main().catch((e: Error) => {
    console.error(`drill failed: ${e.message}`);
    process.exit(2);
  });
}
