/**
 * Small reaches into a node:net Socket that the direct paths and the
 * listener need: the socket's inactivity timer, its peer address read from
 * the handle, and the Error node:net makes of a libuv error number.
 */
import type { Socket } from "node:net";
import { getSystemErrorName } from "node:util";

type TimedSocket = { _unrefTimer(): void; _parent: unknown } & Record<symbol, unknown>;
/** node:net's symbol for the timer of `socket.setTimeout` (null on the socket when none is set); null if not found. */
let kTimeout: symbol | null | undefined;

/**
 * What node:net does on every read and write of its own: push back the
 * inactivity timer of `socket.setTimeout`, if one is set. The direct paths
 * call it so that a socket times out as it would without them.
 */
export function refreshSocketTimer(socket: Socket): void {
  const s = socket as unknown as TimedSocket;
  if (kTimeout === undefined) kTimeout = Object.getOwnPropertySymbols(s).find((k) => k.description === "timeout") ?? null;
  // (Not found: refresh every time, which is what node does.)
  if (kTimeout === null || s[kTimeout] != null || s._parent != null) s._unrefTimer();
}

/** Where {@link readPeerAddress} puts what it found. */
export interface PeerAddress {
  address?: string;
  port?: number;
}

/**
 * Fill `out` with the peer of an accepted socket, through its handle as
 * node:net's own `remoteAddress` does, without the object node:net would
 * then keep on the socket. Fallback: the public `remoteAddress` and
 * `remotePort` (which keep that object). Both fields undefined if the peer
 * is gone already.
 */
export function readPeerAddress(socket: Socket, out: PeerAddress): void {
  const h = (socket as unknown as { _handle?: { getpeername?: (out: object) => number } })._handle;
  out.address = undefined;
  out.port = undefined;
  if (h != null && typeof h.getpeername === "function") {
    if (h.getpeername(out) !== 0) {
      out.address = undefined;
      out.port = undefined;
    }
  } else {
    out.address = socket.remoteAddress;
    out.port = socket.remotePort;
  }
}

/** A libuv error number as the Error node:net would give for it (`read ECONNRESET`, with `errno`, `code` and `syscall`). */
export function errnoError(errno: number, syscall: string): Error {
  let code: string;
  try {
    code = getSystemErrorName(errno);
  } catch {
    code = `E${-errno}`;
  }
  return Object.assign(new Error(`${syscall} ${code}`), { errno, code, syscall });
}
