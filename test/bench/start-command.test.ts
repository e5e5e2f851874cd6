// The benchmarks take the runtime's node flags and environment from `npm start` itself.
import { describe, expect, it } from 'vitest';
import { npmStartCommand, parseStartCommand } from '../../bench/start-command.ts';
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
});
