// npm run bench:host — what this machine's kernel charges for what a runtime does a few times per event
// at a low rate: a system call, a first touch of a page (a page fault), waking another thread and being
// woken back, and a 50-µs timed sleep. On the virtual machines these benchmarks run on they cost ~10×
// bare metal's (stop 43: 1 µs, 10 µs, 21–26 µs, 120 µs), which is why an event costs the runtime about
// three times as much CPU at 1,000/s as at saturation (each one pays its own wake-ups), and they move with
// the host's own load. `npm run bench` prints them at its start and its end, so that a run's figures can
// be read against them. They do not show CPU time the host's other tenants take (a run at 17:33 in stop 43
// had Express's rate move 3,906–7,065/s with these unchanged): the bare Express route's figures do.
import { Worker } from 'node:worker_threads';
import { isMain, medianNum } from './lib.ts';

export interface HostCosts {
  /** one system call (getuid), µs */
  syscallUs: number;
  /** the first write to a fresh page of anonymous memory, µs (a touch of a resident page subtracted) */
  pageFaultUs: number;
  /** wake another thread (futex) and be woken by it, µs */
  wakeRoundTripUs: number;
  /** a 50-µs timed wait, as long as it really took, µs */
  sleep50Us: number;
  /** a fixed CPU-bound loop (20M steps of xorshift), ms: the CPU's own speed now (the host's other tenants move it) */
  spinMs: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1000;

function syscallUs(): number {
  const n = 100_000;
  const t = now();
  for (let i = 0; i < n; i++) process.getuid?.();
  return (now() - t) / n;
}

function pageFaultUs(): number {
  const bytes = 64 * 2 ** 20; // above glibc's largest mmap threshold: fresh pages from the kernel
  const b = Buffer.allocUnsafeSlow(bytes);
  const touch = (v: number): number => {
    const t = now();
    for (let i = 0; i < bytes; i += 4096) b[i] = v;
    return now() - t;
  };
  const first = touch(1);
  const again = touch(2);
  return (first - again) / (bytes / 4096);
}

// the worker answers each ping (slot 0) with a pong (slot 1) through Atomics.wait/notify (futexes)
const PONG = `
const { workerData } = require('node:worker_threads');
const a = new Int32Array(workerData.sab);
for (let i = 1; i <= workerData.n; i++) {
  while (Atomics.load(a, 0) < i) Atomics.wait(a, 0, i - 1);
  Atomics.store(a, 1, i);
  Atomics.notify(a, 1);
}`;

async function wakeRoundTripUs(): Promise<number> {
  const n = 5_000;
  const sab = new SharedArrayBuffer(12);
  const a = new Int32Array(sab);
  const w = new Worker(PONG, { eval: true, workerData: { sab, n } });
  await new Promise((ok) => w.once('online', ok));
  const t = now();
  for (let i = 1; i <= n; i++) {
    Atomics.store(a, 0, i);
    Atomics.notify(a, 0);
    while (Atomics.load(a, 1) < i) Atomics.wait(a, 1, i - 1);
  }
  const us = (now() - t) / n;
  await w.terminate();
  return us;
}

function sleep50Us(): number {
  const a = new Int32Array(new SharedArrayBuffer(4));
  const n = 1_000;
  const t = now();
  for (let i = 0; i < n; i++) Atomics.wait(a, 0, 0, 0.05);
  return (now() - t) / n;
}

function spinMs(): number {
  const t = now();
  let x = 2463534242;
  for (let i = 0; i < 20_000_000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  if (x === 0) console.log(''); // keeps the loop from being optimised away
  return (now() - t) / 1000;
}

/** Each cost the median of 3 tries (~1 s in all). */
export async function measureHostCosts(): Promise<HostCosts> {
  const tries = [0, 1, 2];
  const wakes: number[] = [];
  for (const _ of tries) wakes.push(await wakeRoundTripUs());
  return {
    syscallUs: medianNum(tries.map(syscallUs)),
    pageFaultUs: medianNum(tries.map(pageFaultUs)),
    wakeRoundTripUs: medianNum(wakes),
    sleep50Us: medianNum(tries.map(sleep50Us)),
    spinMs: medianNum(tries.map(spinMs)),
  };
}

export const formatHostCosts = (c: HostCosts): string =>
  `a system call ${c.syscallUs.toFixed(2)} µs, a page fault ${c.pageFaultUs.toFixed(1)} µs, a thread's wake-up and back ${c.wakeRoundTripUs.toFixed(1)} µs, a 50-µs sleep ${c.sleep50Us.toFixed(0)} µs, 20M steps of a CPU-bound loop ${c.spinMs.toFixed(0)} ms`;

if (isMain(import.meta.filename)) console.log(`host costs: ${formatHostCosts(await measureHostCosts())}`);
