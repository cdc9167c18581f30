/**
 * A connection's socket events and its closing: the listeners that turn
 * node:net's 'data', 'end', 'error' and 'close' into the state of the read
 * and write sides, and `close()`/`abort()`, which wake every parked task
 * with `ECLOSED` and let queued bytes drain for at most CLOSE_LINGER_MS.
 */
import type { Socket } from "node:net";
import { release } from "../runtime/kernel.js";
import { type ConnBase, ConnFlag, type ConnSocket, kConn, recordError } from "./conn-base.js";
import { ended, failReader, received } from "./conn-read.js";
import { notifyWatcher } from "./conn-watch.js";
import { failWriters, writableLength } from "./conn-write.js";
import { flush } from "./outbox.js";
import { fifoClear } from "./read-buffer.js";

/** How long `close()` lets queued bytes drain to a peer that does not read before destroying the socket. */
export const CLOSE_LINGER_MS = 2000;

// One listener function per event for every socket: `this` is the socket.
function onSocketData(this: ConnSocket, chunk: Buffer): void {
  if (!received(this[kConn]!, chunk, chunk.length)) this.pause();
}
function onSocketEnd(this: ConnSocket): void {
  ended(this[kConn]!);
}
function onSocketError(this: ConnSocket, e: Error): void {
  recordError(this[kConn]!, e);
}
function onSocketClose(this: ConnSocket): void {
  closed(this[kConn]!);
}
function destroyThis(this: Socket): void {
  this.destroy();
}
function destroySocket(s: Socket): void {
  s.destroy();
}

/**
 * Listen to the socket's events. `sharedBuffer`: its reads arrive through
 * the shared buffer (src/net/node/reads.ts), else through 'data' events.
 */
export function attachSocket(c: ConnBase, sharedBuffer: boolean): void {
  const s = c.socket;
  s.on("end", onSocketEnd);
  s.on("error", onSocketError);
  s.on("close", onSocketClose);
  if (!sharedBuffer) s.on("data", onSocketData);
}

/** The socket is gone: wake everyone still parked. */
function closed(c: ConnBase): void {
  c.flags |= ConnFlag.Closed;
  if (c._owner !== null) disown(c);
  failWaiters(c, c.error);
  if (c.watcher !== null) notifyWatcher(c);
}

function failWaiters(c: ConnBase, cause: Error | null): void {
  failReader(c, cause);
  failWriters(c, cause);
}

/** `conn.close()`: see Conn. */
export function close(c: ConnBase): void {
  if ((c.flags & ConnFlag.Closed) !== 0) return;
  if (c._gathered !== 0) flush(); // then they count as queued below
  c.flags |= ConnFlag.Closed;
  if (c._owner !== null) disown(c);
  c.watcher = null;
  fifoClear(c);
  const s = c.socket;
  if (writableLength(c) === 0 || s.destroyed) s.destroy();
  else {
    if (!s.writableEnded) s.end();
    s.once("finish", destroyThis);
    setTimeout(destroySocket, CLOSE_LINGER_MS, s).unref();
  }
  failWaiters(c, null);
}

/** `conn.abort()`: see Conn. */
export function abort(c: ConnBase): void {
  if ((c.flags & ConnFlag.Closed) !== 0 && c.socket.destroyed) return;
  c.flags |= ConnFlag.Closed;
  if (c._owner !== null) disown(c);
  c.watcher = null;
  fifoClear(c);
  const s = c.socket;
  if (!s.destroyed) {
    if (typeof s.resetAndDestroy === "function" && !s.connecting) s.resetAndDestroy();
    else s.destroy();
  }
  failWaiters(c, null);
}

/** The connection is closed: the task that owned it has nothing left to close. */
function disown(c: ConnBase): void {
  const h = c._owner!;
  c._owner = null;
  release(h);
}
