/**
 * The loop-stall detector: `detectStalls()` makes every run time each step
 * of each task (one resume of its generator, up to its next suspension
 * point) and report the steps that held the event loop longer than a
 * threshold, with the task's id and name, on the `tasklet:task:stall`
 * channel and, if asked, as a process warning. A `monitorEventLoopDelay`
 * histogram runs beside it, for the loop's delay percentiles, and a check
 * timer that measures its own lateness reports a delay past the threshold
 * that no task step explains (a synchronous callback outside any task),
 * with `task: null`. (The histogram cannot serve for that check: resetting
 * it between checks drops the sample that straddles the reset.)
 *
 * Off, it costs nothing per step: the scheduler reads `stallWatch.threshold`
 * once per drain of its run queue and, while it is Infinity, steps tasks
 * exactly as before (scheduler.ts).
 */
import diagnostics_channel from "node:diagnostics_channel";
import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";
import { resolveOptions, type OptionTable } from "../config/options.js";
import type { Task } from "./task.js";

/** Published when a task's step, or the loop outside any step, blocked the event loop for longer than a detector's threshold. */
export const taskStallChannel = diagnostics_channel.channel("tasklet:task:stall");

/**
 * The message of `tasklet:task:stall`.
 *
 * @example
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("tasklet:task:stall", (m: unknown) => {
 *   const s = m as TaskStallMessage;
 *   console.warn(`${s.name ?? "(outside any task)"} blocked the loop for ${s.durationMs.toFixed(1)} ms`);
 * });
 */
export interface TaskStallMessage {
  /** "step": one step of `task` ran that long; "loop": the event loop was delayed that long outside any task's step (a timer's lateness: a lower bound). */
  readonly source: "step" | "loop";
  /** The task whose step stalled the loop; null for a "loop" stall. */
  readonly task: Task | null;
  /** The task's id, as `dumpTasks` shows it; -1 for a "loop" stall. */
  readonly id: number;
  /** The task's name, as `dumpTasks` shows it; null for a "loop" stall. */
  readonly name: string | null;
  /** How long the loop was blocked, in ms. */
  readonly durationMs: number;
  /** The threshold it passed, in ms. */
  readonly thresholdMs: number;
}

/** Loop-delay percentiles from `monitorEventLoopDelay`, in ms, since the detector started (or its last `resetLoopDelay`). */
export interface LoopDelay {
  readonly count: number;
  readonly minMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Options of {@link detectStalls}. */
export interface StallOptions {
  /** A step (or a loop delay) longer than this, in ms, is reported. Default 100. */
  thresholdMs?: number;
  /** Also `process.emitWarning` each stall (type "TaskletWarning", code "TASKLET_STALL"). Default false. */
  warn?: boolean;
  /** The `monitorEventLoopDelay` sampling resolution, in ms. Default 10. */
  resolutionMs?: number;
}

const STALL_OPTIONS: OptionTable = {
  thresholdMs: { kind: "number", min: 1, expected: "a number of ms >= 1", default: 100 },
  warn: { kind: "boolean", default: false },
  resolutionMs: { kind: "number", min: 1, integer: true, expected: "a whole number of ms >= 1", default: 10 },
};

/**
 * @internal What the scheduler reads: the smallest threshold of the
 * detectors that are on (Infinity: none is), and when a step stall was last
 * reported (so that the loop check does not report it a second time).
 */
export const stallWatch = { threshold: Infinity, lastStepStall: -Infinity };

const active = new Set<StallDetector>();

function updateThreshold(): void {
  let min = Infinity;
  for (const d of active) if (d.thresholdMs < min) min = d.thresholdMs;
  stallWatch.threshold = min;
}

/** @internal A step of `t` took `ms` (>= stallWatch.threshold): publish it, warn for the detectors that asked. */
export function reportStepStall(t: Task, ms: number): void {
  stallWatch.lastStepStall = performance.now();
  const m: TaskStallMessage = { source: "step", task: t, id: t.id, name: t.name, durationMs: ms, thresholdMs: stallWatch.threshold };
  for (const d of active) d.noteStall(m);
  if (taskStallChannel.hasSubscribers) taskStallChannel.publish(m);
}

/**
 * A running stall detector, from {@link detectStalls}. It reports until
 * `stop()`.
 *
 * @example
 * const detector = detectStalls({ thresholdMs: 50 });
 * // ... later
 * console.log(detector.stalls, detector.loopDelay().p99Ms);
 * detector.stop();
 */
export class StallDetector {
  readonly thresholdMs: number;
  readonly warn: boolean;
  private seen = 0;
  private readonly histogram: IntervalHistogram;
  /** The loop check, re-armed after each run; `due` is when it should fire next. */
  private readonly timer: ReturnType<typeof setTimeout>;
  private due: number;
  private on = true;

