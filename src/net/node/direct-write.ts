/**
 * Writing bytes straight to a socket's libuv handle, as node:net's own
 * `writeGeneric` does underneath the Writable stream, without the stream:
 * no stream state to update, no callback queue, no 'drain' bookkeeping.
 *
 * Feature check: the binding (binding.ts) is there, and
 * `TASKLET_NET_WRITE=stream` is not set. It relies on node's C++
 * `StreamBase::Write` returning before it binds the request object when the
 * kernel takes the bytes whole (so one object serves every such write), and
 * on `writeBuffer(req, data)` returning a status number (Node 24 added a
 * form without `req` that returns an object; the form with `req` stays as
 * before). Fallback: `socket.write` (`directWrites` is false and
 * `writeHandle` returns null).
 *
 * The caller writes this way only while the socket's own stream has nothing
 * queued (`writableLength === 0`), so that bytes written either way reach
 * libuv's queue in the order written. A write the kernel does not take at
 * once stays in libuv's queue with its request holding the buffer; the
 * owner counts those bytes until it is told the write is done.
 */
import type { Socket } from "node:net";
import { ENV } from "../../config/env.js";
import { type WriteReq, streamBinding } from "./binding.js";

/** The part of a socket's `_handle` that a direct write uses. */
export interface WriteHandle {
  writeBuffer(req: WriteReq, data: Uint8Array): number;
}

/** Told when a direct write that waited in libuv's queue is done (`status` < 0: failed, or dropped by a destroy). */
export interface DirectWriteOwner {
  _directDone(bytes: number, status: number): void;
}

/** Result of {@link writeDirect}: the kernel took every byte. */
export const WROTE = 0;
/** Result of {@link writeDirect}: the bytes wait in libuv's queue; the owner hears `_directDone` later. */
export const QUEUED = 1;

const binding = ENV.netWrite === "stream" ? null : streamBinding;

/** Writes may go straight to the handle in this process. */
export const directWrites: boolean = binding !== null;
/** Where node's C++ says whether the last write had to wait (meaningful only with `directWrites`). */
const state: Int32Array = binding?.streamBaseState ?? new Int32Array(1);
const kAsync: number = binding?.kLastWriteWasAsync ?? 0;

/** The socket's handle for a direct write; null when direct writes are off or the socket has none (connecting, closed). */
export function writeHandle(socket: Socket): WriteHandle | null {
  return directWrites ? (socket as unknown as { _handle: WriteHandle | null })._handle : null;
}

/**
 * A request object for the next direct write. A write the kernel takes
 * whole leaves it untouched (node binds a request to libuv only when bytes
 * must wait), so one object serves every such write; one that waits keeps
 * its own until done.
 */
let freeReq: WriteReq | null = null;

function onWriteDone(this: WriteReq, status: number): void {
  const owner = this.owner as DirectWriteOwner;
  this.buffer = null;
  this.owner = null;
  owner._directDone(this.bytes, status);
}

/**
 * Write `b` to `h` (from {@link writeHandle}). Returns {@link WROTE},
 * {@link QUEUED} (then `b` must not change until `owner._directDone`), or
 * the negative libuv error number of a write the kernel refused (the peer
 * reset, the socket is gone).
 */
export function writeDirect(h: WriteHandle, b: Uint8Array, owner: DirectWriteOwner): number {
  let req = freeReq;
  if (req === null) {
    req = new binding!.WriteWrap();
    req.oncomplete = onWriteDone;
    req.buffer = null;
    req.owner = null;
  }
  req.bytes = b.length;
  req.owner = owner;
  const err = h.writeBuffer(req, b);
  if (state[kAsync] === 0 && err === 0) {
    // The kernel took it all: node never bound the request to a libuv
    // write, so it serves the next one.
    req.owner = null;
    freeReq = req;
    return WROTE;
  }
  freeReq = null; // libuv holds it until its callback (or it failed: not reused either)
  if (err !== 0) return err;
  req.buffer = b;
  return QUEUED;
}
