import { instantiateWasm } from "../wasm/load.js";
import { CORE_VERSION, Command, CoreOp, Header, LAYOUT_HASH, Slots, Tag } from "./constants.js";
import type { SchedulerCore } from "./scheduler-core.js";
import { FreeList, RunQueue } from "./slots.js";

/**
 * The one file that talks to scheduler.wasm: the binding of the Wasm
 * scheduler core to the SchedulerCore interface.
 *
 * Exports of scheduler.wasm (assembly/scheduler/)    │ called from
 * ────────────────────────────────────────────────────┼──────────────────────────
 * `coreVersion(): i32`                                 │ wasmCoreError, once
 * `setup(cap): header address`                         │ constructor; alloc after the instance was given back
 * `growSlots(cap)`                                     │ alloc, when slots run out
 * `apply(n)`                                           │ arm/disarm, when the command ring is full
 * `tick(n, now): expired count`                        │ tick, when a timer may be due
 * `nextDeadline(n): f64`                               │ nextDeadline
 * `fireNext(n): f64`                                   │ fireNext
 * `memory`                                             │ the views below
 *
 * What crosses the boundary, and when:
 * - `arm`/`disarm` store a 16-byte record into the command ring in Wasm memory
 *   (`Int32Array`/`Float64Array` views, no call).
 * - `tick(now)` calls into Wasm only when a timer may be due: when `now`
 *   reaches a lower bound of the earliest deadline that Wasm publishes in its
 *   header after every call and that `arm` lowers. That one call applies the
 *   pending commands, fires the due timers in (deadline, arm order) and writes
 *   their ids into the ready ring, which is copied to the back of the run queue.
 *   Ticks with nothing due (most of them) cost no call at all; commands wait
 *   until then, which is safe because nothing can observe them earlier.
 * - One shortcut past the ring: while it is empty (every command applied, so
 *   the tags in Wasm memory are current), `disarm` of a wheel timer clears its
 *   slot's tag here, as the core would, and counts it in a field; the count
 *   goes into the header (Header.DIRECT) just before the next call, which
 *   takes it in before any command. A cancellation of many tasks then costs a
 *   load and a store each, through a view on the core's tag table, with no
 *   command to write and apply. (The count is kept in a field here, not in
 *   the header, to spare a read-modify-write of Wasm memory per disarm.)
 * - On a virtual clock, the runtime's "nothing to run: jump to the next
 *   deadline" is one call, `fireNext`, instead of `nextDeadline` then `tick`.
 * - The run queue itself lives on this side, in two `Int32Array`s that swap
 *   roles each tick (the one filled since the last tick becomes `batch`). A
 *   ready is one store either way, and a batch in JS memory stays valid while
 *   the runtime walks it even if Wasm memory grows meanwhile (growth detaches
 *   every view on the old buffer).
 * - Slots are allocated from a free list on this side; `growSlots` is called
 *   when they run out, doubling the task table (which moves the tag table).
 * - An instance serves one core at a time. When the last slot is released
 *   with no timer armed (the run is over), the core gives its instance back to
 *   a small pool, since an empty core is the same as a new one; it takes an
 *   instance again if it ever allocates another slot.
 * - Any call may grow Wasm memory (timer lists take chunks as they fill), so
 *   the views are checked after each one. Growth detaches the old buffer,
 *   which empties every view on it: a zero length says so without asking
 *   `memory.buffer`, a runtime call.
 */
interface CoreExports {
  readonly memory: WebAssembly.Memory;
  coreVersion(): number;
  setup(cap: number): number;
  growSlots(cap: number): void;
  apply(n: number): void;
  tick(n: number, now: number): number;
  nextDeadline(n: number): number;
  fireNext(n: number): number;
  wheelDeadEntries(): number;
  wheelCompactAfter(n: number): void;
}

