// The task table: one fixed-size record per task slot. It holds what the core
// needs to schedule a slot without any JS object: the timer's deadline, where
// the timer is, and the slot's arm count, which tells live wheel entries from
// dead ones. (The rest of a task, its generator and its place in the task
// tree, stays in the runtime's Task object: the SchedulerCore interface never
// passes it.)
//
//   record: rec(slot)
//   ┌─────────────────────┬──────────┬──────────┬──────────┬──────────┐
//   │ deadline f64        │ seq u32  │ where i32│ next i32 │ prev i32 │
//   └─────────────────────┴──────────┴──────────┴──────────┴──────────┘
//   0                     8          12         16         20         24
//
// `where`: WHERE_NONE (no timer), WHERE_WHEEL (an entry in a chunk list of
// the wheel, timer-wheel.ts) or WHERE_DUE (linked into LIST_DUE by next/prev).
//
// Records live in blocks of 1,024 (24 KiB) taken from the arena as slots are
// added, found through a directory; growing never moves or copies a record.
//
//   DIRECTORY (static)                 block b (arena)
//   ┌──────────┬──────────┬─────┐      ┌────────────┬────────────┬─────┐
//   │ block 0  │ block 1  │ ... │ ───► │ slot b*1024│ b*1024 + 1 │ ... │
//   └──────────┴──────────┴─────┘      └────────────┴────────────┴─────┘
//   MAX_BLOCKS x u32 addresses         1,024 x 24 B records

import { BLOCK_SHIFT, BLOCK_SLOTS, MAX_BLOCKS, REC_BYTES, REC_SEQ, REC_WHERE, WHERE_NONE } from "./constants";
import { bump } from "./arena";

const DIRECTORY: usize = memory.data(MAX_BLOCKS * 4, 4);

/** Slots with a record. */
export let capacity: i32 = 0;

/** Address of a slot's record. */
// @ts-ignore: decorator
@inline export function rec(slot: i32): usize {
  return (
    <usize>load<u32>(DIRECTORY + ((<usize>slot >>> BLOCK_SHIFT) << 2)) + (<usize>slot & (BLOCK_SLOTS - 1)) * REC_BYTES
  );
}

/** Forget every record (the arena restarts: a pooled instance is set up again). */
export function resetRecords(): void {
  capacity = 0;
}

/** Give records to slots up to `cap` (rounded up to whole blocks): no timer, arm count zero. */
export function addRecords(cap: i32): void {
  if (cap > MAX_BLOCKS * BLOCK_SLOTS) unreachable(); // more live tasks than the directory can address
  while (capacity < cap) {
    store<u32>(DIRECTORY + ((<usize>capacity >>> BLOCK_SHIFT) << 2), <u32>bump(<usize>BLOCK_SLOTS * REC_BYTES));
    const end = capacity + BLOCK_SLOTS;
    for (let s = capacity; s < end; s++) {
      const r = rec(s);
      store<u32>(r, 0, REC_SEQ);
      store<i32>(r, WHERE_NONE, REC_WHERE);
    }
    capacity = end;
  }
}
