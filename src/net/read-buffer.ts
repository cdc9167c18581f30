/**
 * Where received bytes wait when no task is reading.
 *
 * Every socket reads into ONE shared 64 KiB buffer (src/net/node/reads.ts:
 * libuv fills it, the read side consumes it synchronously, the next read
 * overwrites it), so Node allocates no Buffer per read. From there the
 * bytes are copied once:
 *
 * - straight into the parked reader's result (`read`) or its own buffer
 *   (`readInto`: no allocation at all), when a task is already waiting; or
 * - into the connection's own FIFO (below), when nobody is. A small first
 *   arrival gets an exact-size Buffer that a later read takes as it is;
 *   more comes from a small process-wide pool of 16 KiB blocks that go back
 *   to the pool as soon as they are drained, so an idle connection holds no
 *   buffer.
 */

/** Size of the buffer libuv reads into, shared by every socket (one read never exceeds it). */
export const SOCKET_READ_SIZE = 64 * 1024;

/** Size of a pooled block. Power of two; larger needs get an exact-size buffer that is not pooled. */
const BLOCK = 16 * 1024;
/** Blocks kept in the pool at most (1 MiB). */
const POOL_MAX = 64;
/**
 * A first append up to this size gets an exact-size Buffer from Node's
 * shared allocation pool instead of a block: the common case is one small
 * request arriving on an idle connection, read whole right after, and that
 * Buffer is then handed to the reader as is (no second copy, and no 16 KiB
 * block taken for every connection that wakes at the same moment).
 */
const SMALL = 2048;

/**
 * Copies up to this many bytes go byte by byte (`copyBytes`): for a short
 * request that is cheaper than the `subarray` view that `set` needs to copy
 * part of a buffer, and it allocates nothing; the two cost the same near
 * 200 bytes.
 */
const COPY_LOOP_MAX = 192;

const pool: Uint8Array[] = [];

/** Copy `src[from, from + n)` to `dst` at `at`. */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n <= COPY_LOOP_MAX) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
  } else {
    dst.set(n === src.length && from === 0 ? src : src.subarray(from, from + n), at);
  }
}

/** @internal The buffer every socket's reads land in (see above). */
export const sharedReadBuffer: Uint8Array = new Uint8Array(SOCKET_READ_SIZE);

function takeBlock(min: number): Uint8Array {
  if (min <= BLOCK) return pool.pop() ?? new Uint8Array(BLOCK);
  let size = BLOCK;
  while (size < min) size *= 2;
  return new Uint8Array(size);
}

function giveBlock(b: Uint8Array): void {
  if (b.length === BLOCK && pool.length < POOL_MAX) pool.push(b);
}

/** Blocks currently pooled (for tests and the benchmark). */
export function pooledBlocks(): number {
  return pool.length;
}

/**
 * @internal A FIFO of bytes in one contiguous block: `[_rbStart, _rbEnd)` of
 * `_rbBlock` is unread. Appends compact or grow it; reads advance the start;
 * when empty it returns its block. Contiguity keeps `indexOf` (readUntil)
 * and `readExactly` a single slice.
 *
 * The three fields live in the object that owns the FIFO (a Conn) and the
 * functions below work on them: an object of its own would cost every
 * connection another 48 bytes.
 */
export interface ByteFifo {
  _rbBlock: Uint8Array | null;
  _rbStart: number;
  _rbEnd: number;
}

/** Unread bytes. */
export function fifoLength(q: ByteFifo): number {
  return q._rbEnd - q._rbStart;
}

/** Copy `src[from, from + n)` in. */
export function fifoAppend(q: ByteFifo, src: Uint8Array, from: number, n: number): void {
  let b = q._rbBlock;
  if (b === null) {
    b = q._rbBlock = n <= SMALL ? Buffer.allocUnsafe(n) : takeBlock(n);
    q._rbStart = q._rbEnd = 0;
  } else if (q._rbEnd + n > b.length) {
    const len = q._rbEnd - q._rbStart;
    if (len + n <= b.length) {
      b.copyWithin(0, q._rbStart, q._rbEnd);
    } else {
      const nb = takeBlock(len + n);
      nb.set(b.subarray(q._rbStart, q._rbEnd), 0);
      giveBlock(b);
      b = q._rbBlock = nb;
    }
    q._rbStart = 0;
    q._rbEnd = len;
  }
  copyBytes(b, q._rbEnd, src, from, n);
  q._rbEnd += n;
}

/** Take the first `n` (<= length) bytes as a new Buffer (small ones from Node's allocation pool). */
export function fifoTake(q: ByteFifo, n: number): Uint8Array {
  const b = q._rbBlock!;
  if (q._rbStart === 0 && n === q._rbEnd && n === b.length && Buffer.isBuffer(b)) {
    // All of an exact-size buffer (see SMALL): hand it over.
    q._rbBlock = null;
    q._rbEnd = 0;
    return b;
  }
  const out = Buffer.allocUnsafe(n);
  copyBytes(out, 0, b, q._rbStart, n);
  fifoSkip(q, n);
  return out;
}

/** Copy up to `max` bytes into `dst` at `at`; returns how many. */
export function fifoTakeInto(q: ByteFifo, dst: Uint8Array, at: number, max: number): number {
  const n = Math.min(max, q._rbEnd - q._rbStart);
  copyBytes(dst, at, q._rbBlock!, q._rbStart, n);
  fifoSkip(q, n);
  return n;
}

/** Position of `needle` in the unread bytes at or after `from`, or -1. */
export function fifoIndexOf(q: ByteFifo, needle: Uint8Array, from: number): number {
  const b = q._rbBlock;
  if (b === null) return -1;
  const view = b.subarray(q._rbStart, q._rbEnd);
  if (needle.length === 1) return view.indexOf(needle[0]!, from);
  return Buffer.from(view.buffer, view.byteOffset, view.length).indexOf(needle, from);
}

/** Drop the first `n` bytes. */
export function fifoSkip(q: ByteFifo, n: number): void {
  q._rbStart += n;
  if (q._rbStart === q._rbEnd) fifoClear(q);
}

/** Forget everything and return the block to the pool. */
export function fifoClear(q: ByteFifo): void {
  if (q._rbBlock !== null) giveBlock(q._rbBlock);
  q._rbBlock = null;
  q._rbStart = q._rbEnd = 0;
}
