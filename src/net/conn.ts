import type { Socket } from "node:net";
import { currentTask, peekCurrent } from "../runtime/current.js";
import { Op } from "../runtime/op.js";
import { describeValue } from "../config/options.js";
import { Suspend, TIMED_OUT, WaitList } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { QUEUED, type SocketReads, WROTE, type WriteHandle, directWrites, errnoError, refreshSocketTimer, socketReads, writeDirect, writeHandle } from "./node/index.js";
import { NetError, NetErrorCode, formatAddress, toNetError } from "./errors.js";
import { GATHER_MAX, flush, gather } from "./outbox.js";
import {
  copyBytes,
  fifoAppend,
  fifoClear,
  fifoIndexOf,
  fifoLength,
  fifoTake,
  fifoTakeInto,
  sharedReadBuffer,
} from "./read-buffer.js";

/**
 * Bytes buffered with no task reading, beyond which the socket stops reading
 * (libuv `readStop`) until a task reads again: a slow consumer cannot make us
 * buffer without bound. One socket read is at most 64 KiB, so a connection
 * buffers at most this plus 64 KiB (more only while one `readExactly(n)` with
 * a larger `n` is waiting).
 */
export const READ_HIGH_WATER = 64 * 1024;

/** How long `close()` lets queued bytes drain to a peer that does not read before destroying the socket. */
export const CLOSE_LINGER_MS = 2000;

function destroyThis(this: Socket): void {
  this.destroy();
}
function destroySocket(s: Socket): void {
  s.destroy();
}

/** Bits of `Conn.flags`. */
const ConnFlag = {
  /** The peer ended its side (FIN): reads return what is buffered, then null. */
  Eof: 1,
  /** The socket is closed (`close()`, an error, or both sides done). */
  Closed: 2,
  /** We stopped reading (libuv readStop, or never started): resume on the next read. */
  Paused: 4,
  /** `end()` was called: no more writes. */
  Ended: 8,
  /** Reads arrive through `onread` into the shared buffer (else through 'data' events). */
  UserBuffer: 16,
} as const;

/** What the parked reader wants (`Conn.readMode`). */
const ReadMode = {
  /** `read(max)`: up to `readMax` bytes as a new Uint8Array. */
  Copy: 0,
  /** `readInto(dst)`: buffer what arrives, wake; the op copies into its target when the task resumes. */
  Into: 1,
  /** `readExactly`/`readUntil`: wake once `readMax` bytes are buffered, leave them there. */
  Fill: 2,
} as const;

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

/** Resume value of a readInto: bytes are buffered, copy them now. */
const INTO_READY: unique symbol = Symbol("tasklet.net.intoReady");

/** The socket a Conn is attached to (a property, so one shared listener function serves every socket). */
const kConn = Symbol("tasklet.conn");
type ConnSocket = Socket & { [kConn]?: Conn };

/**
 * Not part of the public API. Told once that a connection nobody reads has become readable
 * (see `Conn._watch`). The HTTP server's idle keep-alive connections wait
 * this way instead of in a parked task.
 */
export interface ConnWatcher {
  _connReadable(conn: Conn): void;
}

/** Where a parked reader waits. One per Conn, made on the first park. */
class ReadWait extends Suspend {
  override external = true;
  constructor(private readonly conn: Conn) {
    super();
  }
  abandon(task: Task): void {
    this.conn._abandonRead(task);
  }
  describe(): string {
    return `read on ${this.conn.address}`;
  }
}