// Header fields as indexes of the i32 and f64 views on the header (its byte offsets are in constants.ts).
const HDR_CMD = Header.CMD >> 2;
const HDR_OUT = Header.OUT >> 2;
const HDR_CAP = Header.CAP >> 2;
const HDR_TIMERS = Header.TIMERS >> 2;
const HDR_LOW = Header.LOW >> 3;
const HDR_TIME = Header.TIME >> 3;
const HDR_OUT_CAP = Header.OUT_CAP >> 2;
const HDR_FIRED = Header.FIRED >> 2;
const HDR_TAGS = Header.TAGS >> 2;
const HDR_DIRECT = Header.DIRECT >> 2;
/**
 * `arm` and `disarm` write record i of the command ring with shifts, the
 * cheapest index arithmetic (named constants there cost a load each): op at
 * i32 4i, slot at i32 4i + 1, deadline at f64 2i + 1. This fails to compile
 * if the generated layout ever changes under them.
 */
const COMMAND_LAYOUT: { BYTES: 16; OP: 0; SLOT: 4; DEADLINE: 8 } = Command;
const CMD_CAP = Command.CAP;
const TAG_STATE = Tag.STATE;
const TAG_WHEEL = Tag.WHEEL;
const OP_ARM = CoreOp.ARM;
const OP_DISARM = CoreOp.DISARM;
/** Slots of a new core: one block of the task table. */
const INITIAL_SLOTS = Slots.BLOCK;
const MAX_SLOTS = Slots.MAX;
/** Slots the run queue holds at first (it doubles as needed). */
const INITIAL_QUEUE = 1024;

/** The WebAssembly scheduler core: timers in a hierarchical wheel in Wasm memory (assembly/scheduler/timer-wheel/). */
export class WasmSchedulerCore implements SchedulerCore {
  readonly backend = "wasm" as const;

  /** The instance this core uses; null once given back to the pool. */
  private inst: WebAssembly.Instance | null;
  private ex: CoreExports;
  private hdrAt: number;
  // views on Wasm memory, rebuilt when memory grows
  private hdrI32!: Int32Array;
  private hdrF64!: Float64Array;
  private cmdI32!: Int32Array;
  private cmdF64!: Float64Array;
  private out!: Int32Array;
  /** The core's tag table: a slot's tag is tags[slot]. */
  private tags!: Int32Array;

  // commands recorded since the last call
  private cmdLen = 0;
  /** Lower bound of the earliest armed deadline (pending arms included); no timer fires while now < low. */
  private low = Infinity;
  timers = 0;
  /** Wheel timers disarmed here by clearing their tags, not yet passed to the core (HDR_DIRECT). */
  private direct = 0;

  // slot allocation
  private cap: number;
  private top = 0;
  /** Slots allocated and not released. */
  private live = 0;
  private readonly free = new FreeList();

  // run queue: filled by ready() and expired timers, handed out whole as `batch`
  private readonly rq = new RunQueue(INITIAL_QUEUE);


  constructor(instance: WebAssembly.Instance) {
    this.inst = instance;
    this.ex = instance.exports as unknown as CoreExports;
    this.hdrAt = this.ex.setup(INITIAL_SLOTS);
    this.views();
    this.cap = this.hdrI32[HDR_CAP]!;
  }

  /** The instance in use (tests), or null when the core has given it back. */
  get instance(): WebAssembly.Instance | null {
    return this.inst;
  }

  alloc(): number {
    if (this.live++ === 0 && this.inst === null) this.resume();
    const s = this.free.pop();
    if (s >= 0) return s;
    if (this.top === this.cap) this.growSlots();
    return this.top++;
  }

  release(slot: number): void {
    if (--this.live === 0 && this.timers === 0) this.suspend();
    this.free.push(slot);
  }

  ready(slot: number): void {
    this.rq.push(slot);
  }

  arm(slot: number, deadline: number): void {
    let i = this.cmdLen;
    if (i === CMD_CAP) i = this.flush();
    this.cmdI32[i << 2] = OP_ARM; // COMMAND_LAYOUT
    this.cmdI32[(i << 2) + 1] = slot;
    this.cmdF64[(i << 1) + 1] = deadline;
    this.cmdLen = i + 1;
    this.timers++;
    if (deadline < this.low) this.low = deadline;
  }

