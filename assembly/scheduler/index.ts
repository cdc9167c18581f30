// The Wasm scheduler core (entry of scheduler.wasm). JS drives it through
// src/core/wasm-core.ts, the one file that talks to it.
//
// Boundary: `arm`/`disarm` are records JS stores into the command ring; one
// call, `tick`, applies them, expires timers into the ready ring and returns
// their count. JS skips even that call while `now` is
// below the published lower bound of the next deadline. On a virtual clock,
// `fireNext` does what `nextDeadline` then `tick` at that deadline would do,
// in one call. One shortcut: while the ring is empty, JS disarms a wheel
// timer itself by clearing its slot's tag (Header.TAGS gives the tag table),
// and leaves the count in Header.DIRECT for the next call to take in.
//
// Exports                         │ called
// ────────────────────────────────┼──────────────────────────────────────────
// coreVersion(): i32              │ once, to check the module
// layoutHash(): i32               │ tests: the constants it was built with
// setup(cap): header address      │ once per core (an instance may be reused)
// growSlots(cap)                  │ when JS runs out of slots (doubling)
// apply(n)                        │ when the command ring is full
// tick(n, now): expired count     │ once per tick that can fire a timer
// nextDeadline(n): f64            │ when the runtime has nothing to run (real clock)
// fireNext(n): f64                │ when it has nothing to run (virtual clock)
// wheel*(...), slotCapacity()     │ tests only: index arithmetic, compaction

import { CORE_VERSION, Header, LAYOUT_HASH } from "./constants";
import { HEADER } from "./header";
import { grow, layOut } from "./layout";
import { capacity } from "./task-table";
import { applyCommands } from "./command-ring";
import {
  armed, clearWheel, deadEntries, expire, fireEarliest, lastFired, lowerBound, peekDeadline, setCompactMin, wheelTime,
} from "./timer-wheel/wheel";
import { cascadeLevel, cascadeSlot, keyOf, levelFor, levelRange, nextBlock, slotFor, slotRange, slotStart } from "./timer-wheel/level";

/** Layout version of the core's memory and command ring; 0 would mean "not implemented". */
export function coreVersion(): i32 {
  return CORE_VERSION;
}

/** Hash of the constants shared with JS this module was built with (constants.ts: LAYOUT_HASH). */
export function layoutHash(): i32 {
  return LAYOUT_HASH;
}

/** Lay out memory for `cap` slots and reset the wheel, forgetting any earlier state; returns the header's address. */
export function setup(cap: i32): usize {
  layOut(cap);
  clearWheel();
  publish();
  return HEADER;
}

/** Give tags to `cap` slots (the tag table moves, memory may grow: JS rebuilds its views). */
export function growSlots(cap: i32): void {
  grow(cap);
}

/** Apply the first `n` records of the command ring. */
export function apply(n: i32): void {
  applyCommands(n);
  publish();
}

/** Apply `n` commands, then expire every timer with deadline <= now into the ready ring; returns how many. */
export function tick(n: i32, now: f64): i32 {
  applyCommands(n);
  const fired = expire(now);
  publish();
  return fired;
}

/** Apply `n` commands, then return the earliest deadline exactly (Infinity when none). */
export function nextDeadline(n: i32): f64 {
  applyCommands(n);
  const d = peekDeadline();
  publish();
  return d;
}

/**
 * Apply `n` commands, then fire the timers at the earliest deadline (and any
 * before it) into the ready ring, their count in the header (Header.FIRED);
 * returns that deadline (Infinity when none). The virtual clock jumps to it.
 */
export function fireNext(n: i32): f64 {
  applyCommands(n);
  const d = fireEarliest();
  store<i32>(HEADER + Header.FIRED, lastFired);
  publish();
  return d;
}

/** Dead wheel entries waiting to be dropped (tests). */
export function wheelDeadEntries(): i32 {
  return deadEntries();
}

/** Compact the timer lists once this many dead entries (and more than live ones) pile up (tests; default 65,536). */
export function wheelCompactAfter(n: i32): void {
  setCompactMin(n);
}

/** Current slot capacity (tests). */
export function slotCapacity(): i32 {
  return capacity;
}

function publish(): void {
  store<i32>(HEADER + Header.TIMERS, armed);
  store<f64>(HEADER + Header.LOW, armed == 0 ? Infinity : lowerBound());
  store<f64>(HEADER + Header.TIME, <f64>wheelTime);
}

// ------------------------------------------------- pure functions, for tests
// Times travel as f64 (exact below 2^53) so tests need no BigInt.

export function wheelLevel(now: f64, key: f64): i32 {
  return levelFor(<i64>now, <i64>key);
}
export function wheelSlot(key: f64, level: i32): i32 {
  return slotFor(<i64>key, level);
}
export function wheelSlotStart(now: f64, level: i32, slot: i32): f64 {
  return <f64>slotStart(<i64>now, level, slot);
}
export function wheelSlotRange(level: i32): f64 {
  return <f64>slotRange(level);
}
export function wheelLevelRange(level: i32): f64 {
  return <f64>levelRange(level);
}
export function wheelKey(deadline: f64): f64 {
  return <f64>keyOf(deadline);
}
export function wheelNextBlock(now: f64): f64 {
  return <f64>nextBlock(<i64>now);
}
export function wheelCascadeLevel(low: u32): i32 {
  return cascadeLevel(low);
}
export function wheelCascadeSlot(low: u32, level: i32): i32 {
  return cascadeSlot(low, level);
}
