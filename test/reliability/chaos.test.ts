// Chaos: 2,000 events with unique keys plus 20% duplicates fired concurrently at a child runtime
// whose action calls a local receiver that dedupes by Idempotency-Key (as a payment API does);
// SIGKILL at a random moment and restart, three times. Once the load stops and the runtime's work has
// drained, every acknowledged runId is the stored run of its key: lost=0, duplicate_runs=0, unfinished=0.
// Half the keys arrive as JSON, half as an HTML form post (urlencoded): both sources, one accounting.
// A third source is e-mail: messages (a fifth of them delivered twice, same Message-ID) are appended to
// a real IMAP server on loopback while the load runs and while the runtime is down, so each SIGKILL
// lands while the runtime is reading a backlog of mail; every delivered message has exactly one run.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { flowsDirWithDocs, shuffledKeys, tempDir } from '../support/runtime.ts';
import { mulberry32 } from '../support/seed-month.ts';
import { accountRuns, formatAccounting, runsInHand, waitForDrain } from '../support/accounting.ts';
import { rfc822, startImapServer, type ImapServer } from '../support/imap-server.ts';

const UNIQUE = 2000;
const DUPLICATES = 400;
const CONCURRENCY = 48;
/** e-mail source: messages delivered while each round's load runs, and while the runtime is down */
const MAILS_DURING = 40;
const MAILS_WHILE_DOWN = 60;
const MAIL_PASS = 'chaos-mail-pass';

/** odd keys come from the HTML form source */
const isFormKey = (key: string) => Number(key.slice(1)) % 2 === 1;

