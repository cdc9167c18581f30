/**
 * A Conn seen from outside tasklet's tasks: its reads as an async iterator
 * (`for await (const chunk of conn)`) and as a task-side Stream (`each`),
 * the whole connection as a Node Duplex (`conn.stream()`, for
 * `stream.pipeline` and libraries that take a socket), and the socket a
 * Conn is made over by `Conn.from(duplex)`.
 *
 * Plain code cannot park: it reads with the watch hook (conn-watch.ts),
 * told once when bytes, the end of stream or an error arrive, then takes
 * the buffered bytes, each chunk a new Buffer (never a view of the shared
 * read buffer or of a pooled block). It writes through the Conn's write
 * side, and waits for the drain with a Waiter in the writers' list.
 */
import type net from "node:net";
import { Duplex } from "node:stream";
import { describeValue } from "../config/options.js";
import { STREAM_DONE, type Stream } from "../runtime/stream.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { Waiter } from "../runtime/waiter.js";
import { type ConnBase, ConnFlag, type ConnWatcher, failure, isBroken } from "./conn-base.js";
import { close } from "./conn-events.js";
import { DEFAULT_READ_MAX, ReadOp, takeBuffered } from "./conn-read.js";
import { unwatch, watch } from "./conn-watch.js";
import { end, waitDrain, write } from "./conn-write.js";
import { NetError, NetErrorCode } from "./errors.js";
import { connSocket } from "./node/index.js";
import { fifoLength } from "./read-buffer.js";

// ------------------------------------------------------ reads from plain code

/**
 * Reads of one Conn from plain code: one at a time, each waiting on the
 * watch hook. A local `close()` tells no watcher, so it also listens to
 * the socket's 'close' while it waits.
 */
class OutsideReader implements ConnWatcher {
  private wake: (() => void) | null = null;
  private readonly onClose = (): void => this._connReadable();

  constructor(private readonly conn: ConnBase) {}

  _connReadable(): void {
    const w = this.wake;
    if (w === null) return;
    this.wake = null;
    this.conn.socket.removeListener("close", this.onClose);
    w();
  }

  /** Up to `max` bytes as a new Buffer, or null at the end of stream. */
  async read(max: number): Promise<Uint8Array | null> {
    const c = this.conn;
    for (;;) {
      const have = fifoLength(c);
      if (have > 0) return takeBuffered(c, have < max ? have : max);
      if ((c.flags & ConnFlag.Eof) !== 0) return null;
      if (isBroken(c)) throw failure(c, "read");
      if (this.wake !== null) throw new NetError(NetErrorCode.EBUSY, "read", c.address, "a read from outside the tasks is already waiting");
      if (c.reader !== null && c.reader._wait === c.readWait) {
        throw new NetError(NetErrorCode.EBUSY, "read", c.address, `task ${c.reader.name} is already reading this connection`);
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        c.socket.once("close", this.onClose);
        if (!watch(c, this)) this._connReadable(); // readable already
      });
    }
  }

  /** Stop waiting (the waiting read sees the state as it is: usually it returns null or throws ECLOSED). */
  cancel(): void {
    if (this.wake === null) return;
    if (this.conn.watcher === this) unwatch(this.conn);
    this._connReadable();
  }
}

/** `conn[Symbol.asyncIterator]()`: each chunk read, until the end of stream. */
export function connChunks(c: ConnBase): AsyncIterableIterator<Uint8Array, undefined, undefined> {
  const reader = new OutsideReader(c);
  let open = true;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<Uint8Array, undefined>> {
      if (!open) return STREAM_DONE;
      let b: Uint8Array | null;
      try {
        b = await reader.read(DEFAULT_READ_MAX);
      } catch (e) {
        open = false;
        throw e;
      }
      if (b === null || !open) {
        open = false;
        return STREAM_DONE;
      }
      return { done: false, value: b };
    },
    async return(): Promise<IteratorResult<Uint8Array, undefined>> {
      // A break stops reading; the connection stays open (close it yourself).
      open = false;
      reader.cancel();
      return STREAM_DONE;
    },
  };
}

