// Summarises V8 CPU profiles (.cpuprofile, e.g. from BENCH_CPU_PROF=<dir> npm run bench:rates): the top
// functions by self time, and self time by file / package.
//   node --import tsx bench/profile-summary.ts <file-or-dir>… [--top 30]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO, isMain } from './lib.ts';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Summary {
  files: string[];
  totalMs: number;
  idleMs: number;
  functions: { name: string; where: string; selfMs: number; pct: number }[];
  byFile: { where: string; selfMs: number; pct: number }[];
  byPackage: { where: string; selfMs: number; pct: number }[];
}

export const shortUrl = (url: string): string => {
  if (!url) return '(native)';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) return p.slice(nm + 'node_modules/'.length);
  return p.startsWith('/') ? relative(REPO, p) : p;
};
const packageOf = (url: string): string => {
  const s = shortUrl(url);
  if (s === '(native)') return '(native / GC / idle-free V8 internals)';
  if (s.startsWith('node:')) return `node core (${s.split('/')[0]})`;
  const m = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(s);
  if (url.includes('node_modules/')) return m ? m[1]! : s;
  if (s.startsWith('apps/') || s.startsWith('packages/')) return s.split('/').slice(0, 4).join('/');
  return s;
};

export function summarise(paths: string[]): Summary {
  const files = paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(p, f)) : [p]));
  const fn = new Map<string, { name: string; where: string; selfMs: number }>();
  const byFile = new Map<string, number>();
  const byPkg = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const f of files) {
    const prof = JSON.parse(readFileSync(f, 'utf8')) as Profile;
    const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < prof.samples.length; i++) {
      const dt = (prof.timeDeltas[i] ?? 0) / 1000;
      const n = nodes.get(prof.samples[i]!)!;
      const { functionName, url, lineNumber } = n.callFrame;
      if (functionName === '(idle)') {
        idle += dt;
        continue;
      }
      total += dt;
      const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
      const key = `${functionName}@${where}`;
      const e = fn.get(key) ?? { name: functionName || '(anonymous)', where, selfMs: 0 };
      e.selfMs += dt;
      fn.set(key, e);
      const file = shortUrl(url);
      byFile.set(file, (byFile.get(file) ?? 0) + dt);
      const pkg = url ? packageOf(url) : functionName.startsWith('(') ? functionName : '(native)';
      byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + dt);
    }
  }
  const pctOf = (ms: number) => (total ? (ms / total) * 100 : 0);
  const sorted = <T extends { selfMs: number }>(xs: T[]) => xs.sort((a, b) => b.selfMs - a.selfMs);
  return {
    files,
    totalMs: total,
    idleMs: idle,
    functions: sorted([...fn.values()]).map((e) => ({ ...e, pct: pctOf(e.selfMs) })),
    byFile: sorted([...byFile].map(([where, selfMs]) => ({ where, selfMs, pct: pctOf(selfMs) }))),
    byPackage: sorted([...byPkg].map(([where, selfMs]) => ({ where, selfMs, pct: pctOf(selfMs) }))),
  };
}

export function printSummary(s: Summary, top = 30): void {
  console.log(`\nCPU profile: ${s.files.length} file(s), ${(s.totalMs / 1000).toFixed(1)} s on CPU, ${(s.idleMs / 1000).toFixed(1)} s idle`);
  console.log(`\ntop ${top} functions by self time`);
  for (const f of s.functions.slice(0, top)) console.log(`${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`);
  console.log('\nself time by package / area');
  for (const f of s.byPackage.slice(0, 25)) console.log(`${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.where}`);
  console.log('\nself time by file');
  for (const f of s.byFile.slice(0, 25)) console.log(`${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.where}`);
}

if (isMain(import.meta.filename)) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--top');
  const top = ti >= 0 ? Number(args.splice(ti, 2)[1]) : 30;
  if (!args.length) {
    console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile | dir>… [--top 30]');
    process.exit(2);
  }
  printSummary(summarise(args), top);
}
