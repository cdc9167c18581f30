// The command ring: arm and disarm calls recorded by JS with plain stores
// through typed views (no call across the boundary), applied in order by the
// next `tick` (or `nextDeadline`, or a flush when it is full). It is drained
// completely by every apply, so it is a linear log that restarts at record 0.
// (A disarm made while the ring is empty skips it: JS clears the tag itself
// and counts it in Header.DIRECT, taken in before the ring's records.)
//
//   CMD + i * Command.BYTES
//   ┌──────────┬──────────┬─────────────────────┐
//   │ op i32   │ slot i32 │ deadline f64        │  op: CoreOp.ARM | CoreOp.DISARM
//   └──────────┴──────────┴─────────────────────┘  (deadline unused by CoreOp.DISARM)
//   0          4          8                     16

import { Command, CoreOp, Header } from "./constants";
import { HEADER } from "./header";
import { armTimer, countDirectDisarms, disarmTimer } from "./timer-wheel/wheel";

/** Byte offset of record 0. */
export let CMD: usize = 0;

export function setCmd(at: usize): void {
  CMD = at;
}

/**
 * Apply the first `n` records, in order, after counting in the disarms JS made
 * itself (it makes them only while the ring is empty, so they come first).
 */
export function applyCommands(n: i32): void {
  const direct = load<i32>(HEADER + Header.DIRECT);
  if (direct != 0) {
    countDirectDisarms(direct);
    store<i32>(HEADER + Header.DIRECT, 0);
  }
  let p = CMD;
  const end = p + <usize>n * Command.BYTES;
  while (p < end) {
    const op = load<i32>(p, Command.OP);
    const slot = load<i32>(p, Command.SLOT);
    if (op == CoreOp.ARM) armTimer(slot, load<f64>(p, Command.DEADLINE));
    else if (op == CoreOp.DISARM) disarmTimer(slot);
    p += Command.BYTES;
  }
}
