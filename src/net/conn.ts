/**
 * Conn, the connection users see: its public operations and properties,
 * each a few lines that call the side doing the work. The work is done by
 * the read side (conn-read.ts), the write side (conn-write.ts), the socket
 * events and closing (conn-events.ts) and the watch hook (conn-watch.ts),
 * all on the state in conn-base.ts.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import { describeValue } from "../config/options.js";
import { currentTask } from "../runtime/current.js";
import { setOwner } from "../runtime/kernel.js";
import type { Task } from "../runtime/task.js";
import { STREAM, type Stream } from "../runtime/stream.js";
import type { Suspend } from "../runtime/suspend.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { ConnBase, ConnFlag, type ConnWatcher as Watcher } from "./conn-base.js";
import { CLOSE_LINGER_MS, abort, attachSocket, close } from "./conn-events.js";
import { type ConnStreamOptions, connChunks, connDuplex, connStream, socketOf } from "./conn-stream.js";
import { DEFAULT_READ_MAX, READ_HIGH_WATER, ReadIntoOp, ReadOp, readExactly, readUntil, takeBuffered, waitReadable } from "./conn-read.js";
import { unwatch, watch } from "./conn-watch.js";
import { WriteOp, type WriteData, directDone, end, parkWriter, retainedLength, sendGathered, writableLength, write, writeFrom } from "./conn-write.js";
import { fifoLength } from "./read-buffer.js";

export { CLOSE_LINGER_MS, READ_HIGH_WATER, type ConnStreamOptions };

/** Not part of the public API: see conn-watch.ts. */
export type ConnWatcher = Watcher;

