/**
 * Where a socket's reads go. Two internal paths, each with its check and
 * its public fallback:
 *
 * 1. **One shared buffer** (`TASKLET_NET_READ=data` turns it off). Every
 *    socket reads into one buffer the caller owns, through node:net's
 *    `onread: { buffer, callback }` mode, so Node allocates no Buffer per
 *    read. That mode is public for `net.connect`; an accepted socket gets it
 *    by the steps node's Socket constructor takes (`handle.useUserBuffer`,
 *    the `kBuffer` and `kBufferCb` fields, found by their descriptions).
 *    Fallback: where an accepted socket does not look like that, it keeps
 *    node:net's 'data' events (a Buffer per read).
 *
 * 2. **Reads straight from the handle** (`TASKLET_NET_READ=stream` turns it
 *    off). Node's C++ calls the handle's `onread` once per read; node:net's
 *    `onStreamRead` there is replaced, for shared-buffer sockets, by one that
 *    hands the bytes to the sink and does little else: no `socket.destroyed`
 *    getter, no symbol-keyed loads of the buffer and callback. Like node's,
 *    it pushes back the socket's `setTimeout` timer. Only reads of n > 0
 *    bytes are taken: the end of stream and errors (n < 0) go to node's own
 *    function, which turns them into 'end' and 'error' as before (the
 *    number it reads is still in `streamBaseState`). Needs the binding
 *    (binding.ts) and the handle's `owner_symbol` property (its socket).
 *    Fallback: node's `onStreamRead`, which calls the same sink through the
 *    `onread` callback.
 */
import net from "node:net";
import type { Socket } from "node:net";
import { ENV } from "../../config/env.js";
import { streamBinding } from "./binding.js";
import { errnoError, refreshSocketTimer } from "./socket.js";

/** Where the bytes of one read go: `n` bytes at the start of the shared buffer. False stops reading (the socket pauses until resumed). */
export type ReadSink = (socket: Socket, n: number) => boolean;

/** How sockets read, for one shared buffer and one sink (see {@link socketReads}). */
export interface SocketReads {
  /** Sockets read into the shared buffer (else through 'data' events). */
  readonly shared: boolean;
  /** Their reads are taken straight from the handle (else node's `onStreamRead` calls the sink). */
  readonly direct: boolean;
  /** `net.connect(options)`, the socket reading into the shared buffer when `shared`. Returns the socket and whether it does. */
  connect(options: net.TcpNetConnectOpts): { socket: Socket; shared: boolean };
  /** Switch an accepted socket that is not reading yet (`pauseOnConnect`) to the shared buffer; false: it reads through 'data' events. */
  adopt(socket: Socket): boolean;
}

/** The part of a socket's `_handle` the read paths use. */
interface ReadHandle {
  onread: (this: ReadHandle, ab: ArrayBuffer | undefined) => unknown;
  reading: boolean;
  readStop(): number;
  useUserBuffer?: (b: Uint8Array) => void;
  [key: symbol]: unknown;
}

function handleOf(socket: Socket): ReadHandle | null | undefined {
  return (socket as unknown as { _handle: ReadHandle | null | undefined })._handle;
}

/** Sockets read into one shared buffer in this process. */
export const sharedReads: boolean = ENV.netRead !== "data";
/** Reads of shared-buffer sockets are taken straight from the handle in this process. */
export const directReadsOn: boolean = sharedReads && ENV.netRead !== "stream" && streamBinding !== null;

/** node's symbols for an `onread` socket's buffer and callback, found on the first accepted socket; null if this Node has none. */
let userBufferKeys: { buffer: symbol; callback: symbol } | null | undefined;

/**
 * The read paths for sockets that read into `buffer` and hand each read to
 * `sink`. One per process in practice (src/net/read-side.ts makes it).
 */
