// The benchmarks take the runtime's node flags and environment from `npm start` itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { npmStartCommand, parseStartCommand, parseUnit, systemdUnit } from '../../bench/start-command.ts';
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS, runtimeEntryPath } from '../../bench/lib.ts';
import { REPO } from '../support/runtime.ts';

describe("the benchmarks' runtime command", () => {
  it('is npm start\'s: its node flags, its environment and its bundle', () => {
    const start = npmStartCommand(REPO);
    expect(start.entry).toBe('apps/runtime/dist/main.mjs');
    expect(start.nodeFlags).toContain('--max-old-space-size=256');
    expect(start.env).toHaveProperty('MALLOC_MMAP_THRESHOLD_', '131072');
    expect(RUNTIME_NODE_FLAGS).toEqual(start.nodeFlags);
    expect(RUNTIME_ENV).toEqual(start.env);
    expect(runtimeEntryPath).toBe(start.entry);
  });

  it('reads the last command of the script, its assignments and flags', () => {
    expect(parseStartCommand('node scripts/build.mjs && A=1 B_2=x=y node --a --b=2 dist/main.mjs')).toEqual({
      env: { A: '1', B_2: 'x=y' },
      nodeFlags: ['--a', '--b=2'],
      entry: 'dist/main.mjs',
    });
    expect(parseStartCommand('node main.mjs')).toEqual({ env: {}, nodeFlags: [], entry: 'main.mjs' });
  });

  it('refuses a start script of another shape, naming it', () => {
    expect(() => parseStartCommand('tsx apps/runtime/src/main.ts')).toThrow(/not "\[NAME=value …\] node/);
    expect(() => parseStartCommand('node --flag')).toThrow(/not "\[NAME=value …\] node/);
    expect(() => parseStartCommand('node')).toThrow(/not "\[NAME=value …\] node/);
    expect(() => parseStartCommand('node -r x main.mjs')).toThrow(/passes node "-r"/);
  });

  it("the systemd unit runs npm start's commands without npm: the build check first, then the same runtime command and environment", () => {
    const unit = systemdUnit(REPO);
    const start = npmStartCommand(REPO);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } };
    expect(unit.pre).toEqual([pkg.scripts.start.split('&&')[0]!.trim().split(/\s+/)]);
    expect(unit.start).toEqual({ env: {}, nodeFlags: start.nodeFlags, entry: start.entry });
    for (const [k, v] of Object.entries(start.env)) expect(unit.env[k]).toBe(v);
    expect(unit.restartSecMs).toBeLessThanOrEqual(500);
  });

  it('reads a unit: ExecStartPre lines, one ExecStart, Environment, RestartSec; refuses two ExecStart lines', () => {
    const unit = parseUnit('[Service]\n# ExecStart=/usr/bin/npm start\nExecStartPre=/usr/bin/node a.mjs\nExecStart=/usr/bin/node --x=1 b.mjs\nEnvironment=A=1=2\nRestartSec=2\n');
    expect(unit).toEqual({ pre: [['node', 'a.mjs']], start: { env: {}, nodeFlags: ['--x=1'], entry: 'b.mjs' }, env: { A: '1=2' }, restartSecMs: 2000 });
    expect(parseUnit('ExecStart=/usr/bin/node b.mjs\nRestartSec=150ms').restartSecMs).toBe(150);
    expect(() => parseUnit('ExecStart=/usr/bin/node a.mjs\nExecStart=/usr/bin/node b.mjs')).toThrow(/2 ExecStart lines/);
  });
});
