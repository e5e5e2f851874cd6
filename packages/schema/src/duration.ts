// Durations everywhere in the DSL are `<n>s|m|h|d` (`30s`, `2m`, `24h`, `3d`).
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest duration Flowdesk accepts: 100 years (anything longer is a typo, and overflows dates). */
export const MAX_DURATION_MS = 36_500 * UNIT_MS.d;

/** Parses `<n>s|m|h|d` into milliseconds; throws on anything else, or on more than MAX_DURATION_MS. */
export function parseDuration(d: string): number {
  const m = /^([0-9]+)(s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`invalid duration "${d}": expected <n>s, <n>m, <n>h or <n>d`);
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (!(ms <= MAX_DURATION_MS)) throw new Error(`invalid duration "${d}": longer than 100 years (36500d)`);
  return ms;
}

/** Parses a duration that may be negative (`-3d`), as `add_duration` takes it. */
export function parseSignedDuration(d: string): number {
  return d.startsWith('-') ? -parseDuration(d.slice(1)) : parseDuration(d);
}

/** Whether `d` parses as a duration. */
export function isDuration(d: unknown): d is string {
  if (typeof d !== 'string') return false;
  try {
    parseDuration(d);
    return true;
  } catch {
    return false;
  }
}