/**
 * A TCP connection whose operations look blocking: `yield* conn.read()` parks
 * the task until bytes arrive, `yield* conn.write(b)` parks it while the
 * socket's send buffer is above its high-water mark. Made by
 * {@link listen}/{@link serveTcp} (accepted) or {@link connect}.
 *
 * **Reads.** One task reads at a time (a second concurrent read throws
 * `NetError` `EBUSY`). Bytes that arrive while nobody reads are kept (up to
 * {@link READ_HIGH_WATER}, then the socket stops reading until a task reads).
 * At end of stream `read` returns `null`, after every buffered byte.
 *
 * **Writes.** `write` hands the bytes to the socket in call order, and
 * returns when the socket's buffer is below its high-water mark (at once in
 * the common case), so a peer that does not read parks the writer and memory
 * stays bounded. A small write (up to 4 KiB of bytes) made by a task is
 * copied and leaves with the other small writes of the scheduler's tick when
 * the tick ends (see src/net/outbox.ts); anything else goes at once.
 * Node keeps a reference to a larger written Uint8Array until it is
 * sent: reuse it only once `conn.writableLength === 0`.
 *
 * **Cancellation** (a task cancelled, or timed out by `withTimeout`, while
 * parked): a cancelled `read`/`readInto`/`readExactly`/`readUntil`/
 * `waitReadable` consumes nothing: bytes that had arrived, and bytes that
 * arrive later, stay buffered in order for the next read; the connection
 * stays open. A cancelled `write` has already queued all its bytes: they are
 * still sent, in order; the connection stays open. Once a wake has been
 * delivered, the operation completes with its result and the cancellation
 * takes effect at the task's next suspension point. Caveat: `withTimeout`
 * runs its body as a child task and discards the child's result once its
 * deadline has passed, so bytes that arrive in the very tick the deadline
 * passes can be read by the child and dropped; `readTimeout`/`writeTimeout`
 * (a deadline on the park itself) have no such window.
 *
 * **Closing.** `close()` wakes every task parked on the connection with
 * `NetError` `ECLOSED`, flushes what is still in Node's queue (bounded: at
 * most {@link CLOSE_LINGER_MS}), then destroys the socket; `abort()` resets
 * it at once. A reset, a broken pipe or any socket error wakes the parked
 * tasks with that error (`ECONNRESET`, `EPIPE`...).
 *
 * @example
 * const conn = yield* connect({ port: 7000 });
 * yield* conn.write("ping\n");
 * const line = yield* conn.readUntil("\n", 1024);
 * conn.close();
 */
export class Conn {
  /** The node:net socket. Use it for options (`setKeepAlive`...), not for reading or writing. */
  readonly socket: Socket;
  private flags: number;
  /** @internal Received bytes nobody has read yet (a ByteFifo, see read-buffer.ts). */ _rbBlock: Uint8Array | null = null;
  /** @internal */ _rbStart = 0;
  /** @internal */ _rbEnd = 0;
  /** The socket's error, if any (delivered to every later operation). */
  private error: Error | null = null;
  /** The parked reader, or null. */
  private reader: Task | null = null;
  private readMode: number = ReadMode.Copy;
  private readMax = 0;
  private readWait: ReadWait | null = null;
  /** Told once when bytes, end of stream or an error arrive while no task reads (`_watch`). */
  private watcher: ConnWatcher | null = null;
  /** Tasks parked in `write` until 'drain'. */
  private writers: WaitList | null = null;
  /**
   * The peer's host and port for error messages, given when the connection
   * is made: Node forgets them once the socket is reset or destroyed (the
   * listener reads them at accept, see `readPeer` in listener.ts).
   */
  private peerHost: string | undefined;
  private peerPort: number | undefined;
  /**
   * Inactivity limit of every read wait, in ms of the run's clock (0: none).
   * A wait that reaches it throws `NetError` `ETIMEDOUT` and consumes
   * nothing. Unlike `withTimeout` around a read, it cannot race with
   * arriving bytes: the park either times out or gets the bytes. For
   * `readExactly`/`readUntil` it limits each wait for more bytes, not the total.
   */
  declare readTimeout: number;
  /** Limit, in ms, of a `write`'s wait for the peer to read (0: none); then `NetError` `ETIMEDOUT`, the bytes stay queued. */
  declare writeTimeout: number;
  // (Both default to 0 on the prototype: a connection that sets neither carries no field for them.)
  /** @internal Bytes of direct writes (see direct-write.ts) waiting in libuv's queue; 0 on the prototype too. */
  declare _directQueued: number;
  /** @internal Bytes gathered in the outbox (see outbox.ts), written at the end of the tick; 0 on the prototype too. */
  declare _gathered: number;

  /**
   * @internal Attach to a socket: an accepted one (paused, `userBuffer`
   * already installed or not) or a connecting one. `host` and `port` name
   * the peer in error messages (undefined: ask the socket when needed, which
   * fails once it is reset).
   */
  constructor(socket: Socket, paused: boolean, userBuffer: boolean, host?: string, port?: number) {
    this.socket = socket;
    this.peerHost = host;
    this.peerPort = port;
    this.flags = (paused ? ConnFlag.Paused : 0) | (userBuffer ? ConnFlag.UserBuffer : 0);
    const s = socket as ConnSocket;
    s[kConn] = this;
    s.on("end", onSocketEnd);
    s.on("error", onSocketError);
    s.on("close", onSocketClose);
    if (!userBuffer) s.on("data", onSocketData);
  }

