// Timers: a hierarchical timing wheel after tokio's (runtime/time/wheel), in
// whole milliseconds. Each wheel slot is a list of 8-byte entries in 1 KiB
// chunks (chunk-pool.ts), not a linked list through the task records: moving
// and firing timers then reads memory in order instead of chasing a pointer
// per timer, which is what makes a million timers cheap (about 12 bytes each:
// an 8-byte entry and the slot's 4-byte tag, and no JS object). The only
// memory a timer touches outside its list is that tag (task-table.ts), when
// it is armed, moved down the wheel and fired.
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
// after `peekDeadline` moved the wheel ahead of the clock) wait in LIST_DUE, a
// list threaded through the task records and kept sorted by deadline (rare,
// and removed from exactly on disarm). Only these two lists need a timer's
// exact deadline, so only their timers write it into the slot's record.
//
// Disarming a wheel timer only marks it: the slot's tag loses its TAG_WHEEL
// state. A live entry's slot has a tag that is the entry's own address with
// TAG_WHEEL, so re-arming (which points the tag at the new entry) leaves the
// old one dead too; whatever moves a live entry writes its new address into
// the tag. Dead entries are dropped when a cascade or a firing reaches them
// (both read every entry's tag anyway: a cascade to keep it current, a firing
// to clear it). Lists only grow when a timer is armed, so that is when dead
// entries are counted: if they outnumber the live ones (and COMPACT_MIN),
// every list is compacted first. The lists so never hold more than about
// twice the timers live at the last arm, and a mass disarm (a million
// sleepers cancelled) costs no walk at all; if nothing is live when the next
// arm comes, the lists are dropped whole.
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
// cascaded slot's range could only have been reached through that slot);
// compaction keeps order too. So every list stays in arm order, a level-0 slot
// fires in arm order, and slots fire in deadline order: no sort is needed.
// test/core-differential.test.ts checks this against the TypeScript core.
//
//   LIST_HEADS + list * 8                      OCCUPIED + level * 8
//   ┌───────────────┬───────────────┐          ┌──────────────────────────┐
//   │ head chunk u32│ tail chunk u32│ x 385    │ u64: bit s = slot s used │ x 6
//   └───────────────┴───────────────┘          └──────────────────────────┘
//   lists 0..383: level * 64 + slot; 384: LIST_FAR
//
//   entry, in a chunk (chunk-pool.ts); its address, 8-aligned, is its id
//   ┌──────────┬──────────────────────────────────────────────┐
//   │ slot i32 │ key u32: low 32 bits of the key (the list's   │
//   │          │ slot start gives the rest; slots span <= 2^30)│
//   └──────────┴──────────────────────────────────────────────┘
//   0          4                                               8

import {
  CHUNK_ENTRIES, CHUNK_HEAD, COMPACT_MIN, ENTRY_BYTES, LEVELS, LISTS, LIST_FAR, MAX_KEY, NONE, NO_CHUNK,
  REC_DEADLINE, REC_NEXT, REC_PREV, SLOT_BITS, SLOT_MASK, SLOTS, TAG_DUE, TAG_NONE, TAG_STATE, TAG_WHEEL,
  WHEEL_BITS, WHEEL_LISTS,
} from "./constants";
import { rec, recFor, tagAt } from "./task-table";
import { putReady } from "./ready-ring";
import { giveChunk, takeChunk } from "./chunk-pool";

const LIST_HEADS: usize = memory.data(LISTS * 8, 8);
const OCCUPIED: usize = memory.data(LEVELS * 8, 8);

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
/** LIST_DUE, threaded through the task records. */
let dueHead: i32 = NONE;
let dueTail: i32 = NONE;

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

// ------------------------------------------------------------ chunk lists

// @ts-ignore: decorator
@inline function headChunk(list: i32): usize {
  return <usize>load<u32>(LIST_HEADS + (<usize>list << 3));
}

// @ts-ignore: decorator
@inline function tailChunk(list: i32): usize {
  return <usize>load<u32>(LIST_HEADS + (<usize>list << 3), 4);
}

// @ts-ignore: decorator
@inline function setChunks(list: i32, head: usize, tail: usize): void {
  store<u32>(LIST_HEADS + (<usize>list << 3), <u32>head);
  store<u32>(LIST_HEADS + (<usize>list << 3), <u32>tail, 4);
}

// @ts-ignore: decorator
@inline function nextChunk(c: usize): usize {
  return <usize>load<u32>(c);
}

// @ts-ignore: decorator
@inline function countOf(c: usize): i32 {
  return load<i32>(c, 4);
}

// @ts-ignore: decorator
@inline function entryAt(c: usize, i: i32): usize {
  return c + CHUNK_HEAD + <usize>i * ENTRY_BYTES;
}

// @ts-ignore: decorator
@inline function occupied(level: i32): u64 {
  return load<u64>(OCCUPIED + (<usize>level << 3));
}

