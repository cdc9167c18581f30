/**
 * The read side of a connection: where a socket's reads arrive (one shared
 * buffer for every socket, see src/net/node/reads.ts), the buffer of bytes
 * nobody has read yet and its high-water mark, the one parked reader and
 * what it wants (a copy, a copy into its own buffer, or a fill level), and
 * the read operations with their `readTimeout`.
 */
import { Op } from "../runtime/op.js";
import { currentTask } from "../runtime/current.js";
import { parkFor, wake, wakeThrow } from "../runtime/kernel.js";
import { Suspend, TIMED_OUT } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction } from "../runtime/types.js";
import { type ConnBase, ConnFlag, type ConnSocket, ReadMode, failure, isBroken, kConn, resumeReading, timedOut } from "./conn-base.js";
import { notifyWatcher } from "./conn-watch.js";
import { NetError, NetErrorCode } from "./errors.js";
import { type SocketReads, socketReads } from "./node/index.js";
import { copyBytes, fifoAppend, fifoIndexOf, fifoLength, fifoTake, fifoTakeInto, sharedReadBuffer } from "./read-buffer.js";

/**
 * Bytes buffered with no task reading, beyond which the socket stops reading
 * (libuv `readStop`) until a task reads again: a slow consumer cannot make us
 * buffer without bound. One socket read is at most 64 KiB, so a connection
 * buffers at most this plus 64 KiB (more only while one `readExactly(n)` with
 * a larger `n` is waiting).
 */
export const READ_HIGH_WATER = 64 * 1024;

/** What `read()` returns at most by default: one socket read. */
export const DEFAULT_READ_MAX = 64 * 1024;

/** Resume value of a readInto: bytes are buffered, copy them now. */
const INTO_READY: unique symbol = Symbol("tasklet.net.intoReady");

/**
 * How every socket reads: into the shared buffer, each read handed to the
 * socket's Conn. (Bytes could arrive before the Conn exists only in theory,
 * since it is attached before reading starts; they would stay on the socket.)
 */
export const socketReadPaths: SocketReads = socketReads(sharedReadBuffer, (s, n) => {
  const c = (s as ConnSocket)[kConn];
  return c === undefined || received(c, sharedReadBuffer, n);
});

/**
 * A copy of `src[0, k)` as a Buffer: small ones come from Node's shared
 * allocation pool (cheap), and a Buffer is what `socket.write` wants, so
 * echoing what `read` returned needs no conversion.
 */
function copyOut(src: Uint8Array, k: number): Buffer {
  const out = Buffer.allocUnsafe(k);
  copyBytes(out, 0, src, 0, k);
  return out;
}

// ------------------------------------------------------ socket -> reader

/** `n` bytes arrived in `src`. Returns false to stop reading (the socket pauses). */
export function received(c: ConnBase, src: Uint8Array, n: number): boolean {
  if ((c.flags & ConnFlag.Closed) !== 0) return false; // closed, lingering to flush writes: drop input
  const r = c.reader;
  if (r !== null && r._wait === c.readWait) {
    const mode = c.readMode;
    if (mode === ReadMode.Fill) {
      fifoAppend(c, src, 0, n);
      if (fifoLength(c) < c.readMax) return true;
      c.reader = null;
      wake(r, undefined);
    } else {
      let value: Uint8Array | typeof INTO_READY;
      if (mode === ReadMode.Copy) {
        const k = n < c.readMax ? n : c.readMax;
        value = copyOut(src, k);
        if (k < n) fifoAppend(c, src, k, n - k);
      } else {
        // readInto copies when the task resumes, not now: its target may be a
        // scratch buffer shared by many connections (the HTTP server's is),
        // which another connection's bytes would overwrite before this task runs.
        fifoAppend(c, src, 0, n);
        value = INTO_READY;
      }
      c.reader = null;
      wake(r, value);
    }
  } else {
    fifoAppend(c, src, 0, n);
    if (c.watcher !== null) notifyWatcher(c);
  }
  if (fifoLength(c) >= READ_HIGH_WATER) {
    c.flags |= ConnFlag.Paused;
    return false;
  }
  return true;
}

