// Shared by the attack tests: raw HTTP with any Host and source address (fetch may set neither), and
// a count of everything an attack could have caused — runs, records, tasks, outbox mail, flow
// versions, rejected events and calls to a dependency.
import { request } from 'node:http';
import type { Runtime } from '../../apps/runtime/src/index.ts';
import type { FailServer } from '../support/fail-server.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

export interface RawRequest {
  method?: string;
  path: string;
  /** sent as given; `host` defaults to the runtime's own 127.0.0.1:port */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** the source address (any of 127.0.0.0/8 on Linux) */
  localAddress?: string;
}

export function raw(rt: { port: number }, r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${rt.port}`, ...r.headers };
    const framed = Object.keys(headers).some((h) => ['content-length', 'transfer-encoding'].includes(h.toLowerCase()));
    if (r.body !== undefined && !framed) headers['content-length'] = String(Buffer.byteLength(r.body));
    const req = request({ host: '127.0.0.1', port: rt.port, method: r.method ?? 'GET', path: r.path, headers, setHost: false, localAddress: r.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

export interface SideEffects {
  runs: number;
  records: number;
  tasks: number;
  outbox: number;
  flowVersions: number;
  rejected: number;
  outgoing: number;
}

/** Everything that could change; compare before and after an attack. */
export async function sideEffects(rt: Runtime, deps: FailServer[] = []): Promise<SideEffects> {
  const flows = await rt.store.listFlows();
  let versions = 0;
  for (const f of flows) versions += (await rt.store.listFlowVersions(f.id)).length;
  return {
    runs: await rt.store.countRuns(),
    records: (await rt.store.listRecords({})).length,
    tasks: (await rt.store.listDocs('tasks')).length,
    outbox: (await rt.store.listDocs('outbox')).length,
    flowVersions: versions,
    rejected: (await rt.store.listRejected({ limit: 100_000 })).length,
    outgoing: deps.reduce((n, d) => n + d.requests.length, 0),
  };
}

/** A logger that keeps what it is given, for "the refusal is logged". */
export function recordingLog() {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

export const TUNNEL_HOST = 'abc.trycloudflare.com';
export const EVIL_HOST = 'rebind.evil.example';