  disarm(slot: number): void {
    let i = this.cmdLen;
    if (i === CMD_CAP) i = this.flush();
    if (i === 0) {
      // Every command is applied, so the tag is current: a wheel timer is disarmed by
      // clearing its state, as the core would; the core counts it in at its next call.
      const tags = this.tags;
      const tag = tags[slot]!;
      if ((tag & TAG_STATE) === TAG_WHEEL) {
        tags[slot] = tag & ~TAG_STATE;
        this.direct++;
        this.timers--;
        return;
      }
    }
    this.cmdI32[i << 2] = OP_DISARM; // COMMAND_LAYOUT
    this.cmdI32[(i << 2) + 1] = slot;
    this.cmdLen = i + 1;
    this.timers--;
  }

  tick(now: number): number {
    if (now >= this.low) this.expire(now);
    return this.rq.take();
  }

  get batch(): Int32Array {
    return this.rq.batch;
  }

  nextDeadline(): number {
    if (this.timers === 0) return Infinity;
    this.passDirect();
    const d = this.ex.nextDeadline(this.cmdLen);
    this.afterTimerCall();
    return d;
  }

  fireNext(): number {
    if (this.timers === 0) return Infinity;
    this.passDirect();
    const d = this.ex.fireNext(this.cmdLen);
    this.afterTimerCall();
    const k = this.hdrI32[HDR_FIRED]!;
    if (k > 0) {
      this.timers -= k;
      this.rq.pushAll(this.out, k);
    }
    return d;
  }

  memoryBytes(): number {
    const wasm = this.inst === null ? 0 : this.ex.memory.buffer.byteLength;
    return wasm + this.rq.bytes() + this.free.bytes();
  }

  /** For tests: timers armed as counted inside Wasm once pending commands are applied, and the wheel's time. */
  debugState(): { timers: number; wheelTime: number; slotCapacity: number; deadEntries: number } {
    if (this.inst === null) return { timers: 0, wheelTime: 0, slotCapacity: this.cap, deadEntries: 0 };
    this.flush();
    this.low = Math.min(this.low, this.hdrF64[HDR_LOW]!);
    return {
      timers: this.hdrI32[HDR_TIMERS]!,
      wheelTime: this.hdrF64[HDR_TIME]!,
      slotCapacity: this.cap,
      deadEntries: this.ex.wheelDeadEntries(),
    };
  }

  /** For tests: compact the timer lists once `n` dead entries (and more than live ones) pile up. */
  debugCompactAfter(n: number): void {
    this.ex.wheelCompactAfter(n);
  }

  /** Give the instance back: nothing is armed and no slot is in use, so an empty core is all there is to keep. */
  private suspend(): void {
    giveInstance(this.inst!);
    this.inst = null;
    this.cmdLen = 0; // arm/disarm pairs that cancel out
    this.direct = 0;
    this.low = Infinity;
  }

  /** Take an instance again, with records for every slot number this core has handed out. */
  private resume(): void {
    const instance = takeInstance();
    this.inst = instance;
    this.ex = instance.exports as unknown as CoreExports;
    this.hdrAt = this.ex.setup(this.cap);
    this.hdrI32 = undefined!; // views on the other instance's memory
    this.views();
  }

  /** Fire what is due: one call into Wasm, then append the ready ring to the run queue. */
  private expire(now: number): void {
    if (this.inst === null) return; // suspended: nothing is armed
    this.passDirect();
    const k = this.ex.tick(this.cmdLen, now);
    this.afterTimerCall();
    if (k === 0) return;
    this.timers -= k;
    this.rq.pushAll(this.out, k);
  }

  /** After a Wasm call that took the command ring and may have moved timers: empty the ring, refresh the views, read the earliest deadline. */
  private afterTimerCall(): void {
    this.cmdLen = 0;
    this.views();
    this.low = this.hdrF64[HDR_LOW]!;
  }

  /** Apply the pending commands (and count in direct disarms) now; returns the new ring length, 0. */
  private flush(): number {
    if (this.cmdLen > 0 || this.direct !== 0) {
      this.passDirect();
      this.ex.apply(this.cmdLen);
      this.cmdLen = 0;
      this.views();
    }
    return 0;
  }

  /** Before a call: hand the core the count of direct disarms, which it takes in first. */
  private passDirect(): void {
    if (this.direct !== 0) {
      this.hdrI32[HDR_DIRECT] = this.direct;
      this.direct = 0;
    }
  }