  // ------------------------------------------------------------- properties

  /** The peer's IP address (`"127.0.0.1"`), or undefined once unknown. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** The peer's port. */
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  /** `host:port` of the peer, as used in error messages (`?:?` if it was never known). */
  get address(): string {
    return formatAddress(this.peerHost ?? this.socket.remoteAddress, this.peerPort ?? this.socket.remotePort);
  }

  /** Bytes received and not read yet. */
  get bufferedLength(): number {
    return fifoLength(this);
  }

  /** Bytes written and not yet handed to the kernel (gathered for the end of the tick, in Node's queue or in libuv's). */
  get writableLength(): number {
    return this.socket.writableLength + this._directQueued + this._gathered;
  }

  /**
   * @internal Bytes written whose buffers Node or libuv still hold: a
   * buffer written once this is 0 may be reused. Gathered bytes are copies,
   * so they do not count.
   */
  get _retainedLength(): number {
    return this.socket.writableLength + this._directQueued;
  }

  /** True once the socket is closed (locally, by an error, or both sides ended). */
  get closed(): boolean {
    return (this.flags & ConnFlag.Closed) !== 0;
  }

  /** True while the socket is not reading because nobody read and the buffer is full (or no read has started yet). */
  get readPaused(): boolean {
    return (this.flags & ConnFlag.Paused) !== 0;
  }

  // ------------------------------------------------------------- operations

  /**
   * Wait for bytes and return up to `max` of them (default: whatever arrived,
   * at most 64 KiB) as a new Uint8Array; `null` at end of stream.
   *
   * @example
   * for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) total += b.length;
   */
  read(max = 65536): Operation<Uint8Array | null> {
    if (!(max >= 1)) throw new RangeError(`read(max): max must be >= 1, got ${String(max)}`);
    return new ReadOp(this, max);
  }

  /**
   * Wait for bytes and copy up to `length` of them (default: to the end of
   * `dst`) into `dst` at `offset`; returns the count, or `null` at end of
   * stream. Allocates nothing per call. The copy is made when the task
   * resumes, so `dst` only has to be valid then: one scratch buffer can serve
   * every connection (the HTTP server reads into one this way). If `dst` was
   * detached meanwhile (a WebAssembly memory grew), it throws RangeError and
   * the bytes stay buffered for the next read.
   *
   * @example
   * const n = yield* conn.readInto(scratch);
   */
  readInto(dst: Uint8Array, offset = 0, length = dst.length - offset): Operation<number | null> {
    if (!(offset >= 0 && length >= 1 && offset + length <= dst.length)) {
      throw new RangeError(`readInto: need 0 <= offset and 1 <= length with offset + length <= ${dst.length}, got ${offset} and ${length}`);
    }
    return new ReadIntoOp(this, dst, offset, length);
  }

  /**
   * Wait until bytes are buffered (true) or the stream has ended with nothing
   * buffered (false), without taking any. An idle connection waiting here
   * holds no buffer of its own: use it with a shared scratch buffer, e.g.
   * `while (yield* conn.waitReadable()) n = yield* conn.readInto(shared)`
   * (that `readInto` completes at once).
   *
   * @example
   * if (!(yield* conn.waitReadable())) return; // peer closed
   */
  waitReadable(): Operation<boolean> {
    const conn = this;
    return {
      *[Symbol.iterator]() {
        yield* new FillOp(conn, 1);
        return fifoLength(conn) > 0;
      },
    };
  }

