// Timers: a hierarchical timing wheel after tokio's (runtime/time/wheel), in
// whole milliseconds: arming, disarming, and moving the wheel's time forward,
// firing what is due in (deadline, arm order).
//
// Where a key goes is level.ts; the lists that hold the entries, lists.ts.
// Keys beyond the wheel's span wait in LIST_FAR until the wheel's time
// reaches their 2^36 ms block; deadlines already behind the wheel's time wait
// in LIST_DUE (due-list.ts). Only these two lists need a timer's exact
// deadline, so only their timers write it into the slot's record.
//
// Disarming a wheel timer only marks it: the slot's tag loses its Tag.WHEEL
// state, and re-arming points the tag at a new entry, so either leaves the old
// entry dead. Dead entries are dropped when a cascade or a firing reaches them
// (both read every entry's tag anyway: a cascade to keep it current, a firing
// to clear it), or by a compaction (compact.ts) when they pile up. Lists only
// grow when a timer is armed, so that is when dead entries are counted: if
// they outnumber the live ones (and COMPACT_MIN), every list is compacted
// first, and if nothing is live, the lists are dropped whole. A mass disarm
// (a million sleepers cancelled) so costs no walk at all.
//
// Because every entry's level is the highest digit where it differs from the
// wheel's time, the lowest non-empty level holds the earliest keys, and its
// first occupied slot (count trailing zeros of the level's occupancy mask) is
// the next one to handle: a level-0 slot holds keys equal to its start and
// fires; a higher slot is cascaded, its entries re-placed one level down or
// more.
//
// Order. The runtime needs timers of one tick in (deadline, arm order). Every
// list is kept FIFO: arms append, and a cascade walks its list in order and
// appends to lists that are empty when the cascade starts (a lower slot in the
// cascaded slot's range could only have been reached through that slot);
// compaction keeps order too. So every list stays in arm order, a level-0 slot
// fires in arm order, and slots fire in deadline order: no sort is needed.
// test/core/differential.test.ts checks this against the TypeScript core.

import { Tag } from "../constants";
import { REC_DEADLINE, rec, recFor, tagAt } from "../task-table";
import { putReady } from "../ready-ring";
import { NO_CHUNK, giveChunk } from "../chunk-pool";
import { LEVELS, MAX_KEY, SLOTS, cascadeLevel, cascadeSlot, keyOf, levelFor, nextBlock, slotFor, slotRange, slotStart } from "./level";
import {
  ENTRY_KEY, LIST_FAR, anyLive, clearLists, countOf, detach, entryAt, freeChunks, headChunk, isLive, liveTag, lowestLevel, nextChunk,
  occupied, push, pushCopy, setOccupied,
} from "./lists";
import { clearDue, dueEmpty, fireDue, firstDue, linkDue, unlinkDue } from "./due-list";
import { compactLists, dropLists } from "./compact";

/** Dead wheel entries tolerated before a compaction (checked at each arm), at least (and no more than the live ones). */
@inline const COMPACT_MIN: i32 = 65536;

/** The wheel's time: keys below it are handled (fired, or waiting in LIST_DUE). */
export let wheelTime: i64 = 0;
/** Timers armed. */
export let armed: i32 = 0;
/** Live entries in chunk lists (armed timers that are not in LIST_DUE). */
let live: i32 = 0;
/** Dead entries still in chunk lists. */
let dead: i32 = 0;
/** Dead entries tolerated before a compaction, at least (tests lower it to exercise compaction). */
let compactMin: i32 = COMPACT_MIN;

/** Reset the wheel (called once, by `setup`). */
export function clearWheel(): void {
  clearLists();
  wheelTime = 0;
  armed = 0;
  live = 0;
  dead = 0;
  clearDue();
}

// --------------------------------------------------------- placing timers

/**
 * Put an entry in the wheel list of `key` (>= the wheel's time); returns false
 * when the key is beyond the wheel's span, for the caller to put it in LIST_FAR.
 */
// @ts-ignore: decorator
@inline function placeKey(slot: i32, key: i64): bool {
  const level = levelFor(wheelTime, key);
  if (level >= LEVELS) return false;
  const s = slotFor(key, level);
  push(level * SLOTS + s, slot, key);
  setOccupied(level, occupied(level) | ((<u64>1) << <u64>s));
  return true;
}

