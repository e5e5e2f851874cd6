// `npm start`'s runtime command, read from package.json, so the benchmarks run the runtime exactly as a
// founder's `npm start` does (same node flags, same environment) and cannot drift from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StartCommand {
  /** `NAME=value` assignments before `node` */
  env: Record<string, string>;
  /** node's flags between `node` and the bundle */
  nodeFlags: string[];
  /** the script node runs */
  entry: string;
}

/** Parses the last `&&`-separated command of a start script: `[NAME=value …] node [flags …] <entry>`. */
export function parseStartCommand(script: string): StartCommand {
  const words = (script.split('&&').at(-1) ?? '').trim().split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!); i++) {
    const eq = words[i]!.indexOf('=');
    env[words[i]!.slice(0, eq)] = words[i]!.slice(eq + 1);
  }
  const entry = words.at(-1);
  if (words[i] !== 'node' || entry === undefined || i === words.length - 1 || entry.startsWith('-'))
    throw new Error(`the start script's last command is not "[NAME=value …] node [flags …] <script>": ${script}`);
  const nodeFlags = words.slice(i + 1, -1);
  const odd = nodeFlags.find((f) => !f.startsWith('--'));
  if (odd !== undefined) throw new Error(`the start script passes node "${odd}", not a --flag: ${script}`);
  return { env, nodeFlags, entry };
}

export function npmStartCommand(repo: string): StartCommand {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return parseStartCommand(pkg.scripts.start);
}

/** The commands docs/flowdesk.service runs: its ExecStartPre lines, then its ExecStart (as a StartCommand). */
export interface UnitCommands {
  /** each ExecStartPre as argv, `/usr/bin/node` read as `node` */
  pre: string[][];
  start: StartCommand;
  /** Environment= assignments */
  env: Record<string, string>;
  /** RestartSec in ms */
  restartSecMs: number;
}

export function parseUnit(text: string): UnitCommands {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const values = (key: string) => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1).trim());
  const argv = (cmd: string) => cmd.split(/\s+/).map((w, i) => (i === 0 && w.endsWith('/node') ? 'node' : w));
  const start = values('ExecStart');
  if (start.length !== 1) throw new Error(`the unit has ${start.length} ExecStart lines, not one`);
  const env: Record<string, string> = {};
  for (const v of values('Environment')) {
    const eq = v.indexOf('=');
    env[v.slice(0, eq)] = v.slice(eq + 1);
  }
  const rs = values('RestartSec')[0] ?? '100ms';
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(rs);
  if (!m) throw new Error(`RestartSec "${rs}" is not a number of s or ms`);
  return { pre: values('ExecStartPre').map(argv), start: parseStartCommand(argv(start[0]!).join(' ')), env, restartSecMs: Number(m[1]) * (m[2] === 'ms' ? 1 : 1000) };
}

export const systemdUnit = (repo: string): UnitCommands => parseUnit(readFileSync(join(repo, 'docs/flowdesk.service'), 'utf8'));
