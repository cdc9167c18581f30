import type { SchedulerCore } from "./scheduler-core.js";
import { FreeList, RunQueue } from "./slots.js";

/** Slots, run queue entries and buckets a new core holds; each grows by doubling. */
const INITIAL_SLOTS = 256;
const INITIAL_QUEUE = 1024;
const INITIAL_BUCKETS = 64;
/** Rough bytes of a Map entry, for memoryBytes. */
const MAP_ENTRY_BYTES = 24;

/**
 * The pure-TypeScript scheduler core. Every piece of state is a typed array,
 * so a task costs the core a few dozen bytes and no JS object.
 *
 * Run queue: two `Int32Array`s that swap roles at every tick: `ready` appends
 * to `queue`, and `tick` hands the filled one out as `batch` (no copy) while
 * the other, whose batch has been run, starts filling.
 *
 * Timers: a calendar of buckets, one bucket per distinct deadline. A bucket is
 * a FIFO list of slots threaded through `tNext`/`tPrev`; a binary min-heap of
 * bucket numbers orders the buckets by deadline, and a Map finds the bucket of
 * a deadline. Timers therefore fire in (deadline, arm order) with O(1) arm and
 * disarm when the deadline already has a bucket and O(log B) otherwise, where
 * B is the number of distinct deadlines (60,000 for a million sleepers spread
 * over a minute at 1 ms resolution).
 *
 *   slot s:   tBucket[s] i32 (-1: unarmed) | tNext[s] | tPrev[s]   (the deadline is the bucket's)
 *   bucket b: bDeadline[b] f64 | bHead[b] | bTail[b] | bCount[b]
 */
export class TsSchedulerCore implements SchedulerCore {
  readonly backend = "ts" as const;

  // slot allocation
  private cap = 0;
  private top = 0; // slots [0, top) have been handed out at least once
  private readonly free = new FreeList();

  // run queue
  private readonly rq = new RunQueue(INITIAL_QUEUE);

  // timers, per slot
  private tBucket = new Int32Array(0);
  private tNext = new Int32Array(0);
  private tPrev = new Int32Array(0);
  timers = 0;

  // buckets
  private bDeadline = new Float64Array(INITIAL_BUCKETS);
  private bHead = new Int32Array(INITIAL_BUCKETS);
  private bTail = new Int32Array(INITIAL_BUCKETS);
  private bCount = new Int32Array(INITIAL_BUCKETS);
  private bFree: number[] = [];
  private bTop = 0;
  private byDeadline = new Map<number, number>();
  private heap = new Int32Array(INITIAL_BUCKETS);
  private heapLen = 0;

  constructor() {
    this.growSlots(INITIAL_SLOTS);
  }

