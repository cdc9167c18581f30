// Generated from constants/scheduler.mjs by scripts/gen-constants.mjs; do not edit.
// Numbers shared by the Wasm scheduler core (assembly/scheduler/) and its binding (src/core/wasm-core.ts).

/** Layout version of the core's memory, commands and exports; src/core/wasm-core.ts refuses a core below it. */
export const CORE_VERSION = 4;

/** Opcodes of the records of the command ring. */
export const CoreOp = {
  /** Append a slot to the run queue. Never reaches Wasm: the run queue lives in JS (src/core/wasm-core.ts). */
  READY: 1,
  /** Arm the slot's timer at the record's deadline (ms, f64). */
  ARM: 2,
  /** Disarm the slot's timer. */
  DISARM: 3,
} as const;

/** A record of the command ring (byte offsets): op i32, slot i32, deadline f64. */
export const Command = {
  /** Bytes of one record. */
  BYTES: 16,
  /** Records the ring holds before JS must have them applied (one call per 1,024 commands at worst). */
  CAP: 1024,
  /** i32: a CoreOp. */
  OP: 0,
  /** i32: the task slot. */
  SLOT: 4,
  /** f64: the deadline of CoreOp.ARM, in ms of the run's clock. */
  DEADLINE: 8,
} as const;

/** The header the core publishes after every call (byte offsets; JS reads it through typed views). */
export const Header = {
  /** Bytes of the header. */
  BYTES: 48,
  /** i32: byte offset of the command ring. */
  CMD: 0,
  /** i32: byte offset of the ready ring (slots of the timers expired by the last call). */
  OUT: 4,
  /** i32: slot capacity of the task table. */
  CAP: 8,
  /** i32: timers armed, as the core counts them. */
  TIMERS: 12,
  /** f64: a lower bound of the earliest deadline (Infinity when none): JS skips `tick` while `now` is below it. */
  LOW: 16,
  /** f64: the wheel's time (ms): every key below it has been handled. */
  TIME: 24,
  /** i32: slots the ready ring holds. */
  OUT_CAP: 32,
  /** i32: timers the last `fireNext` fired into the ready ring. */
  FIRED: 36,
  /** i32: byte offset of the tag table (one u32 tag per slot, CAP of them; it moves when slots are added). */
  TAGS: 40,
  /** i32: wheel timers JS disarmed itself, by clearing their tags, since the last call; the core counts them in at its next call. */
  DIRECT: 44,
} as const;

/** A slot's tag: bits 0-1 say where its timer is; in state WHEEL the rest is the address of its wheel entry. */
export const Tag = {
  /** Bytes of a tag. */
  BYTES: 4,
  /** No timer armed. */
  NONE: 0,
  /** In a wheel list or LIST_FAR, as an entry of a chunk list. */
  WHEEL: 1,
  /** In LIST_DUE, linked through the task records. */
  DUE: 2,
  /** Mask of the state bits (entries are 8-aligned, so an entry's address leaves them free). */
  STATE: 3,
} as const;

/** How the core's task table grows. */
export const Slots = {
  /** Slots are added in blocks of this many (a power of two): the tag table's unit of growth. */
  BLOCK: 1024,
  /** Slots the task table can address (8,192 blocks). */
  MAX: 8388608,
} as const;

/** Hash of every name and value above; the built module's `layoutHash()` must return it. */
export const LAYOUT_HASH = 1424897032;
