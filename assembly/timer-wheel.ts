// Timers: a hierarchical timing wheel after tokio's (runtime/time/wheel), in
// whole milliseconds, with every timer an intrusive list entry in the task
// table, so arming allocates nothing and a million timers cost 24 MB of
// records and 3 KB of wheel.
//
// A timer's key is its deadline rounded up to a whole ms. The wheel has a time
// `now` (every key below it has been handled) and 6 levels of 64 slots; a key
// sits at the level of the highest 6-bit digit in which it differs from `now`,
// in the slot given by its own digit there:
//
//   level │ slot covers        │ level covers (64 slots)
//   ──────┼────────────────────┼────────────────────────
//     0   │ 1 ms               │ 64 ms
//     1   │ 64 ms              │ 4.1 s
//     2   │ 4.1 s              │ 4.4 min
//     3   │ 4.4 min            │ 4.7 h
//     4   │ 4.7 h              │ 12.4 days
//     5   │ 12.4 days          │ 2.2 years (2^36 ms)
//
// Keys further than that wait in LIST_FAR until the wheel's time reaches their
// 2^36 block; deadlines already behind the wheel's time (armed in the past, or
// after `peekDeadline` moved the wheel ahead of the clock) wait in LIST_DUE,
// kept sorted by deadline.
//
// Because every entry's level is the highest digit where it differs from
// `now`, the lowest non-empty level holds the earliest keys, and its first
// occupied slot (count trailing zeros of the level's occupancy mask) is the
// next one to handle: a level-0 slot holds keys equal to its start and fires;
// a higher slot is cascaded, its entries re-placed one level down or more.
//
// Order. The runtime needs timers of one tick in (deadline, arm order). Every
// list is kept FIFO: arms append, and a cascade walks its list in order and
// appends to lists that are empty when the cascade starts (a lower slot in the
// cascaded slot's range could only have been reached through that slot). So
// every list stays in arm order, a level-0 slot fires in arm order, and
// slots fire in deadline order: no sequence number and no sort is needed.
// test/core-differential.test.ts checks this against the TypeScript core.
//
//   LISTS + list * 8                 OCCUPIED + level * 8
//   ┌──────────┬──────────┐          ┌──────────────────────────┐
//   │ head i32 │ tail i32 │ x 386    │ u64: bit s = slot s used │ x 6
//   └──────────┴──────────┘          └──────────────────────────┘
//   lists 0..383: level * 64 + slot; 384: LIST_DUE; 385: LIST_FAR

import {
  LEVELS, LISTS, LIST_DUE, LIST_FAR, MAX_KEY, NONE, REC_DEADLINE, REC_FIRED, REC_LIST, REC_NEXT, REC_PREV,
  SLOT_BITS, SLOT_MASK, SLOTS, WHEEL_BITS, WHEEL_LISTS,
} from "./constants";
import { rec } from "./task-table";
import { putReady } from "./ready-ring";

const LIST_HEADS: usize = memory.data(LISTS * 8, 8);
const OCCUPIED: usize = memory.data(LEVELS * 8, 8);

/** The wheel's time: keys below it are handled (fired, or waiting in LIST_DUE). */
export let wheelTime: i64 = 0;
/** Timers armed. */
export let armed: i32 = 0;

// ------------------------------------------------------ pure slot arithmetic

/** Level of `key` on a wheel whose time is `now` (key >= now); LEVELS or more means beyond the wheel. */
// @ts-ignore: decorator
@inline export function levelFor(now: i64, key: i64): i32 {
  // OR-ing in the slot mask makes equal keys (and keys in now's own 64 ms) land at level 0.
  const significant = 63 - <i32>clz<i64>((now ^ key) | SLOT_MASK);
  return significant / SLOT_BITS;
}

/** Slot of `key` at `level`: its 6-bit digit there. */
// @ts-ignore: decorator
@inline export function slotFor(key: i64, level: i32): i32 {
  return <i32>((key >>> (<i64>level * SLOT_BITS)) & SLOT_MASK);
}

/** Milliseconds one slot of `level` covers: 64^level. */
// @ts-ignore: decorator
@inline export function slotRange(level: i32): i64 {
  return (<i64>1) << (<i64>level * SLOT_BITS);
}

/** Milliseconds all 64 slots of `level` cover: 64^(level + 1). */
// @ts-ignore: decorator
@inline export function levelRange(level: i32): i64 {
  return (<i64>1) << (<i64>(level + 1) * SLOT_BITS);
}

/** First key of `slot` at `level`, in the level range that contains `now`. */
// @ts-ignore: decorator
@inline export function slotStart(now: i64, level: i32, slot: i32): i64 {
  return (now & ~(levelRange(level) - 1)) | (<i64>slot << (<i64>level * SLOT_BITS));
}