  /**
   * Exactly `n` bytes. Returns `null` if the stream ends before any of them;
   * throws `NetError` `EOF` if it ends part way.
   *
   * @example
   * const header = yield* conn.readExactly(4);
   */
  readExactly(n: number): Operation<Uint8Array | null> {
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`readExactly(n): n must be a whole number >= 1, got ${String(n)}`);
    const conn = this;
    return {
      *[Symbol.iterator]() {
        while (fifoLength(conn) < n && (conn.flags & ConnFlag.Eof) === 0) yield* new FillOp(conn, n);
        const have = fifoLength(conn);
        if (have >= n) return conn.takeBuffered(n);
        if (have === 0) return null;
        throw conn.eofError("readExactly", `the peer ended the stream after ${have} of ${n} bytes`);
      },
    };
  }

  /**
   * Bytes up to and including the first `delimiter` (a string is UTF-8
   * encoded). Throws `NetError` `EMSGSIZE` if `maxBytes` bytes arrive without
   * it (they stay buffered); returns `null` if the stream ends with nothing
   * buffered, and throws `NetError` `EOF` if it ends after a partial line.
   *
   * @example
   * const line = yield* conn.readUntil("\r\n", 8192);
   */
  readUntil(delimiter: string | Uint8Array, maxBytes: number): Operation<Uint8Array | null> {
    const needle = typeof delimiter === "string" ? Buffer.from(delimiter) : delimiter;
    if (needle.length === 0) throw new RangeError("readUntil: the delimiter is empty");
    if (!(maxBytes >= needle.length)) throw new RangeError(`readUntil: maxBytes must be >= the delimiter's length, got ${String(maxBytes)}`);
    const conn = this;
    return {
      *[Symbol.iterator]() {
        let from = 0;
        for (;;) {
          const i = fifoIndexOf(conn, needle, from);
          if (i >= 0 && i + needle.length <= maxBytes) return conn.takeBuffered(i + needle.length);
          const have = fifoLength(conn);
          if (i >= 0 || have >= maxBytes) {
            throw new NetError(NetErrorCode.EMSGSIZE, "readUntil", conn.address, `no delimiter within ${maxBytes} bytes`);
          }
          if ((conn.flags & ConnFlag.Eof) !== 0) {
            if (have === 0) return null;
            throw conn.eofError("readUntil", `the peer ended the stream after ${have} bytes without the delimiter`);
          }
          from = Math.max(0, have - needle.length + 1);
          yield* new FillOp(conn, have + 1);
        }
      },
    };
  }

  /**
   * Send bytes (a string is UTF-8 encoded; an array is sent with one
   * `writev`, e.g. a response head and body). Waits while the socket's
   * buffer is above its high-water mark. See the class notes for reuse of the
   * written buffer and for cancellation.
   *
   * @example
   * yield* conn.write([head, body]);
   */
  write(data: Uint8Array | string | readonly (Uint8Array | string)[]): Operation<void> {
    if (!(data instanceof Uint8Array) && typeof data !== "string" && !Array.isArray(data)) {
      throw new TypeError(`conn.write() takes a Uint8Array, a string or an array of them, got ${describeValue(data)}`);
    }
    return new WriteOp(this, data);
  }

  /**
   * Half-close: send FIN after everything written so far. Reading still
   * works until the peer ends too. Idempotent.
   *
   * @example
   * conn.end();
   * const rest = yield* conn.read(); // the peer may still answer
   */
  end(): void {
    if ((this.flags & (ConnFlag.Ended | ConnFlag.Closed)) !== 0) return;
    if (this._gathered !== 0) flush(); // the FIN goes after them
    this.flags |= ConnFlag.Ended;
    this.socket.end();
  }

  /**
   * Close. Every task parked on the connection is woken at once with
   * `NetError` `ECLOSED`, and later operations throw it. Bytes still in
   * Node's queue (at most about the socket's high-water mark, since `write`
   * waits above it) are flushed first, then the socket is destroyed; after
   * {@link CLOSE_LINGER_MS} without a flush (the peer does not read), it is
   * destroyed anyway. Idempotent.
   *
   * @example
   * try { yield* handle(conn); } finally { conn.close(); }
   */
  close(): void {
    if ((this.flags & ConnFlag.Closed) !== 0) return;
    if (this._gathered !== 0) flush(); // then they count as queued below
    this.flags |= ConnFlag.Closed;
    this.watcher = null;
    fifoClear(this);
    const s = this.socket;
    if (this.writableLength === 0 || s.destroyed) s.destroy();
    else {
      if (!s.writableEnded) s.end();
      s.once("finish", destroyThis);
      setTimeout(destroySocket, CLOSE_LINGER_MS, s).unref();
    }
    this.failWaiters(null);
  }

  /**
   * Abort: reset the connection (RST) and drop every unsent byte. Parked
   * tasks are woken with `NetError` `ECLOSED`; the peer sees `ECONNRESET`.
   *
   * @example
   * if (tooSlow) conn.abort();
   */
  abort(): void {
    if ((this.flags & ConnFlag.Closed) !== 0 && this.socket.destroyed) return;
    this.flags |= ConnFlag.Closed;
    this.watcher = null;
    fifoClear(this);
    const s = this.socket;
    if (!s.destroyed) {
      if (typeof s.resetAndDestroy === "function" && !s.connecting) s.resetAndDestroy();
      else s.destroy();
    }
    this.failWaiters(null);
  }

  toString(): string {
    return `Conn(${this.address})`;
  }

  // ---------------------------------------------------- socket -> tasks

  /** @internal `n` bytes arrived in `src`. Returns false to stop reading (the socket pauses). */
  _received(src: Uint8Array, n: number): boolean {
    if ((this.flags & ConnFlag.Closed) !== 0) return false; // closed, lingering to flush writes: drop input
    const r = this.reader;
    if (r !== null && r._wait === this.readWait) {
      const mode = this.readMode;
      if (mode === ReadMode.Fill) {
        fifoAppend(this, src, 0, n);
        if (fifoLength(this) < this.readMax) return true;
        this.reader = null;
        r._sched.wake(r, undefined);
      } else {
        let value: Uint8Array | typeof INTO_READY;
        if (mode === ReadMode.Copy) {
          const k = n < this.readMax ? n : this.readMax;
          value = copyOut(src, k);
          if (k < n) fifoAppend(this, src, k, n - k);
        } else {
          // readInto copies when the task resumes, not now: its target may be a
          // scratch buffer shared by many connections (the HTTP server's is),
          // which another connection's bytes would overwrite before this task runs.
          fifoAppend(this, src, 0, n);
          value = INTO_READY;
        }
        this.reader = null;
        r._sched.wake(r, value);
      }
    } else {
      fifoAppend(this, src, 0, n);
      if (this.watcher !== null) this.notifyWatcher();
    }
    if (fifoLength(this) >= READ_HIGH_WATER) {
      this.flags |= ConnFlag.Paused;
      return false;
    }
    return true;
  }

  /** @internal The peer sent FIN. */
  _ended(): void {
    this.flags |= ConnFlag.Eof;
    const r = this.reader;
    if (r !== null && r._wait === this.readWait) {
      this.reader = null;
      // Copy/Into: end of stream; Fill: the loop sees Eof.
      r._sched.wake(r, this.readMode === ReadMode.Fill ? undefined : null);
    } else if (this.watcher !== null) this.notifyWatcher();
  }

  /** @internal */
  _errored(e: Error): void {
    if (this.error === null) this.error = e;
  }

  /** @internal The socket is gone: wake everyone still parked. */
  _closed(): void {
    this.flags |= ConnFlag.Closed;
    this.failWaiters(this.error);
    if (this.watcher !== null) this.notifyWatcher();
  }

  /**
   * @internal Wait for this connection to become readable without a task:
   * `w._connReadable(conn)` is called once, from the socket's callback, when
   * bytes or the end of stream arrive or the socket closes, and no task is
   * reading. Returns false, registering nothing, if the connection is
   * readable already (a read would not wait). Reading starts if it was
   * paused. `_unwatch()` cancels; `close()` does too.
   */
  _watch(w: ConnWatcher): boolean {
    if (fifoLength(this) > 0 || this.error !== null || (this.flags & (ConnFlag.Eof | ConnFlag.Closed)) !== 0) return false;
    this.watcher = w;
    this.resumeReading();
    return true;
  }

  /** @internal Cancel `_watch`. */
  _unwatch(): void {
    this.watcher = null;
  }

  private notifyWatcher(): void {
    const w = this.watcher!;
    this.watcher = null;
    w._connReadable(this);
  }

  /** @internal Node's queue drained below the high-water mark. */
  _drained(): void {
    const list = this.writers;
    if (list === null) return;
    for (let n = list.shift(); n !== null; n = list.shift()) {
      const t = n as Task;
      t._sched.wake(t, undefined);
    }
  }

  /** @internal A parked reader is cancelled or timed out: it consumes nothing. */
  _abandonRead(task: Task): void {
    if (this.reader === task) {
      this.reader = null;
    }
  }

  private failWaiters(cause: Error | null): void {
    const r = this.reader;
    if (r !== null && r._wait === this.readWait) {
      this.reader = null;
      // An end of stream already seen wins over the close for a reader.
      if ((this.flags & ConnFlag.Eof) !== 0 && this.readMode !== ReadMode.Fill) r._sched.wake(r, null);
      else if ((this.flags & ConnFlag.Eof) !== 0) r._sched.wake(r, undefined);
      else r._sched.wakeThrow(r, this.failure("read", cause));
    }
    const list = this.writers;
    if (list !== null) {
      for (let n = list.shift(); n !== null; n = list.shift()) {
        const t = n as Task;
        t._sched.wakeThrow(t, this.failure("write", cause));
      }
    }
  }

  // ------------------------------------------------------------ helpers

  /** @internal */
  _failure(op: string): NetError {
    return this.failure(op);
  }

  private failure(op: string, cause: Error | null = this.error): NetError {
    if (cause !== null) return toNetError(cause, op, this.address);
    return new NetError(NetErrorCode.ECLOSED, op, this.address, "the socket is closed");
  }

  /** @internal The resume value of a read or write park, checked for its deadline. */
  _timedOut(op: string, write: boolean): NetError {
    const ms = write ? this.writeTimeout : this.readTimeout;
    const detail = write ? `the peer read nothing for ${ms} ms (the bytes stay queued)` : `no data for ${ms} ms`;
    return new NetError(NetErrorCode.ETIMEDOUT, op, this.address, detail);
  }

  private eofError(op: string, detail: string): NetError {
    return new NetError(NetErrorCode.EOF, op, this.address, detail);
  }

  /** @internal Throw if a read could never complete; null if it may wait. */
  _checkReadable(op: string): void {
    if (this.error !== null || (this.flags & ConnFlag.Closed) !== 0) throw this.failure(op);
    const r = this.reader;
    if (r !== null && r._wait === this.readWait) {
      throw new NetError(NetErrorCode.EBUSY, op, this.address, `task ${r.name} is already reading this connection`);
    }
  }

  /** @internal Register the current task as the reader and make sure the socket reads. */
  _parkReader(op: string, mode: number, max: number): Suspend {
    this._checkReadable(op);
    const me = currentTask(op);
    this.reader = me;
    this.readMode = mode;
    this.readMax = max;
    this.resumeReading();
    if (this.readTimeout > 0) me._sched.parkDeadline = me._sched.deadlineAfter(this.readTimeout);
    return this.readWait ?? (this.readWait = new ReadWait(this));
  }

  /** @internal Take `n` buffered bytes; resume reading if the buffer fell low. */
  takeBuffered(n: number): Uint8Array {
    const out = fifoTake(this, n);
    if (fifoLength(this) < READ_HIGH_WATER) this.resumeReading();
    return out;
  }

  /** @internal */
  _takeBufferedInto(dst: Uint8Array, at: number, max: number): number {
    const n = fifoTakeInto(this, dst, at, max);
    if (fifoLength(this) < READ_HIGH_WATER) this.resumeReading();
    return n;
  }

  /** @internal */
  get _eof(): boolean {
    return (this.flags & ConnFlag.Eof) !== 0;
  }

  private resumeReading(): void {
    if ((this.flags & (ConnFlag.Paused | ConnFlag.Closed | ConnFlag.Eof)) === ConnFlag.Paused) {
      this.flags &= ~ConnFlag.Paused;
      this.socket.resume();
    }
  }

  /** @internal */
  _write(data: Uint8Array | string | readonly (Uint8Array | string)[]): boolean {
    if (data instanceof Uint8Array) return this._writeFrom(data, data.length);
    this.checkWritable();
    if (this._gathered !== 0) flush();
    const s = this.socket;
    if (typeof data === "string") return s.write(data);
    if (data.length === 1) return this._write(data[0]!);
    s.cork();
    for (let i = 0; i < data.length; i++) s.write(data[i]!);
    s.uncork();
    return !s.writableNeedDrain;
  }

  /**
   * @internal Write `buf[0, n)` (`_write` of bytes is this with all of
   * them). The HTTP server passes its output buffer and its length, so a
   * gathered response needs no view of it. `buf` may be reused once
   * `_retainedLength` is 0: at once when the bytes were gathered (copied).
   */
  _writeFrom(buf: Uint8Array, n: number): boolean {
    this.checkWritable();
    const s = this.socket;
    // While the stream has nothing queued: straight to the handle where this
    // Node allows it (see direct-write.ts), and if small and written by a
    // task, at the end of its tick (see outbox.ts), on either path.
    if (s.writableLength === 0 && !s.connecting) {
      const h = writeHandle(s);
      if (h !== null || !directWrites) {
        if (n <= GATHER_MAX && n !== 0) {
          const t = peekCurrent();
          if (t !== null) {
            if (h !== null) refreshSocketTimer(s); // (the stream does it when it writes)
            if (gather(this, buf, n)) t._sched.atTickEnd(flush);
            return this._gathered + this._directQueued < s.writableHighWaterMark;
          }
        }
        if (h !== null) {
          refreshSocketTimer(s);
          if (this._gathered !== 0) flush();
          return this.writeDirect(h, n === buf.length ? buf : buf.subarray(0, n));
        }
      }
    }
    if (this._gathered !== 0) flush();
    return s.write(n === buf.length ? buf : buf.subarray(0, n));
  }

  private checkWritable(): void {
    const f = this.flags;
    if (this.error !== null || (f & ConnFlag.Closed) !== 0) throw this.failure("write");
    if ((f & ConnFlag.Ended) !== 0) throw new NetError(NetErrorCode.ECLOSED, "write", this.address, "write after end()");
  }

  /** @internal Write `arena[start, end)`, gathered by `_write` (see outbox.ts). True if node or libuv kept a reference to `arena`. */
  _sendGathered(arena: Buffer, start: number, end: number): boolean {
    this._gathered -= end - start;
    // Failed or aborted since: dropped, as every unsent byte is then.
    if (this.error !== null || (this.flags & ConnFlag.Closed) !== 0) return false;
    const s = this.socket;
    // The stream is still empty: bytes were gathered only while it was, and
    // whatever would write to it, or end it, flushes the outbox first.
    if (!directWrites) {
      if (s.destroyed) return false;
      // One write of the connection's run. The stream keeps the view only
      // while the write waits: if the kernel took it at once, nothing is queued.
      s.write(arena.subarray(start, end));
      const kept = s.writableLength !== 0;
      if (!kept && this.writers !== null && this._gathered === 0) this._drained();
      return kept;
    }
    const h = writeHandle(s);
    if (h === null) return false;
    const before = this._directQueued;
    try {
      this.writeDirect(h, arena.subarray(start, end));
    } catch {
      return false; // the socket failed; its error is recorded for the next operation
    }
    if (this.writers !== null && this._gathered === 0 && this._directQueued === 0) this._drained();
    return this._directQueued !== before;
  }

  /**
   * Write `b` through the handle. True if the caller may go on (the kernel
   * took it all, or what waits in libuv's queue is under the stream's
   * high-water mark), false if it should wait for the drain.
   */
  private writeDirect(h: WriteHandle, b: Uint8Array): boolean {
    const r = writeDirect(h, b, this);
    if (r === WROTE) return true;
    if (r !== QUEUED) {
      // The kernel refused it (the peer reset, the socket is gone).
      this.failSocket(r);
      throw this.failure("write");
    }
    this._directQueued += b.length;
    return this._directQueued < this.socket.writableHighWaterMark;
  }

  /** @internal A direct write that waited in libuv's queue is done (or failed, or was dropped by a destroy). */
  _directDone(bytes: number, status: number): void {
    this._directQueued -= bytes;
    if (status < 0) {
      if (!this.socket.destroyed) this.failSocket(status); // (a destroy drops what waits: ECANCELED, nothing to report)
      return;
    }
    if (this._directQueued === 0 && this._gathered === 0 && this.socket.writableLength === 0) this._drained();
  }

  /** A direct write failed with libuv error `errno`: the socket fails as node:net fails it when its stream's write does. */
  private failSocket(errno: number): void {
    const e = errnoError(errno, "write");
    this._errored(e);
    this.socket.destroy(e);
  }

  /** @internal */
  _parkWriter(): Suspend {
    const me = currentTask("write");
    let list = this.writers;
    if (list === null) {
      list = this.writers = new WaitList(() => `write on ${this.address} (waiting for the peer to read)`);
      list.external = true;
      // Listened to from the first wait on: 'drain' comes from a later callback, never
      // before this returns, and most connections never wait (one entry fewer in every
      // socket's listener table).
      this.socket.on("drain", onSocketDrain);
    }
    list.push(me);
    if (this.writeTimeout > 0) me._sched.parkDeadline = me._sched.deadlineAfter(this.writeTimeout);
    return list;
  }
}

