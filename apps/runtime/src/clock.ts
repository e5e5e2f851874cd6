// Time for the runtime: the system clock, or a clock tests and the drill move by hand.

export interface Clock {
  now(): number; // ms since epoch
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests and the drill move by hand (retry schedules, waits and SLAs without sleeping). */
export class ManualClock implements Clock {
  constructor(private t: number = Date.parse('2026-01-05T09:00:00.000Z')) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

export const isoOf = (clock: Clock): string => new Date(clock.now()).toISOString();
