// This instance's identity in a cluster: a random id kept in its data dir (`instance-id`), made on first
// start. Stable across restarts of the process — a restart takes back its own runs at once instead of
// after the lease — and distinct between machines, even when their data dirs have the same path.
// (A data dir copied to a second machine carries the id with it: give each instance a data dir of its own.)
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const INSTANCE_ID_FILE = 'instance-id';

export function instanceIdOf(dataDir: string): string {
  const file = join(dataDir, INSTANCE_ID_FILE);
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9._:-]{8,100}$/.test(id)) return id;
    throw new Error(`${file} does not hold an instance id (expected 8–100 letters, digits, . _ : -); delete it to make a new one`);
  }
  const id = randomUUID();
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, `${id}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return id;
}
