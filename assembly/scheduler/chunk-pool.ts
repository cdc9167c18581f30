// The chunk pool: 1 KiB chunks that timer lists are made of, on a free list
// threaded through their first word. Refilled a page (64 chunks) at a time
// from the arena, and with the regions the arena's owners outgrow.
//
//   chunk (CHUNK_BYTES = 1024)
//   ┌──────────┬──────────┬────────────────────────────────────────────┐
//   │ next i32 │ count i32│ entries: 127 x 8 B (timer-wheel.ts)        │
//   └──────────┴──────────┴────────────────────────────────────────────┘
//   0          4          8                                         1024

import { CHUNK_BYTES, NO_CHUNK } from "./constants";
import { bump } from "./arena";

let free: usize = NO_CHUNK;

/** Forget every chunk (the arena restarts: a pooled instance is set up again). */
export function resetChunks(): void {
  free = NO_CHUNK;
}

/** A chunk for a list: next = NO_CHUNK, count = 0. */
export function takeChunk(): usize {
  if (free == NO_CHUNK) giveRegion(bump(0x10000), 0x10000);
  const c = free;
  free = <usize>load<u32>(c);
  store<u32>(c, <u32>NO_CHUNK);
  store<i32>(c, 0, 4);
  return c;
}

/** Return a chunk to the pool. */
// @ts-ignore: decorator
@inline export function giveChunk(c: usize): void {
  store<u32>(c, <u32>free);
  free = c;
}

/** Cut a 1 KiB-aligned region into chunks for the pool. */
export function giveRegion(at: usize, bytes: usize): void {
  const end = at + (bytes & ~(<usize>(CHUNK_BYTES - 1)));
  for (let c = at; c < end; c += CHUNK_BYTES) giveChunk(c);
}
