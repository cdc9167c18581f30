// Where a key sits in the wheel: pure arithmetic on whole milliseconds, after
// tokio's runtime/time/wheel/level.rs. A key is a deadline rounded up to a
// whole ms; the wheel has a time `now` (every key below it has been handled)
// and LEVELS levels of SLOTS slots. A key sits at the level of the highest
// 6-bit digit in which it differs from `now`, in the slot given by its own
// digit there:
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
// Every function here is exported by index.ts for test/core/timer-wheel.test.ts,
// which checks them against a digit-by-digit model.

/** Bits of a key each level consumes: 64 slots per level. A power of two, so a slot is a shift and a mask. */
@inline export const SLOT_BITS: i32 = 6;
/** Slots per level; one u64 occupancy mask covers a level. */
@inline export const SLOTS: i32 = 64;
/** Mask of a slot index. */
@inline export const SLOT_MASK: i64 = 63;
/** Levels of the wheel: 6 x 6 bits = 2^36 ms (about 2.2 years) ahead of the wheel's time. */
@inline export const LEVELS: i32 = 6;
/** Bits of time the wheel spans: LEVELS x SLOT_BITS. */
@inline export const WHEEL_BITS: i64 = 36;
/** Largest key the wheel computes with (2^52 ms, below which every f64 is exact); later deadlines are clamped to it. */
@inline export const MAX_KEY: i64 = 4503599627370496;

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

/** First key of the 2^36 ms block after the one holding `now`: when keys beyond the wheel are looked at again. */
// @ts-ignore: decorator
@inline export function nextBlock(now: i64): i64 {
  return ((now >> WHEEL_BITS) + 1) << WHEEL_BITS;
}

/**
 * Level a key moves to when a slot of a higher level is cascaded, from `low`,
 * the key's bits below that slot (the wheel's time is then the slot's start,
 * so they are all the key and the time differ in): levelFor(start, key), on
 * 32 bits. Only for low >= SLOTS; lower keys go to level 0, slot `low`.
 */
// @ts-ignore: decorator
@inline export function cascadeLevel(low: u32): i32 {
  return (31 - <i32>clz<u32>(low)) / SLOT_BITS;
}

/** Slot of the key whose low bits are `low` at `level` (1 .. 4): slotFor on 32 bits. */
// @ts-ignore: decorator
@inline export function cascadeSlot(low: u32, level: i32): i32 {
  return <i32>((low >>> (<u32>level * SLOT_BITS)) & <u32>SLOT_MASK);
}
