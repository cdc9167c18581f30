/** The clock of a run: real (performance.now) or virtual (moved by the scheduler). */
import { performance } from "node:perf_hooks";
import type { ClockKind } from "./types.js";

/**
 * Time source of one run, in milliseconds. The real clock follows
 * `performance.now()`; the virtual clock only moves when the scheduler jumps
 * it to the next deadline because every task waits (Trio's autojump clock).
 */
export interface Clock {
  readonly kind: ClockKind;
  now(): number;
  /** Virtual clock only: move to `t` (never backwards). */
  advanceTo(t: number): void;
}

export class RealClock implements Clock {
  readonly kind = "real" as const;
  now(): number {
    return performance.now();
  }
  advanceTo(): void {
    throw new Error("the real clock cannot be advanced");
  }
}

export class VirtualClock implements Clock {
  readonly kind = "virtual" as const;
  private t = 0;
  now(): number {
    return this.t;
  }
  advanceTo(t: number): void {
    if (t > this.t) this.t = t;
  }
}
