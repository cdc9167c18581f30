/** Scheduler backend: the pure-TypeScript core or the WebAssembly core. */
export type BackendName = "ts" | "wasm";

/**
 * The interface between the runtime and a scheduler core: commands in, ready
 * ids out, once per tick.
 *
 * The runtime keeps only the generators and Task objects in the JS heap; a
 * core owns the scheduling state that is plain numbers: task slots, the run
 * queue and the timers. Calls that change state (`ready`, `arm`, `disarm`) may
 * be buffered by a core and applied at the start of the next `tick`, which is
 * the one place the Wasm core crosses the JS/Wasm boundary. Both cores must
 * behave as if every call were applied immediately, in call order, so that the
 * same program yields the same interleaving on either core:
 *
 *   tick(now):
 *     1. apply the buffered calls in order;
 *     2. move every timer with deadline <= now to the back of the run queue,
 *        ordered by (deadline, order of the `arm` calls);
 *     3. take the whole run queue as this tick's batch (ids readied while the
 *        batch runs wait for the next tick) and return its length.
 *
 * A slot has at most one armed timer. Deadlines are whole milliseconds of the
 * run's clock; the runtime rounds them up.
 *
 * How the runtime (src/runtime/ready-queue.ts and timers.ts) uses it: it keeps its own run queue of
 * Task objects and never calls `ready`, so a core's run queue only carries
 * the slots of expired timers, which the runtime takes with `tick` and
 * appends to its own queue. It allocates a slot only for a task that arms a
 * timer (and for the root). `ready` stays part of the interface, for the
 * conformance tests and any driver that wants the core's queue.
 */
export interface SchedulerCore {
  /** Which implementation this is. */
  readonly backend: BackendName;
  /** Allocate a slot for a new task; slots are small integers reused after `release`. */
  alloc(): number;
  /** Give a slot back. Its timer must be disarmed and it must not be queued. */
  release(slot: number): void;
  /** Append a slot to the back of the run queue. */
  ready(slot: number): void;
  /** Arm the slot's timer: at the first tick with `now >= deadline` the slot is made ready. */
  arm(slot: number, deadline: number): void;
  /** Disarm the slot's timer (it must be armed). */
  disarm(slot: number): void;
  /** Run one tick as described above; returns how many slots `batch` holds. */
  tick(now: number): number;
  /** The slots of the last tick, `batch[0 .. n)`. Re-read after every tick: it may be replaced when it grows. */
  readonly batch: Int32Array;
  /** Earliest armed deadline, or `Infinity` when no timer is armed. */
  nextDeadline(): number;
  /**
   * For a virtual clock, which jumps to the next deadline when nothing is
   * ready: `d = nextDeadline()`, then steps 1 and 2 of `tick(d)`, so the
   * timers due at `d` join the run queue (the next `tick(now >= d)` hands
   * them out). Returns `d`. One call instead of two, for the Wasm core.
   */
  fireNext(): number;
  /** How many timers are armed. */
  readonly timers: number;
  /** Bytes of typed memory the core holds (for the benchmarks). */
  memoryBytes(): number;
}
