import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instanceIdOf, INSTANCE_ID_FILE } from './instance-id.ts';

describe('instance id', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'flowdesk-iid-'));
    dirs.push(d);
    return d;
  };

  it('is made once per data dir, kept across restarts, and differs between data dirs at the same path on two machines', () => {
    const a = dir();
    const id = instanceIdOf(a);
    expect(readFileSync(join(a, INSTANCE_ID_FILE), 'utf8').trim()).toBe(id);
    expect(instanceIdOf(a)).toBe(id);
    // another machine's data dir (a fresh dir standing in for the same path elsewhere)
    expect(instanceIdOf(dir())).not.toBe(id);
    // a data dir that does not exist yet is created
    expect(instanceIdOf(join(dir(), 'nested', 'data'))).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a file that does not hold an id, naming it', () => {
    const a = dir();
    writeFileSync(join(a, INSTANCE_ID_FILE), 'not an id!\n');
    expect(() => instanceIdOf(a)).toThrow(new RegExp(`${INSTANCE_ID_FILE} does not hold an instance id`));
  });
});