/** Key of a deadline at or after the wheel's time: rounded up, clamped to MAX_KEY (NaN too). */
// @ts-ignore: decorator
@inline export function keyOf(deadline: f64): i64 {
  const c = Math.ceil(deadline);
  return c < <f64>MAX_KEY ? <i64>c : MAX_KEY;
}

// ------------------------------------------------------------- timer lists

// @ts-ignore: decorator
@inline function head(list: i32): i32 {
  return load<i32>(LIST_HEADS + (<usize>list << 3));
}

// @ts-ignore: decorator
@inline function tail(list: i32): i32 {
  return load<i32>(LIST_HEADS + (<usize>list << 3), 4);
}

// @ts-ignore: decorator
@inline function setHead(list: i32, slot: i32): void {
  store<i32>(LIST_HEADS + (<usize>list << 3), slot);
}

// @ts-ignore: decorator
@inline function setTail(list: i32, slot: i32): void {
  store<i32>(LIST_HEADS + (<usize>list << 3), slot, 4);
}

// @ts-ignore: decorator
@inline function occupied(level: i32): u64 {
  return load<u64>(OCCUPIED + (<usize>level << 3));
}

// @ts-ignore: decorator
@inline function setOccupied(level: i32, mask: u64): void {
  store<u64>(OCCUPIED + (<usize>level << 3), mask);
}

/** Append `slot` to `list`. */
function append(list: i32, slot: i32): void {
  const r = rec(slot);
  const last = tail(list);
  store<i32>(r, last, REC_PREV);
  store<i32>(r, NONE, REC_NEXT);
  store<i32>(r, list, REC_LIST);
  if (last == NONE) setHead(list, slot);
  else store<i32>(rec(last), slot, REC_NEXT);
  setTail(list, slot);
}

/** Take a whole wheel slot list out of the wheel; returns its head. */
function detach(list: i32): i32 {
  const first = head(list);
  setHead(list, NONE);
  setTail(list, NONE);
  if (list < WHEEL_LISTS) {
    const level = list >> SLOT_BITS;
    setOccupied(level, occupied(level) & ~((<u64>1) << <u64>(list & (SLOTS - 1))));
  }
  return first;
}

/** Reset all lists (called once, by `setup`). */
export function clearWheel(): void {
  for (let l = 0; l < LISTS; l++) {
    setHead(l, NONE);
    setTail(l, NONE);
  }
  for (let level = 0; level < LEVELS; level++) setOccupied(level, 0);
  wheelTime = 0;
  armed = 0;
}

// --------------------------------------------------------- placing timers

/** Put an armed slot in the list its deadline belongs to, relative to the wheel's time. */
function place(slot: i32, deadline: f64): void {
  const now = wheelTime;
  if (deadline < <f64>now) {
    placeDue(slot, deadline);
    return;
  }
  const key = keyOf(deadline);
  const level = levelFor(now, key);
  if (level >= LEVELS) {
    append(LIST_FAR, slot);
    return;
  }
  const s = slotFor(key, level);
  append(level * SLOTS + s, slot);
  setOccupied(level, occupied(level) | ((<u64>1) << <u64>s));
}

/** Insert into LIST_DUE after every deadline <= this one (FIFO among equals); O(1) when deadlines come in order. */
function placeDue(slot: i32, deadline: f64): void {
  let after = tail(LIST_DUE);
  while (after != NONE && load<f64>(rec(after), REC_DEADLINE) > deadline) after = load<i32>(rec(after), REC_PREV);
  const r = rec(slot);
  store<i32>(r, LIST_DUE, REC_LIST);
  store<i32>(r, after, REC_PREV);
  const next = after == NONE ? head(LIST_DUE) : load<i32>(rec(after), REC_NEXT);
  store<i32>(r, next, REC_NEXT);
  if (after == NONE) setHead(LIST_DUE, slot);
  else store<i32>(rec(after), slot, REC_NEXT);
  if (next == NONE) setTail(LIST_DUE, slot);
  else store<i32>(rec(next), slot, REC_PREV);
}

/** Arm `slot`'s timer at `deadline`. */
export function armTimer(slot: i32, deadline: f64): void {
  store<f64>(rec(slot), deadline, REC_DEADLINE);
  place(slot, deadline);
  armed++;
}

/** Disarm `slot`'s timer; a slot without one is left alone. */
export function disarmTimer(slot: i32): void {
  const r = rec(slot);
  const list = load<i32>(r, REC_LIST);
  if (list == NONE) return;
  const prev = load<i32>(r, REC_PREV);
  const next = load<i32>(r, REC_NEXT);
  if (prev == NONE) setHead(list, next);
  else store<i32>(rec(prev), next, REC_NEXT);
  if (next == NONE) setTail(list, prev);
  else store<i32>(rec(next), prev, REC_PREV);
  if (prev == NONE && next == NONE && list < WHEEL_LISTS) {
    const level = list >> SLOT_BITS;
    setOccupied(level, occupied(level) & ~((<u64>1) << <u64>(list & (SLOTS - 1))));
  }
  store<i32>(r, NONE, REC_LIST);
  armed--;
}