/** `conn[STREAM]()`: `conn.read()` as a Stream for tasks; the end of stream ends it. */
export function connStream(c: ConnBase): Stream<Uint8Array> {
  return {
    next(): Operation<IteratorResult<Uint8Array, undefined>> {
      return {
        *[Symbol.iterator](): Generator<Instruction, IteratorResult<Uint8Array, undefined>, unknown> {
          const b = yield* new ReadOp(c, DEFAULT_READ_MAX);
          return b === null ? STREAM_DONE : { done: false, value: b };
        },
      };
    },
  };
}

// ------------------------------------------------------ the Duplex

/** A plain-code write waiting for the Conn's queue to drain: calls the stream's write callback. */
class DrainWaiter extends Waiter {
  constructor(private readonly cb: (error?: Error | null) => void) {
    super();
  }
  fire(ok: boolean, value: unknown): void {
    if (ok) this.cb();
    else this.cb(value as Error);
  }
}

/**
 * Options of `conn.stream()`.
 *
 * @example
 * const s = conn.stream({ readableHighWaterMark: 16 * 1024 });
 */
export interface ConnStreamOptions {
  /** Bytes the Duplex buffers on its readable side before it stops reading the Conn (default 64 KiB). */
  readableHighWaterMark?: number;
  /** Bytes the Duplex buffers on its writable side before `write()` returns false (default 16 KiB). */
  writableHighWaterMark?: number;
}

/** `conn.stream()`: see Conn. */
class ConnDuplex extends Duplex {
  private readonly reader: OutsideReader;
  private reading = false;
  private drainWait: DrainWaiter | null = null;

  constructor(
    private readonly conn: ConnBase,
    options: ConnStreamOptions,
  ) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: options.readableHighWaterMark ?? 64 * 1024,
      writableHighWaterMark: options.writableHighWaterMark ?? 16 * 1024,
    });
    this.reader = new OutsideReader(conn);
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    void this.pull();
  }

  /** Push chunks until the readable side is full (push returns false), the stream ends or fails. */
  private async pull(): Promise<void> {
    try {
      for (;;) {
        const b = await this.reader.read(DEFAULT_READ_MAX);
        if (this.destroyed) return;
        if (b === null) {
          this.push(null);
          return;
        }
        if (!this.push(b)) return;
      }
    } catch (e) {
      if (!this.destroyed) this.destroy(e as Error);
    } finally {
      this.reading = false;
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.send(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (error?: Error | null) => void): void {
    this.send(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  /** Hand `data` to the Conn; call back at once, or when its queue has drained below the high-water mark. */
  private send(data: Buffer | Buffer[], cb: (error?: Error | null) => void): void {
    let goOn: boolean;
    try {
      goOn = write(this.conn, data);
    } catch (e) {
      cb(e as Error);
      return;
    }
    if (goOn) cb();
    else {
      this.drainWait = new DrainWaiter((e) => {
        this.drainWait = null;
        cb(e);
      });
      waitDrain(this.conn, this.drainWait);
    }
  }

  override _final(cb: (error?: Error | null) => void): void {
    // Half-close: FIN after every byte written; reading goes on until the peer ends.
    try {
      end(this.conn);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    const w = this.drainWait;
    if (w !== null) {
      this.drainWait = null;
      const list = this.conn.writers;
      if (list !== null && list.holds(w)) list.remove(w);
    }
    this.reader.cancel();
    close(this.conn);
    cb(error);
  }
}

/** A Node Duplex over `c`: see `Conn.stream()`. */
export function connDuplex(c: ConnBase, options: ConnStreamOptions = {}): Duplex {
  return new ConnDuplex(c, options);
}

// ------------------------------------------------------ Conn.from

/** What `Conn.from(duplex)` makes its Conn over: a plain node:net Socket as it is (its fast paths apply), else a stand-in. */
export function socketOf(duplex: Duplex): net.Socket {
  if (!(duplex instanceof Duplex)) {
    throw new TypeError(`Conn.from() takes a Duplex stream (a net.Socket, a TLSSocket, a PassThrough...), got ${describeValue(duplex)}`);
  }
  if (duplex.destroyed) throw new TypeError("Conn.from(): the stream is destroyed already");
  return connSocket(duplex);
}
