// The task table: what the core keeps per task slot, with no JS object. (The
// rest of a task, its generator and its place in the task tree, stays in the
// runtime's Task object: the SchedulerCore interface never passes it.)
//
// A slot has two parts, kept apart because they are used at different rates:
//
// - its tag, 4 bytes, read and written for every timer that is armed, moved
//   down the wheel, fired or disarmed. Tags sit densely, 1,024 to 4 KiB, so a million timers that
//   fire in random slot order touch 4 MB of tags, not 24 MB of whole records
//   (an earlier layout): fewer cache and TLB misses, the main cost of firing.
//
//   tag u32
//   ┌──────────────────────────────────────────┬──────────┐
//   │ address of the slot's live wheel entry     │ state 2b │  state: TAG_NONE, TAG_WHEEL
//   │ (bits 2-31; entries are 8-aligned)         │          │  or TAG_DUE
//   └──────────────────────────────────────────┴──────────┘
//
//   A wheel entry (timer-wheel.ts) is live only while its slot's tag is its
//   own address with TAG_WHEEL; whatever moves an entry (a cascade, a
//   compaction) writes the new address. Disarming or firing clears the state
//   bits, and re-arming points the tag at the new entry, so either makes older
//   entries dead without finding them. Two entries never share an address
//   while both are in a list (a chunk is reused only once every entry in it
//   has been moved, fired or dropped), so a dead entry can never pass for
//   live, however often its slot is re-armed. (An earlier layout kept an arm
//   count in the tag and a copy of it in every entry: 4 bytes more per entry,
//   and a count that could wrap.)
//
// - its record, 16 bytes, used only by the rare timers that go to LIST_DUE (a
//   deadline behind the wheel's time) or LIST_FAR (beyond the wheel's span):
//   the exact deadline, and the links of LIST_DUE. Records come in blocks too,
//   but a block is only taken when one of its slots first needs a record, so
//   a million ordinary sleepers cost 4 bytes of table each, not 20.
//
//   record: rec(slot)
//   ┌─────────────────────┬──────────┬──────────┐
//   │ deadline f64        │ next i32 │ prev i32 │
//   └─────────────────────┴──────────┴──────────┘
//   0                     8          12         16
//
// Blocks of 1,024 slots are taken from the arena and found through two
// directories; growing never moves or copies a tag or a record.
//
//   TAG_DIR (static)                   tag block (arena, when slots are added)
//   ┌──────────┬──────────┬─────┐      ┌───────────────────────────────────┐
//   │ block 0  │ block 1  │ ... │ ───► │ 1,024 x u32 tags (4 KiB)           │
//   └──────────┴──────────┴─────┘      └───────────────────────────────────┘
//   REC_DIR (static)                   record block (arena, at first need)
//   ┌──────────┬──────────┬─────┐      ┌───────────────────────────────────┐
//   │ block 0  │ 0: none  │ ... │ ───► │ 1,024 x 16 B records (16 KiB)      │
//   └──────────┴──────────┴─────┘      └───────────────────────────────────┘
//   MAX_BLOCKS x u32 addresses each

import { BLOCK_SHIFT, BLOCK_SLOTS, MAX_BLOCKS, REC_BLOCK_BYTES, REC_BYTES, TAG_BLOCK_BYTES, TAG_BYTES, TAG_NONE } from "./constants";
import { bump } from "./arena";

/** The tag directory; JS reads it too (HDR_TAG_DIR), to disarm a wheel timer by clearing its tag (wasm-core.ts). */
export const TAG_DIR: usize = memory.data(MAX_BLOCKS * 4, 4);
const REC_DIR: usize = memory.data(MAX_BLOCKS * 4, 4);

/** Slots with a tag. */
export let capacity: i32 = 0;

/** Address of a slot's tag. */
// @ts-ignore: decorator
@inline export function tagAt(slot: i32): usize {
  return <usize>load<u32>(TAG_DIR + ((<usize>slot >>> BLOCK_SHIFT) << 2)) + (<usize>slot & (BLOCK_SLOTS - 1)) * TAG_BYTES;
}

/** Address of the record of a slot that has one (its timer is in LIST_DUE or LIST_FAR, so `recFor` made it). */
// @ts-ignore: decorator
@inline export function rec(slot: i32): usize {
  return <usize>load<u32>(REC_DIR + ((<usize>slot >>> BLOCK_SHIFT) << 2)) + (<usize>slot & (BLOCK_SLOTS - 1)) * REC_BYTES;
}

/** Address of a slot's record, taking its block first if no slot of the block has needed one yet. */
export function recFor(slot: i32): usize {
  const at = REC_DIR + ((<usize>slot >>> BLOCK_SHIFT) << 2);
  let block = <usize>load<u32>(at);
  if (block == 0) {
    block = bump(<usize>REC_BLOCK_BYTES); // records need no init: each field is written before it is read
    store<u32>(at, <u32>block);
  }
  return block + (<usize>slot & (BLOCK_SLOTS - 1)) * REC_BYTES;
}

/** Forget every slot (the arena restarts: a pooled instance is set up again). */
export function resetRecords(): void {
  memory.fill(REC_DIR, 0, <usize>(capacity >>> BLOCK_SHIFT) << 2);
  capacity = 0;
}

/** Give tags to slots up to `cap` (rounded up to whole blocks): no timer. */
export function addRecords(cap: i32): void {
  if (cap > MAX_BLOCKS * BLOCK_SLOTS) unreachable(); // more live tasks than the directory can address
  while (capacity < cap) {
    const b = bump(<usize>TAG_BLOCK_BYTES);
    store<u32>(TAG_DIR + ((<usize>capacity >>> BLOCK_SHIFT) << 2), <u32>b);
    memory.fill(b, <u8>TAG_NONE, <usize>TAG_BLOCK_BYTES);
    capacity += BLOCK_SLOTS;
  }
}
