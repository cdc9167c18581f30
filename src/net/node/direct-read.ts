/**
 * Taking a socket's reads straight from its libuv handle: node:net's
 * `onStreamRead` (the handle's `onread`, which node's C++ calls once per
 * read) is replaced, for the sockets that read into the shared buffer, by
 * one that hands the bytes to the Conn and does little else.
 *
 * What node's version does per read that a Conn does not need: it checks
 * `socket.destroyed` (a getter that reads both stream states; a Conn knows
 * whether it is closed) and looks up the buffer, its callback and its
 * generator on the socket, symbol-keyed loads of a large object. Like
 * node's, ours pushes back the timer of `socket.setTimeout` when one is set
 * (`refreshSocketTimer`). Measured: about 3% less CPU per request for the
 * HTTP server at 1,000 connections (bench/RESULTS.md).
 *
 * Only reads of n > 0 bytes are taken. The end of stream and errors (n < 0)
 * go to node's own function, which turns them into the stream's 'end' and
 * 'error' events as before: the number it reads is still in
 * `streamBaseState`, which nothing in between has touched.
 *
 * It needs `streamBaseState` and `kReadBytesOrError` from
 * `process.binding("stream_wrap")` (see direct-write.ts), and the handle's
 * `owner_symbol` property (its socket), found by its description on the
 * first socket. On the same systems and Node majors as direct-write.ts, plus
 * `TASKLET_NET_READ=stream` to keep node's `onStreamRead`.
 */
import type { Socket } from "node:net";
import { refreshSocketTimer, streamBinding } from "./direct-write.js";
import { errnoError } from "../errors.js";
import { ENV } from "../../config/env.js";

/** The part of a socket's `_handle` that a direct read uses. */
interface ReadHandle {
  onread: (this: ReadHandle, ab: ArrayBuffer | undefined) => unknown;
  reading: boolean;
  readStop(): number;
  [key: symbol]: unknown;
}

/** Where the bytes of a read go (they are in the socket's `onread` buffer): false stops reading, and the socket pauses. */
export type ReadSink = (socket: Socket, n: number) => boolean;

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
 * does not look as expected (its own `onStreamRead` then stays). Null when
 * direct reads are off.
 */
export function directReads(sink: ReadSink): ((socket: Socket) => boolean) | null {
  const b = streamBinding;
  if (b === null || ENV.netRead === "stream") return null;
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
    const handle = (socket as unknown as { _handle: ReadHandle | null | undefined })._handle;
    if (handle == null) return false;
    if (keys === undefined) keys = findKeys(socket, handle);
    if (keys === null || handle.onread !== keys.nodeOnRead) return false;
    handle.onread = onHandleRead;
    return true;
  };
}
