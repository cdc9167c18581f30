// The chunk pool: 1 KiB chunks that timer lists are made of, on a free list
// threaded through their first word. Refilled a page (64 chunks) at a time
// from the arena, and with the regions the arena's owners outgrow.
//
//   chunk (CHUNK_BYTES = 1024)
//   ┌──────────┬──────────┬────────────────────────────────────────────┐
//   │ next u32 │ count i32│ entries: 127 x 8 B (timer-wheel/lists.ts)  │
//   └──────────┴──────────┴────────────────────────────────────────────┘
//   0          4          8                                         1024

import { ARENA_UNIT, PAGE_BYTES, bump } from "./arena";

/** Bytes of a chunk: one arena unit, so that the regions the arena's owners outgrow cut into whole chunks. */
@inline export const CHUNK_BYTES: i32 = ARENA_UNIT;
/** "No chunk" (address 0 is static data, never a chunk). */
@inline export const NO_CHUNK: usize = 0;
/** Byte offsets in a chunk: the next chunk (u32), and the count of entries the list keeps in it (i32). */
@inline export const CHUNK_NEXT: i32 = 0;
@inline export const CHUNK_COUNT: i32 = 4;
/** Bytes of the chunk header; entries follow it. */
@inline export const CHUNK_HEAD: i32 = 8;

let free: usize = NO_CHUNK;

/** Forget every chunk (the arena restarts: a pooled instance is set up again). */
export function resetChunks(): void {
  free = NO_CHUNK;
}

/** A chunk for a list: next = NO_CHUNK, count = 0. */
export function takeChunk(): usize {
  if (free == NO_CHUNK) giveRegion(bump(PAGE_BYTES), PAGE_BYTES);
  const c = free;
  free = <usize>load<u32>(c, CHUNK_NEXT);
  store<u32>(c, <u32>NO_CHUNK, CHUNK_NEXT);
  store<i32>(c, 0, CHUNK_COUNT);
  return c;
}

/** Return a chunk to the pool. */
// @ts-ignore: decorator
@inline export function giveChunk(c: usize): void {
  store<u32>(c, <u32>free, CHUNK_NEXT);
  free = c;
}

/** Cut a 1 KiB-aligned region into chunks for the pool. */
export function giveRegion(at: usize, bytes: usize): void {
  const end = at + (bytes & ~(<usize>(CHUNK_BYTES - 1)));
  for (let c = at; c < end; c += CHUNK_BYTES) giveChunk(c);
}