/** The peer sent FIN. */
export function ended(c: ConnBase): void {
  c.flags |= ConnFlag.Eof;
  const r = c.reader;
  if (r !== null && r._wait === c.readWait) {
    c.reader = null;
    // Copy/Into: end of stream; Fill: the loop sees Eof.
    wake(r, c.readMode === ReadMode.Fill ? undefined : null);
  } else if (c.watcher !== null) notifyWatcher(c);
}

/** The connection closed or failed (`cause`, or null for a local close): wake the parked reader. */
export function failReader(c: ConnBase, cause: Error | null): void {
  const r = c.reader;
  if (r === null || r._wait !== c.readWait) return;
  c.reader = null;
  // An end of stream already seen wins over the close for a reader.
  if ((c.flags & ConnFlag.Eof) !== 0) wake(r, c.readMode === ReadMode.Fill ? undefined : null);
  else wakeThrow(r, failure(c, "read", cause));
}

// ------------------------------------------------------ reader -> buffer

/** Take `n` buffered bytes; resume reading if the buffer fell low. */
export function takeBuffered(c: ConnBase, n: number): Uint8Array {
  const out = fifoTake(c, n);
  if (fifoLength(c) < READ_HIGH_WATER) resumeReading(c);
  return out;
}

/** Copy up to `max` buffered bytes into `dst` at `at`; resume reading if the buffer fell low. */
export function takeBufferedInto(c: ConnBase, dst: Uint8Array, at: number, max: number): number {
  const n = fifoTakeInto(c, dst, at, max);
  if (fifoLength(c) < READ_HIGH_WATER) resumeReading(c);
  return n;
}

/** Where a parked reader waits. */
class ReadWait extends Suspend {
  override external = true;
  constructor(private readonly conn: ConnBase) {
    super();
  }
  abandon(task: Task): void {
    // Cancelled or timed out: it consumes nothing.
    if (this.conn.reader === task) this.conn.reader = null;
  }
  describe(): string {
    return `read on ${this.conn.address}`;
  }
}

/** Register the current task as the reader and make sure the socket reads. */
function parkReader(c: ConnBase, op: string, mode: number, max: number): Suspend {
  if (isBroken(c)) throw failure(c, op);
  const r = c.reader;
  if (r !== null && r._wait === c.readWait) {
    throw new NetError(NetErrorCode.EBUSY, op, c.address, `task ${r.name} is already reading this connection`);
  }
  const me = currentTask(op);
  c.reader = me;
  c.readMode = mode;
  c.readMax = max;
  resumeReading(c);
  if (c.readTimeout > 0) parkFor(me, c.readTimeout);
  return c.readWait ?? (c.readWait = new ReadWait(c));
}

// ------------------------------------------------------ the operations

