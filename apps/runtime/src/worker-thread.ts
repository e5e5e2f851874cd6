// A worker thread of the runtime's own (the code sandbox, the egress worker): from source (tests, tsx)
// its TypeScript is loaded through tsx; from the bundle (npm start), the file built beside main.mjs.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `source`: the worker's .ts module; `bundled`: its .mjs beside the bundle (scripts/build-runtime.mjs). */
export function startWorker(source: URL, bundled: URL, options: WorkerOptions = {}): Worker {
  if (import.meta.url.endsWith('.ts')) {
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(source.href)}); })`, { ...options, eval: true });
  }
  return new Worker(bundled, options);
}