Conn.prototype.readTimeout = 0;
Conn.prototype.writeTimeout = 0;
Conn.prototype._directQueued = 0;
Conn.prototype._gathered = 0;

// One listener function per event for every socket: `this` is the socket.
function onSocketData(this: ConnSocket, chunk: Buffer): void {
  if (!this[kConn]!._received(chunk, chunk.length)) this.pause();
}
function onSocketEnd(this: ConnSocket): void {
  this[kConn]!._ended();
}
function onSocketError(this: ConnSocket, e: Error): void {
  this[kConn]!._errored(e);
}
function onSocketClose(this: ConnSocket): void {
  this[kConn]!._closed();
}
function onSocketDrain(this: ConnSocket): void {
  this[kConn]!._drained();
}

/**
 * How every socket reads (see src/net/node/reads.ts): into the shared
 * buffer, each read handed to the socket's Conn.
 */
export const socketReadPaths: SocketReads = socketReads(sharedReadBuffer, (s, n) => {
  const c = (s as ConnSocket)[kConn];
  // Bytes may arrive before the Conn exists only in theory (we attach before
  // reading starts); drop nothing: keep them on the socket for the Conn to find.
  return c === undefined || c._received(sharedReadBuffer, n);
});

class ReadOp extends Op<Uint8Array | null> {
  constructor(
    private readonly conn: Conn,
    private readonly max: number,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, Uint8Array | null> {
    const c = this.conn;
    const have = c.bufferedLength;
    if (have > 0) return this.ok(c.takeBuffered(have < this.max ? have : this.max));
    if (c._eof) return this.ok(null);
    return this.wait(c._parkReader("read", ReadMode.Copy, this.max));
  }
  protected clone(): Op<Uint8Array | null> {
    return new ReadOp(this.conn, this.max);
  }
  protected override resumed(v: unknown): Uint8Array | null {
    if (v === TIMED_OUT) throw this.conn._timedOut("read", false);
    return v as Uint8Array | null;
  }
}

class ReadIntoOp extends Op<number | null> {
  constructor(
    private readonly conn: Conn,
    private readonly dst: Uint8Array,
    private readonly at: number,
    private readonly max: number,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, number | null> {
    const c = this.conn;
    if (c.bufferedLength > 0) return this.ok(c._takeBufferedInto(this.dst, this.at, this.max));
    if (c._eof) return this.ok(null);
    return this.wait(c._parkReader("readInto", ReadMode.Into, this.max));
  }
  protected clone(): Op<number | null> {
    return new ReadIntoOp(this.conn, this.dst, this.at, this.max);
  }
  protected override resumed(v: unknown): number | null {
    const c = this.conn;
    if (v === TIMED_OUT) throw c._timedOut("readInto", false);
    if (v !== INTO_READY) return v as number | null; // null: end of stream
    if (c.bufferedLength === 0) {
      // Closed between the wake and now (close() drops the buffer).
      if (c._eof) return null;
      throw c._failure("readInto");
    }
    if (this.dst.byteLength < this.at + 1) {
      throw new RangeError(
        `readInto from ${c.address}: the target buffer was detached while waiting (did a WebAssembly memory grow?); the bytes are kept for the next read`,
      );
    }
    return c._takeBufferedInto(this.dst, this.at, this.max);
  }
}

/** Park until `want` bytes are buffered or the stream ends (the bytes stay in the buffer). */
class FillOp extends Op<void> {
  constructor(
    private readonly conn: Conn,
    private readonly want: number,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    const c = this.conn;
    if (c.bufferedLength >= this.want || c._eof) return this.ok(undefined);
    return this.wait(c._parkReader("read", ReadMode.Fill, this.want));
  }
  protected clone(): Op<void> {
    return new FillOp(this.conn, this.want);
  }
  protected override resumed(v: unknown): void {
    if (v === TIMED_OUT) throw this.conn._timedOut("read", false);
  }
}

class WriteOp extends Op<void> {
  constructor(
    private readonly conn: Conn,
    private readonly data: Uint8Array | string | readonly (Uint8Array | string)[],
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    if (this.conn._write(this.data)) return this.ok(undefined);
    return this.wait(this.conn._parkWriter());
  }
  protected clone(): Op<void> {
    return new WriteOp(this.conn, this.data);
  }
  protected override resumed(v: unknown): void {
    if (v === TIMED_OUT) throw this.conn._timedOut("write", true);
  }
}

