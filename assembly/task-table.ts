// The task table: what the core keeps per task slot, with no JS object. (The
// rest of a task, its generator and its place in the task tree, stays in the
// runtime's Task object: the SchedulerCore interface never passes it.)
//
// A slot has two parts, kept apart because they are read at different rates:
//
// - its tag, 4 bytes, read and written for every timer that is armed, fired
//   or disarmed. Tags sit densely, 1,024 to 4 KiB, so a million timers that
//   fire in random slot order touch 4 MB of tags, not 24 MB of whole records
//   (an earlier layout): fewer cache and TLB misses, the main cost of firing.
//
//   tag u32
//   ┌──────────────────────────────────────────┬──────────┐
//   │ arm count (bits 2-31): +1 per arm          │ state 2b │  state: TAG_NONE, TAG_WHEEL
//   └──────────────────────────────────────────┴──────────┘  or TAG_DUE
//
//   A wheel entry (timer-wheel.ts) carries the tag its arm gave the slot; it
//   is live only while the slot's tag is still that (same arm, still in the
//   wheel). Disarming or firing clears the state bits, and re-arming bumps the
//   count, so either makes older entries dead without finding them.
//
// - its record, 16 bytes, read and written only for the rare timers that go
//   to LIST_DUE (a deadline behind the wheel's time) or LIST_FAR (beyond the
//   wheel's span): the exact deadline, and the links of LIST_DUE.
//
//   record: rec(slot)
//   ┌─────────────────────┬──────────┬──────────┐
//   │ deadline f64        │ next i32 │ prev i32 │
//   └─────────────────────┴──────────┴──────────┘
//   0                     8          12         16
//
// Slots come in blocks of 1,024 (20 KiB: the tags, then the records) taken
// from the arena as slots are added, found through a directory; growing never
// moves or copies a tag or a record.
//
//   DIRECTORY (static)                 block b (arena)
//   ┌──────────┬──────────┬─────┐      ┌─────────────────────────┬──────────────────────────┐
//   │ block 0  │ block 1  │ ... │ ───► │ tags: 1,024 x u32 (4 KiB)│ records: 1,024 x 16 B    │
//   └──────────┴──────────┴─────┘      └─────────────────────────┴──────────────────────────┘
//   MAX_BLOCKS x u32 addresses         0                         BLOCK_RECS                 BLOCK_BYTES

import { BLOCK_BYTES, BLOCK_RECS, BLOCK_SHIFT, BLOCK_SLOTS, MAX_BLOCKS, REC_BYTES, TAG_BYTES, TAG_NONE } from "./constants";
import { bump } from "./arena";

const DIRECTORY: usize = memory.data(MAX_BLOCKS * 4, 4);

/** Slots with a tag and a record. */
export let capacity: i32 = 0;

// @ts-ignore: decorator
@inline function block(slot: i32): usize {
  return <usize>load<u32>(DIRECTORY + ((<usize>slot >>> BLOCK_SHIFT) << 2));
}

/** Address of a slot's tag. */
// @ts-ignore: decorator
@inline export function tagAt(slot: i32): usize {
  return block(slot) + (<usize>slot & (BLOCK_SLOTS - 1)) * TAG_BYTES;
}

/** Address of a slot's record. */
// @ts-ignore: decorator
@inline export function rec(slot: i32): usize {
  return block(slot) + BLOCK_RECS + (<usize>slot & (BLOCK_SLOTS - 1)) * REC_BYTES;
}

/** Forget every slot (the arena restarts: a pooled instance is set up again). */
export function resetRecords(): void {
  capacity = 0;
}

/** Give tags and records to slots up to `cap` (rounded up to whole blocks): no timer, arm count zero. */
export function addRecords(cap: i32): void {
  if (cap > MAX_BLOCKS * BLOCK_SLOTS) unreachable(); // more live tasks than the directory can address
  while (capacity < cap) {
    const b = bump(<usize>BLOCK_BYTES);
    store<u32>(DIRECTORY + ((<usize>capacity >>> BLOCK_SHIFT) << 2), <u32>b);
    memory.fill(b, <u8>TAG_NONE, <usize>BLOCK_RECS); // records need no init: written before they are read
    capacity += BLOCK_SLOTS;
  }
}