// ------------------------------------------------------- moving the wheel

/** The lowest level with an occupied slot, or LEVELS when the wheel is empty. */
// @ts-ignore: decorator
@inline function lowestLevel(): i32 {
  let level = 0;
  while (level < LEVELS && occupied(level) == 0) level++;
  return level;
}

/** First key of the 2^36 ms block after the wheel's: when LIST_FAR must be looked at again. */
// @ts-ignore: decorator
@inline function nextFarBlock(): i64 {
  return ((wheelTime >> WHEEL_BITS) + 1) << WHEEL_BITS;
}

/** Re-place every entry of a detached list, in order, relative to the (new) wheel time. */
function cascade(first: i32): void {
  let s = first;
  while (s != NONE) {
    const r = rec(s);
    const next = load<i32>(r, REC_NEXT);
    place(s, load<f64>(r, REC_DEADLINE));
    s = next;
  }
}

/** Fire a detached list in order, writing the ready ring from index `n`; returns the new count. */
function fire(first: i32, n: i32): i32 {
  let s = first;
  while (s != NONE) {
    const r = rec(s);
    const next = load<i32>(r, REC_NEXT);
    store<i32>(r, NONE, REC_LIST);
    store<u32>(r, load<u32>(r, REC_FIRED) + 1, REC_FIRED);
    putReady(n++, s);
    s = next;
  }
  return n;
}

/**
 * Fire every timer with deadline <= `now`, in (deadline, arm order), into the
 * ready ring; returns how many.
 */
export function expire(now: f64): i32 {
  let n = 0;
  // LIST_DUE first: its deadlines are all below the wheel's time, so below every key in the wheel.
  let s = head(LIST_DUE);
  if (s != NONE && load<f64>(rec(s), REC_DEADLINE) <= now) {
    const first = s;
    let last = s;
    while (s != NONE && load<f64>(rec(s), REC_DEADLINE) <= now) {
      last = s;
      s = load<i32>(rec(s), REC_NEXT);
    }
    store<i32>(rec(last), NONE, REC_NEXT);
    setHead(LIST_DUE, s);
    if (s == NONE) setTail(LIST_DUE, NONE);
    else store<i32>(rec(s), NONE, REC_PREV);
    n = fire(first, n);
  }
  if (now >= <f64>wheelTime) {
    const limit: i64 = now >= <f64>MAX_KEY ? MAX_KEY : <i64>Math.floor(now);
    for (;;) {
      const level = lowestLevel();
      if (level < LEVELS) {
        const slot = <i32>ctz<u64>(occupied(level));
        const start = slotStart(wheelTime, level, slot);
        if (start > limit) break;
        wheelTime = start;
        const first = detach(level * SLOTS + slot);
        if (level == 0) n = fire(first, n);
        else cascade(first);
      } else {
        if (head(LIST_FAR) == NONE) break;
        const block = nextFarBlock();
        if (block > limit) break;
        wheelTime = block; // the wheel is empty: nothing below this block is armed
        cascade(detach(LIST_FAR));
      }
    }
    if (limit > wheelTime) wheelTime = limit;
  }
  armed -= n;
  return n;
}

/**
 * The earliest deadline (Infinity when none), exactly: higher slots in the way
 * are cascaded, which may move the wheel's time ahead of the clock (later arms
 * below it go to LIST_DUE). Cascading is work `expire` would do anyway.
 */
export function peekDeadline(): f64 {
  if (armed == 0) return Infinity;
  for (;;) {
    const due = head(LIST_DUE);
    if (due != NONE) return load<f64>(rec(due), REC_DEADLINE);
    const level = lowestLevel();
    if (level < LEVELS) {
      const slot = <i32>ctz<u64>(occupied(level));
      const start = slotStart(wheelTime, level, slot);
      // A level-0 slot holds keys equal to its start; report the key, the time it fires at.
      if (level == 0) return <f64>start;
      wheelTime = start;
      cascade(detach(level * SLOTS + slot));
    } else {
      if (head(LIST_FAR) == NONE) return Infinity;
      wheelTime = nextFarBlock();
      cascade(detach(LIST_FAR));
    }
  }
  return Infinity; // not reached: AssemblyScript wants a return after for (;;)
}

/** A lower bound of the earliest deadline, without moving anything (Infinity when none). */
export function lowerBound(): f64 {
  const due = head(LIST_DUE);
  if (due != NONE) return load<f64>(rec(due), REC_DEADLINE);
  const level = lowestLevel();
  if (level < LEVELS) return <f64>slotStart(wheelTime, level, <i32>ctz<u64>(occupied(level)));
  if (head(LIST_FAR) != NONE) return <f64>nextFarBlock();
  return Infinity;
}