  /** @internal Use {@link detectStalls}. */
  constructor(thresholdMs: number, warn: boolean, resolutionMs: number) {
    this.thresholdMs = thresholdMs;
    this.warn = warn;
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
    // Checked at the threshold's pace: a block of the loop makes the next check late by about as much.
    const every = Math.max(thresholdMs / 2, resolutionMs);
    this.due = performance.now() + every;
    this.timer = setTimeout(() => this.checkLoop(every), every);
    this.timer.unref();
    active.add(this);
    updateThreshold();
  }

  /** Stalls this detector has seen (steps and loop delays past its threshold). */
  get stalls(): number {
    return this.seen;
  }

  /** Whether it still reports. */
  get running(): boolean {
    return this.on;
  }

  /** The loop's delay percentiles since the detector started, or since `resetLoopDelay()`. */
  loopDelay(): LoopDelay {
    const h = this.histogram;
    const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
    return { count: h.count, minMs: h.count === 0 ? 0 : ms(h.min), meanMs: ms(h.mean), p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
  }

  /** Start the loop-delay percentiles afresh. */
  resetLoopDelay(): void {
    this.histogram.reset();
  }

  /** Stop reporting; the histograms and the timer go. Idempotent. */
  stop(): void {
    if (!this.on) return;
    this.on = false;
    clearTimeout(this.timer);
    this.histogram.disable();
    active.delete(this);
    updateThreshold();
  }

  /** @internal A stall (of a step, or of the loop) was seen. */
  noteStall(m: TaskStallMessage): void {
    if (m.durationMs < this.thresholdMs) return;
    this.seen++;
    if (this.warn) {
      const who = m.task === null ? "the event loop, outside any task's step," : `task ${m.name} (id ${m.id})`;
      process.emitWarning(`tasklet: ${who} blocked the event loop for ${m.durationMs.toFixed(1)} ms (threshold ${this.thresholdMs} ms)`, {
        type: "TaskletWarning",
        code: "TASKLET_STALL",
      });
    }
  }

  /** The check's lateness, if past the threshold and not explained by a step stall reported meanwhile, is a "loop" stall. */
  private checkLoop(every: number): void {
    const now = performance.now();
    const late = now - this.due;
    this.due = now + every;
    this.timer.refresh();
    if (late < this.thresholdMs) return;
    // A long step ended after the check was due: the step was the stall, and it is reported already.
    if (stallWatch.lastStepStall >= this.due - every - late) return;
    const m: TaskStallMessage = { source: "loop", task: null, id: -1, name: null, durationMs: late, thresholdMs: this.thresholdMs };
    this.noteStall(m);
    if (taskStallChannel.hasSubscribers) taskStallChannel.publish(m);
  }
}

/**
 * Start the loop-stall detector: from now on, when one step of a task (the
 * code between two of its `yield*` suspension points) keeps the event loop
 * busy for `thresholdMs` or longer, tasklet publishes a
 * {@link TaskStallMessage} on the `tasklet:task:stall` diagnostics channel
 * naming the task (its id and name, as in `dumpTasks`) and the duration,
 * and with `warn: true` emits a process warning. It watches every run of the
 * process. A `monitorEventLoopDelay` histogram runs beside it
 * (`loopDelay()`), and a loop delay past the threshold outside any task's
 * step is reported with `source: "loop"` and `task: null`.
 *
 * Off (the default, or after `stop()`), it costs nothing per step; on, two
 * one clock read per step (see bench/RESULTS.md). Several detectors may be on;
 * steps are timed against the smallest threshold.
 *
 * @example
 * const detector = detectStalls({ thresholdMs: 50, warn: true });
 * await run(function* () {
 *   const end = Date.now() + 80;
 *   while (Date.now() < end); // warns: task ... blocked the event loop for 80.0 ms
 * });
 * detector.stop();
 */
export function detectStalls(options?: StallOptions): StallDetector {
  const c = resolveOptions("detectStalls()", STALL_OPTIONS, options) as { thresholdMs: number; warn: boolean; resolutionMs: number };
  return new StallDetector(c.thresholdMs, c.warn, c.resolutionMs);
}
