// Preloaded into the runtime by bench/alloc-profile.ts (`node --import bench/alloc-probe.mjs`): the first
// SIGUSR2 starts V8's sampling heap profiler counting every allocation, also those a later collection
// freed (so the profile is what was allocated, not what is still alive); the second writes the profile
// to $FLOWDESK_ALLOC_PROFILE. FLOWDESK_ALLOC_SURVIVORS=1: only what outlived a scavenge (what gets promoted). Plain .mjs so it loads without tsx next to the bundle.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.FLOWDESK_ALLOC_PROFILE;
if (out) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) => new Promise((ok, fail) => session.post(method, params, (e, r) => (e ? fail(e) : ok(r))));
  let sampling = false;
  process.on('SIGUSR2', () => {
    const step = sampling
      ? post('HeapProfiler.stopSampling').then((r) => writeFileSync(out, JSON.stringify(r.profile)))
      : post('HeapProfiler.enable').then(() =>
          post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.FLOWDESK_ALLOC_SURVIVORS !== '1' }),
        );
    sampling = !sampling;
    step.catch((e) => process.stderr.write(`alloc-probe: ${e.message}\n`));
  });
}
