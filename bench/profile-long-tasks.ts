// The long tasks in a V8 CPU profile: stretches of consecutive busy samples (no "(idle)" or "(program)"
// sample between them) longer than a threshold, each with where its time went — the functions with the
// most self time and the deepest frames of this repo's code on the stack (what scheduled the work).
//   node --import tsx bench/profile-long-tasks.ts <file.cpuprofile> [--over 20] [--top 40]
// (npm run bench:soak -- --minutes 3 --prof .tmp/prof-soak writes the runtime's profile.)
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO, isMain } from './lib.ts';
import type { Profile, ProfileNode } from './profile-summary.ts';


export interface LongTask {
  /** seconds since the profile started */
  atS: number;
  ms: number;
  /** self time by function within the task, most first */
  self: { fn: string; ms: number }[];
  /** the repo's own frames on the stack, by the time they were on it (inclusive), most first */
  ours: { fn: string; ms: number }[];
}

const where = (n: ProfileNode): string => {
  const { functionName, url, lineNumber } = n.callFrame;
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  const short = !u ? '' : nm >= 0 ? u.slice(nm + 13) : u.startsWith('/') ? relative(REPO, u) : u;
  return `${functionName || '(anonymous)'}${short ? ` ${short}:${lineNumber + 1}` : ''}`;
};

export function longTasks(prof: Profile, overMs: number): LongTask[] {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const idle = (n: ProfileNode) => n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(program)';
  const tasks: LongTask[] = [];
  let t = prof.startTime;
  let run: { start: number; samples: { id: number; dt: number }[] } | undefined;
  const close = () => {
    if (!run) return;
    const ms = run.samples.reduce((a, s) => a + s.dt, 0) / 1000;
    if (ms > overMs) {
      const self = new Map<string, number>();
      const ours = new Map<string, number>();
      for (const s of run.samples) {
        const n = byId.get(s.id)!;
        self.set(where(n), (self.get(where(n)) ?? 0) + s.dt / 1000);
        const seen = new Set<string>();
        for (let id: number | undefined = s.id; id !== undefined; id = parent.get(id)) {
          const f = byId.get(id)!;
          const u = f.callFrame.url;
          if (!u || u.includes('node_modules/') || u.startsWith('node:')) continue;
          const k = where(f);
          if (seen.has(k)) continue;
          seen.add(k);
          ours.set(k, (ours.get(k) ?? 0) + s.dt / 1000);
        }
      }
      const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([fn, v]) => ({ fn, ms: v }));
      tasks.push({ atS: (run.start - prof.startTime) / 1e6, ms, self: top(self), ours: top(ours) });
    }
    run = undefined;
  };
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    t += dt;
    const n = byId.get(prof.samples[i]!)!;
    if (idle(n)) close();
    else (run ??= { start: t - dt, samples: [] }).samples.push({ id: n.id, dt });
  }
  close();
  return tasks;
}

if (isMain(import.meta.filename)) {
  const args = process.argv.slice(2);
  const opt = (name: string, d: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args.splice(i, 2)[1]) : d;
  };
  const over = opt('--over', 20);
  const top = opt('--top', 40);
  if (args.length !== 1) {
    console.error('usage: node --import tsx bench/profile-long-tasks.ts <file.cpuprofile> [--over 20] [--top 40]');
    process.exit(2);
  }
  const tasks = longTasks(JSON.parse(readFileSync(args[0]!, 'utf8')) as Profile, over);
  const total = tasks.reduce((a, x) => a + x.ms, 0);
  console.log(`${tasks.length} tasks over ${over} ms, ${total.toFixed(0)} ms in all; the ${Math.min(top, tasks.length)} longest:`);
  for (const x of [...tasks].sort((a, b) => b.ms - a.ms).slice(0, top)) {
    console.log(`\n${x.ms.toFixed(1)} ms at ${x.atS.toFixed(1)} s`);
    console.log(`  self: ${x.self.slice(0, 5).map((s) => `${s.fn} ${s.ms.toFixed(1)}`).join(' | ')}`);
    console.log(`  ours: ${x.ours.slice(0, 6).map((s) => `${s.fn} ${s.ms.toFixed(1)}`).join(' | ')}`);
  }
}
