/**
 * The write side of a connection: which way bytes leave (gathered for the
 * end of the tick, outbox.ts; straight to the handle, src/net/node/; or
 * through `socket.write`), in the order written whatever the way; the
 * backpressure that parks a writer while the queue is above the socket's
 * high-water mark, with its `writeTimeout`; and `end()`, the half-close.
 */
import { peekCurrent, currentTask } from "../runtime/current.js";
import { atTickEnd, parkFor } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { type Suspend, TIMED_OUT, WaitList } from "../runtime/suspend.js";
import type { Instruction } from "../runtime/types.js";
import { type Waiter, deliver, deliverThrow } from "../runtime/waiter.js";
import { type ConnBase, ConnFlag, type ConnSocket, failure, isBroken, kConn, recordError, timedOut } from "./conn-base.js";
import { NetError, NetErrorCode } from "./errors.js";
import { QUEUED, WROTE, type WriteHandle, directWrites, errnoError, refreshSocketTimer, writeDirect, writeHandle } from "./node/index.js";
import { GATHER_MAX, flush, gather } from "./outbox.js";

/** What `conn.write` takes. */
export type WriteData = Uint8Array | string | readonly (Uint8Array | string)[];

/** Bytes written and not yet handed to the kernel (gathered, in Node's queue or in libuv's). */
export function writableLength(c: ConnBase): number {
  return c.socket.writableLength + c._directQueued + c._gathered;
}

/** Bytes written whose buffers Node or libuv still hold (gathered bytes are copies: not counted). */
export function retainedLength(c: ConnBase): number {
  return c.socket.writableLength + c._directQueued;
}

function checkWritable(c: ConnBase): void {
  if (isBroken(c)) throw failure(c, "write");
  if ((c.flags & ConnFlag.Ended) !== 0) throw new NetError(NetErrorCode.ECLOSED, "write", c.address, "write after end()");
}

/** Queue `data`; true if the writer may go on, false if it should park until the queue drains. */
export function write(c: ConnBase, data: WriteData): boolean {
  if (data instanceof Uint8Array) return writeFrom.call(c, data, data.length);
  checkWritable(c);
  if (c._gathered !== 0) flush();
  const s = c.socket;
  if (typeof data === "string") return s.write(data);
  if (data.length === 1) return write(c, data[0]!);
  s.cork();
  for (let i = 0; i < data.length; i++) s.write(data[i]!);
  s.uncork();
  return !s.writableNeedDrain;
}

/**
 * Write `buf[0, n)` (`write` of bytes is this with all of them). The HTTP
 * server passes its output buffer and its length, so a gathered response
 * needs no view of it. `buf` may be reused once `retainedLength` is 0: at
 * once when the bytes were gathered (copied). `Conn._writeFrom`.
 */
export function writeFrom(this: ConnBase, buf: Uint8Array, n: number): boolean {
  const c = this;
  checkWritable(c);
  const s = c.socket;
  // While the stream has nothing queued: straight to the handle where this
  // Node allows it, and if small and written by a task, at the end of its
  // tick, on either path.
  if (s.writableLength === 0 && !s.connecting) {
    const h = writeHandle(s);
    if (h !== null || !directWrites) {
      if (n <= GATHER_MAX && n !== 0) {
        const t = peekCurrent();
        if (t !== null) {
          if (h !== null) refreshSocketTimer(s); // (the stream does it when it writes)
          if (gather(c, buf, n)) atTickEnd(t, flush);
          return c._gathered + c._directQueued < s.writableHighWaterMark;
        }
      }
      if (h !== null) {
        refreshSocketTimer(s);
        if (c._gathered !== 0) flush();
        return toHandle(c, h, n === buf.length ? buf : buf.subarray(0, n));
      }
    }
  }
  if (c._gathered !== 0) flush();
  return s.write(n === buf.length ? buf : buf.subarray(0, n));
}

/** Write `arena[start, end)`, gathered by `writeFrom` (see outbox.ts). True if node or libuv kept a reference to `arena`. `Conn._sendGathered`. */
export function sendGathered(this: ConnBase, arena: Buffer, start: number, end: number): boolean {
  const c = this;
  c._gathered -= end - start;
  // Failed or aborted since: dropped, as every unsent byte is then.
  if (isBroken(c)) return false;
  const s = c.socket;
  // The stream is still empty: bytes were gathered only while it was, and
  // whatever would write to it, or end it, flushes the outbox first.
  if (!directWrites) {
    if (s.destroyed) return false;
    // One write of the connection's run. The stream keeps the view only
    // while the write waits: if the kernel took it at once, nothing is queued.
    s.write(arena.subarray(start, end));
    const kept = s.writableLength !== 0;
    if (!kept && c.writers !== null && c._gathered === 0) drained(c);
    return kept;
  }
  const h = writeHandle(s);
  if (h === null) return false;
  const before = c._directQueued;
  try {
    toHandle(c, h, arena.subarray(start, end));
  } catch {
    return false; // the socket failed; its error is recorded for the next operation
  }
  if (c.writers !== null && c._gathered === 0 && c._directQueued === 0) drained(c);
  return c._directQueued !== before;
}

