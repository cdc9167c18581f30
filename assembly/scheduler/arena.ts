// The arena: memory above the command ring, handed out by a bump pointer in
// 1 KiB units and never given back to it (the runtime is "stub": no GC, no
// allocator). Regions that are outgrown are cut into chunks for the timer
// lists instead (chunk-pool.ts), so growing wastes nothing.

import { CHUNK_BYTES } from "./constants";

/** First free byte of the arena. */
let top: usize = 0;

/** Start the arena at `at` (1 KiB-aligned). */
export function arenaStart(at: usize): void {
  top = at;
}

/**
 * Take `bytes` (rounded up to 1 KiB) from the arena, growing memory by whole
 * pages: by a quarter of its size at least, up to 1 MiB, since every growth
 * detaches the JS views and costs a runtime call (a million timers grew it
 * 600 times a page at a time), while the unused tail stays under 1 MiB.
 */
export function bump(bytes: usize): usize {
  const at = top;
  top += (bytes + <usize>(CHUNK_BYTES - 1)) & ~(<usize>(CHUNK_BYTES - 1));
  const pages = <i32>((top + 0xffff) >>> 16);
  const have = memory.size();
  if (pages > have) {
    const more = max(pages - have, min(have >> 2, 16));
    if (memory.grow(more) < 0 && memory.grow(pages - have) < 0) unreachable(); // out of memory: JS sees a RuntimeError
  }
  return at;
}
