/**
 * The watch hook: a connection tells one watcher, from the socket's
 * callback, that it has become readable while no task reads it. The HTTP
 * server parks its idle keep-alive connections this way instead of in a
 * task each (a parked task holds its generator and its frames; a watcher is
 * a field).
 */
import { type ConnBase, ConnFlag, type ConnWatcher, resumeReading } from "./conn-base.js";
import { fifoLength } from "./read-buffer.js";

/**
 * Have `w._connReadable(c)` called once, when bytes or the end of stream
 * arrive or the socket closes, and no task is reading. Returns false,
 * registering nothing, if the connection is readable already (a read would
 * not wait). Reading starts if it was paused. `unwatch` cancels; closing
 * does too.
 */
export function watch(c: ConnBase, w: ConnWatcher): boolean {
  if (fifoLength(c) > 0 || c.error !== null || (c.flags & (ConnFlag.Eof | ConnFlag.Closed)) !== 0) return false;
  c.watcher = w;
  resumeReading(c);
  return true;
}

/** Cancel `watch`. */
export function unwatch(c: ConnBase): void {
  c.watcher = null;
}

/** Tell the watcher (there is one) and forget it. */
export function notifyWatcher(c: ConnBase): void {
  const w = c.watcher!;
  c.watcher = null;
  w._connReadable(c);
}
