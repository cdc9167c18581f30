// The wheel's storage: one chunk list per wheel slot, plus LIST_FAR, and an
// occupancy mask per level. A list is a FIFO of 8-byte entries in 1 KiB
// chunks (chunk-pool.ts), not a linked list through the task records: moving
// and firing timers then reads memory in order instead of chasing a pointer
// per timer, so a timer costs its 8-byte entry and its slot's 4-byte tag
// (task-table.ts), and no JS object.
//
//   LIST_HEADS + list * 8                      OCCUPIED + level * 8
//   ┌───────────────┬───────────────┐          ┌──────────────────────────┐
//   │ head chunk u32│ tail chunk u32│ x 385    │ u64: bit s = slot s used │ x 6
//   └───────────────┴───────────────┘          └──────────────────────────┘
//   lists 0..383: level * 64 + slot; 384: LIST_FAR
//
//   entry, in a chunk (chunk-pool.ts); its address, 8-aligned, is its id
//   ┌──────────┬──────────────────────────────────────────────┐
//   │ slot i32 │ key u32: low 32 bits of the key (the list's   │
//   │          │ slot start gives the rest; slots span <= 2^30)│
//   └──────────┴──────────────────────────────────────────────┘
//   0          4                                               8
//
// An entry is live while its slot's tag is the entry's own address with
// Tag.WHEEL (task-table.ts); whatever moves a live entry writes its new
// address into the tag, and anything else leaves it dead, to be dropped by
// the next walk that reaches it.

import { Tag } from "../constants";
import { tagAt } from "../task-table";
import { CHUNK_BYTES, CHUNK_COUNT, CHUNK_HEAD, CHUNK_NEXT, NO_CHUNK, giveChunk, takeChunk } from "../chunk-pool";
import { LEVELS, SLOT_BITS, SLOTS } from "./level";

/** Chunk lists 0 .. 383 are wheel slots: list = level * SLOTS + slot. */
@inline export const WHEEL_LISTS: i32 = 384;
/** Chunk list of keys beyond the wheel's span (2^36 ms ahead of its time). */
@inline export const LIST_FAR: i32 = 384;
/** Number of chunk lists. */
@inline export const LISTS: i32 = 385;

/** Bytes of an entry: slot i32, key bits u32. A multiple of 8: entry addresses leave the tag's state bits free. */
@inline const ENTRY_BYTES: i32 = 8;
/** Byte offset of an entry's key bits. */
@inline export const ENTRY_KEY: i32 = 4;
/** Entries per chunk: 127. */
@inline export const CHUNK_ENTRIES: i32 = (CHUNK_BYTES - CHUNK_HEAD) / ENTRY_BYTES;

const LIST_HEADS: usize = memory.data(LISTS * 8, 8);
const OCCUPIED: usize = memory.data(LEVELS * 8, 8);

// @ts-ignore: decorator
@inline export function headChunk(list: i32): usize {
  return <usize>load<u32>(LIST_HEADS + (<usize>list << 3));
}

// @ts-ignore: decorator
@inline function tailChunk(list: i32): usize {
  return <usize>load<u32>(LIST_HEADS + (<usize>list << 3), 4);
}

// @ts-ignore: decorator
@inline export function setChunks(list: i32, head: usize, tail: usize): void {
  store<u32>(LIST_HEADS + (<usize>list << 3), <u32>head);
  store<u32>(LIST_HEADS + (<usize>list << 3), <u32>tail, 4);
}

// @ts-ignore: decorator
@inline export function nextChunk(c: usize): usize {
  return <usize>load<u32>(c, CHUNK_NEXT);
}

// @ts-ignore: decorator
@inline export function countOf(c: usize): i32 {
  return load<i32>(c, CHUNK_COUNT);
}

// @ts-ignore: decorator
@inline export function setCount(c: usize, n: i32): void {
  store<i32>(c, n, CHUNK_COUNT);
}

// @ts-ignore: decorator
@inline export function setNext(c: usize, next: usize): void {
  store<u32>(c, <u32>next, CHUNK_NEXT);
}

