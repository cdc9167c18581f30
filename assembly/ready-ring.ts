// The ready ring: the ids of the slots whose timers expired in the last tick,
// in the order they enter the run queue, read back by JS right after `tick`
// returns their count. Its capacity is the slot capacity: a slot has at most
// one timer, so one tick never expires more.
//
//   OUT ┌──────────┬──────────┬─────┬──────────────┐
//       │ slot i32 │ slot i32 │ ... │ (cap slots)  │
//       └──────────┴──────────┴─────┴──────────────┘

/** Byte offset of the ready ring. */
export let OUT: usize = 0;

export function setOut(at: usize): void {
  OUT = at;
}

/** Write the `i`-th expired slot of this tick. */
// @ts-ignore: decorator
@inline export function putReady(i: i32, slot: i32): void {
  store<i32>(OUT + (<usize>i << 2), slot);
}
