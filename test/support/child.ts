// Test support: the runtime as a child process (`node --import tsx apps/runtime/src/main.ts`, or a built bundle), for
// crash tests that SIGKILL it; or on a clock the test moves (`startClockedChild`, test/support/clocked-main.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './runtime.ts';

export interface ChildRuntime {
  url: string;
  proc: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Instances sharing PostgreSQL share one master key (the runtime refuses to start there without one). */
export const TEST_MASTER_KEY = Buffer.alloc(32, 42).toString('base64');
const withMasterKey = (env: Record<string, string>) => (env.FLOWDESK_DATABASE_URL && env.FLOWDESK_MASTER_KEY === undefined ? { ...env, FLOWDESK_MASTER_KEY: TEST_MASTER_KEY } : env);

const MAIN = join(REPO, 'apps/runtime/src/main.ts');

export async function startChildRuntime(env: Record<string, string>, timeoutMs = 90_000, entry = MAIN, nodeArgs: string[] = []): Promise<ChildRuntime> {
  // a built bundle (.mjs) runs as plain JavaScript, as `npm start` runs it
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...nodeArgs, ...loader, entry], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', PORT: '0', FLOWDESK_FSYNC: '1', ...withMasterKey(env) },
    // another entry (the clocked one) is driven over an IPC channel
    stdio: entry === MAIN || loader.length === 0 ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`runtime did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /running at (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(Object.assign(new Error(`runtime exited with ${code}:\n${out}`), { code, output: out }));
    });
  });
  return {
    url,
    proc,
    output: () => out,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((ok) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return ok();
        proc.once('exit', () => ok());
        proc.kill(signal);
      }),
  };
}

/** Runs the runtime to its exit (for start-up failures); resolves with the exit code and output. */
export function runChildToExit(env: Record<string, string>, timeoutMs = 90_000): Promise<{ code: number | null; output: string }> {
  return new Promise((ok, fail) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'apps/runtime/src/main.ts')], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...withMasterKey(env) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      fail(new Error(`runtime still running after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      ok({ code, output: out });
    });
  });
}

export interface ClockedChild extends ChildRuntime {
  /** moves the child's ManualClock by `ms`, fires what fell due, waits until its runs have parked or ended */
  advance(ms: number): Promise<number>;
  /** fires what is due now and waits until the runs have parked or ended; resolves with the child's clock */
  settle(): Promise<number>;
}

/**
 * The runtime in a child process on a ManualClock starting at `clockMs`, moved only by this test.
 * `entry`: another clocked entry speaking the same IPC (e.g. cursor-kill-main.ts).
 */
export async function startClockedChild(env: Record<string, string>, clockMs: number, entry = join(REPO, 'test/support/clocked-main.ts')): Promise<ClockedChild> {
  const child = await startChildRuntime({ ...env, FLOWDESK_TEST_CLOCK_MS: String(clockMs) }, 90_000, entry);
  let seq = 0;
  const call = (advanceMs: number) =>
    new Promise<number>((ok, fail) => {
      const id = ++seq;
      const onMessage = (m: { id: number; now: number }) => {
        if (m.id !== id) return;
        child.proc.off('message', onMessage);
        child.proc.off('exit', onExit);
        ok(m.now);
      };
      const onExit = () => fail(new Error(`clocked runtime exited:\n${child.output()}`));
      child.proc.on('message', onMessage);
      child.proc.once('exit', onExit);
      child.proc.send({ id, advanceMs });
    });
  return { ...child, advance: (ms) => call(ms), settle: () => call(0) };
}
