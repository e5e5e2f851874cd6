// ISO weeks (UTC): the weekly review's and the KPIs' periods. Pure.

const DAY = 86_400_000;
const WEEK_RE = /^(\d{4})-W(\d{2})$/;

/** Monday 00:00Z of ISO week 1 of `year` (the week holding 4 January). */
function isoWeek1Monday(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const dow = (new Date(jan4).getUTCDay() + 6) % 7; // Monday = 0
  return jan4 - dow * DAY;
}

/** The ISO week (`YYYY-Www`, UTC) an instant falls in. */
export function isoWeekOf(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`not an ISO time: ${iso}`);
  const day = Math.floor(t / DAY) * DAY;
  const dow = (new Date(day).getUTCDay() + 6) % 7;
  const thursday = day + (3 - dow) * DAY; // the week's year is its Thursday's year
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - isoWeek1Monday(year)) / (7 * DAY));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** `YYYY-Www` → [Monday 00:00Z, next Monday 00:00Z). Throws on a malformed or non-existent week. */
export function isoWeekRange(week: string): { from: string; to: string } {
  const m = WEEK_RE.exec(week);
  if (!m) throw new RangeError(`not an ISO week (YYYY-Www): ${week}`);
  const year = Number(m[1]);
  const w = Number(m[2]);
  const weeksInYear = (isoWeek1Monday(year + 1) - isoWeek1Monday(year)) / (7 * DAY);
  if (w < 1 || w > weeksInYear) throw new RangeError(`${year} has no week ${w} (it has ${weeksInYear})`);
  const from = isoWeek1Monday(year) + (w - 1) * 7 * DAY;
  return { from: new Date(from).toISOString(), to: new Date(from + 7 * DAY).toISOString() };
}