/**
 * Write `b` through the handle. True if the caller may go on (the kernel
 * took it all, or what waits in libuv's queue is under the stream's
 * high-water mark), false if it should wait for the drain.
 */
function toHandle(c: ConnBase, h: WriteHandle, b: Uint8Array): boolean {
  const r = writeDirect(h, b, c);
  if (r === WROTE) return true;
  if (r !== QUEUED) {
    // The kernel refused it (the peer reset, the socket is gone).
    failSocket(c, r);
    throw failure(c, "write");
  }
  c._directQueued += b.length;
  return c._directQueued < c.socket.writableHighWaterMark;
}

/** A direct write that waited in libuv's queue is done (or failed, or was dropped by a destroy). `Conn._directDone`. */
export function directDone(this: ConnBase, bytes: number, status: number): void {
  const c = this;
  c._directQueued -= bytes;
  if (status < 0) {
    if (!c.socket.destroyed) failSocket(c, status); // (a destroy drops what waits: ECANCELED, nothing to report)
    return;
  }
  if (c._directQueued === 0 && c._gathered === 0 && c.socket.writableLength === 0) drained(c);
}

/** A direct write failed with libuv error `errno`: the socket fails as node:net fails it when its stream's write does. */
function failSocket(c: ConnBase, errno: number): void {
  const e = errnoError(errno, "write");
  recordError(c, e);
  c.socket.destroy(e);
}

/** Park the current task until the queue drains (or `writeTimeout` passes). */
export function parkWriter(c: ConnBase): Suspend {
  const me = currentTask("write");
  const list = writersOf(c);
  list.push(me);
  if (c.writeTimeout > 0) parkFor(me, c.writeTimeout);
  return list;
}

/** Have `w` (not a task: plain code writing through `conn.stream()`) fired when the queue drains or the connection fails. */
export function waitDrain(c: ConnBase, w: Waiter): void {
  writersOf(c).push(w);
}

function writersOf(c: ConnBase): WaitList {
  let list = c.writers;
  if (list === null) {
    list = c.writers = new WaitList(() => `write on ${c.address} (waiting for the peer to read)`);
    list.external = true;
    // Listened to from the first wait on: 'drain' comes from a later callback, never
    // before this returns, and most connections never wait (one entry fewer in every
    // socket's listener table).
    c.socket.on("drain", onSocketDrain);
  }
  return list;
}

function onSocketDrain(this: ConnSocket): void {
  drained(this[kConn]!);
}

/** The queue drained below the high-water mark: wake every parked writer. */
export function drained(c: ConnBase): void {
  const list = c.writers;
  if (list === null) return;
  for (let n = list.shift(); n !== null; n = list.shift()) deliver(n, undefined);
}

/** The connection closed or failed (`cause`, or null for a local close): wake every parked writer with the error. */
export function failWriters(c: ConnBase, cause: Error | null): void {
  const list = c.writers;
  if (list === null) return;
  for (let n = list.shift(); n !== null; n = list.shift()) deliverThrow(n, failure(c, "write", cause));
}

/** Half-close: FIN after everything written so far. */
export function end(c: ConnBase): void {
  if ((c.flags & (ConnFlag.Ended | ConnFlag.Closed)) !== 0) return;
  if (c._gathered !== 0) flush(); // the FIN goes after them
  c.flags |= ConnFlag.Ended;
  c.socket.end();
}

/** `conn.write(data)`. */
export class WriteOp extends Op<void> {
  constructor(
    private readonly conn: ConnBase,
    private readonly data: WriteData,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    if (write(this.conn, this.data)) return this.ok(undefined);
    return this.wait(parkWriter(this.conn));
  }
  protected clone(): Op<void> {
    return new WriteOp(this.conn, this.data);
  }
  protected override resumed(v: unknown): void {
    if (v === TIMED_OUT) throw timedOut(this.conn, "write", true);
  }
}
