// LIST_DUE: timers whose deadline is already behind the wheel's time (armed
// in the past, or after `peekDeadline` moved the wheel ahead of the clock).
// They are rare, so they get a plain doubly linked list threaded through the
// task records (task-table.ts), kept sorted by deadline, FIFO among equal
// deadlines, and unlinked exactly on disarm. Their deadlines are all below
// the wheel's time, so they fire before every key in the wheel.

import { Tag } from "../constants";
import { NONE, REC_DEADLINE, REC_NEXT, REC_PREV, rec, tagAt } from "../task-table";
import { putReady } from "../ready-ring";

/** First and last slot of LIST_DUE, or NONE. */
let dueHead: i32 = NONE;
let dueTail: i32 = NONE;

/** Empty the list. */
export function clearDue(): void {
  dueHead = NONE;
  dueTail = NONE;
}

/** Whether the list is empty. */
// @ts-ignore: decorator
@inline export function dueEmpty(): bool {
  return dueHead == NONE;
}

/** The earliest deadline of the list (it must not be empty). */
// @ts-ignore: decorator
@inline export function firstDue(): f64 {
  return load<f64>(rec(dueHead), REC_DEADLINE);
}

/** Insert after every deadline <= this one (FIFO among equals); O(1) when deadlines come in order. */
export function linkDue(slot: i32, deadline: f64): void {
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

export function unlinkDue(slot: i32): void {
  const r = rec(slot);
  const prev = load<i32>(r, REC_PREV);
  const next = load<i32>(r, REC_NEXT);
  if (prev == NONE) dueHead = next;
  else store<i32>(rec(prev), next, REC_NEXT);
  if (next == NONE) dueTail = prev;
  else store<i32>(rec(next), prev, REC_PREV);
}

/** Fire the timers with deadline <= `now` in order, into the ready ring from index `n`; returns the new count. */
// @ts-ignore: decorator
@inline export function fireDue(now: f64, n: i32): i32 {
  while (dueHead != NONE) {
    const s = dueHead;
    const r = rec(s);
    if (!(load<f64>(r, REC_DEADLINE) <= now)) break;
    dueHead = load<i32>(r, REC_NEXT);
    const t = tagAt(s);
    store<u32>(t, load<u32>(t) & ~Tag.STATE);
    putReady(n++, s);
  }
  if (dueHead == NONE) dueTail = NONE;
  else store<i32>(rec(dueHead), NONE, REC_PREV);
  return n;
}
