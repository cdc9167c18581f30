/**
 * The small writes that tasks make during one scheduler tick, gathered and
 * handed to the kernel together when the tick ends.
 *
 * Why: on loopback a write system call also delivers the bytes to the
 * peer's socket and wakes the peer if it sleeps. When a server's writes
 * are spread through the tick, between the parsing and handling of one
 * request and the next, a fast client catches up, sleeps, and is woken
 * again by the next write. Written back to back, at the end of the tick,
 * they wake it about once per tick.
 *
 * How: a write of at most `GATHER_MAX` bytes that a Conn would have made
 * at once (straight to its handle, src/net/node/, or with `socket.write`
 * where that path is off), made from inside a task while the socket's
 * stream has nothing queued, is copied into one shared arena instead,
 * behind the bytes gathered before it; the caller's buffer is free at once,
 * as after a write the kernel took whole. The first one of a tick asks the
 * task's scheduler to call `flush` at the tick's end (the kernel's
 * `atTickEnd`), which writes each connection's run of bytes with
 * one call, in the order gathered: one handle write, or one `socket.write`
 * (leaner than corking the stream for the tick, which still queues every
 * write with its callback, then builds a writev of them). Bytes reach the
 * kernel in the order written: before a Conn writes anything that is not
 * gathered (a larger buffer, a string, an array) or ends or closes its
 * side, it flushes the outbox. A Conn counts its gathered bytes
 * (`_gathered`) in `writableLength` and for backpressure.
 *
 * The arena is reused from tick to tick unless a write had to wait (in
 * libuv's queue, or in the stream's), which keeps a view of it: the next
 * tick takes a new one and the old one lives as long as that write.
 */

import { ENV } from "../config/env.js";
import { directWrites } from "./node/index.js";
import { copyBytes } from "./read-buffer.js";

/**
 * Gathered writes are at most this long; longer ones go straight out (their
 * copy would cost more than the batching saves). 0 (nothing gathered) with
 * `TASKLET_NET_GATHER=off`, and with `TASKLET_NET_WRITE=direct` where the
 * direct path is on (a diagnostic: each write straight to the handle).
 */
export const GATHER_MAX: number = !ENV.netGather || (directWrites && ENV.netWrite === "direct") ? 0 : 4 * 1024;
/** Size of the arena: what one tick gathers before the outbox flushes early (about 2,000 hello-world responses). */
const ARENA_BYTES = 256 * 1024;

/** What the outbox needs of a Conn. */
export interface GatheringConn {
  _gathered: number;
  /** Write `arena[start, end)`, gathered earlier; true if node or libuv kept a reference to the arena. */
  _sendGathered(arena: Buffer, start: number, end: number): boolean;
}

let arena: Buffer | null = null;
let used = 0;
/** Entry i: `conns[i]` wrote `arena[ends[i - 1] ?? 0, ends[i])`. A Conn's consecutive writes share one entry. */
const conns: GatheringConn[] = [];
const ends: number[] = [];

/**
 * Gather `b[0, n)` for `c` (`n <= GATHER_MAX`; a task is running). If the
 * arena is full, what it holds is written first. Returns true if this is
 * the first entry since the last flush: the caller then asks for the flush
 * at the end of the tick.
 */
export function gather(c: GatheringConn, b: Uint8Array, n: number): boolean {
  if (used + n > ARENA_BYTES) flush();
  const a = (arena ??= Buffer.allocUnsafeSlow(ARENA_BYTES));
  copyBytes(a, used, b, 0, n);
  used += n;
  c._gathered += n;
  const last = conns.length - 1;
  if (last >= 0 && conns[last] === c) {
    ends[last] = used;
    return false;
  }
  conns.push(c);
  ends.push(used);
  return last < 0;
}

/** Write everything gathered, connection by connection, in order. Idempotent. */
export function flush(): void {
  const n = conns.length;
  if (n === 0) return;
  const a = arena!;
  let pinned = false;
  let start = 0;
  // Entries are taken out before each is written: a write that fails may
  // close its Conn, and closing flushes, which must find only what is left.
  const cs = conns.splice(0, n);
  const es = ends.splice(0, n);
  used = 0;
  for (let i = 0; i < n; i++) {
    const end = es[i]!;
    if (cs[i]!._sendGathered(a, start, end)) pinned = true;
    start = end;
  }
  if (pinned && arena === a) arena = null;
}
