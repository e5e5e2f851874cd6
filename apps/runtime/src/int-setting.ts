// An environment setting that is an integer in a range (the process-level knobs main.ts reads before start).

/** `value` as an integer from `min` to `max`; unset or blank gives `fallback`; anything else throws, naming `name`. */
export function intSetting(name: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}