/** Put an entry in LIST_FAR, with the exact deadline in the slot's record (refar needs the whole key). */
function pushFar(slot: i32, key: i64, deadline: f64): void {
  store<f64>(recFor(slot), deadline, REC_DEADLINE);
  push(LIST_FAR, slot, key);
}

/** Arm `slot`'s timer at `deadline` (the slot has none armed). */
export function armTimer(slot: i32, deadline: f64): void {
  if (deadline < <f64>wheelTime) {
    store<u32>(tagAt(slot), Tag.DUE);
    store<f64>(recFor(slot), deadline, REC_DEADLINE);
    linkDue(slot, deadline);
  } else {
    if (dead > compactMin && dead > live) compact();
    const key = keyOf(deadline);
    if (!placeKey(slot, key)) pushFar(slot, key, deadline); // either writes the tag
    live++;
  }
  armed++;
}

/**
 * Count in `n` wheel timers that JS disarmed by clearing their tags' state
 * (src/core/wasm-core.ts does it while the command ring is empty: the tags are
 * then current): they are dead entries now, as after `disarmTimer`.
 */
export function countDirectDisarms(n: i32): void {
  armed -= n;
  live -= n;
  dead += n;
}

/** Disarm `slot`'s timer; a slot without one (never armed, disarmed, or fired) is left alone. */
export function disarmTimer(slot: i32): void {
  const t = tagAt(slot);
  const tag = load<u32>(t);
  const state = tag & Tag.STATE;
  if (state == Tag.NONE) return;
  store<u32>(t, tag & ~Tag.STATE);
  armed--;
  if (state == Tag.DUE) {
    unlinkDue(slot);
    return;
  }
  live--;
  dead++; // counted, not walked: the next arm compacts if dead entries pile up
}

/** Drop the dead entries of every list. */
function compact(): void {
  if (live == 0) dropLists();
  else compactLists();
  dead = 0;
}

// ------------------------------------------------------- moving the wheel

/**
 * Re-place the live entries of a detached list of wheel slot (level, start),
 * the wheel's time now, in order, pointing their tags at their new places;
 * dead entries are dropped (the tag read tells them apart).
 *
 * No key needs rebuilding: every key in the slot has the bits of `start` above
 * the slot's range and differs from the wheel's time only below it, so the
 * entry's low 32 bits (slots span at most 2^30 ms) give its new level and slot.
 * From level 1 that is always level 0, in the slot of the key's low 6 bits:
 * the commonest cascade, and the cheapest.
 */
function cascade(first: usize, level: i32): void {
  const mask = <u32>(slotRange(level) - 1);
  let zero: u64 = 0; // occupancy of level 0, which is empty now (cascades happen from the lowest occupied level)
  let c = first;
  while (c != NO_CHUNK) {
    const n = countOf(c);
    for (let i = 0; i < n; i++) {
      const e = entryAt(c, i);
      const t = tagAt(load<i32>(e));
      if (load<u32>(t) != liveTag(e)) {
        dead--;
        continue;
      }
      const low = load<u32>(e, ENTRY_KEY) & mask;
      if (low < <u32>SLOTS) {
        pushCopy(<i32>low, e, t);
        zero |= (<u64>1) << <u64>low;
      } else {
        const to = cascadeLevel(low); // 1 .. level - 1
        const s = cascadeSlot(low, to);
        pushCopy(to * SLOTS + s, e, t);
        setOccupied(to, occupied(to) | ((<u64>1) << <u64>s));
      }
    }
    const next = nextChunk(c);
    giveChunk(c);
    c = next;
  }
  setOccupied(0, occupied(0) | zero);
}

/** Re-place the entries of the detached LIST_FAR (the wheel is empty and its time is a new 2^36 block). */
function refar(first: usize): void {
  let c = first;
  while (c != NO_CHUNK) {
    const n = countOf(c);
    for (let i = 0; i < n; i++) {
      const e = entryAt(c, i);
      if (isLive(e)) {
        const slot = load<i32>(e);
        const deadline = load<f64>(rec(slot), REC_DEADLINE);
        const key = keyOf(deadline);
        if (!placeKey(slot, key)) pushFar(slot, key, deadline); // either points the tag at the new entry
      } else dead--;
    }
    const next = nextChunk(c);
    giveChunk(c);
    c = next;
  }
}