let child: ChildRuntime | undefined;
let receiver: Server | undefined;
let imap: ImapServer | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await child?.kill();
  await imap?.stop();
  await new Promise<void>((ok) => (receiver ? receiver.close(() => ok()) : ok()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


describe('chaos', () => {
  it('three SIGKILLs under load: lost=0, duplicate_runs=0', async () => {
    const effects = new Map<string, number>(); // idempotency key → deliveries
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        effects.set(key, (effects.get(key) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((ok) => receiver!.listen(0, '127.0.0.1', ok));
    const port = (receiver.address() as AddressInfo).port;

    imap = await startImapServer({ chaos: MAIL_PASS });
    const mailer = await imap.client('chaos', MAIL_PASS);
    const delivered = new Map<string, number>(); // Message-ID → times appended (acknowledged by the server)
    let mailSeq = 0;
    const mailRandom = mulberry32(7);
    /** appends `n` messages, one in five a redelivery of an earlier Message-ID */
    const deliverMail = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const again = delivered.size > 0 && mailRandom() < 0.2;
        const id = again ? [...delivered.keys()][Math.floor(mailRandom() * delivered.size)]! : `<m${++mailSeq}@chaos.test>`;
        // dated ahead: the first read counts mail from the trigger's switching on (whole seconds in IMAP)
        await mailer.append('INBOX', rfc822({ from: 'lead@example.com', to: 'chaos@example.com', subject: `mail ${id}`, text: 'hi', messageId: id }), [], new Date(Date.now() + 5000));
        delivered.set(id, (delivered.get(id) ?? 0) + 1);
      }
    };

    const dataDir = tempDir();
    const flowsDir = flowsDirWithDocs([
      {
        dsl: 1, id: 'charge', name: 'Charge', critical: true, severity: 'P0',
        trigger: { type: 'webhook', path: 'charge', auth: { type: 'none' }, payloadSchema: { type: 'object', required: ['key'] }, idempotencyKey: { var: 'payload.key' } },
        nodes: [
          { id: 'pay', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${port}/pay`, body: { key: '{{payload.key}}' } } },
          { id: 'end', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'pay' }, { from: 'pay', to: 'end' }],
      },
      {
        dsl: 1, id: 'mail-charge', name: 'Charge by mail', critical: true, severity: 'P0',
        trigger: { type: 'email', host: '127.0.0.1', port: imap.port, tls: 'none', user: 'chaos', password: 'IMAP_PASS', interval: '10s' },
        nodes: [
          { id: 'pay', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${port}/pay`, body: { key: '{{payload.messageId}}' } } },
          { id: 'end', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'pay' }, { from: 'pay', to: 'end' }],
      },
    ]);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_SECRET_IMAP_PASS: MAIL_PASS };

    const random = mulberry32(20261124);
    const events = shuffledKeys(UNIQUE, DUPLICATES, random);
    const acked = new Map<string, Set<string>>(); // key → run ids answered
    let pending = events.slice();
    const mailReadAtKill: string[] = [];

    for (let round = 0; round <= 3; round++) {
      if (round > 0) await deliverMail(MAILS_WHILE_DOWN); // a backlog the restarted runtime reads at once
      child = await startChildRuntime(env);
      const url = child.url;
      const killAt = round < 3 ? 300 + Math.floor(random() * 700) : Infinity; // acks before the kill
      let acks = 0;
      let killed = false;
      const failed: string[] = [];
      const queue = pending.slice();
      const worker = async () => {
        for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
          if (killed) {
            failed.push(key);
            continue;
          }
          try {
            const form = isFormKey(key);
            const res = await fetch(`${url}/hooks/charge`, {
              method: 'POST',
              headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', accept: 'application/json' },
              body: form ? new URLSearchParams({ key }).toString() : JSON.stringify({ key }),
            });
            const body = (await res.json()) as { runId: string };
            if (res.status === 202 || res.status === 200) {
              if (!acked.has(key)) acked.set(key, new Set());
              acked.get(key)!.add(body.runId);
              if (++acks >= killAt && !killed) {
                killed = true;
                // how far the mail backlog was read when the kill lands (the runtime is reading it)
                const read = ((await (await fetch(`${url}/api/runs?flowId=mail-charge&limit=1000`)).json()) as unknown[]).length;
                mailReadAtKill.push(`${read}/${[...delivered.values()].reduce((n, c) => n + c, 0)}`);
                await child!.kill('SIGKILL');
              }
            } else failed.push(key);
          } catch {
            failed.push(key); // cut by the kill: never acknowledged, the sender tries again
          }
        }
      };
      await Promise.all([...Array.from({ length: CONCURRENCY }, worker), deliverMail(MAILS_DURING)]);
      pending = failed;
      if (round < 3) {
        if (!killed) await child.kill('SIGKILL');
      }
    }
    expect(pending).toEqual([]);

    await mailer.logout();

    // the load has stopped: wait for the runtime's work to drain, then count
    const url = child!.url;
    const listRuns = async (query: string, flowId = 'charge') => {
      const out: { id: string; status: string; idempotencyKey: string | null; wakeAt?: string }[] = [];
      for (let before: string | undefined; ; ) {
        const page = (await (await fetch(`${url}/api/runs?flowId=${flowId}&limit=1000${query}${before ? `&before=${before}` : ''}`)).json()) as typeof out;
        out.push(...page);
        if (page.length < 1000) return out;
        before = page[page.length - 1]!.id;
      }
    };
    // every delivered message is read within a few 10 s reads (50 a session, the rest at once after)
    const mailKeys = async () => new Set((await listRuns('', 'mail-charge')).map((r) => r.idempotencyKey));
    for (const until = Date.now() + 90_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
      const seen = await mailKeys();
      if ([...delivered.keys()].every((k) => seen.has(k))) break;
    }
    const drain = await waitForDrain(async () => ({
      inHand: await runsInHand(url),
      open: (await Promise.all(['queued', 'running', 'waiting'].flatMap((st) => [listRuns(`&status=${st}`), listRuns(`&status=${st}`, 'mail-charge')]))).flat(),
    }));
    const runs = await listRuns('');
    const mailRuns = await listRuns('', 'mail-charge');
    const a = accountRuns(acked, runs);
    const missingEffects = a.succeeded.filter((r) => !effects.has(`${r.id}:pay`)).length;
    const redelivered = [...effects.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`chaos: events=${events.length} runs=${runs.length} ${formatAccounting(a)} redelivered=${redelivered} drained=${drain.clean} in ${drain.waitedMs} ms`);
    for (const [source, pick] of [['json', (k: string | null) => k !== null && !isFormKey(k)], ['form', (k: string | null) => k !== null && isFormKey(k)]] as const) {
      const part = accountRuns(new Map([...acked].filter(([k]) => pick(k))), runs.filter((r) => pick(r.idempotencyKey)));
      console.log(`chaos source=${source}: acked_keys=${[...acked.keys()].filter(pick).length} lost=${part.lost} duplicate_runs=${part.duplicateRuns}`);
      expect([part.lost, part.duplicateRuns]).toEqual([0, 0]);
    }
    // e-mail: a message the server accepted is acknowledged; each Message-ID has exactly one run
    const mailByKey = new Map<string, number>();
    for (const r of mailRuns) mailByKey.set(String(r.idempotencyKey), (mailByKey.get(String(r.idempotencyKey)) ?? 0) + 1);
    const mail = {
      lost: [...delivered.keys()].filter((k) => !mailByKey.has(k)).length,
      duplicateRuns: [...mailByKey.values()].filter((n) => n > 1).length,
      unexpected: [...mailByKey.keys()].filter((k) => !delivered.has(k)).length,
      unfinished: mailRuns.filter((r) => r.status !== 'succeeded').length,
    };
    const mailDeliveries = [...delivered.values()].reduce((n, c) => n + c, 0);
    console.log(`chaos source=email: delivered=${mailDeliveries} message_ids=${delivered.size} runs=${mailRuns.length} lost=${mail.lost} duplicate_runs=${mail.duplicateRuns} unfinished=${mail.unfinished} runs/deliveries at each kill=${mailReadAtKill.join(' ')}`);
    expect(mail).toEqual({ lost: 0, duplicateRuns: 0, unexpected: 0, unfinished: 0 });
    expect(mailDeliveries).toBeGreaterThan(delivered.size); // redeliveries of one Message-ID were in the stream
    for (const r of mailRuns) expect(effects.has(`${r.id}:pay`)).toBe(true);

    expect(a.ackedKeys).toBe(UNIQUE);
    expect({ lost: a.lost, duplicateRuns: a.duplicateRuns, splitAnswers: a.splitAnswers, unfinished: a.unfinished }).toEqual({ lost: 0, duplicateRuns: 0, splitAnswers: 0, unfinished: 0 });
    expect(drain.clean).toBe(true);
    expect(a.succeeded).toHaveLength(runs.length);
    expect(missingEffects).toBe(0);
    expect(effects.size).toBe(a.succeeded.length + mailRuns.length);
  }, 300_000);
});
