// The egress worker (see egress-thread.ts): runs the exchanges the loop thread sends, under the same
// rules (egress.ts checks them again here), and answers in batches, one message per turn of its loop.
import { parentPort } from 'node:worker_threads';
import { egressPolicy } from './egress.ts';
import { exchange } from './egress-exchange.ts';
import type { EgressJob, EgressReply } from './egress-thread.ts';

const port = parentPort!;
let replies: EgressReply[] = [];
let flushing = false;

function reply(r: EgressReply): void {
  replies.push(r);
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    const batch = replies;
    replies = [];
    port.postMessage(batch);
  });
}

port.on('message', (jobs: EgressJob[]) => {
  for (const { id, policy, url, body, ...rest } of jobs) {
    const req = { ...rest, url: new URL(url), ...(body === undefined ? {} : { body: typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength) }) };
    exchange(req, egressPolicy({ FLOWDESK_EGRESS_ALLOW: policy })).then(
      (res) => reply({ id, res: { status: res.status, headers: res.headers, text: res.text } }),
      (e: Error & { code?: string }) => reply({ id, err: { name: e.name, message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) } }),
    );
  }
});