// @ts-ignore: decorator
@inline export function entryAt(c: usize, i: i32): usize {
  return c + CHUNK_HEAD + <usize>i * ENTRY_BYTES;
}

// @ts-ignore: decorator
@inline export function occupied(level: i32): u64 {
  return load<u64>(OCCUPIED + (<usize>level << 3));
}

// @ts-ignore: decorator
@inline export function setOccupied(level: i32, mask: u64): void {
  store<u64>(OCCUPIED + (<usize>level << 3), mask);
}

/** The tag of a slot whose live entry is at `e`. */
// @ts-ignore: decorator
@inline export function liveTag(e: usize): u32 {
  return <u32>e | Tag.WHEEL;
}

/** Whether an entry is its slot's current timer. */
// @ts-ignore: decorator
@inline export function isLive(e: usize): bool {
  return load<u32>(tagAt(load<i32>(e))) == liveTag(e);
}

/** Make room for one entry at the end of a chunk list (taking a chunk if the tail is full); returns its address. */
// @ts-ignore: decorator
@inline function append(list: i32): usize {
  let c = tailChunk(list);
  let n = 0;
  if (c == NO_CHUNK) {
    c = takeChunk();
    setChunks(list, c, c);
  } else {
    n = countOf(c);
    if (n == CHUNK_ENTRIES) {
      const d = takeChunk();
      setNext(c, d);
      store<u32>(LIST_HEADS + (<usize>list << 3), <u32>d, 4); // the new tail
      c = d;
      n = 0;
    }
  }
  setCount(c, n + 1);
  return entryAt(c, n);
}

/** Append an entry to a chunk list and make it its slot's live one. */
// @ts-ignore: decorator
@inline export function push(list: i32, slot: i32, key: i64): void {
  const e = append(list);
  store<i32>(e, slot);
  store<u32>(e, <u32>key, ENTRY_KEY);
  store<u32>(tagAt(slot), liveTag(e));
}

/** Append a copy of the live entry at `from`, whose slot's tag is at `t` (moved by a cascade: slot and key bits unchanged). */
// @ts-ignore: decorator
@inline export function pushCopy(list: i32, from: usize, t: usize): void {
  const e = append(list);
  store<u64>(e, load<u64>(from));
  store<u32>(t, liveTag(e));
}

/** Take a whole list out (clearing its occupancy bit); returns its first chunk. */
export function detach(list: i32): usize {
  const first = headChunk(list);
  setChunks(list, NO_CHUNK, NO_CHUNK);
  if (list < WHEEL_LISTS) {
    const level = list >> SLOT_BITS;
    setOccupied(level, occupied(level) & ~((<u64>1) << <u64>(list & (SLOTS - 1))));
  }
  return first;
}

/** Empty every list and occupancy mask. */
export function clearLists(): void {
  for (let l = 0; l < LISTS; l++) setChunks(l, NO_CHUNK, NO_CHUNK);
  for (let level = 0; level < LEVELS; level++) setOccupied(level, 0);
}

/** The lowest level with an occupied slot, or LEVELS when the wheel is empty. */
// @ts-ignore: decorator
@inline export function lowestLevel(): i32 {
  let level = 0;
  while (level < LEVELS && occupied(level) == 0) level++;
  return level;
}

/** Whether a list holds a live entry. */
export function anyLive(list: i32): bool {
  for (let c = headChunk(list); c != NO_CHUNK; c = nextChunk(c)) {
    const k = countOf(c);
    for (let i = 0; i < k; i++) if (isLive(entryAt(c, i))) return true;
  }
  return false;
}

/** Give back the chunks of a detached list; returns how many entries they held. */
// @ts-ignore: decorator
@inline export function freeChunks(first: usize): i32 {
  let n = 0;
  let c = first;
  while (c != NO_CHUNK) {
    n += countOf(c);
    const next = nextChunk(c);
    giveChunk(c);
    c = next;
  }
  return n;
}
