/** Channel: Go's and Stackless's channel between tasks, unbuffered or buffered. */
import { currentTask } from "../runtime/current.js";
import { ChannelClosedError } from "../runtime/errors.js";
import { parkOn, result } from "../runtime/instruction.js";
import { parkUntil } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { STREAM, STREAM_DONE, type Stream } from "../runtime/stream.js";
import { Fifo } from "./fifo.js";
import { OutsideIterator, OutsideSource } from "./outside-iterator.js";
import { TIMED_OUT, WaitList } from "../runtime/suspend.js";
import type { Instruction } from "../runtime/types.js";
import { deliver, deliverThrow } from "../runtime/waiter.js";

let channelIds = 0;

/** Result of {@link Channel.tryRecv}. */
export type TryRecvResult<T> = { ok: true; value: T } | { ok: false; closed: boolean };

/**
 * A channel between tasks, as in Go and Stackless. `new Channel()` is
 * unbuffered: `send` waits until a receiver takes the value (a rendezvous).
 * `new Channel(n)` buffers up to `n` values before `send` waits. Waiters are
 * served in FIFO order.
 *
 * After `close()`, buffered values can still be received; then `recv` throws
 * `ChannelClosedError`, and `send` throws it at once. Senders parked when the
 * channel closes get the error too: their values were not delivered.
 *
 * **Iteration.** Inside a task, `for (const v of yield* each(ch)) { ...;
 * yield* each.next(); }` receives until the channel is closed and drained.
 * From plain async code, outside any task, `for await (const v of ch)`
 * does the same: each step waits for a value sent by a task (or
 * `trySend`); a `break` leaves the values not yet received in the channel.
 * While such a loop is open, a task parked in `send` on the channel is
 * waiting for the outside world, so its run is not reported deadlocked
 * (end the loop, by `break` or by closing the channel, to release it).
 *
 * @example
 * const ch = new Channel<number>();
 * spawn(function* () { yield* ch.send(42); });
 * const v = yield* ch.recv(); // 42
 */
export class Channel<T> {
  /** Buffer size; 0 for a rendezvous channel. */
  readonly capacity: number;
  /** Name used in errors and deadlock reports. */
  readonly name: string;
  /** @internal */ readonly recvq: WaitList;
  /** @internal */ readonly sendq: WaitList;
  private readonly items = new Fifo<T>();
  private isClosed = false;
  /** What `recv()` returns: one object serves every receive (see {@link RecvOp}). */
  private readonly recvOp: RecvOp<T>;
  /** @internal Its link to async iterators from outside any task, made by the first (see outside-iterator.ts). */
  private outside: OutsideSource<T> | null = null;

  constructor(capacity = 0, name?: string) {
    if (typeof capacity !== "number" || Number.isNaN(capacity) || capacity < 0 || (capacity !== Infinity && !Number.isInteger(capacity))) {
      throw new RangeError(`Channel capacity must be a whole number >= 0 or Infinity, got ${String(capacity)}`);
    }
    this.capacity = capacity;
    this.name = name ?? `Channel#${++channelIds}`;
    const kind = capacity === 0 ? "unbuffered" : `capacity ${capacity}`;
    this.recvq = new WaitList(() => `recv on ${this.name} (${kind})`);
    this.sendq = new WaitList(() => `send on ${this.name} (${kind})`);
    this.recvOp = new RecvOp(this);
  }

  /** Send a value; waits while no receiver is ready and the buffer is full. */
  send(value: T): SendOp<T> {
    return new SendOp(this, value);
  }

  /**
   * Receive a value; waits while the channel is empty and open. A receive
   * takes no arguments, so every call returns the same operation object
   * (`ch.recv() === ch.recv()`); any number of tasks may `yield*` it at
   * once, each gets its own receive.
   */
  recv(): RecvOp<T> {
    return this.recvOp;
  }

  /** Send without waiting: true if a receiver or the buffer took the value. Throws on a closed channel. */
  trySend(value: T): boolean {
    if (this.isClosed) throw this.closedForSend();
    return this.offer(value);
  }

  /** Receive without waiting. */
  tryRecv(): TryRecvResult<T> {
    if (this.ready()) return { ok: true, value: this.take() };
    return { ok: false, closed: this.isClosed };
  }

