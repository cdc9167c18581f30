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
 * such writes, and on `writeBuffer(req, data)` returning a status number
 * (Node 24 added a form without `req` that returns an object; the form with
 * `req` stays as before). The path is on where it was tested: Linux, Node
 * majors 20 to 26 (the suite runs on 20, 22, 24 and 26, see
 * scripts/test-nodes.mjs), with the binding's parts present. Elsewhere (other
 * systems, later majors until someone runs the suite there, a Node without
 * the binding, `--pending-deprecation`, where the lookup would print a
 * warning) and with `TASKLET_NET_WRITE=stream`, every write goes through
 * `socket.write`, and `directWrite` is null.
 *
 * How Conn uses it (see `Conn._write`): only while the socket's own stream
 * has nothing queued (`writableLength === 0`), so that bytes written either
 * way reach libuv's queue in the order they were written. A write the
 * kernel does not take at once stays in libuv's queue with the request
 * holding its buffer; Conn counts those bytes until the request completes.
 */

import { ENV } from "../../config/env.js";

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

/** The parts of node's `stream_wrap` binding that direct writes and reads (direct-read.ts) use. */
export interface StreamBinding {
  WriteWrap: new () => DirectWriteReq;
  /** Filled by node's C++ on every write and read: bytes read or error, whether the last write waits... */
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
  kReadBytesOrError: number;
}

/** The Node majors the direct paths were tested on (on Linux); later ones take the public path until tested. */
const FIRST_MAJOR = 20;
const LAST_MAJOR = 26;

/** Whether this process runs on a system and Node major where the direct paths were tested. */
function testedRuntime(): boolean {
  const major = Number(process.versions.node.split(".")[0]);
  return process.platform === "linux" && major >= FIRST_MAJOR && major <= LAST_MAJOR;
}

function loadBinding(): StreamBinding | null {
  if (!testedRuntime() || ENV.pendingDeprecation) return null;
  try {
    const b = (process as unknown as { binding(name: string): Record<string, unknown> }).binding("stream_wrap");
    if (
      typeof b.WriteWrap !== "function" ||
      !(b.streamBaseState instanceof Int32Array) ||
      typeof b.kLastWriteWasAsync !== "number" ||
      typeof b.kReadBytesOrError !== "number"
    ) {
      return null;
    }
    return b as unknown as StreamBinding;
  } catch {
    return null;
  }
}

/** @internal node's stream binding, or null where this runtime is not one these paths were tested on. */
export const streamBinding: StreamBinding | null = loadBinding();

function load(): DirectWrite | null {
  const b = streamBinding;
  if (b === null || ENV.netWrite === "stream") return null;
  const { WriteWrap, streamBaseState: state, kLastWriteWasAsync: kAsync } = b;
  return {
    newReq: () => new WriteWrap(),
    lastWasAsync: () => state[kAsync] !== 0,
  };
}

type TimedSocket = { _unrefTimer(): void; _parent: unknown } & Record<symbol, unknown>;
/** node:net's symbol for the timer of `socket.setTimeout` (null on the socket when none is set); null if not found. */
let kTimeout: symbol | null | undefined;

/**
 * @internal What node:net does on every read and write of its own: push back
 * the inactivity timer of `socket.setTimeout`, if one is set. The direct
 * paths call it so that a Conn's socket times out as it would without them.
 */
export function refreshSocketTimer(socket: object): void {
  const s = socket as TimedSocket;
  if (kTimeout === undefined) kTimeout = Object.getOwnPropertySymbols(s).find((k) => k.description === "timeout") ?? null;
  // (Not found: refresh every time, which is what node does.)
  if (kTimeout === null || s[kTimeout] != null || s._parent != null) s._unrefTimer();
}

/** How to write to a handle directly, or null: write through the stream. */
export const directWrite: DirectWrite | null = load();
