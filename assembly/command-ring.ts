// The command ring: arm and disarm calls recorded by JS with plain stores
// through typed views (no call across the boundary), applied in order by the
// next `tick` (or `nextDeadline`, or a flush when it is full). It is drained
// completely by every apply, so it is a linear log that restarts at record 0.
//
//   CMD + i * 16
//   ┌──────────┬──────────┬─────────────────────┐
//   │ op i32   │ slot i32 │ deadline f64        │  op: OP_ARM | OP_DISARM
//   └──────────┴──────────┴─────────────────────┘  (deadline unused by OP_DISARM)
//   0          4          8                     16

import { CMD_BYTES, OP_ARM, OP_DISARM } from "./constants";
import { armTimer, disarmTimer } from "./timer-wheel";

/** Byte offset of record 0. */
export let CMD: usize = 0;

export function setCmd(at: usize): void {
  CMD = at;
}

/** Apply the first `n` records, in order. */
export function applyCommands(n: i32): void {
  let p = CMD;
  const end = p + <usize>n * CMD_BYTES;
  while (p < end) {
    const op = load<i32>(p);
    const slot = load<i32>(p, 4);
    if (op == OP_ARM) armTimer(slot, load<f64>(p, 8));
    else if (op == OP_DISARM) disarmTimer(slot);
    p += CMD_BYTES;
  }
}