  /** Close the channel. Parked receivers and senders get `ChannelClosedError`. Closing twice does nothing. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (let n = this.recvq.shift(); n !== null; n = this.recvq.shift()) {
      deliverThrow(n, new ChannelClosedError(`recv on closed ${this.name}`));
    }
    for (let n = this.sendq.shift(); n !== null; n = this.sendq.shift()) {
      deliverThrow(n, this.closedForSend());
    }
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Values waiting in the buffer. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Receive from plain async code, outside any task: `for await (const v of
   * ch)` ends once the channel is closed and drained.
   *
   * @example
   * for await (const job of jobs) console.log(job);
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T, undefined, undefined> {
    this.outside ??= new OutsideSource<T>(this.recvq, this.sendq, () =>
      this.ready() ? { ok: true, value: this.take() } : { ok: false, ended: this.isClosed },
    );
    return new OutsideIterator<T>(this.outside);
  }

  /**
   * The channel as a {@link Stream} for tasks (what `each(ch)` uses): each
   * `next()` receives one value, `{ done: true }` once closed and drained.
   *
   * @example
   * const s = ch[STREAM]();
   * const first = yield* s.next();
   */
  [STREAM](): Stream<T> {
    return new ChannelStream(this);
  }

  /** Stackless's balance: the number of parked senders minus the number of parked receivers (counted: O(waiters)). */
  get balance(): number {
    return this.sendq.length - this.recvq.length;
  }

  /** @internal Append to the buffer; the caller checked that it has room and no receiver waits. */
  buffer(value: T): void {
    this.items.push(value);
  }

  /** @internal No value is buffered. */
  bufferEmpty(): boolean {
    return this.items.length === 0;
  }

  /** @internal A receive would complete now (a value is buffered or a sender waits). */
  ready(): boolean {
    return this.items.length > 0 || !this.sendq.isEmpty();
  }

  /** @internal A send would complete now. */
  canSend(): boolean {
    return !this.recvq.isEmpty() || this.size < this.capacity;
  }

  /** @internal Take a value; the caller checked `ready()`. */
  take(): T {
    if (this.items.length > 0) {
      const v = this.items.shift();
      const s = this.sendq.shift();
      if (s !== null) {
        this.items.push(s._val as T);
        s._val = undefined;
        deliver(s, undefined);
      }
      return v;
    }
    const s = this.sendq.shift()!;
    const v = s._val as T;
    s._val = undefined;
    deliver(s, undefined);
    return v;
  }

  /** @internal Hand a value to a receiver or the buffer; false if neither can take it. */
  offer(value: T): boolean {
    const r = this.recvq.shift();
    if (r !== null) {
      deliver(r, value);
      return true;
    }
    if (this.size < this.capacity) {
      this.buffer(value);
      return true;
    }
    return false;
  }

  /** @internal */
  closedForSend(): ChannelClosedError {
    return new ChannelClosedError(`send on closed ${this.name}`);
  }

  /** @internal */
  closedForRecv(): ChannelClosedError {
    return new ChannelClosedError(`recv on closed ${this.name}: it is closed and drained`);
  }
}

/**
 * The operation `ch.send(v)` returns; also a case of `select`.
 *
 * @example
 * const r = yield* select(out.send(value), quit.recv());
 */
export class SendOp<T> extends Op<void> {
  constructor(
    readonly channel: Channel<T>,
    readonly payload: T,
  ) {
    super();
  }
  override [Symbol.iterator](): Iterator<Instruction, void, unknown> {
    return this.phase === 0 ? this : this.clone();
  }
  override next(v?: unknown): IteratorResult<Instruction, void> {
    if (this.phase === 0) {
      this.phase = 1;
      return this.begin();
    }
    if (this.deadline !== Infinity && v === TIMED_OUT) throw this.onDeadline!();
    return result(true, undefined);
  }
  protected begin(): IteratorResult<Instruction, void> {
    const ch = this.channel;
    const r = ch.recvq.shift();
    if (r !== null) {
      // A receiver waits, so the channel is open (close() empties recvq for good).
      deliver(r, this.payload);
      return result(true, undefined);
    }
    if (ch.closed) throw ch.closedForSend();
    if (ch.capacity !== 0 && ch.size < ch.capacity) {
      ch.buffer(this.payload);
      return result(true, undefined);
    }
    const me = currentTask("send");
    me._val = this.payload;
    ch.sendq.push(me);
    if (this.deadline !== Infinity) parkUntil(me, this.deadline);
    return parkOn(ch.sendq);
  }
  protected clone(): Op<void> {
    return new SendOp(this.channel, this.payload);
  }
  protected override resumed(): void {}
}

