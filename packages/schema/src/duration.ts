const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `<n>s|m|h|d` into milliseconds; throws on anything else. */
export function parseDuration(d: string): number {
  const m = /^([0-9]+)(s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`invalid duration "${d}": expected <n>s, <n>m, <n>h or <n>d`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
