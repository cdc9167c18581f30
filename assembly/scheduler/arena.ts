// The arena: memory above the command ring, handed out by a bump pointer in
// 1 KiB units and never given back to it (the runtime is "stub": no GC, no
// allocator). Regions that are outgrown are cut into chunks for the timer
// lists instead (chunk-pool.ts), so growing wastes nothing.

/** Bytes the arena hands out in: the size of a chunk, so an outgrown region cuts into whole chunks. */
@inline export const ARENA_UNIT: i32 = 1024;
/** Bytes of a Wasm page, the unit memory grows by. */
@inline export const PAGE_BYTES: usize = 65536;
/** Pages memory grows by at most beyond what is needed (1 MiB). */
@inline const MAX_EXTRA_PAGES: i32 = 16;

/** First free byte of the arena. */
let top: usize = 0;

/** Start the arena at `at` (1 KiB-aligned). */
export function arenaStart(at: usize): void {
  top = at;
}

/**
 * Take `bytes` (rounded up to ARENA_UNIT) from the arena, growing memory by
 * whole pages: by a quarter of its size at least, up to MAX_EXTRA_PAGES more
 * than needed, since every growth detaches the JS views and costs a runtime
 * call, while the unused tail stays under 1 MiB.
 */
export function bump(bytes: usize): usize {
  const at = top;
  top += (bytes + <usize>(ARENA_UNIT - 1)) & ~(<usize>(ARENA_UNIT - 1));
  const pages = <i32>((top + (PAGE_BYTES - 1)) / PAGE_BYTES);
  const have = memory.size();
  if (pages > have) {
    const more = max(pages - have, min(have >> 2, MAX_EXTRA_PAGES));
    if (memory.grow(more) < 0 && memory.grow(pages - have) < 0) unreachable(); // out of memory: JS sees a RuntimeError
  }
  return at;
}
