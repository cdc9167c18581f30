// The task table: one fixed-size record per task slot, indexed by slot. It
// holds what the core needs to schedule a slot without any JS object: the
// timer's deadline, its links in a timer list, which list, and a counter.
// (The rest of a task, its generator and its place in the task tree, stays in
// the runtime's Task object: the SchedulerCore interface never passes it.)
//
//   TABLE + slot * 24
//   ┌─────────────────────┬──────────┬──────────┬──────────┬──────────┐
//   │ deadline f64        │ next i32 │ prev i32 │ list i32 │ fired u32│
//   └─────────────────────┴──────────┴──────────┴──────────┴──────────┘
//   0                     8          12         16         20         24
//
// `list` is NONE while the slot has no armed timer; otherwise the timer list
// that threads it through `next`/`prev` (timer-wheel.ts).

import { NONE, REC_BYTES, REC_LIST, REC_FIRED } from "./constants";

/** Byte offset of record 0. */
export let TABLE: usize = 0;

export function setTable(at: usize): void {
  TABLE = at;
}

/** Address of a slot's record. */
// @ts-ignore: decorator
@inline export function rec(slot: i32): usize {
  return TABLE + <usize>slot * REC_BYTES;
}

/** Reset records [from, to): unarmed, counters zero. */
export function clearRecords(from: i32, to: i32): void {
  for (let s = from; s < to; s++) {
    const r = rec(s);
    store<i32>(r, NONE, REC_LIST);
    store<u32>(r, 0, REC_FIRED);
  }
}