/** Fire the live entries of a detached level-0 list in order into the ready ring from index `n`; returns the new count. */
function fire(first: usize, n: i32): i32 {
  let c = first;
  const from = n;
  while (c != NO_CHUNK) {
    const k = countOf(c);
    for (let i = 0; i < k; i++) {
      const e = entryAt(c, i);
      const slot = load<i32>(e);
      const t = tagAt(slot);
      if (load<u32>(t) == liveTag(e)) {
        store<u32>(t, <u32>e); // state Tag.NONE
        putReady(n++, slot);
      } else dead--;
    }
    const next = nextChunk(c);
    giveChunk(c);
    c = next;
  }
  live -= n - from;
  return n;
}

/**
 * Fire every timer with deadline <= `now`, in (deadline, arm order), into the
 * ready ring; returns how many.
 */
export function expire(now: f64): i32 {
  // LIST_DUE first: its deadlines are all below the wheel's time, so below every key in the wheel.
  let n = fireDue(now, 0);
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
        else cascade(first, level);
      } else {
        if (headChunk(LIST_FAR) == NO_CHUNK) break;
        const block = nextBlock(wheelTime);
        if (block > limit) break;
        wheelTime = block; // the wheel is empty: nothing below this block is armed
        refar(detach(LIST_FAR));
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
    if (!dueEmpty()) return firstDue();
    const level = lowestLevel();
    if (level < LEVELS) {
      const slot = <i32>ctz<u64>(occupied(level));
      const start = slotStart(wheelTime, level, slot);
      const list = level * SLOTS + slot;
      if (level == 0) {
        // A level-0 slot holds keys equal to its start; report the key, the time it fires at.
        if (anyLive(list)) return <f64>start;
        dead -= freeChunks(detach(list)); // only dead entries
        continue;
      }
      wheelTime = start;
      cascade(detach(list), level);
    } else {
      if (headChunk(LIST_FAR) == NO_CHUNK) return Infinity;
      wheelTime = nextBlock(wheelTime);
      refar(detach(LIST_FAR));
    }
  }
  return Infinity; // not reached: AssemblyScript wants a return after for (;;)
}

/** Timers the last `fireEarliest` fired. */
export let lastFired: i32 = 0;

/**
 * Fire the timers at the earliest deadline into the ready ring, as
 * `expire(peekDeadline())` would, in one walk: the first level-0 slot with a
 * live entry is that deadline, and it is fired as soon as it is found.
 * Returns the deadline (Infinity when none); `lastFired` says how many.
 */
export function fireEarliest(): f64 {
  lastFired = 0;
  if (armed == 0) return Infinity;
  for (;;) {
    if (!dueEmpty()) {
      // Behind the wheel's time, so before every wheel key: expire takes LIST_DUE alone.
      const d = firstDue();
      lastFired = expire(d);
      return d;
    }
    const level = lowestLevel();
    if (level < LEVELS) {
      const slot = <i32>ctz<u64>(occupied(level));
      const start = slotStart(wheelTime, level, slot);
      wheelTime = start;
      const first = detach(level * SLOTS + slot);
      if (level > 0) {
        cascade(first, level);
        continue;
      }
      const n = fire(first, 0); // a slot of dead entries only fires nothing, and is dropped
      if (n > 0) {
        armed -= n;
        lastFired = n;
        return <f64>start;
      }
    } else {
      if (headChunk(LIST_FAR) == NO_CHUNK) return Infinity;
      wheelTime = nextBlock(wheelTime);
      refar(detach(LIST_FAR));
    }
  }
  return Infinity; // not reached: AssemblyScript wants a return after for (;;)
}

/** A lower bound of the earliest deadline, without moving anything (Infinity when none). */
export function lowerBound(): f64 {
  if (!dueEmpty()) return firstDue();
  const level = lowestLevel();
  if (level < LEVELS) return <f64>slotStart(wheelTime, level, <i32>ctz<u64>(occupied(level)));
  if (headChunk(LIST_FAR) != NO_CHUNK) return <f64>nextBlock(wheelTime);
  return Infinity;
}

/** Dead entries waiting in chunk lists (tests). */
export function deadEntries(): i32 {
  return dead;
}

/** Set the compaction threshold (tests). */
export function setCompactMin(n: i32): void {
  compactMin = n;
}
