// The memory map of scheduler.wasm and its growth. The runtime is "stub" (no
// GC, no allocator): the core owns every byte above __heap_base and lays out
// three regions itself, grown by whole pages and never freed, so a tick
// allocates nothing.
//
//   0       ┌───────────────────────────────────────────┐
//           │ static data (memory.data): header, timer  │  fixed, see header.ts,
//           │ list heads and tails, occupancy masks     │  timer-wheel.ts
//   CMD     ├───────────────────────────────────────────┤  __heap_base, 16-aligned
//           │ command ring: CMD_CAP x 16 B              │  fixed (command-ring.ts)
//   OUT     ├───────────────────────────────────────────┤
//           │ ready ring: cap x i32                     │  ids expired by the last
//           │                                           │  tick (ready-ring.ts)
//   TABLE   ├───────────────────────────────────────────┤
//           │ task table: cap x 24 B records            │  task-table.ts
//           ├───────────────────────────────────────────┤
//           │ unused tail of the last page              │
//           └───────────────────────────────────────────┘  memory.size() x 64 KiB
//
// Growing the slot capacity doubles the ready ring and the task table: the
// table moves up (memory.copy is a memmove) and the ring grows in place; its
// contents only live between a tick and JS reading them, so they are not kept.

import { CMD_BYTES, CMD_CAP, HDR_CAP, HDR_CMD, HDR_OUT, REC_BYTES } from "./constants";
import { HEADER } from "./header";
import { TABLE, clearRecords, setTable } from "./task-table";
import { OUT, setOut } from "./ready-ring";
import { CMD, setCmd } from "./command-ring";

/** Slot capacity of the task table and the ready ring. */
export let capacity: i32 = 0;

/** Make sure memory reaches byte `end`, growing it by whole pages. */
function reserve(end: usize): void {
  const pages = <i32>((end + 0xffff) >>> 16);
  const have = memory.size();
  if (pages > have && memory.grow(pages - have) < 0) unreachable(); // out of memory: JS sees a RuntimeError
}

/** Lay out the regions for `cap` slots (called once, by `setup`). */
export function layOut(cap: i32): void {
  const cmd = (__heap_base + 15) & ~(<usize>15);
  const out = cmd + <usize>CMD_CAP * CMD_BYTES;
  const table = out + <usize>cap * 4;
  reserve(table + <usize>cap * REC_BYTES);
  setCmd(cmd);
  setOut(out);
  setTable(table);
  clearRecords(0, cap);
  capacity = cap;
  publish();
}

/** Grow to `cap` slots (more than now): move the table up, widen the ready ring. */
export function grow(cap: i32): void {
  if (cap <= capacity) return;
  const table = OUT + <usize>cap * 4;
  reserve(table + <usize>cap * REC_BYTES);
  memory.copy(table, TABLE, <usize>capacity * REC_BYTES);
  setTable(table);
  clearRecords(capacity, cap);
  capacity = cap;
  publish();
}

/** Write the region offsets where JS reads them. */
function publish(): void {
  store<i32>(HEADER + HDR_CMD, <i32>CMD);
  store<i32>(HEADER + HDR_OUT, <i32>OUT);
  store<i32>(HEADER + HDR_CAP, capacity);
}
