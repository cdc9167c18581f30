import { CoreOp } from "./constants.js";
import { instantiateWasm } from "../wasm/load.js";
import type { SchedulerCore } from "./scheduler-core.js";
import { FreeList, RunQueue } from "./slots.js";

/**
 * The one file that talks to scheduler.wasm (../shared/STYLE.md, item 4).
 *
 * Exports of scheduler.wasm (assembly/scheduler.ts)   │ called from
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
 * What crosses the boundary, and when (../shared/DESIGN.md):
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
 *   goes into the header (HdrDirect) just before the next call, which takes
 *   it in before any command. A cancellation of many tasks then costs a load
 *   and a store each, through a view on the core's tag table, with no command
 *   to write and apply. (Counting in the header itself, a read-modify-write
 *   of Wasm memory per disarm, cost about 17 more instructions a disarm:
 *   measured with callgrind. Tags in blocks found through a directory, an
 *   earlier layout, put a dependent load ahead of every tag.)
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
 *   `memory.buffer` (about 40 ns, a runtime call).
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

/**
 * Memory layout the Wasm core publishes (assembly/constants.ts; checked by
 * test/core/constants.test.ts).
 */
export const WasmLayout = {
  /** Records of the command ring. */
  CmdCap: 1024,
  /** Bytes per command record: op i32, slot i32, deadline f64. */
  CmdBytes: 16,
  /** Bytes per task record in the task table (the cold part of a slot; its 4-byte tag is kept apart). */
  RecBytes: 16,
  /** Bytes of the header. */
  HdrBytes: 48,
  /** Header, as i32 index: byte offset of the command ring. */
  HdrCmd: 0,
  /** Header, as i32 index: byte offset of the ready ring. */
  HdrOut: 1,
  /** Header, as i32 index: slot capacity. */
  HdrCap: 2,
  /** Header, as i32 index: timers armed (the core's count). */
  HdrTimers: 3,
  /** Header, as f64 index: lower bound of the earliest deadline. */
  HdrLow: 2,
  /** Header, as f64 index: the wheel's time. */
  HdrTime: 3,
  /** Header, as i32 index: slots the ready ring holds. */
  HdrOutCap: 8,
  /** Header, as i32 index: timers the last `fireNext` fired into the ready ring. */
  HdrFired: 9,
  /** Header, as i32 index: byte offset of the tag table (one u32 tag per slot, HdrCap of them; it moves when slots are added). */
  HdrTags: 10,
  /** Header, as i32 index: wheel timers disarmed here by clearing their tags since the last call. */
  HdrDirect: 11,
  /** Mask of a tag's state bits. */
  TagState: 3,
  /** Tag state of a timer in a wheel list (or LIST_FAR). */
  TagWheel: 1,
} as const;

/** Layout version of scheduler.wasm this file is written for (assembly/constants.ts: CORE_VERSION). */
const CORE_VERSION = 4;

const { CmdCap: CMD_CAP, HdrCmd, HdrOut, HdrCap, HdrTimers, HdrLow, HdrTime, HdrOutCap, HdrFired, HdrTags, HdrDirect } = WasmLayout;
const { TagState: TAG_STATE, TagWheel: TAG_WHEEL } = WasmLayout;
const OP_ARM = CoreOp.Arm;
const OP_DISARM = CoreOp.Disarm;
const INITIAL_SLOTS = 1024; // the tag table's unit of growth
/** Slots the task table's record directory can address (assembly/constants.ts: MAX_BLOCKS x BLOCK_SLOTS). */
const MAX_SLOTS = 8192 * 1024;
const INITIAL_QUEUE = 1024;

/** The WebAssembly scheduler core: timers in a hierarchical wheel in Wasm memory (assembly/timer-wheel.ts). */
export class WasmCore implements SchedulerCore {
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
  /** Wheel timers disarmed here by clearing their tags, not yet passed to the core (HdrDirect). */
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
    this.cap = this.hdrI32[HdrCap]!;
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
    this.cmdI32[i << 2] = OP_ARM;
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
    this.cmdI32[i << 2] = OP_DISARM;
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
    const k = this.hdrI32[HdrFired]!;
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
    this.low = Math.min(this.low, this.hdrF64[HdrLow]!);
    return {
      timers: this.hdrI32[HdrTimers]!,
      wheelTime: this.hdrF64[HdrTime]!,
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
    this.low = this.hdrF64[HdrLow]!;
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
      this.hdrI32[HdrDirect] = this.direct;
      this.direct = 0;
    }
  }

  private growSlots(): void {
    if (this.cap * 2 > MAX_SLOTS) {
      throw new RangeError(`the wasm scheduler core holds at most ${MAX_SLOTS} live tasks; use the ts backend for more`);
    }
    this.ex.growSlots(this.cap * 2);
    this.views();
    this.cap = this.hdrI32[HdrCap]!;
  }

  /**
   * Rebuild the views when memory has grown (growth detaches the old buffer,
   * and a view on a detached buffer has length 0) or the ready ring or the
   * tag table has moved (they grow by moving; the tag table only in
   * `growSlots`).
   */
  private views(): void {
    const h = this.hdrI32;
    if (h !== undefined && h.length !== 0 && h[HdrOut] === this.out.byteOffset && h[HdrTags] === this.tags.byteOffset) return;
    const buf = this.ex.memory.buffer;
    this.hdrI32 = new Int32Array(buf, this.hdrAt, WasmLayout.HdrBytes >> 2);
    this.hdrF64 = new Float64Array(buf, this.hdrAt, WasmLayout.HdrBytes >> 3);
    const cmd = this.hdrI32[HdrCmd]!;
    this.cmdI32 = new Int32Array(buf, cmd, CMD_CAP * 4);
    this.cmdF64 = new Float64Array(buf, cmd, CMD_CAP * 2);
    this.tags = new Int32Array(buf, this.hdrI32[HdrTags]!, this.hdrI32[HdrCap]!);
    this.out = new Int32Array(buf, this.hdrI32[HdrOut]!, this.hdrI32[HdrOutCap]!);
  }
}

/**
 * Instances no core is using, for the next core to set up again: making one
 * costs about 200 us (instantiation and first memory growth), setting a pooled
 * one up about 2 us. A core gives its instance back when its last slot is
 * released with no timer armed (its run has ended), and takes one again if it
 * allocates a slot after that. Only small instances are kept, a few at most.
 */
const idle: WebAssembly.Instance[] = [];
const POOL_MAX = 4;
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
    return new WasmCore(takeInstance());
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
      cachedError = version >= CORE_VERSION ? null : `scheduler.wasm has layout version ${version}; this runtime needs version ${CORE_VERSION}`;
      if (cachedError === null) giveInstance(inst); // the first core will use it
    } catch (e) {
      cachedError = (e as Error).message;
    }
  }
  return cachedError;
}