// @ts-ignore: decorator
@inline function setOccupied(level: i32, mask: u64): void {
  store<u64>(OCCUPIED + (<usize>level << 3), mask);
}

/** The tag of a slot whose live entry is at `e`. */
// @ts-ignore: decorator
@inline function liveTag(e: usize): u32 {
  return <u32>e | TAG_WHEEL;
}

/** Whether an entry is its slot's current timer. */
// @ts-ignore: decorator
@inline function isLive(e: usize): bool {
  return load<u32>(tagAt(load<i32>(e))) == liveTag(e);
}

/** Make room for one entry at the end of a chunk list (taking a chunk if the tail is full); returns its address. */
// @ts-ignore: decorator
@inline function append(list: i32): usize {
  let c = tailChunk(list);
  let n = 0;
  if (c == NO_CHUNK) {
    c = takeChunk();
    setChunks(list, c, c);
  } else {
    n = countOf(c);
    if (n == CHUNK_ENTRIES) {
      const d = takeChunk();
      store<u32>(c, <u32>d);
      store<u32>(LIST_HEADS + (<usize>list << 3), <u32>d, 4); // the new tail
      c = d;
      n = 0;
    }
  }
  store<i32>(c, n + 1, 4);
  return entryAt(c, n);
}

/** Append an entry to a chunk list and make it its slot's live one. */
// @ts-ignore: decorator
@inline function push(list: i32, slot: i32, key: i64): void {
  const e = append(list);
  store<i32>(e, slot);
  store<u32>(e, <u32>key, 4);
  store<u32>(tagAt(slot), liveTag(e));
}

/** Append a copy of the live entry at `from`, whose slot's tag is at `t` (moved by a cascade: slot and key bits unchanged). */
// @ts-ignore: decorator
@inline function pushCopy(list: i32, from: usize, t: usize): void {
  const e = append(list);
  store<u64>(e, load<u64>(from));
  store<u32>(t, liveTag(e));
}

/** Take a whole list out (clearing its occupancy bit); returns its first chunk. */
function detach(list: i32): usize {
  const first = headChunk(list);
  setChunks(list, NO_CHUNK, NO_CHUNK);
  if (list < WHEEL_LISTS) {
    const level = list >> SLOT_BITS;
    setOccupied(level, occupied(level) & ~((<u64>1) << <u64>(list & (SLOTS - 1))));
  }
  return first;
}

