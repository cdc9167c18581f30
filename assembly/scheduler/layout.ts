// The memory map of scheduler.wasm.
//
//   0       ┌───────────────────────────────────────────┐
//           │ static data (memory.data): header, record │  fixed: header.ts,
//           │ directory, chunk list heads, occupancy    │  task-table.ts, timer-wheel/lists.ts
//   CMD     ├───────────────────────────────────────────┤  __heap_base, 1 KiB-aligned
//           │ command ring: Command.CAP x 16 B          │  fixed (command-ring.ts)
//   arena   ├───────────────────────────────────────────┤  1 KiB-aligned (arena.ts)
//           │ ready ring: outCap x i32   (ready-ring.ts)│  these kinds of region,
//           │ tag table: cap x u32, record blocks:      │  in the order they were
//           │ 16 KiB (task-table.ts)                    │
//           │ chunks: 1 KiB each         (chunk-pool.ts)│  needed
//           ├───────────────────────────────────────────┤  arena top
//           │ unused tail of the last page              │
//           └───────────────────────────────────────────┘  memory.size() x 64 KiB
//
// Nothing in the arena moves except the ready ring and the tag table, whose
// outgrown regions become chunks; records and chunks stay where they are, so
// growth copies nothing else and wastes nothing.

import { Command, Header } from "./constants";
import { HEADER } from "./header";
import { ARENA_UNIT, arenaStart } from "./arena";
import { TAGS, addSlots, capacity, resetSlots } from "./task-table";
import { resetChunks } from "./chunk-pool";
import { makeReadyRing } from "./ready-ring";
import { CMD, setCmd } from "./command-ring";

/**
 * Lay out the regions for `cap` slots, from scratch: called by `setup`, on a
 * new instance or on one JS reuses after its core was dropped. Memory that is
 * already grown stays and is handed out again.
 */
export function layOut(cap: i32): void {
  const align = <usize>(ARENA_UNIT - 1);
  const cmd = (__heap_base + align) & ~align;
  setCmd(cmd);
  arenaStart(cmd + <usize>Command.CAP * Command.BYTES);
  resetChunks();
  resetSlots();
  makeReadyRing();
  grow(cap);
  store<i32>(HEADER + Header.CMD, <i32>CMD);
  store<i32>(HEADER + Header.DIRECT, 0);
}

/** Grow to at least `cap` slots (the tag table moves). */
export function grow(cap: i32): void {
  addSlots(cap);
  store<i32>(HEADER + Header.CAP, capacity);
  store<i32>(HEADER + Header.TAGS, <i32>TAGS);
}
