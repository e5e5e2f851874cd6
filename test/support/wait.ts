// Polling with a deadline, for tests that watch another process (a child runtime, a database) reach a
// state. The deadline is generous by design: it bounds a hang, it does not measure speed.

/** Calls `probe` every `pollMs` until it answers something other than undefined/false; throws naming `what` after `deadlineMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, deadlineMs = 60_000, pollMs = 10): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > deadlineMs) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