/** `conn.read(max)`. */
export class ReadOp extends Op<Uint8Array | null> {
  constructor(
    private readonly conn: ConnBase,
    private readonly max: number,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, Uint8Array | null> {
    const c = this.conn;
    const have = fifoLength(c);
    if (have > 0) return this.ok(takeBuffered(c, have < this.max ? have : this.max));
    if ((c.flags & ConnFlag.Eof) !== 0) return this.ok(null);
    return this.wait(parkReader(c, "read", ReadMode.Copy, this.max));
  }
  protected clone(): Op<Uint8Array | null> {
    return new ReadOp(this.conn, this.max);
  }
  protected override resumed(v: unknown): Uint8Array | null {
    if (v === TIMED_OUT) throw timedOut(this.conn, "read", false);
    return v as Uint8Array | null;
  }
}

/** `conn.readInto(dst, offset, length)`. */
export class ReadIntoOp extends Op<number | null> {
  constructor(
    private readonly conn: ConnBase,
    private readonly dst: Uint8Array,
    private readonly at: number,
    private readonly max: number,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, number | null> {
    const c = this.conn;
    if (fifoLength(c) > 0) return this.ok(takeBufferedInto(c, this.dst, this.at, this.max));
    if ((c.flags & ConnFlag.Eof) !== 0) return this.ok(null);
    return this.wait(parkReader(c, "readInto", ReadMode.Into, this.max));
  }
  protected clone(): Op<number | null> {
    return new ReadIntoOp(this.conn, this.dst, this.at, this.max);
  }
  protected override resumed(v: unknown): number | null {
    const c = this.conn;
    if (v === TIMED_OUT) throw timedOut(c, "readInto", false);
    if (v !== INTO_READY) return v as number | null; // null: end of stream
    if (fifoLength(c) === 0) {
      // Closed between the wake and now (closing drops the buffer).
      if ((c.flags & ConnFlag.Eof) !== 0) return null;
      throw failure(c, "readInto");
    }
    if (this.dst.byteLength < this.at + 1) {
      throw new RangeError(
        `readInto from ${c.address}: the target buffer was detached while waiting (did a WebAssembly memory grow?); the bytes are kept for the next read`,
      );
    }
    return takeBufferedInto(c, this.dst, this.at, this.max);
  }
}

/** Park until `want` bytes are buffered or the stream ends (the bytes stay in the buffer). */
class FillOp extends Op<void> {
  constructor(
    private readonly conn: ConnBase,
    private readonly want: number,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    const c = this.conn;
    if (fifoLength(c) >= this.want || (c.flags & ConnFlag.Eof) !== 0) return this.ok(undefined);
    return this.wait(parkReader(c, "read", ReadMode.Fill, this.want));
  }
  protected clone(): Op<void> {
    return new FillOp(this.conn, this.want);
  }
  protected override resumed(v: unknown): void {
    if (v === TIMED_OUT) throw timedOut(this.conn, "read", false);
  }
}

/** `conn.waitReadable()`: true once bytes are buffered, false at the end of stream with none. */
export function* waitReadable(c: ConnBase): Generator<Instruction, boolean, unknown> {
  yield* new FillOp(c, 1);
  return fifoLength(c) > 0;
}

/** `conn.readExactly(n)`. */
export function* readExactly(c: ConnBase, n: number): Generator<Instruction, Uint8Array | null, unknown> {
  while (fifoLength(c) < n && (c.flags & ConnFlag.Eof) === 0) yield* new FillOp(c, n);
  const have = fifoLength(c);
  if (have >= n) return takeBuffered(c, n);
  if (have === 0) return null;
  throw new NetError(NetErrorCode.EOF, "readExactly", c.address, `the peer ended the stream after ${have} of ${n} bytes`);
}

/** `conn.readUntil(delimiter, maxBytes)`, the delimiter as bytes. */
export function* readUntil(c: ConnBase, needle: Uint8Array, maxBytes: number): Generator<Instruction, Uint8Array | null, unknown> {
  let from = 0;
  for (;;) {
    const i = fifoIndexOf(c, needle, from);
    if (i >= 0 && i + needle.length <= maxBytes) return takeBuffered(c, i + needle.length);
    const have = fifoLength(c);
    if (i >= 0 || have >= maxBytes) {
      throw new NetError(NetErrorCode.EMSGSIZE, "readUntil", c.address, `no delimiter within ${maxBytes} bytes`);
    }
    if ((c.flags & ConnFlag.Eof) !== 0) {
      if (have === 0) return null;
      throw new NetError(NetErrorCode.EOF, "readUntil", c.address, `the peer ended the stream after ${have} bytes without the delimiter`);
    }
    from = Math.max(0, have - needle.length + 1);
    yield* new FillOp(c, have + 1);
  }
}
