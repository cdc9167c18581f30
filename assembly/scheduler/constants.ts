// Generated from constants/scheduler.mjs by scripts/gen-constants.mjs; do not edit.
// Numbers shared by the Wasm scheduler core (assembly/scheduler/) and its binding (src/core/wasm-core.ts).

/** Layout version of the core's memory, commands and exports; src/core/wasm-core.ts refuses a core below it. */
@inline export const CORE_VERSION: i32 = 4;

/** Opcodes of the records of the command ring. */
export namespace CoreOp {
  /** Append a slot to the run queue. Never reaches Wasm: the run queue lives in JS (src/core/wasm-core.ts). */
  @inline export const READY: i32 = 1;
  /** Arm the slot's timer at the record's deadline (ms, f64). */
  @inline export const ARM: i32 = 2;
  /** Disarm the slot's timer. */
  @inline export const DISARM: i32 = 3;
}

/** A record of the command ring (byte offsets): op i32, slot i32, deadline f64. */
export namespace Command {
  /** Bytes of one record. */
  @inline export const BYTES: i32 = 16;
  /** Records the ring holds before JS must have them applied (one call per 1,024 commands at worst). */
  @inline export const CAP: i32 = 1024;
  /** i32: a CoreOp. */
  @inline export const OP: i32 = 0;
  /** i32: the task slot. */
  @inline export const SLOT: i32 = 4;
  /** f64: the deadline of CoreOp.ARM, in ms of the run's clock. */
  @inline export const DEADLINE: i32 = 8;
}

/** The header the core publishes after every call (byte offsets; JS reads it through typed views). */
export namespace Header {
  /** Bytes of the header. */
  @inline export const BYTES: i32 = 48;
  /** i32: byte offset of the command ring. */
  @inline export const CMD: i32 = 0;
  /** i32: byte offset of the ready ring (slots of the timers expired by the last call). */
  @inline export const OUT: i32 = 4;
  /** i32: slot capacity of the task table. */
  @inline export const CAP: i32 = 8;
  /** i32: timers armed, as the core counts them. */
  @inline export const TIMERS: i32 = 12;
  /** f64: a lower bound of the earliest deadline (Infinity when none): JS skips `tick` while `now` is below it. */
  @inline export const LOW: i32 = 16;
  /** f64: the wheel's time (ms): every key below it has been handled. */
  @inline export const TIME: i32 = 24;
  /** i32: slots the ready ring holds. */
  @inline export const OUT_CAP: i32 = 32;
  /** i32: timers the last `fireNext` fired into the ready ring. */
  @inline export const FIRED: i32 = 36;
  /** i32: byte offset of the tag table (one u32 tag per slot, CAP of them; it moves when slots are added). */
  @inline export const TAGS: i32 = 40;
  /** i32: wheel timers JS disarmed itself, by clearing their tags, since the last call; the core counts them in at its next call. */
  @inline export const DIRECT: i32 = 44;
}

/** A slot's tag: bits 0-1 say where its timer is; in state WHEEL the rest is the address of its wheel entry. */
export namespace Tag {
  /** Bytes of a tag. */
  @inline export const BYTES: i32 = 4;
  /** No timer armed. */
  @inline export const NONE: u32 = 0;
  /** In a wheel list or LIST_FAR, as an entry of a chunk list. */
  @inline export const WHEEL: u32 = 1;
  /** In LIST_DUE, linked through the task records. */
  @inline export const DUE: u32 = 2;
  /** Mask of the state bits (entries are 8-aligned, so an entry's address leaves them free). */
  @inline export const STATE: u32 = 3;
}

/** How the core's task table grows. */
export namespace Slots {
  /** Slots are added in blocks of this many (a power of two): the tag table's unit of growth. */
  @inline export const BLOCK: i32 = 1024;
  /** Slots the task table can address (8,192 blocks). */
  @inline export const MAX: i32 = 8388608;
}

/** Hash of every name and value above: the module exports it as `layoutHash()`. */
@inline export const LAYOUT_HASH: i32 = 1424897032;
