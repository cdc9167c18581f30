// The ready ring: the ids of the slots whose timers expired in the last tick,
// in the order they enter the run queue, read back by JS right after `tick`
// returns their count. It starts small and doubles when a tick expires more
// timers than it holds (the old region goes to the chunk pool); JS notices
// the move through the header.
//
//   OUT ┌──────────┬──────────┬─────┬─────────────────┐
//       │ slot i32 │ slot i32 │ ... │ (outCap slots)  │
//       └──────────┴──────────┴─────┴─────────────────┘

import { Header } from "./constants";
import { HEADER } from "./header";
import { bump } from "./arena";
import { giveRegion } from "./chunk-pool";

/** Slots the ready ring holds at first; it doubles when a tick expires more. */
@inline const OUT_INITIAL: i32 = 1024;

/** Byte offset of the ready ring. */
export let OUT: usize = 0;
/** Slots it holds. */
let outCap: i32 = 0;

/** Make the first ready ring (called once, by `setup`). */
export function makeReadyRing(): void {
  outCap = OUT_INITIAL;
  OUT = bump(<usize>outCap * 4);
  publishRing();
}

/** Write the `i`-th expired slot of this tick. */
// @ts-ignore: decorator
@inline export function putReady(i: i32, slot: i32): void {
  if (i == outCap) growRing();
  store<i32>(OUT + (<usize>i << 2), slot);
}

function growRing(): void {
  const at = bump(<usize>outCap * 8);
  memory.copy(at, OUT, <usize>outCap * 4);
  giveRegion(OUT, <usize>outCap * 4);
  OUT = at;
  outCap *= 2;
  publishRing();
}

function publishRing(): void {
  store<i32>(HEADER + Header.OUT, <i32>OUT);
  store<i32>(HEADER + Header.OUT_CAP, outCap);
}