/** An Operation whose every iteration runs `gen()` afresh (a stored operation can be reused, as a generator object cannot). */
function operation<T>(gen: () => Generator<Instruction, T, unknown>): Operation<T> {
  return { [Symbol.iterator]: gen };
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
 * **Streams.** `for await (const chunk of conn)` reads from plain async
 * code, `for (const chunk of yield* each(conn))` from a task (each chunk a
 * new Uint8Array); `conn.stream()` is a Node Duplex over the connection,
 * and `Conn.from(duplex)` makes a Conn of any Duplex.
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
export class Conn extends ConnBase {
  /** The node:net socket. Use it for options (`setKeepAlive`...), not for reading or writing. */
  declare readonly socket: Socket;
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

  /**
   * @internal Attach to a socket: an accepted one (paused, reading into the
   * shared buffer or not) or a connecting one. `host` and `port` name the
   * peer in error messages (undefined: ask the socket when needed, which
   * fails once it is reset).
   */
  constructor(socket: Socket, paused: boolean, sharedBuffer: boolean, host?: string, port?: number) {
    super(socket, paused, host, port);
    attachSocket(this, sharedBuffer);
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

  /**
   * On a TLS connection (from a `tls` listener or server, or
   * `connect({ tls })`), node's TLSSocket, for what the handshake settled:
   * `alpnProtocol`, `servername`, `getPeerCertificate()`,
   * `getProtocol()`... Read it, do not read or write through it. Null on a
   * plain connection.
   *
   * @example
   * if (conn.tls !== null) console.log(conn.tls.alpnProtocol, conn.tls.getProtocol());
   */
  get tls(): TLSSocket | null {
    const d = (this.socket as unknown as { duplex?: { encrypted?: unknown } }).duplex;
    return d !== undefined && d.encrypted === true ? (d as TLSSocket) : null;
  }

  /** Bytes received and not read yet. */
  get bufferedLength(): number {
    return fifoLength(this);
  }

  /** Bytes written and not yet handed to the kernel (gathered for the end of the tick, in Node's queue or in libuv's). */
  get writableLength(): number {
    return writableLength(this);
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
  read(max = DEFAULT_READ_MAX): Operation<Uint8Array | null> {
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
    return operation(() => waitReadable(this));
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
    return operation(() => readExactly(this, n));
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
    return operation(() => readUntil(this, needle, maxBytes));
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
  write(data: WriteData): Operation<void> {
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
    end(this);
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
    close(this);
  }

  /**
   * Abort: reset the connection (RST) and drop every unsent byte. Parked
   * tasks are woken with `NetError` `ECLOSED`; the peer sees `ECONNRESET`.
   *
   * @example
   * if (tooSlow) conn.abort();
   */
  abort(): void {
    abort(this);
  }

  /**
   * Give the connection to another task: it is closed when `owner` ends
   * (returns, throws or is cancelled) instead of when the task that opened
   * it does. Without an argument, the task calling takes it; `null`: no task
   * owns it, close it yourself. A connection from `connect()` is owned by
   * the task that connected, one from the `accept()` of a `listen()`
   * listener by the task that accepted; those of `serve`/`serveTcp` and
   * `Conn.from` by no task (the server closes its own). To hand a connection
   * to a longer-lived task (a pool, a worker fed by a Channel), transfer it
   * before handing it over: its opener may end before the receiver runs. If
   * `owner` has ended already, the connection is closed at once. Does
   * nothing on a closed connection.
   *
   * @example
   * conn.transfer(worker); // closed when `worker` ends, not when this task does
   */
  transfer(owner?: Task | null): void {
    const to = owner === undefined ? currentTask("conn.transfer") : owner;
    if (this.closed) return;
    this._owner = setOwner(this._owner, this, to);
  }

  override toString(): string {
    return `Conn(${this.address})`;
  }

  // ------------------------------------------------------------- streams

  /**
   * A Conn over any Node Duplex: a `tls.TLSSocket`, one end of a
   * `PassThrough` pair, a library's stream. A plain `net.Socket` is used as
   * it is (the fast paths apply); any other Duplex through a stand-in that
   * speaks only its public API, so `conn.socket` is then that stand-in (its
   * `duplex` field is the stream). Reading starts at once: received bytes
   * wait in the Conn (bounded, as for a socket) until read. Closing the
   * Conn destroys the Duplex.
   *
   * @example
   * const c = Conn.from(duplex); // e.g. tls.connect(...), one end of a PassThrough pair
   * yield* c.write("hello");
   */
  static from(duplex: Duplex): Conn {
    return new Conn(socketOf(duplex), false, false);
  }

  /**
   * A Node Duplex over the connection, for `stream.pipeline` and libraries
   * that take a socket. Reading it reads the Conn (only as fast as the
   * stream is consumed: bytes beyond its `readableHighWaterMark` wait in the
   * Conn, whose socket then stops reading); each write goes through
   * `conn.write` and its callback comes once the Conn's queue is below its
   * high-water mark, so a peer that does not read stops the writer.
   * `end()` half-closes (FIN after every byte written; reading goes on),
   * `destroy()` closes the Conn. Do not read the Conn from a task while the
   * stream reads it.
   *
   * @example
   * const socketLike = conn.stream(); // pass it to stream.pipeline or a library
   * socketLike.end("bye\n");
   */
  stream(options?: ConnStreamOptions): Duplex {
    return connDuplex(this, options);
  }

  /**
   * Read from plain async code: `for await (const chunk of conn)` gives
   * each chunk received (a new Uint8Array, at most 64 KiB) until the end of
   * stream; a `break` stops reading and leaves the connection open.
   *
   * @example
   * for await (const chunk of conn) console.log(chunk.length);
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array, undefined, undefined> {
    return connChunks(this);
  }

  /**
   * The reads as a {@link Stream} for tasks (what `each(conn)` uses): each
   * `next()` is a `read()`, `{ done: true }` at the end of stream.
   *
   * @example
   * for (const chunk of yield* each(conn)) { yield* conn.write(chunk); yield* each.next(); }
   */
  [STREAM](): Stream<Uint8Array> {
    return connStream(this);
  }

  // ------------------------------------ internal: for src/http and the sides

  /**
   * @internal Bytes written whose buffers Node or libuv still hold: a
   * buffer written once this is 0 may be reused. Gathered bytes are copies,
   * so they do not count.
   */
  get _retainedLength(): number {
    return retainedLength(this);
  }

  /** @internal Take `n` (<= bufferedLength) buffered bytes without waiting. */
  takeBuffered(n: number): Uint8Array {
    return takeBuffered(this, n);
  }

  /** @internal Queue `data` without waiting; false: park with `_parkWriter()` until the queue drains. */
  _write(data: WriteData): boolean {
    return write(this, data);
  }

  /** @internal Park the current task until the write queue drains. */
  _parkWriter(): Suspend {
    return parkWriter(this);
  }

  /** @internal See conn-watch.ts. */
  _watch(w: ConnWatcher): boolean {
    return watch(this, w);
  }

  /** @internal Cancel `_watch`. */
  _unwatch(): void {
    unwatch(this);
  }
}

// The write side's entry points that the HTTP server, the outbox and the
// fence call on every write are its functions themselves: a method that
// forwarded to one would be one more function for V8 to compile while a
// server warms up.
Conn.prototype._writeFrom = writeFrom;
Conn.prototype._sendGathered = sendGathered;
Conn.prototype._directDone = directDone;