/**
 * The operation `ch.recv()` returns; also a case of `select`.
 *
 * A receive has no arguments, so each channel hands out one RecvOp for all
 * of its receives instead of allocating one per `recv()`: the per-wait state
 * lives in the waiting task, and the object only records whether an
 * iteration of it is in progress (`phase` 1 from its park until it is
 * resumed). A second `yield*` of it meanwhile, by another task, gets a fresh
 * copy, as for any started operation; once the receive is over, the object
 * is free again. An iteration that is abandoned without being resumed
 * (a task given up on by the deadlock abort) leaves it started, which only
 * costs a copy per later receive. A deadline is never set on it:
 * `withDeadline` works on a copy.
 *
 * @example
 * const op: RecvOp<string> = ch.recv();
 * const msg = yield* op;
 */
export class RecvOp<T> extends Op<T> {
  constructor(readonly channel: Channel<T>) {
    super();
  }
  override [Symbol.iterator](): Iterator<Instruction, T, unknown> {
    return this.phase === 0 ? this : this.clone();
  }
  override next(v?: unknown): IteratorResult<Instruction, T> {
    // `begin` marks the object started only when it parks.
    if (this.phase === 0) return this.begin();
    this.phase = 0;
    if (this.deadline !== Infinity && v === TIMED_OUT) throw this.onDeadline!();
    return result(true, v);
  }
  override throw(e: unknown): IteratorResult<Instruction, T> {
    this.phase = 0; // woken by an error (closed while parked, a child's failure)
    throw e;
  }
  override return(v?: unknown): IteratorResult<Instruction, T> {
    this.phase = 0; // cancelled while parked
    return { done: true, value: v as T };
  }
  protected begin(): IteratorResult<Instruction, T> {
    const ch = this.channel;
    if (ch.bufferEmpty()) {
      // Unbuffered (or drained): take from a parked sender, else park.
      const s = ch.sendq.shift();
      if (s !== null) {
        const v = s._val as T;
        deliver(s, undefined); // which also clears the payload of a task (its _val)
        return result(true, v);
      }
      if (!ch.closed) {
        const me = currentTask("recv");
        ch.recvq.push(me);
        this.phase = 1;
        if (this.deadline !== Infinity) parkUntil(me, this.deadline);
        return parkOn(ch.recvq);
      }
    }
    return this.slow(ch);
  }
  /** A buffered value, or closed and drained. */
  private slow(ch: Channel<T>): IteratorResult<Instruction, T> {
    if (ch.ready()) return result(true, ch.take());
    throw ch.closedForRecv();
  }
  protected clone(): Op<T> {
    return new RecvOp(this.channel);
  }
  /** @internal A copy of its own when it is the channel's shared one, so that a deadline set on it stays on it. */
  override unshared(): Op<T> {
    return this === this.channel.recv() ? this.clone() : this;
  }
}

/** `ch[STREAM]()`: receives as a {@link Stream}; a receive on a closed, drained channel ends it. */
class ChannelStream<T> implements Stream<T> {
  constructor(private readonly ch: Channel<T>) {}
  next(): Op<IteratorResult<T, undefined>> {
    return new StreamRecvOp(this.ch);
  }
}

/** One `next()` of a ChannelStream: `recv`, with the end of the channel as `{ done: true }` instead of an error. */
class StreamRecvOp<T> extends Op<IteratorResult<T, undefined>> {
  constructor(private readonly ch: Channel<T>) {
    super();
  }
  protected begin(): IteratorResult<Instruction, IteratorResult<T, undefined>> {
    const ch = this.ch;
    if (ch.ready()) return this.ok({ done: false, value: ch.take() });
    if (ch.closed) return this.ok(STREAM_DONE);
    ch.recvq.push(currentTask("next"));
    return this.wait(ch.recvq);
  }
  protected clone(): Op<IteratorResult<T, undefined>> {
    return new StreamRecvOp(this.ch);
  }
  protected override resumed(v: unknown): IteratorResult<T, undefined> {
    return { done: false, value: v as T };
  }
  override throw(e: unknown): IteratorResult<Instruction, IteratorResult<T, undefined>> {
    // Closed while parked: nothing was buffered, so it is closed and drained.
    if (e instanceof ChannelClosedError && this.ch.closed) return { done: true, value: STREAM_DONE };
    throw e;
  }
}
