/**
 * The fence around Node's internals. Everything of tasklet that reaches
 * past Node's public API (`process.binding`, a socket's `_handle`, its
 * `onread`, `WriteWrap`, the stream-base state array, node:net's private
 * symbols) lives in this folder; the rest of src/net speaks to this file
 * and to public APIs only. Each internal path is a speed-up with a feature
 * check and a public fallback, so tasklet works the same on a Node that
 * does not look as expected, only slower:
 *
 * | path                         | where          | switched off by            | fallback                          |
 * | ---------------------------- | -------------- | -------------------------- | --------------------------------- |
 * | reads into one shared buffer | reads.ts       | `TASKLET_NET_READ=data`    | 'data' events, a Buffer per read  |
 * | reads straight from handle   | reads.ts       | `TASKLET_NET_READ=stream`  | node:net's `onStreamRead`         |
 * | writes straight to handle    | direct-write.ts| `TASKLET_NET_WRITE=stream` | `socket.write`                    |
 * | timer refresh, peer address  | socket.ts      | (follow the paths above)   | `remoteAddress`, node's own timer |
 *
 * `duplex-socket.ts` is no fast path: it decides, by the class of a
 * socket's libuv handle (`drivesHandle`), whether a Duplex handed to a Conn
 * may take the paths above, and makes the stand-in socket, with no handle,
 * for one that may not (a TLSSocket, whose handle encrypts; a PassThrough),
 * so that every path takes its public fallback for it. The paths never see
 * a TLS socket: the green TLS connections (src/net/tls.ts) are all made
 * over the stand-in.
 *
 * The direct paths need node's `stream_wrap` binding (binding.ts), used
 * only on the systems and Node majors where they were tested. `NODE_PATHS`
 * says which paths this process uses; test/net runs its suites on both
 * sides of each switch.
 */
import { streamBinding } from "./binding.js";
import { directWrites } from "./direct-write.js";
import { directReadsOn, sharedReads } from "./reads.js";

export { type ReadSink, type SocketReads, socketReads } from "./reads.js";
export { type DirectWriteOwner, type WriteHandle, QUEUED, WROTE, directWrites, writeDirect, writeHandle } from "./direct-write.js";
export { type PeerAddress, errnoError, readPeerAddress, refreshSocketTimer } from "./socket.js";
export { DuplexSocket, connSocket, drivesHandle } from "./duplex-socket.js";

/** Which internal paths this process uses (fixed when tasklet loads). */
export const NODE_PATHS: Readonly<{ binding: boolean; sharedReadBuffer: boolean; directReads: boolean; directWrites: boolean }> = Object.freeze({
  /** node's stream binding is there and this runtime is one the direct paths were tested on. */
  binding: streamBinding !== null,
  sharedReadBuffer: sharedReads,
  directReads: directReadsOn,
  directWrites,
});
