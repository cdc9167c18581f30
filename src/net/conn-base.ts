/**
 * The state of one connection, shared by its read side (conn-read.ts), its
 * write side (conn-write.ts) and its socket events and closing
 * (conn-events.ts): the fields and their flag bits, the link from a socket
 * to its Conn, and the errors operations throw. Conn (conn.ts) is the one
 * class made from it. The sides are functions of this state, not objects of
 * their own, so that a connection stays one object (10,000 idle
 * connections are 10,000 objects) and every call site sees one class.
 */
import type { Socket } from "node:net";
import type { Suspend, WaitList } from "../runtime/suspend.js";
import type { Ownership } from "../runtime/kernel.js";
import type { Task } from "../runtime/task.js";
import { NetError, NetErrorCode, formatAddress, toNetError } from "./errors.js";

/** Bits of `ConnBase.flags`. */
export const ConnFlag = {
  /** The peer ended its side (FIN): reads return what is buffered, then null. */
  Eof: 1,
  /** The socket is closed (`close()`, an error, or both sides done). */
  Closed: 2,
  /** We stopped reading (libuv readStop, or never started): resume on the next read. */
  Paused: 4,
  /** `end()` was called: no more writes. */
  Ended: 8,
} as const;

/** What the parked reader wants (`ConnBase.readMode`). */
export const ReadMode = {
  /** `read(max)`: up to `readMax` bytes as a new Uint8Array. */
  Copy: 0,
  /** `readInto(dst)`: buffer what arrives, wake; the op copies into its target when the task resumes. */
  Into: 1,
  /** `readExactly`/`readUntil`/`waitReadable`: wake once `readMax` bytes are buffered, leave them there. */
  Fill: 2,
} as const;

/** The socket's property that holds its Conn (a property, so that one listener function serves every socket). */
export const kConn = Symbol("tasklet.conn");
export type ConnSocket = Socket & { [kConn]?: ConnBase };

/**
 * Not part of the public API. Told once that a connection nobody reads has
 * become readable (see conn-watch.ts). The HTTP server's idle keep-alive
 * connections wait this way instead of in a parked task.
 */
export interface ConnWatcher {
  _connReadable(conn: ConnBase): void;
}

/** The fields of a connection; see Conn for what they mean to a user. */
export class ConnBase {
  /** @internal */ readonly socket: Socket;
  /** @internal ConnFlag bits. */ flags: number;
  /** @internal Received bytes nobody has read yet (a ByteFifo, see read-buffer.ts). */ _rbBlock: Uint8Array | null = null;
  /** @internal */ _rbStart = 0;
  /** @internal */ _rbEnd = 0;
  /** @internal The socket's error, if any (delivered to every later operation). */ error: Error | null = null;
  /** @internal The parked reader, or null. */ reader: Task | null = null;
  /** @internal A ReadMode. */ readMode: number = ReadMode.Copy;
  /** @internal Bytes the parked reader wants (at most, or at least for Fill). */ readMax = 0;
  /** @internal Where a parked reader waits: one per connection, made on the first park. */ readWait: Suspend | null = null;
  /** @internal Told once when bytes, end of stream or an error arrive while no task reads. */ watcher: ConnWatcher | null = null;
  /** @internal Tasks parked in `write` until the queue drains. */ writers: WaitList | null = null;
  /**
   * @internal The peer's host and port for error messages, given when the
   * connection is made: Node forgets them once the socket is reset or
   * destroyed (the listener reads them at accept).
   */
  peerHost: string | undefined;
  /** @internal */ peerPort: number | undefined;
  /** @internal The hold of the task that owns it (connect(), a listen() listener's accept), released when it closes; null if none. */ _owner: Ownership | null = null;
  // The four below default to 0 on the prototype: a connection that never
  // sets them carries no field for them.
  /** @internal Inactivity limit of a read wait in ms, 0 for none (public on Conn). */ declare readTimeout: number;
  /** @internal Limit of a write's wait for the peer to read in ms, 0 for none (public on Conn). */ declare writeTimeout: number;
  /** @internal Bytes of direct writes (src/net/node/direct-write.ts) waiting in libuv's queue. */ declare _directQueued: number;
  /** @internal Bytes gathered in the outbox (outbox.ts), written at the end of the tick. */ declare _gathered: number;

  /** @internal */
  constructor(socket: Socket, paused: boolean, host: string | undefined, port: number | undefined) {
    this.socket = socket;
    this.peerHost = host;
    this.peerPort = port;
    this.flags = paused ? ConnFlag.Paused : 0;
    (socket as ConnSocket)[kConn] = this;
  }

  /** `host:port` of the peer, as used in error messages (`?:?` if it was never known). */
  get address(): string {
    return formatAddress(this.peerHost ?? this.socket.remoteAddress, this.peerPort ?? this.socket.remotePort);
  }

  // The write side's entry points that other modules call on every write:
  // its functions themselves (conn-write.ts), put on Conn's prototype by conn.ts.
  /** @internal `write` of `buf[0, n)` without waiting; false: park until the queue drains. */
  declare _writeFrom: (this: ConnBase, buf: Uint8Array, n: number) => boolean;
  /** @internal Write `arena[start, end)`, gathered earlier (outbox.ts); true if node or libuv kept a reference to the arena. */
  declare _sendGathered: (this: ConnBase, arena: Buffer, start: number, end: number) => boolean;
  /** @internal A direct write that waited in libuv's queue is done (src/net/node/direct-write.ts). */
  declare _directDone: (this: ConnBase, bytes: number, status: number) => void;
}

ConnBase.prototype.readTimeout = 0;
ConnBase.prototype.writeTimeout = 0;
ConnBase.prototype._directQueued = 0;
ConnBase.prototype._gathered = 0;

/** Whether the socket failed or was closed: no operation can wait on it. */
export function isBroken(c: ConnBase): boolean {
  return c.error !== null || (c.flags & ConnFlag.Closed) !== 0;
}

/** Keep the socket's first error for every later operation. */
export function recordError(c: ConnBase, e: Error): void {
  if (c.error === null) c.error = e;
}

/** The error of `op` on a broken connection: its socket's error, else `ECLOSED`. */
export function failure(c: ConnBase, op: string, cause: Error | null = c.error): NetError {
  if (cause !== null) return toNetError(cause, op, c.address);
  return new NetError(NetErrorCode.ECLOSED, op, c.address, "the socket is closed");
}

/** The error of a read or write park whose deadline (`readTimeout`/`writeTimeout`) passed. */
export function timedOut(c: ConnBase, op: string, write: boolean): NetError {
  const ms = write ? c.writeTimeout : c.readTimeout;
  const detail = write ? `the peer read nothing for ${ms} ms (the bytes stay queued)` : `no data for ${ms} ms`;
  return new NetError(NetErrorCode.ETIMEDOUT, op, c.address, detail);
}

/** Start reading again if we had stopped (and the stream is still open). */
export function resumeReading(c: ConnBase): void {
  if ((c.flags & (ConnFlag.Paused | ConnFlag.Closed | ConnFlag.Eof)) === ConnFlag.Paused) {
    c.flags &= ~ConnFlag.Paused;
    c.socket.resume();
  }
}
