// The task table: what the core keeps per task slot, with no JS object. (The
// rest of a task, its generator and its place in the task tree, stays in the
// runtime's Task object: the SchedulerCore interface never passes it.)
//
// A slot has two parts, kept apart because they are used at different rates:
//
// - its tag, 4 bytes, read and written for every timer that is armed, moved
//   down the wheel, fired or disarmed. Tags sit densely in one table indexed
//   by slot, so a million timers that fire in random slot order touch 4 MB of
//   tags rather than whole records: fewer cache and TLB misses, the main cost
//   of firing. One table, not blocks found through a directory, so that a tag
//   is one indexed access, from Wasm and from JS (src/core/wasm-core.ts
//   disarms a wheel timer by clearing its tag through a view on the table).
//
//   tag u32
//   ┌──────────────────────────────────────────┬──────────┐
//   │ address of the slot's live wheel entry     │ state 2b │  state: Tag.NONE, Tag.WHEEL
//   │ (bits 2-31; entries are 8-aligned)         │          │  or Tag.DUE
//   └──────────────────────────────────────────┴──────────┘
//
//   A wheel entry (timer-wheel/lists.ts) is live only while its slot's tag is
//   its own address with Tag.WHEEL; whatever moves an entry (a cascade, a
//   compaction) writes the new address. Disarming or firing clears the state
//   bits, and re-arming points the tag at the new entry, so either makes older
//   entries dead without finding them. Two entries never share an address
//   while both are in a list (a chunk is reused only once every entry in it
//   has been moved, fired or dropped), so a dead entry can never pass for
//   live, however often its slot is re-armed.
//
// - its record, 16 bytes, used only by the rare timers that go to LIST_DUE (a
//   deadline behind the wheel's time) or LIST_FAR (beyond the wheel's span):
//   the exact deadline, and the links of LIST_DUE. Records come in blocks,
//   and a block is only taken when one of its slots first needs a record, so
//   a million ordinary sleepers cost 4 bytes of table each, not 20.
//
//   record: rec(slot)
//   ┌─────────────────────┬──────────┬──────────┐
//   │ deadline f64        │ next i32 │ prev i32 │
//   └─────────────────────┴──────────┴──────────┘
//   0                     8          12         16
//
// The tag table is one region of the arena, grown by moving: a larger region
// is taken, the tags are copied, and the old region goes to the chunk pool (a
// whole number of 4 KiB, so of chunks), as the ready ring's does. JS doubles
// the slots each time, so a tag is copied about once on average, and the old
// regions become the chunks the timers of those slots need anyway. Slots are
// added only by `growSlots`, between commands, so no tag address is held
// across a move; JS rebuilds its view after the call. Records come in blocks
// found through a directory, taken when one of the block's slots first needs
// a record; growing never moves a record.
//
//   TAGS (arena, moved when slots are added; Header.TAGS, Header.CAP)
//   ┌──────────┬──────────┬─────┬──────────────────────┐
//   │ tag 0    │ tag 1    │ ... │ tag capacity - 1     │  capacity x u32,
//   └──────────┴──────────┴─────┴──────────────────────┘  capacity a multiple of Slots.BLOCK
//   REC_DIR (static)                   record block (arena, at first need)
//   ┌──────────┬──────────┬─────┐      ┌───────────────────────────────────┐
//   │ block 0  │ 0: none  │ ... │ ───► │ 1,024 x 16 B records (16 KiB)      │
//   └──────────┴──────────┴─────┘      └───────────────────────────────────┘
//   MAX_BLOCKS x u32 addresses

import { Slots, Tag } from "./constants";
import { bump } from "./arena";
import { giveRegion } from "./chunk-pool";

/** Bytes of a task record. A multiple of 8: the f64 stays aligned. */
@inline export const REC_BYTES: i32 = 16;
/** f64: deadline of the armed timer, in ms of the run's clock; written only when it goes to LIST_DUE or LIST_FAR. */
@inline export const REC_DEADLINE: i32 = 0;
/** i32: next slot in LIST_DUE, or NONE. */
@inline export const REC_NEXT: i32 = 8;
/** i32: previous slot in LIST_DUE, or NONE. */
@inline export const REC_PREV: i32 = 12;
/** "No slot". */
@inline export const NONE: i32 = -1;

/** log2 of Slots.BLOCK: a slot's block is a shift. */
@inline const BLOCK_SHIFT: i32 = 10;
/** Slots of a block, less one: a slot's place in its block is a mask. */
@inline const BLOCK_MASK: i32 = Slots.BLOCK - 1;
/** Bytes of a block of records (16 KiB), taken only when one of its slots first needs a record. */
@inline const REC_BLOCK_BYTES: i32 = Slots.BLOCK * REC_BYTES;
/** Blocks the record directory can address. */
@inline const MAX_BLOCKS: i32 = Slots.MAX >> BLOCK_SHIFT;

const REC_DIR: usize = memory.data(MAX_BLOCKS * 4, 4);

/** Address of the tag table; JS keeps a view on it (Header.TAGS), to disarm a wheel timer by clearing its tag (src/core/wasm-core.ts). */
export let TAGS: usize = 0;
/** Slots with a tag. */
export let capacity: i32 = 0;

/** Address of a slot's tag. */
// @ts-ignore: decorator
@inline export function tagAt(slot: i32): usize {
  return TAGS + <usize>slot * Tag.BYTES;
}

/** Address of the record of a slot that has one (its timer is in LIST_DUE or LIST_FAR, so `recFor` made it). */
// @ts-ignore: decorator
@inline export function rec(slot: i32): usize {
  return <usize>load<u32>(REC_DIR + ((<usize>slot >>> BLOCK_SHIFT) << 2)) + (<usize>slot & BLOCK_MASK) * REC_BYTES;
}

/** Address of a slot's record, taking its block first if no slot of the block has needed one yet. */
export function recFor(slot: i32): usize {
  const at = REC_DIR + ((<usize>slot >>> BLOCK_SHIFT) << 2);
  let block = <usize>load<u32>(at);
  if (block == 0) {
    block = bump(<usize>REC_BLOCK_BYTES); // records need no init: each field is written before it is read
    store<u32>(at, <u32>block);
  }
  return block + (<usize>slot & BLOCK_MASK) * REC_BYTES;
}

/** Forget every slot (the arena restarts: a pooled instance is set up again). */
export function resetSlots(): void {
  memory.fill(REC_DIR, 0, <usize>(capacity >>> BLOCK_SHIFT) << 2);
  TAGS = 0;
  capacity = 0;
}

/** Give tags to slots up to `cap` (rounded up to whole blocks): no timer. The tag table moves. */
export function addSlots(cap: i32): void {
  if (cap <= capacity) return;
  if (cap > Slots.MAX) unreachable(); // more live tasks than the record directory can address
  const to = (cap + BLOCK_MASK) & ~BLOCK_MASK;
  const at = bump(<usize>to * Tag.BYTES);
  const had = <usize>capacity * Tag.BYTES;
  if (had != 0) {
    memory.copy(at, TAGS, had);
    giveRegion(TAGS, had);
  }
  memory.fill(at + had, <u8>Tag.NONE, <usize>to * Tag.BYTES - had);
  TAGS = at;
  capacity = to;
}
