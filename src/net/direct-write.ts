/**
 * Writing a Buffer straight to a socket's libuv handle, as node:net's own
 * `writeGeneric` does underneath the Writable stream, without the stream:
 * no stream state to update, no callback queue, no 'drain' bookkeeping. For
 * the HTTP server answering hello-world over 1,000 connections that is about
 * 5% of its CPU per request (bench/RESULTS.md).
 *
 * It needs two things node:net keeps to itself: the `WriteWrap` request
 * constructor and the `streamBaseState` array that says whether the last
 * write finished at once. Both come from `process.binding("stream_wrap")`
 * (deprecated in the documentation only, DEP0111). Conn also relies on
 * node's C++ `StreamBase::Write` returning before it binds the request
 * object when the kernel takes the bytes whole, to use one object for all
 * such writes. That is node 20's code, the only major tested here. The
 * path is on for majors 20 to 24 (21-24 untested, expected to behave the
 * same: run test/net-writes.test.ts there) and off for later ones until
 * someone checks them. It is off, too, on a Node without the binding, with
 * `--pending-deprecation` (the lookup would print a warning), and with
 * `TASKLET_NET_WRITE=stream`: every write goes through `socket.write` then,
 * and `directWrite` is null.
 *
 * How Conn uses it (see `Conn._write`): only while the socket's own stream
 * has nothing queued (`writableLength === 0`), so that bytes written either
 * way reach libuv's queue in the order they were written. A write the
 * kernel does not take at once stays in libuv's queue with the request
 * holding its buffer; Conn counts those bytes until the request completes.
 */

/** The request object of a direct write (node's WriteWrap; the C++ side calls `oncomplete` when a write that waited is done). */
export interface DirectWriteReq {
  oncomplete: (this: DirectWriteReq, status: number) => void;
  /** Its length: what `Conn._directQueued` counts until it completes. */
  bytes: number;
  /** Keeps the bytes alive while libuv still holds a pointer to them. */
  buffer: Uint8Array | null;
  /** Who to tell when it completes (set by Conn). */
  owner: unknown;
}

/** The part of a socket's `_handle` that a direct write uses. */
export interface StreamHandle {
  writeBuffer(req: DirectWriteReq, data: Uint8Array): number;
}

export interface DirectWrite {
  /** A new request for `handle.writeBuffer`. */
  newReq(): DirectWriteReq;
  /** Whether the write just made is still in libuv's queue (its completion comes later). */
  lastWasAsync(): boolean;
}

function pendingDeprecation(): boolean {
  const flag = "--pending-deprecation";
  return process.execArgv.includes(flag) || (process.env.NODE_OPTIONS ?? "").includes(flag) || process.env.NODE_PENDING_DEPRECATION === "1";
}

function load(): DirectWrite | null {
  const major = Number(process.versions.node.split(".")[0]);
  if (!(major >= 20 && major <= 24) || process.env.TASKLET_NET_WRITE === "stream" || pendingDeprecation()) return null;
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding("stream_wrap");
    const WriteWrap = binding.WriteWrap as (new () => DirectWriteReq) | undefined;
    const state = binding.streamBaseState;
    const kAsync = binding.kLastWriteWasAsync;
    if (typeof WriteWrap !== "function" || !(state instanceof Int32Array) || typeof kAsync !== "number") return null;
    return {
      newReq: () => new WriteWrap(),
      lastWasAsync: () => state[kAsync] !== 0,
    };
  } catch {
    return null;
  }
}

/** How to write to a handle directly, or null: write through the stream. */
export const directWrite: DirectWrite | null = load();
