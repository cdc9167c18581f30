// Numbers with names shared by the files of the Wasm scheduler core
// (../shared/STYLE.md, items 5 and 8). The opcodes mirror `CoreOp` of
// src/constants.ts; test/core-constants.test.ts checks that both sides agree
// through the values re-exported by scheduler.ts.

/** Layout version of memory and commands; the JS side refuses a core below 1. */
@inline export const CORE_VERSION: i32 = 1;

// ---------------------------------------------------------------- opcodes

/** Append a slot to the run queue. Never reaches Wasm: the run queue lives in JS (see src/core/wasm-core.ts). */
@inline export const OP_READY: i32 = 1;
/** Arm the slot's timer at the command's deadline. */
@inline export const OP_ARM: i32 = 2;
/** Disarm the slot's timer. */
@inline export const OP_DISARM: i32 = 3;

// ------------------------------------------------------- command records

/** Bytes of one command record: op i32, slot i32, deadline f64. */
@inline export const CMD_BYTES: i32 = 16;
/** Records the command ring holds before JS must flush it (one call per 1,024 commands at worst). */
@inline export const CMD_CAP: i32 = 1024;

// ---------------------------------------------------------- task records

/** Bytes of one task record; a multiple of 8 so the f64 deadline stays aligned. */
@inline export const REC_BYTES: i32 = 24;
/** f64: deadline of the armed timer, in ms of the run's clock. */
@inline export const REC_DEADLINE: i32 = 0;
/** i32: next record of the timer list the slot is in, or NONE. */
@inline export const REC_NEXT: i32 = 8;
/** i32: previous record of the timer list, or NONE. */
@inline export const REC_PREV: i32 = 12;
/** i32: which timer list holds the slot (a wheel slot, LIST_DUE, LIST_FAR), or NONE when unarmed. */
@inline export const REC_LIST: i32 = 16;
/** u32: how many times the slot's timer fired (per-task accounting, never reset by the core). */
@inline export const REC_FIRED: i32 = 20;

/** "No slot" and "no list". */
@inline export const NONE: i32 = -1;

// ------------------------------------------------------------ timer wheel

/** Bits of a deadline each level consumes: 64 slots per level. A power of two, so slot = shift + mask. */
@inline export const SLOT_BITS: i32 = 6;
/** Slots per level; one u64 occupancy mask covers a level. */
@inline export const SLOTS: i32 = 64;
/** Mask of a slot index. */
@inline export const SLOT_MASK: i64 = 63;
/** Levels of the wheel: 6 x 6 bits = 2^36 ms (about 2.2 years) ahead of the wheel's time. */
@inline export const LEVELS: i32 = 6;
/** Bits of time the wheel spans. */
@inline export const WHEEL_BITS: i64 = 36;
/** Timer lists 0 .. 383 are wheel slots: list = level * SLOTS + slot. */
@inline export const WHEEL_LISTS: i32 = 384;
/** Timer list of deadlines already behind the wheel's time (armed in the past, or after a peek moved the wheel ahead). */
@inline export const LIST_DUE: i32 = 384;
/** Timer list of deadlines beyond the wheel's span (2^36 ms ahead). */
@inline export const LIST_FAR: i32 = 385;
/** Number of timer lists. */
@inline export const LISTS: i32 = 386;
/** Largest key the wheel computes with (2^52 ms); later deadlines are clamped to it and wait in LIST_FAR. */
@inline export const MAX_KEY: i64 = 4503599627370496;

// ----------------------------------------------------------------- header

/** Bytes of the header JS reads after every call that may move memory. */
@inline export const HDR_BYTES: i32 = 32;
/** i32: byte offset of the command ring. */
@inline export const HDR_CMD: i32 = 0;
/** i32: byte offset of the ready ring (ids of the timers expired by the last tick). */
@inline export const HDR_OUT: i32 = 4;
/** i32: slot capacity of the task table (and of the ready ring). */
@inline export const HDR_CAP: i32 = 8;
/** i32: timers armed, as the core counts them. */
@inline export const HDR_TIMERS: i32 = 12;
/** f64: a lower bound of the earliest deadline (Infinity when none): JS skips `tick` while `now` is below it. */
@inline export const HDR_LOW: i32 = 16;
/** f64: the wheel's time (ms): every key below it has been handled. */
@inline export const HDR_TIME: i32 = 24;