  alloc(): number {
    const s = this.free.pop();
    if (s >= 0) return s;
    if (this.top === this.cap) this.growSlots(this.cap * 2);
    return this.top++;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  ready(slot: number): void {
    this.rq.push(slot);
  }

  arm(slot: number, deadline: number): void {
    let b = this.byDeadline.get(deadline);
    if (b === undefined) b = this.newBucket(deadline);
    const tail = this.bTail[b]!;
    this.tBucket[slot] = b;
    this.tPrev[slot] = tail;
    this.tNext[slot] = -1;
    if (tail === -1) this.bHead[b] = slot;
    else this.tNext[tail] = slot;
    this.bTail[b] = slot;
    this.bCount[b]!++;
    this.timers++;
  }

  disarm(slot: number): void {
    const b = this.tBucket[slot]!;
    const prev = this.tPrev[slot]!;
    const next = this.tNext[slot]!;
    if (prev === -1) this.bHead[b] = next;
    else this.tNext[prev] = next;
    if (next === -1) this.bTail[b] = prev;
    else this.tPrev[next] = prev;
    this.tBucket[slot] = -1;
    this.bCount[b]!--;
    this.timers--;
    // An emptied bucket stays in the heap and the map: it is reused if the same
    // deadline is armed again, and dropped when it reaches the top of the heap.
  }

  tick(now: number): number {
    if (this.timers > 0) this.expire(now);
    return this.rq.take();
  }

  get batch(): Int32Array {
    return this.rq.batch;
  }

  nextDeadline(): number {
    while (this.heapLen > 0) {
      const b = this.heap[0]!;
      if (this.bCount[b]! > 0) return this.bDeadline[b]!;
      this.popBucket();
    }
    return Infinity;
  }

  fireNext(): number {
    const d = this.nextDeadline();
    if (d !== Infinity) this.expire(d);
    return d;
  }

  memoryBytes(): number {
    return (
      this.free.bytes() + this.rq.bytes() +
      this.tBucket.byteLength + this.tNext.byteLength + this.tPrev.byteLength +
      this.bDeadline.byteLength + this.bHead.byteLength + this.bTail.byteLength + this.bCount.byteLength +
      this.heap.byteLength + this.byDeadline.size * MAP_ENTRY_BYTES
    );
  }

  /** Move every timer with deadline <= now to the run queue, bucket by bucket. */
  private expire(now: number): void {
    while (this.heapLen > 0) {
      const b = this.heap[0]!;
      if (this.bDeadline[b]! > now) return;
      this.popBucket();
      let s = this.bHead[b]!;
      while (s !== -1) {
        const next = this.tNext[s]!;
        this.tBucket[s] = -1;
        this.ready(s);
        s = next;
      }
      this.timers -= this.bCount[b]!;
    }
  }

  private newBucket(deadline: number): number {
    let b: number;
    if (this.bFree.length > 0) b = this.bFree.pop()!;
    else {
      if (this.bTop === this.bDeadline.length) this.growBuckets();
      b = this.bTop++;
    }
    this.bDeadline[b] = deadline;
    this.bHead[b] = -1;
    this.bTail[b] = -1;
    this.bCount[b] = 0;
    this.byDeadline.set(deadline, b);
    this.heapPush(b);
    return b;
  }

  /** Remove the top bucket from the heap and the map, and recycle its number. */
  private popBucket(): void {
    const heap = this.heap;
    const b = heap[0]!;
    const last = heap[--this.heapLen]!;
    if (this.heapLen > 0) this.siftDown(last);
    this.byDeadline.delete(this.bDeadline[b]!);
    this.bFree.push(b);
  }

  private heapPush(b: number): void {
    if (this.heapLen === this.heap.length) {
      const bigger = new Int32Array(this.heap.length * 2);
      bigger.set(this.heap);
      this.heap = bigger;
    }
    const heap = this.heap;
    const d = this.bDeadline[b]!;
    let i = this.heapLen++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pb = heap[parent]!;
      if (this.bDeadline[pb]! <= d) break;
      heap[i] = pb;
      i = parent;
    }
    heap[i] = b;
  }

  /** Place bucket `b` starting at the root, moving smaller children up. */
  private siftDown(b: number): void {
    const heap = this.heap;
    const n = this.heapLen;
    const d = this.bDeadline[b]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.bDeadline[heap[c + 1]!]! < this.bDeadline[heap[c]!]!) c++;
      if (this.bDeadline[heap[c]!]! >= d) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = b;
  }

  private growSlots(cap: number): void {
    const grow = <A extends Int32Array | Float64Array>(old: A, make: (n: number) => A, fill?: number): A => {
      const a = make(cap);
      a.set(old as never);
      if (fill !== undefined) a.fill(fill, old.length);
      return a;
    };
    this.tBucket = grow(this.tBucket, (n) => new Int32Array(n), -1);
    this.tNext = grow(this.tNext, (n) => new Int32Array(n));
    this.tPrev = grow(this.tPrev, (n) => new Int32Array(n));
    this.cap = cap;
  }


  private growBuckets(): void {
    const n = this.bDeadline.length * 2;
    const f = new Float64Array(n);
    f.set(this.bDeadline);
    this.bDeadline = f;
    for (const key of ["bHead", "bTail", "bCount"] as const) {
      const a = new Int32Array(n);
      a.set(this[key]);
      this[key] = a;
    }
  }
}