/** Reset the wheel (called once, by `setup`). */
export function clearWheel(): void {
  for (let l = 0; l < LISTS; l++) setChunks(l, NO_CHUNK, NO_CHUNK);
  for (let level = 0; level < LEVELS; level++) setOccupied(level, 0);
  wheelTime = 0;
  armed = 0;
  live = 0;
  dead = 0;
  dueHead = NONE;
  dueTail = NONE;
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

/** Insert into LIST_DUE after every deadline <= this one (FIFO among equals); O(1) when deadlines come in order. */
function linkDue(slot: i32, deadline: f64): void {
  let after = dueTail;
  while (after != NONE && load<f64>(rec(after), REC_DEADLINE) > deadline) after = load<i32>(rec(after), REC_PREV);
  const next = after == NONE ? dueHead : load<i32>(rec(after), REC_NEXT);
  const r = rec(slot);
  store<i32>(r, after, REC_PREV);
  store<i32>(r, next, REC_NEXT);
  if (after == NONE) dueHead = slot;
  else store<i32>(rec(after), slot, REC_NEXT);
  if (next == NONE) dueTail = slot;
  else store<i32>(rec(next), slot, REC_PREV);
}

function unlinkDue(slot: i32): void {
  const r = rec(slot);
  const prev = load<i32>(r, REC_PREV);
  const next = load<i32>(r, REC_NEXT);
  if (prev == NONE) dueHead = next;
  else store<i32>(rec(prev), next, REC_NEXT);
  if (next == NONE) dueTail = prev;
  else store<i32>(rec(next), prev, REC_PREV);
}

/** Arm `slot`'s timer at `deadline` (the slot has none armed). */
export function armTimer(slot: i32, deadline: f64): void {
  if (deadline < <f64>wheelTime) {
    store<u32>(tagAt(slot), TAG_DUE);
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
 * (wasm-core.ts does it while the command ring is empty: the tags are then
 * current): they are dead entries now, as after `disarmTimer`.
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
  const state = tag & TAG_STATE;
  if (state == TAG_NONE) return;
  store<u32>(t, tag & ~TAG_STATE);
  armed--;
  if (state == TAG_DUE) {
    unlinkDue(slot);
    return;
  }
  live--;
  dead++; // counted, not walked: the next arm compacts if dead entries pile up
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
      const low = load<u32>(e, 4) & mask;
      if (low < <u32>SLOTS) {
        pushCopy(<i32>low, e, t);
        zero |= (<u64>1) << <u64>low;
      } else {
        const to = (31 - <i32>clz<u32>(low)) / SLOT_BITS; // 1 .. level - 1
        const s = <i32>((low >>> (<u32>to * SLOT_BITS)) & <u32>SLOT_MASK);
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
        store<u32>(t, <u32>e); // state TAG_NONE
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

/** Whether a list holds a live entry. */
function anyLive(list: i32): bool {
  for (let c = headChunk(list); c != NO_CHUNK; c = nextChunk(c)) {
    const k = countOf(c);
    for (let i = 0; i < k; i++) if (isLive(entryAt(c, i))) return true;
  }
  return false;
}

/** Give back the chunks of a detached list holding only dead entries. */
function dropDead(first: usize): void {
  let c = first;
  while (c != NO_CHUNK) {
    dead -= countOf(c);
    const next = nextChunk(c);
    giveChunk(c);
    c = next;
  }
}

/** Drop every dead entry from every list, keeping order. */
function compact(): void {
  if (live == 0) {
    // Every entry is dead (everything was disarmed): no tag needs reading.
    for (let list = 0; list < LISTS; list++) if (headChunk(list) != NO_CHUNK) dropDead(detach(list));
    return;
  }
  for (let list = 0; list < LISTS; list++) {
    const head = headChunk(list);
    if (head == NO_CHUNK) continue;
    // Entries move toward the head: the write position never passes the read position.
    let w = head;
    let wi = 0;
    for (let c = head; c != NO_CHUNK; c = nextChunk(c)) {
      const k = countOf(c);
      for (let i = 0; i < k; i++) {
        const e = entryAt(c, i);
        const t = tagAt(load<i32>(e));
        if (load<u32>(t) != liveTag(e)) continue;
        if (wi == CHUNK_ENTRIES) {
          store<i32>(w, CHUNK_ENTRIES, 4);
          w = nextChunk(w);
          wi = 0;
        }
        const to = entryAt(w, wi);
        store<u64>(to, load<u64>(e));
        store<u32>(t, liveTag(to));
        wi++;
      }
    }
    let rest = nextChunk(w);
    store<u32>(w, <u32>NO_CHUNK);
    store<i32>(w, wi, 4);
    while (rest != NO_CHUNK) {
      const next = nextChunk(rest);
      giveChunk(rest);
      rest = next;
    }
    if (wi == 0) {
      // w is the head: nothing live is left in this list.
      giveChunk(detach(list));
    } else setChunks(list, head, w);
  }
  dead = 0;
}

/**
 * Fire every timer with deadline <= `now`, in (deadline, arm order), into the
 * ready ring; returns how many.
 */
export function expire(now: f64): i32 {
  let n = 0;
  // LIST_DUE first: its deadlines are all below the wheel's time, so below every key in the wheel.
  while (dueHead != NONE) {
    const s = dueHead;
    const r = rec(s);
    if (!(load<f64>(r, REC_DEADLINE) <= now)) break;
    dueHead = load<i32>(r, REC_NEXT);
    const t = tagAt(s);
    store<u32>(t, load<u32>(t) & ~TAG_STATE);
    putReady(n++, s);
  }
  if (dueHead == NONE) dueTail = NONE;
  else store<i32>(rec(dueHead), NONE, REC_PREV);
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
        const block = nextFarBlock();
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
    if (dueHead != NONE) return load<f64>(rec(dueHead), REC_DEADLINE);
    const level = lowestLevel();
    if (level < LEVELS) {
      const slot = <i32>ctz<u64>(occupied(level));
      const start = slotStart(wheelTime, level, slot);
      const list = level * SLOTS + slot;
      if (level == 0) {
        // A level-0 slot holds keys equal to its start; report the key, the time it fires at.
        if (anyLive(list)) return <f64>start;
        dropDead(detach(list));
        continue;
      }
      wheelTime = start;
      cascade(detach(list), level);
    } else {
      if (headChunk(LIST_FAR) == NO_CHUNK) return Infinity;
      wheelTime = nextFarBlock();
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
    if (dueHead != NONE) {
      // Behind the wheel's time, so before every wheel key: expire takes LIST_DUE alone.
      const d = load<f64>(rec(dueHead), REC_DEADLINE);
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
      wheelTime = nextFarBlock();
      refar(detach(LIST_FAR));
    }
  }
  return Infinity; // not reached: AssemblyScript wants a return after for (;;)
}

/** A lower bound of the earliest deadline, without moving anything (Infinity when none). */
export function lowerBound(): f64 {
  if (dueHead != NONE) return load<f64>(rec(dueHead), REC_DEADLINE);
  const level = lowestLevel();
  if (level < LEVELS) return <f64>slotStart(wheelTime, level, <i32>ctz<u64>(occupied(level)));
  if (headChunk(LIST_FAR) != NO_CHUNK) return <f64>nextFarBlock();
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
