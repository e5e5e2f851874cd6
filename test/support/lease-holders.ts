// Another instance on the database holding one lease: test/support/lease-holder.ts in a process of its
// own (its instance id is `pid<pid>-…`), resolved once it holds the lease, so a test can SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './runtime.ts';

export function startLeaseHolder(url: string, name: string, leaseMs: number, procs: ChildProcess[]): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/support/lease-holder.ts')], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', FLOWDESK_DATABASE_URL: url, FLOWDESK_LEASE_MS: String(leaseMs), LEASE_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  return new Promise((ok, fail) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"event":"acquired"')) ok(proc);
    });
    proc.once('exit', (code) => fail(new Error(`lease holder exited with ${code}: ${out}`)));
  });
}
