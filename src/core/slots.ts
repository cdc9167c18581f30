/**
 * The two pieces of JS-side state both scheduler cores keep the same way.
 *
 * RunQueue: two `Int32Array`s that swap roles at every tick. `push` appends
 * to `queue`; `take` hands the filled one out as `batch` (no copy) and the
 * other, whose batch has been run, starts filling. A batch lives in JS
 * memory, so it stays valid while the tick runs, whatever the tick spawns.
 *
 * FreeList: the released slot numbers, reused last-in first-out.
 */
/** Runs of at most this many slots are copied by a loop rather than by `set`. */
const COPY_LOOP_MAX = 256;

export class RunQueue {
  private queue: Int32Array;
  private len = 0;
  /** The slots of the last `take()`. */
  batch: Int32Array;

  constructor(initial: number) {
    this.queue = new Int32Array(initial);
    this.batch = new Int32Array(initial);
  }

  push(slot: number): void {
    if (this.len === this.queue.length) this.grow(this.len + 1);
    this.queue[this.len++] = slot;
  }

  /** Append `src[0, k)`. */
  pushAll(src: Int32Array, k: number): void {
    const at = this.len;
    if (at + k > this.queue.length) this.grow(at + k);
    const q = this.queue;
    // `set` needs a subarray, an allocation: only worth it for long runs.
    if (k <= COPY_LOOP_MAX) for (let i = 0; i < k; i++) q[at + i] = src[i]!;
    else q.set(src.subarray(0, k), at);
    this.len = at + k;
  }

  /** Hand the filled queue out as `batch`; returns its length. */
  take(): number {
    const n = this.len;
    if (n === 0) return 0;
    const filled = this.queue;
    this.queue = this.batch;
    this.batch = filled;
    this.len = 0;
    return n;
  }

  bytes(): number {
    return this.queue.byteLength + this.batch.byteLength;
  }

  private grow(need: number): void {
    let n = this.queue.length * 2;
    while (n < need) n *= 2;
    const q = new Int32Array(n);
    q.set(this.queue.subarray(0, this.len));
    this.queue = q;
  }
}

/** Released slots a free list holds at first (it doubles as needed). */
const INITIAL_FREE = 64;

export class FreeList {
  private slots = new Int32Array(INITIAL_FREE);
  private len = 0;

  /** A released slot, or -1 when there is none. */
  pop(): number {
    return this.len > 0 ? this.slots[--this.len]! : -1;
  }

  push(slot: number): void {
    if (this.len === this.slots.length) {
      const bigger = new Int32Array(this.slots.length * 2);
      bigger.set(this.slots);
      this.slots = bigger;
    }
    this.slots[this.len++] = slot;
  }

  bytes(): number {
    return this.slots.byteLength;
  }
}