  private growSlots(): void {
    if (this.cap * 2 > MAX_SLOTS) {
      throw new RangeError(`the wasm scheduler core holds at most ${MAX_SLOTS} live tasks; use the ts backend for more`);
    }
    this.ex.growSlots(this.cap * 2);
    this.views();
    this.cap = this.hdrI32[HDR_CAP]!;
  }

  /**
   * Rebuild the views when memory has grown (growth detaches the old buffer,
   * and a view on a detached buffer has length 0) or the ready ring or the
   * tag table has moved (they grow by moving; the tag table only in
   * `growSlots`).
   */
  private views(): void {
    const h = this.hdrI32;
    if (h !== undefined && h.length !== 0 && h[HDR_OUT] === this.out.byteOffset && h[HDR_TAGS] === this.tags.byteOffset) return;
    const buf = this.ex.memory.buffer;
    this.hdrI32 = new Int32Array(buf, this.hdrAt, Header.BYTES >> 2);
    this.hdrF64 = new Float64Array(buf, this.hdrAt, Header.BYTES >> 3);
    const cmd = this.hdrI32[HDR_CMD]!;
    this.cmdI32 = new Int32Array(buf, cmd, (CMD_CAP * COMMAND_LAYOUT.BYTES) >> 2);
    this.cmdF64 = new Float64Array(buf, cmd, (CMD_CAP * COMMAND_LAYOUT.BYTES) >> 3);
    this.tags = new Int32Array(buf, this.hdrI32[HDR_TAGS]!, this.hdrI32[HDR_CAP]!);
    this.out = new Int32Array(buf, this.hdrI32[HDR_OUT]!, this.hdrI32[HDR_OUT_CAP]!);
  }
}

/**
 * Instances no core is using, for the next core to set up again: making one
 * costs an instantiation and a first memory growth, about a hundred times
 * what setting a pooled one up costs. A core gives its instance back when its
 * last slot is released with no timer armed (its run has ended), and takes
 * one again if it allocates a slot after that. Only small instances are kept,
 * a few at most.
 */
const idle: WebAssembly.Instance[] = [];
/** Instances the pool keeps at most. */
const POOL_MAX = 4;
/** Largest memory (4 MiB) of an instance the pool keeps. */
const POOL_MAX_BYTES = 4 << 20;

function takeInstance(): WebAssembly.Instance {
  return idle.pop() ?? instantiateWasm("scheduler");
}

function giveInstance(instance: WebAssembly.Instance): void {
  const bytes = (instance.exports as unknown as CoreExports).memory.buffer.byteLength;
  if (idle.length < POOL_MAX && bytes <= POOL_MAX_BYTES) idle.push(instance);
}

/**
 * A new Wasm core, on an instance of the module compiled once per process
 * (pooled, or new). Throws a clear error when the module cannot be used.
 */
export function createWasmCore(): SchedulerCore {
  const why = wasmCoreError();
  if (why !== null) throw new Error(`the "wasm" scheduler backend is unavailable: ${why}`);
  try {
    return new WasmSchedulerCore(takeInstance());
  } catch (e) {
    throw new Error(`the "wasm" scheduler backend is unavailable: ${(e as Error).message}`, { cause: e });
  }
}

let cachedError: string | null | undefined;

/** Why the Wasm core cannot be used, or null when it can. */
export function wasmCoreError(): string | null {
  if (cachedError === undefined) {
    try {
      const inst = instantiateWasm("scheduler");
      const version = (inst.exports.coreVersion as () => number)();
      // A module built from other constants (a stale dist/) would misread every record.
      const hash = typeof inst.exports.layoutHash === "function" ? (inst.exports.layoutHash as () => number)() : undefined;
      if (version < CORE_VERSION) cachedError = `scheduler.wasm has layout version ${version}; this runtime needs version ${CORE_VERSION}`;
      else if (hash !== LAYOUT_HASH) {
        cachedError = `scheduler.wasm was built with other constants (layout hash ${String(hash)}, this runtime's is ${LAYOUT_HASH}); rebuild it with \`npm run build:wasm\``;
      } else cachedError = null;
      if (cachedError === null) giveInstance(inst); // the first core will use it
    } catch (e) {
      cachedError = (e as Error).message;
    }
  }
  return cachedError;
}
