// node --import tsx bench/fdatasync.ts — the disk's floor under the embedded store's p99: latency of one
// append of 4 KB followed by fdatasync (what one group commit costs at least), p50/p90/p99/max.
//   BENCH_FSYNC_N (2000) samples, BENCH_FSYNC_BYTES (4096) per write, BENCH_FSYNC_DIR (os.tmpdir()).
import { open, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNum, isMain, loadAvg, machine, writeResult } from './lib.ts';

export interface FdatasyncResult {
  dir: string;
  bytes: number;
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  loadAvg: number;
  machine: string;
}

export async function measureFdatasync(o: { n?: number; bytes?: number; dir?: string } = {}): Promise<FdatasyncResult> {
  const n = o.n ?? envNum('BENCH_FSYNC_N', 2000);
  const bytes = o.bytes ?? envNum('BENCH_FSYNC_BYTES', 4096);
  const dir = await mkdtemp(join(o.dir ?? process.env.BENCH_FSYNC_DIR ?? tmpdir(), 'flowdesk-fdatasync-'));
  const fh = await open(join(dir, 'log'), 'a');
  const buf = Buffer.alloc(bytes, 0x61);
  const lat: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await fh.write(buf);
      await fh.datasync();
      lat.push(performance.now() - t0);
    }
  } finally {
    await fh.close();
    await rm(dir, { recursive: true, force: true });
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return { dir, bytes, samples: n, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: lat[lat.length - 1]!, loadAvg: loadAvg(), machine: machine() };
}

if (isMain(import.meta.filename)) {
  const r = await measureFdatasync();
  console.log(
    `write ${r.bytes} B + fdatasync, ${r.samples} samples in ${r.dir} (load average ${r.loadAvg}): p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(2)} ms`,
  );
  console.log(`results: ${writeResult('fdatasync', r)}`);
}