export function socketReads(buffer: Uint8Array, sink: ReadSink): SocketReads {
  const shared = sharedReads;
  const takeDirect = directReadsOn ? directReads(sink) : null;

  // The onread callback: node:net calls it with the socket as `this`, and the bytes in `buffer`.
  function callback(this: Socket, n: number): boolean {
    return sink(this, n);
  }
  const onread = { buffer, callback };

  function adopt(socket: Socket): boolean {
    if (!shared) return false;
    if (userBufferKeys === undefined) {
      const syms = Object.getOwnPropertySymbols(socket);
      const b = syms.find((s) => s.description === "kBuffer");
      const c = syms.find((s) => s.description === "kBufferCb");
      userBufferKeys = b !== undefined && c !== undefined ? { buffer: b, callback: c } : null;
    }
    const handle = handleOf(socket);
    if (userBufferKeys === null || handle == null || typeof handle.useUserBuffer !== "function" || handle.reading === true) return false;
    const s = socket as unknown as Record<symbol, unknown>;
    if (s[userBufferKeys.buffer] !== null || s[userBufferKeys.callback] !== null) return false;
    handle.useUserBuffer(buffer);
    s[userBufferKeys.buffer] = buffer;
    s[userBufferKeys.callback] = callback;
    // pauseOnConnect left the stream "paused", so the first resume() would
    // schedule a nextTick to restart a flow that, in onread mode, never
    // carries data: bytes go to the callback and only the end of stream
    // passes through the stream (which read(0) handles). Marked flowing,
    // resume() restarts the handle at once (Socket.resume does that itself
    // in onread mode) and nothing else: one tick, its async-context
    // bookkeeping and a 'resume' event fewer per connection. Reading stays
    // stopped until that resume(). (A setter of node's Readable; should one
    // ever be missing, resume() just takes the tick.)
    try {
      (socket as { readableFlowing: boolean | null }).readableFlowing = true;
    } catch {}
    if (takeDirect !== null) takeDirect(socket);
    return true;
  }

  function connect(options: net.TcpNetConnectOpts): { socket: Socket; shared: boolean } {
    if (!shared) return { socket: net.connect(options), shared: false };
    const socket = net.connect({ ...options, onread });
    // The handle exists once connect() returns (it is made before the address lookup).
    if (takeDirect !== null) takeDirect(socket);
    return { socket, shared: true };
  }

  return { shared, direct: takeDirect !== null, connect, adopt };
}

/** Found on the first socket (by their descriptions: node keeps these symbols to itself). */
interface Keys {
  /** The handle's property that holds its socket. */
  owner: symbol;
  /** node:net's own `onread`, for the end of stream and errors. */
  nodeOnRead: ReadHandle["onread"];
}

function findKeys(socket: Socket, handle: ReadHandle): Keys | null {
  const owner = Object.getOwnPropertySymbols(handle).find((s) => s.description === "owner_symbol");
  const nodeOnRead = handle.onread;
  if (owner === undefined || typeof nodeOnRead !== "function" || handle[owner] !== socket) return null;
  return { owner, nodeOnRead };
}

/**
 * A function that routes the reads of a socket (in `onread` mode already)
 * to `sink`, returning true; or false, changing nothing, where this Node
 * does not look as expected (its own `onStreamRead` then stays).
 */
function directReads(sink: ReadSink): (socket: Socket) => boolean {
  const b = streamBinding!;
  const state = b.streamBaseState;
  const kRead = b.kReadBytesOrError;
  let keys: Keys | null | undefined;

  function onHandleRead(this: ReadHandle, ab: ArrayBuffer | undefined): unknown {
    const n = state[kRead]!;
    const k = keys!;
    if (n <= 0) return k.nodeOnRead.call(this, ab);
    const s = this[k.owner] as Socket;
    refreshSocketTimer(s);
    if (!sink(s, n)) {
      // As node:net stops a handle whose reader wants no more.
      this.reading = false;
      if (!s.destroyed) {
        const err = this.readStop();
        if (err !== 0) s.destroy(errnoError(err, "read"));
      }
    }
    return undefined;
  }

  return (socket) => {
    const handle = handleOf(socket);
    if (handle == null) return false;
    if (keys === undefined) keys = findKeys(socket, handle);
    if (keys === null || handle.onread !== keys.nodeOnRead) return false;
    handle.onread = onHandleRead;
    return true;
  };
}
